//===- ExternalData.cpp - Tensor bytes kept beside an ONNX model ----------===//

#include "frontends/onnx/ExternalData.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <optional>

using namespace mlir;
using namespace mlir::tessera::onnx_frontend;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

namespace {

/// A decimal integer without a sign or spaces, below 2^64.
std::optional<uint64_t> parseUnsigned(StringRef text) {
  uint64_t value;
  if (text.empty() || !llvm::all_of(text, llvm::isDigit) ||
      text.getAsInteger(10, value))
    return std::nullopt;
  return value;
}

/// Whether the resolved `file` lies inside the resolved folder `directory`.
bool isInside(StringRef file, StringRef directory) {
  if (!file.starts_with(directory))
    return false;
  StringRef rest = file.drop_front(directory.size());
  bool directoryEndsInSeparator =
      !directory.empty() && path::is_separator(directory.back());
  return !rest.empty() &&
         (directoryEndsInSeparator || path::is_separator(rest.front()));
}

/// The folders external data may resolve into: the model's folder, and the
/// folder of the model file once its links are followed.
SmallVector<SmallString<256>, 2> allowedFolders(const ModelLocation &model) {
  SmallVector<SmallString<256>, 2> folders;
  SmallString<256> real;
  if (!fs::real_path(model.directory, real))
    folders.push_back(real);
  if (!model.modelFile.empty() && !fs::real_path(model.modelFile, real)) {
    path::remove_filename(real);
    folders.push_back(real);
  }
  return folders;
}

const char *describeFileType(fs::file_type type) {
  switch (type) {
  case fs::file_type::directory_file:
    return "a directory";
  case fs::file_type::block_file:
  case fs::file_type::character_file:
    return "a device";
  case fs::file_type::fifo_file:
    return "a FIFO";
  case fs::file_type::socket_file:
    return "a socket";
  default:
    return "not a regular file";
  }
}

} // namespace

FailureOr<std::string> mlir::tessera::onnx_frontend::readExternalData(
    const onnx::TensorProto &tensor, const ModelLocation &model,
    uint64_t expectedBytes, Location loc) {
  auto fail = [&]() {
    return emitError(loc) << "tensor '" << tensor.name() << "': ";
  };
  std::optional<std::string> location;
  std::optional<uint64_t> offset, length;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    StringRef key = entry.key();
    bool isOffset = key == "offset";
    if (key == "location") {
      if (location)
        return fail() << "external data gives 'location' twice";
      location = entry.value();
    } else if (isOffset || key == "length") {
      std::optional<uint64_t> &field = isOffset ? offset : length;
      if (field)
        return fail() << "external data gives '" << key << "' twice";
      field = parseUnsigned(entry.value());
      if (!field)
        return fail() << "external data " << key << " '" << entry.value()
                      << "' is not a non-negative decimal integer below 2^64";
    }
    // Other keys (`checksum`) are not needed to read the bytes.
  }
  if (!location || location->empty())
    return fail() << "external data has no 'location'";
  if (location->find('\0') != std::string::npos)
    return fail() << "external data location contains a NUL character";
  if (path::is_absolute(*location))
    return fail() << "external data location '" << *location
                  << "' is an absolute path; ONNX requires a path relative "
                     "to the model's folder";
  SmallString<256> relative(*location);
  path::remove_dots(relative, /*remove_dot_dot=*/true);
  if (relative.empty() || *path::begin(relative) == "..")
    return fail() << "external data location '" << *location
                  << "' points outside the model's folder";

  SmallString<256> joined(model.directory);
  path::append(joined, relative);
  SmallString<256> real;
  if (std::error_code error = fs::real_path(joined, real))
    return fail() << "the external data file '" << *location
                  << "' cannot be read (looked for '" << joined
                  << "'): " << error.message();
  if (llvm::none_of(allowedFolders(model), [&](const SmallString<256> &dir) {
        return isInside(real, dir);
      }))
    return fail() << "external data location '" << *location
                  << "' is a link to '" << real
                  << "', outside the model's folder";
  fs::file_status status;
  if (std::error_code error = fs::status(real, status))
    return fail() << "the external data file '" << *location
                  << "' cannot be read: " << error.message();
  if (status.type() != fs::file_type::regular_file)
    return fail() << "the external data file '" << *location << "' is "
                  << describeFileType(status.type())
                  << ", not a regular file";

  uint64_t size = status.getSize();
  uint64_t start = offset.value_or(0);
  uint64_t count = length.value_or(expectedBytes);
  if (start > size || count > size - start)
    return fail() << "the external data file '" << *location
                  << "' has " << size << " bytes, too few for offset "
                  << start << " and length " << count;
  if (count != expectedBytes)
    return fail() << "external data length " << count
                  << " does not match the " << expectedBytes
                  << " bytes its shape and type need";
  if (count == 0)
    return std::string();
  auto buffer = llvm::MemoryBuffer::getFileSlice(real, count, start);
  if (!buffer)
    return fail() << "the external data file '" << *location
                  << "' cannot be read: " << buffer.getError().message();
  return std::string((*buffer)->getBufferStart(), count);
}
