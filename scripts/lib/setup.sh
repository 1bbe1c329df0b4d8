# Sourced by scripts/run, scripts/test and scripts/bench: installs what is missing
# (Debian and npm packages) and builds the client (vr_setup); each script then
# builds into build/ what it needs (vr_build). Idempotent, one line on standard
# error per stage; never asks a question (CI has no standard input).
set -euo pipefail
export CI=true DEBIAN_FRONTEND=noninteractive

VR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export VR_ROOT
cd "$VR_ROOT"

# Debian packages the build, the server and the tests need.
VR_APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libcaf-dev catch2 rapidjson-dev libboost-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-nice gstreamer1.0-tools libnice-dev libgoogle-perftools-dev
  libssl-dev openssl dpkg-dev libjwt-dev
  chromium ffmpeg coturn clang-format
  firefox-esr nftables iproute2
)

vr_log() { printf '[setup] %s\n' "$*" >&2; }

vr_sudo() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

vr_install_apt() {
  local missing=() p
  for p in "${VR_APT_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' \
      || missing+=("$p")
  done
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  vr_log "installing Debian packages: ${missing[*]}"
  vr_sudo apt-get update -qq < /dev/null
  vr_sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" < /dev/null >/dev/null
}

vr_install_npm() {
  # Reinstall only when package.json or the lock changed since the last install.
  local stamp=node_modules/.vr-stamp want
  want="$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  vr_log "installing npm packages"
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error < /dev/null >/dev/null
  else
    npm install --no-audit --no-fund --loglevel=error < /dev/null >/dev/null
  fi
  echo "$want" > "$stamp"
}

vr_build_client() {
  vr_log "building client"
  npm run --silent build:client < /dev/null
}

# vr_build DIR [CMAKE_ARGS...] [--target T...]: configures once, then builds
# (everything, or only the targets named and what they need).
vr_build() {
  local dir="${1:-build}"; shift || true
  local cmake_args=() build_args=()
  while [ $# -gt 0 ]; do
    if [ "$1" = --target ]; then build_args=("$@"); break; fi
    cmake_args+=("$1"); shift
  done
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S . -B "$dir" -G Ninja ${cmake_args[@]+"${cmake_args[@]}"} < /dev/null >/dev/null
  fi
  # Progress lines hidden; pipefail keeps the build's own exit status.
  cmake --build "$dir" -j"$(nproc)" ${build_args[@]+"${build_args[@]}"} < /dev/null \
    | { grep -vE '^\[[0-9]+/[0-9]+\] ' || true; }
}

# vr_setup [EXTRA_DEBIAN_PACKAGES...]: packages and the client; no C++ build.
vr_setup() {
  vr_install_apt "$@"
  vr_install_npm
  vr_build_client
}
