//===- status.h - Errors inside the runtime ---------------------*- C++ -*-===//

#ifndef TESSERA_RUNTIME_STATUS_H
#define TESSERA_RUNTIME_STATUS_H

#include "tessera/runtime.h"

#include <string>
#include <utility>

namespace tessera::runtime {

/// The result of an internal operation: a code and, on failure, a message
/// that names what failed and where.
class Status {
public:
  Status() = default;
  Status(tessera_status code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool isOk() const { return code_ == TESSERA_OK; }
  tessera_status code() const { return code_; }
  const std::string &message() const { return message_; }

private:
  tessera_status code_ = TESSERA_OK;
  std::string message_;
};

/// A TESSERA_ERROR_INVALID_ARGUMENT status: a NULL pointer, an index out
/// of range, a file that is not what the call takes.
inline Status invalidArgument(const std::string &message) {
  return Status(TESSERA_ERROR_INVALID_ARGUMENT, message);
}

/// Reads the whole file at `path` (TESSERA_ERROR_IO, naming it, if it
/// cannot).
Status readFile(const std::string &path, std::string &out);

/// Makes `status` the calling thread's last error (when it is a failure)
/// and returns its code, for the C API's return statements.
tessera_status reportStatus(const Status &status);

/// The text of a VkResult, e.g. "VK_ERROR_INITIALIZATION_FAILED".
const char *vulkanResultString(int result);

/// "<call> failed: <VkResult>" as a TESSERA_ERROR_VULKAN status.
Status vulkanFailure(const char *call, int result);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_STATUS_H
