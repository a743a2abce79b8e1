//===- c_api.cpp - The C API over the runtime's objects -------------------===//

#include "handles.h"
#include "instance.h"
#include "kernel_check.h"
#include "session.h"

#include "tessera/runtime.h"

#include <new>

using tessera::runtime::Instance;
using tessera::runtime::invalidArgument;
using tessera::runtime::reportStatus;
using tessera::runtime::Status;

namespace {
/// `function` was asked for the `index`-th `what` of a program that has
/// `count`.
Status noSuch(const char *function, const char *what, uint32_t index,
              uint32_t count) {
  return invalidArgument(std::string(function) + ": no " + what + " " +
                         std::to_string(index) + " (the program has " +
                         std::to_string(count) + ")");
}

/// A signature as the C API gives it: dynamic dims -1, no data.
tessera_status signature(const tessera::tsr::TensorInfo &info,
                         tessera_tensor *out) {
  *out = {};
  out->name = info.name()->c_str();
  out->element_type = static_cast<tessera_element_type>(info.element_type());
  out->rank = info.shape() ? info.shape()->size() : 0;
  if (out->rank > TESSERA_MAX_RANK)
    return reportStatus(Status(TESSERA_ERROR_UNSUPPORTED,
                               std::string("tensor '") + out->name +
                                   "' has a rank above TESSERA_MAX_RANK"));
  for (uint32_t d = 0; d < out->rank; ++d) {
    const tessera::tsr::DimExpr *dim = info.shape()->Get(d);
    bool dynamic = (dim->symbols() && dim->symbols()->size() > 0) ||
                   (dim->terms() && dim->terms()->size() > 0);
    out->shape[d] = dynamic ? -1 : dim->coefficient();
  }
  return TESSERA_OK;
}

/// Input or output `index`'s signature, for the C function `function`.
tessera_status signatureAt(tessera_program program, bool output, uint32_t index,
                           tessera_tensor *out, const char *function) {
  if (!program || !out)
    return reportStatus(invalidArgument(std::string(function) +
                                        ": program or out_signature is NULL"));
  const tessera::tsr::Model &model = program->program->model().root();
  const auto *tensors = output ? model.outputs() : model.inputs();
  if (index >= tensors->size())
    return reportStatus(
        noSuch(function, output ? "output" : "input", index, tensors->size()));
  return signature(*tensors->Get(index), out);
}

/// Each axis of each tensor as text ("seq", "past + seq", "256").
std::vector<std::vector<std::string>> dimTexts(
    const tessera::runtime::Model &model,
    const flatbuffers::Vector<flatbuffers::Offset<tessera::tsr::TensorInfo>>
        &tensors) {
  std::vector<std::vector<std::string>> texts;
  for (const tessera::tsr::TensorInfo *info : tensors) {
    std::vector<std::string> &axes = texts.emplace_back();
    if (info->shape())
      for (const tessera::tsr::DimExpr *dim : *info->shape())
        axes.push_back(model.format(*dim));
  }
  return texts;
}
} // namespace

namespace tessera::runtime {
Status hostTensors(const tessera_tensor *tensors, uint32_t count,
                   const std::string &caller, std::vector<HostTensor> &out) {
  out.assign(count, HostTensor());
  for (uint32_t i = 0; i < count; ++i) {
    const tessera_tensor &tensor = tensors[i];
    if (!tensor.name || (tensor.size && !tensor.data) ||
        tensor.rank > TESSERA_MAX_RANK || tensor.element_type > TESSERA_F16)
      return Status(TESSERA_ERROR_INVALID_INPUT,
                    caller + "input " + std::to_string(i) +
                        " has no name, no data, an unknown element type or "
                        "too high a rank");
    HostTensor &host = out[i];
    host.name = tensor.name;
    host.type = static_cast<tsr::ElementType>(tensor.element_type);
    host.shape.assign(tensor.shape, tensor.shape + tensor.rank);
    const char *bytes = static_cast<const char *>(tensor.data);
    host.data.assign(bytes, bytes + tensor.size);
  }
  return Status::ok();
}
} // namespace tessera::runtime

namespace {
/// Loads through `load(device, options, program)` (from a file or from
/// memory) and fills the handle around the program.
template <typename Load>
tessera_status loadProgram(uint32_t device_index,
                           const tessera_program_options *options,
                           tessera_program *out_program, Load load) {
  *out_program = nullptr;
  auto handle = std::make_unique<tessera_program_t>();
  std::optional<uint32_t> device;
  if (device_index != TESSERA_NO_DEVICE)
    device = device_index;
  tessera::runtime::Program::Options loadOptions;
  loadOptions.checkKernels = !(options && options->trust_kernels);
  if (options) {
    loadOptions.threads = options->pipeline_threads;
    if (auto *log = options->log)
      loadOptions.log =
          [log, data = options->log_user_data](const std::string &line) {
            log(data, line.c_str());
          };
  }
  if (Status s = load(device, loadOptions, handle->program); !s.isOk())
    return reportStatus(s);
  if (device)
    if (Status s = tessera::runtime::Session::create(*handle->program,
                                                     handle->session);
        !s.isOk())
      return reportStatus(s);
  const tessera::runtime::Model &model = handle->program->model();
  handle->description = model.describe();
  handle->inputDims = dimTexts(model, *model.root().inputs());
  handle->outputDims = dimTexts(model, *model.root().outputs());
  for (uint32_t i = 0; i < model.root().dispatches()->size(); ++i)
    handle->dispatchLabels.push_back(model.dispatchLabel(i));
  *out_program = handle.release();
  return TESSERA_OK;
}
} // namespace

extern "C" {

tessera_status tessera_instance_create(const tessera_instance_options *options,
                                       tessera_instance *out_instance) {
  if (!out_instance)
    return reportStatus(
        invalidArgument("tessera_instance_create: out_instance is NULL"));
  *out_instance = nullptr;
  bool validation = options && options->enable_validation;
  auto handle = std::unique_ptr<tessera_instance_t>(new (std::nothrow)
                                                        tessera_instance_t);
  if (!handle)
    return reportStatus(Status(TESSERA_ERROR_VULKAN, "out of host memory"));
  if (Status status = Instance::create(validation, handle->impl);
      !status.isOk())
    return reportStatus(status);
  *out_instance = handle.release();
  return TESSERA_OK;
}

void tessera_instance_destroy(tessera_instance instance) { delete instance; }

uint32_t tessera_instance_device_count(tessera_instance instance) {
  return instance ? static_cast<uint32_t>(instance->impl->devices().size()) : 0;
}

tessera_status tessera_instance_device_info(tessera_instance instance,
                                            uint32_t index,
                                            tessera_device_info *out_info) {
  if (!instance || !out_info)
    return reportStatus(invalidArgument(
        "tessera_instance_device_info: instance or out_info is NULL"));
  const auto &devices = instance->impl->devices();
  if (index >= devices.size())
    return reportStatus(invalidArgument(
        "tessera_instance_device_info: device index " + std::to_string(index) +
        " is out of range (" + std::to_string(devices.size()) + " devices)"));
  *out_info = devices[index];
  return TESSERA_OK;
}

tessera_status tessera_instance_select_device(tessera_instance instance,
                                              const char *selector,
                                              uint32_t *out_index) {
  if (!instance || !out_index)
    return reportStatus(invalidArgument(
        "tessera_instance_select_device: instance or out_index is NULL"));
  return reportStatus(
      instance->impl->selectDevice(selector ? selector : "", *out_index));
}

uint32_t tessera_instance_validation_message_count(tessera_instance instance) {
  return instance ? instance->impl->validationMessageCount() : 0;
}

tessera_status tessera_program_load(tessera_instance instance, const char *path,
                                    uint32_t device_index,
                                    tessera_program *out_program) {
  return tessera_program_load_with_options(instance, path, device_index,
                                           nullptr, out_program);
}

tessera_status tessera_program_load_with_options(
    tessera_instance instance, const char *path, uint32_t device_index,
    const tessera_program_options *options, tessera_program *out_program) {
  if (!instance || !path || !out_program)
    return reportStatus(invalidArgument(
        "tessera_program_load: instance, path or out_program is NULL"));
  return loadProgram(device_index, options, out_program,
                     [&](std::optional<uint32_t> device,
                         const tessera::runtime::Program::Options &loadOptions,
                         std::unique_ptr<tessera::runtime::Program> &program) {
                       return tessera::runtime::Program::load(
                           *instance->impl, path, device, loadOptions, program);
                     });
}

tessera_status tessera_program_load_from_memory(
    tessera_instance instance, const void *data, size_t size, const char *name,
    uint32_t device_index, const tessera_program_options *options,
    tessera_program *out_program) {
  if (!instance || (!data && size) || !out_program)
    return reportStatus(
        invalidArgument("tessera_program_load_from_memory: instance, data or "
                        "out_program is NULL"));
  const char *bytes = static_cast<const char *>(data);
  std::string label = name && *name ? name : "<memory>";
  return loadProgram(
      device_index, options, out_program,
      [&](std::optional<uint32_t> device,
          const tessera::runtime::Program::Options &loadOptions,
          std::unique_ptr<tessera::runtime::Program> &program) {
        std::unique_ptr<tessera::runtime::Model> model;
        if (Status s = tessera::runtime::Model::fromBytes(
                std::vector<char>(bytes, bytes + size), label, model);
            !s.isOk())
          return s;
        return tessera::runtime::Program::load(
            *instance->impl, std::move(model), device, loadOptions, program);
      });
}

void tessera_program_destroy(tessera_program program) { delete program; }

const char *tessera_program_describe(tessera_program program) {
  return program ? program->description.c_str() : "";
}

uint32_t tessera_program_dispatch_count(tessera_program program) {
  return program ? program->program->model().root().dispatches()->size() : 0;
}

uint32_t tessera_program_input_count(tessera_program program) {
  return program ? program->program->model().root().inputs()->size() : 0;
}

uint32_t tessera_program_output_count(tessera_program program) {
  return program ? program->program->model().root().outputs()->size() : 0;
}

tessera_status tessera_program_input(tessera_program program, uint32_t index,
                                     tessera_tensor *out_signature) {
  return signatureAt(program, /*output=*/false, index, out_signature,
                     "tessera_program_input");
}

tessera_status tessera_program_output_signature(tessera_program program,
                                                uint32_t index,
                                                tessera_tensor *out_signature) {
  return signatureAt(program, /*output=*/true, index, out_signature,
                     "tessera_program_output_signature");
}

uint32_t tessera_program_dim_count(tessera_program program) {
  if (!program)
    return 0;
  const auto *symbols = program->program->model().root().symbols();
  return symbols ? symbols->size() : 0;
}

tessera_status tessera_program_dim_info(tessera_program program, uint32_t index,
                                        tessera_dim_info *out_info) {
  if (!program || !out_info)
    return reportStatus(invalidArgument(
        "tessera_program_dim_info: program or out_info is NULL"));
  uint32_t count = tessera_program_dim_count(program);
  if (index >= count)
    return reportStatus(
        noSuch("tessera_program_dim_info", "dimension", index, count));
  const tessera::tsr::Symbol *symbol =
      program->program->model().root().symbols()->Get(index);
  *out_info = {symbol->name()->c_str(), symbol->min(), symbol->max()};
  return TESSERA_OK;
}

tessera_status tessera_program_dim_text(tessera_program program, int output,
                                        uint32_t index, uint32_t axis,
                                        const char **out_text) {
  if (!program || !out_text)
    return reportStatus(invalidArgument(
        "tessera_program_dim_text: program or out_text is NULL"));
  const auto &tensors = output ? program->outputDims : program->inputDims;
  const char *what = output ? "output" : "input";
  if (index >= tensors.size())
    return reportStatus(noSuch("tessera_program_dim_text", what, index,
                               static_cast<uint32_t>(tensors.size())));
  if (axis >= tensors[index].size())
    return reportStatus(noSuch("tessera_program_dim_text", "axis", axis,
                               static_cast<uint32_t>(tensors[index].size())));
  *out_text = tensors[index][axis].c_str();
  return TESSERA_OK;
}

tessera_status tessera_program_run(tessera_program program,
                                   const tessera_tensor *inputs,
                                   uint32_t input_count) {
  if (!program || (input_count && !inputs))
    return reportStatus(
        invalidArgument("tessera_program_run: program or inputs is NULL"));
  if (!program->session)
    return reportStatus(invalidArgument(
        "tessera_program_run: the program was loaded without a device"));
  std::vector<tessera::runtime::HostTensor> hostInputs;
  if (Status s =
          tessera::runtime::hostTensors(inputs, input_count, "", hostInputs);
      !s.isOk())
    return reportStatus(s);
  Status status = program->session->run(hostInputs);
  uint32_t outputCount = program->program->model().root().outputs()->size();
  program->outputs.assign(status.isOk() ? outputCount : 0, {});
  program->outputsRead.assign(program->outputs.size(), false);
  // Every kernel has been dispatched (and so compiled) once: a run may
  // stop early only by failing.
  if (status.isOk())
    program->program->recordKernelsCompiled();
  return reportStatus(status);
}

tessera_status tessera_program_output(tessera_program program, uint32_t index,
                                      tessera_tensor *out_tensor) {
  if (!program || !out_tensor)
    return reportStatus(invalidArgument(
        "tessera_program_output: program or out_tensor is NULL"));
  if (index >= program->outputs.size())
    return reportStatus(invalidArgument("tessera_program_output: no output " +
                                        std::to_string(index) +
                                        " (has the program run?)"));
  if (!program->outputsRead[index]) {
    if (Status s = program->session->readOutput(index, program->outputs[index]);
        !s.isOk())
      return reportStatus(s);
    program->outputsRead[index] = true;
  }
  const auto &output = program->outputs[index];
  *out_tensor = {};
  out_tensor->name = output.name.c_str();
  out_tensor->element_type = static_cast<tessera_element_type>(output.type);
  out_tensor->rank = static_cast<uint32_t>(output.shape.size());
  for (uint32_t d = 0; d < out_tensor->rank && d < TESSERA_MAX_RANK; ++d)
    out_tensor->shape[d] = output.shape[d];
  out_tensor->data = output.data.data();
  out_tensor->size = output.data.size();
  return TESSERA_OK;
}

tessera_status tessera_program_carry(tessera_program program,
                                     const char *output, const char *input) {
  if (!program || !output || !input)
    return reportStatus(invalidArgument(
        "tessera_program_carry: program, output or input is NULL"));
  if (!program->session)
    return reportStatus(invalidArgument(
        "tessera_program_carry: the program was loaded without a device"));
  return reportStatus(program->session->carry(output, input));
}

tessera_status tessera_program_reset_carried(tessera_program program) {
  if (!program || !program->session)
    return reportStatus(invalidArgument(
        "tessera_program_reset_carried: no program, or one without a "
        "device"));
  program->session->resetCarries();
  return TESSERA_OK;
}

double tessera_program_last_run_seconds(tessera_program program) {
  return program && program->session ? program->session->lastRunSeconds() : 0;
}

tessera_status tessera_program_dispatch_info(tessera_program program,
                                             uint32_t index,
                                             tessera_dispatch_info *out_info) {
  if (!program || !out_info)
    return reportStatus(invalidArgument(
        "tessera_program_dispatch_info: program or out_info is NULL"));
  const tessera::runtime::Model &model = program->program->model();
  uint32_t count = model.root().dispatches()->size();
  if (index >= count)
    return reportStatus(
        noSuch("tessera_program_dispatch_info", "dispatch", index, count));
  const tessera::tsr::Executable *executable = model.root().executables()->Get(
      model.root().dispatches()->Get(index)->executable());
  *out_info = {};
  out_info->name = executable->name()->c_str();
  out_info->kind = executable->kind() ? executable->kind()->c_str() : "";
  out_info->ops = executable->ops() ? executable->ops()->c_str() : "";
  out_info->label = program->dispatchLabels[index].c_str();
  return TESSERA_OK;
}

uint32_t tessera_program_kernel_count(tessera_program program) {
  return program ? program->program->model().root().executables()->size() : 0;
}

tessera_status tessera_program_kernel_info(tessera_program program,
                                           uint32_t index,
                                           tessera_kernel_info *out_info) {
  if (!program || !out_info)
    return reportStatus(invalidArgument(
        "tessera_program_kernel_info: program or out_info is NULL"));
  const tessera::tsr::Model &root = program->program->model().root();
  uint32_t count = root.executables()->size();
  if (index >= count)
    return reportStatus(
        noSuch("tessera_program_kernel_info", "kernel", index, count));
  const tessera::tsr::Executable *executable = root.executables()->Get(index);
  *out_info = {};
  out_info->name = executable->name()->c_str();
  out_info->label = out_info->name;
  for (uint32_t d = 0; d < root.dispatches()->size(); ++d) {
    if (root.dispatches()->Get(d)->executable() != index)
      continue;
    if (out_info->dispatches++ == 0)
      out_info->label = program->dispatchLabels[d].c_str();
  }
  out_info->spirv_bytes = executable->spirv()->size() * sizeof(uint32_t);
  tessera::runtime::KernelShape shape = tessera::runtime::describeKernel(
      executable->spirv()->data(), executable->spirv()->size());
  out_info->barriers = shape.barriers;
  out_info->loops = shape.loops;
  if (program->program->kernelCount() > index)
    out_info->create_seconds =
        program->program->pipeline(index).createSeconds();
  return TESSERA_OK;
}

tessera_status tessera_program_set_profiling(tessera_program program,
                                             int enable) {
  if (!program)
    return reportStatus(
        invalidArgument("tessera_program_set_profiling: program is NULL"));
  if (!program->session)
    return reportStatus(invalidArgument("tessera_program_set_profiling: the "
                                        "program was loaded without a device"));
  return reportStatus(program->session->setProfiling(enable != 0));
}

tessera_status tessera_program_dispatch_seconds(tessera_program program,
                                                uint32_t index,
                                                double *out_seconds) {
  if (!program || !out_seconds)
    return reportStatus(invalidArgument(
        "tessera_program_dispatch_seconds: program or out_seconds is NULL"));
  if (!program->session)
    return reportStatus(invalidArgument("tessera_program_dispatch_seconds: "
                                        "the program was loaded without a "
                                        "device"));
  const std::vector<double> &seconds = program->session->dispatchSeconds();
  if (index >= seconds.size())
    return reportStatus(invalidArgument(
        "tessera_program_dispatch_seconds: no time for dispatch " +
        std::to_string(index) +
        (seconds.empty() ? std::string(" (was the last run profiled?)")
                         : " (the program has " +
                               std::to_string(seconds.size()) +
                               " dispatches)")));
  *out_seconds = seconds[index];
  return TESSERA_OK;
}

} // extern "C"
