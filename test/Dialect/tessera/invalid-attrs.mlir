// Every verifier rule of #tessera.mask and #tessera.target.
// RUN: tessera-opt %s -split-input-file -allow-unregistered-dialect -verify-diagnostics

// expected-error @+1 {{'left' does not apply to a 'causal' mask}}
"test.op"() {mask = #tessera.mask<causal, left = 3>} : () -> ()

// -----

// expected-error @+1 {{'shift' does not apply to a 'sliding' mask}}
"test.op"() {mask = #tessera.mask<sliding, left = 3, right = 3, shift = 1>} : () -> ()

// -----

// expected-error @+1 {{'tokens' does not apply to a 'none' mask}}
"test.op"() {mask = #tessera.mask<none, tokens = [1]>} : () -> ()

// -----

// expected-error @+1 {{'inner' does not apply to a 'window' mask}}
"test.op"() {mask = #tessera.mask<window, grid = [4, 4], size = 2, inner = <causal>>} : () -> ()

// -----

// expected-error @+1 {{'dilation' does not apply to a 'global' mask}}
"test.op"() {mask = #tessera.mask<global, tokens = [0], inner = <causal>, dilation = 2>} : () -> ()

// -----

// expected-error @+1 {{'grid' does not apply to a 'causal' mask}}
"test.op"() {mask = #tessera.mask<causal, grid = [4, 4]>} : () -> ()

// -----

// expected-error @+1 {{'size' does not apply to a 'sliding' mask}}
"test.op"() {mask = #tessera.mask<sliding, left = 1, right = 1, size = 2>} : () -> ()

// -----

// expected-error @+1 {{'right' does not apply to a 'none' mask}}
"test.op"() {mask = #tessera.mask<none, right = 1>} : () -> ()

// -----

// expected-error @+1 {{a 'sliding' mask needs both 'left' and 'right'}}
"test.op"() {mask = #tessera.mask<sliding, left = 3>} : () -> ()

// -----

// expected-error @+1 {{'left' and 'right' must be non-negative, got -1 and 3}}
"test.op"() {mask = #tessera.mask<sliding, left = -1, right = 3>} : () -> ()

// -----

// expected-error @+1 {{'dilation' must be at least 1, got 0}}
"test.op"() {mask = #tessera.mask<sliding, left = 1, right = 1, dilation = 0>} : () -> ()

// -----

// expected-error @+1 {{a 'global' mask needs at least one token in 'tokens'}}
"test.op"() {mask = #tessera.mask<global, inner = <causal>>} : () -> ()

// -----

// expected-error @+1 {{global token positions must be non-negative, got -2}}
"test.op"() {mask = #tessera.mask<global, tokens = [-2], inner = <causal>>} : () -> ()

// -----

// expected-error @+1 {{global token positions must be strictly increasing, got 5 then 5}}
"test.op"() {mask = #tessera.mask<global, tokens = [0, 5, 5], inner = <causal>>} : () -> ()

// -----

// expected-error @+1 {{a 'global' mask needs an 'inner' mask for the other tokens}}
"test.op"() {mask = #tessera.mask<global, tokens = [0]>} : () -> ()

// -----

// expected-error @+1 {{the 'inner' mask of a 'global' mask must be 'none', 'causal' or 'sliding', got 'global'}}
"test.op"() {mask = #tessera.mask<global, tokens = [0], inner = <global, tokens = [1], inner = <none>>>} : () -> ()

// -----

// expected-error @+1 {{a 'window' mask needs a 2-D 'grid' [H, W], got 3 dimension(s)}}
"test.op"() {mask = #tessera.mask<window, grid = [4, 4, 4], size = 2>} : () -> ()

// -----

// expected-error @+1 {{a 'window' mask needs a 'size'}}
"test.op"() {mask = #tessera.mask<window, grid = [4, 4]>} : () -> ()

// -----

// expected-error @+1 {{window 'size' must be positive, got 0}}
"test.op"() {mask = #tessera.mask<window, grid = [4, 4], size = 0>} : () -> ()

// -----

// expected-error @+1 {{window grid 56x50 is not a whole number of 7x7 windows}}
"test.op"() {mask = #tessera.mask<window, grid = [56, 50], size = 7>} : () -> ()

// -----

// expected-error @+1 {{window 'shift' must be in [0, 7), got 7}}
"test.op"() {mask = #tessera.mask<window, grid = [56, 56], size = 7, shift = 7>} : () -> ()

// -----

// expected-error @+2 {{expected ::mlir::tessera::MaskKind to be one of: none, causal, sliding, global, window}}
// expected-error @+1 {{failed to parse Tessera_MaskAttr parameter 'kind'}}
"test.op"() {mask = #tessera.mask<diagonal>} : () -> ()

// -----

// expected-error @+1 {{target profile needs a non-empty 'name'}}
"test.op"() {target = #tessera.target<name = "", subgroup_size = 8, max_shared_memory = 32768, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true, int8 = true>} : () -> ()

// -----

// expected-error @+1 {{'subgroup_size' must be a positive power of two, got 24}}
"test.op"() {target = #tessera.target<name = "x", subgroup_size = 24, max_shared_memory = 32768, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true, int8 = true>} : () -> ()

// -----

// expected-error @+1 {{'max_shared_memory' is 8192, below Vulkan's required minimum of 16384}}
"test.op"() {target = #tessera.target<name = "x", subgroup_size = 8, max_shared_memory = 8192, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true, int8 = true>} : () -> ()

// -----

// expected-error @+1 {{'max_workgroup_invocations' is 64, below Vulkan's required minimum of 128}}
"test.op"() {target = #tessera.target<name = "x", subgroup_size = 8, max_shared_memory = 32768, max_workgroup_invocations = 64, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true, int8 = true>} : () -> ()

// -----

// expected-error @+1 {{'max_push_constants_size' is 64, below Vulkan's required minimum of 128}}
"test.op"() {target = #tessera.target<name = "x", subgroup_size = 8, max_shared_memory = 32768, max_workgroup_invocations = 1024, max_push_constants_size = 64, max_storage_buffer_range = 134217728, fp16 = true, int8 = true>} : () -> ()

// -----

// expected-error @+1 {{'max_storage_buffer_range' is 1024, below Vulkan's required minimum of 134217728}}
"test.op"() {target = #tessera.target<name = "x", subgroup_size = 8, max_shared_memory = 32768, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 1024, fp16 = true, int8 = true>} : () -> ()

// -----

// expected-error @+1 {{'subgroup_size' 256 exceeds 'max_workgroup_invocations' 128}}
"test.op"() {target = #tessera.target<name = "x", subgroup_size = 256, max_shared_memory = 32768, max_workgroup_invocations = 128, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true, int8 = true>} : () -> ()

// -----

// Every profile field is required (the parser stops where 'int8' should be).
// expected-error @+1 {{struct is missing required parameter: int8}}
"test.op"() {target = #tessera.target<name = "x", subgroup_size = 8, max_shared_memory = 32768, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true>} : () -> ()

// -----

// expected-error @+1 {{'register_budget' is 8; a kernel needs at least 16 registers}}
"test.op"() {target = #tessera.target<name = "x", subgroup_size = 8, max_shared_memory = 32768, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true, int8 = true, register_budget = 8>} : () -> ()

// -----

// expected-error @+1 {{'parallel_workgroups' is 0; a device runs at least one workgroup}}
"test.op"() {target = #tessera.target<name = "x", subgroup_size = 8, max_shared_memory = 32768, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true, int8 = true, parallel_workgroups = 0>} : () -> ()

// -----

// expected-error @+1 {{a 'prefix' mask needs a positive 'length' (the keys every query sees)}}
"test.op"() {mask = #tessera.mask<prefix>} : () -> ()

// -----

// expected-error @+1 {{a 'prefix' mask needs a positive 'length' (the keys every query sees)}}
"test.op"() {mask = #tessera.mask<prefix, length = 0>} : () -> ()

// -----

// expected-error @+1 {{'length' does not apply to a 'causal' mask}}
"test.op"() {mask = #tessera.mask<causal, length = 4>} : () -> ()
