#!/bin/sh
# An installed tree works wherever its prefix is: `cmake --install` into a
# fresh folder, then every command without --db finds the bundled
# database and styles under PREFIX/share/mapsvc.
# usage: check_install.sh BUILD_DIR
set -eu
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
cmake --install "$build" --prefix "$dest" >/dev/null
cd /   # nothing found by accident in the working directory
"$dest/bin/mapsvc" --version
"$dest/bin/mapsvc" nearest --lat 36.85 --lon 118.1 --limit 1 >"$dest/near.json"
grep -q '"id":"zb-heitieshan-memorial"' "$dest/near.json" || { echo "nearest: wrong answer"; cat "$dest/near.json"; exit 1; }
"$dest/bin/mapsvc" render 14/13566/6389 -o "$dest/tile.png"
sig=$(od -An -tx1 -N8 "$dest/tile.png" | tr -d ' \n')
[ "$sig" = 89504e470d0a1a0a ] || { echo "render: not a PNG ($sig)"; exit 1; }
[ "$(wc -c <"$dest/tile.png")" -gt 200 ] || { echo "render: the tile over Heitieshan is empty"; exit 1; }
echo "installed tree: ok"
