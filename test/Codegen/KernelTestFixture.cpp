//===- KernelTestFixture.cpp - Running generated kernels in tests ---------===//

#include "KernelTestFixture.h"

namespace tessera_test {

tessera_instance KernelTest::instance = nullptr;
uint32_t KernelTest::device = 0;

} // namespace tessera_test
