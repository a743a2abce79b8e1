//===- model.h - A .tsr file, verified --------------------------*- C++ -*-===//
//
// Loads the bytes of a .tsr file and checks everything the runtime will rely
// on before any field is used: the header (magic, version, sizes, its
// checksum), the checksum of every byte after it (computed while the file
// is read), the FlatBuffer (the generated verifier), and the references
// inside it (indices, symbol ids, offsets within the sections).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_MODEL_H
#define TESSERA_RUNTIME_MODEL_H

#include "status.h"

#include "tessera/tsr_format.h"
#include "tessera/tsr_generated.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tessera::runtime {

class Model {
public:
  static Status load(const std::string &path, std::unique_ptr<Model> &out);
  /// Same checks on bytes in memory; `name` is used in messages.
  static Status fromBytes(std::vector<char> bytes, const std::string &name,
                          std::unique_ptr<Model> &out);

  const tsr::Model &root() const { return *root_; }
  const char *weights() const { return bytes_.data() + weightsOffset_; }
  uint64_t weightsSize() const { return weightsSize_; }
  const std::string &name() const { return name_; }

  /// coefficient * product of symbol values.
  static int64_t evaluate(const tsr::DimExpr &expr,
                          const std::vector<int64_t> &symbolValues);
  /// "4*seq", "256".
  std::string format(const tsr::DimExpr &expr) const;
  /// A derived symbol's definition: `floor((1 + height) / 2)`.
  std::string formatDefinition(const tsr::Symbol &symbol) const;
  /// What dispatch `index` runs: its kernel kind and fused ops
  /// ("matmul layer_norm+linear+add"), or its executable's name where the
  /// binary does not say.
  std::string dispatchLabel(uint32_t index) const;
  /// Signature, needs and schedule, as `tessera-run --info` prints them.
  std::string describe() const;
  /// The resources whose names start with `prefix`, by the rest of their
  /// names ("tokenizer/" → {"tokenizer.json": bytes}).
  std::map<std::string, std::string> resources(const std::string &prefix) const;

private:
  Model() = default;
  /// Checks the FlatBuffer and the references inside it; the header and the
  /// checksums have been checked.
  Status validate(const tsr::FileHeader &header);

  std::vector<char> bytes_;
  std::string name_;
  const tsr::Model *root_ = nullptr;
  uint64_t weightsOffset_ = 0, weightsSize_ = 0;
};

const char *elementTypeName(tsr::ElementType type);

/// The storage buffers of an executable's descriptor set: the params
/// buffer, its tensors, and the index status buffer when it checks indices.
inline uint32_t layoutBindingCount(const tsr::Executable &executable) {
  bool checks = executable.index_checks() && executable.index_checks()->size();
  return executable.binding_count() + 1 + (checks ? 1 : 0);
}

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_MODEL_H
