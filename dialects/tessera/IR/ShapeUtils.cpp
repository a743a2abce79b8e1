//===- ShapeUtils.cpp - Shape helpers shared by Tessera ops ---------------===//

#include "dialects/tessera/IR/ShapeUtils.h"

#include "llvm/Support/raw_ostream.h"

namespace mlir::tessera {

std::optional<SmallVector<int64_t>>
broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes, std::string *error) {
  size_t rank = 0;
  for (ArrayRef<int64_t> shape : shapes)
    rank = std::max(rank, shape.size());
  SmallVector<int64_t> result(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t &out = result[rank - 1 - i];
    for (ArrayRef<int64_t> shape : shapes) {
      if (i >= shape.size())
        continue;
      int64_t dim = shape[shape.size() - 1 - i];
      if (dim == 1)
        continue;
      if (out == 1 || out == dim) {
        out = dim;
        continue;
      }
      if (ShapedType::isDynamic(dim))
        continue; // a static non-1 size wins; `?` must then match it
      if (ShapedType::isDynamic(out)) {
        out = dim;
        continue;
      }
      if (error) {
        llvm::raw_string_ostream os(*error);
        os << "dimension " << out << " and dimension " << dim
           << " cannot be broadcast (trailing dimension " << i << ")";
      }
      return std::nullopt;
    }
  }
  return result;
}

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      shape, os,
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          os << "?";
        else
          os << dim;
      },
      "x");
  return text;
}

void forEachIndex(ArrayRef<int64_t> shape,
                  function_ref<void(ArrayRef<int64_t>)> fn) {
  for (int64_t dim : shape)
    if (dim == 0)
      return;
  SmallVector<int64_t> index(shape.size(), 0);
  while (true) {
    fn(index);
    int64_t d = static_cast<int64_t>(shape.size()) - 1;
    for (; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}

int64_t linearize(ArrayRef<int64_t> index, ArrayRef<int64_t> shape) {
  int64_t offset = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    offset = offset * shape[d] + index[d];
  return offset;
}

} // namespace mlir::tessera
