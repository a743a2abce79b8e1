//===- session.h - Running a program ----------------------------*- C++ -*-===//

#ifndef TESSERA_RUNTIME_SESSION_H
#define TESSERA_RUNTIME_SESSION_H

#include "program.h"

namespace tessera::runtime {

/// A tensor in host memory (booleans one byte each).
struct HostTensor {
  std::string name;
  tsr::ElementType type = tsr::ElementType::F32;
  std::vector<int64_t> shape;
  std::vector<char> data;
};

/// The per-run state of a program: the activation arena (planned for the
/// bounds of the dynamic dimensions), the params buffer, one descriptor set
/// per dispatch, and a command buffer recorded for each run's sizes.
class Session {
public:
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  static Status create(const Program &program, std::unique_ptr<Session> &out);

  /// Checks `inputs` against the signature (names, element types, ranks,
  /// static sizes, bounds of dynamic ones), runs every dispatch and returns
  /// the outputs in signature order.
  Status run(const std::vector<HostTensor> &inputs,
             std::vector<HostTensor> &outputs);

  /// Seconds the last run took on the device queue (submit to fence).
  double lastRunSeconds() const { return lastRunSeconds_; }

  /// With profiling on, every run writes a device timestamp before the
  /// first dispatch and after each one; fails on a device whose compute
  /// queue has no timestamps.
  Status setProfiling(bool enable);
  bool profiling() const { return profiling_; }
  /// Device seconds of each dispatch in the last profiled run, from the end
  /// of the one before (so barriers count towards the dispatch that waits);
  /// empty when the last run was not profiled.
  const std::vector<double> &dispatchSeconds() const {
    return dispatchSeconds_;
  }

private:
  Session(const Program &program) : program_(program) {}
  Status bindSymbols(const std::vector<HostTensor> &inputs,
                     std::vector<const HostTensor *> &ordered,
                     std::vector<int64_t> &symbols) const;
  Status record(const std::vector<int64_t> &symbols);
  /// After a run: the first gather (in schedule order) whose kernel saw an
  /// index out of range, named with the input and place that held it.
  Status checkIndices(const std::vector<const HostTensor *> &inputs,
                      const std::vector<int64_t> &symbols) const;
  Status readTimestamps();

  const Program &program_;
  VkDevice device_ = VK_NULL_HANDLE;
  std::unique_ptr<Buffer> arena_, params_;
  std::vector<uint64_t> paramOffsets_;
  /// One i32 word per index check, per dispatch from its offset;
  /// tsr::kNoBadIndex until a kernel writes the lowest flat place of a bad
  /// index.
  std::unique_ptr<Buffer> status_;
  std::vector<uint64_t> statusOffsets_;
  VkDescriptorPool pool_ = VK_NULL_HANDLE;
  std::vector<VkDescriptorSet> sets_;
  VkCommandBuffer commands_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  double lastRunSeconds_ = 0;
  bool profiling_ = false;
  VkQueryPool queries_ = VK_NULL_HANDLE; // dispatch count + 1 timestamps
  std::vector<double> dispatchSeconds_;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_SESSION_H
