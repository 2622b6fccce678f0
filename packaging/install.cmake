# install.cmake - what `cmake --install` puts where, beyond the two programs
# (server/ and client/ install thiduad into sbin and thidua into bin).
#
#   /etc/thidua/thiduad.conf             the sample configuration (kept if it exists;
#                                        PREFIX/etc/thidua unless the prefix is /usr)
#   PREFIX/lib/systemd/system/thiduad.service   the unit (or THIDUA_SYSTEMD_UNITDIR)
#   DATADIR/thidua/sql/*.sql             the migrations, for reference (thiduad embeds them)
#   DATADIR/thidua/pki                   the CA helper (scripts/pki)
#   DATADIR/thidua/reform/*.csv          reorganisations of the org units to apply
#                                        (thidua units reorganise FILE)
#   DATADIR/thidua/campaigns/*.ini       a sample campaign file (share/campaigns)
#   MANDIR/man8/thiduad.8.gz, man1/thidua.1.gz, and in Vietnamese
#   MANDIR/vi/man8/thiduad.8.gz, vi/man1/thidua.1.gz
#   DOCDIR/*.md                          README and docs/
#
# With prefix /usr the configuration goes to /etc (as GNUInstallDirs has it).
# Nothing is written outside the prefix otherwise: `cmake --install build
# --prefix /tmp/t` is a safe way to look at what an install holds. Included
# once from the top CMakeLists.txt; the .deb settings are in CPack.cmake.
include(GNUInstallDirs)

set(THIDUA_SYSTEMD_UNITDIR "" CACHE PATH
    "Where thiduad.service goes (default: PREFIX/lib/systemd/system)")

set(_thidua_pkg_src ${CMAKE_CURRENT_LIST_DIR})
set(_thidua_pkg_out ${CMAKE_BINARY_DIR}/packaging)

# The unit and the sample configuration name installed paths, so they are
# generated when installing, for the prefix of that install (`cmake --install
# --prefix DIR` included); install_config.cmake does it.
install(CODE "
  set(THIDUA_PKG_SRC \"${_thidua_pkg_src}\")
  set(THIDUA_PKG_OUT \"${_thidua_pkg_out}\")
  set(THIDUA_SBINDIR \"${CMAKE_INSTALL_SBINDIR}\")
  set(THIDUA_SYSTEMD_UNITDIR \"${THIDUA_SYSTEMD_UNITDIR}\")
")
install(SCRIPT ${_thidua_pkg_src}/install_config.cmake)

file(GLOB _thidua_sql CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/sql/*.sql)
install(FILES ${_thidua_sql} DESTINATION ${CMAKE_INSTALL_DATADIR}/thidua/sql)
install(PROGRAMS ${CMAKE_SOURCE_DIR}/scripts/pki DESTINATION ${CMAKE_INSTALL_DATADIR}/thidua)
file(GLOB _thidua_reform CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/share/reform/*.csv)
install(FILES ${_thidua_reform} DESTINATION ${CMAKE_INSTALL_DATADIR}/thidua/reform)
file(GLOB _thidua_campaigns CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/share/campaigns/*.ini)
install(FILES ${_thidua_campaigns} DESTINATION ${CMAKE_INSTALL_DATADIR}/thidua/campaigns)

# Man pages, compressed as Debian wants them (-n: no name or time inside, so
# the result is the same on every build).
find_program(THIDUA_GZIP gzip REQUIRED)
set(_thidua_man_gz)
foreach(_page thiduad.8 thidua.1 thiduad.vi.8 thidua.vi.1)
  # The version in the page's header comes from project(VERSION).
  configure_file(${_thidua_pkg_src}/${_page}.in ${_thidua_pkg_out}/${_page} @ONLY)
  add_custom_command(
    OUTPUT ${_thidua_pkg_out}/${_page}.gz
    COMMAND ${THIDUA_GZIP} -9nc ${_thidua_pkg_out}/${_page} > ${_thidua_pkg_out}/${_page}.gz
    DEPENDS ${_thidua_pkg_out}/${_page}
    COMMENT "Compressing the man page ${_page}")
  list(APPEND _thidua_man_gz ${_thidua_pkg_out}/${_page}.gz)
endforeach()
add_custom_target(thidua_man ALL DEPENDS ${_thidua_man_gz})
install(FILES ${_thidua_pkg_out}/thiduad.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${_thidua_pkg_out}/thidua.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
# A translation NAME.LANG.SECTION installs as LANG/manSECTION/NAME.SECTION, where man(1) looks.
install(FILES ${_thidua_pkg_out}/thiduad.vi.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/vi/man8
        RENAME thiduad.8.gz)
install(FILES ${_thidua_pkg_out}/thidua.vi.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/vi/man1
        RENAME thidua.1.gz)

file(GLOB _thidua_docs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${_thidua_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR})

include(${CMAKE_CURRENT_LIST_DIR}/CPack.cmake)

# The package and `cmake --install`, checked without touching the machine.
if(THIDUA_TESTS)
  add_test(NAME operations.package
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/test-package ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
  set_tests_properties(operations.package PROPERTIES LABELS "package" TIMEOUT 600)
endif()
