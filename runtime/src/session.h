//===- session.h - Running a program ----------------------------*- C++ -*-===//

#ifndef TESSERA_RUNTIME_SESSION_H
#define TESSERA_RUNTIME_SESSION_H

#include "buffer.h"
#include "program.h"

namespace tessera::runtime {

/// A tensor in host memory (booleans one byte each).
struct HostTensor {
  std::string name;
  tsr::ElementType type = tsr::ElementType::F32;
  std::vector<int64_t> shape;
  std::vector<char> data;
  /// The bytes are on the device already (a carried output); `data` is
  /// empty.
  bool onDevice = false;
};

/// An output that becomes an input of the next run without leaving the
/// device: a decoder's present keys and values, its past at the next step.
struct Carry {
  uint32_t output = 0;
  uint32_t input = 0;
  std::unique_ptr<Buffer> held; // the output's bytes between runs
  std::vector<int64_t> shape;   // its shape at the last run
  bool valid = false;           // a run has filled `held`
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
  /// static sizes, bounds of dynamic ones) and runs every dispatch. An
  /// input that a carry fills may be left out: the last run's output takes
  /// its place, copied on the device.
  Status run(const std::vector<HostTensor> &inputs);
  /// Output `index` of the last run, read from the device.
  Status readOutput(uint32_t index, HostTensor &out) const;
  /// Elements [first, first + count) of output `index` of the last run, as
  /// floats (an f32 or f16 output): a decoder's last row of logits.
  Status readOutputFloats(uint32_t index, int64_t first, int64_t count,
                          std::vector<float> &out) const;
  /// The shape of output `index` at the last run.
  std::vector<int64_t> outputShape(uint32_t index) const;

  /// From the next run on, output `output` of each run becomes input
  /// `input` of the next, on the device (shapes and types must agree).
  Status carry(const std::string &output, const std::string &input);
  /// Forgets what the carries hold: the next run needs those inputs given.
  void resetCarries() {
    for (Carry &carry : carries_)
      carry.valid = false;
  }

  const Program &program() const { return program_; }

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
  /// Computes derived symbol `s` from the symbols before it and checks it
  /// against its bounds.
  Status deriveSymbol(uint32_t s, const std::vector<std::string> &boundBy,
                      std::vector<int64_t> &symbols) const;
  Status bindSymbols(const std::vector<HostTensor> &inputs,
                     std::vector<const HostTensor *> &ordered,
                     std::vector<int64_t> &symbols) const;
  Status record(const std::vector<int64_t> &symbols,
                const std::vector<const Carry *> &carriedIn);
  /// Bytes of a tensor of `info` at `symbols`, as stored on the device.
  uint64_t storedBytes(const tsr::TensorInfo &info,
                       const std::vector<int64_t> &symbols) const;
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
  std::vector<Carry> carries_;
  /// The symbols' values at the last successful run (empty before one).
  std::vector<int64_t> lastSymbols_;
  bool hasRun_ = false;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_SESSION_H
