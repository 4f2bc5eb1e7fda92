#!/usr/bin/env bash
# Installs the npm test peers whose dependency trees do not fit the
# tarball-per-package scheme of fetch-npm.sh: each tests/peers/NAME/ holds a
# package.json with exact versions and a committed package-lock.json
# (lockfileVersion 3, a sha512 `integrity` for every package), installed
# with `npm ci` into third_party/npm-peers/NAME/ (git-ignored). npm ci
# refuses any tarball whose digest differs from the lock; install scripts
# never run.
#
# Idempotent: a peer whose lock file hash matches the stamp left by the
# last install is skipped.
#
# To change a version: edit tests/peers/NAME/package.json, then in that
# directory run `npm install --ignore-scripts --package-lock-only` and
# commit both files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

for src in "$root"/tests/peers/*/; do
  name=$(basename "$src")
  [[ -f $src/package.json && -f $src/package-lock.json ]] || continue
  dest="$root/third_party/npm-peers/$name"
  stamp="$dest/.longhaul-lock-sha256"
  want=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$want" && -d $dest/node_modules ]]; then continue; fi
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  (cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" > "$stamp"
  echo "fetch-npm-peers: $name"
done
