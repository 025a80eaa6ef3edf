#!/usr/bin/env python3
"""Makes the seed corpora of the targets that read a gateway's state, reports and answers, from
the repo's own fixtures (tests/fixtures/openclaw/corpus: states and outputs of the real OpenClaw
CLI; examples/gateway: the sample gateway). Run from the repo root after a `cargo build`:

    python3 fuzz/make-seeds.py

The seeds are committed; rerun only when the fixtures change. A RAW seed starts with b"RAW\\0";
the multi-file targets read `name\\ncontent` sections separated by NUL bytes.
"""
import base64, glob, hashlib, json, os, sqlite3, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests/fixtures/openclaw/corpus")
OUT = os.path.join(ROOT, "fuzz/corpus")
RAW = b"RAW\0"


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(RAW + data)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def sections(**files):
    return b"\0".join(k.encode() + b"\n" + v for k, v in files.items() if v is not None)


def sample_rows():
    db = sqlite3.connect(os.path.join(ROOT, "examples/gateway/.openclaw/state/openclaw.sqlite"))
    rows = dict(db.execute("SELECT state_key, value_json FROM config_machine_state"))
    return {k: v.encode() for k, v in rows.items()}


def main():
    # gateway_state: each fixture's input, and the sample gateway.
    for d in sorted(glob.glob(os.path.join(CORPUS, "*/"))):
        name = os.path.basename(d.rstrip("/"))
        inp = os.path.join(d, "input")
        files = dict(
            config=read(os.path.join(inp, ".openclaw/openclaw.json")),
            legacy_profiles=read(os.path.join(inp, ".openclaw/agents/main/agent/auth-profiles.json")),
            store=read(os.path.join(inp, "seed/authProfiles.store.json")),
            state=read(os.path.join(inp, "seed/authProfiles.state.json")),
            claude=read(os.path.join(inp, ".claude/.credentials.json")),
        )
        if files["store"] is not None:
            files["shared"] = b'{"location":"state-db"}'
        if any(v is not None for v in files.values()):
            put("gateway_state", name, sections(**files))
        if files["claude"] is not None:
            put("external_creds", name, sections(claude=files["claude"]))
        # models_status: what the real CLI printed.
        for run in sorted(glob.glob(os.path.join(d, "runs/models-status-json*.stdout"))):
            data = read(run)
            if data:
                put("models_status", name + "-" + os.path.basename(run)[:-7], data)
    rows = sample_rows()
    sample = sections(
        config=read(os.path.join(ROOT, "examples/gateway/.openclaw/openclaw.json")),
        store=rows.get("authProfiles.store"),
        state=rows.get("authProfiles.state"),
        shared=rows.get("auth.sharedStore"),
        claude=read(os.path.join(ROOT, "examples/gateway/.claude/.credentials.json")),
    )
    put("gateway_state", "sample-gateway", sample)
    put(
        "gateway_state",
        "include-and-env",
        sections(
            config=b'{$include: "./inc.json5", agents: {defaults: {model: {primary: "${MODEL}"}}}}',
            include=b'{auth: {order: {anthropic: ["anthropic:a", "anthropic:b"]}}}',
            dotenv=b"MODEL=anthropic/claude-opus-4-6\nexport OTHER='x y'\n",
            store=b'{"version":1,"profiles":{"anthropic:a":{"type":"token","provider":"anthropic","token":"sk-ant-oat01-FAKE-aaaaaaaaaaaaaaaaaaaa","expires":1795300000000},"anthropic:b":{"type":"api_key","provider":"anthropic","key":"sk-ant-api03-FAKE-bbbbbbbbbbbbbbbbbbbb"}}}',
            state=b'{"version":1,"usageStats":{"anthropic:a":{"cooldownUntil":1795260000000,"cooldownReason":"rate_limit"}}}',
            shared=b'{"location":"state-db"}',
        ),
    )

    # gateway_report: the reports clawauth itself prints for the sample gateway.
    binary = os.path.join(ROOT, "target/debug/clawauth")
    env = dict(os.environ, HOME=os.path.join(ROOT, "examples/gateway"),
               OPENCLAW_STATE_DIR=os.path.join(ROOT, "examples/gateway/.openclaw"),
               PATH="/nonexistent")
    for at in ["+0s", "+3d", "+40d", "-30d"]:
        out = subprocess.run([binary, "status", "--format", "json", "--source", "direct",
                              "--at", at], env=env, capture_output=True).stdout
        if out:
            put("gateway_report", "sample-at" + at, out)

    # external_creds: a Codex login (a fake JWT) and a MiniMax login.
    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    jwt = "%s.%s.FAKE-signature" % (b64({"alg": "none"}), b64({
        "exp": 1795300000, "email": "fake@example.com",
        "https://api.openai.com/auth": {"chatgpt_plan_type": "plus"}}))
    put("external_creds", "codex-chatgpt", sections(codex=json.dumps({
        "auth_mode": "chatgpt", "OPENAI_API_KEY": None,
        "tokens": {"id_token": jwt, "access_token": jwt, "refresh_token": "FAKE-refresh-token-cccccccccccc",
                   "account_id": "acct"}, "last_refresh": "2026-11-30T10:00:00Z"}).encode()))
    put("external_creds", "codex-api-key", sections(codex=b'{"OPENAI_API_KEY": "sk-FAKE-openai-dddddddddddddddddddd"}'))
    put("external_creds", "minimax", sections(minimax=b'{"access_token":"FAKE-a","refresh_token":"FAKE-r","expiry_date":1795300000000}'))

    # remote_probe: the probe's answers (GNU date, busybox date, chatter, unusable paths) and
    # a legacy-files bundle.
    probes = {
        "gnu": "Welcome to the gateway\nclawauth-probe 1\nnow 1795256400.123456789\nhome /home/pi\npath /home/pi/.npm-global/bin:/usr/bin:/bin\nclawauth \nopenclaw /home/pi/.npm-global/bin/openclaw\nclaude /usr/bin/claude\ntimeout /usr/bin/timeout\n",
        "busybox": "clawauth-probe 1\nnow 1795256400.%N\nhome /root\npath /usr/bin:/bin\nclawauth /usr/local/bin/clawauth\nopenclaw \n",
        "unusable": "clawauth-probe 1\nnow 12\nunusable clawauth missing\nunusable openclaw not-executable\nunusable state_dir not-a-directory\n",
    }
    for name, text in probes.items():
        put("remote_probe", name, text.encode())
    bundle = "@@file@@ /home/pi/.openclaw/openclaw.json\n%s\n@@end@@\n@@file@@ /home/pi/.openclaw/agents/main/agent/auth-profiles.json\n%s\n@@end@@\n" % (
        base64.b64encode(b'{"agents": {"defaults": {"model": "anthropic/claude-opus-4-6"}}}').decode(),
        base64.b64encode(b'{"version": 1, "profiles": {}}').decode())
    put("remote_probe", "bundle", bundle.encode())

    # ntfy_responses: what ntfy and others answer when they refuse.
    for name, body in {
        "ntfy-403": b'{"code":40301,"http":403,"error":"forbidden","link":"https://ntfy.sh/docs/publish/#authentication"}',
        "ntfy-429": b'{"code":42901,"http":429,"error":"limit reached: too many requests"}',
        "html-502": b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n",
        "text": b"topic not found\n",
    }.items():
        put("ntfy_responses", name, body)


if __name__ == "__main__":
    main()
