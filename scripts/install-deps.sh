#!/usr/bin/env bash
# Installs the Debian packages longhaul builds and tests with. Idempotent:
# skips apt entirely when everything is already present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libgit2-dev libtree-sitter-dev libboost-dev libboost-filesystem-dev
  nlohmann-json3-dev libsqlite3-dev sqlite3 catch2 libcli11-dev libxxhash-dev libpcre2-dev libedit-dev
  bubblewrap libseccomp-dev clang-14 libclang-rt-14-dev
)

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm come with the machine image; Debian's npm conflicts with it,
# so apt provides them only when npm is absent.
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
