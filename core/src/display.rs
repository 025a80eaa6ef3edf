//! What may reach a screen. Every string that comes from outside — a gateway, a state file, a
//! program's output, a server — is data: before it is shown (terminal, toast, dialog,
//! notification, alert) its control characters are made visible with [`visible`]; a command
//! printed for a person to copy is built from [`shell_word`]s; a URL parameter is
//! [`percent_encode`]d; JSON for a screen or a pipe escapes C1 and DEL too ([`to_json_pretty`]).
//!
//! clawauth's own colours are added by the renderers after the fields are escaped, so they stay.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a screen raw: C0 (tab, line feed, carriage return, escape, bell
/// included), DEL, C1, the Unicode line and paragraph separators, and the bidirectional
/// controls that can make text read differently from what it is (CVE-2021-42574).
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{200e}' | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{061c}'
    )
}

/// `s` with every character [`is_hidden`] finds written out: `\n`, `\r`, `\t`, `\e` (escape),
/// `\a` (bell), `\\` where a backslash could be confused with such an escape, and `\x7f`,
/// `\u{9b}`, `\u{202e}` for the rest. Borrowed when there is nothing to escape.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{1b}' => out.push_str("\\e"),
        '\u{7}' => out.push_str("\\a"),
        c if (c as u32) < 0x100 && is_hidden(c) => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if is_hidden(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// [`visible`], and cut to `max` characters (with `…`) so that one field cannot flood a line.
pub fn visible_cut(s: &str, max: usize) -> String {
    let v = visible(s);
    if v.chars().count() <= max {
        return v.into_owned();
    }
    let mut cut: String = v.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `s` as one word of a POSIX shell command line, for a person to copy: bare when it is made of
/// characters no shell treats specially, else in single quotes (`'` written as `'\''`). Hidden
/// characters are then made visible: such a word cannot be copied as it is, but it can never
/// move the cursor, recolour the screen or start a new line.
pub fn shell_word(s: &str) -> String {
    let quoted = if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(&b))
    {
        s.to_owned()
    } else {
        let mut q = String::with_capacity(s.len() + 2);
        q.push('\'');
        for c in s.chars() {
            if c == '\'' {
                q.push_str("'\\''");
            } else {
                q.push(c);
            }
        }
        q.push('\'');
        q
    };
    visible(&quoted).into_owned()
}

/// A command line for a person to copy: `words` joined by spaces, each a [`shell_word`].
pub fn command_line<I, S>(words: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    words
        .into_iter()
        .map(|w| shell_word(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `s` percent-encoded for a URL's query value or path segment: everything but RFC 3986's
/// unreserved characters (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` of its UTF-8 bytes.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The inverse of [`percent_encode`] (any `%XX`; `None` for a broken escape or bytes that are
/// not UTF-8).
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// JSON formatting that also escapes DEL, C1 and the other [`is_hidden`] characters serde_json
/// leaves raw (it escapes only C0), so a JSON document piped to a terminal cannot drive it.
struct SafeFormatter<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for SafeFormatter<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_hidden(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    // Everything else as the wrapped formatter does it.
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// `v` as pretty JSON (two-space indent) with [`is_hidden`] characters escaped as `\uXXXX`.
pub fn to_json_pretty<T: serde::Serialize + ?Sized>(v: &T) -> serde_json::Result<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut ser = serde_json::Serializer::with_formatter(
        &mut buf,
        SafeFormatter(serde_json::ser::PrettyFormatter::new()),
    );
    v.serialize(&mut ser)?;
    // serde_json writes UTF-8 only.
    Ok(String::from_utf8(buf).unwrap_or_default())
}

/// `v` as compact JSON with [`is_hidden`] characters escaped as `\uXXXX`.
pub fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> serde_json::Result<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut ser = serde_json::Serializer::with_formatter(
        &mut buf,
        SafeFormatter(serde_json::ser::CompactFormatter),
    );
    v.serialize(&mut ser)?;
    Ok(String::from_utf8(buf).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_and_plain_text_is_borrowed() {
        assert!(matches!(visible("anthropic:claude-code"), Cow::Borrowed(_)));
        assert_eq!(
            visible("a\x1b[2J\x07b\r\nc\td\x7f\u{9b}31m\u{202e}x"),
            "a\\e[2J\\ab\\r\\nc\\td\\x7f\\x9b31m\\u{202e}x"
        );
        assert_eq!(visible("ünïcødé ✓"), "ünïcødé ✓");
        for c in (0u32..0x20).chain(0x7f..0xa0) {
            let c = char::from_u32(c).expect("char");
            let v = visible(&c.to_string()).into_owned();
            assert!(!v.chars().any(is_hidden), "{c:?} → {v:?}");
        }
        assert_eq!(visible_cut("abcdef", 4), "abc…");
        assert_eq!(visible_cut("a\nb", 10), "a\\nb");
    }

    #[test]
    fn shell_words_are_quoted_and_never_raw() {
        assert_eq!(shell_word("anthropic:claude-code"), "anthropic:claude-code");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word("$(rm -rf ~)"), "'$(rm -rf ~)'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("x\n; reboot"), "'x\\n; reboot'");
        assert_eq!(
            command_line(["openclaw", "models", "auth", "login", "--provider", "a;b"]),
            "openclaw models auth login --provider 'a;b'"
        );
    }

    #[test]
    fn percent_encoding_round_trips() {
        for s in ["gw", "a b&c=d/e?f#g", "ü\n\u{1b}", "100%"] {
            let e = percent_encode(s);
            assert!(
                e.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)),
                "{e}"
            );
            assert_eq!(percent_decode(&e).as_deref(), Some(s));
        }
        assert_eq!(percent_encode("a b"), "a%20b");
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
    }

    #[test]
    fn json_escapes_c1_and_del_as_well_as_c0() {
        let v = serde_json::json!({"k\u{9b}": ["a\u{1b}b\u{7f}c\u{85}d\u{202e}", 1, null]});
        let s = to_json_pretty(&v).expect("json");
        assert!(!s.chars().any(|c| is_hidden(c) && c != '\n'), "{s}");
        assert!(s.contains("\\u009b") && s.contains("\\u007f") && s.contains("\\u202e"));
        let back: serde_json::Value = serde_json::from_str(&s).expect("parses back");
        assert_eq!(back, v);
        let compact = to_json(&v).expect("json");
        assert!(!compact.chars().any(is_hidden), "{compact}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&compact).expect("parses"),
            v
        );
    }
}
