# libsrtp2 built on OpenSSL, for every process that runs webrtcbin.
#
# Why: Debian's libsrtp2-1 is built on NSS, which sets up a new NSS context for
# every packet; SRTP was 30% of the server's forwarding path. The same libsrtp2
# source on OpenSSL (AES-NI) protects and authenticates 1 KiB packets 3.4x
# faster (its own srtp_driver -t). GStreamer's srtp plugin stays Debian's: it
# needs the soname libsrtp2.so.1, and the dynamic linker gives it the copy the
# executable already loaded (this one) instead of the system's.
#
# The source is Debian bookworm's (the version libsrtp2-1 has, so the ABI is the
# same), fetched from Debian's archive and checked against its hash. With
# -DVR_SRTP_OPENSSL=OFF (an offline build) the system's NSS build is used.
option(VR_SRTP_OPENSSL "Build libsrtp2 on OpenSSL for the SRTP of every connection" ON)

# Linked by vr_media, so by every executable that runs webrtcbin.
add_library(vr_srtp INTERFACE)
if(VR_SRTP_OPENSSL)
  include(ExternalProject)
  find_package(OpenSSL 3 REQUIRED)
  # A Debian update of libsrtp2-1 (say a security fix) should move this copy too.
  set(vr_srtp_version 2.5.0)
  execute_process(COMMAND dpkg-query -W -f=\${Version} libsrtp2-1
    OUTPUT_VARIABLE vr_srtp_debian ERROR_QUIET RESULT_VARIABLE vr_dpkg_failed)
  if(NOT vr_dpkg_failed AND NOT vr_srtp_debian MATCHES "^${vr_srtp_version}-")
    message(WARNING "libsrtp2-1 is ${vr_srtp_debian}, the OpenSSL build is ${vr_srtp_version}: "
                    "update the URL and hash in cmake/srtp.cmake")
  endif()
  set(vr_srtp_dir ${PROJECT_BINARY_DIR}/_deps/libsrtp2)
  set(VR_SRTP_LIBRARY ${vr_srtp_dir}/build/libsrtp2.so.1)
  ExternalProject_Add(libsrtp2_openssl
    # Tried in order; the hash makes plain HTTP safe, HTTPS is there for
    # networks that only let TLS through.
    URL http://deb.debian.org/debian/pool/main/libs/libsrtp2/libsrtp2_${vr_srtp_version}.orig.tar.gz
        https://deb.debian.org/debian/pool/main/libs/libsrtp2/libsrtp2_${vr_srtp_version}.orig.tar.gz
    URL_HASH SHA256=8a43ef8e9ae2b665292591af62aa1a4ae41e468b6d98d8258f91478735da4e09
    DOWNLOAD_EXTRACT_TIMESTAMP ON
    DOWNLOAD_NO_PROGRESS ON
    PREFIX ${vr_srtp_dir}
    SOURCE_DIR ${vr_srtp_dir}/source
    BINARY_DIR ${vr_srtp_dir}/build
    # Its own optimisation flags (-O3 -funroll-loops); only the library is built.
    CONFIGURE_COMMAND <SOURCE_DIR>/configure --enable-openssl --disable-pcap
    BUILD_COMMAND make -s shared_library
    INSTALL_COMMAND ""
    BUILD_BYPRODUCTS ${VR_SRTP_LIBRARY}
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
