//===- module.cpp - tessera._tessera: the Python extension ----------------===//
//
// The runtime's C API (and, in builds with the compiler, the compile
// driver) for Python. numpy arrays go in without a copy where they are
// C-contiguous of the input's type; outputs are copied out once, since the
// next run reuses the runtime's memory. The package around it
// (tessera/__init__.py) gives the Pythonic names.
//
//===----------------------------------------------------------------------===//

#include "tessera/runtime.h"
#include "tessera/runtime.hpp"
#ifdef TESSERA_PYTHON_COMPILER
#include "tools/Driver/CompileRequest.h"
#endif

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace py = pybind11;

namespace {

/// tessera.Error and its kinds, by the C API's status.
py::object errorBase, compileError, invalidInputError, invalidModelError,
    deviceError;

[[noreturn]] void raise(tessera_status status, const std::string &message) {
  py::object kind =
      status == TESSERA_ERROR_INVALID_INPUT ||
              status == TESSERA_ERROR_INVALID_ARGUMENT
          ? invalidInputError
      : status == TESSERA_ERROR_INVALID_MODEL || status == TESSERA_ERROR_IO
          ? invalidModelError
      : status == TESSERA_ERROR_NO_DEVICE ||
              status == TESSERA_ERROR_UNSUPPORTED ||
              status == TESSERA_ERROR_VULKAN
          ? deviceError
          : errorBase;
  PyErr_SetString(kind.ptr(), message.c_str());
  throw py::error_already_set();
}

void check(tessera_status status) {
  if (status != TESSERA_OK)
    raise(status, tessera_last_error());
}

const char *dtypeName(tessera_element_type type) {
  switch (type) {
  case TESSERA_F32:
    return "float32";
  case TESSERA_I32:
    return "int32";
  case TESSERA_BOOL:
    return "bool";
  case TESSERA_F16:
    return "float16";
  }
  return "unknown";
}

py::dtype dtypeOf(tessera_element_type type) {
  return py::dtype(dtypeName(type));
}

/// A signature entry: name, dtype, shape (ints, and strings for dynamic
/// axes: "seq", "past + seq").
py::dict describeTensor(tessera_program program, int output, uint32_t index) {
  tessera_tensor signature;
  check(output ? tessera_program_output_signature(program, index, &signature)
               : tessera_program_input(program, index, &signature));
  py::list shape;
  for (uint32_t axis = 0; axis < signature.rank; ++axis) {
    if (signature.shape[axis] >= 0) {
      shape.append(signature.shape[axis]);
      continue;
    }
    const char *text = nullptr;
    check(tessera_program_dim_text(program, output, index, axis, &text));
    shape.append(text);
  }
  py::dict entry;
  entry["name"] = signature.name;
  entry["dtype"] = dtypeName(signature.element_type);
  entry["shape"] = py::tuple(shape);
  return entry;
}

/// A loaded program and the instance it needs.
class Program {
public:
  /// `source`: a path, or the .tsr's bytes.
  Program(const py::object &source, std::optional<std::string> device,
          bool validation, bool trustKernels)
      : instance_(validation) {
    deviceIndex_ = instance_.selectDevice(device.value_or(""));
    tessera_program_options options{};
    options.trust_kernels = trustKernels;
    // The driver's first compile of a kernel takes seconds on lavapipe:
    // say so, as tessera-run does (Python's warnings would be too loud).
    options.log = [](void *, const char *message) {
      py::gil_scoped_acquire gil;
      py::print("tessera:", message,
                py::arg("file") = py::module_::import("sys").attr("stderr"));
    };
    if (py::isinstance<py::bytes>(source)) {
      std::string_view bytes = source.cast<std::string_view>();
      py::gil_scoped_release release;
      program_.emplace(tessera::Program::fromMemory(instance_, bytes.data(),
                                                    bytes.size(), deviceIndex_,
                                                    options, "<bytes>"));
    } else {
      std::string path =
          py::str(py::module_::import("os").attr("fspath")(source));
      py::gil_scoped_release release;
      program_.emplace(instance_, path, deviceIndex_, options);
    }
    for (const tessera_tensor &signature : program_->inputs())
      inputTypes_.emplace_back(signature.name, signature.element_type);
  }

  std::string device() const {
    tessera_device_info info;
    check(tessera_instance_device_info(instance_.get(), deviceIndex_, &info));
    return info.name;
  }

  py::list signature(int output) const {
    py::list result;
    uint32_t count = output ? tessera_program_output_count(get())
                            : tessera_program_input_count(get());
    for (uint32_t i = 0; i < count; ++i)
      result.append(describeTensor(get(), output, i));
    return result;
  }

  py::dict dims() const {
    py::dict result;
    for (uint32_t i = 0; i < tessera_program_dim_count(get()); ++i) {
      tessera_dim_info info;
      check(tessera_program_dim_info(get(), i, &info));
      result[info.name] = py::make_tuple(info.min, info.max);
    }
    return result;
  }

  std::string describe() const { return tessera_program_describe(get()); }

  /// Runs with `feeds` (name -> array); returns name -> array for every
  /// output, or those of `names`.
  py::dict run(const py::dict &feeds,
               std::optional<std::vector<std::string>> names) {
    auto held = lock();
    return runLocked(feeds, names);
  }

  /// Device seconds per dispatch of a run with timestamps.
  py::list profile(const py::dict &feeds) {
    auto held = lock();
    check(tessera_program_set_profiling(get(), 1));
    try {
      runLocked(feeds, std::vector<std::string>());
    } catch (...) {
      tessera_program_set_profiling(get(), 0);
      throw;
    }
    py::list rows;
    for (uint32_t i = 0; i < tessera_program_dispatch_count(get()); ++i) {
      tessera_dispatch_info info;
      double seconds = 0;
      check(tessera_program_dispatch_info(get(), i, &info));
      check(tessera_program_dispatch_seconds(get(), i, &seconds));
      py::dict row;
      row["dispatch"] = i;
      row["kind"] = info.kind;
      row["ops"] = info.ops;
      row["seconds"] = seconds;
      rows.append(row);
    }
    check(tessera_program_set_profiling(get(), 0));
    return rows;
  }

  double lastRunSeconds() const {
    return tessera_program_last_run_seconds(get());
  }

  uint32_t validationMessages() const {
    return instance_.validationMessageCount();
  }

private:
  tessera_program get() const { return program_->get(); }

  /// The program runs for one thread at a time (the run releases the GIL).
  /// Taken with the GIL released: a thread waiting here must not hold the
  /// GIL that the holder needs to finish.
  std::unique_lock<std::mutex> lock() {
    py::gil_scoped_release release;
    return std::unique_lock<std::mutex>(mutex_);
  }

  py::dict runLocked(const py::dict &feeds,
                     const std::optional<std::vector<std::string>> &names) {
    std::vector<py::array> keep;
    std::vector<std::string> keys;
    std::vector<tessera_tensor> tensors;
    keys.reserve(feeds.size());
    for (auto [key, value] : feeds) {
      std::string name = py::str(key);
      const tessera_element_type *type = typeOf(name);
      if (!type)
        raise(TESSERA_ERROR_INVALID_INPUT, "the model has no input '" + name +
                                               "'; its inputs are " +
                                               inputNames());
      py::array array = toArray(name, *type, value);
      keep.push_back(array);
      keys.push_back(name);
      tessera_tensor tensor{};
      tensor.element_type = *type;
      tensor.rank = static_cast<uint32_t>(array.ndim());
      if (tensor.rank > TESSERA_MAX_RANK)
        raise(TESSERA_ERROR_INVALID_INPUT,
              "input '" + name + "' has rank " + std::to_string(tensor.rank) +
                  ", above " + std::to_string(TESSERA_MAX_RANK));
      for (uint32_t d = 0; d < tensor.rank; ++d)
        tensor.shape[d] = array.shape(d);
      tensor.data = array.data();
      tensor.size = array.nbytes();
      tensors.push_back(tensor);
    }
    for (size_t i = 0; i < tensors.size(); ++i)
      tensors[i].name = keys[i].c_str();
    tessera_status status;
    {
      py::gil_scoped_release release;
      status = tessera_program_run(get(), tensors.data(),
                                   static_cast<uint32_t>(tensors.size()));
    }
    check(status);
    return outputs(names);
  }

  const tessera_element_type *typeOf(const std::string &name) const {
    for (const auto &[input, type] : inputTypes_)
      if (input == name)
        return &type;
    return nullptr;
  }

  std::string inputNames() const {
    std::string names;
    for (const auto &[input, type] : inputTypes_)
      names += (names.empty() ? "'" : ", '") + input + "'";
    return names;
  }

  /// `value` as a C-contiguous array of the input's type: no copy when it
  /// is one already. Integer ids may come as any integer type (ONNX
  /// exports them as int64): narrowed to int32, refused when a value does
  /// not fit. Other mismatched types are refused rather than converted.
  static py::array toArray(const std::string &name, tessera_element_type type,
                           const py::handle &value) {
    py::array array = py::array::ensure(value);
    if (!array)
      raise(TESSERA_ERROR_INVALID_INPUT,
            "input '" + name + "' is not an array");
    py::dtype want = dtypeOf(type);
    char kind = array.dtype().kind();
    bool integers = type == TESSERA_I32 && (kind == 'i' || kind == 'u');
    if (integers && !array.dtype().is(want)) {
      py::module_ np = py::module_::import("numpy");
      py::object info = np.attr("iinfo")("int32");
      if (array.size() > 0 && (py::bool_(np.attr("any")(
                                   np.attr("less")(array, info.attr("min")))) ||
                               py::bool_(np.attr("any")(np.attr("greater")(
                                   array, info.attr("max"))))))
        raise(TESSERA_ERROR_INVALID_INPUT,
              "input '" + name +
                  "' holds a value outside int32, the type "
                  "the model reads it as");
    } else if (!array.dtype().is(want) &&
               !(type == TESSERA_BOOL && kind == 'b')) {
      raise(TESSERA_ERROR_INVALID_INPUT,
            "input '" + name + "' is " + std::string(py::str(array.dtype())) +
                "; the model takes " + dtypeName(type));
    }
    return py::array::ensure(
        array.attr("astype")(want, py::arg("copy") = false),
        py::array::c_style);
  }

  py::dict outputs(const std::optional<std::vector<std::string>> &names) {
    py::dict result;
    for (uint32_t i = 0; i < tessera_program_output_count(get()); ++i) {
      tessera_tensor signature;
      check(tessera_program_output_signature(get(), i, &signature));
      if (names && std::find(names->begin(), names->end(), signature.name) ==
                       names->end())
        continue;
      tessera_tensor out;
      check(tessera_program_output(get(), i, &out));
      std::vector<py::ssize_t> shape(out.shape, out.shape + out.rank);
      py::array array(dtypeOf(out.element_type), shape);
      std::memcpy(array.mutable_data(), out.data, out.size);
      result[out.name] = array;
    }
    return result;
  }

  tessera::Instance instance_;
  uint32_t deviceIndex_ = 0;
  std::optional<tessera::Program> program_;
  std::vector<std::pair<std::string, tessera_element_type>> inputTypes_;
  std::mutex mutex_;
};

py::list devices(bool validation) {
  tessera::Instance instance(validation);
  uint32_t selected = instance.selectDevice();
  py::list result;
  auto infos = instance.devices();
  for (uint32_t i = 0; i < infos.size(); ++i) {
    const tessera_device_info &info = infos[i];
    static const char *types[] = {"other", "integrated-gpu", "discrete-gpu",
                                  "virtual-gpu", "cpu"};
    py::dict entry;
    entry["index"] = i;
    entry["name"] = info.name;
    entry["type"] =
        info.type <= TESSERA_DEVICE_CPU ? types[info.type] : "other";
    entry["vendor_id"] = info.vendor_id;
    entry["device_id"] = info.device_id;
    entry["subgroup_size"] = info.subgroup_size;
    entry["max_shared_memory"] = info.max_shared_memory;
    entry["max_storage_buffer_range"] = info.max_storage_buffer_range;
    entry["fp16"] = bool(info.fp16);
    entry["int8"] = bool(info.int8);
    entry["default"] = i == selected;
    result.append(entry);
  }
  return result;
}

#ifdef TESSERA_PYTHON_COMPILER
/// The compile driver; the diagnostics become the CompileError's message.
py::bytes compile(const std::string &input, std::optional<py::bytes> bytes,
                  const std::string &inputFormat, const std::string &target,
                  const std::string &precision, const std::string &weights,
                  const std::vector<std::string> &dims,
                  const std::string &tokenizer,
                  const std::string &imageProcessor) {
  mlir::tessera::driver::CompileRequest request;
  request.input = input;
  if (bytes)
    request.bytes = std::string(*bytes);
  request.inputFormat = inputFormat;
  request.target = target;
  request.precision = precision;
  request.weights = weights;
  request.dims = dims;
  request.tokenizer = tokenizer;
  request.imageProcessor = imageProcessor;
  std::string tsr, diagnostics;
  bool ok;
  {
    py::gil_scoped_release release;
    ok = mlir::tessera::driver::compileRequest(request, tsr, diagnostics);
  }
  if (!ok) {
    while (!diagnostics.empty() && diagnostics.back() == '\n')
      diagnostics.pop_back();
    PyErr_SetString(compileError.ptr(), diagnostics.c_str());
    throw py::error_already_set();
  }
  return py::bytes(tsr);
}
#endif

} // namespace

PYBIND11_MODULE(_tessera, m) {
  m.doc() = "Tessera's runtime and compiler (use the `tessera` package)";
  errorBase = py::exception<std::exception>(m, "Error", PyExc_RuntimeError);
  compileError =
      py::exception<std::exception>(m, "CompileError", errorBase.ptr());
  invalidInputError =
      py::exception<std::exception>(m, "InvalidInputError", errorBase.ptr());
  invalidModelError =
      py::exception<std::exception>(m, "InvalidModelError", errorBase.ptr());
  deviceError =
      py::exception<std::exception>(m, "DeviceError", errorBase.ptr());
  py::register_exception_translator([](std::exception_ptr pointer) {
    try {
      if (pointer)
        std::rethrow_exception(pointer);
    } catch (const tessera::Error &error) {
      raise(error.status(), error.what());
    }
  });

  m.def("version", &tessera_version);
  m.def("version_text", &tessera_version_text);
  m.def("git_revision", &tessera_git_revision);
  m.def("format_version", &tessera_format_version);
  m.def("devices", &devices, py::arg("validation") = false);
  m.attr("has_compiler") =
#ifdef TESSERA_PYTHON_COMPILER
      true;
  m.def("compile", &compile, py::arg("input"), py::arg("bytes"),
        py::arg("input_format"), py::arg("target"), py::arg("precision"),
        py::arg("weights"), py::arg("dims"), py::arg("tokenizer"),
        py::arg("image_processor"));
#else
      false;
#endif

  py::class_<Program>(m, "Program")
      .def(py::init<const py::object &, std::optional<std::string>, bool,
                    bool>(),
           py::arg("source"), py::arg("device") = py::none(),
           py::arg("validation") = false, py::arg("trust_kernels") = false)
      .def_property_readonly("device", &Program::device)
      .def_property_readonly("inputs",
                             [](const Program &p) { return p.signature(0); })
      .def_property_readonly("outputs",
                             [](const Program &p) { return p.signature(1); })
      .def_property_readonly("dims", &Program::dims)
      .def("describe", &Program::describe)
      .def("run", &Program::run, py::arg("feeds"),
           py::arg("names") = py::none())
      .def("profile", &Program::profile, py::arg("feeds"))
      .def_property_readonly("last_run_seconds", &Program::lastRunSeconds)
      .def_property_readonly("validation_messages",
                             &Program::validationMessages);
}
