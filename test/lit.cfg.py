# lit configuration for Tessera. Tests are .mlir files under test/ whose
# RUN lines call tessera-opt and FileCheck from the build and LLVM 22.
import os

import lit.formats
import lit.util

config.name = "Tessera"
config.test_format = lit.formats.ShTest(not lit.util.which("bash") is None)
config.suffixes = [".mlir", ".test", ".onnxtxt"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "RuntimeUnit", "e2e", "Inputs", "fuzz"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tessera_obj_root, "test")

# Tools: Tessera's own first, then FileCheck, not and friends from LLVM 22.
for directory in (config.llvm_tools_dir, config.tessera_tools_dir):
    config.environment["PATH"] = os.path.pathsep.join(
        [directory, config.environment.get("PATH", "")])

config.substitutions.append(("%tessera_src_root", config.tessera_src_root))
# Debian's python3 with numpy, torch and onnx (test/models).
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(("%tessera_obj_root", config.tessera_obj_root))
