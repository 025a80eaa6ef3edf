//! Writing OpenClaw 2026.6's legacy `auth-profiles.json` (SPEC §2.3) on the gateway.
//!
//! `clawauth sync` copies Claude Code's OAuth login into the profile `anthropic:claude-cli`
//! (`type: "oauth"`, `provider: "claude-cli"`) of `<state>/agents/<agent>/agent/auth-profiles.json`.
//!
//! Two halves:
//! - [`splice_claude_cli`], a pure function: the new file content. A small validating JSON
//!   scanner finds the byte span of that one profile; only that span is rewritten, so every other
//!   profile, unknown field, number spelling and escape stays byte for byte as it was.
//! - [`write`]: reads the file on the gateway, splices, and replaces it in ONE shell script that
//!   follows OpenClaw 2026.6.1's writer protocol (research issue4 §5): the sidecar lock
//!   `<path>.lock` created exclusively with a `{pid, createdAt, starttime}` payload, the same
//!   retries and reclaim rules, a check that the file is still what was read, then a 0600 temp
//!   file in the same directory, fsync, rename, chmod 600, directory fsync. The new bytes travel
//!   on the script's stdin; the script text (visible in the process list) carries only the path,
//!   a digest, a length and timing values.

use std::fmt;
use std::time::Duration;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::fsutil::hex;
use crate::gateway::{Gateway, GatewayError, Limits, quote, quote_path};
use crate::secrets::Secret;

/// The profile clawauth maintains.
pub const PROFILE_ID: &str = "anthropic:claude-cli";
/// Its `type` and `provider`.
const PROFILE_TYPE: &str = "oauth";
const PROFILE_PROVIDER: &str = "claude-cli";
/// The file named in errors of the pure functions (they do not know the path).
const DEFAULT_FILE: &str = "auth-profiles.json";
/// The largest store clawauth reads.
const READ_CAP: usize = 8 * 1024 * 1024;
/// Time allowed for reading the store.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed for the write script beyond its lock waits.
const SCRIPT_SLACK: Duration = Duration::from_secs(30);
/// Reads and writes before giving up when the file keeps changing under us.
const MAX_ATTEMPTS: u32 = 5;
/// OpenClaw rejects `expires` above this (`src/agents/auth-health.ts`).
const MAX_EXPIRES_MS: i64 = 8_640_000_000_000_000;
/// Nesting deeper than this is refused (the scanner is recursive).
const MAX_DEPTH: usize = 256;
/// What a splice may add beyond twice the original and the login (see [`splice_claude_cli`]).
const GROWTH_SLACK: usize = 4096;

/// Claude Code's OAuth login, as written into the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaudeOauth {
    pub access: Secret,
    pub refresh: Secret,
    /// Unix milliseconds.
    pub expires_ms: i64,
}

/// The result of [`splice_claude_cli`].
pub enum Splice {
    /// The profile already holds these values: nothing to write.
    Unchanged,
    /// The new file content.
    Changed {
        bytes: Zeroizing<Vec<u8>>,
        /// `anthropic:claude-cli` did not exist before.
        created_profile: bool,
        /// The file did not exist before.
        created_file: bool,
        /// The bytes of the original that were rewritten: the profile's value, the empty
        /// object it went into, or an empty range where it was added (all of a blank file).
        /// Every byte before and after is in `bytes` as it was.
        replaced: std::ops::Range<usize>,
    },
}

impl fmt::Debug for Splice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unchanged => f.write_str("Unchanged"),
            Self::Changed {
                bytes,
                created_profile,
                created_file,
                replaced,
            } => f
                .debug_struct("Changed")
                .field("bytes", &format_args!("[{} bytes redacted]", bytes.len()))
                .field("created_profile", created_profile)
                .field("created_file", created_file)
                .field("replaced", replaced)
                .finish(),
        }
    }
}

/// How long to wait for OpenClaw's lock (the defaults are 2026.6.1's `AUTH_STORE_LOCK_OPTIONS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockPolicy {
    /// Tries after the first one.
    pub retries: u32,
    /// Delay before the first retry (doubled each time, randomized ×1…2).
    pub min_delay: Duration,
    /// Upper bound of one delay.
    pub max_delay: Duration,
    /// A lock without a pid is reclaimed once its `createdAt` is older than this.
    pub stale: Duration,
}

impl Default for LockPolicy {
    fn default() -> Self {
        Self {
            retries: 10,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            stale: Duration::from_secs(30),
        }
    }
}

impl LockPolicy {
    /// The delays before each retry, like 2026.6.1 (`sidecar-lock`):
    /// `min(max, round(max(min, min·2^n) · (1 + random)))` for n = 0…retries−1.
    fn delays_ms(&self) -> Vec<u64> {
        let min = self.min_delay.as_millis() as f64;
        let max = self.max_delay.as_millis() as f64;
        (0..self.retries)
            .map(|n| {
                let base = (min * 2f64.powi(n.min(60) as i32)).max(min);
                let randomized = (base * (1.0 + rand::random::<f64>())).round();
                randomized.min(max).max(0.0) as u64
            })
            .collect()
    }
}

/// What [`write`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The profile already held these values; the file was not touched.
    Unchanged,
    Written {
        created_profile: bool,
        created_file: bool,
        /// Time spent waiting for another writer's lock.
        waited_for_lock: Duration,
        /// A lock left by a dead process was removed.
        reclaimed_stale_lock: bool,
    },
}

/// Why the store could not be updated. Messages name the file, what is wrong and how to fix it;
/// they never contain a token.
#[derive(Debug, thiserror::Error)]
pub enum LegacyError {
    #[error(
        "{file} is not valid JSON ({detail}); clawauth does not overwrite a file it cannot parse: fix it or move it away, then sync again"
    )]
    Malformed { file: String, detail: String },

    #[error(
        "{file} is not an OpenClaw auth profile store ({detail}); clawauth does not overwrite it: fix it or move it away, then sync again"
    )]
    NotAStore { file: String, detail: String },

    #[error("refusing to write the Claude Code login into {file}: {detail}")]
    InvalidCredential { file: String, detail: String },

    #[error(
        "{path:?} is not a usable path for the auth profile store: it must be absolute or start with ~/"
    )]
    BadPath { path: String },

    #[error(
        "{file} is locked by another writer ({lock} held by process {holder}); gave up after waiting {}s. Retry when OpenClaw is idle; if no OpenClaw process is running, remove {lock}",
        .waited.as_secs()
    )]
    Locked {
        file: String,
        lock: String,
        holder: String,
        waited: Duration,
    },

    #[error(
        "{file} changed {attempts} times while clawauth was updating it; retry when OpenClaw is idle"
    )]
    KeptChanging { file: String, attempts: u32 },

    #[error(
        "cannot check {file} on {gateway}: the gateway has none of sha256sum, shasum or openssl; install coreutils"
    )]
    NoDigestTool { file: String, gateway: String },

    #[error("cannot update {file} on {gateway}: {detail}")]
    Remote {
        file: String,
        gateway: String,
        detail: String,
    },

    #[error("cannot update {file} on {gateway}: {source}")]
    Gateway {
        file: String,
        gateway: String,
        #[source]
        source: GatewayError,
    },
}

impl LegacyError {
    /// The same error naming `path` instead of the generic file name.
    fn in_file(self, path: &str) -> Self {
        let p = path.to_owned();
        match self {
            Self::Malformed { detail, .. } => Self::Malformed { file: p, detail },
            Self::NotAStore { detail, .. } => Self::NotAStore { file: p, detail },
            Self::InvalidCredential { detail, .. } => Self::InvalidCredential { file: p, detail },
            other => other,
        }
    }
}

// ---- JSON scanner ---------------------------------------------------------------------------

/// A scanned JSON value: byte spans into the source, nothing decoded but object keys.
#[derive(Debug)]
enum Node {
    Object {
        start: usize,
        end: usize,
        members: Vec<Member>,
    },
    Array {
        start: usize,
        end: usize,
        items: Vec<Node>,
    },
    /// A string (with its quotes), number or literal, copied as written.
    Scalar {
        start: usize,
        end: usize,
        kind: Kind,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Number,
    Literal,
}

#[derive(Debug)]
struct Member {
    /// Where the whitespace before the key starts (just after `{` or `,`).
    pre: usize,
    key_start: usize,
    key_end: usize,
    key: String,
    value: Node,
}

impl Node {
    fn start(&self) -> usize {
        match self {
            Node::Object { start, .. } | Node::Array { start, .. } | Node::Scalar { start, .. } => {
                *start
            }
        }
    }
    fn end(&self) -> usize {
        match self {
            Node::Object { end, .. } | Node::Array { end, .. } | Node::Scalar { end, .. } => *end,
        }
    }
    fn members(&self) -> Option<&[Member]> {
        match self {
            Node::Object { members, .. } => Some(members),
            _ => None,
        }
    }
    /// The last member named `key` (JSON.parse keeps the last of duplicates).
    fn get(&self, key: &str) -> Option<&Member> {
        self.members()?.iter().rev().find(|m| m.key == key)
    }
    fn type_name(&self) -> &'static str {
        match self {
            Node::Object { .. } => "an object",
            Node::Array { .. } => "an array",
            Node::Scalar {
                kind: Kind::String, ..
            } => "a string",
            Node::Scalar {
                kind: Kind::Number, ..
            } => "a number",
            Node::Scalar {
                kind: Kind::Literal,
                ..
            } => "true, false or null",
        }
    }
}

struct ParseError {
    at: usize,
    what: &'static str,
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl Parser<'_> {
    fn err(&self, what: &'static str) -> ParseError {
        ParseError { at: self.i, what }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        self.ws();
        match self.peek() {
            None => Err(self.err("unexpected end of file")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => {
                let (start, end) = self.string()?;
                Ok(Node::Scalar {
                    start,
                    end,
                    kind: Kind::String,
                })
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        let start = self.i;
        self.i += 1;
        let mut members = Vec::new();
        let mut pre = self.i;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Node::Object {
                start,
                end: self.i,
                members,
            });
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a quoted key"));
            }
            let (key_start, key_end) = self.string()?;
            let key = decode_string(&self.s[key_start..key_end]);
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':'"));
            }
            self.i += 1;
            let value = self.value(depth)?;
            members.push(Member {
                pre,
                key_start,
                key_end,
                key,
                value,
            });
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                    pre = self.i;
                }
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Node::Object {
                        start,
                        end: self.i,
                        members,
                    });
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        let start = self.i;
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Node::Array {
                start,
                end: self.i,
                items,
            });
        }
        loop {
            items.push(self.value(depth)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Node::Array {
                        start,
                        end: self.i,
                        items,
                    });
                }
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }

    /// A string token; returns its span including the quotes.
    fn string(&mut self) -> Result<(usize, usize), ParseError> {
        let start = self.i;
        self.i += 1;
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok((start, self.i));
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.i += 1;
                        }
                        Some(b'u') => {
                            self.i += 1;
                            for _ in 0..4 {
                                if !self.peek().is_some_and(|b| b.is_ascii_hexdigit()) {
                                    return Err(self.err("invalid \\u escape in a string"));
                                }
                                self.i += 1;
                            }
                        }
                        _ => return Err(self.err("invalid escape in a string")),
                    }
                }
                Some(b) if b < 0x20 => return Err(self.err("control character in a string")),
                Some(_) => self.i += 1,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - from
    }

    fn number(&mut self) -> Result<Node, ParseError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        Ok(Node::Scalar {
            start,
            end: self.i,
            kind: Kind::Number,
        })
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<Node, ParseError> {
        let start = self.i;
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(Node::Scalar {
                start,
                end: self.i,
                kind: Kind::Literal,
            })
        } else {
            Err(self.err("unexpected word"))
        }
    }
}

/// Decodes a validated string token (with quotes). Lone surrogates become U+FFFD.
fn decode_string(raw: &[u8]) -> String {
    let inner = &raw[1..raw.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut units: Vec<u16> = Vec::new();
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        out.extend(char::decode_utf16(units.drain(..)).map(|r| r.unwrap_or('\u{fffd}')));
    };
    let text = std::str::from_utf8(inner).unwrap_or_default();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            flush(&mut units, &mut out);
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else { break };
        if e == 'u' {
            let hex = text.get(i + 2..i + 6).unwrap_or("0");
            units.push(u16::from_str_radix(hex, 16).unwrap_or(0xfffd));
            for _ in 0..4 {
                chars.next();
            }
            continue;
        }
        flush(&mut units, &mut out);
        out.push(match e {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            other => other,
        });
    }
    flush(&mut units, &mut out);
    out
}

/// Parses a whole document: one value, whitespace around it.
fn parse(src: &[u8]) -> Result<Node, LegacyError> {
    let malformed = |at: usize, what: &str| {
        let before = &src[..at.min(src.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = before.len()
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        LegacyError::Malformed {
            file: DEFAULT_FILE.to_owned(),
            detail: format!("{what} at line {line}, column {col}"),
        }
    };
    if let Err(e) = std::str::from_utf8(src) {
        return Err(malformed(e.valid_up_to(), "invalid UTF-8"));
    }
    if src.starts_with("\u{feff}".as_bytes()) {
        return Err(malformed(0, "byte order mark"));
    }
    let mut p = Parser { s: src, i: 0 };
    let root = p.value(0).map_err(|e| malformed(e.at, e.what))?;
    p.ws();
    if p.i != src.len() {
        return Err(malformed(p.i, "unexpected data after the document"));
    }
    Ok(root)
}

/// A number token's value.
fn number_value(raw: &[u8]) -> Option<f64> {
    std::str::from_utf8(raw)
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

fn not_a_store(detail: impl Into<String>) -> LegacyError {
    LegacyError::NotAStore {
        file: DEFAULT_FILE.to_owned(),
        detail: detail.into(),
    }
}

/// The document's `profiles` object, if any (an error when it is something else).
fn profiles_of(root: &Node) -> Result<Option<&Member>, LegacyError> {
    if root.members().is_none() {
        return Err(not_a_store(format!(
            "the document is {}, not an object",
            root.type_name()
        )));
    }
    match root.get("profiles") {
        Some(m) if m.value.members().is_none() => Err(not_a_store(format!(
            "\"profiles\" is {}, not an object",
            m.value.type_name()
        ))),
        other => Ok(other),
    }
}

/// The `anthropic:claude-cli` entry, if any (an error when it is not an object).
fn entry_of(profiles: &Member) -> Result<Option<&Member>, LegacyError> {
    match profiles.value.get(PROFILE_ID) {
        Some(m) if m.value.members().is_none() => Err(not_a_store(format!(
            "profile \"{PROFILE_ID}\" is {}, not an object",
            m.value.type_name()
        ))),
        other => Ok(other),
    }
}

fn is_blank(src: &[u8]) -> bool {
    src.iter().all(|&b| is_ws(b))
}

/// What is there now: the `expires` of `anthropic:claude-cli` when the profile exists and its
/// `expires` is a number (fractions are truncated, as milliseconds). An `expires` that cannot
/// be a time (not above 0, or above 8.64e15) is `None`, never a value clamped into range:
/// OpenClaw reads it as missing (SPEC §2.2, `resolveTokenExpiryState`).
pub fn current_claude_cli_expiry(original: &[u8]) -> Result<Option<i64>, LegacyError> {
    if is_blank(original) {
        return Ok(None);
    }
    let root = parse(original)?;
    let Some(profiles) = profiles_of(&root)? else {
        return Ok(None);
    };
    let Some(entry) = entry_of(profiles)? else {
        return Ok(None);
    };
    Ok(match entry.value.get("expires").map(|m| &m.value) {
        Some(Node::Scalar {
            start,
            end,
            kind: Kind::Number,
        }) => number_value(&original[*start..*end])
            .filter(|v| *v > 0.0 && *v <= MAX_EXPIRES_MS as f64)
            .map(|v| v as i64),
        _ => None,
    })
}

// ---- emitting -------------------------------------------------------------------------------

/// How the document is laid out, so what we write looks like the rest.
struct Style {
    /// One indentation step; `None` for a one-line document.
    unit: Option<Vec<u8>>,
    /// Between a key and its value (`": "` as JSON.stringify with indentation writes).
    colon: Vec<u8>,
    /// After a comma in a one-line document.
    sep: Vec<u8>,
    /// Line break of an indented document (`\r\n` when the file uses it).
    eol: &'static [u8],
}

impl Style {
    /// No line breaks, no blanks: JSON.stringify without indentation.
    fn compact() -> Self {
        Style {
            unit: None,
            colon: b":".to_vec(),
            sep: Vec::new(),
            eol: b"\n",
        }
    }

    fn openclaw() -> Self {
        Style {
            unit: Some(b"  ".to_vec()),
            colon: b": ".to_vec(),
            sep: Vec::new(),
            eol: b"\n",
        }
    }

    fn detect(src: &[u8], root: &Node) -> Self {
        let Some(members) = root.members().filter(|m| !m.is_empty()) else {
            return Self::openclaw();
        };
        let colon = {
            let m = &members[0];
            let c = &src[m.key_end..m.value.start()];
            if c.iter().all(|&b| matches!(b, b' ' | b'\t' | b':')) {
                c.to_vec()
            } else {
                b": ".to_vec()
            }
        };
        let pretty = members.iter().find_map(|m| {
            let ws = &src[m.pre..m.key_start];
            ws.iter().rposition(|&b| b == b'\n').map(|nl| {
                let crlf = nl > 0 && ws[nl - 1] == b'\r';
                (ws[nl + 1..].to_vec(), crlf)
            })
        });
        match pretty {
            Some((indent, crlf)) => Style {
                unit: Some(if indent.is_empty() || indent.contains(&b'\r') {
                    b"  ".to_vec()
                } else {
                    indent
                }),
                colon,
                sep: Vec::new(),
                eol: if crlf { b"\r\n" } else { b"\n" },
            },
            None => Style {
                unit: None,
                colon,
                sep: members
                    .get(1)
                    .map(|m| src[m.pre..m.key_start].to_vec())
                    .unwrap_or_default(),
                eol: b"\n",
            },
        }
    }
}

/// The leading whitespace of the line holding `pos`.
fn line_indent(src: &[u8], pos: usize) -> Vec<u8> {
    let from = src[..pos]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    src[from..pos]
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .copied()
        .collect()
}

/// A value inside the entry we write.
enum Val<'a> {
    /// Kept from the original (re-indented when it is an object or array).
    Node(&'a Node),
    /// A new string.
    Str(&'a str),
    /// A new integer.
    Int(i64),
}

struct Emit<'a> {
    src: &'a [u8],
    style: &'a Style,
    out: Zeroizing<Vec<u8>>,
    /// At most this many bytes are written; past it `over` is set and nothing more is.
    limit: usize,
    over: bool,
}

impl Emit<'_> {
    fn push(&mut self, b: &[u8]) {
        if self.over || self.out.len() + b.len() > self.limit {
            self.over = true;
            return;
        }
        self.out.extend_from_slice(b);
    }

    /// The indentation one level below `indent` (none in a one-line document).
    fn deeper(&self, indent: &[u8]) -> Vec<u8> {
        match &self.style.unit {
            Some(u) if !self.over => [indent, u].concat(),
            _ => Vec::new(),
        }
    }

    /// A line break and `indent` (nothing in a one-line document).
    fn newline(&mut self, indent: &[u8]) {
        if self.style.unit.is_some() {
            self.push(self.style.eol);
            self.push(indent);
        }
    }

    fn comma(&mut self) {
        let style = self.style;
        self.push(b",");
        if style.unit.is_none() {
            self.push(&style.sep);
        }
    }

    fn colon(&mut self) {
        let style = self.style;
        self.push(&style.colon);
    }

    /// A JSON string as JSON.stringify writes it.
    fn string(&mut self, s: &str) {
        self.push(b"\"");
        for c in s.chars() {
            match c {
                '"' => self.push(b"\\\""),
                '\\' => self.push(b"\\\\"),
                '\u{8}' => self.push(b"\\b"),
                '\u{c}' => self.push(b"\\f"),
                '\n' => self.push(b"\\n"),
                '\r' => self.push(b"\\r"),
                '\t' => self.push(b"\\t"),
                c if (c as u32) < 0x20 => {
                    let esc = format!("\\u{:04x}", c as u32);
                    self.push(esc.as_bytes());
                }
                c => {
                    let mut buf = [0u8; 4];
                    self.push(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        self.push(b"\"");
    }

    /// An original value; objects and arrays re-indented for `indent` (the line they start on).
    fn node(&mut self, node: &Node, indent: &[u8]) {
        if self.over {
            return;
        }
        match node {
            Node::Scalar { start, end, .. } => {
                let src = self.src;
                self.push(&src[*start..*end]);
            }
            Node::Object { members, .. } if members.is_empty() => self.push(b"{}"),
            Node::Array { items, .. } if items.is_empty() => self.push(b"[]"),
            Node::Object { members, .. } => {
                let inner = self.deeper(indent);
                self.push(b"{");
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        self.comma();
                    }
                    self.newline(&inner);
                    let src = self.src;
                    self.push(&src[m.key_start..m.key_end]);
                    self.colon();
                    self.node(&m.value, &inner);
                }
                self.newline(indent);
                self.push(b"}");
            }
            Node::Array { items, .. } => {
                let inner = self.deeper(indent);
                self.push(b"[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.comma();
                    }
                    self.newline(&inner);
                    self.node(item, &inner);
                }
                self.newline(indent);
                self.push(b"]");
            }
        }
    }

    fn val(&mut self, v: &Val<'_>, indent: &[u8]) {
        match v {
            Val::Node(n) => self.node(n, indent),
            Val::Str(s) => self.string(s),
            Val::Int(i) => self.push(i.to_string().as_bytes()),
        }
    }

    /// `{ key: value, … }` with raw keys.
    fn object(&mut self, members: &[(&[u8], Val<'_>)], indent: &[u8]) {
        if self.over {
            return;
        }
        if members.is_empty() {
            self.push(b"{}");
            return;
        }
        let inner = self.deeper(indent);
        self.push(b"{");
        for (i, (key, v)) in members.iter().enumerate() {
            if i > 0 {
                self.comma();
            }
            self.newline(&inner);
            self.push(key);
            self.colon();
            self.val(v, &inner);
        }
        self.newline(indent);
        self.push(b"}");
    }
}

/// The entry's members: the original ones in order with ours replaced, then the missing ones.
fn entry_members<'a>(
    src: &'a [u8],
    old: Option<&'a Node>,
    cred: &'a ClaudeOauth,
) -> Vec<(&'a [u8], Val<'a>)> {
    const MANAGED: [(&str, &[u8]); 5] = [
        ("type", b"\"type\""),
        ("provider", b"\"provider\""),
        ("access", b"\"access\""),
        ("refresh", b"\"refresh\""),
        ("expires", b"\"expires\""),
    ];
    let ours = |key: &str| -> Option<Val<'a>> {
        Some(match key {
            "type" => Val::Str(PROFILE_TYPE),
            "provider" => Val::Str(PROFILE_PROVIDER),
            "access" => Val::Str(cred.access.expose()),
            "refresh" => Val::Str(cred.refresh.expose()),
            "expires" => Val::Int(cred.expires_ms),
            _ => return None,
        })
    };
    let mut members = Vec::new();
    let mut seen = [false; 5];
    for m in old.and_then(Node::members).unwrap_or_default() {
        let key = &src[m.key_start..m.key_end];
        match ours(&m.key) {
            Some(v) => {
                if let Some(i) = MANAGED.iter().position(|(k, _)| *k == m.key) {
                    seen[i] = true;
                }
                members.push((key, v));
            }
            None => members.push((key, Val::Node(&m.value))),
        }
    }
    for (i, (name, raw)) in MANAGED.iter().enumerate() {
        if !seen[i]
            && let Some(v) = ours(name)
        {
            members.push((*raw, v));
        }
    }
    members
}

/// Whether the entry already holds exactly these values.
fn entry_matches(src: &[u8], entry: &Node, cred: &ClaudeOauth) -> bool {
    let string_is = |key: &str, want: &str| match entry.get(key).map(|m| &m.value) {
        Some(Node::Scalar {
            start,
            end,
            kind: Kind::String,
        }) => *Zeroizing::new(decode_string(&src[*start..*end])) == want,
        _ => false,
    };
    let expires_is = match entry.get("expires").map(|m| &m.value) {
        Some(Node::Scalar {
            start,
            end,
            kind: Kind::Number,
        }) => number_value(&src[*start..*end]) == Some(cred.expires_ms as f64),
        _ => false,
    };
    string_is("type", PROFILE_TYPE)
        && string_is("provider", PROFILE_PROVIDER)
        && string_is("access", cred.access.expose())
        && string_is("refresh", cred.refresh.expose())
        && expires_is
}

fn check_credential(cred: &ClaudeOauth) -> Result<(), LegacyError> {
    let bad = |detail: &str| {
        Err(LegacyError::InvalidCredential {
            file: DEFAULT_FILE.to_owned(),
            detail: detail.to_owned(),
        })
    };
    if cred.access.expose().is_empty() {
        return bad("the access token is empty; log in to Claude Code again (`claude /login`)");
    }
    if cred.refresh.expose().is_empty() {
        return bad("the refresh token is empty; log in to Claude Code again (`claude /login`)");
    }
    if cred.expires_ms <= 0 || cred.expires_ms > MAX_EXPIRES_MS {
        return bad(&format!(
            "the expiry {} is not a Unix time in milliseconds; log in to Claude Code again",
            cred.expires_ms
        ));
    }
    Ok(())
}

/// The new file content: only the `anthropic:claude-cli` entry changes (its other fields kept,
/// `type`/`provider` set to oauth/claude-cli, `access`, `refresh`, `expires` replaced); every
/// byte outside that entry stays as it was. An absent or empty file becomes
/// `{"version": 1, "profiles": {…}}` (2 spaces, trailing newline). A file that is not JSON, or
/// whose `profiles` is not an object, is an error: it is never overwritten. The result is at
/// most twice the original plus the login (escaped) and 4 KiB: a layout that would make it
/// larger (an enormous indentation, deep nesting inside the profile) gets the profile on one
/// line instead.
pub fn splice_claude_cli(
    original: Option<&[u8]>,
    cred: &ClaudeOauth,
) -> Result<Splice, LegacyError> {
    check_credential(cred)?;
    let src = match original {
        Some(s) if !is_blank(s) => s,
        _ => {
            let style = Style::openclaw();
            let mut e = Emit {
                src: b"",
                style: &style,
                out: Zeroizing::new(Vec::new()),
                limit: usize::MAX,
                over: false,
            };
            fresh_document(&mut e, cred);
            e.push(b"\n");
            return Ok(Splice::Changed {
                bytes: e.out,
                created_profile: true,
                created_file: original.is_none(),
                replaced: 0..original.map_or(0, <[u8]>::len),
            });
        }
    };
    let root = parse(src)?;
    let profiles = profiles_of(&root)?;
    let entry = profiles.map(entry_of).transpose()?.flatten();
    if let Some(entry) = entry
        && entry_matches(src, &entry.value, cred)
    {
        return Ok(Splice::Unchanged);
    }
    // A layout that would blow the file up (an enormous indentation, deep nesting inside the
    // profile re-indented line by line) is given up for the profile on one line.
    let limit = src.len() * 2
        + 6 * (cred.access.expose().len() + cred.refresh.expose().len())
        + GROWTH_SLACK;
    let (out, replaced, created_profile) = match write_entry(
        src,
        &root,
        profiles,
        entry,
        cred,
        &Style::detect(src, &root),
        limit,
    ) {
        Some(done) => done,
        None => write_entry(
            src,
            &root,
            profiles,
            entry,
            cred,
            &Style::compact(),
            usize::MAX,
        )
        .ok_or_else(|| not_a_store("internal error: the compact layout overflowed"))?,
    };
    // What we produced must parse, with our entry in it.
    let check = parse(&out).map_err(|_| not_a_store("internal error: the result did not parse"))?;
    let ok = profiles_of(&check)
        .ok()
        .flatten()
        .and_then(|p| entry_of(p).ok().flatten())
        .is_some_and(|en| entry_matches(&out, &en.value, cred));
    if !ok {
        return Err(not_a_store("internal error: the result lacks the profile"));
    }
    Ok(Splice::Changed {
        bytes: out,
        created_profile,
        created_file: false,
        replaced,
    })
}

/// The source with the profile written in `style`: the new bytes, what of the source they
/// replace, and whether the profile is new. `None` when that would be more than `limit` bytes.
fn write_entry(
    src: &[u8],
    root: &Node,
    profiles: Option<&Member>,
    entry: Option<&Member>,
    cred: &ClaudeOauth,
    style: &Style,
    limit: usize,
) -> Option<(Zeroizing<Vec<u8>>, std::ops::Range<usize>, bool)> {
    let mut e = Emit {
        src,
        style,
        out: Zeroizing::new(Vec::with_capacity(src.len().min(limit) + 1024)),
        limit,
        over: false,
    };
    let key_raw = format!("\"{PROFILE_ID}\"");
    let (replaced, created_profile) = match (profiles, entry) {
        (_, Some(entry)) => {
            // Replace the entry's value, re-indented for the line its key is on.
            e.push(&src[..entry.value.start()]);
            let indent = line_indent(src, entry.key_start);
            let members = entry_members(src, Some(&entry.value), cred);
            e.object(&members, &indent);
            (entry.value.start()..entry.value.end(), false)
        }
        (Some(profiles), None) => {
            let members = entry_members(src, None, cred);
            insert_member(&mut e, &profiles.value, key_raw.as_bytes(), |e, indent| {
                e.object(&members, indent);
            })
        }
        (None, None) => {
            let members = entry_members(src, None, cred);
            if root.members().is_some_and(<[Member]>::is_empty) {
                // `{}`: nothing to keep inside it.
                let (s, t) = (root.start(), root.end());
                e.push(&src[..s]);
                fresh_document(&mut e, cred);
                (s..t, true)
            } else {
                insert_member(&mut e, root, b"\"profiles\"", |e, indent| {
                    let inner = e.deeper(indent);
                    e.push(b"{");
                    e.newline(&inner);
                    e.push(key_raw.as_bytes());
                    e.colon();
                    e.object(&members, &inner);
                    e.newline(indent);
                    e.push(b"}");
                })
            }
        }
    };
    e.push(&src[replaced.end..]);
    (!e.over).then_some((e.out, replaced, created_profile))
}

/// `{"version": 1, "profiles": {"anthropic:claude-cli": {…}}}` at indentation zero.
fn fresh_document(e: &mut Emit<'_>, cred: &ClaudeOauth) {
    let members = entry_members(b"", None, cred);
    let key_raw = format!("\"{PROFILE_ID}\"");
    let l1 = e.deeper(b"");
    let l2 = e.deeper(&l1);
    e.push(b"{");
    e.newline(&l1);
    e.push(b"\"version\"");
    e.colon();
    e.push(b"1");
    e.comma();
    e.newline(&l1);
    e.push(b"\"profiles\"");
    e.colon();
    e.push(b"{");
    e.newline(&l2);
    e.push(key_raw.as_bytes());
    e.colon();
    e.object(&members, &l2);
    e.newline(&l1);
    e.push(b"}");
    e.newline(b"");
    e.push(b"}");
}

/// Adds the member `key_raw` (its value written by `value(emit, indent)`) at the end of
/// `object`: emits the source up to the insertion point and the new text, and returns the
/// bytes of the source it replaced (the caller appends what follows them) and `true` (a new
/// profile).
fn insert_member(
    e: &mut Emit<'_>,
    object: &Node,
    key_raw: &[u8],
    value: impl FnOnce(&mut Emit<'_>, &[u8]),
) -> (std::ops::Range<usize>, bool) {
    let src = e.src;
    let members = object.members().unwrap_or_default();
    match members.last() {
        Some(last) => {
            // After the last value: a comma, the same whitespace the last key had, our member.
            let at = last.value.end();
            e.push(&src[..at]);
            e.push(b",");
            e.push(&src[last.pre..last.key_start]);
            e.push(key_raw);
            e.colon();
            let indent = line_indent(src, last.key_start);
            value(e, &indent);
            (at..at, true)
        }
        None => {
            // An empty object: rewrite it, indented for the line it starts on.
            let (s, t) = (object.start(), object.end());
            e.push(&src[..s]);
            let indent = line_indent(src, s);
            let inner = e.deeper(&indent);
            e.push(b"{");
            e.newline(&inner);
            e.push(key_raw);
            e.colon();
            value(e, &inner);
            e.newline(&indent);
            e.push(b"}");
            (s..t, true)
        }
    }
}

// ---- writing on the gateway -----------------------------------------------------------------

/// Exit statuses of the write script (73: any other failure, with a message on stderr).
const EXIT_SHORT_INPUT: i32 = 74;
const EXIT_LOCKED: i32 = 75;
const EXIT_CHANGED: i32 = 76;
const EXIT_NO_DIGEST: i32 = 78;

/// The write script after its variable assignments (`p`, `expect`, `len`, `delays`, `stale_s`,
/// `nonce`). POSIX sh (dash, bash, busybox ash). Reads the new file content from stdin only once
/// the lock is held and the file is verified unchanged.
const WRITE_SCRIPT: &str = r#"
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
"#;

/// The script for one write attempt (no secret in it).
fn write_script(
    path: &str,
    expect: &str,
    len: usize,
    delays_ms: &[u64],
    stale: Duration,
) -> Result<String, GatewayError> {
    let mut nonce = [0u8; 8];
    rand::fill(&mut nonce);
    let delays = delays_ms
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    Ok(format!(
        "p={}\nexpect={}\nlen={}\ndelays={}\nstale_s={}\nnonce={}\n{WRITE_SCRIPT}",
        quote_path(path)?,
        quote(expect)?,
        len,
        quote(&delays)?,
        stale.as_secs(),
        hex(&nonce),
    ))
}

fn valid_path(path: &str) -> bool {
    (path.starts_with('/') || path.starts_with("~/"))
        && !path.ends_with('/')
        && !path.chars().any(char::is_control)
}

/// Reads the store on the gateway and splices in `cred`: what [`write`] would write, for a dry
/// run. Nothing is written and no lock is taken.
pub async fn preview<G: Gateway>(
    gw: &G,
    path: &str,
    cred: &ClaudeOauth,
) -> Result<Splice, LegacyError> {
    if !valid_path(path) {
        return Err(LegacyError::BadPath {
            path: path.to_owned(),
        });
    }
    Ok(read_and_splice(gw, path, cred).await?.1)
}

/// The store's current bytes (`None` when absent) and the splice of `cred` into them.
async fn read_and_splice<G: Gateway>(
    gw: &G,
    path: &str,
    cred: &ClaudeOauth,
) -> Result<(Option<Zeroizing<Vec<u8>>>, Splice), LegacyError> {
    let original = gw
        .read_file(path, READ_CAP, READ_TIMEOUT)
        .await
        .map_err(|source| LegacyError::Gateway {
            file: path.to_owned(),
            gateway: gw.name().to_owned(),
            source,
        })?
        .map(Zeroizing::new);
    let splice = splice_claude_cli(original.as_ref().map(|b| b.as_slice()), cred)
        .map_err(|e| e.in_file(path))?;
    Ok((original, splice))
}

/// Reads the store on the gateway, splices in `cred`, and writes it under OpenClaw 2026.6.1's
/// lock. If the file changed between the read and taking the lock, it is read again (at most
/// five times). `path` is absolute on the gateway or `~/`-relative.
pub async fn write<G: Gateway>(
    gw: &G,
    path: &str,
    cred: &ClaudeOauth,
    policy: &LockPolicy,
) -> Result<WriteOutcome, LegacyError> {
    if !valid_path(path) {
        return Err(LegacyError::BadPath {
            path: path.to_owned(),
        });
    }
    let gateway = gw.name().to_owned();
    let remote = |detail: String| LegacyError::Remote {
        file: path.to_owned(),
        gateway: gateway.clone(),
        detail,
    };
    let via = |source: GatewayError| LegacyError::Gateway {
        file: path.to_owned(),
        gateway: gateway.clone(),
        source,
    };
    for attempt in 1..=MAX_ATTEMPTS {
        let (original, splice) = read_and_splice(gw, path, cred).await?;
        let (bytes, created_profile, created_file) = match splice {
            Splice::Unchanged => {
                tracing::debug!("{path} on {gateway}: {PROFILE_ID} is already up to date");
                return Ok(WriteOutcome::Unchanged);
            }
            Splice::Changed {
                bytes,
                created_profile,
                created_file,
                ..
            } => (bytes, created_profile, created_file),
        };
        let expect = match &original {
            None => "absent".to_owned(),
            Some(b) => hex(&Sha256::digest(b.as_slice())),
        };
        let delays = policy.delays_ms();
        let wait: u64 = delays.iter().sum();
        let script =
            write_script(path, &expect, bytes.len(), &delays, policy.stale).map_err(via)?;
        let limits = Limits::new(Duration::from_millis(wait) + SCRIPT_SLACK, 64 * 1024);
        let out = gw
            .exec_script(&script, Some(&bytes), limits)
            .await
            .map_err(via)?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = crate::redact::last_line(&String::from_utf8_lossy(&out.stderr), 300);
        match out.status {
            Some(0) => {
                let field = |name: &str| {
                    stdout
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix(name))
                        .and_then(|v| v.parse::<u64>().ok())
                };
                let (Some(waited), Some(reclaimed)) = (field("waited_ms="), field("reclaimed="))
                else {
                    return Err(remote(format!(
                        "the write script gave no result (stdout {:?})",
                        crate::redact::last_line(&stdout, 100)
                    )));
                };
                tracing::debug!(
                    "{path} on {gateway}: wrote {PROFILE_ID} (new profile {created_profile}, new file {created_file}, waited {waited} ms for the lock)"
                );
                return Ok(WriteOutcome::Written {
                    created_profile,
                    created_file,
                    waited_for_lock: Duration::from_millis(waited),
                    reclaimed_stale_lock: reclaimed != 0,
                });
            }
            Some(EXIT_CHANGED) => {
                tracing::debug!(
                    "{path} on {gateway}: changed since it was read (attempt {attempt}); reading it again"
                );
                continue;
            }
            Some(EXIT_LOCKED) => {
                let holder = stdout
                    .lines()
                    .find_map(|l| l.strip_prefix("holder="))
                    .map(|h| crate::redact::scrub(h.trim()))
                    .unwrap_or_else(|| "unknown".to_owned());
                return Err(LegacyError::Locked {
                    file: path.to_owned(),
                    lock: format!("{path}.lock"),
                    holder,
                    waited: Duration::from_millis(wait),
                });
            }
            Some(EXIT_NO_DIGEST) => {
                return Err(LegacyError::NoDigestTool {
                    file: path.to_owned(),
                    gateway,
                });
            }
            Some(EXIT_SHORT_INPUT) => {
                return Err(remote(format!(
                    "the new content did not arrive whole ({stderr}); nothing was changed, sync again"
                )));
            }
            Some(code) => {
                return Err(remote(if stderr.is_empty() {
                    format!("the write script failed with exit status {code}")
                } else {
                    stderr
                }));
            }
            None => {
                return Err(remote(format!(
                    "the write script was ended by {}",
                    out.signal.as_deref().unwrap_or("a signal")
                )));
            }
        }
    }
    Err(LegacyError::KeptChanging {
        file: path.to_owned(),
        attempts: MAX_ATTEMPTS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::local::LocalGateway;
    use crate::openclaw::env::Environment;
    use crate::testutil::{mode, tmp};
    use camino::{Utf8Path, Utf8PathBuf};
    use std::os::unix::fs::MetadataExt;

    const ACCESS: &str = "sk-ant-oat01-FAKE-new-access-0123456789abcdef0123456789abcdef";
    const REFRESH: &str = "sk-ant-ort01-FAKE-new-refresh-0123456789abcdef0123456789abcdef";
    const EXPIRES: i64 = 1_795_292_311_069;

    fn cred() -> ClaudeOauth {
        ClaudeOauth {
            access: Secret::new(ACCESS),
            refresh: Secret::new(REFRESH),
            expires_ms: EXPIRES,
        }
    }

    fn changed(original: Option<&[u8]>) -> (String, bool, bool) {
        match splice_claude_cli(original, &cred()).expect("splice") {
            Splice::Changed {
                bytes,
                created_profile,
                created_file,
                ..
            } => (
                String::from_utf8(bytes.to_vec()).expect("utf8"),
                created_profile,
                created_file,
            ),
            Splice::Unchanged => panic!("unexpectedly unchanged"),
        }
    }

    /// The entry as serde_json sees it in `doc`.
    fn entry(doc: &str) -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_str(doc).expect("result is JSON");
        v["profiles"][PROFILE_ID].clone()
    }

    fn assert_ours(e: &serde_json::Value) {
        assert_eq!(e["type"], "oauth");
        assert_eq!(e["provider"], "claude-cli");
        assert_eq!(e["access"], ACCESS);
        assert_eq!(e["refresh"], REFRESH);
        assert_eq!(e["expires"], EXPIRES);
    }

    /// `before + old entry + after` in, `before + new entry + after` out: bytes outside the
    /// entry identical; the new entry is exactly `want_entry`.
    fn assert_splice(before: &str, old: &str, after: &str, want_entry: &str) {
        let input = format!("{before}{old}{after}");
        let (out, created_profile, created_file) = changed(Some(input.as_bytes()));
        assert!(!created_profile && !created_file);
        assert!(out.starts_with(before), "prefix kept:\n{out}");
        assert!(out.ends_with(after), "suffix kept:\n{out}");
        let mid = &out[before.len()..out.len() - after.len()];
        assert_eq!(mid, want_entry, "entry:\n{out}");
        assert_ours(&entry(&out));
    }

    #[test]
    fn replaces_the_entry_in_openclaws_own_format() {
        let before = "{\n  \"version\": 1,\n  \"profiles\": {\n    \"anthropic:manual\": {\n      \"type\": \"token\",\n      \"provider\": \"anthropic\",\n      \"token\": \"sk-ant-oat01-FAKE-a-xxxx\",\n      \"expires\": 1826810297892\n    },\n    \"anthropic:claude-cli\": ";
        let old = "{\n      \"type\": \"oauth\",\n      \"provider\": \"claude-cli\",\n      \"access\": \"old-a\",\n      \"refresh\": \"old-r\",\n      \"expires\": 1700000000000,\n      \"email\": \"caf\\u00e9@example.com\"\n    }";
        let after = ",\n    \"openai:manual\": {\n      \"type\": \"api_key\",\n      \"provider\": \"openai\",\n      \"key\": \"sk-openai-FAKE\"\n    }\n  },\n  \"usageStats\": {\"openai:manual\": {\"lastUsed\": 1e3, \"errorCount\": 0}},\n  \"lastGood\": {\"anthropic\": \"anthropic:manual\"},\n  \"order\": {\"anthropic\": [\"anthropic:claude-cli\"]}\n}\n";
        let want = format!(
            "{{\n      \"type\": \"oauth\",\n      \"provider\": \"claude-cli\",\n      \"access\": \"{ACCESS}\",\n      \"refresh\": \"{REFRESH}\",\n      \"expires\": {EXPIRES},\n      \"email\": \"caf\\u00e9@example.com\"\n    }}"
        );
        assert_splice(before, old, after, &want);
    }

    #[test]
    fn four_spaces_are_matched() {
        let before =
            "{\n    \"version\": 1,\n    \"profiles\": {\n        \"anthropic:claude-cli\": ";
        let old = "{\"type\": \"token\", \"provider\": \"anthropic\", \"scopes\": [\"a\", {\"b\": 1E+2}], \"x\": {}}";
        let after = "\n    }\n}";
        let want = format!(
            "{{\n            \"type\": \"oauth\",\n            \"provider\": \"claude-cli\",\n            \"scopes\": [\n                \"a\",\n                {{\n                    \"b\": 1E+2\n                }}\n            ],\n            \"x\": {{}},\n            \"access\": \"{ACCESS}\",\n            \"refresh\": \"{REFRESH}\",\n            \"expires\": {EXPIRES}\n        }}"
        );
        assert_splice(before, old, after, &want);
    }

    #[test]
    fn one_line_documents_stay_one_line() {
        let before = r#"{"version":1,"profiles":{"a:b":{"type":"api_key","provider":"a","key":"k\u00e9y","n":-0.5e-3},"anthropic:claude-cli":"#;
        let old =
            r#"{"type":"oauth","provider":"claude-cli","access":"x","refresh":"y","expires":1}"#;
        let after = r#"},"usageStats":{"a:b":{"lastUsed":1e3}}}"#;
        let want = format!(
            r#"{{"type":"oauth","provider":"claude-cli","access":"{ACCESS}","refresh":"{REFRESH}","expires":{EXPIRES}}}"#
        );
        assert_splice(before, old, after, &want);
        // Python's json.dumps style: ", " and ": ".
        let before = r#"{"version": 1, "profiles": {"anthropic:claude-cli": "#;
        let old = r#"{"type": "oauth", "expires": 5}"#;
        let after = r#"}, "order": {}}"#;
        let want = format!(
            r#"{{"type": "oauth", "expires": {EXPIRES}, "provider": "claude-cli", "access": "{ACCESS}", "refresh": "{REFRESH}"}}"#
        );
        assert_splice(before, old, after, &want);
    }

    #[test]
    fn crlf_and_tabs_are_matched() {
        let before =
            "{\r\n\t\"version\": 1,\r\n\t\"profiles\": {\r\n\t\t\"anthropic:claude-cli\": ";
        let old = "{\"type\": \"oauth\"}";
        let after = "\r\n\t}\r\n}\r\n";
        let want = format!(
            "{{\r\n\t\t\t\"type\": \"oauth\",\r\n\t\t\t\"provider\": \"claude-cli\",\r\n\t\t\t\"access\": \"{ACCESS}\",\r\n\t\t\t\"refresh\": \"{REFRESH}\",\r\n\t\t\t\"expires\": {EXPIRES}\r\n\t\t}}"
        );
        assert_splice(before, old, after, &want);
    }

    #[test]
    fn tokens_are_escaped_like_json_stringify() {
        let c = ClaudeOauth {
            access: Secret::new("a\"b\\c\u{1}\n"),
            refresh: Secret::new("é"),
            expires_ms: 5,
        };
        let Splice::Changed { bytes, .. } = splice_claude_cli(None, &c).expect("splice") else {
            panic!("changed")
        };
        let text = std::str::from_utf8(&bytes).expect("utf8");
        assert!(text.contains(r#""access": "a\"b\\c\u0001\n""#), "{text}");
        assert!(text.contains("\"refresh\": \"é\""), "{text}");
        let v: serde_json::Value = serde_json::from_str(text).expect("json");
        assert_eq!(v["profiles"][PROFILE_ID]["access"], "a\"b\\c\u{1}\n");
    }

    #[test]
    fn a_missing_profile_is_added_at_the_end() {
        let head = "{\n  \"version\": 1,\n  \"profiles\": {\n    \"anthropic:manual\": {\n      \"type\": \"token\",\n      \"provider\": \"anthropic\",\n      \"token\": \"t\\u00e9\"\n    }";
        let tail = "\n  },\n  \"lastGood\": {}\n}\n";
        let (out, created_profile, created_file) =
            changed(Some(format!("{head}{tail}").as_bytes()));
        assert!(created_profile && !created_file);
        let want = format!(
            "{head},\n    \"anthropic:claude-cli\": {{\n      \"type\": \"oauth\",\n      \"provider\": \"claude-cli\",\n      \"access\": \"{ACCESS}\",\n      \"refresh\": \"{REFRESH}\",\n      \"expires\": {EXPIRES}\n    }}{tail}"
        );
        assert_eq!(out, want);

        // Empty profiles object, and no profiles at all.
        let (out, created_profile, _) =
            changed(Some(b"{\n  \"version\": 1,\n  \"profiles\": {}\n}\n"));
        assert!(created_profile);
        assert!(
            out.starts_with("{\n  \"version\": 1,\n  \"profiles\": {\n    \"anthropic:claude-cli\": {\n      \"type\": \"oauth\",")
                && out.ends_with("\n    }\n  }\n}\n"),
            "{out}"
        );
        let (out, created_profile, _) = changed(Some(b"{\"version\":1,\"x\":[1,2]}"));
        assert!(created_profile);
        assert!(out.starts_with("{\"version\":1,\"x\":[1,2],\"profiles\":{\"anthropic:claude-cli\":{\"type\":\"oauth\""), "{out}");
        assert_ours(&entry(&out));
    }

    #[test]
    fn absent_or_empty_files_become_a_new_store() {
        let want = format!(
            "{{\n  \"version\": 1,\n  \"profiles\": {{\n    \"anthropic:claude-cli\": {{\n      \"type\": \"oauth\",\n      \"provider\": \"claude-cli\",\n      \"access\": \"{ACCESS}\",\n      \"refresh\": \"{REFRESH}\",\n      \"expires\": {EXPIRES}\n    }}\n  }}\n}}\n"
        );
        assert_eq!(changed(None), (want.clone(), true, true));
        assert_eq!(changed(Some(b"")), (want.clone(), true, false));
        assert_eq!(changed(Some(b" \n")), (want.clone(), true, false));
        // `{}` carries nothing; its surroundings stay.
        assert_eq!(changed(Some(b"{}\n")).0, want);
    }

    #[test]
    fn equal_values_are_unchanged() {
        let (out, ..) = changed(None);
        assert!(matches!(
            splice_claude_cli(Some(out.as_bytes()), &cred()).expect("splice"),
            Splice::Unchanged
        ));
        // Same values spelled differently (escapes, exponent) are still equal.
        let doc = format!(
            r#"{{"profiles":{{"anthropic:claude-cli":{{"type":"oauth","provider":"claude\u002dcli","access":"{ACCESS}","refresh":"{REFRESH}","expires":1.795292311069e12}}}}}}"#
        );
        assert!(matches!(
            splice_claude_cli(Some(doc.as_bytes()), &cred()).expect("splice"),
            Splice::Unchanged
        ));
        // A different type is not: it gets fixed.
        let doc = doc.replace(r#""type":"oauth""#, r#""type":"token""#);
        assert!(matches!(
            splice_claude_cli(Some(doc.as_bytes()), &cred()).expect("splice"),
            Splice::Changed { .. }
        ));
    }

    #[test]
    fn malformed_documents_are_refused_without_echoing_them() {
        let secret = "sk-ant-oat01-FAKE-leak-0123456789abcdef0123456789";
        let cases = [
            format!("{{\"profiles\": {{\"a\": \"{secret}\"}}"),
            format!("{{\"profiles\": {{\"a\": \"{secret}\",}}}}"),
            format!("{{\"profiles\": {{\"a\": '{secret}'}}}}"),
            format!("{{\"profiles\": {{\"a\": \"{secret}\"}}}} x"),
            format!("{{\"profiles\": {{\"a\": \"{secret}\\x\"}}}}"),
            format!("{{\"profiles\": {{\"a\": 01}}, \"b\": \"{secret}\"}}"),
            "\u{feff}{}".to_owned(),
            "{\"a\": \"\u{1}\"}".to_owned(),
            "[".repeat(1000),
        ];
        for c in &cases {
            let err = splice_claude_cli(Some(c.as_bytes()), &cred()).expect_err(c);
            let msg = err.to_string();
            assert!(matches!(err, LegacyError::Malformed { .. }), "{msg}");
            assert!(!msg.contains(secret) && !msg.contains("FAKE"), "{msg}");
            assert!(
                msg.contains("auth-profiles.json") && msg.contains("line"),
                "{msg}"
            );
        }
        assert!(splice_claude_cli(Some(&[0xff, b'{', b'}']), &cred()).is_err());
        for (doc, what) in [
            ("[]", "not an object"),
            ("{\"profiles\": []}", "\"profiles\" is an array"),
            (
                "{\"profiles\": {\"anthropic:claude-cli\": \"x\"}}",
                "is a string",
            ),
        ] {
            let err = splice_claude_cli(Some(doc.as_bytes()), &cred()).expect_err(doc);
            assert!(matches!(err, LegacyError::NotAStore { .. }), "{err}");
            assert!(err.to_string().contains(what), "{err}");
        }
        let bad = ClaudeOauth {
            expires_ms: 0,
            ..cred()
        };
        assert!(splice_claude_cli(None, &bad).is_err());
    }

    /// Issue 16: re-indenting the profile for the document's layout multiplied it: a long
    /// indentation unit times deep nesting inside the profile (or a long separator times many
    /// members in a one-line document) made a 9 KB store hundreds of megabytes. Such a layout
    /// now gets the profile on one line, and the splice still round-trips.
    #[test]
    fn odd_layouts_do_not_blow_the_file_up() {
        let deep = format!(
            "{{\"version\": 1,\n{}\"profiles\": {{\"anthropic:claude-cli\": {{\"x\": {}0{}}}}}}}\n",
            " ".repeat(4000),
            "[".repeat(100),
            "]".repeat(100)
        );
        let wide = format!(
            "{{\"version\":1,{}\"profiles\":{{\"anthropic:claude-cli\":{{{}\"type\":\"x\"}}}}}}",
            " ".repeat(10_000),
            "\"k\":0,".repeat(2000)
        );
        for doc in [deep, wide] {
            let (out, created_profile, _) = changed(Some(doc.as_bytes()));
            assert!(!created_profile);
            assert!(
                out.len() <= 2 * doc.len() + 6 * (ACCESS.len() + REFRESH.len()) + GROWTH_SLACK,
                "{} bytes from {}",
                out.len(),
                doc.len()
            );
            let e = entry(&out);
            assert_ours(&e);
            let before: serde_json::Value = serde_json::from_str(&doc).expect("json");
            for (k, v) in before["profiles"][PROFILE_ID].as_object().expect("entry") {
                if k != "type" {
                    assert_eq!(&e[k], v, "{k}");
                }
            }
            assert!(matches!(
                splice_claude_cli(Some(out.as_bytes()), &cred()).expect("again"),
                Splice::Unchanged
            ));
        }
    }

    #[test]
    fn current_expiry_is_read() {
        let (out, ..) = changed(None);
        assert_eq!(
            current_claude_cli_expiry(out.as_bytes()).expect("read"),
            Some(EXPIRES)
        );
        assert_eq!(current_claude_cli_expiry(b"").expect("read"), None);
        assert_eq!(
            current_claude_cli_expiry(b"{\"version\":1,\"profiles\":{}}").expect("read"),
            None
        );
        assert_eq!(
            current_claude_cli_expiry(
                br#"{"profiles":{"anthropic:claude-cli":{"expires":"soon"}}}"#
            )
            .expect("read"),
            None
        );
        assert!(current_claude_cli_expiry(b"{").is_err());
        // Issue 16: an expiry that cannot be a time was clamped to i64::MAX (or 0); it is
        // none, as OpenClaw reads it.
        for bad in ["1e300", "-5", "0", "8640000000000001", "-1e300"] {
            let doc = format!(r#"{{"profiles":{{"anthropic:claude-cli":{{"expires":{bad}}}}}}}"#);
            assert_eq!(
                current_claude_cli_expiry(doc.as_bytes()).expect(bad),
                None,
                "{bad}"
            );
        }
        let doc = br#"{"profiles":{"anthropic:claude-cli":{"expires":8640000000000000}}}"#;
        assert_eq!(
            current_claude_cli_expiry(doc).expect("max"),
            Some(MAX_EXPIRES_MS)
        );
    }

    #[test]
    fn default_policy_matches_openclaw() {
        let p = LockPolicy::default();
        assert_eq!(p.retries, 10);
        assert_eq!(p.min_delay, Duration::from_millis(100));
        assert_eq!(p.max_delay, Duration::from_secs(10));
        assert_eq!(p.stale, Duration::from_secs(30));
        for _ in 0..20 {
            let d = p.delays_ms();
            assert_eq!(d.len(), 10);
            assert!((100..=200).contains(&d[0]), "{d:?}");
            assert!((3200..=6400).contains(&d[5]), "{d:?}");
            assert_eq!(d[7..], [10_000, 10_000, 10_000]);
            let total: u64 = d.iter().sum();
            assert!((43_000..=53_000).contains(&total), "{total}");
        }
    }

    // ---- on a (local) gateway ----------------------------------------------------------------

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    fn gw(home: &Utf8Path) -> LocalGateway {
        LocalGateway::new(
            "here",
            Environment::empty()
                .with("PATH", "/usr/bin:/bin")
                .with("HOME", home.as_str()),
        )
    }

    fn quick() -> LockPolicy {
        LockPolicy {
            retries: 3,
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(60),
            stale: Duration::from_secs(30),
        }
    }

    fn store(home: &Utf8Path) -> Utf8PathBuf {
        home.join(".openclaw/agents/main/agent/auth-profiles.json")
    }

    const OPENCLAW_STORE: &str = "{\n  \"version\": 1,\n  \"profiles\": {\n    \"anthropic:manual\": {\n      \"type\": \"token\",\n      \"provider\": \"anthropic\",\n      \"token\": \"sk-ant-oat01-FAKE-a-xxxx\",\n      \"expires\": 1826810297892\n    }\n  }\n}\n";

    fn put(path: &Utf8Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    fn write_here(
        home: &Utf8Path,
        path: &str,
        policy: &LockPolicy,
    ) -> Result<WriteOutcome, LegacyError> {
        rt().block_on(write(&gw(home), path, &cred(), policy))
    }

    fn dir_entries(dir: &Utf8Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("readdir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Field 22 of /proc/PID/stat.
    fn starttime(pid: u32) -> String {
        let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        let rest = &s[s.rfind(')').expect(")") + 2..];
        rest.split_whitespace()
            .nth(19)
            .expect("field 22")
            .to_owned()
    }

    struct Sleeper(std::process::Child);
    impl Sleeper {
        fn start() -> Self {
            Sleeper(
                std::process::Command::new("sleep")
                    .arg("30")
                    .spawn()
                    .expect("sleep"),
            )
        }
        fn pid(&self) -> u32 {
            self.0.id()
        }
    }
    impl Drop for Sleeper {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn lock_json(pid: impl fmt::Display, starttime: Option<&str>) -> String {
        match starttime {
            Some(st) => format!(
                "{{\n  \"pid\": {pid},\n  \"createdAt\": \"2026-01-01T00:00:00.000Z\",\n  \"starttime\": {st}\n}}\n"
            ),
            None => format!(
                "{{\n  \"pid\": {pid},\n  \"createdAt\": \"2026-01-01T00:00:00.000Z\"\n}}\n"
            ),
        }
    }

    #[test]
    fn creates_the_file_and_its_directories_privately() {
        let (_t, home) = tmp();
        let path = store(&home);
        let out = write_here(&home, path.as_str(), &quick()).expect("write");
        assert_eq!(
            out,
            WriteOutcome::Written {
                created_profile: true,
                created_file: true,
                waited_for_lock: Duration::ZERO,
                reclaimed_stale_lock: false
            }
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            changed(None).0
        );
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&home.join(".openclaw")), 0o700);
        assert_eq!(mode(&home.join(".openclaw/agents/main/agent")), 0o700);
        assert_eq!(
            dir_entries(path.parent().expect("dir")),
            ["auth-profiles.json"]
        );
    }

    #[test]
    fn updates_in_place_with_a_home_relative_path() {
        let (_t, home) = tmp();
        let path = store(&home);
        put(&path, OPENCLAW_STORE);
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .expect("chmod");
        let out = write_here(
            &home,
            "~/.openclaw/agents/main/agent/auth-profiles.json",
            &quick(),
        )
        .expect("write");
        assert!(matches!(
            out,
            WriteOutcome::Written {
                created_profile: true,
                created_file: false,
                ..
            }
        ));
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, changed(Some(OPENCLAW_STORE.as_bytes())).0);
        assert!(text.starts_with(OPENCLAW_STORE.trim_end_matches("\n  }\n}\n")));
        assert_eq!(mode(&path), 0o600);
        // No temp file, no lock left behind.
        assert_eq!(
            dir_entries(path.parent().expect("dir")),
            ["auth-profiles.json"]
        );
    }

    #[test]
    fn unchanged_values_are_not_written() {
        let (_t, home) = tmp();
        let path = store(&home);
        put(&path, &changed(None).0);
        let before = std::fs::metadata(&path).expect("meta");
        std::thread::sleep(Duration::from_millis(20));
        let out = write_here(&home, path.as_str(), &quick()).expect("write");
        assert_eq!(out, WriteOutcome::Unchanged);
        let after = std::fs::metadata(&path).expect("meta");
        assert_eq!(before.ino(), after.ino());
        assert_eq!(before.mtime_nsec(), after.mtime_nsec());
        assert_eq!(before.mtime(), after.mtime());
    }

    #[test]
    fn malformed_files_are_left_alone() {
        let (_t, home) = tmp();
        let path = store(&home);
        let bad = "{\"version\": 1, \"profiles\": {\"x\": \"sk-ant-oat01-FAKE-zzzzzzzzzzzz\",}}\n";
        put(&path, bad);
        let err = write_here(&home, path.as_str(), &quick()).expect_err("malformed");
        let msg = err.to_string();
        assert!(matches!(err, LegacyError::Malformed { .. }), "{msg}");
        assert!(
            msg.contains(path.as_str()) && !msg.contains("FAKE"),
            "{msg}"
        );
        assert_eq!(std::fs::read_to_string(&path).expect("read"), bad);
        assert_eq!(
            dir_entries(path.parent().expect("dir")),
            ["auth-profiles.json"]
        );
        let err = write_here(&home, "relative/auth-profiles.json", &quick()).expect_err("path");
        assert!(matches!(err, LegacyError::BadPath { .. }));
    }

    #[test]
    fn a_symlinked_store_writes_the_target() {
        let (_t, home) = tmp();
        let real = home.join("elsewhere/real.json");
        put(&real, OPENCLAW_STORE);
        let path = store(&home);
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::os::unix::fs::symlink("../../../../elsewhere/real.json", &path).expect("symlink");
        write_here(&home, path.as_str(), &quick()).expect("write");
        assert!(
            std::fs::symlink_metadata(&path)
                .expect("lstat")
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            std::fs::read_to_string(&real).expect("read"),
            changed(Some(OPENCLAW_STORE.as_bytes())).0
        );
        assert_eq!(mode(&real), 0o600);
        assert_eq!(dir_entries(&home.join("elsewhere")), ["real.json"]);
    }

    #[test]
    fn a_live_lock_is_waited_for_and_never_broken() {
        let (_t, home) = tmp();
        let path = store(&home);
        put(&path, OPENCLAW_STORE);
        let lock = Utf8PathBuf::from(format!("{path}.lock"));
        let holder = Sleeper::start();
        // With the holder's real start time, and without one.
        for st in [Some(starttime(holder.pid())), None] {
            let payload = lock_json(holder.pid(), st.as_deref());
            std::fs::write(&lock, &payload).expect("lock");
            let err = write_here(&home, path.as_str(), &quick()).expect_err("locked");
            let msg = err.to_string();
            assert!(matches!(err, LegacyError::Locked { .. }), "{msg}");
            assert!(msg.contains(&holder.pid().to_string()), "{msg}");
            assert_eq!(std::fs::read_to_string(&lock).expect("lock"), payload);
            assert_eq!(
                std::fs::read_to_string(&path).expect("store"),
                OPENCLAW_STORE
            );
        }
        // Released after a second: the write goes through.
        let l = lock.clone();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1000));
            std::fs::remove_file(l).expect("release");
        });
        let policy = LockPolicy {
            retries: 10,
            min_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(300),
            stale: Duration::from_secs(30),
        };
        let out = write_here(&home, path.as_str(), &policy).expect("write");
        releaser.join().expect("join");
        let WriteOutcome::Written {
            waited_for_lock,
            reclaimed_stale_lock,
            ..
        } = out
        else {
            panic!("{out:?}")
        };
        assert!(
            waited_for_lock >= Duration::from_millis(500),
            "{waited_for_lock:?}"
        );
        assert!(!reclaimed_stale_lock);
        assert!(!lock.exists());
        assert_ours(&entry(&std::fs::read_to_string(&path).expect("read")));
    }

    #[test]
    fn dead_or_reused_pids_are_reclaimed() {
        let (_t, home) = tmp();
        let path = store(&home);
        let lock = Utf8PathBuf::from(format!("{path}.lock"));
        let mut dead = std::process::Command::new("true").spawn().expect("true");
        let dead_pid = dead.id();
        dead.wait().expect("wait");
        let live = Sleeper::start();
        let other_start = (starttime(live.pid()).parse::<u64>().expect("n") + 12_345).to_string();
        let old_no_pid = "{\n  \"createdAt\": \"2020-01-01T00:00:00.000Z\"\n}\n".to_owned();
        for payload in [
            lock_json(dead_pid, None),
            lock_json(live.pid(), Some(&other_start)),
            old_no_pid,
        ] {
            put(&path, OPENCLAW_STORE);
            std::fs::write(&lock, &payload).expect("lock");
            let out = write_here(&home, path.as_str(), &quick()).expect(&payload);
            assert!(
                matches!(
                    out,
                    WriteOutcome::Written {
                        reclaimed_stale_lock: true,
                        ..
                    }
                ),
                "{payload}: {out:?}"
            );
            assert!(!lock.exists(), "{payload}");
            assert_ours(&entry(&std::fs::read_to_string(&path).expect("read")));
        }
    }

    #[test]
    fn unreadable_or_fresh_pidless_locks_are_never_reclaimed() {
        let (_t, home) = tmp();
        let path = store(&home);
        let lock = Utf8PathBuf::from(format!("{path}.lock"));
        let fresh = format!(
            "{{\"createdAt\": \"{}\"}}\n",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ")
        );
        for payload in [
            "garbage\n".to_owned(),
            String::new(),
            "{\"pid\": \"123\", \"createdAt\": \"2020-01-01T00:00:00.000Z\"}".to_owned(),
            "{}".to_owned(),
            fresh,
        ] {
            put(&path, OPENCLAW_STORE);
            std::fs::write(&lock, &payload).expect("lock");
            let err = write_here(&home, path.as_str(), &quick()).expect_err(&payload);
            assert!(
                matches!(err, LegacyError::Locked { .. }),
                "{payload:?}: {err}"
            );
            assert_eq!(std::fs::read_to_string(&lock).expect("lock"), payload);
            assert_eq!(
                std::fs::read_to_string(&path).expect("store"),
                OPENCLAW_STORE
            );
        }
        // A proper-lockfile lock directory is respected too.
        std::fs::remove_file(&lock).expect("rm");
        std::fs::create_dir(&lock).expect("mkdir");
        let err = write_here(&home, path.as_str(), &quick()).expect_err("dir lock");
        assert!(matches!(err, LegacyError::Locked { .. }), "{err}");
        assert_eq!(dir_entries(&lock), Vec::<String>::new());
    }

    /// A gateway on which another writer changes the store right before each of our writes.
    struct Meddling {
        inner: LocalGateway,
        path: Utf8PathBuf,
        times: std::sync::atomic::AtomicU32,
        scripts: std::sync::Mutex<Vec<String>>,
    }

    impl Gateway for Meddling {
        type Pty = <LocalGateway as Gateway>::Pty;
        fn name(&self) -> &str {
            self.inner.name()
        }
        async fn exec(
            &self,
            cmd: &crate::gateway::Command,
            stdin: Option<&[u8]>,
            limits: Limits,
        ) -> Result<crate::gateway::Output, GatewayError> {
            self.inner.exec(cmd, stdin, limits).await
        }
        async fn exec_script(
            &self,
            script: &str,
            stdin: Option<&[u8]>,
            limits: Limits,
        ) -> Result<crate::gateway::Output, GatewayError> {
            self.scripts.lock().expect("lock").push(script.to_owned());
            if script.contains("mkpayload")
                && self
                    .times
                    .fetch_update(
                        std::sync::atomic::Ordering::SeqCst,
                        std::sync::atomic::Ordering::SeqCst,
                        |n| n.checked_sub(1),
                    )
                    .is_ok()
            {
                let text = std::fs::read_to_string(&self.path).expect("read");
                // A different value, and one more trailing space each time.
                let text = format!("{} ", text.replace("1826810297892", "1826810297893"));
                std::fs::write(&self.path, text).expect("meddle");
            }
            self.inner.exec_script(script, stdin, limits).await
        }
        async fn open_pty(
            &self,
            cmd: &crate::gateway::Command,
            size: crate::gateway::PtySize,
        ) -> Result<Self::Pty, GatewayError> {
            self.inner.open_pty(cmd, size).await
        }
        async fn forward(
            &self,
            host: &str,
            port: u16,
        ) -> Result<Box<dyn crate::gateway::Stream>, GatewayError> {
            self.inner.forward(host, port).await
        }
    }

    #[test]
    fn a_change_between_read_and_write_is_detected_and_retried() {
        let (_t, home) = tmp();
        let path = store(&home);
        put(&path, OPENCLAW_STORE);
        let m = Meddling {
            inner: gw(&home),
            path: path.clone(),
            times: 2.into(),
            scripts: Default::default(),
        };
        let out = rt()
            .block_on(write(&m, path.as_str(), &cred(), &quick()))
            .expect("write");
        assert!(matches!(out, WriteOutcome::Written { .. }), "{out:?}");
        let text = std::fs::read_to_string(&path).expect("read");
        // The other writer's change survived; ours is in.
        assert!(
            text.contains("1826810297893") && text.ends_with("}\n  "),
            "{text:?}"
        );
        assert_ours(&entry(&text));
        let scripts = m.scripts.lock().expect("lock").clone();
        assert_eq!(scripts.len(), 6, "3 reads and 3 writes");
        for s in &scripts {
            assert!(!s.contains(ACCESS) && !s.contains(REFRESH) && !s.contains("FAKE"));
        }
        // Changed every time: a bounded number of tries, then an error.
        let m = Meddling {
            inner: gw(&home),
            path: path.clone(),
            times: 100.into(),
            scripts: Default::default(),
        };
        let c2 = ClaudeOauth {
            expires_ms: EXPIRES + 1,
            ..cred()
        };
        let err = rt()
            .block_on(write(&m, path.as_str(), &c2, &quick()))
            .expect_err("keeps changing");
        assert!(matches!(err, LegacyError::KeptChanging { .. }), "{err}");
        assert!(!Utf8PathBuf::from(format!("{path}.lock")).exists());
        assert_eq!(
            dir_entries(path.parent().expect("dir")),
            ["auth-profiles.json"]
        );
    }
}
