#!/usr/bin/env bash
# fetch-debian-source.sh PACKAGE VERSION DEST
#
# Unpacks the Debian source package PACKAGE at exactly VERSION into DEST, with
# Debian's patches applied (dpkg-source -x). The files come through apt itself,
# from the repositories the system's apt is already configured with (whatever
# mirror or proxy that is): apt checks the Release file's signature against the
# keys the system trusts and every file's hash, and dpkg-source checks the
# hashes the .dsc lists.
#
# The system's apt is left as it is: the deb-src entries go into a private,
# temporary sources list, and the source indexes into a private state and cache
# directory, removed on exit. No root needed. Used by cmake/srtp.cmake.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 PACKAGE VERSION DEST" >&2
  exit 2
fi
package=$1 version=$2 dest=$3

for tool in apt-get apt-config dpkg-source; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$0: $tool is missing (dpkg-source: install dpkg-dev)" >&2
    exit 1
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt downloads as its unprivileged user (_apt) when run as root: it must reach
# the private directories.
chmod 755 "$tmp"
mkdir -p "$tmp/etc/sources.list.d" "$tmp/state/lists/partial" "$tmp/cache/archives/partial" "$tmp/src"
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$tmp/src"; fi

# The system's source lists, wherever its configuration puts them.
eval "$(apt-config shell sys_list Dir::Etc::SourceList/f sys_parts Dir::Etc::SourceParts/d)"
one_line=()
[ -f "${sys_list:-}" ] && one_line+=("$sys_list")
deb822=()
if [ -d "${sys_parts:-}" ]; then
  for f in "$sys_parts"/*.list; do [ -f "$f" ] && one_line+=("$f"); done
  for f in "$sys_parts"/*.sources; do [ -f "$f" ] && deb822+=("$f"); done
fi

# One-line format: "deb [options] URI suite components" becomes "deb-src ...",
# options (signed-by=...) kept; existing deb-src lines kept as they are.
if [ ${#one_line[@]} -gt 0 ]; then
  sed -n -e 's/#.*//' -e 's/^[[:space:]]*deb\(-src\)\{0,1\}[[:space:]]/deb-src /p' "${one_line[@]}" \
    | sort -u > "$tmp/etc/sources.list"
else
  : > "$tmp/etc/sources.list"
fi
# deb822 format: every stanza as it is (URIs, Suites, Components, Signed-By,
# Enabled), its Types now deb-src.
i=0
for f in ${deb822[@]+"${deb822[@]}"}; do
  i=$((i + 1))
  sed -e 's/^[Tt][Yy][Pp][Ee][Ss]:.*/Types: deb-src/' "$f" > "$tmp/etc/sources.list.d/$i-$(basename "$f")"
done

# Only these settings differ from the system's: apt.conf and apt.conf.d (proxy,
# ...), the trusted keys (Dir::Etc::Trusted, TrustedParts) and signed-by stay.
apt_private=(
  -o "Dir::Etc::SourceList=$tmp/etc/sources.list"
  -o "Dir::Etc::SourceParts=$tmp/etc/sources.list.d"
  -o "Dir::State=$tmp/state"
  -o "Dir::Cache=$tmp/cache"
  -o "Dir::Cache::pkgcache="
  -o "Dir::Cache::srcpkgcache="
)
export DEBIAN_FRONTEND=noninteractive

# A repository that publishes no sources (a third-party one) makes update fail
# for its entries only; whether the package was found is what counts.
update_status=0
apt-get "${apt_private[@]}" -q update > "$tmp/update.log" 2>&1 < /dev/null || update_status=$?
if ! (cd "$tmp/src" && apt-get "${apt_private[@]}" -q --only-source --download-only \
        source "$package=$version" > "$tmp/source.log" 2>&1 < /dev/null); then
  echo "$0: apt could not fetch the source package $package=$version" >&2
  echo "--- apt-get update (exit status $update_status):" >&2
  cat "$tmp/update.log" >&2
  echo "--- apt-get source:" >&2
  cat "$tmp/source.log" >&2
  exit 1
fi

# The .dsc names its files and their hashes; dpkg-source checks them, unpacks
# the upstream tarball and applies Debian's patches. (Its gpgv cannot check the
# .dsc's own signature without the developers' keys, debian-keyring; the
# signed Release file apt checked vouches for the .dsc's hash.)
dsc=$(ls "$tmp/src/${package}_"*.dsc)
rm -rf "$dest" "$dest.unpacking"
mkdir -p "$(dirname "$dest")"
if ! dpkg-source -x "$dsc" "$dest.unpacking" > "$tmp/unpack.log" 2>&1 < /dev/null; then
  echo "$0: dpkg-source could not unpack $dsc" >&2
  cat "$tmp/unpack.log" >&2
  exit 1
fi
mv "$dest.unpacking" "$dest"
echo "$0: $package $version, Debian's source with its patches, in $dest"
