//===- handles.h - What the C API's handles hold ----------------*- C++ -*-===//

#ifndef TESSERA_RUNTIME_HANDLES_H
#define TESSERA_RUNTIME_HANDLES_H

#include "instance.h"
#include "program.h"
#include "session.h"

#include <memory>
#include <string>
#include <vector>

struct tessera_instance_t {
  std::unique_ptr<tessera::runtime::Instance> impl;
};

struct tessera_program_t {
  std::unique_ptr<tessera::runtime::Program> program;
  std::unique_ptr<tessera::runtime::Session> session;
  std::string description;
  std::vector<std::string> dispatchLabels;
  /// Each axis of each input, then of each output, as text
  /// (tessera_program_dim_text).
  std::vector<std::vector<std::string>> inputDims, outputDims;
  /// Outputs of the last run, read from the device when first asked for.
  std::vector<tessera::runtime::HostTensor> outputs;
  std::vector<bool> outputsRead;
};

namespace tessera::runtime {
/// The C API's tensors as host tensors, each checked (a name, data for its
/// size, a known element type, a rank up to TESSERA_MAX_RANK); `caller`
/// starts the message naming the first that is not.
Status hostTensors(const tessera_tensor *tensors, uint32_t count,
                   const std::string &caller, std::vector<HostTensor> &out);
} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_HANDLES_H
