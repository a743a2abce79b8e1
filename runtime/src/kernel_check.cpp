//===- kernel_check.cpp - A kernel's SPIR-V, checked before the driver ----===//

#include "kernel_check.h"

#include "model.h"

#include <spirv-tools/libspirv.hpp>

#include <cstring>
#include <map>

namespace tessera::runtime {

namespace {

// The few SPIR-V opcodes, decorations and enumerants the interface check
// reads (SPIR-V 1.6 specification, section 3).
constexpr uint32_t kMagic = 0x07230203;
constexpr uint32_t kHeaderWords = 5;
constexpr uint32_t kOpEntryPoint = 15;
constexpr uint32_t kOpExecutionMode = 16;
constexpr uint32_t kOpVariable = 59;
constexpr uint32_t kOpDecorate = 71;
constexpr uint32_t kOpExecutionModeId = 331;
constexpr uint32_t kOpControlBarrier = 224;
constexpr uint32_t kOpLoopMerge = 246;
constexpr uint32_t kExecutionModelGLCompute = 5;
constexpr uint32_t kExecutionModeLocalSize = 17;
constexpr uint32_t kDecorationBinding = 33;
constexpr uint32_t kDecorationDescriptorSet = 34;
constexpr uint32_t kStorageUniformConstant = 0;
constexpr uint32_t kStorageUniform = 2;
constexpr uint32_t kStoragePushConstant = 9;
constexpr uint32_t kStorageStorageBuffer = 12;

/// A literal string in `words` starting at `at` (nul-terminated, padded to
/// words), or "" when it runs past `end`.
std::string literalString(const uint32_t *words, uint32_t at, uint32_t end) {
  std::string text;
  for (; at < end; ++at)
    for (int byte = 0; byte < 4; ++byte) {
      char c = static_cast<char>((words[at] >> (8 * byte)) & 0xff);
      if (c == '\0')
        return text;
      text += c;
    }
  return "";
}

/// The opcode and word count of the instruction at word `at` of `count`;
/// a length of 0 where it is malformed (no words, or past the end).
struct Instruction {
  uint32_t opcode, length;
};
Instruction instructionAt(const uint32_t *words, size_t count, size_t at) {
  uint32_t length = words[at] >> 16;
  if (length == 0 || length > count - at)
    return {0, 0};
  return {words[at] & 0xffff, length};
}

} // namespace

KernelShape describeKernel(const uint32_t *words, size_t count) {
  KernelShape shape;
  for (size_t at = kHeaderWords; at < count;) {
    Instruction instruction = instructionAt(words, count, at);
    if (instruction.length == 0)
      break;
    shape.barriers += instruction.opcode == kOpControlBarrier;
    shape.loops += instruction.opcode == kOpLoopMerge;
    at += instruction.length;
  }
  return shape;
}

struct KernelChecker::Validator {
  spvtools::SpirvTools tools{SPV_ENV_VULKAN_1_1};
};

KernelChecker::KernelChecker(const VkPhysicalDeviceLimits &limits,
                             std::string modelName)
    : validator_(new Validator()), limits_(limits),
      modelName_(std::move(modelName)) {}

KernelChecker::~KernelChecker() = default;

Status KernelChecker::check(const tsr::Executable &executable,
                            uint32_t index) const {
  std::string where = modelName_ + ": kernel " + std::to_string(index) +
                      " ('" + executable.name()->str() + "')";
  auto refuse = [&](const std::string &what) {
    return Status(TESSERA_ERROR_INVALID_MODEL, where + " " + what);
  };
  const uint32_t *words = executable.spirv()->data();
  uint32_t count = executable.spirv()->size();

  std::string messages;
  validator_->tools.SetMessageConsumer(
      [&](spv_message_level_t, const char *, const spv_position_t &position,
          const char *message) {
        if (messages.empty())
          messages = "word " + std::to_string(position.index) + ": " + message;
      });
  if (!validator_->tools.Validate(words, count))
    return refuse("is not valid SPIR-V (" + messages + ")");
  if (count < kHeaderWords || words[0] != kMagic)
    return refuse("is not SPIR-V (bad magic)");

  // The interface: decorations by id, then the entry point, workgroup size
  // and resource variables.
  std::map<uint32_t, uint32_t> sets, bindings;
  uint32_t entryId = 0;
  bool hasEntry = false, hasLocalSize = false;
  uint32_t localSize[3] = {1, 1, 1};
  std::string entryName = executable.entry_point()->str();
  struct Variable {
    uint32_t id, storage;
  };
  std::vector<Variable> variables;
  for (uint32_t at = kHeaderWords; at < count;) {
    auto [opcode, length] = instructionAt(words, count, at);
    if (length == 0)
      return refuse("has a malformed instruction at word " +
                    std::to_string(at));
    const uint32_t *operands = words + at + 1;
    uint32_t operandCount = length - 1;
    if (opcode == kOpEntryPoint && operandCount >= 3 &&
        operands[0] == kExecutionModelGLCompute &&
        literalString(words, at + 3, at + length) == entryName) {
      hasEntry = true;
      entryId = operands[1];
    } else if (opcode == kOpDecorate && operandCount >= 3 &&
               (operands[1] == kDecorationBinding ||
                operands[1] == kDecorationDescriptorSet)) {
      (operands[1] == kDecorationBinding ? bindings
                                         : sets)[operands[0]] = operands[2];
    } else if (opcode == kOpVariable && operandCount >= 3) {
      variables.push_back({operands[1], operands[2]});
    } else if (opcode == kOpExecutionModeId) {
      return refuse("sets its workgroup size from constants (LocalSizeId); "
                    "the runtime takes literal sizes only");
    } else if (opcode == kOpExecutionMode && operandCount >= 5 &&
               operands[1] == kExecutionModeLocalSize && hasEntry &&
               operands[0] == entryId) {
      hasLocalSize = true;
      std::memcpy(localSize, operands + 2, sizeof(localSize));
    }
    at += length;
  }
  if (!hasEntry)
    return refuse("has no compute entry point named '" + entryName + "'");
  if (!hasLocalSize)
    return refuse("does not state its workgroup size");
  uint64_t invocations = 1;
  for (int axis = 0; axis < 3; ++axis) {
    if (localSize[axis] == 0 ||
        localSize[axis] > limits_.maxComputeWorkGroupSize[axis])
      return refuse("has a workgroup size of " +
                    std::to_string(localSize[axis]) + " along axis " +
                    std::to_string(axis) + "; the device allows 1 to " +
                    std::to_string(limits_.maxComputeWorkGroupSize[axis]));
    invocations *= localSize[axis];
  }
  if (invocations > limits_.maxComputeWorkGroupInvocations)
    return refuse("has workgroups of " + std::to_string(invocations) +
                  " invocations; the device allows " +
                  std::to_string(limits_.maxComputeWorkGroupInvocations));
  uint32_t layoutBindings = layoutBindingCount(executable);
  for (const Variable &variable : variables) {
    if (variable.storage == kStoragePushConstant ||
        variable.storage == kStorageUniform ||
        variable.storage == kStorageUniformConstant)
      return refuse("declares push constants, uniform buffers or images; "
                    "the runtime binds storage buffers only");
    if (variable.storage != kStorageStorageBuffer)
      continue;
    auto set = sets.find(variable.id), binding = bindings.find(variable.id);
    if (set == sets.end() || binding == bindings.end())
      return refuse("has a resource without a descriptor set and binding");
    if (set->second != 0 || binding->second >= layoutBindings)
      return refuse("reads set " + std::to_string(set->second) +
                    ", binding " + std::to_string(binding->second) +
                    "; the runtime binds set 0, bindings 0 to " +
                    std::to_string(layoutBindings - 1));
  }
  return Status::ok();
}

} // namespace tessera::runtime
