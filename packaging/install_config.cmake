# install_config.cmake - run by `cmake --install` (install(SCRIPT) in
# install.cmake): writes thiduad.service and the sample thiduad.conf for the
# prefix of this install, and installs them.
#
# CMAKE_INSTALL_PREFIX here is the install-time prefix (--prefix wins over
# the configured one). With prefix /usr the configuration goes to /etc, as
# GNUInstallDirs has it; elsewhere to PREFIX/etc. An administrator's
# configuration is never overwritten: a newer sample goes beside it as
# thiduad.conf.new (the .deb leaves this to dpkg, which asks).
#
# Set by install.cmake: THIDUA_PKG_SRC (packaging/), THIDUA_PKG_OUT (where to
# generate), THIDUA_SBINDIR (relative or absolute), THIDUA_SYSTEMD_UNITDIR
# (empty: PREFIX/lib/systemd/system).

set(_prefix "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/+$" "" _prefix "${_prefix}")
if(_prefix STREQUAL "/usr" OR _prefix STREQUAL "")
  set(_etc /etc)
else()
  set(_etc ${_prefix}/etc)
endif()
set(THIDUA_FULL_CONFDIR ${_etc}/thidua)
if(IS_ABSOLUTE "${THIDUA_SBINDIR}")
  set(THIDUA_FULL_SBINDIR ${THIDUA_SBINDIR})
else()
  set(THIDUA_FULL_SBINDIR ${_prefix}/${THIDUA_SBINDIR})
endif()
set(_unitdir "${THIDUA_SYSTEMD_UNITDIR}")
if(_unitdir STREQUAL "")
  set(_unitdir ${_prefix}/lib/systemd/system)
endif()

set(_gen ${THIDUA_PKG_OUT}/install)
configure_file(${THIDUA_PKG_SRC}/thiduad.service.in ${_gen}/thiduad.service @ONLY)
configure_file(${THIDUA_PKG_SRC}/thiduad.conf.in ${_gen}/thiduad.conf @ONLY)

file(INSTALL ${_gen}/thiduad.service DESTINATION ${_unitdir}
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

set(_rw OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
if(EXISTS "$ENV{DESTDIR}${THIDUA_FULL_CONFDIR}/thiduad.conf")
  message(STATUS "Keeping $ENV{DESTDIR}${THIDUA_FULL_CONFDIR}/thiduad.conf; "
                 "the new sample is thiduad.conf.new")
  file(INSTALL ${_gen}/thiduad.conf DESTINATION ${THIDUA_FULL_CONFDIR}
       RENAME thiduad.conf.new PERMISSIONS ${_rw})
else()
  file(INSTALL ${_gen}/thiduad.conf DESTINATION ${THIDUA_FULL_CONFDIR} PERMISSIONS ${_rw})
endif()
