//! Status of a gateway reached through a [`Gateway`] (SSH): the ladder of DESIGN.md §Core 6,
//! every rung over the same connection, the first that answers wins:
//!
//! 1. `clawauth status --format json` on the gateway, when clawauth is installed there
//!    (milliseconds, no Node.js);
//! 2. `openclaw models status --json --check`, found through a login shell's `PATH` or the
//!    configured path, under a hard timeout on both ends;
//! 3. the old scripts' fallback for old installs: OpenClaw's legacy JSON files and Claude Code's
//!    `.credentials.json`, read over the connection and evaluated here by the same rules as a
//!    local check.
//!
//! A check is one command ([`check_script`]): a probe reports the gateway's clock, home, login
//! `PATH` and where the programs are, then the same script runs the first of rungs 1 and 2 that
//! can, its output framed with a marker of this check's own. A rung that fails after that, and
//! rung 3, run as their own commands on the same connection. Every value that goes into a
//! remote command is validated and quoted.

use std::time::{Duration, Instant};

use base64::Engine as _;
use camino::{Utf8Path, Utf8PathBuf};
use chrono::{DateTime, Utc};

use super::{SourceChoice, StatusRequest, cli};
use crate::gateway::{Command, Gateway, GatewayError, Limits, quote_path};
use crate::openclaw::credentials::WARN_MS;
use crate::openclaw::env::Environment;
use crate::report::{Phase, Problem, RemoteSource, Report, Transport, Via};
use crate::time::to_ms;

/// What to ask the gateway.
#[derive(Debug, Clone)]
pub struct RemoteRequest {
    pub agent: Option<String>,
    /// OpenClaw's state dir on the gateway (default: the gateway's own rules).
    pub state_dir: Option<String>,
    /// The openclaw program on the gateway (default: found through a login shell's PATH).
    pub openclaw: Option<String>,
    /// The clawauth program on the gateway (default: found through a login shell's PATH).
    pub clawauth: Option<String>,
    pub source: SourceChoice,
    pub at: Option<DateTime<Utc>>,
    pub warn_ms: i64,
    pub cli_timeout: Duration,
    /// Where `state_dir`, `openclaw` and `clawauth` came from, for messages about them.
    pub set_by: SetBy,
}

/// Where a path setting of a [`RemoteRequest`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Origin {
    /// Not said (messages then say "the configured …").
    #[default]
    Unsaid,
    /// Chosen for this one run (a command-line flag, a field on a screen).
    Flag,
    /// The host's table in config.toml.
    ConfigToml,
}

/// The [`Origin`] of each path setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetBy {
    pub state_dir: Origin,
    pub openclaw: Origin,
    pub clawauth: Origin,
}

/// How the user set `value` for `key` (`state_dir`, `openclaw` or `clawauth`), in their words:
/// `clawauth = "/opt/x/clawauth" (config.toml)`, `the state dir /srv/oc given for this run`.
fn setting(key: &str, value: &str, origin: Origin) -> String {
    let what = key.replace('_', " ");
    match origin {
        Origin::ConfigToml => format!("{key} = {value:?} (config.toml)"),
        Origin::Flag => format!("the {what} {value} given for this run"),
        Origin::Unsaid => format!("the configured {what} {value}"),
    }
}

impl RemoteRequest {
    /// Refuses an agent id or path that could not be passed safely (before anything connects).
    pub fn validate(&self) -> Result<(), String> {
        if let Some(a) = &self.agent {
            crate::validate::validate_agent_id(a).map_err(|e| format!("agent {a:?}: {e}"))?;
        }
        for (what, p) in [
            ("state dir", &self.state_dir),
            ("openclaw path", &self.openclaw),
            ("clawauth path", &self.clawauth),
        ] {
            if let Some(p) = p {
                crate::validate::validate_remote_path(p)
                    .map_err(|e| format!("{what} {p:?}: {e}"))?;
            }
        }
        Ok(())
    }
}

impl Default for RemoteRequest {
    fn default() -> Self {
        Self {
            agent: None,
            state_dir: None,
            openclaw: None,
            clawauth: None,
            source: SourceChoice::Auto,
            at: None,
            warn_ms: WARN_MS as i64,
            cli_timeout: Duration::from_secs(30),
            set_by: SetBy::default(),
        }
    }
}

/// How the gateway was reached (filled into [`Via`]).
#[derive(Debug, Clone)]
pub struct Connection {
    /// `ssh`, or `local` when the gateway is this machine.
    pub transport: crate::report::Transport,
    pub destination: String,
    pub connect_time: Duration,
}

/// Cap on a Report document from clawauth on the gateway.
const REPORT_CAP: usize = 4 * 1024 * 1024;
/// Cap on the bundle of state files for the fallback.
const BUNDLE_CAP: usize = 24 * 1024 * 1024;
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);
/// Cap on the probe's part of an answer (with any start-up chatter before it).
const PROBE_CAP: usize = 64 * 1024;

/// What the probe found on the gateway.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// The gateway's clock, when it reads a plausible date.
    pub now_ms: Option<i64>,
    /// What `date` printed, until [`read_probe`] reads it.
    now_raw: Option<String>,
    /// Why the gateway's clock was not used: a date it cannot be.
    pub clock_note: Option<String>,
    /// The gateway's clock minus this machine's, measured at the probe's midpoint.
    pub clock_skew_ms: Option<i64>,
    pub home: Option<String>,
    /// The login shell's `PATH` (put in front of the non-interactive one).
    pub path: Option<String>,
    pub clawauth: Option<String>,
    pub openclaw: Option<String>,
    /// Claude Code (`claude setup-token` for re-auth).
    pub claude: Option<String>,
    timeout: Option<String>,
    /// Configured paths that point at nothing usable on the gateway, by setting (`clawauth`,
    /// `openclaw`): what is wrong, in words. A wrong `state_dir` fails the probe instead.
    pub unusable: Vec<(&'static str, String)>,
}

fn probe_script(req: &RemoteRequest) -> Result<String, GatewayError> {
    // The login shell's PATH finds programs installed by npm, nvm, volta, ~/.local/bin… that a
    // non-interactive SSH command does not see. A marker keeps .profile chatter out of it.
    let mut s = String::from(
        "BAD=\n\
         printf 'clawauth-probe 1\\n'\n\
         printf 'now %s\\n' \"$(date +%s.%N 2>/dev/null)\"\n\
         printf 'home %s\\n' \"$HOME\"\n\
         T=; command -v timeout >/dev/null 2>&1 && T='timeout -k 2 10'\n\
         lp=$($T \"${SHELL:-/bin/sh}\" -lc 'printf \"\\n@@clawauth-path@@%s\\n\" \"$PATH\"' </dev/null 2>/dev/null | sed -n 's/^@@clawauth-path@@//p' | tail -n 1)\n\
         [ -n \"$lp\" ] && PATH=\"$lp:$PATH\"\n\
         printf 'path %s\\n' \"$PATH\"\n\
         printf 'timeout %s\\n' \"$(command -v timeout 2>/dev/null)\"\n",
    );
    // Each program's path is printed and kept in a variable (CA, OC, CC); the run below uses CA
    // and OC.
    for (name, var, configured) in [
        ("clawauth", "CA", req.clawauth.as_deref()),
        ("openclaw", "OC", req.openclaw.as_deref()),
        ("claude", "CC", None),
    ] {
        match configured {
            // A configured path that is not there is said, not mistaken for "not installed".
            Some(p) => s.push_str(&format!(
                "{var}=; p={}; if [ -f \"$p\" ] && [ -x \"$p\" ]; then {var}=$p; printf '{name} %s\\n' \"$p\"; \
                 elif [ -e \"$p\" ]; then printf 'unusable {name} not-executable\\n'; \
                 else printf 'unusable {name} missing\\n'; fi\n",
                quote_path(p)?
            )),
            None => s.push_str(&format!(
                "{var}=$(command -v {name} 2>/dev/null); printf '{name} %s\\n' \"${var}\"\n"
            )),
        }
    }
    if let Some(d) = req.state_dir.as_deref() {
        s.push_str(&format!(
            "p={}; if [ -d \"$p\" ]; then :; elif [ -e \"$p\" ]; then printf 'unusable state_dir not-a-directory\\n'; BAD=1; \
             else printf 'unusable state_dir missing\\n'; BAD=1; fi\n",
            quote_path(d)?
        ));
    }
    Ok(s)
}

/// Cap on what one check's answer may hold in all: the probe, one program's output and errors,
/// and the Claude Code and Codex files that go with OpenClaw's answer.
const ANSWER_CAP: usize = PROBE_CAP + cli::STDOUT_CAP + cli::STDERR_CAP + BUNDLE_CAP;

/// What a check's script ran on the gateway after the probe: clawauth's report, or OpenClaw's
/// answer with the files it does not show (Claude Code's and Codex's own logins).
#[derive(Debug, Clone, Default)]
pub struct Ran {
    /// [`RemoteSource::Clawauth`] or [`RemoteSource::OpenclawCli`].
    pub source: RemoteSource,
    /// Its output, cut at the source's cap (`truncated` says so).
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub truncated: bool,
    /// Its exit status; `None` when the status line is missing or not a number.
    pub status: Option<i32>,
    /// How long it ran, by the gateway's clock.
    pub duration: Duration,
    /// The framed files (`@@file@@`) printed after it, for the OpenClaw rung.
    pub files: String,
}

/// A check's whole answer: what the probe found, and what ran after it.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub probe: Probe,
    pub ran: Option<Ran>,
}

/// A fresh marker for one check's answer, so nothing a program prints (a profile's label, a
/// hostile state file) can end a frame early.
fn nonce() -> String {
    use rand::RngExt as _;
    let n: u128 = rand::rng().random();
    format!("{n:032x}")
}

/// One check in one command (DESIGN.md §Core 6): the probe, then the first source of the
/// ladder that can run (clawauth's report, else OpenClaw's answer followed by Claude Code's
/// and Codex's files), each program under the gateway's `timeout`, its output cut on the
/// gateway at its cap + 1 byte, framed with `nonce`, and the gateway's clock read at the start
/// and at the end (the clock skew is measured as NTP does, whatever the run took).
pub fn check_script(req: &RemoteRequest, nonce: &str) -> Result<String, GatewayError> {
    let mut s = probe_script(req)?;
    let secs = |d: Duration| d.as_secs().max(1);
    // run SOURCE CAP PROGRAM ARGS…: the program's stdout (at most CAP bytes), its exit status
    // and how long it took by the gateway's clock, then its stderr (at most ERRCAP bytes).
    s.push_str(&format!(
        "N={nonce}\n\
         exec 3>&1\n\
         run() {{\n\
           src=$1; cap=$2; shift 2\n\
           e=$(mktemp 2>/dev/null) || e=\n\
           printf '@@clawauth-run %s %s\\n' \"$N\" \"$src\"\n\
           t0=$(date +%s.%N 2>/dev/null)\n\
           st=$( {{ {{ $TT \"$@\" <&- 4>&- 2>\"${{e:-/dev/null}}\" </dev/null; echo $? >&4; }} | head -c \"$cap\" >&3; }} 4>&1 )\n\
           printf '\\n@@clawauth-end %s %s %s %s\\n' \"$N\" \"$st\" \"$t0\" \"$(date +%s.%N 2>/dev/null)\"\n\
           printf '@@clawauth-err %s\\n' \"$N\"\n\
           [ -n \"$e\" ] && head -c {errcap} \"$e\"; rm -f \"$e\"\n\
           printf '\\n@@clawauth-end %s\\n' \"$N\"\n\
         }}\n\
         TT=; command -v timeout >/dev/null 2>&1 && TT='timeout -k 5 {t}s'\n",
        errcap = cli::STDERR_CAP + 1,
        t = secs(req.cli_timeout + Duration::from_secs(10)),
    ));
    let mut branches = Vec::new();
    if req.source != SourceChoice::Cli {
        let mut words = vec!["\"$CA\"".to_owned()];
        for a in clawauth_args(req) {
            words.push(match a {
                Arg::Plain(v) => crate::gateway::quote(&v)?,
                Arg::Path(v) => quote_path(&v)?,
            });
        }
        branches.push(format!(
            "[ -n \"$CA\" ]; then\n  run clawauth {cap} {}\n",
            words.join(" "),
            cap = REPORT_CAP + 1
        ));
    }
    if req.source != SourceChoice::Direct {
        let mut words = vec!["env".to_owned(), "OPENCLAW_NO_AUTO_UPDATE=1".to_owned()];
        if let Some(d) = &req.state_dir {
            words.push(format!("OPENCLAW_STATE_DIR={}", quote_path(d)?));
        }
        words.push("\"$OC\"".to_owned());
        for a in cli::check_args(req.agent.as_deref()) {
            words.push(crate::gateway::quote(&a)?);
        }
        branches.push(format!(
            "[ -n \"$OC\" ]; then\n  run openclaw {cap} {}\n{files}",
            words.join(" "),
            cap = cli::STDOUT_CAP + 1,
            files = bundle_script(req, false)?
        ));
    }
    if !branches.is_empty() {
        // A state dir that is not there: no source runs (each would read the wrong place).
        s.push_str("if [ -n \"$BAD\" ]; then :\nelif ");
        s.push_str(&branches.join("elif "));
        s.push_str("fi\n");
    }
    s.push_str("printf '@@clawauth-done %s %s\\n' \"$N\" \"$(date +%s.%N 2>/dev/null)\"\n");
    Ok(s)
}

/// An argument for clawauth on the gateway: a plain word, or a path (`~/` means its home).
enum Arg {
    Plain(String),
    Path(String),
}

/// `status --format json …` for clawauth on the gateway, asking what `req` asks.
fn clawauth_args(req: &RemoteRequest) -> Vec<Arg> {
    let mut args: Vec<Arg> = ["status", "--format", "json", "--source"]
        .map(|a| Arg::Plain(a.to_owned()))
        .into();
    args.push(Arg::Plain(
        if req.source == SourceChoice::Direct {
            "direct"
        } else {
            "auto"
        }
        .to_owned(),
    ));
    if let Some(a) = &req.agent {
        args.extend([Arg::Plain("--agent".into()), Arg::Plain(a.clone())]);
    }
    if let Some(d) = &req.state_dir {
        args.extend([Arg::Plain("--state-dir".into()), Arg::Path(d.clone())]);
    }
    if let Some(o) = &req.openclaw {
        args.extend([Arg::Plain("--openclaw-bin".into()), Arg::Path(o.clone())]);
    }
    if let Some(at) = req.at {
        args.extend([Arg::Plain("--at".into()), Arg::Plain(to_ms(at).to_string())]);
    }
    args.extend([
        Arg::Plain("--warn".into()),
        Arg::Plain(format!("{}ms", req.warn_ms)),
        Arg::Plain("--cli-timeout".into()),
        Arg::Plain(format!("{}ms", req.cli_timeout.as_millis())),
    ]);
    args
}

/// Reads a check's answer (see [`check_script`]): `sent_ms` is this machine's clock when the
/// command was sent and `round_trip_ms` how long its answer took. `None` when the gateway's shell
/// did not run the probe at all. A program's output is taken byte for byte between its frames
/// and cut at its source's cap; a frame that never ends (the connection cut mid-answer, an
/// answer over the cap) leaves that program's output marked truncated.
pub fn read_answer(out: &[u8], nonce: &str, sent_ms: i64, round_trip_ms: i64) -> Option<Answer> {
    let run_mark = format!("@@clawauth-run {nonce} ");
    let done_mark = format!("@@clawauth-done {nonce} ");
    let probe_end = find(out, run_mark.as_bytes(), 0)
        .or_else(|| find(out, done_mark.as_bytes(), 0))
        .unwrap_or(out.len());
    // The probe's part is read within its own cap, as when it was a command of its own: shell
    // chatter beyond that is not read line by line.
    let mut probe = parse_probe(&String::from_utf8_lossy(&out[..probe_end.min(PROBE_CAP)]))?;
    let mut ran = None;
    let mut rest = probe_end;
    if out[probe_end..].starts_with(run_mark.as_bytes()) {
        let (r, after) = read_run(out, probe_end + run_mark.len(), nonce);
        ran = Some(r);
        rest = after;
    }
    let done = find(out, done_mark.as_bytes(), rest);
    let end_raw = done.map(|at| {
        let from = at + done_mark.len();
        String::from_utf8_lossy(&out[from..line_end(out, from)])
            .trim()
            .to_owned()
    });
    if let Some(r) = ran.as_mut()
        && r.source == RemoteSource::OpenclawCli
    {
        r.files = String::from_utf8_lossy(&out[rest..done.unwrap_or(out.len())]).into_owned();
    }
    set_clock(&mut probe, end_raw.as_deref(), sent_ms, round_trip_ms);
    Some(Answer { probe, ran })
}

/// Where `needle` first occurs in `hay` at or after `from` (linear time: an answer may be tens of
/// megabytes of anything).
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    memchr::memmem::find(&hay[from..], needle).map(|i| i + from)
}

/// Where the line starting at `from` ends (its newline, or the end of `out`).
fn line_end(out: &[u8], from: usize) -> usize {
    memchr::memchr(b'\n', &out[from..]).map_or(out.len(), |i| from + i)
}

/// Reads one `run` frame from `at` (just past `@@clawauth-run NONCE `): the program and where
/// its frames end.
fn read_run(out: &[u8], at: usize, nonce: &str) -> (Ran, usize) {
    let first_end = line_end(out, at);
    let source = match &out[at..first_end] {
        b"clawauth" => RemoteSource::Clawauth,
        _ => RemoteSource::OpenclawCli,
    };
    let cap = if source == RemoteSource::Clawauth {
        REPORT_CAP
    } else {
        cli::STDOUT_CAP
    };
    let mut ran = Ran {
        source,
        ..Ran::default()
    };
    let body = (first_end + 1).min(out.len());
    let end_mark = format!("\n@@clawauth-end {nonce} ");
    let Some(end) = find(out, end_mark.as_bytes(), body) else {
        // Cut off before the program finished.
        ran.stdout = out[body..].to_vec();
        ran.truncated = true;
        ran.stdout.truncate(cap);
        return (ran, out.len());
    };
    ran.stdout = out[body..end].to_vec();
    if ran.stdout.len() > cap {
        ran.stdout.truncate(cap);
        ran.truncated = true;
    }
    let status_at = end + end_mark.len();
    let status_end = line_end(out, status_at);
    let fields = String::from_utf8_lossy(&out[status_at..status_end]).into_owned();
    let mut fields = fields.split(' ');
    ran.status = fields.next().and_then(|v| v.parse().ok());
    let started = fields.next().and_then(|v| parse_epoch(v).ok().flatten());
    let ended = fields.next().and_then(|v| parse_epoch(v).ok().flatten());
    if let (Some(a), Some(b)) = (started, ended) {
        ran.duration = Duration::from_millis(u64::try_from(b.saturating_sub(a)).unwrap_or(0));
    }
    let err_mark = format!("@@clawauth-err {nonce}\n");
    let mut after = (status_end + 1).min(out.len());
    if out[after..].starts_with(err_mark.as_bytes()) {
        let err_at = after + err_mark.len();
        let err_end_mark = format!("\n@@clawauth-end {nonce}\n");
        match find(out, err_end_mark.as_bytes(), err_at) {
            Some(e) => {
                ran.stderr = out[err_at..e].to_vec();
                after = e + err_end_mark.len();
            }
            None => {
                ran.stderr = out[err_at..].to_vec();
                after = out.len();
            }
        }
        ran.stderr.truncate(cli::STDERR_CAP);
    }
    (ran, after)
}

/// Sets the probe's clock and skew from its start reading and the end reading `end_raw`, as
/// NTP does: the skew is ((start − sent) + (end − received)) / 2 with received = sent +
/// `round_trip_ms`, so a long run in between does not count as skew. Without an end reading,
/// the start is compared with the midpoint of the round trip.
fn set_clock(p: &mut Probe, end_raw: Option<&str>, sent_ms: i64, round_trip_ms: i64) {
    let Some(v) = p.now_raw.take() else { return };
    match parse_epoch(&v) {
        Ok(Some(start)) => {
            p.now_ms = Some(start);
            let end = end_raw
                .and_then(|e| parse_epoch(e).ok().flatten())
                .filter(|&e| e >= start);
            p.clock_skew_ms = match end {
                Some(end) => {
                    let (start, end, sent) =
                        (i128::from(start), i128::from(end), i128::from(sent_ms));
                    let received = sent + i128::from(round_trip_ms.max(0));
                    i64::try_from(((start - sent) + (end - received)) / 2).ok()
                }
                None => start.checked_sub(sent_ms.saturating_add(round_trip_ms.max(0) / 2)),
            };
        }
        Ok(None) => {}
        Err(why) => p.clock_note = Some(why),
    }
}

/// Reads the probe's output: `sent_ms` is this machine's clock when the probe was sent and
/// `round_trip_ms` how long its answer took, so the gateway's clock is compared with this one's
/// at the midpoint. A gateway clock that cannot be right (before 1970, after year 9999, or a
/// number no calendar holds) gives no skew, only a note saying so: never a wrapped figure.
pub fn read_probe(out: &str, sent_ms: i64, round_trip_ms: i64) -> Option<Probe> {
    let mut p = parse_probe(out)?;
    set_clock(&mut p, None, sent_ms, round_trip_ms);
    Some(p)
}

fn parse_probe(out: &str) -> Option<Probe> {
    let mut lines = out.lines();
    // Shell start-up chatter may come first.
    lines.find(|l| *l == "clawauth-probe 1")?;
    let mut p = Probe::default();
    for l in lines {
        let (k, v) = l.split_once(' ').unwrap_or((l, ""));
        let v = v.trim();
        let val = (!v.is_empty()).then(|| v.to_owned());
        match k {
            "now" => p.now_raw = val,
            "home" => p.home = val,
            "path" => p.path = val,
            "clawauth" => p.clawauth = val,
            "openclaw" => p.openclaw = val,
            "claude" => p.claude = val,
            "timeout" => p.timeout = val,
            "unusable" => {
                let (key, why) = v.split_once(' ').unwrap_or((v, ""));
                let key = match key {
                    "clawauth" => "clawauth",
                    "openclaw" => "openclaw",
                    "state_dir" => "state_dir",
                    _ => continue,
                };
                let why = match why {
                    "not-executable" => "is not an executable file",
                    "not-a-directory" => "is not a directory",
                    _ => "does not exist",
                };
                if !p.unusable.iter().any(|(k, _)| *k == key) {
                    p.unusable.push((key, why.to_owned()));
                }
            }
            _ => {}
        }
    }
    Some(p)
}

/// The first and last moments a gateway's clock can plausibly read: 1970-01-01 and the end of
/// year 9999. A Raspberry Pi without a real-time clock reads 1970 until NTP answers: wrong,
/// and worth a skew warning; a clock beyond year 9999 is a broken or hostile answer.
const CLOCK_RANGE_MS: std::ops::RangeInclusive<i64> = 0..=253_402_300_799_999;

/// `date +%s.%N` (GNU) or `date +%s` with a literal `.%N` (busybox, BSD) in milliseconds;
/// `Ok(None)` when it is not a number at all (no `date` there), `Err` with the words to show
/// when it is a number no clock can read.
fn parse_epoch(v: &str) -> Result<Option<i64>, String> {
    let (secs, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = secs.strip_prefix('-').unwrap_or(secs);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let ms = if frac.len() >= 3 && frac.bytes().all(|b| b.is_ascii_digit()) {
        frac[..3].parse::<i64>().unwrap_or(0)
    } else {
        0
    };
    let when = secs
        .parse::<i64>()
        .ok()
        .and_then(|s| s.checked_mul(1000))
        .and_then(|s| s.checked_add(if s < 0 { -ms } else { ms }));
    use crate::time::YEAR_MS;
    let reads = match when {
        Some(t) if CLOCK_RANGE_MS.contains(&t) => return Ok(Some(t)),
        Some(t) if chrono::DateTime::from_timestamp_millis(t).is_some() => {
            crate::time::format_moment(t)
        }
        Some(t) if (t / YEAR_MS).unsigned_abs() < 1_000_000 => format!(
            "a date hundreds of thousands of years away (year {})",
            1970 + t / YEAR_MS
        ),
        Some(t) => format!(
            "a date millions of years away (year {})",
            1970 + t / YEAR_MS
        ),
        None => format!(
            "a date millions of years away ({} seconds since 1970)",
            crate::display::visible_cut(secs, 40)
        ),
    };
    Err(format!(
        "the gateway's clock reads {reads}, which cannot be right: no clock skew is shown, and OpenClaw judges expiry by that clock (fix it with NTP: `timedatectl set-ntp true`)"
    ))
}

impl Probe {
    /// `~/x` made absolute with the gateway's home, for arguments (a program sees no tilde).
    pub fn absolute(&self, p: &str) -> String {
        match (p.strip_prefix("~/"), &self.home) {
            (Some(rest), Some(home)) => format!("{}/{rest}", home.trim_end_matches('/')),
            _ => p.to_owned(),
        }
    }

    /// `cmd` under the gateway's `timeout`, so it dies there even if this side goes away.
    pub fn bounded(&self, cmd: Command, after: Duration) -> Command {
        let Some(t) = &self.timeout else { return cmd };
        let mut wrapped = Command::new(t.clone())
            .args(["-k", "5", &format!("{}s", after.as_secs().max(1))])
            .arg(cmd.program)
            .args(cmd.args);
        wrapped.env = cmd.env;
        wrapped
    }

    /// Why `program` (`clawauth` or `openclaw`) cannot be run: a configured path that is not
    /// there, else `not_found`.
    pub fn missing(&self, program: &str, not_found: &str) -> String {
        self.unusable
            .iter()
            .find(|(k, _)| *k == program)
            .map_or_else(|| not_found.to_owned(), |(_, why)| why.clone())
    }

    /// `cmd` with the login shell's `PATH`.
    pub fn with_path(&self, cmd: Command) -> Command {
        match &self.path {
            Some(p) => cmd.env("PATH", p.clone()),
            None => cmd,
        }
    }
}

/// Runs one check on the gateway, as one command ([`check_script`]): the probe — its clock (as
/// skew against this machine), home, login `PATH`, where clawauth, openclaw and `timeout`
/// are — and the first source that can answer. `Err` when the probe did not run, or a
/// configured state dir is not there.
pub async fn check<G: Gateway>(gw: &G, req: &RemoteRequest) -> Result<Answer, String> {
    req.validate().map_err(|e| format!("refused: {e}"))?;
    let nonce = nonce();
    let script = check_script(req, &nonce).map_err(|e| e.to_string())?;
    let budget = PROBE_TIMEOUT + req.cli_timeout + Duration::from_secs(30);
    let sent = Instant::now();
    let sent_ms = to_ms(Utc::now());
    let out = gw
        .exec_script(&script, None, Limits::new(budget, ANSWER_CAP))
        .await
        .map_err(|e| format!("{}: {e}", gw.name()))?;
    let round_trip_ms = i64::try_from(sent.elapsed().as_millis()).unwrap_or(i64::MAX);
    let answer = read_answer(&out.stdout, &nonce, sent_ms, round_trip_ms);
    let Answer { mut probe, ran } = answer.ok_or_else(|| {
        format!(
            "{}: the gateway's shell did not run clawauth's probe (exit {:?}): {}",
            gw.name(),
            out.status,
            crate::redact::last_line(&String::from_utf8_lossy(&out.stderr), 200)
        )
    })?;
    let name = gw.name();
    for (key, why) in &mut probe.unusable {
        let (value, origin, without) = match *key {
            "state_dir" => (
                &req.state_dir,
                req.set_by.state_dir,
                "the gateway's own $OPENCLAW_STATE_DIR or ~/.openclaw",
            ),
            "openclaw" => (
                &req.openclaw,
                req.set_by.openclaw,
                "openclaw is looked for on the login PATH",
            ),
            _ => (
                &req.clawauth,
                req.set_by.clawauth,
                "clawauth is looked for on the login PATH",
            ),
        };
        let value = value.as_deref().unwrap_or_default();
        *why = format!(
            "{} {why} on {name}: fix the path, or drop the setting ({without} without it)",
            setting(key, value, origin)
        );
    }
    if let Some((_, why)) = probe.unusable.iter().find(|(k, _)| *k == "state_dir") {
        // Every source would read the wrong place: OpenClaw's defaults would invent routes.
        return Err(why.clone());
    }
    Ok(Answer { probe, ran })
}

/// Checks the gateway behind `gw`: one command when clawauth or OpenClaw answers there.
pub async fn status<G: Gateway>(
    gw: &G,
    conn: &Connection,
    req: &RemoteRequest,
    taken_at: DateTime<Utc>,
) -> Report {
    match check(gw, req).await {
        Ok(Answer { probe, ran }) => status_probed(gw, conn, Ok(&probe), ran, req, taken_at).await,
        Err(e) => status_probed(gw, conn, Err(&e), None, req, taken_at).await,
    }
}

/// [`status`] from a probe already run and what ran after it (`ran`); a source the check did
/// not run (a fallback) runs as its own command on the same connection.
pub async fn status_probed<G: Gateway>(
    gw: &G,
    conn: &Connection,
    probe: Result<&Probe, &String>,
    mut ran: Option<Ran>,
    req: &RemoteRequest,
    taken_at: DateTime<Utc>,
) -> Report {
    let as_of = req.at.unwrap_or(taken_at);
    let mut via = Via {
        transport: conn.transport,
        destination: conn.destination.clone(),
        source: RemoteSource::None,
        connect_ms: conn.connect_time.as_millis() as u64,
        clock_skew_ms: None,
        skipped: Vec::new(),
        warnings: Vec::new(),
    };
    let fail = |via: Via, why: String| {
        let mut r = Report::new(gw.name(), taken_at, as_of, req.warn_ms);
        r.fail(
            Problem::GatewayCommandFailed {
                reason: why.clone(),
            },
            why,
        );
        r.via = Some(via);
        r.finish();
        r
    };
    let probe = match probe {
        Ok(p) => p,
        Err(e) => return fail(via, e.clone()),
    };
    via.clock_skew_ms = probe.clock_skew_ms;
    via.warnings.extend(probe.clock_note.clone());

    use RemoteSource::{Clawauth, Files, OpenclawCli};
    let rungs: &[RemoteSource] = match req.source {
        SourceChoice::Auto => &[Clawauth, OpenclawCli, Files],
        SourceChoice::Direct => &[Clawauth, Files],
        SourceChoice::Cli => &[OpenclawCli],
    };
    for rung in rungs {
        let pre = ran.take_if(|r| r.source == *rung);
        let attempt = match *rung {
            Clawauth => via_clawauth(gw, probe, req, pre).await,
            OpenclawCli => via_cli(gw, probe, req, taken_at, pre).await,
            Files | RemoteSource::None => via_files(gw, probe, req, taken_at).await,
        };
        match attempt {
            Ok(mut report) => {
                via.source = *rung;
                // The answer stands, but a setting that points at nothing is still a mistake.
                via.warnings
                    .extend(probe.unusable.iter().map(|(_, why)| why.clone()));
                report.host = gw.name().to_owned();
                report.via = Some(via);
                report.finish();
                return report;
            }
            Err(why) => via.skipped.push(format!("{}: {why}", rung.as_str())),
        }
    }
    let why = format!(
        "no source could answer on {}: {}",
        gw.name(),
        via.skipped.join("; ")
    );
    fail(via, why)
}

/// Rung 1: clawauth on the gateway (`pre`: its run in the check's command, when there was one).
async fn via_clawauth<G: Gateway>(
    gw: &G,
    probe: &Probe,
    req: &RemoteRequest,
    pre: Option<Ran>,
) -> Result<Report, String> {
    let program = probe.clawauth.clone().ok_or_else(|| {
        probe.missing(
            "clawauth",
            "not installed (not on the login PATH; set `clawauth = \"/path\"` for the host in config.toml)",
        )
    })?;
    let out = match pre {
        Some(r) => crate::gateway::Output {
            stdout: r.stdout,
            stderr: r.stderr,
            status: r.status,
            signal: None,
            truncated: r.truncated,
            duration: r.duration,
        },
        None => {
            let mut cmd = Command::new(program.clone());
            for a in clawauth_args(req) {
                cmd = cmd.arg(match a {
                    Arg::Plain(v) => v,
                    Arg::Path(v) => probe.absolute(&v),
                });
            }
            let budget = req.cli_timeout + Duration::from_secs(10);
            let cmd = probe.bounded(probe.with_path(cmd), budget);
            gw.exec(
                &cmd,
                None,
                Limits::new(budget + Duration::from_secs(5), REPORT_CAP),
            )
            .await
            .map_err(|e| e.to_string())?
        }
    };
    if out.truncated {
        return Err(format!("its report is larger than {REPORT_CAP} bytes"));
    }
    if crate::openclaw::json::nests_deeper_than(&out.stdout, crate::openclaw::json::MAX_DEPTH) {
        return Err(format!(
            "{program}'s report nests deeper than {} levels, more than clawauth reads",
            crate::openclaw::json::MAX_DEPTH
        ));
    }
    let report: Report = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "{program} exited {} without a report ({}){}",
            out.status
                .map_or("by a signal".to_owned(), |c| c.to_string()),
            e,
            match crate::redact::last_line(&String::from_utf8_lossy(&out.stderr), 200) {
                l if l.is_empty() => String::new(),
                l => format!(": {l}"),
            }
        )
    })?;
    if report.schema != crate::report::SCHEMA_VERSION {
        return Err(format!(
            "{program} speaks report schema {}, this clawauth {}; update one of them",
            report.schema,
            crate::report::SCHEMA_VERSION
        ));
    }
    Ok(report)
}

/// Rung 2: `openclaw models status --json --check` on the gateway (`pre`: its run in the
/// check's command, with Claude Code's and Codex's files, when there was one).
async fn via_cli<G: Gateway>(
    gw: &G,
    probe: &Probe,
    req: &RemoteRequest,
    taken_at: DateTime<Utc>,
    pre: Option<Ran>,
) -> Result<Report, String> {
    let program = probe.openclaw.clone().ok_or_else(|| {
        probe.missing(
            "openclaw",
            "openclaw not found (not on the login PATH; set `openclaw = \"/path\"` for the host in config.toml)",
        )
    })?;
    let (out, files) = match pre {
        Some(r) => {
            if r.truncated {
                return Err(format!(
                    "`{program} models status --json --check` printed more than {} bytes",
                    cli::STDOUT_CAP
                ));
            }
            let out = cli::CliOutput {
                program: Utf8PathBuf::from(&program),
                exit_code: r.status,
                stdout: String::from_utf8_lossy(&r.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&r.stderr).into_owned(),
                duration: r.duration,
            };
            (out, Some(r.files))
        }
        None => {
            let state_dir = req.state_dir.as_deref().map(|d| probe.absolute(d));
            let cmd = cli::command(&program, state_dir.as_deref(), req.agent.as_deref());
            let cmd = probe.bounded(probe.with_path(cmd), req.cli_timeout);
            let out = cli::run(gw, &cmd, &program, req.cli_timeout + Duration::from_secs(5))
                .await
                .map_err(|e| e.to_string())?;
            (out, None)
        }
    };
    let parsed = crate::openclaw::status_json::parse(&out.stdout).is_ok();
    if !parsed && !matches!(out.exit_code, Some(0..=2)) {
        return Err(format!(
            "`{program} models status --json --check` failed (exit {}): {}",
            out.exit_code
                .map_or("by a signal".to_owned(), |c| c.to_string()),
            crate::redact::last_line(&out.stderr, 200)
        ));
    }
    let as_of = req.at.unwrap_or(taken_at);
    let reclassify = cli::Reclassify::when(req.at, to_ms(as_of), req.warn_ms);
    let agent = req.agent.clone().unwrap_or_else(|| "main".to_owned());
    let mut report = Report::new(gw.name(), taken_at, as_of, req.warn_ms);
    report
        .agents
        .push(cli::agent_report(&agent, &out, reclassify));
    // Claude Code's and Codex's own logins, which the CLI does not show.
    let bundle = match files {
        Some(text) => bundle_from(probe, &text),
        None => fetch_bundle(gw, probe, req, false).await,
    };
    match bundle {
        Ok(bundle) => {
            let env = bundle.env();
            let (claude, codex) = super::external_sections(&env, to_ms(as_of), req.warn_ms);
            report.claude_code = claude;
            report.codex = codex;
            report.state_dir = bundle.state_dir.clone().unwrap_or_default();
            bundle.unmirror(&mut report);
        }
        Err(e) => report.agents[0]
            .notes
            .push(format!("Claude Code's credentials could not be read: {e}")),
    }
    Ok(report)
}

/// Rung 3: the state files, read over the connection and evaluated here.
async fn via_files<G: Gateway>(
    gw: &G,
    probe: &Probe,
    req: &RemoteRequest,
    taken_at: DateTime<Utc>,
) -> Result<Report, String> {
    let mut bundle = fetch_bundle(gw, probe, req, true).await?;
    if bundle.sqlite {
        return Err(
            "the gateway keeps credentials in OpenClaw's SQLite store (2026.7 and later), which clawauth does not copy \
             off the gateway; install clawauth there or make `openclaw` findable"
                .to_owned(),
        );
    }
    if !bundle.has_state {
        return Err(format!(
            "no OpenClaw state found at {} on the gateway",
            bundle.state_dir.as_deref().unwrap_or("~/.openclaw")
        ));
    }
    fetch_referenced(gw, &mut bundle).await?;
    let env = bundle.env();
    let local = StatusRequest {
        state_dir: None,
        agent: req.agent.clone(),
        source: SourceChoice::Direct,
        openclaw_bin: None,
        at: req.at,
        warn_ms: req.warn_ms,
        cli_timeout: req.cli_timeout,
    };
    let mut report = super::status(&env, &local, taken_at).await;
    bundle.unmirror(&mut report);
    for a in &mut report.agents {
        a.notes.push(
            "evaluated from the gateway's files (neither clawauth nor openclaw ran there); \
             environment variables of the gateway's service are not visible this way"
                .to_owned(),
        );
    }
    Ok(report)
}

/// Gateway files copied into a private temporary directory for evaluation, each at its
/// gateway path under it (`<root>/home/pi/.openclaw/openclaw.json`), so that every path the
/// gateway's files name — an absolute `agentDir`, an `$include` — is read from the copy
/// ([`Environment::with_mirror`]) and never from this machine. Removed on drop.
struct Bundle {
    /// Held for its drop, which removes the copy.
    _dir: tempfile::TempDir,
    root: Utf8PathBuf,
    state_dir: Option<String>,
    claude_dir: Option<String>,
    codex_dir: Option<String>,
    home_dir: Option<String>,
    sqlite: bool,
    has_state: bool,
    /// Gateway paths already asked for (fetched or found missing).
    asked: std::collections::HashSet<String>,
}

impl Bundle {
    /// Where this machine reads the gateway's `path`.
    fn local(&self, path: &str) -> Utf8PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }

    fn env(&self) -> Environment {
        let dir = |d: &Option<String>, or: &str| self.local(d.as_deref().unwrap_or(or)).to_string();
        Environment::empty()
            .with("HOME", dir(&self.home_dir, "/"))
            .with("OPENCLAW_STATE_DIR", dir(&self.state_dir, "/.openclaw"))
            .with("CLAUDE_CONFIG_DIR", dir(&self.claude_dir, "/.claude"))
            .with("CODEX_HOME", dir(&self.codex_dir, "/.codex"))
            .with_mirror(self.root.clone())
    }

    /// The gateway's path for a path of the copy (or the path itself).
    fn on_gateway(&self, local: &Utf8Path) -> Option<String> {
        let rest = local.strip_prefix(&self.root).ok()?;
        Some(format!("/{rest}"))
    }

    /// Whether the first fetch asked for `path` already: a file it names, or one its
    /// `agents/*/agent/` glob covers.
    fn covered(&self, path: &str) -> bool {
        if self.asked.contains(path) {
            return true;
        }
        let Some(state) = &self.state_dir else {
            return false;
        };
        let Some(rest) = path
            .strip_prefix(state.trim_end_matches('/'))
            .and_then(|r| r.strip_prefix("/agents/"))
        else {
            return false;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        matches!(
            parts.as_slice(),
            [id, "agent", "auth-profiles.json" | "auth-state.json" | "auth.json"] if !id.is_empty()
        )
    }

    /// Puts the gateway's paths back where the report names ones of the copy.
    fn unmirror(&self, report: &mut Report) {
        let root = self.root.as_str();
        let fix = |s: &mut String| {
            if s.contains(root) {
                *s = s.replace(root, "");
            }
        };
        fix(&mut report.state_dir);
        fix(&mut report.config_path);
        report.errors.iter_mut().for_each(fix);
        for a in &mut report.agents {
            a.agent_dir.as_mut().map(fix);
            a.store_path.as_mut().map(fix);
            a.notes.iter_mut().for_each(fix);
            if let Some(e) = a.openclaw_error.as_mut() {
                fix(&mut e.message);
                fix(&mut e.fix);
            }
        }
        if let Some(c) = report.claude_code.as_mut() {
            fix(&mut c.path);
            c.error.as_mut().map(fix);
        }
        if let Some(c) = report.codex.as_mut() {
            fix(&mut c.path);
            c.error.as_mut().map(fix);
        }
    }
}

/// Shell lines that set `S` to OpenClaw's state dir on the gateway: the configured one, else
/// `$OPENCLAW_STATE_DIR` or `~/.openclaw`, else the legacy `~/.clawdbot` when only that exists.
pub(crate) fn state_dir_script(configured: Option<&str>) -> Result<String, GatewayError> {
    let state = match configured {
        Some(d) => quote_path(d)?,
        None => "\"${OPENCLAW_STATE_DIR:-$HOME/.openclaw}\"".to_owned(),
    };
    Ok(format!(
        "S={state}\n[ -d \"$S\" ] || {{ [ -d \"$HOME/.clawdbot\" ] && S=\"$HOME/.clawdbot\"; }}\n"
    ))
}

/// Shell lines that print each file named by its gateway path, base64-framed
/// (`@@file@@ PATH`, the base64, `@@end@@`); files that do not exist or are not regular files
/// (never a FIFO, which would block) are skipped.
const EMIT: &str = "emit() { [ -f \"$1\" ] || return 0; printf '@@file@@ %s\\n' \"$1\"; base64 < \"$1\"; printf '@@end@@\\n'; }\n";

/// The script that prints the wanted files base64-framed: Claude Code's and Codex's logins, and
/// with `state_too` OpenClaw's state files.
fn bundle_script(req: &RemoteRequest, state_too: bool) -> Result<String, GatewayError> {
    let state = state_dir_script(req.state_dir.as_deref())?;
    let mut script = format!(
        "{state}\
         C=\"${{CLAUDE_CONFIG_DIR:-$HOME/.claude}}\"\n\
         X=\"${{CODEX_HOME:-$HOME/.codex}}\"\n\
         H=\"$HOME\"\n\
         abs() {{ case $1 in /*) printf '%s' \"$1\";; *) printf '%s/%s' \"$PWD\" \"$1\";; esac; }}\n\
         S=$(abs \"$S\"); C=$(abs \"$C\"); X=$(abs \"$X\"); H=$(abs \"$H\")\n\
         printf '@@dirs@@\\n%s\\n%s\\n%s\\n%s\\n' \"$S\" \"$C\" \"$X\" \"$H\"\n\
         {EMIT}\
         emit \"$C/.credentials.json\"\n\
         emit \"$H/.claude/.credentials.json\"\n\
         emit \"$X/auth.json\"\n"
    );
    if state_too {
        script.push_str(
            "[ -e \"$S/state/openclaw.sqlite\" ] && printf '@@sqlite@@\\n'\n\
             [ -d \"$S\" ] && printf '@@state@@\\n'\n\
             emit \"$S/openclaw.json\"\n\
             emit \"$S/.env\"\n\
             for f in \"$S\"/agents/*/agent/auth-profiles.json \"$S\"/agents/*/agent/auth-state.json \"$S\"/agents/*/agent/auth.json; do\n\
               emit \"$f\"\n\
             done\n",
        );
    }
    Ok(script)
}

/// One script prints the wanted files base64-framed; they are written under a fresh 0700
/// directory at their gateway paths.
async fn fetch_bundle<G: Gateway>(
    gw: &G,
    probe: &Probe,
    req: &RemoteRequest,
    state_too: bool,
) -> Result<Bundle, String> {
    let script = bundle_script(req, state_too).map_err(|e| e.to_string())?;
    let text = run_fetch(gw, &script).await?;
    bundle_from(probe, &text)
}

/// The copy of the files a bundle script printed (`text`).
fn bundle_from(probe: &Probe, text: &str) -> Result<Bundle, String> {
    let dir = tempfile::Builder::new()
        .prefix("clawauth-gw-")
        .tempdir()
        .map_err(|e| format!("cannot create a private temporary directory: {e}"))?;
    // Canonical, so that paths in the copy compare as the gateway's do ($include roots).
    let root = std::fs::canonicalize(dir.path())
        .ok()
        .and_then(|p| Utf8PathBuf::from_path_buf(p).ok())
        .ok_or_else(|| format!("temporary directory {} is not UTF-8", dir.path().display()))?;
    let mut bundle = Bundle {
        _dir: dir,
        root,
        state_dir: probe.home.as_ref().map(|h| format!("{h}/.openclaw")),
        claude_dir: None,
        codex_dir: None,
        home_dir: probe.home.clone(),
        sqlite: false,
        has_state: false,
        asked: std::collections::HashSet::new(),
    };
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        match line {
            "@@dirs@@" => {
                let mut dir = || {
                    lines
                        .next()
                        .filter(|d| d.starts_with('/'))
                        .map(str::to_owned)
                };
                bundle.state_dir = dir();
                bundle.claude_dir = dir();
                bundle.codex_dir = dir();
                bundle.home_dir = dir();
            }
            "@@sqlite@@" => bundle.sqlite = true,
            "@@state@@" => bundle.has_state = true,
            _ => {}
        }
    }
    let asked: Vec<String> = [
        (&bundle.claude_dir, "/.credentials.json"),
        (&bundle.home_dir, "/.claude/.credentials.json"),
        (&bundle.codex_dir, "/auth.json"),
        (&bundle.state_dir, "/openclaw.json"),
        (&bundle.state_dir, "/.env"),
    ]
    .into_iter()
    .filter_map(|(dir, file)| {
        dir.as_deref()
            .map(|d| format!("{}{file}", d.trim_end_matches('/')))
    })
    .collect();
    bundle.asked.extend(asked);
    store_files(&bundle, text)?;
    for d in [
        &bundle.home_dir,
        &bundle.state_dir,
        &bundle.claude_dir,
        &bundle.codex_dir,
    ] {
        let local = bundle.local(d.as_deref().unwrap_or("/"));
        crate::fsutil::create_private_dir(&local).map_err(|e| e.to_string())?;
    }
    Ok(bundle)
}

/// Runs a fetch script on the gateway: its output as text.
async fn run_fetch<G: Gateway>(gw: &G, script: &str) -> Result<String, String> {
    let out = gw
        .exec_script(script, None, Limits::new(PROBE_TIMEOUT, BUNDLE_CAP))
        .await
        .map_err(|e| e.to_string())?;
    if out.truncated {
        return Err(format!(
            "the gateway's state files are larger than {BUNDLE_CAP} bytes"
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Writes every framed file of a fetch's output into the copy.
fn store_files(bundle: &Bundle, text: &str) -> Result<(), String> {
    for (name, bytes) in read_bundle(text)? {
        write_mirrored(&bundle.root, &name, &bytes)?;
    }
    Ok(())
}

/// The files in the legacy-files rung's answer: `@@file@@ /absolute/path`, base64 lines,
/// `@@end@@`; anything around them (shell chatter) is ignored. Every name is checked by
/// [`mirror_path`]: a gateway's answer cannot name a file outside the copy.
pub fn read_bundle(text: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut files = Vec::new();
    let mut current: Option<(&str, String)> = None;
    for line in text.lines() {
        if let Some((name, body)) = current.as_mut() {
            if line == "@@end@@" {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(body.as_bytes())
                    .map_err(|e| {
                        format!(
                            "the gateway sent {} garbled: {e}",
                            crate::display::visible_cut(name, 200)
                        )
                    })?;
                mirror_path(Utf8Path::new("/"), name)?;
                files.push(((*name).to_owned(), bytes));
                current = None;
            } else {
                body.push_str(line.trim());
            }
        } else if let Some(name) = line.strip_prefix("@@file@@ ") {
            current = Some((name, String::new()));
        }
    }
    Ok(files)
}

/// Where the copy under `root` keeps the gateway's file `name` (an absolute path of plain
/// components: no `..`, no `.`, nothing empty).
pub fn mirror_path(root: &Utf8Path, name: &str) -> Result<Utf8PathBuf, String> {
    let unexpected = || {
        format!(
            "the gateway sent an unexpected file name {}",
            crate::display::visible_cut(name, 200)
        )
    };
    let rel = name
        .strip_prefix('/')
        .map(Utf8Path::new)
        .ok_or_else(unexpected)?;
    let safe = !rel.as_str().is_empty()
        && rel
            .components()
            .all(|c| matches!(c, camino::Utf8Component::Normal(_)));
    if !safe {
        return Err(unexpected());
    }
    Ok(root.join(rel))
}

/// The rest of what the gateway's OpenClaw would read, fetched from the gateway over the same
/// connection: the `$include` files of its config (included ones may include more) and the
/// store files of every agent dir the config names. A file is asked for once; what the
/// gateway does not have stays missing in the copy, as it is on the gateway.
async fn fetch_referenced<G: Gateway>(gw: &G, bundle: &mut Bundle) -> Result<(), String> {
    // Each round reads deeper includes; OpenClaw stops at 10 levels.
    for _ in 0..12 {
        let env = bundle.env();
        let Ok(layout) = crate::openclaw::layout::Layout::locate(&env, None) else {
            return Ok(());
        };
        // An unreadable config is the evaluation's to report, not the fetch's.
        let mut wanted =
            crate::openclaw::config::missing_includes(&layout, &env).unwrap_or_default();
        if wanted.is_empty()
            && let Ok(loaded) = super::direct::load(&env, None)
            && let Ok(roster) = loaded.roster()
        {
            let ids = roster.entries.iter().map(|e| e.id.as_str()).chain(["main"]);
            for id in ids {
                let dir = roster.agent_dir(&layout, id);
                for f in ["auth-profiles.json", "auth-state.json", "auth.json"] {
                    wanted.push(dir.join(f));
                }
            }
        }
        let paths: Vec<String> = wanted
            .iter()
            .filter_map(|p| bundle.on_gateway(p))
            .filter(|p| !bundle.covered(p))
            .collect();
        if paths.is_empty() {
            return Ok(());
        }
        let mut script = String::from(EMIT);
        for p in &paths {
            bundle.asked.insert(p.clone());
            // A name that cannot be passed safely (a control character) is not asked for.
            if let Ok(q) = crate::gateway::quote(p) {
                script.push_str(&format!("emit {q}\n"));
            }
        }
        let text = run_fetch(gw, &script).await?;
        store_files(bundle, &text)?;
    }
    Ok(())
}

/// Writes a mirrored file at its gateway path under `root`, refusing names that are not
/// plain absolute paths (they would leave the mirror). A second copy of a file is skipped.
fn write_mirrored(root: &Utf8Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    let path = mirror_path(root, name)?;
    // A throwaway copy in a fresh private directory: no temp-file, fsync and rename dance.
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        if let Some(dir) = path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(mut f) => f.write_all(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e),
        }
    };
    write().map_err(|e| format!("cannot copy {name} from the gateway into {root}: {e}"))
}

/// Connects to `target` as gateway `name`, runs [`status`] over that one connection and closes
/// it, all within `deadline`. Whatever goes wrong becomes an `unknown` report (exit 3) that says
/// what and how to fix it; this never hangs and never panics on a bad gateway.
pub async fn check_host(
    name: &str,
    target: &str,
    opts: &crate::ssh::ConnectOptions,
    req: &RemoteRequest,
    deadline: Duration,
    taken_at: DateTime<Utc>,
) -> Report {
    let as_of = req.at.unwrap_or(taken_at);
    let unreachable = |problem: Problem, why: String| {
        let mut r = Report::new(name, taken_at, as_of, req.warn_ms);
        r.fail(problem, why);
        r.via = Some(Via {
            transport: Transport::Ssh,
            destination: target.to_owned(),
            source: RemoteSource::None,
            connect_ms: 0,
            clock_skew_ms: None,
            skipped: Vec::new(),
            warnings: Vec::new(),
        });
        r.finish();
        r
    };
    if let Err(e) = req.validate() {
        return unreachable(
            Problem::InvalidInput { reason: e.clone() },
            format!("refused before connecting: {e}"),
        );
    }
    let work = async {
        match crate::ssh::connect(name, target, opts).await {
            Err(e) => unreachable(e.problem(), format!("cannot reach {name}: {e}")),
            Ok(gw) => {
                let conn = Connection {
                    transport: Transport::Ssh,
                    destination: gw.destination.clone(),
                    connect_time: gw.connect_time,
                };
                let report = status(&gw, &conn, req, taken_at).await;
                gw.close().await;
                report
            }
        }
    };
    match tokio::time::timeout(deadline, work).await {
        Ok(r) => r,
        Err(_) => unreachable(
            Problem::timed_out(Phase::Deadline, deadline),
            format!(
                "{name} did not answer within the {}s deadline",
                deadline.as_secs_f32()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_output_is_read_past_shell_chatter() {
        let p = read_probe(
            "Welcome!\nclawauth-probe 1\nnow 1795256400.123456789\nhome /root\npath /a:/b\ntimeout /usr/bin/timeout\nclawauth \nopenclaw /x/openclaw\n",
            1_795_256_400_000,
            100,
        )
        .expect("probe");
        assert_eq!(p.now_ms, Some(1_795_256_400_123));
        assert_eq!(p.clock_skew_ms, Some(73));
        assert_eq!(p.home.as_deref(), Some("/root"));
        assert_eq!(p.clawauth, None);
        assert_eq!(p.openclaw.as_deref(), Some("/x/openclaw"));
        assert_eq!(parse_epoch("1795256400.%N"), Ok(Some(1_795_256_400_000)));
        assert_eq!(parse_epoch(""), Ok(None));
        assert_eq!(parse_epoch("%s.%N"), Ok(None));
        assert!(parse_probe("no probe here").is_none());
    }

    /// Found by fuzzing: a gateway whose `date` printed a huge number overflowed the
    /// milliseconds (a panic with overflow checks, a wrapped skew without), and one far from
    /// now gave a skew of millions of years. A clock that cannot be right is said so, with no
    /// skew; a plausible one, however wrong, gives its skew.
    #[test]
    fn a_gateway_clock_that_cannot_be_right_is_said_so_never_wrapped() {
        let now = 1_795_256_400_000;
        let probe = |date: &str| {
            read_probe(&format!("clawauth-probe 1\nnow {date}\n"), now, 40).expect("probe")
        };
        for date in [
            "9223372036854775807.999999999",
            "99999999999999999999999",
            "-9223372036854775808",
            "9223372036854775",
            "-9223372036854775",
        ] {
            let p = probe(date);
            assert_eq!((p.now_ms, p.clock_skew_ms), (None, None), "{date}");
            let note = p.clock_note.expect("a note");
            assert!(note.contains("millions of years away"), "{date}: {note}");
        }
        for date in ["-1", "253402300800", "316000000000"] {
            let p = probe(date);
            assert_eq!((p.now_ms, p.clock_skew_ms), (None, None), "{date}");
            let note = p.clock_note.expect("a note");
            assert!(note.contains("cannot be right"), "{date}: {note}");
            assert!(!note.contains("millions"), "{date}: {note}");
        }
        // A Pi without a real-time clock, before NTP: 1970, a skew of 56 years, said as one.
        let p = probe("12.5");
        assert_eq!(p.clock_skew_ms, Some(12_000 - now - 20));
        assert_eq!(p.clock_note, None);
    }

    #[test]
    fn configured_paths_that_are_not_there_are_read_from_the_probe() {
        let p = parse_probe(
            "clawauth-probe 1\nunusable clawauth missing\nunusable state_dir not-a-directory\n\
             unusable other missing\nunusable openclaw not-executable\n",
        )
        .expect("probe");
        assert_eq!(
            p.unusable,
            vec![
                ("clawauth", "does not exist".to_owned()),
                ("state_dir", "is not a directory".to_owned()),
                ("openclaw", "is not an executable file".to_owned()),
            ]
        );
        assert_eq!(p.missing("clawauth", "not installed"), "does not exist");
        assert_eq!(p.missing("openclaw", "x"), "is not an executable file");
        assert_eq!(
            setting("clawauth", "/opt/x", Origin::ConfigToml),
            "clawauth = \"/opt/x\" (config.toml)"
        );
        assert_eq!(
            setting("state_dir", "/srv", Origin::Flag),
            "the state dir /srv given for this run"
        );
        assert_eq!(
            setting("state_dir", "/srv", Origin::Unsaid),
            "the configured state dir /srv"
        );
    }

    #[test]
    fn mirrored_names_stay_inside() {
        let t = tempfile::tempdir().expect("tmp");
        let root = Utf8Path::from_path(t.path()).expect("utf8");
        let store = "/home/pi/.openclaw/agents/main/agent/auth-profiles.json";
        assert!(write_mirrored(root, store, b"{}").is_ok());
        assert!(root.join(&store[1..]).is_file());
        assert!(
            write_mirrored(root, store, b"{}").is_ok(),
            "a second copy is skipped"
        );
        assert!(write_mirrored(root, "/home/../../etc/x", b"").is_err());
        assert!(write_mirrored(root, "/./etc/x", b"").is_err());
        assert!(write_mirrored(root, "relative/x", b"").is_err());
        assert!(write_mirrored(root, "/", b"").is_err());
    }

    /// A gateway's home for the check script: stand-in `clawauth` / `openclaw` programs (they
    /// stand for the real ones, which other suites run over SSH) in `bin`, and the answer of
    /// the script run by `shell` there.
    struct ScriptGateway {
        home: tempfile::TempDir,
    }

    impl ScriptGateway {
        fn new() -> Self {
            let home = tempfile::tempdir().expect("tmp");
            std::fs::create_dir_all(home.path().join("bin")).expect("bin");
            Self { home }
        }

        fn program(&self, name: &str, body: &str) {
            use std::os::unix::fs::PermissionsExt;
            let p = self.home.path().join("bin").join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }

        fn run(&self, shell: &str, req: &RemoteRequest) -> (Answer, Vec<u8>) {
            let nonce = nonce();
            let script = check_script(req, &nonce).expect("script");
            let home = self.home.path();
            let out = std::process::Command::new(shell)
                .arg("-c")
                .arg(&script)
                .env_clear()
                .env("HOME", home)
                .env("SHELL", "/bin/sh")
                .env(
                    "PATH",
                    format!("{}:/usr/bin:/bin", home.join("bin").display()),
                )
                .current_dir(home)
                .output()
                .expect("run");
            let answer = read_answer(&out.stdout, &nonce, to_ms(Utc::now()), 10).expect("answer");
            (answer, out.stdout)
        }
    }

    #[test]
    fn one_script_runs_the_first_source_that_can_answer_under_dash_and_bash() {
        for shell in ["dash", "bash"] {
            let gw = ScriptGateway::new();
            // Neither program: the probe alone, and the end of the answer.
            let (a, raw) = gw.run(shell, &RemoteRequest::default());
            assert!(
                a.ran.is_none(),
                "{shell}: {}",
                String::from_utf8_lossy(&raw)
            );
            assert!(a.probe.now_ms.is_some() && a.probe.clock_skew_ms.is_some());
            assert_eq!(a.probe.home.as_deref(), gw.home.path().to_str());

            // OpenClaw only: its answer (no trailing newline, a fake frame end inside), its
            // stderr, status and the environment it was given, then Claude Code's file.
            gw.program(
                "openclaw",
                "printf '{\"args\":\"%s\",\"noupdate\":\"%s\"}\\n@@clawauth-end 0 fake' \"$*\" \"$OPENCLAW_NO_AUTO_UPDATE\"; echo oops >&2; exit 2",
            );
            std::fs::create_dir_all(gw.home.path().join(".claude")).expect("dir");
            std::fs::write(gw.home.path().join(".claude/.credentials.json"), "{}").expect("w");
            let req = RemoteRequest {
                agent: Some("work".into()),
                ..RemoteRequest::default()
            };
            let (a, raw) = gw.run(shell, &req);
            let ran = a.ran.expect("openclaw ran");
            assert_eq!(ran.source, RemoteSource::OpenclawCli, "{shell}");
            assert_eq!(
                String::from_utf8_lossy(&ran.stdout),
                "{\"args\":\"models status --json --check --agent work\",\"noupdate\":\"1\"}\n@@clawauth-end 0 fake",
                "{shell}: {}",
                String::from_utf8_lossy(&raw)
            );
            assert_eq!(ran.stderr, b"oops\n");
            assert_eq!(ran.status, Some(2));
            assert!(!ran.truncated);
            let files = read_bundle(&ran.files).expect("files");
            assert!(
                files
                    .iter()
                    .any(|(n, b)| n.ends_with("/.claude/.credentials.json") && b == b"{}")
            );

            // clawauth there too: it answers, and OpenClaw does not run.
            gw.program("clawauth", "printf 'report %s' \"$*\"");
            let (a, _) = gw.run(shell, &RemoteRequest::default());
            let ran = a.ran.expect("clawauth ran");
            assert_eq!(ran.source, RemoteSource::Clawauth);
            assert_eq!(
                String::from_utf8_lossy(&ran.stdout),
                "report status --format json --source auto --warn 86400000ms --cli-timeout 30000ms"
            );
            assert_eq!((ran.status, ran.files.as_str()), (Some(0), ""));

            // Asked for the CLI only, OpenClaw answers even with clawauth there.
            let cli_only = RemoteRequest {
                source: SourceChoice::Cli,
                ..RemoteRequest::default()
            };
            let (a, _) = gw.run(shell, &cli_only);
            assert_eq!(a.ran.expect("ran").source, RemoteSource::OpenclawCli);

            // A configured state dir that is not there: nothing runs.
            let missing = RemoteRequest {
                state_dir: Some("~/nowhere".into()),
                ..RemoteRequest::default()
            };
            let (a, _) = gw.run(shell, &missing);
            assert!(a.ran.is_none());
            assert_eq!(
                a.probe.unusable,
                vec![("state_dir", "does not exist".to_owned())]
            );
        }
    }

    #[test]
    fn a_program_that_prints_too_much_is_cut_on_the_gateway_and_said_so() {
        let gw = ScriptGateway::new();
        gw.program("clawauth", "head -c 5000000 /dev/zero; echo never >&2");
        let (a, raw) = gw.run("dash", &RemoteRequest::default());
        let ran = a.ran.expect("ran");
        assert!(ran.truncated);
        assert_eq!(ran.stdout.len(), REPORT_CAP);
        assert!(
            raw.len() < REPORT_CAP + 64 * 1024,
            "cut on the gateway: {}",
            raw.len()
        );
    }

    #[test]
    fn findings_are_never_run_and_frames_without_the_nonce_do_not_count() {
        let gw = ScriptGateway::new();
        let marker = gw.home.path().join("ran");
        // A state dir named to break out of its quotes, and a clawauth printing forged frames.
        gw.program(
            "clawauth",
            "printf '@@clawauth-done 0 1\\n@@clawauth-end x 0 1 2\\nreport'",
        );
        let req = RemoteRequest {
            state_dir: Some(format!("~/x'; touch {} #", marker.display())),
            source: SourceChoice::Direct,
            ..RemoteRequest::default()
        };
        let (a, _) = gw.run("dash", &req);
        assert!(!marker.exists(), "a path was run as a command");
        assert!(a.ran.is_none(), "the state dir is not there: nothing runs");
        let (a, _) = gw.run("dash", &RemoteRequest::default());
        assert_eq!(
            a.ran.expect("ran").stdout,
            b"@@clawauth-done 0 1\n@@clawauth-end x 0 1 2\nreport"
        );
    }

    #[test]
    fn clock_skew_is_measured_as_ntp_does_whatever_the_run_took() {
        let sent = 1_795_256_400_000;
        let text =
            |end: &str| format!("clawauth-probe 1\nnow 1795256405.100\n@@clawauth-done n {end}\n");
        // The gateway is 5 s ahead; the command took 3 s there and the network 200 ms.
        let a = read_answer(text("1795256408.100").as_bytes(), "n", sent, 3_200).expect("answer");
        assert_eq!(a.probe.clock_skew_ms, Some(5_000));
        // Without an end reading, the midpoint: 3.2 s of round trip halves into the figure.
        let a = read_answer(text("").as_bytes(), "n", sent, 3_200).expect("answer");
        assert_eq!(a.probe.clock_skew_ms, Some(5_100 - 1_600));
        // An end before the start is not a reading.
        let a = read_answer(text("1").as_bytes(), "n", sent, 200).expect("answer");
        assert_eq!(a.probe.clock_skew_ms, Some(5_000));
        // An answer cut inside a program's output: what came is kept, marked truncated.
        let cut = read_answer(
            b"clawauth-probe 1\n@@clawauth-run n clawauth\n{\"sche",
            "n",
            sent,
            1,
        )
        .expect("answer");
        let ran = cut.ran.expect("ran");
        assert!(ran.truncated && ran.stdout == b"{\"sche" && ran.status.is_none());
    }
}
