//! The JSON half of the legacy write: a small validating scanner finds the byte span of the
//! `anthropic:claude-cli` profile in `auth-profiles.json`, and only that span is rewritten, in
//! the document's own style, so every other byte stays as it was.

use super::*;

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
