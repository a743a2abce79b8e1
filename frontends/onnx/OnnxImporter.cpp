//===- OnnxImporter.cpp - ONNX files into the tessera dialect -------------===//

#include "frontends/onnx/OnnxImporter.h"
#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/OnnxTextParser.h"
#include "frontends/onnx/OpsetUpgrade.h"

#include "dialects/tessera/IR/TesseraDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"


#include <google/protobuf/io/coded_stream.h>

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::onnx_frontend;

namespace {

/// The default domain's opset of `model`, or failure (reported).
FailureOr<int64_t> defaultOpset(const onnx::ModelProto &model, Location loc) {
  std::optional<int64_t> version;
  for (const onnx::OperatorSetIdProto &opset : model.opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx")
      version = opset.version();
  if (!version)
    return emitError(loc) << "the model imports no default-domain opset";
  if (*version > kMaxOpset)
    return emitError(loc) << "opset " << *version
                          << " is newer than Tessera supports (up to "
                          << kMaxOpset << "); export with an older opset";
  return *version;
}

/// `model`'s graph, at `opset`, as a module of one function.
OwningOpRef<ModuleOp> importGraph(const onnx::ModelProto &model, int64_t opset,
                                  StringRef path, MLIRContext *context) {
  Location fileLoc = FileLineColLoc::get(context, path, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  StringRef directory = llvm::sys::path::parent_path(path);
  ModelLocation location{directory.empty() ? "." : directory.str(),
                         path.str()};
  GraphImporter importer(context, fileLoc, opset, std::move(location));
  std::string name = model.graph().name().empty() ? "main" : model.graph().name();
  // Function names are symbols: keep them simple.
  for (char &c : name)
    if (!llvm::isAlnum(c) && c != '_')
      c = '_';
  if (failed(importer.importGraph(model.graph(), *module, name)))
    return nullptr;
  return module;
}

/// Gives the graph's inputs and outputs a static size where their named
/// dim is fixed; every fixed name must name a dim of an input.
LogicalResult fixDims(onnx::ModelProto &model, const ImportOptions &options,
                      Location fileLoc) {
  llvm::StringSet<> used;
  SmallVector<std::string> named;
  auto fix = [&](google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>
                     &values,
                 bool inputs) {
    for (onnx::ValueInfoProto &value : values) {
      if (!value.type().has_tensor_type() ||
          !value.type().tensor_type().has_shape())
        continue;
      for (onnx::TensorShapeProto_Dimension &dim :
           *value.mutable_type()->mutable_tensor_type()->mutable_shape()
                ->mutable_dim()) {
        if (!dim.has_dim_param())
          continue;
        // A name, or a sum of names and numbers (`past+seq`): each fixed
        // name becomes its size, and a sum of sizes a size.
        SmallVector<StringRef> terms;
        StringRef(dim.dim_param()).split(terms, '+');
        SmallVector<std::string> rest;
        int64_t size = 0;
        bool fixedOne = false;
        for (StringRef term : terms) {
          term = term.trim();
          if (inputs && !llvm::is_contained(named, term))
            named.push_back(term.str());
          int64_t value;
          auto it = options.fixedDims.find(term);
          if (it != options.fixedDims.end()) {
            if (inputs)
              used.insert(it->getKey());
            size += it->getValue();
            fixedOne = true;
          } else if (!term.getAsInteger(10, value)) {
            size += value;
          } else {
            rest.push_back(term.str());
          }
        }
        if (!fixedOne)
          continue;
        if (rest.empty()) {
          dim.set_dim_value(size);
          continue;
        }
        if (size)
          rest.push_back(std::to_string(size));
        dim.set_dim_param(llvm::join(rest, "+"));
      }
    }
  };
  fix(*model.mutable_graph()->mutable_input(), /*inputs=*/true);
  fix(*model.mutable_graph()->mutable_output(), /*inputs=*/false);
  for (const auto &entry : options.fixedDims)
    if (!used.contains(entry.getKey()))
      return emitError(fileLoc)
             << "--dim fixes '" << entry.getKey()
             << "', which no input dimension of the model is named (its "
                "named input dims: "
             << (named.empty() ? "none" : llvm::join(named, ", ")) << ")";
  return success();
}

/// `model`, upgraded first when its opset is older than Tessera imports.
OwningOpRef<ModuleOp> importModel(onnx::ModelProto &model, StringRef path,
                                  MLIRContext *context,
                                  const ImportOptions &options) {
  context->loadDialect<TesseraDialect, func::FuncDialect>();
  Location fileLoc = FileLineColLoc::get(context, path, 0, 0);
  if (!model.has_graph()) {
    emitError(fileLoc) << "the model has no graph";
    return nullptr;
  }
  if (!options.fixedDims.empty() &&
      failed(fixDims(model, options, fileLoc)))
    return nullptr;
  FailureOr<int64_t> opset = defaultOpset(model, fileLoc);
  if (failed(opset))
    return nullptr;
  if (*opset >= kMinOpset)
    return importGraph(model, *opset, path, context);
  onnx::ModelProto upgraded;
  std::string error;
  if (!upgradeOpset(model, kMinOpset, upgraded, error)) {
    emitError(fileLoc) << "opset " << *opset << " is older than Tessera "
                       << "imports (" << kMinOpset << " to " << kMaxOpset
                       << ") and its upgrade failed: " << error
                       << "; re-export with opset " << kMinOpset << " or newer";
    return nullptr;
  }
  return importGraph(upgraded, kMinOpset, path, context);
}

/// Parses the protobuf of an ONNX model, refusing what is not one.
LogicalResult parseModel(StringRef bytes, StringRef path, MLIRContext *context,
                         onnx::ModelProto &model) {
  Location fileLoc = FileLineColLoc::get(context, path, 0, 0);
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return emitError(fileLoc) << "'" << path
                              << "' is larger than protobuf's 2 GiB limit; "
                                 "keep the weights in external data files";
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(bytes.data()),
      static_cast<int>(bytes.size()));
  // Models up to protobuf's 2 GiB limit; larger ones keep their weights in
  // external data files.
  stream.SetTotalBytesLimit(std::numeric_limits<int>::max());
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
    return emitError(fileLoc) << "'" << path
                              << "' is not a valid ONNX model (the protobuf "
                                 "does not parse: not ONNX, or truncated)";
  if (!model.has_graph() && model.opset_import_size() == 0)
    return emitError(fileLoc)
           << "'" << path << "' is not an ONNX model (no graph, no opsets)";
  return success();
}

} // namespace

OwningOpRef<ModuleOp>
mlir::tessera::onnx_frontend::importOnnxFile(StringRef path,
                                             MLIRContext *context,
                                             const ImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(context, path, 0, 0);
  onnx::ModelProto model;
  {
    // The file's bytes are released once parsed: at published sizes they
    // are as large as the weights, which the import copies once more.
    auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
    if (!file) {
      emitError(fileLoc) << "cannot read '" << path
                         << "': " << file.getError().message();
      return nullptr;
    }
    if (failed(parseModel((*file)->getBuffer(), path, context, model)))
      return nullptr;
  }
  return importModel(model, path, context, options);
}

OwningOpRef<ModuleOp>
mlir::tessera::onnx_frontend::importOnnxBytes(StringRef bytes, StringRef path,
                                              MLIRContext *context,
                                              const ImportOptions &options) {
  onnx::ModelProto model;
  if (failed(parseModel(bytes, path, context, model)))
    return nullptr;
  return importModel(model, path, context, options);
}

OwningOpRef<ModuleOp>
mlir::tessera::onnx_frontend::importOnnxText(StringRef text,
                                             StringRef bufferName,
                                             MLIRContext *context,
                                             const ImportOptions &options) {
  onnx::ModelProto model;
  std::string error;
  if (!parseOnnxText(text.str(), model, error)) {
    emitError(FileLineColLoc::get(context, bufferName, 0, 0))
        << "not valid ONNX text: " << error;
    return nullptr;
  }
  return importModel(model, bufferName, context, options);
}

InputFormat mlir::tessera::onnx_frontend::guessInputFormat(StringRef path) {
  if (path.ends_with(".onnx"))
    return InputFormat::OnnxBinary;
  if (path.ends_with(".onnxtxt") || path.ends_with(".onnx.txt"))
    return InputFormat::OnnxText;
  return InputFormat::MLIR;
}
