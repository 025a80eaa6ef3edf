#!/usr/bin/env bash
# The phone side of the old guided widget's OK path (OpenClaw's termux-auth-widget.sh), for
# clawauth's benchmark: one `ssh` for the verdict and, when it is OK, a second `ssh` for the
# details, then jq on the phone for the hours left. Toasts and vibration are left out, as they
# are for clawauth.
SERVER=${1:?usage: guided.sh HOST}
STATUS=$(ssh -F "$HOME/.ssh/config" "$SERVER" 'auth-status.sh simple' 2>&1)
case "$STATUS" in
OK)
  DETAILS=$(ssh -F "$HOME/.ssh/config" "$SERVER" 'auth-status.sh json' 2>&1)
  HOURS=$(echo "$DETAILS" | jq -r '.claude_code.status' | grep -oP '\d+(?=h)' || echo "?")
  echo "OK (${HOURS}h left)"
  ;;
*)
  echo "$STATUS"
  exit 1
  ;;
esac
