//! Stand-ins for programs the tests cannot run for real (tests/standins/, each says what it
//! imitates), and their configuration on a gateway.

use std::fmt::Write as _;

use base64::Engine as _;
use camino::{Utf8Path, Utf8PathBuf};
use sha2::Digest;

/// `tests/standins/<name>`.
pub fn standin_path(name: &str) -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("standins")
        .join(name)
}

/// How the `claude` stand-in behaves (`mode=` in its configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaudeMode {
    /// Prints the URL as hard-wrapped text, and on the right code the token.
    Ok,
    /// Like `Ok`, with the URL also an OSC-8 hyperlink.
    Osc8,
    /// Prints the banner and never gets to the URL.
    HangBeforeUrl,
    /// Prints the banner and an error, and exits 1.
    ExitBeforeUrl,
    /// Accepts the code but prints no token.
    NoToken,
}

impl ClaudeMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Osc8 => "osc8",
            Self::HangBeforeUrl => "hang-before-url",
            Self::ExitBeforeUrl => "exit-before-url",
            Self::NoToken => "no-token",
        }
    }
}

/// The `claude` stand-in's configuration (`~/.clawauth-standin/claude.conf` on the gateway).
#[derive(Debug, Clone)]
pub struct ClaudeConf {
    /// The code that succeeds (`<code>#<state>`, as the browser shows it).
    pub code: String,
    /// The token printed on success.
    pub token: String,
    pub mode: ClaudeMode,
    /// The URL's `code_challenge` (43 base64url characters).
    pub challenge: String,
    /// The URL's `state` (43 base64url characters).
    pub state: String,
    /// Where the stand-in appends its argv and what it read (never the token).
    pub log: Option<Utf8PathBuf>,
}

/// 43 base64url characters derived from `seed` (the size of a PKCE challenge or a state).
pub fn b64url43(seed: &str) -> String {
    let digest = sha2::Sha256::digest(seed.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// A made-up token of the shape `claude setup-token` prints — `sk-ant-oat01-` and 95 base64url
/// characters, 108 in all — marked `FAKE-` so it is never mistaken for a real one; the rest
/// derives from `seed`.
pub fn fake_oauth_token(seed: &str) -> String {
    let mut body = String::new();
    let mut i = 0;
    while body.len() < 88 {
        body.push_str(&b64url43(&format!("{seed}/{i}")));
        i += 1;
    }
    body.truncate(88);
    format!("sk-ant-oat01-FAKE-{body}AA")
}

impl ClaudeConf {
    /// A configuration whose code, state, challenge and token derive from `seed`.
    pub fn new(seed: &str) -> Self {
        let state = b64url43(&format!("{seed}/state"));
        Self {
            code: format!("{}#{state}", b64url43(&format!("{seed}/code"))),
            token: fake_oauth_token(seed),
            mode: ClaudeMode::Ok,
            challenge: b64url43(&format!("{seed}/challenge")),
            state,
            log: None,
        }
    }

    /// The authorize URL the stand-in prints (346 characters, like Claude Code v2.1.92's).
    pub fn authorize_url(&self) -> String {
        format!(
            "https://claude.com/cai/oauth/authorize?code=true&client_id=9d1c250a-e61b-44d9-88ed-5944d1962f5e\
             &response_type=code&redirect_uri=https%3A%2F%2Fplatform.claude.com%2Foauth%2Fcode%2Fcallback\
             &scope=user%3Ainference&code_challenge={}&code_challenge_method=S256&state={}",
            self.challenge, self.state
        )
    }

    fn render(&self) -> String {
        let mut s = String::new();
        for (k, v) in [
            ("code", self.code.as_str()),
            ("token", self.token.as_str()),
            ("mode", self.mode.as_str()),
            ("challenge", self.challenge.as_str()),
            ("state", self.state.as_str()),
        ] {
            assert!(!v.contains('\n'), "{k} has a newline");
            let _ = writeln!(s, "{k}={v}");
        }
        if let Some(log) = &self.log {
            let _ = writeln!(s, "log={log}");
        }
        s
    }
}

/// Installs the `claude` stand-in as `bin_dir/claude` and writes its configuration to
/// `gateway_home/.clawauth-standin/claude.conf` (mode 0600).
pub fn install_claude_standin(gateway_home: &Utf8Path, bin_dir: &Utf8Path, conf: &ClaudeConf) {
    std::fs::create_dir_all(bin_dir).expect("create bin dir");
    let target = bin_dir.join("claude");
    std::fs::copy(standin_path("claude"), &target).expect("copy the claude stand-in");
    crate::set_mode(target.as_std_path(), 0o755);
    write_claude_conf(gateway_home, conf);
}

/// (Re)writes the `claude` stand-in's configuration.
pub fn write_claude_conf(gateway_home: &Utf8Path, conf: &ClaudeConf) {
    let dir = gateway_home.join(".clawauth-standin");
    std::fs::create_dir_all(&dir).expect("create .clawauth-standin");
    crate::set_mode(dir.as_std_path(), 0o700);
    let path = dir.join("claude.conf");
    std::fs::write(&path, conf.render()).expect("write claude.conf");
    crate::set_mode(path.as_std_path(), 0o600);
}

/// Every call a Termux:API stand-in (`tests/standins/termux-*`: termux-recorder under each one-shot command's name, termux-dialog, termux-job-scheduler) recorded in its log
/// (`$CLAWAUTH_STANDIN_LOG`), in order: the program name, then each argument exactly as it got
/// it — empty and multi-line ones too. A record is its words, each followed by a NUL byte, ended
/// by an ASCII record separator (0x1e). An absent log is no calls.
pub fn standin_calls(log: &Utf8Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(log).unwrap_or_default();
    bytes
        .split(|b| *b == 0x1e)
        .filter(|r| !r.is_empty())
        .map(|r| {
            let r = r.strip_suffix(&[0]).unwrap_or(r);
            r.split(|b| *b == 0)
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect()
        })
        .collect()
}

/// The words `am` makes of an `--esa` value (Android's `Am.java`: split at commas that no
/// backslash escapes, then `\,` back to a comma): the arguments a RUN_COMMAND button hands the
/// program it starts.
pub fn am_string_array(value: &str) -> Vec<String> {
    let mut words = vec![String::new()];
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        let word = words.last_mut().expect("a word");
        match c {
            '\\' if chars.peek() == Some(&',') => {
                word.push(',');
                chars.next();
            }
            ',' => words.push(String::new()),
            c => word.push(c),
        }
    }
    words
}
