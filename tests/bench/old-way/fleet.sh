#!/usr/bin/env bash
# The old way for several gateways at once, for clawauth's benchmark: the old scripts knew one
# gateway, so this is the best a user could do with them — the quick check against every host in
# parallel, then one line per host. Exits 1 when any host is not OK.
here=$(dirname "$0")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for host in "$@"; do
  "$here/quick.sh" "$host" >"$dir/$host" &
done
wait
rc=0
for host in "$@"; do
  line=$(cat "$dir/$host")
  echo "$host $line"
  [ "$line" = OK ] || rc=1
done
exit $rc
