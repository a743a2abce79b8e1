//===- instance_test.cpp - Vulkan instance and device discovery -----------===//
//
// Runs on whatever Vulkan devices the machine has; lavapipe is always
// installed by scripts/setup.sh, so at least one CPU device is expected.
// Validation is on (TESSERA_VALIDATION=1 from CTest, and explicitly here) and
// must report nothing.
//
//===----------------------------------------------------------------------===//

#include "tessera/runtime.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace {

class InstanceTest : public ::testing::Test {
protected:
  void TearDown() override {
    EXPECT_EQ(instance.validationMessageCount(), 0u)
        << "the Khronos validation layer reported problems (see stderr)";
  }
  tessera::Instance instance{/*enableValidation=*/true};
};

bool isPowerOfTwo(uint32_t value) { return value && !(value & (value - 1)); }

TEST_F(InstanceTest, FindsAtLeastOneDevice) {
  EXPECT_GE(instance.devices().size(), 1u);
}

TEST_F(InstanceTest, FindsLavapipe) {
  bool found = false;
  for (const tessera_device_info &device : instance.devices())
    if (std::string(device.name).find("llvmpipe") != std::string::npos) {
      found = true;
      EXPECT_EQ(device.type, TESSERA_DEVICE_CPU);
      // Facts recorded in docs/notes and in the lavapipe profile.
      EXPECT_EQ(device.subgroup_size, 8u);
      EXPECT_EQ(device.max_shared_memory, 32u * 1024);
      EXPECT_TRUE(device.fp16);
      EXPECT_TRUE(device.int8);
    }
  EXPECT_TRUE(found) << "lavapipe (mesa-vulkan-drivers) is not installed";
}

TEST_F(InstanceTest, DeviceLimitsMeetVulkanMinimums) {
  for (const tessera_device_info &device : instance.devices()) {
    SCOPED_TRACE(device.name);
    EXPECT_GE(device.api_version >> 22 << 10 |
                  ((device.api_version >> 12) & 0x3ff),
              (1u << 10) | 1u)
        << "Tessera needs Vulkan 1.1 or newer";
    EXPECT_TRUE(isPowerOfTwo(device.subgroup_size));
    EXPECT_GE(device.max_shared_memory, 16384u);
    EXPECT_GE(device.max_workgroup_invocations, 128u);
    EXPECT_GE(device.max_push_constants_size, 128u);
    EXPECT_GE(device.max_storage_buffer_range, 1ull << 27);
  }
}

TEST_F(InstanceTest, DefaultSelectionPrefersRealGpus) {
  uint32_t selected = instance.selectDevice();
  auto devices = instance.devices();
  ASSERT_LT(selected, devices.size());
  bool anyGpu = false;
  for (const auto &device : devices)
    anyGpu |= device.type == TESSERA_DEVICE_DISCRETE_GPU ||
              device.type == TESSERA_DEVICE_INTEGRATED_GPU;
  if (anyGpu)
    EXPECT_NE(devices[selected].type, TESSERA_DEVICE_CPU);
  else
    EXPECT_EQ(devices[selected].type, TESSERA_DEVICE_CPU);
}

TEST_F(InstanceTest, SelectsByIndexAndByNameSubstring) {
  auto devices = instance.devices();
  uint32_t last = static_cast<uint32_t>(devices.size() - 1);
  EXPECT_EQ(instance.selectDevice(std::to_string(last)), last);
  // Case-insensitive substring of the name.
  std::string name = devices[last].name;
  std::string upper;
  for (char c : name.substr(0, 4))
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  uint32_t byName = instance.selectDevice(upper);
  EXPECT_NE(std::string(devices[byName].name).find(name.substr(0, 4)),
            std::string::npos);
}

TEST_F(InstanceTest, RejectsUnknownDevicesWithTheListOfDevices) {
  try {
    instance.selectDevice("no-such-device-xyz");
    FAIL() << "expected an error";
  } catch (const tessera::Error &error) {
    EXPECT_EQ(error.status(), TESSERA_ERROR_NO_DEVICE);
    std::string message = error.what();
    EXPECT_NE(message.find("no-such-device-xyz"), std::string::npos) << message;
    EXPECT_NE(message.find(instance.devices()[0].name), std::string::npos)
        << message;
  }
  try {
    instance.selectDevice("999");
    FAIL() << "expected an error";
  } catch (const tessera::Error &error) {
    EXPECT_EQ(error.status(), TESSERA_ERROR_NO_DEVICE);
    EXPECT_NE(std::string(error.what()).find("out of range"),
              std::string::npos);
  }
}

TEST_F(InstanceTest, HonoursTesseraDeviceEnvironmentVariable) {
  auto devices = instance.devices();
  uint32_t last = static_cast<uint32_t>(devices.size() - 1);
  setenv("TESSERA_DEVICE", std::to_string(last).c_str(), 1);
  uint32_t selected = instance.selectDevice();
  unsetenv("TESSERA_DEVICE");
  EXPECT_EQ(selected, last);
}

TEST(CApiTest, RejectsNullArgumentsWithAMessage) {
  EXPECT_EQ(tessera_instance_create(nullptr, nullptr),
            TESSERA_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tessera_last_error()).find("out_instance"),
            std::string::npos);
  tessera_instance instance = nullptr;
  ASSERT_EQ(tessera_instance_create(nullptr, &instance), TESSERA_OK)
      << tessera_last_error();
  tessera_device_info info;
  EXPECT_EQ(tessera_instance_device_info(instance, 1000, &info),
            TESSERA_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tessera_last_error()).find("out of range"),
            std::string::npos);
  EXPECT_EQ(tessera_instance_select_device(instance, "0", nullptr),
            TESSERA_ERROR_INVALID_ARGUMENT);
  tessera_instance_destroy(instance);
  EXPECT_EQ(tessera_program_set_profiling(nullptr, 1),
            TESSERA_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tessera_last_error()).find("program is NULL"),
            std::string::npos);
  double seconds = 0;
  EXPECT_EQ(tessera_program_dispatch_seconds(nullptr, 0, &seconds),
            TESSERA_ERROR_INVALID_ARGUMENT);
  tessera_dispatch_info dispatch;
  EXPECT_EQ(tessera_program_dispatch_info(nullptr, 0, &dispatch),
            TESSERA_ERROR_INVALID_ARGUMENT);
  tessera_kernel_info kernel;
  EXPECT_EQ(tessera_program_kernel_info(nullptr, 0, &kernel),
            TESSERA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tessera_program_kernel_count(nullptr), 0u);
  EXPECT_STREQ(tessera_status_string(TESSERA_ERROR_VULKAN),
               "TESSERA_ERROR_VULKAN");
}

} // namespace
