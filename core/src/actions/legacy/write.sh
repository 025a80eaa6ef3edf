set -u
set -f
umask 077
LC_ALL=C
export LC_ALL
lock="$p.lock"
ltmp="$p.lock.$nonce.tmp"
seen="$p.lock.$nonce.seen"
tmp=''
payload=''
locked=0
holder='unknown'
say() { printf 'clawauth: %s\n' "$*" >&2; }
cleanup() {
  if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi
  rm -f -- "$ltmp" "$seen"
  if [ "$locked" = 1 ]; then
    cur=$(cat -- "$lock" 2>/dev/null) && [ "$cur" = "$payload" ] && rm -f -- "$lock"
  fi
}
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Field 22 of /proc/PID/stat (start time in clock ticks since boot).
starttime_of() {
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  set -- $s
  [ $# -ge 20 ] || return 1
  printf '%s' "${20}"
}
# Success when PID is definitely dead (OpenClaw's isPidDefinitelyDead; EPERM counts as alive).
pid_dead() {
  [ "$1" -gt 0 ] 2>/dev/null || return 0
  if [ -d /proc/self ]; then
    [ -d "/proc/$1" ] || return 0
    st=$(grep '^State:' "/proc/$1/status" 2>/dev/null) || return 1
    case $st in *Z*|*'X (dead)'*) return 0 ;; esac
    return 1
  fi
  out=$(kill -0 "$1" 2>&1) && return 1
  case $out in *'o such process'*) return 0 ;; esac
  return 1
}
ino_of() {
  set -- $(ls -di -- "$1" 2>/dev/null)
  [ $# -ge 1 ] || return 1
  printf '%s' "$1"
}
# Seconds since the epoch of a JS toISOString() value.
iso_to_epoch() {
  case $1 in *Z) ;; *) return 1 ;; esac
  c=${1%Z}
  c=${c%.*}
  case $c in
    [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]) ;;
    *) return 1 ;;
  esac
  date -u -d "${c%T*} ${c#*T}" +%s 2>/dev/null
}
sha_of() {
  if command -v sha256sum >/dev/null 2>&1; then set -- $(sha256sum < "$1")
  elif command -v shasum >/dev/null 2>&1; then set -- $(shasum -a 256 < "$1")
  elif command -v openssl >/dev/null 2>&1; then set -- $(openssl dgst -sha256 < "$1"); shift $(($# - 1))
  else return 1
  fi
  [ $# -ge 1 ] || return 1
  printf '%s' "$1"
}
# The payload 2026.6.1's writers put in the lock: JSON.stringify(…, null, 2).
mkpayload() {
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  if st=$(starttime_of $$); then
    payload=$(printf '{\n  "pid": %s,\n  "createdAt": "%s",\n  "starttime": %s\n}' "$$" "$now" "$st")
  else
    payload=$(printf '{\n  "pid": %s,\n  "createdAt": "%s"\n}' "$$" "$now")
  fi
}
# 0: the lock is ours; 1: someone holds it; 2: it cannot be created.
try_lock() {
  mkpayload
  printf '%s\n' "$payload" > "$ltmp" || return 2
  if ln -- "$ltmp" "$lock" 2>/dev/null; then
    rm -f -- "$ltmp"
    if [ -d "$lock" ]; then
      # An old proper-lockfile lock directory: ln put the link inside it.
      rm -f -- "$lock/${ltmp##*/}"
      return 1
    fi
    locked=1
    return 0
  fi
  rm -f -- "$ltmp"
  if [ -e "$lock" ] || [ -L "$lock" ]; then return 1; fi
  # No hard links on this file system: O_EXCL through noclobber.
  if (set -C; printf '%s\n' "$payload" > "$lock") 2>/dev/null; then
    locked=1
    return 0
  fi
  if [ -e "$lock" ] || [ -L "$lock" ]; then return 1; fi
  return 2
}
# Looks at the lock someone else holds. 0: it was stale and is removed; 1: it stands;
# 3: it changed or vanished meanwhile (try again now).
inspect() {
  i1=$(ino_of "$lock") || return 3
  if ! cat -- "$lock" > "$seen" 2>/dev/null; then
    [ -e "$lock" ] || return 3
    holder='unknown (the lock cannot be read)'
    return 1
  fi
  flat=$(tr -d ' \t\r\n' < "$seen")
  if ! printf '%s\n' "$flat" | grep -Eq '^[{]("[A-Za-z_]+":("[^"\\]*"|-?[0-9]+|null)(,"[A-Za-z_]+":("[^"\\]*"|-?[0-9]+|null))*)?[}]$'; then
    holder='unknown (the lock content is not understood)'
    return 1
  fi
  hp=$(printf '%s\n' "$flat" | sed -n 's/.*[{,]"pid":\(-\{0,1\}[0-9][0-9]*\)[,}].*/\1/p')
  hs=$(printf '%s\n' "$flat" | sed -n 's/.*[{,]"starttime":\([0-9][0-9]*\)[,}].*/\1/p')
  hc=$(printf '%s\n' "$flat" | sed -n 's/.*[{,]"createdAt":"\([^"]*\)"[,}].*/\1/p')
  stale=0
  case $flat in
    *'"pid":'*)
      if [ -z "$hp" ]; then holder='unknown (no numeric pid)'; return 1; fi
      holder=$hp
      if [ -n "$hs" ] && cs=$(starttime_of "$hp") && [ "$cs" != "$hs" ]; then
        stale=1
      elif pid_dead "$hp"; then
        stale=1
      fi
      ;;
    *)
      holder='none recorded'
      if [ -n "$hc" ] && t=$(iso_to_epoch "$hc") && now=$(date -u +%s); then
        [ $((now - t)) -gt "$stale_s" ] && stale=1
      fi
      ;;
  esac
  [ "$stale" = 1 ] || return 1
  # Remove it only if it is still the very lock we judged.
  i2=$(ino_of "$lock") || return 3
  [ "$i1" = "$i2" ] || return 3
  cmp -s -- "$lock" "$seen" || return 3
  rm -f -- "$lock" || return 1
  return 0
}

dir=${p%/*}
[ -n "$dir" ] || dir=/
if [ ! -d "$dir" ]; then
  mkdir -p -- "$dir" || { say "cannot create the directory $dir"; exit 73; }
fi

waited=0
reclaimed=0
got=0
for d in $delays end; do
  spins=0
  while :; do
    try_lock
    r=$?
    if [ "$r" = 0 ]; then got=1; break 2; fi
    if [ "$r" = 2 ]; then say "cannot create the lock file $lock"; exit 73; fi
    inspect
    r=$?
    spins=$((spins + 1))
    [ "$spins" -le 20 ] || break
    case $r in
      0) reclaimed=1; continue ;;
      3) continue ;;
    esac
    break
  done
  [ "$d" = end ] && break
  sleep "$((d / 1000)).$(printf '%03d' $((d % 1000)))" 2>/dev/null || sleep 1
  waited=$((waited + d))
done
if [ "$got" != 1 ]; then
  printf 'holder=%s\n' "$holder"
  exit 75
fi

# Write through a symbolic link to its target, as OpenClaw does.
t=$p
n=0
while [ -L "$t" ]; do
  n=$((n + 1))
  [ "$n" -le 40 ] || { say "too many levels of symbolic links at $p"; exit 73; }
  l=$(readlink -- "$t") || { say "cannot read the symbolic link $t"; exit 73; }
  case $l in /*) t=$l ;; *) t=${t%/*}/$l ;; esac
done
tdir=${t%/*}
[ -n "$tdir" ] || tdir=/
if [ ! -d "$tdir" ]; then
  mkdir -p -- "$tdir" || { say "cannot create the directory $tdir"; exit 73; }
fi

# Still what clawauth read?
if [ "$expect" = absent ]; then
  if [ -e "$t" ]; then exit 76; fi
else
  [ -f "$t" ] || exit 76
  h=$(sha_of "$t") || exit 78
  [ "$h" = "$expect" ] || exit 76
fi

new="$t.$nonce.tmp"
(set -C; : > "$new") 2>/dev/null || { say "cannot create $new"; exit 73; }
tmp=$new
cat > "$tmp" || { say "cannot write $tmp"; exit 73; }
set -- $(wc -c < "$tmp")
[ "${1:-0}" = "$len" ] || { say "received ${1:-0} bytes instead of $len"; exit 74; }
chmod 600 -- "$tmp" || { say "cannot chmod $tmp"; exit 73; }
sync -- "$tmp" 2>/dev/null || :
mv -f -- "$tmp" "$t" || { say "cannot replace $t"; exit 73; }
tmp=''
chmod 600 -- "$t" 2>/dev/null || :
sync -- "$tdir" 2>/dev/null || :
printf 'waited_ms=%s reclaimed=%s\n' "$waited" "$reclaimed"
exit 0
