#!/bin/sh
# Run by `cloudmatrix create-image` before each build: copies Debian's redis-server and the shared
# libraries it loads (as ldd lists them, the loader included) into rootfs/ of this build context,
# so that the image is FROM scratch and built offline (rootfs/ is not committed).
set -eu
cd "$(dirname "$0")"
src=${CMX_REDIS_SERVER:-/usr/bin/redis-server}
[ -x "$src" ] || { echo "prepare.sh: $src not found: apt-get install redis-server" >&2; exit 1; }
rm -rf rootfs.new
mkdir -p rootfs.new/usr/bin rootfs.new/data rootfs.new/tmp
# redis-server is a symlink to redis-check-rdb in Debian; the binary picks its mode from argv[0].
cp -L "$src" rootfs.new/usr/bin/redis-server
for lib in $(ldd "$src" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'); do
  mkdir -p "rootfs.new$(dirname "$lib")"
  cp -L "$lib" "rootfs.new$lib"
done
if [ -d rootfs ] && diff -r rootfs rootfs.new >/dev/null 2>&1; then rm -rf rootfs.new; else rm -rf rootfs && mv rootfs.new rootfs; fi
