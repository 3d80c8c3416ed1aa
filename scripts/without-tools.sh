#!/usr/bin/env bash
# Runs a command as if some programs were not installed: scripts/without-tools.sh bwrap socat rg -- npm test
#
# They live in /usr/bin next to node, git and everything else, so dropping a PATH entry is not enough: every PATH
# directory that holds one of them is replaced by a directory of symlinks to all its other entries. Programs
# that are called by absolute path (/usr/bin/bwrap) are not hidden; the code under test looks them up on PATH.
set -euo pipefail

hide=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do hide+=("$1"); shift; done
if [ $# -lt 2 ] || [ ${#hide[@]} -eq 0 ]; then
  echo "usage: $0 PROGRAM... -- COMMAND [ARG...]   (e.g. $0 bwrap socat rg -- npm test)" >&2
  exit 2
fi
shift

farm="$(mktemp -d "${TMPDIR:-/tmp}/without-tools.XXXXXX")"
trap 'rm -rf "$farm"' EXIT
new_path=()
declare -A seen=()
i=0
IFS=: read -r -a dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  [ -n "$dir" ] && [ -d "$dir" ] || continue
  real="$(cd "$dir" && pwd -P)"
  [ -z "${seen[$real]:-}" ] || continue
  seen[$real]=1
  holds=0
  for p in "${hide[@]}"; do [ -e "$dir/$p" ] && holds=1; done
  if [ $holds -eq 0 ]; then new_path+=("$dir"); continue; fi
  i=$((i + 1))
  shim="$farm/$i"
  mkdir "$shim"
  for entry in "$dir"/* "$dir"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    name="${entry##*/}"
    skip=0
    for p in "${hide[@]}"; do [ "$name" = "$p" ] && skip=1; done
    [ $skip -eq 1 ] || ln -s "$entry" "$shim/$name"
  done
  new_path+=("$shim")
done
PATH="$(IFS=:; echo "${new_path[*]}")"
export PATH
for p in "${hide[@]}"; do
  if command -v "$p" >/dev/null 2>&1; then echo "$0: could not hide $p ($(command -v "$p"))" >&2; exit 1; fi
done
echo "without-tools: hidden from PATH: ${hide[*]}" >&2
# Not exec: the trap removes the symlink farm when the command ends.
"$@"
