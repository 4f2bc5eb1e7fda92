#!/usr/bin/env bash
# Enforces DESIGN.md section 1: modules include each other one way only,
# and only through public headers (those at a module's top level; headers
# in a module's subdirectories are private to it). tests/ and examples/
# may include anything.
#
# usage: check_includes.sh ROOT     exit 0 when clean, 1 on any violation
set -euo pipefail
root=${1:?usage: check_includes.sh ROOT}
cd "$root"

declare -A allowed=(
  [base]=""
  [kernels]="base"
  [engine]="kernels base"
  [sessions]="engine base"
  [sandbox]="base"
  [tools]="sandbox base"
  [agent]="engine sessions tools base"
)
modules=" ${!allowed[*]} "

violations=0
for module in "${!allowed[@]}"; do
  [ -d "$module" ] || continue
  while IFS= read -r -d '' file; do
    lineno=0
    while IFS= read -r line; do
      lineno=$((lineno + 1))
      [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]] || continue
      target=${BASH_REMATCH[1]}
      dep=${target%%/*}
      [[ $target == */* ]] || continue
      [[ $modules == *" $dep "* ]] || continue
      [ "$dep" = "$module" ] && continue
      if [[ " ${allowed[$module]} " != *" $dep "* ]]; then
        echo "$file:$lineno: $module may not include $target (allowed: ${allowed[$module]:-nothing})"
        violations=$((violations + 1))
      elif [[ $dep != base && ${target#*/} == */* ]]; then
        echo "$file:$lineno: $target is private to $dep; include its public header instead"
        violations=$((violations + 1))
      fi
    done < "$file"
  done < <(find "$module" -type f \( -name '*.h' -o -name '*.cc' -o -name '*.cu' -o -name '*.cuh' \) -print0)
done

if [ "$violations" -gt 0 ]; then
  echo "include rule: $violations violation(s)"
  exit 1
fi
echo "include rule: OK"
