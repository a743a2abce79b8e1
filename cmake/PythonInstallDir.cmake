# tessera_python_install_dir(PYTHON PREFIX OUT): the folder, relative to
# PREFIX, where PYTHON looks for packages installed under PREFIX: Debian's
# own scheme (lib/python3/dist-packages under /usr, lib/python3.X/
# dist-packages elsewhere), else the standard lib/python3.X/site-packages.
# Used at configure time (the tests) and at install time (python/), where
# the prefix may be another than the configured one (cmake --install
# --prefix, cpack).
function(tessera_python_install_dir python prefix out)
  execute_process(
    COMMAND ${python} -c [=[
import os, sys, sysconfig
prefix = sys.argv[1]
if "deb_system" in sysconfig.get_scheme_names():
    print("lib/python3/dist-packages" if os.path.normpath(prefix) == "/usr" else
          "lib/python%d.%d/dist-packages" % sys.version_info[:2])
else:
    print(os.path.relpath(sysconfig.get_path(
        "platlib", "posix_prefix", vars={"platbase": ".", "base": "."})))
]=] ${prefix}
    OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE failed)
  if(failed OR NOT dir)
    message(FATAL_ERROR "${python} could not say where packages go")
  endif()
  set(${out} ${dir} PARENT_SCOPE)
endfunction()
