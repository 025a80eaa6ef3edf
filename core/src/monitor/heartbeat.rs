//! The monitor's own heartbeat, healthchecks.io style: `<url>/start` when a run begins, `<url>`
//! when it ends well, `<url>/<exit status>` when it fails, all with the same `rid` so the
//! service pairs them and measures the run. When the pings stop, the service alerts: a monitor
//! that died is itself noticed.

use std::time::Duration;

use super::config::HeartbeatConfig;
use crate::openclaw::env::Environment;

/// Pings one check.
pub struct Heartbeat {
    client: reqwest::Client,
    url: String,
    rid: String,
}

impl Heartbeat {
    pub fn new(cfg: &HeartbeatConfig, env: &Environment) -> Result<Self, String> {
        let timeout = Duration::from_millis(cfg.timeout_ms.unsigned_abs());
        let mut id = [0u8; 16];
        rand::fill(&mut id);
        // A version-4 UUID, as healthchecks expects for rid.
        id[6] = (id[6] & 0x0f) | 0x40;
        id[8] = (id[8] & 0x3f) | 0x80;
        let h = crate::fsutil::hex(&id);
        let rid = format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        );
        Ok(Self {
            client: super::http::client(env, timeout)?,
            url: cfg.url.clone(),
            rid,
        })
    }

    /// Where it pings, without the secret path.
    pub fn origin(&self) -> String {
        super::http::origin(&self.url)
    }

    async fn ping(&self, suffix: &str, body: String) -> Result<(), String> {
        let url = format!("{}{suffix}?rid={}", self.url, self.rid);
        let resp = self
            .client
            .post(url)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "heartbeat to {}: {}",
                    self.origin(),
                    super::http::describe(&e)
                )
            })?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(format!(
                "heartbeat to {} answered {}",
                self.origin(),
                resp.status()
            ))
        }
    }

    /// The run begins.
    pub async fn start(&self) -> Result<(), String> {
        self.ping("/start", String::new()).await
    }

    /// The run ended with `code`; `summary` (no secrets) goes in the body, which healthchecks
    /// shows with the ping.
    pub async fn finish(&self, code: i32, summary: &str) -> Result<(), String> {
        let suffix = if code == 0 {
            String::new()
        } else {
            format!("/{}", code.clamp(1, 255))
        };
        self.ping(&suffix, summary.chars().take(10_000).collect())
            .await
    }
}
