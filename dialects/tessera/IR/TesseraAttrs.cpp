//===- TesseraAttrs.cpp - Tessera attributes ------------------------------===//

#include "dialects/tessera/IR/TesseraAttrs.h"
#include "dialects/tessera/IR/MaskVisibility.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tessera;

#include "dialects/tessera/IR/TesseraEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/tessera/IR/TesseraAttrs.cpp.inc"

// Lives here rather than in TesseraDialect.cpp: registration needs the
// attribute storage classes, which only this file defines.
void TesseraDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/tessera/IR/TesseraAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// MaskAttr
//===----------------------------------------------------------------------===//

LogicalResult MaskAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               MaskKind kind, std::optional<int64_t> left,
                               std::optional<int64_t> right, int64_t dilation,
                               ArrayRef<int64_t> tokens, MaskAttr inner,
                               ArrayRef<int64_t> grid,
                               std::optional<int64_t> size, int64_t shift,
                               std::optional<int64_t> length) {
  StringRef kindName = stringifyMaskKind(kind);
  bool isSliding = kind == MaskKind::Sliding;
  bool isGlobal = kind == MaskKind::Global;
  bool isWindow = kind == MaskKind::Window;
  bool isPrefix = kind == MaskKind::Prefix;

  // Parameters that only one kind reads must not appear on another kind.
  auto rejectUnless = [&](bool allowed, bool present,
                          StringRef param) -> LogicalResult {
    if (present && !allowed)
      return emitError() << "'" << param << "' does not apply to a '"
                         << kindName << "' mask";
    return success();
  };
  if (failed(rejectUnless(isSliding, left.has_value(), "left")) ||
      failed(rejectUnless(isSliding, right.has_value(), "right")) ||
      failed(rejectUnless(isSliding, dilation != 1, "dilation")) ||
      failed(rejectUnless(isGlobal, !tokens.empty(), "tokens")) ||
      failed(rejectUnless(isGlobal, static_cast<bool>(inner), "inner")) ||
      failed(rejectUnless(isWindow, !grid.empty(), "grid")) ||
      failed(rejectUnless(isWindow, size.has_value(), "size")) ||
      failed(rejectUnless(isWindow, shift != 0, "shift")) ||
      failed(rejectUnless(isPrefix, length.has_value(), "length")))
    return failure();
  if (isPrefix && (!length || *length < 1))
    return emitError() << "a 'prefix' mask needs a positive 'length' (the "
                          "keys every query sees)";

  if (isSliding) {
    if (!left || !right)
      return emitError() << "a 'sliding' mask needs both 'left' and 'right'";
    if (*left < 0 || *right < 0)
      return emitError() << "'left' and 'right' must be non-negative, got "
                         << *left << " and " << *right;
    if (dilation < 1)
      return emitError() << "'dilation' must be at least 1, got " << dilation;
  }
  if (isGlobal) {
    if (tokens.empty())
      return emitError() << "a 'global' mask needs at least one token in "
                            "'tokens'";
    for (auto [i, token] : llvm::enumerate(tokens)) {
      if (token < 0)
        return emitError() << "global token positions must be non-negative, "
                              "got "
                           << token;
      if (i > 0 && token <= tokens[i - 1])
        return emitError() << "global token positions must be strictly "
                              "increasing, got "
                           << tokens[i - 1] << " then " << token;
    }
    if (!inner)
      return emitError() << "a 'global' mask needs an 'inner' mask for the "
                            "other tokens";
    if (inner.getKind() == MaskKind::Global ||
        inner.getKind() == MaskKind::Window)
      return emitError() << "the 'inner' mask of a 'global' mask must be "
                            "'none', 'causal' or 'sliding', got '"
                         << stringifyMaskKind(inner.getKind()) << "'";
  }
  if (isWindow) {
    if (grid.size() != 2)
      return emitError() << "a 'window' mask needs a 2-D 'grid' [H, W], got "
                         << grid.size() << " dimension(s)";
    if (!size)
      return emitError() << "a 'window' mask needs a 'size'";
    if (*size < 1)
      return emitError() << "window 'size' must be positive, got " << *size;
    for (int64_t side : grid)
      if (side < 1 || side % *size != 0)
        return emitError() << "window grid " << grid[0] << "x" << grid[1]
                           << " is not a whole number of " << *size << "x"
                           << *size << " windows";
    if (shift < 0 || shift >= *size)
      return emitError() << "window 'shift' must be in [0, " << *size
                         << "), got " << shift;
  }
  return success();
}

MaskAttr MaskAttr::getNone(MLIRContext *context) {
  return get(context, MaskKind::None);
}

MaskAttr MaskAttr::getCausal(MLIRContext *context) {
  return get(context, MaskKind::Causal);
}

MaskAttr MaskAttr::getSliding(MLIRContext *context, int64_t left, int64_t right,
                              int64_t dilation) {
  return get(context, MaskKind::Sliding, left, right, dilation, {}, MaskAttr(),
             {}, std::nullopt, 0, std::nullopt);
}

MaskAttr MaskAttr::getGlobal(MLIRContext *context, ArrayRef<int64_t> tokens,
                             MaskAttr inner) {
  return get(context, MaskKind::Global, std::nullopt, std::nullopt, 1, tokens,
             inner, {}, std::nullopt, 0, std::nullopt);
}

MaskAttr MaskAttr::getWindow(MLIRContext *context, ArrayRef<int64_t> grid,
                             int64_t size, int64_t shift) {
  return get(context, MaskKind::Window, std::nullopt, std::nullopt, 1, {},
             MaskAttr(), grid, size, shift, std::nullopt);
}

MaskAttr MaskAttr::getPrefix(MLIRContext *context, int64_t length) {
  return get(context, MaskKind::Prefix, std::nullopt, std::nullopt, 1, {},
             MaskAttr(), {}, std::nullopt, 0, length);
}

bool MaskAttr::isVisible(int64_t queryIndex, int64_t keyIndex,
                         int64_t numQueries, int64_t numKeys) const {
  MaskIntArithmetic integers;
  return maskShows(*this, integers, queryIndex + (numKeys - numQueries),
                   keyIndex);
}

//===----------------------------------------------------------------------===//
// TargetAttr
//===----------------------------------------------------------------------===//

LogicalResult TargetAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef name, int64_t subgroupSize,
                                 int64_t maxSharedMemory,
                                 int64_t maxWorkgroupInvocations,
                                 int64_t maxPushConstantsSize,
                                 int64_t maxStorageBufferRange, BoolAttr fp16,
                                 BoolAttr int8, int64_t registerBudget,
                                 int64_t parallelWorkgroups) {
  if (name.empty())
    return emitError() << "target profile needs a non-empty 'name'";
  if (parallelWorkgroups < 1)
    return emitError() << "'parallel_workgroups' is " << parallelWorkgroups
                       << "; a device runs at least one workgroup";
  if (registerBudget < 16)
    return emitError() << "'register_budget' is " << registerBudget
                       << "; a kernel needs at least 16 registers";
  if (subgroupSize < 1 || !llvm::isPowerOf2_64(subgroupSize))
    return emitError() << "'subgroup_size' must be a positive power of two, "
                          "got "
                       << subgroupSize;
  // Vulkan's required minimums (VkPhysicalDeviceLimits): a profile below
  // them describes no conformant device.
  struct Minimum {
    StringRef param;
    int64_t value, minimum;
  } minimums[] = {
      {"max_shared_memory", maxSharedMemory, 16384},
      {"max_workgroup_invocations", maxWorkgroupInvocations, 128},
      {"max_push_constants_size", maxPushConstantsSize, 128},
      {"max_storage_buffer_range", maxStorageBufferRange, 1 << 27},
  };
  for (const Minimum &m : minimums)
    if (m.value < m.minimum)
      return emitError() << "'" << m.param << "' is " << m.value
                         << ", below Vulkan's required minimum of "
                         << m.minimum;
  if (subgroupSize > maxWorkgroupInvocations)
    return emitError() << "'subgroup_size' " << subgroupSize
                       << " exceeds 'max_workgroup_invocations' "
                       << maxWorkgroupInvocations;
  return success();
}

//===----------------------------------------------------------------------===//
// TileConfigAttr
//===----------------------------------------------------------------------===//

LogicalResult
TileConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       ArrayRef<int64_t> workgroupSize, ArrayRef<int64_t> tile,
                       ArrayRef<int64_t> threadTile) {
  if (workgroupSize.size() != 3)
    return emitError() << "'workgroup_size' needs 3 entries [x, y, z], got "
                       << workgroupSize.size();
  for (auto [name, values] : {std::pair<StringRef, ArrayRef<int64_t>>{
                                  "workgroup_size", workgroupSize},
                              {"tile", tile},
                              {"thread_tile", threadTile}}) {
    if (values.empty())
      return emitError() << "'" << name << "' must not be empty";
    for (int64_t value : values)
      if (value < 1)
        return emitError() << "'" << name << "' entries must be positive, got "
                           << value;
  }
  return success();
}
