#!/usr/bin/env bash
# The gateway side of the old way, for clawauth's benchmark (tests/bench.sh).
#
# OpenClaw's optional scripts/claude-auth-status.sh, which the Termux widgets ran over ssh, works
# like this: it runs `openclaw models status --json` once, then picks the verdict out of the JSON
# with jq and shell arithmetic. `simple` prints one word (OK, CLAUDE_EXPIRING, ...); `json`
# prints a small JSON document with the time left. This script does the same work (one Node.js
# start, three jq runs for `simple`, four for `json`) in its own words; it reproduces the cost of
# the old path, not its text.
set -u
mode=${1:-simple}
warn_ms=$((24 * 3600 * 1000))

status_json=$(openclaw models status --json 2>/dev/null || true)
now_ms=$(($(date +%s) * 1000))

pick() { # FILTER: one number out of the status JSON (0 when absent)
  printf '%s' "$status_json" | jq -r "$1" 2>/dev/null || echo 0
}

classify() { # EXPIRES_AT_MS -> MISSING | EXPIRED | EXPIRING:<h>h | OK:<h>h
  local exp=$1
  [[ $exp =~ ^[0-9]+$ ]] || exp=0
  local left=$((exp - now_ms))
  if ((exp <= 0)); then
    echo MISSING
  elif ((left < 0)); then
    echo EXPIRED
  elif ((left < warn_ms)); then
    echo "EXPIRING:$((left / 3600000))h"
  else
    echo "OK:$((left / 3600000))h"
  fi
}

anthropic_exp=$(pick '[.auth.oauth.profiles[] | select(.provider == "anthropic" and (.type == "oauth" or .type == "token")) | .expiresAt // 0] | max // 0')
oauth_exp=$(pick '[.auth.oauth.profiles[] | select(.provider == "anthropic" and .type == "oauth") | .expiresAt // 0] | max // 0')
api_keys=$(pick '[.auth.providers[] | select(.provider == "anthropic") | .profiles.apiKey] | max // 0')
[[ $api_keys =~ ^[0-9]+$ ]] || api_keys=0

claude=$(classify "$anthropic_exp")
if ((oauth_exp <= 0)); then
  if ((api_keys > 0)); then openclaw_status=OK:static; else openclaw_status=$claude; fi
else
  openclaw_status=$(classify "$oauth_exp")
fi

case $mode in
simple)
  case "$claude/$openclaw_status" in
  EXPIRED* | MISSING*) echo CLAUDE_EXPIRED; exit 1 ;;
  */EXPIRED* | */MISSING*) echo OPENCLAW_EXPIRED; exit 1 ;;
  EXPIRING*) echo CLAUDE_EXPIRING; exit 2 ;;
  */EXPIRING*) echo OPENCLAW_EXPIRING; exit 2 ;;
  *) echo OK ;;
  esac
  ;;
json)
  jq -n --arg cs "$claude" --arg ce "$anthropic_exp" --arg os "$openclaw_status" --arg oe "$oauth_exp" '{
    claude_code: {status: $cs, expires_at_ms: ($ce | tonumber)},
    openclaw: {status: $os, expires_at_ms: ($oe | tonumber)},
    needs_reauth: ([$cs, $os] | any(startswith("EXPIR") or startswith("MISSING")))
  }'
  ;;
*)
  echo "usage: auth-status.sh simple|json" >&2
  exit 64
  ;;
esac
