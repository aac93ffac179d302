#!/usr/bin/env bash
# Installs the pinned PGlite assets into $1 (default: assets/pglite-0.5.17 of the
# repository). The pins and the installer live in Go (internal/assetinstall, run by
# cmd/pglite-assets); this wrapper stays for old habits.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/assets/pglite-0.5.17}
case $dest in /*) ;; *) dest=$PWD/$dest ;; esac
cd "$root"
exec go run ./cmd/pglite-assets -dir "$dest"
