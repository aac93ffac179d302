#!/usr/bin/env bash
# Fetches the pinned PGlite npm package and checks it by sha256, then keeps the runtime assets
# (pglite.wasm, pglite.data, initdb.wasm, the contrib bundles and the bundle's file table) in $1.
set -euo pipefail

dest=${1:-assets/pglite-0.5.16}
version=0.5.16
tarball_sha=04e3a275aa4f7663d94ec06fcf1288379c23845a3cd09decf474b424b1ee5c7c

declare -A want=(
  [pglite.wasm]=5256d9ac379f631355f41ab30291e6a6d9f854242b5ee2a2d0940e28041d3fca
  [pglite.data]=d73cf4ba1b0bf92f80f088ce7d23b17f9bc175327d7584ec2a713b27e9758c31
  [initdb.wasm]=63d8b9d54110f827711545a338a643621e65b5658f09e1acfcf36073be365ce2
  [pglite.js]=b4ee8cc358344c9e495a57b4301938178bec1a2c6d6fad10cd600f5f8632b2a0
)

check() { # file sha
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$got" != "$2" ]; then
    echo "assets: sha256 mismatch for $1: got $got, want $2" >&2
    exit 1
  fi
}

if [ -f "$dest/.complete" ]; then
  for f in "${!want[@]}"; do check "$dest/$f" "${want[$f]}"; done
  echo "assets: $dest is up to date"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@electric-sql/pglite@$version" >/dev/null)
check "$work/electric-sql-pglite-$version.tgz" "$tarball_sha"
tar -xzf "$work/electric-sql-pglite-$version.tgz" -C "$work"

mkdir -p "$dest/contrib"
for f in "${!want[@]}"; do
  check "$work/package/dist/$f" "${want[$f]}"
  cp "$work/package/dist/$f" "$dest/$f"
done
cp "$work"/package/dist/*.tar.gz "$dest/contrib/"
(cd "$dest/contrib" && sha256sum -- *.tar.gz > SHA256SUMS)
go run ./internal/cmd/bundletable "$dest/pglite.js" "$dest/pglite.data" > "$dest/files.json"
touch "$dest/.complete"
echo "assets: installed PGlite $version into $dest"
