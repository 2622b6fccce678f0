# CPack.cmake - the Debian package, built by `cpack -G DEB` in any build
# directory once the programs are built:
#
#   cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-deb -j
#   (cd build-deb && cpack -G DEB)        # -> build-deb/thidua_VERSION_ARCH.deb
#
# The package always installs under /usr with its configuration in
# /etc/thidua, whatever CMAKE_INSTALL_PREFIX the build was configured with
# (that prefix is for `cmake --install`). One package holds both programs:
# district offices use thidua, the province also runs thiduad (installed, not
# enabled). Library dependencies come from dpkg-shlibdeps (libuv1,
# libprotobuf-c1, libpq5, libssl3, libsqlite3-0, libicu72, libinih1, ...);
# adduser is for the postinst that creates the `thidua` account.
# Included from install.cmake; packaging/test-package checks the result.

set(THIDUA_PACKAGE_MAINTAINER "thidua maintainers <thidua@localhost>"
    CACHE STRING "Maintainer field of the Debian package")

set(CPACK_PACKAGE_NAME thidua)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${THIDUA_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_VENDOR "thidua")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "achievement records of an emulation campaign, from district offices to the province")
set(CPACK_PACKAGE_DESCRIPTION
    "thidua carries the nominations of a Vietnamese province's emulation campaign (thi đua)
from its district offices to the province over mutual TLS.
.
thidua is the client each office runs: it works offline from a local SQLite
store and synchronises when the network is there; provincial administrators
use it with a province certificate to review, award and report.
.
thiduad is the province's server (libuv, PostgreSQL). It is installed with a
systemd unit that is not enabled: see thiduad(8).")
set(CPACK_RESOURCE_FILE_README ${CMAKE_SOURCE_DIR}/README.md)

# Installed into a staging DESTDIR with prefix /usr: install_config.cmake then
# writes the unit and the configuration for /usr/sbin and /etc/thidua.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/var/" "\\\\.swp$")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql (>= 15), sqlite3, openssl")

# Maintainer scripts: postinst creates the account; prerm stops the service.
set(_thidua_deb ${CMAKE_BINARY_DIR}/packaging/debian)
set(THIDUA_FULL_CONFDIR /etc/thidua)
configure_file(${CMAKE_CURRENT_LIST_DIR}/debian/postinst.in ${_thidua_deb}/postinst @ONLY
               FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                WORLD_READ WORLD_EXECUTE)
configure_file(${CMAKE_CURRENT_LIST_DIR}/debian/conffiles.in ${_thidua_deb}/conffiles @ONLY)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_thidua_deb}/postinst
    ${CMAKE_CURRENT_LIST_DIR}/debian/prerm
    ${CMAKE_CURRENT_LIST_DIR}/debian/postrm
    ${_thidua_deb}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

include(CPack)
