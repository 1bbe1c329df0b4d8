// LD_PRELOADed into janus by the benchmark only. Janus never gathers ICE
// candidates on a loopback interface (src/ice.c skips IFF_LOOPBACK), but the
// benchmark must keep all traffic on 127.0.0.1. This wraps getifaddrs() to
// clear that flag, so `ice_enforce_list = "lo"` gives Janus 127.0.0.1.
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>

extern "C" int getifaddrs(struct ifaddrs** out) {
  using fn = int (*)(struct ifaddrs**);
  static auto real = reinterpret_cast<fn>(dlsym(RTLD_NEXT, "getifaddrs"));
  int r = real ? real(out) : -1;
  if (r == 0)
    for (auto* i = *out; i != nullptr; i = i->ifa_next)
      i->ifa_flags &= ~static_cast<unsigned>(IFF_LOOPBACK);
  return r;
}
