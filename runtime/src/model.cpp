//===- model.cpp - A .tsr file, verified ----------------------------------===//

#include "model.h"

#include "tessera/tsr_format.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tessera::runtime {

namespace {

Status invalid(const std::string &name, const std::string &what) {
  return Status(TESSERA_ERROR_INVALID_MODEL, name + ": " + what);
}

const char *bufferKindName(tsr::BufferKind kind) {
  switch (kind) {
  case tsr::BufferKind::Input:
    return "input";
  case tsr::BufferKind::Output:
    return "output";
  case tsr::BufferKind::Weight:
    return "weight";
  case tsr::BufferKind::Activation:
    return "activation";
  }
  return "?";
}

} // namespace

const char *elementTypeName(tsr::ElementType type) {
  switch (type) {
  case tsr::ElementType::F32:
    return "f32";
  case tsr::ElementType::I32:
    return "i32";
  case tsr::ElementType::Bool:
    return "bool";
  case tsr::ElementType::F16:
    return "f16";
  }
  return "unknown";
}

namespace {

/// Bytes read (and checksummed) at a time: large enough to read at disk
/// speed, small enough to stay in the cache between the read and the hash.
constexpr uint64_t kReadChunk = 4 << 20;

/// Fuzzing builds (-DTESSERA_FUZZING=ON) accept any checksum, so that the
/// fuzzer reaches the checks behind them.
#ifdef TESSERA_FUZZING
constexpr bool kCheckChecksums = false;
#else
constexpr bool kCheckChecksums = true;
#endif

/// Reads the header from the first bytes of a file of `fileSize` (at
/// least the header's size, when the file is that long) and checks what it
/// says against itself and the file's size.
Status checkHeader(const char *start, uint64_t fileSize,
                   const std::string &name, tsr::FileHeader &header) {
  if (fileSize < tsr::kHeaderSize)
    return invalid(name, "file of " + std::to_string(fileSize) +
                             " bytes is too short for a .tsr header (" +
                             std::to_string(tsr::kHeaderSize) + " bytes)");
  std::memcpy(&header, start, sizeof(header));
  if (std::memcmp(header.magic, tsr::kMagic, sizeof(header.magic)) != 0)
    return invalid(name, "not a Tessera binary (bad magic in the header)");
  if (header.format_version != tsr::kFormatVersion)
    return invalid(name, "format version " +
                             std::to_string(header.format_version) +
                             " is not supported by this runtime (it reads "
                             "version " +
                             std::to_string(tsr::kFormatVersion) +
                             "); recompile the model");
  if (kCheckChecksums && header.header_checksum != tsr::headerChecksum(header))
    return invalid(name, "the header is corrupted (checksum mismatch)");
  if (header.header_size != tsr::kHeaderSize ||
      header.model_offset != tsr::kHeaderSize ||
      header.model_size > fileSize - header.model_offset)
    return invalid(name, "the model section lies outside the file (the file "
                         "is truncated or corrupted)");
  if (header.weights_offset > fileSize ||
      header.weights_size > fileSize - header.weights_offset ||
      header.weights_offset < header.model_offset + header.model_size)
    return invalid(name, "the weights section lies outside the file (the "
                         "file is truncated or corrupted)");
  if (header.weights_offset + header.weights_size != fileSize)
    return invalid(name, "the file has " + std::to_string(fileSize) +
                             " bytes but its header says " +
                             std::to_string(header.weights_offset +
                                            header.weights_size) +
                             " (bytes were added to it)");
  return Status::ok();
}

Status checkBody(uint64_t digest, const tsr::FileHeader &header,
                 const std::string &name) {
  if (kCheckChecksums && digest != header.body_checksum)
    return invalid(name, "the file is corrupted: the checksum of its " +
                             std::to_string(header.weights_offset +
                                            header.weights_size -
                                            tsr::kHeaderSize) +
                             " bytes after the header does not match");
  return Status::ok();
}

} // namespace

Status Model::load(const std::string &path, std::unique_ptr<Model> &out) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file)
    return Status(TESSERA_ERROR_IO, "cannot open '" + path + "'");
  std::streamsize size = file.tellg();
  if (size < 0)
    return Status(TESSERA_ERROR_IO, "cannot read '" + path + "'");
  uint64_t fileSize = static_cast<uint64_t>(size);
  // The header first: a file that is not what it says is refused before
  // its body is read.
  char start[tsr::kHeaderSize];
  file.seekg(0);
  if (!file.read(start, std::min<uint64_t>(fileSize, tsr::kHeaderSize)))
    return Status(TESSERA_ERROR_IO, "cannot read '" + path + "'");
  tsr::FileHeader header;
  if (Status s = checkHeader(start, fileSize, path, header); !s.isOk())
    return s;

  // The body, checksummed as it is read.
  std::unique_ptr<Model> model(new Model());
  model->name_ = path;
  model->bytes_.resize(fileSize);
  std::memcpy(model->bytes_.data(), &header, sizeof(header));
  tsr::ChecksumStream checksum;
  for (uint64_t at = tsr::kHeaderSize; at < fileSize; at += kReadChunk) {
    uint64_t count = std::min(kReadChunk, fileSize - at);
    char *chunk = model->bytes_.data() + at;
    if (!file.read(chunk, static_cast<std::streamsize>(count)))
      return Status(TESSERA_ERROR_IO, "cannot read '" + path + "'");
    checksum.update(chunk, count);
  }
  if (Status s = checkBody(checksum.digest(), header, path); !s.isOk())
    return s;
  if (Status s = model->validate(header); !s.isOk())
    return s;
  out = std::move(model);
  return Status::ok();
}

Status Model::fromBytes(std::vector<char> bytes, const std::string &name,
                        std::unique_ptr<Model> &out) {
  tsr::FileHeader header;
  if (Status s = checkHeader(bytes.data(), bytes.size(), name, header);
      !s.isOk())
    return s;
  if (Status s = checkBody(tsr::checksum(bytes.data() + tsr::kHeaderSize,
                                         bytes.size() - tsr::kHeaderSize),
                           header, name);
      !s.isOk())
    return s;
  std::unique_ptr<Model> model(new Model());
  model->bytes_ = std::move(bytes);
  model->name_ = name;
  if (Status s = model->validate(header); !s.isOk())
    return s;
  out = std::move(model);
  return Status::ok();
}

std::map<std::string, std::string>
Model::resources(const std::string &prefix) const {
  std::map<std::string, std::string> out;
  if (!root_->resources())
    return out;
  for (const tsr::Resource *resource : *root_->resources()) {
    if (!resource->name() || !resource->data())
      continue;
    std::string name = resource->name()->str();
    if (name.compare(0, prefix.size(), prefix) != 0)
      continue;
    out[name.substr(prefix.size())] =
        std::string(reinterpret_cast<const char *>(resource->data()->data()),
                    resource->data()->size());
  }
  return out;
}

Status Model::validate(const tsr::FileHeader &header) {
  const auto *modelBytes =
      reinterpret_cast<const uint8_t *>(bytes_.data() + header.model_offset);
  flatbuffers::Verifier verifier(modelBytes, header.model_size);
  if (!tsr::VerifyModelBuffer(verifier))
    return invalid(name_, "the model section is not a valid Tessera model "
                          "(FlatBuffer verification failed)");
  root_ = tsr::GetModel(modelBytes);
  weightsOffset_ = header.weights_offset;
  weightsSize_ = header.weights_size;

  // References between tables.
  const tsr::Model &m = *root_;
  if (m.format_version() != tsr::kFormatVersion)
    return invalid(name_, "model format version mismatch with the header");
  uint32_t symbolCount = m.symbols() ? m.symbols()->size() : 0;
  uint32_t bufferCount = m.buffers() ? m.buffers()->size() : 0;
  uint32_t executableCount = m.executables() ? m.executables()->size() : 0;
  auto checkTerm = [&](const tsr::DimExpr *dim, const std::string &where) {
    if (!dim)
      return invalid(name_, where + ": missing dimension");
    if (dim->symbols())
      for (uint32_t symbol : *dim->symbols())
        if (symbol >= symbolCount)
          return invalid(name_, where + ": symbol " + std::to_string(symbol) +
                                    " does not exist");
    return Status::ok();
  };
  auto checkDim = [&](const tsr::DimExpr *dim, const std::string &where) {
    if (Status s = checkTerm(dim, where); !s.isOk())
      return s;
    if (dim->terms())
      for (const tsr::DimExpr *term : *dim->terms()) {
        if (Status s = checkTerm(term, where); !s.isOk())
          return s;
        if (term->terms())
          return invalid(name_, where + ": a term of a sum has terms");
      }
    return Status::ok();
  };
  auto checkShape =
      [&](const flatbuffers::Vector<flatbuffers::Offset<tsr::DimExpr>> *shape,
          const std::string &where) {
        if (shape)
          for (const tsr::DimExpr *dim : *shape)
            if (Status s = checkDim(dim, where); !s.isOk())
              return s;
        return Status::ok();
      };
  for (uint32_t s = 0; s < symbolCount; ++s) {
    const tsr::Symbol *symbol = m.symbols()->Get(s);
    std::string where = "symbol '" + symbol->name()->str() + "'";
    if (symbol->min() < 0 || symbol->max() < symbol->min())
      return invalid(name_, where + " has invalid bounds");
    // A derived symbol is computed from the ones before it, in order.
    if (symbol->divisor() < 0 ||
        (symbol->divisor() > 0) != !!symbol->numerator())
      return invalid(name_, where + " has an invalid definition");
    if (const tsr::DimExpr *numerator = symbol->numerator()) {
      if (Status st = checkDim(numerator, where); !st.isOk())
        return st;
      auto before = [&](const tsr::DimExpr *term) {
        if (term->symbols())
          for (uint32_t used : *term->symbols())
            if (used >= s)
              return false;
        return true;
      };
      bool ordered = before(numerator);
      if (numerator->terms())
        for (const tsr::DimExpr *term : *numerator->terms())
          ordered = ordered && before(term);
      if (!ordered)
        return invalid(name_,
                       where + " is defined by itself or a later symbol");
    }
  }
  if (!m.buffers() || !m.executables() || !m.dispatches() || !m.inputs() ||
      !m.outputs())
    return invalid(name_, "the model lacks its buffers, kernels or schedule");
  // The FlatBuffer verifier does not range-check enums.
  auto validElementType = [](tsr::ElementType type) {
    return type == tsr::ElementType::F32 || type == tsr::ElementType::I32 ||
           type == tsr::ElementType::Bool || type == tsr::ElementType::F16;
  };
  for (uint32_t i = 0; i < bufferCount; ++i) {
    const tsr::Buffer *buffer = m.buffers()->Get(i);
    std::string where = "buffer " + std::to_string(i);
    if (static_cast<uint8_t>(buffer->kind()) >
            static_cast<uint8_t>(tsr::BufferKind::Activation) ||
        !validElementType(buffer->element_type()))
      return invalid(name_, where + " has an unknown kind or element type");
    if (Status s = checkShape(buffer->shape(), where); !s.isOk())
      return s;
    uint64_t limit = buffer->kind() == tsr::BufferKind::Weight ? weightsSize_
                                                               : m.arena_size();
    if (buffer->offset() > limit ||
        buffer->max_size() > limit - buffer->offset())
      return invalid(name_, where + " lies outside its section");
  }
  for (const auto *list : {m.inputs(), m.outputs()})
    for (const tsr::TensorInfo *tensor : *list) {
      std::string where = "tensor '" + tensor->name()->str() + "'";
      if (!validElementType(tensor->element_type()))
        return invalid(name_, where + " has an unknown element type");
      if (tensor->buffer() >= bufferCount)
        return invalid(name_, where + " refers to a missing buffer");
      // Inputs are written into, and outputs read from, the arena.
      if (m.buffers()->Get(tensor->buffer())->kind() == tsr::BufferKind::Weight)
        return invalid(name_, where + " is bound to a weight, not to a "
                                      "buffer of the arena");
      if (Status s = checkShape(tensor->shape(), where); !s.isOk())
        return s;
    }
  for (uint32_t i = 0; i < executableCount; ++i) {
    const tsr::Executable *executable = m.executables()->Get(i);
    std::string where = "kernel " + std::to_string(i);
    if (!executable->workgroup_size() ||
        executable->workgroup_size()->size() != 3 ||
        executable->spirv()->size() < 5)
      return invalid(name_, where + " is malformed");
    if (executable->params())
      for (const tsr::DimExpr *param : *executable->params())
        if (Status s = checkDim(param, where); !s.isOk())
          return s;
    if (executable->index_checks())
      for (const tsr::IndexCheck *check : *executable->index_checks()) {
        if (Status s = checkDim(check->extent(), where); !s.isOk())
          return s;
        if (Status s = checkShape(check->indices_shape(), where); !s.isOk())
          return s;
        if (check->input() < -1 ||
            check->input() >= static_cast<int32_t>(m.inputs()->size()))
          return invalid(name_, where + " checks the indices of input " +
                                    std::to_string(check->input()) +
                                    ", which does not exist");
      }
  }
  for (uint32_t i = 0; i < m.dispatches()->size(); ++i) {
    const tsr::Dispatch *dispatch = m.dispatches()->Get(i);
    std::string where = "dispatch " + std::to_string(i);
    if (dispatch->executable() >= executableCount)
      return invalid(name_, where + " refers to a missing kernel");
    const tsr::Executable *executable =
        m.executables()->Get(dispatch->executable());
    if (!dispatch->buffers() ||
        dispatch->buffers()->size() != executable->binding_count())
      return invalid(name_, where + " binds the wrong number of buffers");
    for (uint32_t buffer : *dispatch->buffers())
      if (buffer >= bufferCount)
        return invalid(name_, where + " refers to a missing buffer");
    if (!dispatch->workgroups() || dispatch->workgroups()->size() != 3)
      return invalid(name_, where + " lacks its workgroup counts");
    for (const tsr::WorkgroupCount *count : *dispatch->workgroups()) {
      if (count->divisor() < 1)
        return invalid(name_, where + " has a zero workgroup divisor");
      if (Status s = checkDim(count->extent(), where); !s.isOk())
        return s;
    }
  }
  return Status::ok();
}

int64_t Model::evaluate(const tsr::DimExpr &expr,
                        const std::vector<int64_t> &symbolValues) {
  int64_t value = expr.coefficient();
  if (expr.symbols())
    for (uint32_t symbol : *expr.symbols())
      value *= symbolValues[symbol];
  if (expr.terms())
    for (const tsr::DimExpr *term : *expr.terms())
      value += evaluate(*term, symbolValues);
  return value;
}

std::string Model::formatDefinition(const tsr::Symbol &symbol) const {
  return "floor((" + format(*symbol.numerator()) + ") / " +
         std::to_string(symbol.divisor()) + ")";
}

std::string Model::format(const tsr::DimExpr &expr) const {
  std::string text;
  if (expr.coefficient() != 1 || !expr.symbols() || expr.symbols()->size() == 0)
    text = std::to_string(expr.coefficient());
  if (expr.symbols())
    for (uint32_t symbol : *expr.symbols())
      text += (text.empty() ? "" : "*") +
              root_->symbols()->Get(symbol)->name()->str();
  if (expr.terms())
    for (const tsr::DimExpr *term : *expr.terms()) {
      std::string termText = format(*term);
      text += termText[0] == '-' ? " - " + termText.substr(1)
                                 : " + " + termText;
    }
  return text;
}

std::string Model::dispatchLabel(uint32_t index) const {
  const tsr::Model &m = root();
  const tsr::Executable *executable =
      m.executables()->Get(m.dispatches()->Get(index)->executable());
  if (!executable->kind())
    return executable->name()->str();
  std::string label = executable->kind()->str();
  if (executable->ops())
    label += " " + executable->ops()->str();
  return label;
}

std::string Model::describe() const {
  const tsr::Model &m = *root_;
  std::ostringstream os;
  auto shape = [&](const tsr::TensorInfo *tensor) {
    std::string text = "[";
    if (tensor->shape())
      for (uint32_t d = 0; d < tensor->shape()->size(); ++d)
        text += (d ? ", " : "") + format(*tensor->shape()->Get(d));
    return text + "]";
  };
  os << "model: " << name_ << "\n";
  if (m.metadata())
    os << "  source: "
       << (m.metadata()->source() ? m.metadata()->source()->str() : "?")
       << ", compiled by "
       << (m.metadata()->compiler_version()
               ? m.metadata()->compiler_version()->str()
               : "?")
       << "\n";
  os << "inputs:\n";
  for (const tsr::TensorInfo *t : *m.inputs())
    os << "  " << t->name()->str() << ": " << elementTypeName(t->element_type())
       << " " << shape(t) << "\n";
  os << "outputs:\n";
  for (const tsr::TensorInfo *t : *m.outputs())
    os << "  " << t->name()->str() << ": " << elementTypeName(t->element_type())
       << " " << shape(t) << "\n";
  if (m.resources() && m.resources()->size()) {
    os << "resources:\n";
    for (const tsr::Resource *r : *m.resources())
      os << "  " << (r->name() ? r->name()->str() : "?") << ": "
         << (r->data() ? r->data()->size() : 0) << " bytes\n";
  }
  if (m.symbols() && m.symbols()->size()) {
    os << "dynamic dimensions:\n";
    for (const tsr::Symbol *s : *m.symbols()) {
      os << "  " << s->name()->str() << " in [" << s->min() << ", " << s->max()
         << "]";
      if (s->numerator())
        os << " = " << formatDefinition(*s);
      os << "\n";
    }
  }
  if (const tsr::TargetNeeds *needs = m.needs())
    os << "target needs: profile "
       << (needs->profile() ? needs->profile()->str() : "?") << ", Vulkan "
       << (needs->vulkan_version() >> 22) << "."
       << ((needs->vulkan_version() >> 12) & 0x3ff)
       << (needs->subgroup_arithmetic() ? ", subgroup arithmetic" : "")
       << (needs->subgroup_shuffle()
               ? ", subgroup shuffles within " +
                     std::to_string(needs->min_subgroup_size()) +
                     " invocations"
               : std::string())
       << (needs->fp16() ? ", fp16" : "") << (needs->int8() ? ", int8" : "")
       << ", workgroups of up to " << needs->max_workgroup_invocations()
       << " invocations, " << needs->max_shared_memory()
       << " bytes of shared memory, bindings of up to "
       << needs->max_binding_range() << " bytes\n";
  size_t barriers = 0;
  for (const tsr::Dispatch *d : *m.dispatches())
    barriers += d->barrier_before();
  // Dispatches of identical kernels share one (tessera-deduplicate-kernels):
  // the driver compiles each kernel once.
  os << "dispatches: " << m.dispatches()->size() << " (" << barriers
     << " barriers), " << m.executables()->size() << " kernels\n";
  for (uint32_t i = 0; i < m.dispatches()->size(); ++i)
    os << "  " << i << ": " << dispatchLabel(i) << "\n";
  os << "memory: arena " << m.arena_size() << " bytes at the bounds, weights "
     << m.weights_size() << " bytes\n";
  uint32_t counts[4] = {};
  for (const tsr::Buffer *b : *m.buffers())
    ++counts[static_cast<int>(b->kind())];
  os << "buffers: " << m.buffers()->size() << " (" << counts[0] << " "
     << bufferKindName(tsr::BufferKind::Input) << ", " << counts[1] << " "
     << bufferKindName(tsr::BufferKind::Output) << ", " << counts[2] << " "
     << bufferKindName(tsr::BufferKind::Weight) << ", " << counts[3] << " "
     << bufferKindName(tsr::BufferKind::Activation) << ")\n";
  return os.str();
}

} // namespace tessera::runtime
