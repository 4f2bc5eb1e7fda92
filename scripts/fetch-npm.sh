#!/usr/bin/env bash
# Fetches the pinned npm packages in scripts/npm-packages.txt into
# third_party/npm/<name>/ with `npm pack` (no install scripts run) and
# verifies each tarball's sha256. Idempotent: a package whose tarball is
# already present with the right digest is not fetched again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
list="$root/scripts/npm-packages.txt"
dest="$root/third_party/npm"
cache="$dest/.tarballs"
mkdir -p "$cache"

while read -r name version sha paths; do
  [[ -z ${name:-} || $name == \#* ]] && continue
  tarball_name="$(echo "${name#@}" | tr '/' '-')-$version.tgz"
  tarball="$cache/$tarball_name"
  if [[ ! -f $tarball ]] || ! echo "$sha  $tarball" | sha256sum -c --status; then
    (cd "$cache" && npm pack --silent --ignore-scripts "$name@$version" >/dev/null)
  fi
  if ! echo "$sha  $tarball" | sha256sum -c --status; then
    echo "fetch-npm: checksum mismatch for $name@$version ($tarball)" >&2
    echo "  expected $sha" >&2
    echo "  got      $(sha256sum "$tarball" | cut -d' ' -f1)" >&2
    exit 1
  fi
  target="$dest/$name"
  stamp="$target/.longhaul-sha256"
  if [[ -f $stamp && $(cat "$stamp") == "$sha ${paths:-}" ]]; then continue; fi
  rm -rf "$target"
  mkdir -p "$target"
  members=()
  for p in ${paths:-}; do members+=("package/$p"); done
  tar -xzf "$tarball" -C "$target" --strip-components=1 --no-same-owner "${members[@]}"
  echo "$sha ${paths:-}" > "$stamp"
  echo "fetch-npm: $name@$version"
done < "$list"
