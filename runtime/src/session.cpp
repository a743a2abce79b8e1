//===- session.cpp - Running a program ------------------------------------===//

#include "session.h"

#include "tessera/tsr_format.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>

namespace tessera::runtime {

namespace {

Status badInput(const std::string &message) {
  return Status(TESSERA_ERROR_INVALID_INPUT, message);
}

/// Bytes per element on the host (booleans: one byte).
size_t hostElementSize(tsr::ElementType type) {
  switch (type) {
  case tsr::ElementType::Bool:
    return 1;
  case tsr::ElementType::F16:
    return 2;
  default:
    return 4;
  }
}

/// Bytes per element in a device buffer (booleans are stored as i32).
size_t storedElementSize(tsr::ElementType type) {
  return type == tsr::ElementType::F16 ? 2 : 4;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

/// The coordinates of row-major element `flat` of a tensor of `shape`.
std::vector<int64_t> unravel(int64_t flat, const std::vector<int64_t> &shape) {
  std::vector<int64_t> place(shape.size(), 0);
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] <= 0)
      continue;
    place[d] = flat % shape[d];
    flat /= shape[d];
  }
  return place;
}

} // namespace

Status Session::create(const Program &program, std::unique_ptr<Session> &out) {
  const Device *device = program.device();
  if (!device)
    return Status(TESSERA_ERROR_INVALID_ARGUMENT,
                  "the program was loaded for inspection only (no device)");
  std::unique_ptr<Session> session(new Session(program));
  session->device_ = device->handle();
  const tsr::Model &model = program.model().root();

  uint64_t arenaSize =
      std::max<uint64_t>(model.arena_size(), tsr::kBufferAlignment);
  if (Status s = Buffer::create(*device, arenaSize, "activation arena",
                                session->arena_);
      !s.isOk())
    return s;
  uint64_t paramsSize = 0, statusSize = 0;
  uint32_t descriptorCount = 0;
  for (const tsr::Dispatch *dispatch : *model.dispatches()) {
    const tsr::Executable *executable =
        model.executables()->Get(dispatch->executable());
    uint32_t count = executable->params() ? executable->params()->size() : 0;
    session->paramOffsets_.push_back(paramsSize);
    paramsSize +=
        tsr::alignTo(std::max<uint64_t>(count, 1) * 4, tsr::kBufferAlignment);
    uint32_t checks =
        executable->index_checks() ? executable->index_checks()->size() : 0;
    session->statusOffsets_.push_back(statusSize);
    statusSize += tsr::alignTo(checks * 4, tsr::kBufferAlignment);
    descriptorCount += layoutBindingCount(*executable);
  }
  if (Status s = Buffer::create(*device, std::max<uint64_t>(paramsSize, 256),
                                "kernel parameters", session->params_);
      !s.isOk())
    return s;
  if (Status s = Buffer::create(*device, std::max<uint64_t>(statusSize, 256),
                                "index status", session->status_);
      !s.isOk())
    return s;

  uint32_t dispatchCount = model.dispatches()->size();
  VkDescriptorPoolSize poolSize{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                std::max(descriptorCount, 1u)};
  VkDescriptorPoolCreateInfo poolInfo{};
  poolInfo.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
  poolInfo.maxSets = std::max(dispatchCount, 1u);
  poolInfo.poolSizeCount = 1;
  poolInfo.pPoolSizes = &poolSize;
  if (VkResult r = vkCreateDescriptorPool(session->device_, &poolInfo, nullptr,
                                          &session->pool_);
      r != VK_SUCCESS)
    return vulkanFailure("vkCreateDescriptorPool", r);

  // The bindings never change between runs: every tensor has a fixed place
  // in the arena or the weights, sized for the bounds.
  for (uint32_t i = 0; i < dispatchCount; ++i) {
    const tsr::Dispatch *dispatch = model.dispatches()->Get(i);
    const Pipeline &pipeline = program.pipeline(dispatch->executable());
    VkDescriptorSetLayout layout = pipeline.setLayout();
    VkDescriptorSetAllocateInfo allocate{};
    allocate.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
    allocate.descriptorPool = session->pool_;
    allocate.descriptorSetCount = 1;
    allocate.pSetLayouts = &layout;
    VkDescriptorSet set = VK_NULL_HANDLE;
    if (VkResult r =
            vkAllocateDescriptorSets(session->device_, &allocate, &set);
        r != VK_SUCCESS)
      return vulkanFailure("vkAllocateDescriptorSets", r);
    session->sets_.push_back(set);

    std::vector<VkDescriptorBufferInfo> infos;
    infos.push_back({session->params_->handle(), session->paramOffsets_[i],
                     tsr::kBufferAlignment});
    for (uint32_t bufferIndex : *dispatch->buffers()) {
      const tsr::Buffer *buffer = model.buffers()->Get(bufferIndex);
      const Buffer &memory = buffer->kind() == tsr::BufferKind::Weight
                                 ? program.weights()
                                 : *session->arena_;
      infos.push_back({memory.handle(), buffer->offset(),
                       std::max<VkDeviceSize>(buffer->max_size(), 4)});
    }
    const tsr::Executable &executable =
        *model.executables()->Get(dispatch->executable());
    if (infos.size() < layoutBindingCount(executable))
      infos.push_back({session->status_->handle(), session->statusOffsets_[i],
                       executable.index_checks()->size() * 4u});
    std::vector<VkWriteDescriptorSet> writes(infos.size());
    for (uint32_t b = 0; b < infos.size(); ++b) {
      writes[b] = {};
      writes[b].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
      writes[b].dstSet = set;
      writes[b].dstBinding = b;
      writes[b].descriptorCount = 1;
      writes[b].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      writes[b].pBufferInfo = &infos[b];
    }
    vkUpdateDescriptorSets(session->device_,
                           static_cast<uint32_t>(writes.size()), writes.data(),
                           0, nullptr);
  }

  VkCommandBufferAllocateInfo commandInfo{};
  commandInfo.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
  commandInfo.commandPool = device->commandPool();
  commandInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  commandInfo.commandBufferCount = 1;
  if (VkResult r = vkAllocateCommandBuffers(session->device_, &commandInfo,
                                            &session->commands_);
      r != VK_SUCCESS)
    return vulkanFailure("vkAllocateCommandBuffers", r);
  VkFenceCreateInfo fenceInfo{};
  fenceInfo.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
  if (VkResult r = vkCreateFence(session->device_, &fenceInfo, nullptr,
                                 &session->fence_);
      r != VK_SUCCESS)
    return vulkanFailure("vkCreateFence", r);
  out = std::move(session);
  return Status::ok();
}

Session::~Session() {
  if (queries_ != VK_NULL_HANDLE)
    vkDestroyQueryPool(device_, queries_, nullptr);
  if (fence_ != VK_NULL_HANDLE)
    vkDestroyFence(device_, fence_, nullptr);
  if (commands_ != VK_NULL_HANDLE)
    vkFreeCommandBuffers(device_, program_.device()->commandPool(), 1,
                         &commands_);
  if (pool_ != VK_NULL_HANDLE)
    vkDestroyDescriptorPool(device_, pool_, nullptr);
}

Status Session::setProfiling(bool enable) {
  // The query pool is created on first use and kept.
  if (enable && queries_ == VK_NULL_HANDLE) {
    const Device &device = *program_.device();
    if (device.timestampValidBits() == 0)
      return Status(TESSERA_ERROR_UNSUPPORTED,
                    std::string(device.info().name) +
                        " cannot write timestamps on its compute queue, so "
                        "dispatches cannot be profiled");
    VkQueryPoolCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO;
    info.queryType = VK_QUERY_TYPE_TIMESTAMP;
    info.queryCount = program_.model().root().dispatches()->size() + 1;
    if (VkResult r = vkCreateQueryPool(device_, &info, nullptr, &queries_);
        r != VK_SUCCESS)
      return vulkanFailure("vkCreateQueryPool", r);
  }
  profiling_ = enable;
  return Status::ok();
}

Status Session::readTimestamps() {
  const Device &device = *program_.device();
  uint32_t count = program_.model().root().dispatches()->size() + 1;
  std::vector<uint64_t> ticks(count);
  if (VkResult r = vkGetQueryPoolResults(
          device_, queries_, 0, count, ticks.size() * sizeof(uint64_t),
          ticks.data(), sizeof(uint64_t),
          VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
      r != VK_SUCCESS)
    return vulkanFailure("vkGetQueryPoolResults", r);
  uint32_t bits = device.timestampValidBits();
  uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
  dispatchSeconds_.resize(count - 1);
  for (uint32_t i = 0; i + 1 < count; ++i)
    dispatchSeconds_[i] = static_cast<double>((ticks[i + 1] - ticks[i]) & mask) *
                          device.timestampPeriod() * 1e-9;
  return Status::ok();
}

/// floor(a / b) for b > 0.
static int64_t floorDivide(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

Status Session::deriveSymbol(uint32_t s,
                             const std::vector<std::string> &boundBy,
                             std::vector<int64_t> &symbols) const {
  const Model &model = program_.model();
  const tsr::Symbol *symbol = model.root().symbols()->Get(s);
  // The loader checked that the numerator uses only earlier symbols.
  int64_t value = floorDivide(Model::evaluate(*symbol->numerator(), symbols),
                              symbol->divisor());
  bool conflicts = symbols[s] >= 0 && symbols[s] != value;
  if (!conflicts && value >= symbol->min() && value <= symbol->max()) {
    symbols[s] = value;
    return Status::ok();
  }
  // The messages only: a run that binds its symbols formats nothing.
  std::string name = symbol->name()->str();
  std::string definition = model.formatDefinition(*symbol);
  if (conflicts)
    return badInput("input '" + boundBy[s] + "' gives " + name + " = " +
                    std::to_string(symbols[s]) +
                    ", but the other inputs' sizes " + "give " + definition +
                    " = " + std::to_string(value));
  // Computed from input sizes: the inputs, not a bound, are what to change
  // (a strided window that finds no position, a size the graph fixes).
  return badInput("the input sizes give " + name + " = " + definition + " = " +
                  std::to_string(value) + ", outside [" +
                  std::to_string(symbol->min()) + ", " +
                  std::to_string(symbol->max()) +
                  "], the sizes the model was compiled for (an input too small "
                  "for its windows, or a size the graph fixes)");
}

Status Session::bindSymbols(const std::vector<HostTensor> &inputs,
                            std::vector<const HostTensor *> &ordered,
                            std::vector<int64_t> &symbols) const {
  const Model &model = program_.model();
  const tsr::Model &root = model.root();
  std::string expected;
  for (const tsr::TensorInfo *info : *root.inputs())
    expected += (expected.empty() ? "" : ", ") + info->name()->str();
  ordered.assign(root.inputs()->size(), nullptr);
  for (const HostTensor &input : inputs) {
    bool found = false;
    for (uint32_t i = 0; i < root.inputs()->size(); ++i) {
      if (root.inputs()->Get(i)->name()->str() != input.name)
        continue;
      if (ordered[i])
        return badInput("input '" + input.name + "' is given twice");
      ordered[i] = &input;
      found = true;
    }
    if (!found)
      return badInput("the model has no input named '" + input.name +
                      "'; its inputs are: " + expected);
  }
  for (uint32_t i = 0; i < ordered.size(); ++i)
    if (!ordered[i])
      return badInput("input '" + root.inputs()->Get(i)->name()->str() +
                      "' is missing; the model's inputs are: " + expected);

  uint32_t symbolCount = root.symbols() ? root.symbols()->size() : 0;
  symbols.assign(symbolCount, -1);
  std::vector<std::string> boundBy(symbolCount);
  // First pass: every dimension that is one symbol (times a constant)
  // gives the symbol's value; all must agree.
  for (uint32_t i = 0; i < ordered.size(); ++i) {
    const tsr::TensorInfo *info = root.inputs()->Get(i);
    const HostTensor &input = *ordered[i];
    if (input.type != info->element_type())
      return badInput("input '" + input.name + "' has element type " +
                      elementTypeName(input.type) + " but the model expects " +
                      elementTypeName(info->element_type()));
    uint32_t rank = info->shape() ? info->shape()->size() : 0;
    if (input.shape.size() != rank)
      return badInput("input '" + input.name + "' has rank " +
                      std::to_string(input.shape.size()) + " " +
                      shapeText(input.shape) + " but the model expects rank " +
                      std::to_string(rank));
    // The element count, without overflow: a shape whose data could not
    // fit in memory cannot match what the caller holds.
    uint64_t elements = 1;
    bool fits = true;
    for (int64_t dim : input.shape) {
      if (dim < 0)
        return badInput("input '" + input.name + "' has a negative size");
      uint64_t d = static_cast<uint64_t>(dim);
      fits = fits && (d == 0 || elements <= (UINT64_MAX / 8) / d);
      elements = fits ? elements * d : elements;
    }
    if (!fits || (!input.onDevice &&
                  elements * hostElementSize(input.type) != input.data.size()))
      return badInput("input '" + input.name + "' holds " +
                      std::to_string(input.data.size()) + " bytes, but shape " +
                      shapeText(input.shape) + " needs " +
                      (fits ? std::to_string(elements *
                                             hostElementSize(input.type))
                            : std::string("more than fits in memory")));
    for (uint32_t d = 0; d < rank; ++d) {
      const tsr::DimExpr *dim = info->shape()->Get(d);
      // Symbols are read from dims that are a multiple of one symbol; the
      // others (b*s, past + seq) are checked below.
      if (!dim->symbols() || dim->symbols()->size() != 1 || dim->terms())
        continue;
      uint32_t symbol = dim->symbols()->Get(0);
      const std::string &name = root.symbols()->Get(symbol)->name()->str();
      if (input.shape[d] % dim->coefficient() != 0)
        return badInput(
            "input '" + input.name + "' dimension " + std::to_string(d) +
            " is " + std::to_string(input.shape[d]) + ", not a multiple of " +
            std::to_string(dim->coefficient()) + " (" + model.format(*dim) +
            ")");
      int64_t value = input.shape[d] / dim->coefficient();
      if (symbols[symbol] >= 0 && symbols[symbol] != value)
        return badInput("input '" + input.name + "' dimension " +
                        std::to_string(d) + " gives " + name + " = " +
                        std::to_string(value) + ", but input '" +
                        boundBy[symbol] + "' gives " + name + " = " +
                        std::to_string(symbols[symbol]));
      symbols[symbol] = value;
      boundBy[symbol] = input.name;
    }
  }
  for (uint32_t s = 0; s < symbolCount; ++s) {
    const tsr::Symbol *symbol = root.symbols()->Get(s);
    if (symbol->divisor() > 0) {
      if (Status st = deriveSymbol(s, boundBy, symbols); !st.isOk())
        return st;
      continue;
    }
    if (symbols[s] < 0)
      return badInput("no input determines the dynamic dimension '" +
                      symbol->name()->str() + "'");
    if (symbols[s] < symbol->min() || symbols[s] > symbol->max()) {
      // Memory and tiles are planned for the bounds: a wider run needs the
      // model compiled for wider ones.
      // A larger upper bound only costs memory; a lower bound above 1 is
      // either --dim's or what the graph needs (tessera-compile says which).
      std::string name = symbol->name()->str();
      std::string outside = "input '" + boundBy[s] + "' gives " + name + " = " +
                            std::to_string(symbols[s]) +
                            ", outside the compiled bounds [" +
                            std::to_string(symbol->min()) + ", " +
                            std::to_string(symbol->max()) + "]";
      if (symbols[s] < symbol->min())
        return badInput(outside + "; the model was compiled for " + name +
                        " >= " + std::to_string(symbol->min()) +
                        " (tessera-compile's remarks say why)");
      return badInput(outside +
                      "; to run it, recompile with tessera-compile --dim " +
                      name + "=" + std::to_string(symbol->min()) + ":" +
                      std::to_string(symbols[s]) + " (or wider)");
    }
  }
  // Second pass: every dimension must match.
  for (uint32_t i = 0; i < ordered.size(); ++i) {
    const tsr::TensorInfo *info = root.inputs()->Get(i);
    for (uint32_t d = 0; d < ordered[i]->shape.size(); ++d) {
      int64_t want = Model::evaluate(*info->shape()->Get(d), symbols);
      if (ordered[i]->shape[d] != want)
        return badInput("input '" + ordered[i]->name + "' has shape " +
                        shapeText(ordered[i]->shape) + " but dimension " +
                        std::to_string(d) + " must be " + std::to_string(want) +
                        " (" + model.format(*info->shape()->Get(d)) + ")");
    }
  }
  return Status::ok();
}

Status Session::checkIndices(const std::vector<const HostTensor *> &inputs,
                             const std::vector<int64_t> &symbols) const {
  const Model &model = program_.model();
  const tsr::Model &root = model.root();
  for (uint32_t i = 0; i < root.dispatches()->size(); ++i) {
    const tsr::Executable *executable =
        root.executables()->Get(root.dispatches()->Get(i)->executable());
    if (!executable->index_checks())
      continue;
    const auto *words = reinterpret_cast<const int32_t *>(
        status_->data() + statusOffsets_[i]);
    for (uint32_t c = 0; c < executable->index_checks()->size(); ++c) {
      if (words[c] == tsr::kNoBadIndex)
        continue;
      const tsr::IndexCheck &check = *executable->index_checks()->Get(c);
      int64_t extent = Model::evaluate(*check.extent(), symbols);
      std::string range = "[" + std::to_string(-extent) + ", " +
                          std::to_string(extent) + ")";
      std::string what = check.what() ? check.what()->str() : "a gather";
      int64_t flat = words[c];
      // Where the bad index lies: in a model input, with its value, or at a
      // place of an index tensor the model computed.
      if (check.input() >= 0) {
        const HostTensor &input = *inputs[check.input()];
        int64_t count = static_cast<int64_t>(input.data.size() / 4);
        if (input.type == tsr::ElementType::I32 && flat < count) {
          int32_t value;
          std::memcpy(&value, input.data.data() + 4 * flat, 4);
          return badInput(input.name + shapeText(unravel(flat, input.shape)) +
                          " = " + std::to_string(value) + " is outside " +
                          range + ", the indices that " + what + " can read");
        }
      }
      std::vector<int64_t> shape;
      if (check.indices_shape())
        for (const tsr::DimExpr *dim : *check.indices_shape())
          shape.push_back(Model::evaluate(*dim, symbols));
      return badInput(what + " read an index outside " + range +
                      " at position " + shapeText(unravel(flat, shape)) +
                      " of its indices, which the model computes");
    }
  }
  return Status::ok();
}

uint64_t Session::storedBytes(const tsr::TensorInfo &info,
                              const std::vector<int64_t> &symbols) const {
  uint64_t elements = 1;
  if (info.shape())
    for (const tsr::DimExpr *dim : *info.shape())
      elements *= static_cast<uint64_t>(Model::evaluate(*dim, symbols));
  return elements * storedElementSize(info.element_type());
}

Status Session::carry(const std::string &output, const std::string &input) {
  const tsr::Model &root = program_.model().root();
  auto find = [](const auto *list, const std::string &name) -> int64_t {
    for (uint32_t i = 0; i < list->size(); ++i)
      if (list->Get(i)->name()->str() == name)
        return i;
    return -1;
  };
  int64_t out = find(root.outputs(), output), in = find(root.inputs(), input);
  if (out < 0 || in < 0)
    return Status(TESSERA_ERROR_INVALID_ARGUMENT,
                  "cannot carry '" + output + "' into '" + input +
                      "': the "
                      "model has no " +
                      (out < 0 ? "output '" + output : "input '" + input) +
                      "'");
  const tsr::TensorInfo *o = root.outputs()->Get(out);
  const tsr::TensorInfo *i = root.inputs()->Get(in);
  if (o->element_type() != i->element_type() ||
      (o->shape() ? o->shape()->size() : 0) !=
          (i->shape() ? i->shape()->size() : 0))
    return Status(TESSERA_ERROR_INVALID_ARGUMENT,
                  "cannot carry '" + output + "' into '" + input +
                      "': their element types or ranks differ");
  for (const Carry &carry : carries_) {
    if (carry.input == in && carry.output == out)
      return Status::ok();
    if (carry.input == in)
      return Status(TESSERA_ERROR_INVALID_ARGUMENT,
                    "input '" + input + "' is carried into already");
  }
  Carry carry;
  carry.output = static_cast<uint32_t>(out);
  carry.input = static_cast<uint32_t>(in);
  uint64_t size = std::max<uint64_t>(
      root.buffers()->Get(o->buffer())->max_size(), tsr::kBufferAlignment);
  if (Status s = Buffer::create(*program_.device(), size, "carried output",
                                carry.held);
      !s.isOk())
    return s;
  carries_.push_back(std::move(carry));
  return Status::ok();
}

Status Session::record(const std::vector<int64_t> &symbols,
                       const std::vector<const Carry *> &carriedIn) {
  const tsr::Model &model = program_.model().root();
  VkCommandBufferBeginInfo begin{};
  begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  if (VkResult r = vkResetCommandBuffer(commands_, 0); r != VK_SUCCESS)
    return vulkanFailure("vkResetCommandBuffer", r);
  if (VkResult r = vkBeginCommandBuffer(commands_, &begin); r != VK_SUCCESS)
    return vulkanFailure("vkBeginCommandBuffer", r);
  auto barrier = [&](VkPipelineStageFlags dstStage, VkAccessFlags dstAccess) {
    VkMemoryBarrier memory{};
    memory.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    memory.srcAccessMask =
        VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT;
    memory.dstAccessMask = dstAccess;
    vkCmdPipelineBarrier(commands_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                         dstStage, 0, 1, &memory, 0, nullptr, 0, nullptr);
  };
  const tsr::Model &root = model;
  // Carried inputs: the last run's outputs, from where they were held.
  for (const Carry *carry : carriedIn) {
    const tsr::TensorInfo *info = root.inputs()->Get(carry->input);
    VkBufferCopy region{};
    region.dstOffset = root.buffers()->Get(info->buffer())->offset();
    region.size = storedBytes(*info, symbols);
    if (region.size)
      vkCmdCopyBuffer(commands_, carry->held->handle(), arena_->handle(), 1,
                      &region);
  }
  if (!carriedIn.empty()) {
    VkMemoryBarrier memory{};
    memory.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    memory.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    memory.dstAccessMask =
        VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
    vkCmdPipelineBarrier(commands_, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &memory, 0,
                         nullptr, 0, nullptr);
  }
  bool profile = profiling();
  if (profile) {
    vkCmdResetQueryPool(commands_, queries_, 0,
                        model.dispatches()->size() + 1);
    vkCmdWriteTimestamp(commands_, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                        queries_, 0);
  }
  for (uint32_t i = 0; i < model.dispatches()->size(); ++i) {
    const tsr::Dispatch *dispatch = model.dispatches()->Get(i);
    uint32_t counts[3];
    for (uint32_t axis = 0; axis < 3; ++axis) {
      const tsr::WorkgroupCount *count = dispatch->workgroups()->Get(axis);
      int64_t extent = Model::evaluate(*count->extent(), symbols);
      int64_t groups = (extent + count->divisor() - 1) / count->divisor();
      if (groups > 65535)
        return Status(TESSERA_ERROR_UNSUPPORTED,
                      "dispatch " + std::to_string(i) + " needs " +
                          std::to_string(groups) +
                          " workgroups along one axis; more than 65535 is "
                          "not supported yet");
      counts[axis] = static_cast<uint32_t>(groups);
    }
    if (dispatch->barrier_before())
      barrier(VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
              VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
    // An empty tensor has nothing to compute.
    if (counts[0] != 0 && counts[1] != 0 && counts[2] != 0) {
      const Pipeline &pipeline = program_.pipeline(dispatch->executable());
      vkCmdBindPipeline(commands_, VK_PIPELINE_BIND_POINT_COMPUTE,
                        pipeline.handle());
      vkCmdBindDescriptorSets(commands_, VK_PIPELINE_BIND_POINT_COMPUTE,
                              pipeline.layout(), 0, 1, &sets_[i], 0, nullptr);
      vkCmdDispatch(commands_, counts[0], counts[1], counts[2]);
    }
    if (profile)
      vkCmdWriteTimestamp(commands_, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                          queries_, i + 1);
  }
  // Carried outputs are held for the next run, on the device.
  if (!carries_.empty()) {
    VkMemoryBarrier memory{};
    memory.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    memory.srcAccessMask =
        VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT;
    memory.dstAccessMask =
        VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT;
    vkCmdPipelineBarrier(
        commands_,
        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
        VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &memory, 0, nullptr, 0, nullptr);
    for (const Carry &carry : carries_) {
      const tsr::TensorInfo *info = root.outputs()->Get(carry.output);
      VkBufferCopy region{};
      region.srcOffset = root.buffers()->Get(info->buffer())->offset();
      region.size = storedBytes(*info, symbols);
      if (region.size)
        vkCmdCopyBuffer(commands_, arena_->handle(), carry.held->handle(), 1,
                        &region);
    }
    VkMemoryBarrier host{};
    host.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(commands_, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &host, 0, nullptr, 0,
                         nullptr);
  }
  barrier(VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
  if (VkResult r = vkEndCommandBuffer(commands_); r != VK_SUCCESS)
    return vulkanFailure("vkEndCommandBuffer", r);
  return Status::ok();
}

Status Session::run(const std::vector<HostTensor> &given) {
  const Model &model = program_.model();
  const tsr::Model &root = model.root();
  // A carried input the caller leaves out comes from the last run.
  std::vector<HostTensor> inputs = given;
  std::vector<const Carry *> carriedIn;
  for (const Carry &carry : carries_) {
    const std::string name = root.inputs()->Get(carry.input)->name()->str();
    bool givenByCaller =
        std::any_of(given.begin(), given.end(),
                    [&](const HostTensor &t) { return t.name == name; });
    if (givenByCaller || !carry.valid)
      continue;
    HostTensor placeholder;
    placeholder.name = name;
    placeholder.type = root.inputs()->Get(carry.input)->element_type();
    placeholder.shape = carry.shape;
    placeholder.onDevice = true;
    inputs.push_back(std::move(placeholder));
    carriedIn.push_back(&carry);
  }
  std::vector<const HostTensor *> ordered;
  std::vector<int64_t> symbols;
  if (Status s = bindSymbols(inputs, ordered, symbols); !s.isOk())
    return s;

  for (uint32_t i = 0; i < ordered.size(); ++i) {
    const HostTensor &input = *ordered[i];
    if (input.onDevice)
      continue;
    const tsr::Buffer *buffer =
        root.buffers()->Get(root.inputs()->Get(i)->buffer());
    char *target = arena_->data() + buffer->offset();
    uint64_t stored = input.data.size() / hostElementSize(input.type) *
                      storedElementSize(input.type);
    if (stored > buffer->max_size())
      return Status(TESSERA_ERROR_INVALID_MODEL,
                    model.name() + ": input '" + input.name +
                        "' does not fit the buffer the model plans for it");
    if (input.type == tsr::ElementType::Bool) {
      for (size_t e = 0; e < input.data.size(); ++e) {
        int32_t value = input.data[e] != 0;
        std::memcpy(target + 4 * e, &value, 4);
      }
    } else {
      std::memcpy(target, input.data.data(), input.data.size());
    }
  }
  for (uint32_t i = 0; i < root.dispatches()->size(); ++i) {
    const tsr::Executable *executable =
        root.executables()->Get(root.dispatches()->Get(i)->executable());
    if (!executable->params())
      continue;
    char *slot = params_->data() + paramOffsets_[i];
    for (uint32_t p = 0; p < executable->params()->size(); ++p) {
      int64_t value = Model::evaluate(*executable->params()->Get(p), symbols);
      if (value > INT32_MAX)
        return Status(TESSERA_ERROR_UNSUPPORTED,
                      "a size of " + std::to_string(value) +
                          " does not fit the kernels' 32-bit indices");
      int32_t narrow = static_cast<int32_t>(value);
      std::memcpy(slot + 4 * p, &narrow, 4);
    }
  }
  for (const tsr::TensorInfo *info : *root.outputs())
    if (storedBytes(*info, symbols) >
        root.buffers()->Get(info->buffer())->max_size())
      return Status(TESSERA_ERROR_INVALID_MODEL,
                    model.name() + ": output '" + info->name()->str() +
                        "' does not fit the buffer the model plans for it");

  // Every index check starts with no bad index seen.
  std::fill_n(reinterpret_cast<int32_t *>(status_->data()),
              status_->size() / 4, tsr::kNoBadIndex);
  hasRun_ = false;
  if (Status s = record(symbols, carriedIn); !s.isOk())
    return s;
  VkSubmitInfo submit{};
  submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &commands_;
  auto start = std::chrono::steady_clock::now();
  if (VkResult r =
          vkQueueSubmit(program_.device()->queue(), 1, &submit, fence_);
      r != VK_SUCCESS)
    return vulkanFailure("vkQueueSubmit", r);
  VkResult waited = vkWaitForFences(device_, 1, &fence_, VK_TRUE, UINT64_MAX);
  lastRunSeconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  vkResetFences(device_, 1, &fence_);
  if (waited != VK_SUCCESS)
    return vulkanFailure("vkWaitForFences", waited);
  dispatchSeconds_.clear();
  if (profiling())
    if (Status s = readTimestamps(); !s.isOk())
      return s;
  if (Status s = checkIndices(ordered, symbols); !s.isOk()) {
    resetCarries();
    return s;
  }
  lastSymbols_ = symbols;
  hasRun_ = true;
  for (Carry &carry : carries_) {
    carry.shape = outputShape(carry.output);
    carry.valid = true;
  }
  return Status::ok();
}

std::vector<int64_t> Session::outputShape(uint32_t index) const {
  std::vector<int64_t> shape;
  const tsr::TensorInfo *info = program_.model().root().outputs()->Get(index);
  if (info->shape())
    for (const tsr::DimExpr *dim : *info->shape())
      shape.push_back(Model::evaluate(*dim, lastSymbols_));
  return shape;
}

Status Session::readOutputFloats(uint32_t index, int64_t first, int64_t count,
                                 std::vector<float> &out) const {
  const tsr::Model &root = program_.model().root();
  if (!hasRun_ || index >= root.outputs()->size())
    return Status(TESSERA_ERROR_INVALID_ARGUMENT,
                  "no output " + std::to_string(index) + " of a last run");
  const tsr::TensorInfo *info = root.outputs()->Get(index);
  tsr::ElementType type = info->element_type();
  uint64_t size = storedElementSize(type);
  if ((type != tsr::ElementType::F32 && type != tsr::ElementType::F16) ||
      first < 0 || count < 0 ||
      static_cast<uint64_t>(first + count) * size >
          storedBytes(*info, lastSymbols_))
    return Status(TESSERA_ERROR_INVALID_ARGUMENT,
                  "output '" + info->name()->str() +
                      "' has no float elements [" + std::to_string(first) +
                      ", " + std::to_string(first + count) + ")");
  const char *source = arena_->data() +
                       root.buffers()->Get(info->buffer())->offset() +
                       first * size;
  out.resize(count);
  if (type == tsr::ElementType::F32) {
    std::memcpy(out.data(), source, count * 4);
  } else {
    for (int64_t e = 0; e < count; ++e) {
      uint16_t half;
      std::memcpy(&half, source + 2 * e, 2);
      out[e] = tessera_f16_to_f32(half);
    }
  }
  return Status::ok();
}

Status Session::readOutput(uint32_t index, HostTensor &output) const {
  const tsr::Model &root = program_.model().root();
  if (!hasRun_)
    return Status(TESSERA_ERROR_INVALID_ARGUMENT,
                  "no output yet: the program has not run (successfully)");
  if (index >= root.outputs()->size())
    return Status(TESSERA_ERROR_INVALID_ARGUMENT,
                  "no output " + std::to_string(index) + " (the model has " +
                      std::to_string(root.outputs()->size()) + ")");
  const tsr::TensorInfo *info = root.outputs()->Get(index);
  output = HostTensor();
  output.name = info->name()->str();
  output.type = info->element_type();
  output.shape = outputShape(index);
  int64_t elements = 1;
  for (int64_t dim : output.shape)
    elements *= dim;
  const char *source =
      arena_->data() + root.buffers()->Get(info->buffer())->offset();
  output.data.resize(elements * hostElementSize(output.type));
  if (output.type == tsr::ElementType::Bool) {
    for (int64_t e = 0; e < elements; ++e) {
      int32_t value;
      std::memcpy(&value, source + 4 * e, 4);
      output.data[e] = value != 0;
    }
  } else {
    std::memcpy(output.data.data(), source, output.data.size());
  }
  return Status::ok();
}

} // namespace tessera::runtime
