#!/usr/bin/env bash
# Builds Varnish VERSION... from the vendored release tarballs (../shared/vendor/varnish-VERSION.tar.gz)
# into a cache dir outside the checkout, once: $CMX_VARNISH_CACHE/VERSION (default
# /var/cache/cloudmatrix/varnish/VERSION). A finished build carries a .complete marker naming the
# tarball's sha256; a later run with the same tarball reuses it, a half-finished one is removed and
# built again (.build-seconds records how long the first build took). Prints the path of each varnishd on stdout; the build's log goes to VERSION.log
# beside it. Runs under nice -n 19 with make -j2 so that it spares the tests of others.
#   scripts/build-varnish.sh 4.1.11 6.0.16
# Env: CMX_VARNISH_CACHE (cache root), CMX_VARNISH_VENDOR (dir of the tarballs).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${CMX_VARNISH_CACHE:-/var/cache/cloudmatrix/varnish}
vendor=${CMX_VARNISH_VENDOR:-$here/../../shared/vendor}

[ $# -gt 0 ] || { echo "usage: build-varnish.sh VERSION..." >&2; exit 2; }

build_one() {
  local v=$1
  case "$v" in *[!0-9.]*|'') echo "build-varnish: \"$v\" is not a version like 6.0.16" >&2; return 2 ;; esac
  local tarball=$vendor/varnish-$v.tar.gz prefix=$cache/$v
  [ -f "$tarball" ] || { echo "build-varnish: $tarball not found (set CMX_VARNISH_VENDOR)" >&2; return 1; }
  local sum; sum=$(sha256sum "$tarball" | cut -d' ' -f1)
  if [ "$(cat "$prefix/.complete" 2>/dev/null)" = "$sum" ] && [ -x "$prefix/sbin/varnishd" ]; then
    echo "$prefix/sbin/varnishd"
    return 0
  fi
  mkdir -p "$cache"
  # One builder per version at a time; the others wait and then find it done.
  exec {lock}>"$cache/.$v.lock"
  flock "$lock"
  if [ "$(cat "$prefix/.complete" 2>/dev/null)" = "$sum" ] && [ -x "$prefix/sbin/varnishd" ]; then
    exec {lock}>&-
    echo "$prefix/sbin/varnishd"
    return 0
  fi
  local log=$cache/$v.log src=$cache/.src-$v start=$SECONDS
  [ -e "$prefix" ] && echo "build-varnish: $prefix is unfinished; building it again" >&2
  rm -rf "$prefix" "$src"
  mkdir -p "$src"
  echo "build-varnish: building Varnish $v into $prefix (log: $log)" >&2
  # (set -e does not act inside an "if !" test, hence the && chain.)
  if ! (
    cd "$src" &&
      tar -xzf "$tarball" --strip-components=1 &&
      # 4.1: autoconf 2.71 breaks on an unquoted AC_CHECK_PROGS inside AC_ARG_WITH (configure.ac line 58).
      { [ "$v" != 4.1.11 ] || sed -i 's/^  AC_CHECK_PROGS(RST2MAN, \[rst2man rst2man.py\], \[no\]))$/  [AC_CHECK_PROGS(RST2MAN, [rst2man rst2man.py], [no])])/' configure.ac; } &&
      nice -n 19 ./autogen.sh &&
      nice -n 19 ./configure --prefix="$prefix" --with-sphinx-build=/bin/true --disable-dependency-tracking &&
      nice -n 19 make -j2 &&
      nice -n 19 make install
  ) >"$log" 2>&1; then
    echo "build-varnish: Varnish $v failed to build; the end of $log:" >&2
    tail -n 30 "$log" >&2
    rm -rf "$prefix" "$src"
    exec {lock}>&-
    return 1
  fi
  "$prefix/sbin/varnishd" -V >>"$log" 2>&1
  rm -rf "$src"
  echo "$((SECONDS - start))" >"$prefix/.build-seconds"
  echo "$sum" >"$prefix/.complete"
  exec {lock}>&-
  echo "build-varnish: Varnish $v built in $((SECONDS - start)) s" >&2
  echo "$prefix/sbin/varnishd"
}

for v in "$@"; do build_one "$v"; done
