//===- CompileRequest.h - A compile asked for in plain strings --*- C++ -*-===//
//
// The options of a compile spelled as tessera-compile's flags spell them,
// without MLIR types: what bindings (the Python package) fill in. Each is
// parsed by the same function the command line's flag is (Driver.h).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TOOLS_DRIVER_COMPILEREQUEST_H
#define TESSERA_TOOLS_DRIVER_COMPILEREQUEST_H

#include <optional>
#include <string>
#include <vector>

namespace mlir::tessera::driver {

struct CompileRequest {
  /// The model's path; with `bytes`, its name in diagnostics.
  std::string input;
  std::optional<std::string> bytes;
  std::string inputFormat; ///< --input-format; empty: from the extension
  std::string target = "lavapipe";
  std::string precision = "f32";
  std::string weights;           ///< --weights; empty: as precision
  std::vector<std::string> dims; ///< --dim entries, "seq=1:512"
  std::string tokenizer;         ///< --tokenizer DIR
  std::string imageProcessor;    ///< --image-processor FILE
};

/// Compiles as tessera-compile does. On success `tsr` holds the file's
/// bytes; on failure, false, and `diagnostics` holds every message as
/// tessera-compile would print it (an option error included).
bool compileRequest(const CompileRequest &request, std::string &tsr,
                    std::string &diagnostics);

} // namespace mlir::tessera::driver

#endif // TESSERA_TOOLS_DRIVER_COMPILEREQUEST_H
