# Debian packages: `cpack -G DEB` in the build folder makes
#   libtessera-runtime  the runtime (shared and static), its headers, the
#                       CMake package and tessera-runtime.pc: what an
#                       application that runs compiled models needs
#   tessera             the tools (compiler and runtime) and the Python
#                       package (which link the runtime statically)
# installed under /usr. Dependencies on system libraries come from
# dpkg-shlibdeps.
set(CPACK_PACKAGE_NAME tessera)
set(CPACK_PACKAGE_VENDOR "Tessera")
set(CPACK_PACKAGE_CONTACT "Tessera developers <tessera-dev@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Ahead-of-time compiler and runtime for transformer models on Vulkan")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A shlibs file, and ldconfig run after install and removal, for
# libtessera_runtime.so.0.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_LIBTESSERA-RUNTIME_PACKAGE_NAME libtessera-runtime)
set(CPACK_DEBIAN_LIBTESSERA-RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_TESSERA_PACKAGE_NAME tessera)
# What the Python package imports (its extension's libraries come from
# dpkg-shlibdeps).
set(CPACK_DEBIAN_TESSERA_PACKAGE_DEPENDS "python3-numpy")

include(CPack)
cpack_add_component_group(libtessera-runtime
  DESCRIPTION "Tessera's runtime: runs compiled models (.tsr) on Vulkan")
cpack_add_component_group(tessera
  DESCRIPTION "Tessera's compiler, tools and Python package")
cpack_add_component(runtime GROUP libtessera-runtime)
cpack_add_component(development GROUP libtessera-runtime)
cpack_add_component(tools GROUP tessera)
cpack_add_component(compiler GROUP tessera)
cpack_add_component(python GROUP tessera)
