#!/usr/bin/env bash
# `meson install` under an arbitrary prefix: the installed smiley must find
# its own library and the installed plugins (not the build tree's), and
# trace a program end to end with them.
set -euo pipefail
src=${SMILEY_SOURCE_ROOT:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

meson setup "$tmp/build" "$src" --prefix="$prefix" -Dpython="${SMILEY_PYTHON:-/usr/bin/python3}" >/dev/null
ninja -C "$tmp/build" >/dev/null
meson install -C "$tmp/build" >/dev/null
rm -rf "$tmp/build"   # nothing may come from a build tree

smiley=$prefix/bin/smiley
plugins=$(env -u SMILEY_PLUGIN_PATH "$smiley" plugins)
for name in smiley-tracer-python.so smiley-console.so smiley-store-sqlite.so smiley-socket.so; do
  if ! grep -q "$prefix/lib.*/smiley-1/plugins/$name" <<<"$plugins"; then
    echo "test-install: '$name' not loaded from the prefix:" >&2
    echo "$plugins" >&2
    exit 1
  fi
done
pkg=$(PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name smiley-1.pc)") pkg-config --variable=plugindir smiley-1)
[ -d "$pkg" ] || { echo "test-install: smiley-1.pc plugindir '$pkg' does not exist" >&2; exit 1; }

cd "$tmp"
out=$(env -u SMILEY_PLUGIN_PATH "$smiley" run --database runs.db "$src/test_app/test.py")
grep -q "this text is an html snippet" <<<"$out" || { echo "test-install: program output: $out" >&2; exit 1; }
listing=$("$smiley" list --database runs.db --format csv)
grep -q "exit status 0" <<<"$listing" || { echo "test-install: $listing" >&2; exit 1; }
run=$(sed -n 2p <<<"$listing" | cut -d, -f1)
# Read the whole replay first: `| grep -q` would close the pipe at the first
# match and, with pipefail, fail on smiley's EPIPE.
replay=$("$smiley" replay --database runs.db "$run")
grep -q "call>>> a" <<<"$replay" \
  || { echo "test-install: replay of $run lacks the call of a()" >&2; exit 1; }
echo "test-install: installed smiley under $prefix traced test_app with the installed plugins"
