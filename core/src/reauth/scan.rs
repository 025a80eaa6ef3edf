//! An incremental reader of a terminal byte stream (what a program on the gateway prints in a
//! PTY), for the guided re-auth flow: the authorize URL, the issued token, device codes, prompts
//! and error lines.
//!
//! The stream is kept as raw bytes (the last [`MAX_BYTES`]) and interpreted on each query, so
//! chunk boundaries — split UTF-8, split escape sequences — never matter. Interpretation is a
//! small line model, not a terminal emulator: escapes are stripped (OSC-8 hyperlink targets are
//! kept), `\r\n`, `\n` and vertical cursor moves end a row, a `\r` followed by more text starts a
//! new row (a redraw), and rows a program or terminal wrapped are joined again when a URL or a
//! token runs over them. Wording and layouts: research/issue4.md §3 (`openclaw models auth
//! login`) and §4 (`claude setup-token` v2.1.92).
//!
//! Everything that held the stream (it can contain a token) is zeroized when dropped or cleared.

use std::ops::Range;

use zeroize::{Zeroize, Zeroizing};

use crate::secrets::Secret;

/// At most this many bytes of the stream are kept: at the bound the oldest quarter is dropped.
pub const MAX_BYTES: usize = 256 * 1024;

/// A device-code login: the page to open and the code to enter there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    pub url: String,
    pub code: String,
}

/// What a program printed on a terminal so far.
pub struct Screen {
    cols: usize,
    raw: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screen")
            .field("cols", &self.cols)
            .field("bytes", &self.raw.len())
            .finish_non_exhaustive()
    }
}

impl Screen {
    /// A screen for a PTY `cols` columns wide (the width clawauth asked for; used to recognise
    /// rows a program hard-wrapped).
    pub fn new(cols: u32) -> Self {
        Self {
            cols: usize::try_from(cols).unwrap_or(80),
            raw: Zeroizing::new(Vec::with_capacity(4096)),
        }
    }

    /// Adds a chunk of the stream (any boundaries).
    pub fn feed(&mut self, bytes: &[u8]) {
        if bytes.len() >= MAX_BYTES {
            self.raw.zeroize();
            let start = bytes.len() - MAX_BYTES;
            zextend(&mut self.raw, &bytes[start..]);
            self.trim_front(0);
            return;
        }
        let total = self.raw.len() + bytes.len();
        if total > MAX_BYTES {
            // A quarter more than needed goes, so a stream at the bound is moved once per
            // MAX_BYTES / 4 bytes fed, not once per chunk (a program printing a byte at a time).
            self.trim_front(total - MAX_BYTES + MAX_BYTES / 4);
        }
        zextend(&mut self.raw, bytes);
    }

    /// Drops at least `n` bytes from the front, up to the next line start when one is near
    /// (so no escape sequence or UTF-8 character is cut in half), and zeroes what was dropped.
    fn trim_front(&mut self, n: usize) {
        let len = self.raw.len();
        let mut cut = n.min(len);
        if let Some(nl) = self.raw[cut..].iter().take(4096).position(|&b| b == b'\n') {
            cut += nl + 1;
        } else {
            while cut < len && (self.raw[cut] & 0xC0) == 0x80 {
                cut += 1;
            }
        }
        if cut == 0 {
            return;
        }
        self.raw.copy_within(cut.., 0);
        self.raw[len - cut..].zeroize();
        self.raw.truncate(len - cut);
    }

    /// Forgets everything fed so far.
    pub fn clear(&mut self) {
        self.raw.zeroize();
    }

    fn parse(&self) -> Parsed {
        Parsed::new(&self.raw, self.cols)
    }

    /// The first `https://` URL that starts with one of `prefixes` (any `https://` URL when
    /// `prefixes` is empty): an OSC-8 hyperlink target, or a URL in the text joined over the
    /// rows it was wrapped across, without surrounding box borders or trailing punctuation.
    pub fn find_url(&self, prefixes: &[&str]) -> Option<String> {
        self.parse().first_url(self.cols, prefixes)
    }

    /// The last token that starts with `prefix` (e.g. `sk-ant-oat01-`), joined over the rows it
    /// was wrapped across. It is `prefix` followed by base64url characters; it ends at a blank
    /// row, any other character, or a row that does not continue it. Its length is not checked
    /// (a cut token is returned as it is; the caller validates it).
    pub fn find_token(&self, prefix: &str) -> Option<Secret> {
        if prefix.is_empty() {
            return None;
        }
        let p = self.parse();
        let mut found = None;
        for (r, _) in p.rows.iter().enumerate() {
            let row = p.row(r);
            let mut from = 0;
            while let Some(i) = row[from..].find(prefix) {
                let at = from + i;
                // A prefix inside a longer word is not the start of a token.
                let starts_word = row[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !is_token_char(c));
                if starts_word {
                    found = Some((r, at));
                }
                from = at + prefix.len();
            }
        }
        let (r, at) = found?;
        let pieces = Wraps::new(&p, self.cols, is_token_char).run(r, at);
        let len: usize = pieces.iter().map(|s| s.len()).sum();
        let mut token = String::with_capacity(len);
        for s in &pieces {
            token.push_str(s);
        }
        Some(Secret::new(token))
    }

    /// A device-code login shown by the program: OpenClaw's `URL: <https://…>` / `Code: XXXX-XXXX`
    /// note (openai, xai, github-copilot), or GitHub's `https://github.com/login/device` with a
    /// `XXXX-XXXX` code anywhere on the screen.
    pub fn device_code(&self) -> Option<DeviceCode> {
        let p = self.parse();
        let mut url = None;
        let mut code = None;
        let mut wraps = None;
        for r in 0..p.rows.len() {
            let content = trim_decor(p.row(r));
            let base = content.as_ptr() as usize - p.row(r).as_ptr() as usize;
            if url.is_none()
                && let Some(rest) = content.strip_prefix("URL:")
                && let Some(i) = rest.find("https://")
            {
                let at = base + "URL:".len() + i;
                let w = wraps.get_or_insert_with(|| Wraps::new(&p, self.cols, is_url_char));
                url = Some(trim_url(&w.run(r, at).concat()));
            }
            if url.is_some()
                && code.is_none()
                && let Some(rest) = content.strip_prefix("Code:")
            {
                let word: String = rest
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                let word = word.trim_matches('-');
                if (4..=32).contains(&word.len()) {
                    code = Some(word.to_owned());
                }
            }
        }
        if let (Some(url), Some(code)) = (url, code) {
            return Some(DeviceCode { url, code });
        }
        let url = p.first_url(self.cols, &["https://github.com/login/device"])?;
        let code = (0..p.rows.len()).find_map(|r| {
            p.row(r)
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .find(|w| is_github_code(w))
        })?;
        Some(DeviceCode {
            url,
            code: code.to_owned(),
        })
    }

    /// Whether the visible text (escapes stripped, runs of blanks counted as one space)
    /// contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        let needle = squeeze(needle);
        if needle.is_empty() {
            return true;
        }
        let p = self.parse();
        (0..p.rows.len()).any(|r| squeeze(p.row(r)).contains(&needle))
    }

    /// The last line that reads as an error from the program (`OAuth error: …`, `Error: …`,
    /// `error: …`), without escapes and box borders, scrubbed of anything token-shaped.
    pub fn error_line(&self) -> Option<String> {
        let p = self.parse();
        let lines = p.display_lines();
        lines.into_iter().rev().find_map(|l| {
            let t = trim_decor(&l);
            let lower = t.to_ascii_lowercase();
            let is_error = lower.contains("error:")
                || lower.starts_with("error ")
                || lower.starts_with("fatal:");
            is_error.then(|| cut_chars(t, 300))
        })
    }

    /// The last `n` lines of visible text (escapes stripped, trailing blanks removed), with
    /// anything token-shaped scrubbed — also the rest of a token wrapped onto the next row.
    pub fn tail(&self, n: usize) -> Vec<String> {
        let mut lines = self.parse().display_lines();
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        let skip = lines.len().saturating_sub(n);
        lines.split_off(skip)
    }
}

/// `buf.extend_from_slice(bytes)`, but a reallocation zeroes the old buffer.
fn zextend(buf: &mut Zeroizing<Vec<u8>>, bytes: &[u8]) {
    let need = buf.len() + bytes.len();
    if need > buf.capacity() {
        let mut grown = Zeroizing::new(Vec::with_capacity(need.max(buf.capacity() * 2)));
        grown.extend_from_slice(buf);
        *buf = grown;
    }
    buf.extend_from_slice(bytes);
}

/// `buf.push(c)`, but a reallocation zeroes the old buffer.
fn zpush(buf: &mut Zeroizing<String>, c: char) {
    if buf.len() + c.len_utf8() > buf.capacity() {
        let mut grown = Zeroizing::new(String::with_capacity((buf.capacity() * 2).max(256)));
        grown.push_str(buf);
        *buf = grown;
    }
    buf.push(c);
}

/// The stream as rows of visible text and the OSC-8 hyperlink targets.
struct Parsed {
    /// All rows' text, back to back.
    text: Zeroizing<String>,
    rows: Vec<Range<usize>>,
    /// Hyperlink targets: (row, byte column in the row, range in `link_text`).
    links: Vec<(usize, usize, Range<usize>)>,
    link_text: Zeroizing<String>,
}

enum St {
    Ground,
    Esc,
    EscInter,
    Csi,
    Osc,
    OscEsc,
    Str,
    StrEsc,
}

/// Longest OSC payload kept (a hyperlink target is far shorter).
const MAX_OSC: usize = 16 * 1024;

impl Parsed {
    fn new(raw: &[u8], cols: usize) -> Self {
        let mut p = Parser {
            cols,
            out: Parsed {
                text: Zeroizing::new(String::with_capacity(raw.len() + 64)),
                rows: Vec::new(),
                links: Vec::new(),
                link_text: Zeroizing::new(String::new()),
            },
            row_start: 0,
            col: 0,
            cr: false,
            st: St::Ground,
            params: String::new(),
            osc: Zeroizing::new(Vec::with_capacity(256)),
        };
        for chunk in raw.utf8_chunks() {
            for c in chunk.valid().chars() {
                p.char(c);
            }
            if !chunk.invalid().is_empty() {
                p.char(char::REPLACEMENT_CHARACTER);
            }
        }
        p.finish()
    }

    fn row(&self, r: usize) -> &str {
        &self.text[self.rows[r].clone()]
    }

    /// Where URLs may start, in order of appearance: hyperlink targets, then every `https://`
    /// in the text with the end of the run of URL characters it is in. Positions only, so
    /// finding them is linear however many there are.
    fn url_starts(&self) -> Vec<UrlStart> {
        let mut found = Vec::new();
        for (i, (r, col, range)) in self.links.iter().enumerate() {
            if self.link_text[range.clone()].starts_with("https://") {
                found.push(UrlStart {
                    row: *r,
                    at: *col,
                    kind: UrlKind::Link(i),
                });
            }
        }
        for r in 0..self.rows.len() {
            let row = self.row(r);
            let mut from = 0;
            // Every `https://` inside one run shares the run's end: found once per run.
            let mut run_end = 0;
            while let Some(i) = row[from..].find("https://") {
                let at = from + i;
                if at >= run_end {
                    run_end = row[at..]
                        .char_indices()
                        .find(|(_, c)| !is_url_char(*c))
                        .map_or(row.len(), |(i, _)| at + i);
                }
                found.push(UrlStart {
                    row: r,
                    at,
                    kind: UrlKind::Text { run_end },
                });
                from = at + "https://".len();
            }
        }
        // Stable: at one position a hyperlink target comes before the text it labels.
        found.sort_by_key(|u| (u.row, u.at));
        found
    }

    /// The first URL in order of appearance that starts with one of `prefixes` (any when
    /// empty). Each candidate is compared on its first characters before it is put together,
    /// so a stream full of `https://` costs time in proportion to its length.
    fn first_url(&self, cols: usize, prefixes: &[&str]) -> Option<String> {
        let wraps = Wraps::new(self, cols, is_url_char);
        let accepts = |u: &str| prefixes.is_empty() || prefixes.iter().any(|p| u.starts_with(p));
        for start in self.url_starts() {
            let url = match start.kind {
                UrlKind::Link(i) => {
                    let target = &self.link_text[self.links[i].2.clone()];
                    if !accepts(target) {
                        continue;
                    }
                    target.to_owned()
                }
                UrlKind::Text { run_end } => {
                    let pieces = || wraps.pieces(start.row, start.at, run_end);
                    if !prefixes.is_empty()
                        && !prefixes.iter().any(|p| pieces_start_with(pieces(), p))
                    {
                        continue;
                    }
                    let url = trim_url(&pieces().collect::<String>());
                    if url.len() <= "https://".len() || !accepts(&url) {
                        continue;
                    }
                    url
                }
            };
            return Some(url);
        }
        None
    }

    /// Every URL in order of appearance (tests compare them all).
    #[cfg(test)]
    fn urls(&self, cols: usize) -> Vec<String> {
        let wraps = Wraps::new(self, cols, is_url_char);
        self.url_starts()
            .into_iter()
            .filter_map(|start| match start.kind {
                UrlKind::Link(i) => Some(self.link_text[self.links[i].2.clone()].to_owned()),
                UrlKind::Text { run_end } => {
                    let url = trim_url(
                        &wraps
                            .pieces(start.row, start.at, run_end)
                            .collect::<String>(),
                    );
                    (url.len() > "https://".len()).then_some(url)
                }
            })
            .collect()
    }

    /// The rows for display: trailing blanks removed, token-shaped words scrubbed, and a row
    /// that only continues a scrubbed word from the row above scrubbed too.
    fn display_lines(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::with_capacity(self.rows.len());
        let mut prev_secret_at_end = false;
        for r in 0..self.rows.len() {
            let row = self.row(r).trim_end();
            let content = trim_decor(row);
            let continues = prev_secret_at_end
                && !content.is_empty()
                && content.chars().all(is_token_char)
                && content.len() >= 2;
            let line = if continues {
                row.replacen(content, "[redacted]", 1)
            } else {
                crate::redact::scrub(row)
            };
            prev_secret_at_end = trim_decor(&line).ends_with("[redacted]");
            out.push(line);
        }
        out
    }
}

/// Where a URL may start: row and byte column, and what is there.
struct UrlStart {
    row: usize,
    at: usize,
    kind: UrlKind,
}

enum UrlKind {
    /// The `links` entry with this index.
    Link(usize),
    /// `https://` in the text; the run of URL characters it is in ends at byte `run_end`.
    Text { run_end: usize },
}

/// How runs of one kind of character (URL, token) continue over the rows a program or the
/// terminal wrapped them across, worked out once for every row so that following a run costs
/// only the length of the run. A run continues from a row when it reaches the row's end
/// (ignoring trailing blanks and box borders), and the next row either follows a row exactly
/// `cols` wide and starts with the run's characters, or consists of nothing but them.
struct Wraps<'a> {
    parsed: &'a Parsed,
    is_char: fn(char) -> bool,
    /// Per row: the byte length without trailing blanks and box borders.
    body_len: Vec<usize>,
    /// Per row: the part of the next row that continues a run reaching this row's end, and
    /// whether the run goes on past that part.
    next: Vec<Option<(Range<usize>, bool)>>,
}

impl<'a> Wraps<'a> {
    fn new(parsed: &'a Parsed, cols: usize, is_char: fn(char) -> bool) -> Self {
        let n = parsed.rows.len();
        let mut body_len = Vec::with_capacity(n);
        let mut next = Vec::with_capacity(n);
        for r in 0..n {
            let row = parsed.row(r);
            body_len.push(row.trim_end_matches(is_decor).len());
            next.push(
                (r + 1 < n)
                    .then(|| {
                        let below = parsed.row(r + 1);
                        let content = trim_decor_start(below);
                        let take = content
                            .char_indices()
                            .find(|(_, c)| !is_char(*c))
                            .map_or(content.len(), |(i, _)| i);
                        let rest_empty = trim_decor(&content[take..]).is_empty();
                        let full_width = row.chars().count() == cols;
                        let continues = take > 0
                            && (rest_empty || (full_width && content.len() == below.len()));
                        let from = below.len() - content.len();
                        continues.then_some((from..from + take, rest_empty))
                    })
                    .flatten(),
            );
        }
        Self {
            parsed,
            is_char,
            body_len,
            next,
        }
    }

    /// The run starting at byte `at` of row `r`, with the rows it continues on.
    fn run(&self, r: usize, at: usize) -> Vec<&'a str> {
        let row = self.parsed.row(r);
        let run_end = row[at..]
            .char_indices()
            .find(|(_, c)| !(self.is_char)(*c))
            .map_or(row.len(), |(i, _)| at + i);
        self.pieces(r, at, run_end).collect()
    }

    /// Like [`Self::run`], with the end of the run in row `r` already known; lazily, so a
    /// caller that looks only at the start of a long run does not pay for all of it.
    fn pieces(&self, r: usize, at: usize, run_end: usize) -> impl Iterator<Item = &'a str> + '_ {
        let mut going = run_end == self.body_len[r];
        let mut cur = r;
        std::iter::once(&self.parsed.row(r)[at..run_end]).chain(std::iter::from_fn(move || {
            if !going {
                return None;
            }
            let (part, more) = self.next[cur].as_ref()?;
            going = *more;
            cur += 1;
            Some(&self.parsed.row(cur)[part.clone()])
        }))
    }
}

/// Whether `pieces` put together start with `prefix`, without putting them together.
fn pieces_start_with<'s>(pieces: impl Iterator<Item = &'s str>, prefix: &str) -> bool {
    let mut rest = prefix.as_bytes();
    for p in pieces {
        let n = rest.len().min(p.len());
        if p.as_bytes()[..n] != rest[..n] {
            return false;
        }
        rest = &rest[n..];
        if rest.is_empty() {
            return true;
        }
    }
    rest.is_empty()
}

struct Parser {
    /// The terminal's width: a cursor move to the right stops at its right margin.
    cols: usize,
    out: Parsed,
    row_start: usize,
    /// Characters in the current row (for tab stops), kept as they are printed.
    col: usize,
    /// A `\r` was seen and no `\n` yet: more text redraws the row.
    cr: bool,
    st: St,
    params: String,
    /// The OSC string being read (UTF-8). Only its used part is zeroed when it ends: the
    /// spare capacity is always zero already, so a short OSC after a long one costs its own
    /// length, not the longest one's.
    osc: Zeroizing<Vec<u8>>,
}

impl Parser {
    fn cur_empty(&self) -> bool {
        self.out.text.len() == self.row_start
    }

    fn end_row(&mut self) {
        let end = self.out.text.len();
        self.out.rows.push(self.row_start..end);
        self.row_start = end;
        self.col = 0;
    }

    /// A vertical cursor move: the row ends if it has text.
    fn move_row(&mut self) {
        if !self.cur_empty() {
            self.end_row();
        }
        self.cr = false;
    }

    fn print(&mut self, c: char) {
        if self.cr {
            self.cr = false;
            if !self.cur_empty() {
                self.end_row();
            }
        }
        zpush(&mut self.out.text, c);
        self.col += 1;
    }

    fn char(&mut self, c: char) {
        match self.st {
            St::Ground => match c {
                '\x1b' => self.st = St::Esc,
                '\n' => {
                    self.end_row();
                    self.cr = false;
                }
                '\r' => self.cr = true,
                // Seen in place of spaces in some captures.
                '\x1c' | '\x0b' | '\x0c' => self.print(' '),
                '\t' => {
                    // To the next stop, not past the right margin (see `csi`).
                    let room = self.cols.saturating_sub(self.col).max(1);
                    for _ in 0..(8 - self.col % 8).min(room) {
                        self.print(' ');
                    }
                }
                '\x08' => {
                    if !self.cur_empty() {
                        self.out.text.pop();
                        self.col = self.col.saturating_sub(1);
                    }
                }
                '\u{9b}' => {
                    self.params.clear();
                    self.st = St::Csi;
                }
                c if c.is_control() => {}
                c => self.print(c),
            },
            St::Esc => match c {
                '[' => {
                    self.params.clear();
                    self.st = St::Csi;
                }
                ']' => {
                    self.forget_osc();
                    self.st = St::Osc;
                }
                'P' | 'X' | '^' | '_' => self.st = St::Str,
                '\x1b' => {}
                '\x20'..='\x2f' => self.st = St::EscInter,
                'E' => {
                    // NEL: next line.
                    self.move_row();
                    self.st = St::Ground;
                }
                _ => self.st = St::Ground,
            },
            St::EscInter => {
                if !('\x20'..='\x2f').contains(&c) {
                    self.st = St::Ground;
                }
            }
            St::Csi => match c {
                '\x30'..='\x3f' | '\x20'..='\x2f' => {
                    if self.params.len() < 64 {
                        self.params.push(c);
                    }
                }
                '\x40'..='\x7e' => {
                    self.st = St::Ground;
                    self.csi(c);
                }
                '\x1b' => self.st = St::Esc,
                _ => self.st = St::Ground,
            },
            St::Osc => match c {
                '\x07' => self.osc_end(),
                '\x1b' => self.st = St::OscEsc,
                c => {
                    if self.osc.len() < MAX_OSC {
                        zextend(&mut self.osc, c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                }
            },
            St::OscEsc => {
                if c == '\\' {
                    self.osc_end();
                } else {
                    // Not a string terminator: the OSC was cut off; read `c` as a new escape.
                    self.forget_osc();
                    self.st = St::Esc;
                    self.char(c);
                }
            }
            St::Str => match c {
                '\x07' => self.st = St::Ground,
                '\x1b' => self.st = St::StrEsc,
                _ => {}
            },
            St::StrEsc => self.st = if c == '\\' { St::Ground } else { St::Str },
        }
    }

    fn csi(&mut self, final_byte: char) {
        let n = self
            .params
            .split(';')
            .next()
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, 256);
        match final_byte {
            'A' | 'B' | 'E' | 'F' | 'H' | 'f' | 'd' => self.move_row(),
            'G' | '`' => self.cr = true,
            'C' if !self.params.starts_with('?') => {
                // The cursor stops at the right margin (one blank still separates words on a
                // row that is already wider), so `\x1b[256C` cannot make 43 blanks a byte.
                let room = self.cols.saturating_sub(self.col).max(1);
                for _ in 0..n.min(room) {
                    self.print(' ');
                }
            }
            _ => {}
        }
    }

    fn osc_end(&mut self) {
        self.st = St::Ground;
        if let Ok(osc) = std::str::from_utf8(&self.osc)
            && let Some(rest) = osc.strip_prefix("8;")
            && let Some(semi) = rest.find(';')
        {
            let target = &rest[semi + 1..];
            if !target.is_empty() {
                let start = self.out.link_text.len();
                for c in target.chars() {
                    zpush(&mut self.out.link_text, c);
                }
                let col = self.out.text.len() - self.row_start;
                let row = self.out.rows.len();
                self.out
                    .links
                    .push((row, col, start..self.out.link_text.len()));
            }
        }
        self.forget_osc();
    }

    /// Zeroes the OSC string read so far and empties it.
    fn forget_osc(&mut self) {
        self.osc[..].zeroize();
        self.osc.clear();
    }

    fn finish(mut self) -> Parsed {
        if !self.cur_empty() {
            self.end_row();
        }
        self.out
    }
}

/// RFC 3986 characters (unreserved, reserved and `%`).
fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

/// base64url.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Box drawing, block elements and geometric shapes (clack's `│ ◆ ◇ └ ●`…), and blanks.
fn is_decor(c: char) -> bool {
    c.is_whitespace() || ('\u{2500}'..='\u{25ff}').contains(&c)
}

fn trim_decor(s: &str) -> &str {
    s.trim_matches(is_decor)
}

fn trim_decor_start(s: &str) -> &str {
    s.trim_start_matches(is_decor)
}

/// A URL without the punctuation that usually follows one in prose (and unbalanced closers).
/// The brackets are counted once, so a URL followed by a long run of `)` costs its length.
fn trim_url(s: &str) -> String {
    let count = |b: u8| s.bytes().filter(|&c| c == b).count();
    let (open_paren, open_bracket) = (count(b'('), count(b'['));
    let (mut close_paren, mut close_bracket) = (count(b')'), count(b']'));
    let mut end = s.len();
    while let Some(last) = s[..end].chars().next_back() {
        let drop = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' => true,
            ')' => open_paren < close_paren,
            ']' => open_bracket < close_bracket,
            _ => false,
        };
        if !drop {
            break;
        }
        match last {
            ')' => close_paren -= 1,
            ']' => close_bracket -= 1,
            _ => {}
        }
        end -= last.len_utf8();
    }
    s[..end].to_owned()
}

fn is_github_code(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() == 9
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// `s` with every run of whitespace made one space, trimmed.
fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cut_chars(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The authorize URL printed by `claude setup-token` v2.1.92 (research/issue4.md §4).
    const CLAUDE_URL: &str = "https://claude.com/cai/oauth/authorize?code=true&client_id=9d1c250a-e61b-44d9-88ed-5944d1962f5e&response_type=code&redirect_uri=https%3A%2F%2Fplatform.claude.com%2Foauth%2Fcode%2Fcallback&scope=user%3Ainference&code_challenge=AbczIByBkoutvvHBgfxqi60-3VPNE62T1QXpx4s0b10&code_challenge_method=S256&state=6W3kLsogFAln8_3UqcE4kqjUEeIbr_M6-9TGlT2WX9s";
    const CLAUDE_PREFIXES: [&str; 2] = [
        "https://claude.com/cai/oauth/authorize",
        "https://claude.ai/oauth/authorize",
    ];
    /// A made-up token of the real shape: `sk-ant-oat01-` + 95 base64url characters (108).
    const TOKEN: &str = "sk-ant-oat01-FAKE-clawauth-test-token-CDEFGHIJKLMNOPQRSTUVWXYZ_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFAA";

    fn rows(s: &str, width: usize) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = s;
        while rest.len() > width {
            let (a, b) = rest.split_at(width);
            out.push(a);
            rest = b;
        }
        out.push(rest);
        out
    }

    /// The setup-token screen as Claude Code prints it: banner, the URL hard-wrapped at 80
    /// columns with `\r\n`, the prompt.
    fn claude_prompt_screen() -> Vec<u8> {
        let mut s = String::new();
        s.push_str("\x1b[?25l\x1b[38;2;215;119;87m✻\x1b[39m Welcome to \x1b[1mClaude Code\x1b[22m v2.1.92\r\n");
        s.push_str("\x1b[2m·\x1b[22mOpening browser to sign in…\r\n");
        s.push_str(
            "Browser didn't open? Use the url below to sign in \x1b[2m(c to copy)\x1b[22m\r\n\r\n",
        );
        for r in rows(CLAUDE_URL, 80) {
            s.push_str("\x1b[2m");
            s.push_str(r);
            s.push_str("\x1b[22m\r\n");
        }
        s.push_str("\r\nPaste code here if prompted > ");
        s.into_bytes()
    }

    fn success_block(token_rows: &[&str], sep: &str) -> Vec<u8> {
        let mut s = String::from(
            "\x1b[32m✓\x1b[39m Long-lived authentication token created successfully!\r\n\r\n\
             Your OAuth token (valid for 1 year):\r\n\r\n",
        );
        s.push_str(&token_rows.join(sep));
        s.push_str(
            "\r\n\r\nStore this token securely. You won't be able to see it again.\r\n\r\n\
             Use this token by setting: export CLAUDE_CODE_OAUTH_TOKEN=<token>\r\n",
        );
        s.into_bytes()
    }

    fn screen(bytes: &[u8]) -> Screen {
        let mut s = Screen::new(80);
        s.feed(bytes);
        s
    }

    #[test]
    fn the_research_url_is_346_chars_in_five_rows() {
        assert_eq!(CLAUDE_URL.len(), 346);
        let r = rows(CLAUDE_URL, 80);
        assert_eq!(r.len(), 5);
        assert_eq!(
            r[1],
            "ed-5944d1962f5e&response_type=code&redirect_uri=https%3A%2F%2Fplatform.claude.co"
        );
        assert_eq!(TOKEN.len(), 108);
    }

    #[test]
    fn url_hard_wrapped_at_80_columns_is_joined() {
        let s = screen(&claude_prompt_screen());
        assert_eq!(s.find_url(&CLAUDE_PREFIXES).as_deref(), Some(CLAUDE_URL));
        assert_eq!(s.find_url(&[]).as_deref(), Some(CLAUDE_URL));
        assert!(s.contains("Paste code here if prompted >"));
        assert!(s.contains("Welcome to Claude Code v2.1.92"));
        assert_eq!(s.find_url(&["https://auth.openai.com/"]), None);
        assert!(s.find_token("sk-ant-oat01-").is_none());
        assert!(s.device_code().is_none());
    }

    #[test]
    fn url_fed_one_byte_at_a_time() {
        let bytes = claude_prompt_screen();
        let mut s = Screen::new(80);
        for (i, b) in bytes.iter().enumerate() {
            s.feed(std::slice::from_ref(b));
            if i + 1 < bytes.len() - 40 {
                // Before the last row arrives the URL is incomplete, never wrong-but-complete.
                if let Some(u) = s.find_url(&CLAUDE_PREFIXES) {
                    assert!(CLAUDE_URL.starts_with(&u), "{u}");
                }
            }
        }
        assert_eq!(s.find_url(&CLAUDE_PREFIXES).as_deref(), Some(CLAUDE_URL));
        assert!(s.contains("Paste code here if prompted"));
    }

    #[test]
    fn url_with_cr_cr_lf_line_ends() {
        // `\r\n` printed by a program becomes `\r\r\n` through the terminal's ONLCR.
        let bytes = String::from_utf8(claude_prompt_screen())
            .expect("utf8")
            .replace("\r\n", "\r\r\n");
        let s = screen(bytes.as_bytes());
        assert_eq!(s.find_url(&CLAUDE_PREFIXES).as_deref(), Some(CLAUDE_URL));
    }

    #[test]
    fn osc8_hyperlink_target_is_taken() {
        for st in ["\x07", "\x1b\\"] {
            let bytes = format!(
                "Browser didn't open? Use the url below to sign in\r\n\r\n\
                 \x1b]8;;{CLAUDE_URL}{st}\x1b[4mhttps://claude.com/cai/oauth/authorize?code=true…\x1b[24m\x1b]8;;{st}\r\n\r\n\
                 Paste code here if prompted > "
            );
            let s = screen(bytes.as_bytes());
            assert_eq!(s.find_url(&CLAUDE_PREFIXES).as_deref(), Some(CLAUDE_URL));
            assert!(s.contains("Paste code here if prompted"));
            // The label (a cut URL) does not hide the target, and the escape is not text.
            assert!(!s.contains("8;;"));
        }
    }

    #[test]
    fn osc8_split_over_chunks() {
        let bytes = format!("\x1b]8;id=1;{CLAUDE_URL}\x1b\\label\x1b]8;;\x1b\\\r\n");
        let mut s = Screen::new(80);
        for chunk in bytes.as_bytes().chunks(7) {
            s.feed(chunk);
        }
        assert_eq!(s.find_url(&CLAUDE_PREFIXES).as_deref(), Some(CLAUDE_URL));
    }

    #[test]
    fn url_inside_colors_and_clack_borders() {
        let url = "https://claude.ai/oauth/authorize?code=true&client_id=abc&state=xyz";
        let bytes = format!(
            "\x1b[90m│\x1b[39m\r\n\x1b[32m◇\x1b[39m  Open this URL:\r\n\
             \x1b[90m│\x1b[39m  \x1b[36m{url}\x1b[39m   \x1b[90m│\x1b[39m\r\n\
             \x1b[90m│\x1b[39m                    \x1b[90m│\x1b[39m\r\n\
             \x1b[36m◆\x1b[39m  Paste the code (<{url}>).\r\n"
        );
        let s = screen(bytes.as_bytes());
        assert_eq!(s.find_url(&CLAUDE_PREFIXES).as_deref(), Some(url));
        // `<…>` and `).` around a URL are not part of it.
        let only_last = format!("◆  See <{url}>).\r\n");
        assert_eq!(
            screen(only_last.as_bytes()).find_url(&[]).as_deref(),
            Some(url)
        );
        let parens = "(see https://example.com/a_(b)).\r\n";
        assert_eq!(
            screen(parens.as_bytes()).find_url(&[]).as_deref(),
            Some("https://example.com/a_(b)")
        );
    }

    #[test]
    fn wrapped_url_in_a_box_is_joined() {
        let url = "https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_x&state=0123456789abcdef";
        let r = rows(url, 40);
        let mut bytes = String::from("│  Open this URL in your LOCAL browser:\r\n│\r\n");
        for part in &r {
            bytes.push_str(&format!("│  {part:<40}  │\r\n"));
        }
        bytes.push_str("│\r\n◆  Paste the authorization code (or full redirect URL):\r\n");
        assert_eq!(screen(bytes.as_bytes()).find_url(&[]).as_deref(), Some(url));
    }

    #[test]
    fn a_full_width_row_continues_into_text() {
        // A row exactly `cols` wide continues even when the next row goes on with prose.
        let url = format!("https://example.com/{}", "a".repeat(80));
        let (a, b) = url.split_at(80);
        let bytes = format!("{a}\r\n{b} (c to copy)\r\n");
        assert_eq!(
            screen(bytes.as_bytes()).find_url(&[]).as_deref(),
            Some(url.as_str())
        );
        // At another width the same rows are two separate things.
        let mut s = Screen::new(100);
        s.feed(bytes.as_bytes());
        assert_eq!(s.find_url(&[]).as_deref(), Some(a));
    }

    #[test]
    fn a_url_ends_at_prose() {
        // A short row after the URL is not joined unless it is all URL characters.
        let s = screen(b"Visit https://example.com/x\r\nthen paste the code\r\n");
        assert_eq!(s.find_url(&[]).as_deref(), Some("https://example.com/x"));
        let s = screen(b"Visit https://example.com/x\r\n\r\ny\r\n");
        assert_eq!(s.find_url(&[]).as_deref(), Some("https://example.com/x"));
        assert_eq!(screen(b"http://example.com only\r\n").find_url(&[]), None);
    }

    /// The real `openclaw models auth login --provider openai` (2026.9.6) in remote mode, on an
    /// 80×40 PTY, recorded until its paste prompt (tests/fixtures/pty/README.md).
    #[test]
    fn real_openclaw_openai_login_transcript() {
        let bytes = include_bytes!("../../../tests/fixtures/pty/openclaw-login-openai.bin");
        let mut s = Screen::new(80);
        for chunk in bytes.chunks(100) {
            s.feed(chunk);
        }
        let url = s
            .find_url(&["https://auth.openai.com/oauth/authorize"])
            .expect("url");
        assert!(url.starts_with("https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann&redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&scope=openid+profile+email+offline_access&code_challenge="), "{url}");
        assert!(url.ends_with("&id_token_add_organizations=true&codex_cli_simplified_flow=true&originator=openclaw"), "{url}");
        assert!(!url.contains(['│', ' ', '\x1b']));
        assert!(s.contains("Open this URL in your LOCAL browser:"));
        assert!(s.contains("Paste the authorization code"));
        assert!(s.contains("Paste the authorization code (or full redirect URL):"));
        assert!(s.device_code().is_none());
        assert!(s.error_line().is_none());
        // Every URL in it (plain log and the wide box) is the same one.
        assert_eq!(s.parse().urls(80).iter().filter(|u| **u != url).count(), 0);
    }

    #[test]
    fn openclaw_remote_openai_url_and_prompt() {
        let url = "https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann&redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&scope=openid+profile+email+offline_access&code_challenge=QTBMQtqvIBz8jqkArrmughAceEkJ_m92dcDgMGv2q7g&code_challenge_method=S256&state=04c826c7048d88390e04fd217842c877&id_token_add_organizations=true&codex_cli_simplified_flow=true&originator=openclaw";
        let bytes = format!(
            "\x1b[?25l\x1b[90m│\x1b[39m\r\n\r\x1b[2K\x1b[?25h\x1b[32m◇\x1b[39m  OAuth URL ready\r\n\r\n\
             Open this URL in your LOCAL browser:\r\n\r\n{url}\r\n\r\n\x1b[90m│\x1b[39m\r\n\
             \x1b[36m◆\x1b[39m  \x1b[38;5;209mPaste the authorization code (or full redirect URL):\x1b[39m\r\n\
             \x1b[36m│\x1b[39m  \x1b[7m\x1b[8m_\x1b[28m\x1b[27m\r\n\x1b[36m└\x1b[39m\r\n"
        );
        let s = screen(bytes.as_bytes());
        assert_eq!(
            s.find_url(&["https://auth.openai.com/"]).as_deref(),
            Some(url)
        );
        assert!(s.contains("Paste the authorization code"));
        assert!(!s.contains("Paste code here"));
    }

    #[test]
    fn device_code_notes() {
        let openai = "\x1b[32m◇\x1b[39m  Device code ───────╮\r\n│                      │\r\n\
             │  Open this URL in your LOCAL browser and enter the code below.  │\r\n\
             │  URL: <https://auth.openai.com/codex/device>   │\r\n\
             │  Code: ABCD-1234                │\r\n\
             │  Code expires in 15 minutes. Never share it.  │\r\n";
        assert_eq!(
            screen(openai.as_bytes()).device_code(),
            Some(DeviceCode {
                url: "https://auth.openai.com/codex/device".into(),
                code: "ABCD-1234".into()
            })
        );
        let github = "Open this URL in your browser and enter the code below.\r\n\
             URL: https://github.com/login/device\r\nCode: WXYZ-9876\r\n";
        assert_eq!(
            screen(github.as_bytes()).device_code(),
            Some(DeviceCode {
                url: "https://github.com/login/device".into(),
                code: "WXYZ-9876".into()
            })
        );
        let bare = "! First copy your one-time code: \x1b[1mK7QP-2M4X\x1b[22m\r\n\
                    - Press Enter to open https://github.com/login/device in your browser...\r\n";
        assert_eq!(
            screen(bare.as_bytes()).device_code(),
            Some(DeviceCode {
                url: "https://github.com/login/device".into(),
                code: "K7QP-2M4X".into()
            })
        );
        assert!(screen(b"Code: ABCD-1234\r\n").device_code().is_none());
        assert!(
            screen(b"https://github.com/login/device\r\nno code yet\r\n")
                .device_code()
                .is_none()
        );
    }

    #[test]
    fn token_split_at_column_80_is_joined() {
        let (a, b) = TOKEN.split_at(80);
        let s = screen(&success_block(&[a, b], "\r\n"));
        assert_eq!(
            s.find_token("sk-ant-oat01-").expect("token").expose(),
            TOKEN
        );
        // The research's sample is split 81 + 27 (Ink wrapped it one column late).
        let (a, b) = TOKEN.split_at(81);
        let s = screen(&success_block(&[a, b], "\r\n"));
        assert_eq!(
            s.find_token("sk-ant-oat01-").expect("token").expose(),
            TOKEN
        );
        // One row.
        let s = screen(&success_block(&[TOKEN], "\r\n"));
        assert_eq!(
            s.find_token("sk-ant-oat01-").expect("token").expose(),
            TOKEN
        );
    }

    #[test]
    fn token_rows_separated_by_cursor_moves() {
        let (a, b) = TOKEN.split_at(80);
        for sep in [
            "\x1b[1B",
            "\x1b[1B\r",
            "\r\x1b[1B",
            "\x1b[1B\x1b[G",
            "\x1b[1E",
            "\r\r\n",
            "\x1c\x1c\r\n",
        ] {
            let s = screen(&success_block(&[a, b], sep));
            assert_eq!(
                s.find_token("sk-ant-oat01-").expect("token").expose(),
                TOKEN,
                "{sep:?}"
            );
        }
        // The same, fed byte by byte.
        let bytes = success_block(&[a, b], "\x1b[1B\r");
        let mut s = Screen::new(80);
        for b in &bytes {
            s.feed(std::slice::from_ref(b));
        }
        assert_eq!(
            s.find_token("sk-ant-oat01-").expect("token").expose(),
            TOKEN
        );
    }

    #[test]
    fn truncated_token_is_returned_as_it_is() {
        let cut = &TOKEN[..79];
        let s = screen(&success_block(&[cut], "\r\n"));
        let t = s.find_token("sk-ant-oat01-").expect("token");
        assert_eq!(t.expose(), cut);
        assert_eq!(t.expose().len(), 79);
    }

    #[test]
    fn no_token_is_none() {
        let s = screen(
            "\x1b[32m✓\x1b[39m Long-lived authentication token created successfully!\r\n\r\n\
             Use this token by setting: export CLAUDE_CODE_OAUTH_TOKEN=<token>\r\n"
                .as_bytes(),
        );
        assert!(s.find_token("sk-ant-oat01-").is_none());
        assert!(s.find_token("").is_none());
        // A prefix inside a longer word is not a token.
        assert!(
            screen(b"xsk-ant-oat01-abc\r\n")
                .find_token("sk-ant-oat01-")
                .is_none()
        );
    }

    #[test]
    fn error_line_is_found_and_scrubbed() {
        let mut bytes = claude_prompt_screen();
        bytes.extend_from_slice(
            b"code#state\r\n\r\n\x1b[31mOAuth error: Invalid code. Please make sure the full code was copied\x1b[39m\r\n\
              \r\nPress Enter to retry.\r\n",
        );
        let s = screen(&bytes);
        assert_eq!(
            s.error_line().as_deref(),
            Some("OAuth error: Invalid code. Please make sure the full code was copied")
        );
        assert!(s.contains("Press Enter to retry."));
        let leak = format!("Error: token {TOKEN} was rejected\r\n");
        let line = screen(leak.as_bytes()).error_line().expect("error line");
        assert_eq!(line, "Error: token [redacted] was rejected");
        assert!(screen(b"all good\r\n").error_line().is_none());
    }

    #[test]
    fn tail_scrubs_tokens_including_the_wrapped_rest() {
        let (a, b) = TOKEN.split_at(80);
        let s = screen(&success_block(&[a, b], "\r\n"));
        let tail = s.tail(8);
        assert_eq!(tail.len(), 8, "{tail:?}");
        assert_eq!(tail[2], "[redacted]");
        assert_eq!(tail[3], "[redacted]");
        assert_eq!(
            tail[7],
            "Use this token by setting: export CLAUDE_CODE_OAUTH_TOKEN=<token>"
        );
        let all = s.tail(100).join("\n");
        assert!(!all.contains(&TOKEN[20..40]), "{all}");
        assert!(!all.contains(b), "{all}");
        assert!(all.contains("Your OAuth token (valid for 1 year):"));
        // Cursor moves and redraws end rows; `\n\n` leaves a blank one.
        assert_eq!(
            screen(b"one\x1b[1Btwo\r\n\r\nspin 1\rspin 2\x1b[K\r\n").tail(9),
            ["one", "two", "", "spin 1", "spin 2"]
        );
    }

    #[test]
    fn clear_forgets() {
        let mut s = screen(&claude_prompt_screen());
        s.clear();
        assert!(s.find_url(&[]).is_none());
        assert!(!s.contains("Paste code"));
        assert!(s.raw.is_empty());
        s.feed(b"Paste code here\r\n");
        assert!(s.contains("Paste code"));
    }

    #[test]
    fn memory_is_bounded() {
        let mut s = Screen::new(80);
        let line =
            b"spinner \x1b[2K\r\xe2\x97\x87 working on it, still working on it, still working\r\n";
        for _ in 0..20_000 {
            s.feed(line);
        }
        assert!(s.raw.len() <= MAX_BYTES, "{}", s.raw.len());
        assert!(s.raw.len() > MAX_BYTES * 3 / 4 - 4096);
        // The kept part starts at a line start.
        assert!(s.raw.starts_with(b"spinner"));
        s.feed(&claude_prompt_screen());
        assert_eq!(s.find_url(&CLAUDE_PREFIXES).as_deref(), Some(CLAUDE_URL));
        // One chunk larger than the bound.
        let mut s = Screen::new(80);
        s.feed(&vec![b'x'; 3 * MAX_BYTES]);
        assert!(s.raw.len() <= MAX_BYTES);
    }

    #[test]
    fn split_utf8_and_escapes_across_chunks() {
        let bytes = "\x1b[38;5;209m◆\x1b[39m  Paste the authorization code:\r\n".as_bytes();
        for cut in 1..bytes.len() {
            let mut s = Screen::new(80);
            s.feed(&bytes[..cut]);
            s.feed(&bytes[cut..]);
            assert!(
                s.contains("◆ Paste the authorization code:"),
                "cut at {cut}"
            );
            assert!(!s.contains("209"), "cut at {cut}");
        }
    }

    /// Hang guard for one stream at the size cap: feeding and every query.
    fn all_queries_finish(name: &'static str, bytes: Vec<u8>) -> Screen {
        crate::testutil::finishes_within(Duration::from_secs(10), name, move || {
            let mut s = Screen::new(80);
            s.feed(&bytes);
            let _ = s.find_url(&[]);
            let _ = s.find_url(&CLAUDE_PREFIXES);
            let _ = s.find_token("sk-ant-oat01-");
            let _ = s.device_code();
            let _ = s.contains("Paste code here");
            let _ = s.error_line();
            let _ = s.tail(5);
            s
        })
    }

    /// Issue 16: every `https://` inside one long run of URL characters was followed
    /// to the end of the run (and over every row it wraps onto), so a row of URLs back to back
    /// took time growing with the square of the stream.
    #[test]
    fn url_scan_of_back_to_back_urls_is_linear() {
        let row = "https://".repeat(MAX_BYTES / 8 - 1);
        let s = all_queries_finish("a row of back-to-back https://", row.clone().into_bytes());
        assert_eq!(s.find_url(&[]).as_deref(), Some(row.as_str()));
        // The same as rows that each continue the one above (all URL characters).
        let rows = "https://a\r\n".repeat(MAX_BYTES / 11 - 1);
        let s = all_queries_finish("rows of https://a", rows.into_bytes());
        let url = s.find_url(&[]).expect("url");
        assert!(
            url.starts_with("https://ahttps://ahttps://a"),
            "{}",
            &url[..40]
        );
        assert_eq!(s.find_url(&["https://b"]), None);
    }

    /// Issue 16: trimming `)` after a URL counted the parentheses again for each one.
    #[test]
    fn trimming_closing_parentheses_is_linear() {
        let mut bytes = b"https://example.com/a".to_vec();
        bytes.resize(MAX_BYTES - 2, b')');
        let s = all_queries_finish("a URL followed by parentheses", bytes);
        assert_eq!(s.find_url(&[]).as_deref(), Some("https://example.com/a"));
    }

    /// Issue 16: a cursor move to the right printed up to 256 blanks for 6 bytes, whatever
    /// the width, so a stream of them became 43 times its size on every query.
    #[test]
    fn cursor_moves_right_stop_at_the_margin() {
        let mut bytes = Vec::new();
        while bytes.len() < MAX_BYTES - 8 {
            bytes.extend_from_slice(b"\x1b[256C");
        }
        all_queries_finish("cursor moves to the right", bytes);
        let s = screen(b"a\x1b[5Cb\x1b[200Cc\r\n");
        assert_eq!(s.tail(1), [format!("a     b{}c", " ".repeat(80 - 7))]);
    }

    /// Issue 16: each tab counted the characters of its row again.
    #[test]
    fn tabs_are_linear() {
        let mut bytes = b"x".to_vec();
        bytes.resize(MAX_BYTES - 2, b'\t');
        bytes.extend_from_slice(b"y\n");
        let s = all_queries_finish("a row of tabs", bytes);
        // Tab stops every 8 columns up to the right margin, then one blank a tab.
        assert!(s.contains("x y"));
        assert_eq!(screen(b"x\tab\tc\r\n").tail(1), ["x       ab      c"]);
    }

    /// Issue 16: ending an OSC string zeroed the whole buffer it ever grew to, so
    /// after one long OSC every short one cost as much as that long one.
    #[test]
    fn short_osc_strings_after_a_long_one_are_cheap() {
        let mut bytes = format!("\x1b]8;;https://{}\x07", "a".repeat(MAX_OSC)).into_bytes();
        while bytes.len() < MAX_BYTES - 8 {
            bytes.extend_from_slice(b"\x1b]\x07\x1b]\x1bx");
        }
        all_queries_finish("short OSC strings", bytes);
    }

    /// Issue 16: once the stream was at its bound, every fed chunk moved the whole
    /// kept stream to drop a few bytes, so a program printing one byte at a time cost the
    /// bound for each byte.
    #[test]
    fn feeding_byte_by_byte_past_the_bound_is_linear() {
        let mut s = crate::testutil::finishes_within(
            Duration::from_secs(10),
            "feeding 2 × MAX_BYTES one byte at a time",
            || {
                let mut s = Screen::new(80);
                for i in 0..2 * MAX_BYTES {
                    s.feed(&[b'a' + (i % 26) as u8]);
                }
                s
            },
        );
        assert!(s.raw.len() <= MAX_BYTES);
        assert!(s.raw.len() >= MAX_BYTES / 2, "{}", s.raw.len());
        s.feed(b"\r\nhttps://example.com/end\r\n");
        assert_eq!(s.find_url(&[]).as_deref(), Some("https://example.com/end"));
    }

    #[test]
    fn debug_shows_no_text() {
        let (a, b) = TOKEN.split_at(80);
        let s = screen(&success_block(&[a, b], "\r\n"));
        let d = format!("{s:?}");
        assert!(!d.contains("sk-ant"), "{d}");
    }
}
