//! Writing OpenClaw 2026.6's legacy `auth-profiles.json` (SPEC §2.3) on the gateway.
