//===- tessera/runtime.hpp - Thin C++ wrapper of the C API ------*- C++ -*-===//
//
// RAII handles over runtime.h; failures throw tessera::Error.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_HPP
#define TESSERA_RUNTIME_HPP

#include "tessera/runtime.h"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace tessera {

class Error : public std::runtime_error {
public:
  Error(tessera_status status, const std::string &message)
      : std::runtime_error(message), status_(status) {}
  tessera_status status() const { return status_; }

private:
  tessera_status status_;
};

inline void check(tessera_status status) {
  if (status != TESSERA_OK)
    throw Error(status, tessera_last_error());
}

class Instance {
public:
  explicit Instance(bool enableValidation = false) {
    tessera_instance_options options{};
    options.enable_validation = enableValidation ? 1 : 0;
    tessera_instance raw = nullptr;
    check(tessera_instance_create(&options, &raw));
    handle_.reset(raw);
  }

  std::vector<tessera_device_info> devices() const {
    std::vector<tessera_device_info> infos(
        tessera_instance_device_count(get()));
    for (uint32_t i = 0; i < infos.size(); ++i)
      check(tessera_instance_device_info(get(), i, &infos[i]));
    return infos;
  }

  uint32_t selectDevice(const std::string &selector = "") const {
    uint32_t index = 0;
    check(tessera_instance_select_device(get(), selector.c_str(), &index));
    return index;
  }

  uint32_t validationMessageCount() const {
    return tessera_instance_validation_message_count(get());
  }

  tessera_instance get() const { return handle_.get(); }

private:
  struct Deleter {
    void operator()(tessera_instance instance) const {
      tessera_instance_destroy(instance);
    }
  };
  std::unique_ptr<tessera_instance_t, Deleter> handle_;
};

} // namespace tessera

#endif // TESSERA_RUNTIME_HPP
