# libsrtp2 built on OpenSSL, for every process that runs webrtcbin.
#
# Why: Debian's libsrtp2-1 is built on NSS, which sets up a new NSS context for
# every packet; SRTP was 30% of the server's forwarding path. The same libsrtp2
# source on OpenSSL (AES-NI) protects and authenticates 1 KiB packets 3.4x
# faster (its own srtp_driver -t). GStreamer's srtp plugin stays Debian's: it
# needs the soname libsrtp2.so.1, and the dynamic linker gives it the copy the
# executable already loaded (this one) instead of the system's.
#
# The source is the one Debian builds its libsrtp2-1 from, at the version
# installed (so the ABI is the same), Debian's patches (security fixes
# included) applied: cmake/fetch-debian-source.sh gets it through apt, from the
# repositories the system's apt already uses, signature and hashes checked.
# A Debian update of libsrtp2-1 rebuilds this copy at the new version on the
# next configure (and the update itself makes the build configure again).
# With -DVR_SRTP_OPENSSL=OFF (an offline build) the system's NSS build is used.
option(VR_SRTP_OPENSSL "Build libsrtp2 on OpenSSL for the SRTP of every connection" ON)

# Linked by vr_media, so by every executable that runs webrtcbin.
add_library(vr_srtp INTERFACE)
if(VR_SRTP_OPENSSL)
  include(ExternalProject)
  find_package(OpenSSL 3 REQUIRED)
  # The source package and its version (without a binNMU's +bN) of the
  # libsrtp2-1 that GStreamer's srtp plugin was built against.
  execute_process(COMMAND dpkg-query -W "-f=\${db:Status-Abbrev}|\${source:Package}|\${source:Version}" libsrtp2-1
    OUTPUT_VARIABLE vr_srtp_debian ERROR_QUIET RESULT_VARIABLE vr_dpkg_failed)
  if(vr_dpkg_failed OR NOT vr_srtp_debian MATCHES "^ii *\\|([^|]+)\\|([^|]+)$")
    message(FATAL_ERROR "libsrtp2-1 is not installed (gstreamer1.0-plugins-bad brings it; "
                        "scripts/run installs it). Without network access, configure with "
                        "-DVR_SRTP_OPENSSL=OFF to use the system's libsrtp2 instead.")
  endif()
  set(vr_srtp_package ${CMAKE_MATCH_1})
  set(vr_srtp_version ${CMAKE_MATCH_2})
  # Configure again when dpkg installs another libsrtp2-1 (its file list is rewritten).
  file(GLOB vr_srtp_dpkg_list /var/lib/dpkg/info/libsrtp2-1.list /var/lib/dpkg/info/libsrtp2-1:*.list)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${vr_srtp_dpkg_list})
  # Everything of one version (source, build, step stamps) in a directory named
  # after it, so a new version is fetched and built from scratch; the library
  # is then copied to the one path every executable links and loads.
  string(REGEX REPLACE "[^A-Za-z0-9.+~-]" "_" vr_srtp_version_dir "${vr_srtp_version}")
  set(vr_srtp_dir ${PROJECT_BINARY_DIR}/_deps/libsrtp2)
  set(vr_srtp_prefix ${vr_srtp_dir}/${vr_srtp_version_dir})
  set(VR_SRTP_LIBRARY ${vr_srtp_dir}/build/libsrtp2.so.1)
  # Other versions' directories go: going back to one rebuilds (and copies) it.
  file(GLOB vr_srtp_old LIST_DIRECTORIES true ${vr_srtp_dir}/*)
  list(REMOVE_ITEM vr_srtp_old ${vr_srtp_prefix} ${vr_srtp_dir}/build)
  if(vr_srtp_old)
    file(REMOVE_RECURSE ${vr_srtp_old})
  endif()
  message(STATUS "libsrtp2 on OpenSSL: Debian's source package ${vr_srtp_package} ${vr_srtp_version}")
  ExternalProject_Add(libsrtp2_openssl
    PREFIX ${vr_srtp_prefix}
    SOURCE_DIR ${vr_srtp_prefix}/source
    BINARY_DIR ${vr_srtp_prefix}/build
    DOWNLOAD_COMMAND ${CMAKE_CURRENT_LIST_DIR}/fetch-debian-source.sh
                     ${vr_srtp_package} ${vr_srtp_version} <SOURCE_DIR>
    # Its own optimisation flags (-O3 -funroll-loops); only the library is built.
    CONFIGURE_COMMAND <SOURCE_DIR>/configure --enable-openssl --disable-pcap
    BUILD_COMMAND make -s shared_library
          COMMAND ${CMAKE_COMMAND} -E make_directory ${vr_srtp_dir}/build
          COMMAND ${CMAKE_COMMAND} -E copy <BINARY_DIR>/libsrtp2.so.1 ${VR_SRTP_LIBRARY}
    INSTALL_COMMAND ""
    BUILD_BYPRODUCTS ${VR_SRTP_LIBRARY}
    LOG_DOWNLOAD ON
    LOG_CONFIGURE ON
    LOG_BUILD ON
    LOG_OUTPUT_ON_FAILURE ON)
  add_library(vr_srtp_openssl SHARED IMPORTED)
  set_target_properties(vr_srtp_openssl PROPERTIES
    IMPORTED_LOCATION ${VR_SRTP_LIBRARY}
    IMPORTED_SONAME libsrtp2.so.1)
  add_dependencies(vr_srtp_openssl libsrtp2_openssl)
  # Nothing of ours calls libsrtp2; the executable must still load it before
  # the plugin does, so it stays needed even under --as-needed.
  set(CMAKE_LINK_LIBRARY_USING_vr_no_as_needed
    "LINKER:--push-state,--no-as-needed" "<LINK_ITEM>" "LINKER:--pop-state")
  set(CMAKE_LINK_LIBRARY_USING_vr_no_as_needed_SUPPORTED TRUE)
  target_link_libraries(vr_srtp INTERFACE "$<LINK_LIBRARY:vr_no_as_needed,vr_srtp_openssl>")
endif()
