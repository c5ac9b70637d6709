#!/usr/bin/env bash
# Set up smiley on Debian 12: install the Debian packages it builds and
# tests with (only those missing, so a second run needs no network), then
# configure and build it in ./build. Run as root, or with sudo available.
#
#   bash setup.sh            # packages + build
#   SMILEY_BUILD_DIR=b bash setup.sh
set -euo pipefail
cd "$(dirname "$0")"

packages=(
  build-essential meson ninja-build pkg-config git
  clang libclang-rt-14-dev clang-format
  libglib2.0-dev libjson-glib-dev libsqlite3-dev sqlite3
  libsoup-3.0-dev libgraphviz-dev graphviz
  python3 python3-dev libpython3-dev python3-distutils
  python3-coverage libpython3.11-testsuite
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=${SMILEY_BUILD_DIR:-build}
opts=(-Dpython=/usr/bin/python3)
# CI treats every warning as an error.
if [ "${CI:-}" = true ]; then opts+=(-Dwerror=true); fi

if [ -f "$build/build.ninja" ]; then
  meson configure "$build" "${opts[@]}" >/dev/null
else
  meson setup "$build" "${opts[@]}" >/dev/null
fi
ninja -C "$build" >/dev/null
echo "setup: built $build/smiley" >&2
