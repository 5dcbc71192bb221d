#!/usr/bin/env bash
# Builds the quarry container image: a fully static quarry binary (glibc with crt-static,
# rustls, bundled SQLite), a small root filesystem around it, and a FROM-scratch image.
#
#   deploy/docker/build.sh [--tag NAME:TAG]...     (default tags: quarry:local, quarry:VERSION)
#   deploy/docker/build.sh --binary-only           (only the static binary; prints its path)
#
# Needs the Rust toolchain, a C compiler and Docker; no registry (nothing is pulled).
# Environment: QUARRY_STATIC_TARGET_DIR (cargo's target dir for the static build, kept apart
# from the normal one because RUSTFLAGS differ; default /var/tmp/quarry-static),
# QUARRY_IMAGE_SOURCE (the org.opencontainers.image.source label).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

tags=()
binary_only=false
while (($#)); do
  case $1 in
    --tag|-t) tags+=("$2"); shift 2 ;;
    --binary-only) binary_only=true; shift ;;
    -h|--help) sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo is not installed (the binary is built on the host)"

# The host's target triple, which must be glibc Linux: crt-static there gives a static-pie.
target=$(rustc -vV | sed -n 's/^host: //p')
[[ $target == *-linux-gnu ]] || die "host target $target: build.sh builds static binaries on *-linux-gnu only"

say "building the static binary ($target, release)"
export CARGO_TARGET_DIR=${QUARRY_STATIC_TARGET_DIR:-/var/tmp/quarry-static}
(
  cd "$root"
  RUSTFLAGS="-C target-feature=+crt-static -C force-frame-pointers=yes" \
    CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_STRIP=symbols \
    cargo build --release --locked --quiet --target "$target" -p quarry-cli
)
bin=$CARGO_TARGET_DIR/$target/release/quarry

# Static means: no program interpreter and no shared library needed (a static-pie still has a
# DYNAMIC segment for its own relocations, so "dynamic" alone proves nothing).
if ! command -v readelf >/dev/null; then die "readelf (binutils) is needed to check the binary"; fi
if readelf -lW "$bin" | grep -q 'INTERP' || readelf -dW "$bin" | grep -q '(NEEDED)'; then
  readelf -dW "$bin" | grep '(NEEDED)' >&2 || true
  die "$bin is dynamically linked; it would not run in a scratch image"
fi
say "$bin: $(ls -l "$bin" | awk '{print $5}') bytes, static$(command -v file >/dev/null && file -b "$bin" | grep -o ', static[-a-z]* linked')"
if $binary_only; then
  echo "$bin"
  exit 0
fi
command -v docker >/dev/null || die "docker is not installed"

# A CA bundle for the image (HTTPS clones and code host APIs); installed once if missing.
ca=/etc/ssl/certs/ca-certificates.crt
if [[ ! -s $ca ]]; then
  command -v apt-get >/dev/null && [[ $(id -u) == 0 ]] ||
    die "$ca is missing: install your distribution's ca-certificates package"
  say "installing ca-certificates"
  apt-get update -qq && apt-get install -y -qq ca-certificates >/dev/null
  [[ -s $ca ]] || die "ca-certificates installed but $ca is still missing"
fi

version=$("$bin" --version | awk '{print $2}')

say "preparing the build context"
ctx=$here/build
rm -rf "$ctx"
mkdir -p "$ctx/rootfs/usr/local/bin" "$ctx/rootfs/etc/ssl/certs" "$ctx/rootfs/etc/quarry" \
  "$ctx/rootfs/tmp" "$ctx/data"
install -m 0755 "$bin" "$ctx/rootfs/usr/local/bin/quarry"
install -m 0644 "$ca" "$ctx/rootfs/etc/ssl/certs/ca-certificates.crt"
install -m 0644 "$here/quarry.toml" "$ctx/rootfs/etc/quarry/quarry.toml"
printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
  'quarry:x:65532:65532:quarry:/data:/sbin/nologin' >"$ctx/rootfs/etc/passwd"
printf '%s\n' 'root:x:0:' 'quarry:x:65532:' >"$ctx/rootfs/etc/group"
chmod 0644 "$ctx/rootfs/etc/passwd" "$ctx/rootfs/etc/group"
chmod 1777 "$ctx/rootfs/tmp"
chmod 0755 "$ctx/data"

revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
if [[ $revision != unknown ]] && [[ -n $(git -C "$root" status --porcelain 2>/dev/null) ]]; then
  revision+="-dirty"
fi
((${#tags[@]})) || tags=(quarry:local "quarry:$version")
tag_args=(); for t in "${tags[@]}"; do tag_args+=(-t "$t"); done

say "building the image ${tags[*]}"
docker build --quiet "${tag_args[@]}" \
  --build-arg VERSION="$version" \
  --build-arg REVISION="$revision" \
  --build-arg SOURCE="${QUARRY_IMAGE_SOURCE:-unknown}" \
  -f "$here/Dockerfile" "$here" >/dev/null
size=$(docker image inspect -f '{{.Size}}' "${tags[0]}")
say "built ${tags[*]}: $((size / 1000000)) MB ($size bytes)"
