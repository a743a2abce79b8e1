//===- version.cpp - What the runtime is --------------------------------===//

#include "tessera/version.h"
#include "tessera/runtime.h"
#include "tessera/tsr_format.h"
#include "tessera_git_revision.h"

#include <string>

extern "C" {

const char *tessera_version(void) { return TESSERA_VERSION_STRING; }

const char *tessera_git_revision(void) { return TESSERA_GIT_REVISION; }

uint32_t tessera_format_version(void) { return tessera::tsr::kFormatVersion; }

const char *tessera_version_text(void) {
  static const std::string text = std::string("Tessera ") +
                                  TESSERA_VERSION_STRING + " (git " +
                                  TESSERA_GIT_REVISION + "), .tsr format " +
                                  std::to_string(tessera::tsr::kFormatVersion);
  return text.c_str();
}

} // extern "C"
