//! The last good check of each host (issue 17, item 7): a gateway that cannot be reached now
//! still shows what was known and how old it is. Each host's last readable [`Report`] is kept
//! in its own file, written atomically (mode 0600); a report holds no secret (OpenClaw's masked
//! labels at most), and its outside strings are escaped in the file as in any JSON clawauth
//! writes. Reading is bounded in size and depth, and a file that cannot be used is simply no
//! last good check: it never stops a check.

use camino::{Utf8Path, Utf8PathBuf};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::openclaw::env::Environment;
use crate::report::Report;

/// What a last-good file may weigh: a gateway's report is at most 4 MiB over SSH.
const MAX_BYTES: u64 = 4 * 1024 * 1024;
const VERSION: u32 = 1;

/// A host's last readable report and when it was kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastGood {
    version: u32,
    /// When this machine kept it (the report's own `taken_at` is the gateway's moment).
    pub kept_at: DateTime<Utc>,
    pub report: Report,
}

impl LastGood {
    /// How long ago it was kept, at `now` (never negative: a clock set back reads as just now).
    pub fn age_ms(&self, now: DateTime<Utc>) -> i64 {
        crate::time::to_ms(now)
            .saturating_sub(crate::time::to_ms(self.kept_at))
            .max(0)
    }
}

/// The default directory: `$XDG_CACHE_HOME/clawauth/last-good` (when absolute), else
/// `~/.cache/clawauth/last-good`. Front ends without a HOME (an Android app) pass their own.
pub fn default_dir(env: &Environment) -> Option<Utf8PathBuf> {
    env.xdg_dir("XDG_CACHE_HOME", ".cache")
        .map(|d| d.join("clawauth").join("last-good"))
}

/// The file of `host` in `dir`: the host name percent-encoded, so any name is one plain file
/// name inside `dir` (a `/` or `..` in a name cannot leave it).
pub fn path(dir: &Utf8Path, host: &str) -> Utf8PathBuf {
    let encoded = crate::display::percent_encode(host);
    // `.` is unreserved in URLs, but a leading one would make `.`, `..` or a hidden file.
    let name = match encoded.strip_prefix('.') {
        Some(rest) => format!("%2E{rest}"),
        None if encoded.is_empty() => "%00".to_owned(),
        None => encoded,
    };
    dir.join(format!("{name}.json"))
}

/// Keeps `report` as `host`'s last good check when it is readable (a verdict was reached and
/// nothing failed); returns whether it was kept. `host` is the name the front end checked (the
/// report's own host name is the gateway's and may differ).
pub fn keep(dir: &Utf8Path, host: &str, report: &Report, now: DateTime<Utc>) -> Result<bool> {
    if !crate::monitor::observe::readable(report) {
        return Ok(false);
    }
    crate::fsutil::create_private_dir(dir)?;
    let doc = LastGood {
        version: VERSION,
        kept_at: now,
        report: report.clone(),
    };
    let text = crate::display::to_json(&doc)
        .map_err(|e| Error::Invalid(format!("cannot serialise the last good check: {e}")))?;
    crate::fsutil::write_atomic(
        &path(dir, host),
        format!("{text}\n").as_bytes(),
        Some(0o600),
    )?;
    Ok(true)
}

/// What to show beside `report` when it could not read the host: the host's last good check,
/// if one was kept. `None` for a readable report.
pub fn beside(
    dir: &Utf8Path,
    host: &str,
    report: &Report,
) -> Option<crate::report::LastGoodSummary> {
    if crate::monitor::observe::readable(report) {
        return None;
    }
    let last = load(dir, host)?;
    Some(crate::report::LastGoodSummary {
        kept_at: last.kept_at,
        age_ms: last.age_ms(report.taken_at),
        verdict: last.report.verdict,
        headline: crate::report::human::headline(&last.report),
    })
}

/// After a check of now of `host`: attaches the last good check when the report could not read
/// the gateway, and keeps the report when it could. A failure to keep it is logged, never fatal.
pub fn note(dir: &Utf8Path, host: &str, report: &mut Report, now: DateTime<Utc>) {
    report.last_good = beside(dir, host, report);
    if let Err(e) = keep(dir, host, report, now) {
        tracing::warn!("cannot keep the last good check of {host}: {e}");
    }
}

/// `host`'s last good check, if one was kept and can be read.
pub fn load(dir: &Utf8Path, host: &str) -> Option<LastGood> {
    let p = path(dir, host);
    let bytes = crate::openclaw::files::read_capped(&p, MAX_BYTES).ok()??;
    if crate::openclaw::json::nests_deeper_than(&bytes, crate::openclaw::json::MAX_DEPTH) {
        return None;
    }
    serde_json::from_slice::<LastGood>(&bytes)
        .ok()
        .filter(|l| l.version == VERSION && l.report.schema == crate::report::SCHEMA_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Verdict;

    fn report(verdict: Verdict) -> Report {
        let t = crate::time::from_ms(1_795_256_402_000);
        let mut r = Report::new("gw", t, t, 86_400_000);
        r.finish();
        r.verdict = verdict;
        r
    }

    #[test]
    fn a_readable_check_is_kept_and_read_back_with_its_age() {
        let t = tempfile::tempdir().expect("tmp");
        let dir = Utf8Path::from_path(t.path()).expect("utf-8").join("last");
        let now = crate::time::from_ms(1_795_256_402_000);
        assert!(load(&dir, "gw").is_none());
        assert!(keep(&dir, "gw", &report(Verdict::Expiring), now).expect("keep"));
        // An unreadable check never replaces the last good one.
        assert!(!keep(&dir, "gw", &report(Verdict::Unknown), now).expect("keep"));
        let last = load(&dir, "gw").expect("kept");
        assert_eq!(last.report.verdict, Verdict::Expiring);
        let later = crate::time::from_ms(1_795_256_402_000 + 7_200_000);
        assert_eq!(last.age_ms(later), 7_200_000);
        assert_eq!(last.age_ms(crate::time::from_ms(0)), 0);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path(&dir, "gw"))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn any_host_name_is_one_file_inside_the_directory() {
        let dir = Utf8Path::new("/c");
        for host in [
            "gw",
            "pi@gw:22",
            "../../etc/passwd",
            "a/b",
            "",
            ".",
            "..",
            "é\n",
        ] {
            let p = path(dir, host);
            assert_eq!(p.parent(), Some(dir), "{host:?} → {p}");
            let name = p.file_name().expect("a name");
            assert!(
                !name.starts_with('.') && !name.contains('/'),
                "{host:?} → {name}"
            );
        }
        assert_ne!(path(dir, "a/b"), path(dir, "a%2Fb"));
    }

    #[test]
    fn a_damaged_file_is_no_last_good_check() {
        let t = tempfile::tempdir().expect("tmp");
        let dir = Utf8Path::from_path(t.path()).expect("utf-8");
        for bad in [
            "".to_owned(),
            "{".to_owned(),
            "[".repeat(100_000),
            r#"{"version":2,"kept_at":"2026-12-01T00:00:00Z","report":{}}"#.to_owned(),
        ] {
            std::fs::write(path(dir, "gw"), bad).expect("write");
            assert!(load(dir, "gw").is_none());
        }
    }
}
