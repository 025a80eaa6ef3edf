//! JSON and JSON5 documents as OpenClaw writes them, parsed into `serde_json::Value`.
//!
//! Credential documents hold secrets: after extracting what we need (presence, expiry, masked
//! labels), callers [`wipe`] the value so no token outlives the parse.

use camino::Utf8Path;
use serde_json::Value;
use zeroize::Zeroize;

use crate::error::{Error, Result};

/// The deepest nesting of arrays and objects read from any document from outside. OpenClaw's
/// documents nest a handful of levels; the bound keeps every recursive walk (the parsers,
/// `$include` merging, [`wipe`]) far from the end of a thread's stack.
pub const MAX_DEPTH: usize = 64;

/// Whether `text` nests arrays and objects deeper than `limit`: one linear pass that knows
/// JSON5's strings (`"…"`, `'…'`, backslash escapes) and comments (`//`, `/* */`), so it counts
/// exactly the brackets a JSON or JSON5 parser would descend into (spec.json5.org §Strings,
/// §Comments; line terminators as in the json5 crate's `is_json5_line_terminator`).
pub fn nests_deeper_than(text: impl AsRef<[u8]>, limit: usize) -> bool {
    enum In {
        Code,
        Str(u8),
        LineComment,
        BlockComment,
    }
    // Bytes, not chars: every byte that matters is ASCII, and UTF-8 never hides one inside a
    // multi-byte character (so a secret need not be copied into a `String` to be checked).
    let text = text.as_ref();
    let mut state = In::Code;
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        let next = text.get(i + 1).copied();
        i += 1;
        match state {
            In::Code => match b {
                b'"' | b'\'' => state = In::Str(b),
                b'/' if next == Some(b'/') => state = In::LineComment,
                b'/' if next == Some(b'*') => {
                    i += 1;
                    state = In::BlockComment;
                }
                b'[' | b'{' => {
                    depth += 1;
                    if depth > limit {
                        return true;
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            },
            In::Str(delimiter) => {
                if b == b'\\' {
                    i += 1;
                } else if b == delimiter {
                    state = In::Code;
                } else {
                    // Skip the rest of a plain run at once: strings are most of a store.
                    i += text[i..]
                        .iter()
                        .position(|&c| c == b'\\' || c == delimiter)
                        .unwrap_or(text.len() - i);
                }
            }
            In::LineComment => {
                // \n, \r, U+2028 and U+2029 (E2 80 A8, E2 80 A9) end it.
                let separator =
                    b == 0xe2 && next == Some(0x80) && matches!(text.get(i + 1), Some(0xa8 | 0xa9));
                if matches!(b, b'\n' | b'\r') || separator {
                    state = In::Code;
                }
            }
            In::BlockComment => {
                if b == b'*' && next == Some(b'/') {
                    i += 1;
                    state = In::Code;
                }
            }
        }
    }
    false
}

/// Refuses a document nested deeper than [`MAX_DEPTH`] before any parser recurses into it.
pub fn check_depth(path: &Utf8Path, text: &str) -> Result<()> {
    if nests_deeper_than(text, MAX_DEPTH) {
        return Err(Error::TooDeep {
            path: path.to_owned(),
            limit: MAX_DEPTH,
        });
    }
    Ok(())
}

/// Parses strict JSON; the error names the file and the position, never the content.
pub fn parse_json(path: &Utf8Path, text: &str) -> Result<Value> {
    check_depth(path, text)?;
    serde_json::from_str(text).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "the file ends early (truncated?)",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected value",
            serde_json::error::Category::Io => "read error",
        };
        Error::malformed(
            path,
            "JSON",
            format!("{what} at line {}, column {}", e.line(), e.column()),
        )
    })
}

/// Parses JSON5 (OpenClaw's `openclaw.json`); the error names the file and the position.
pub fn parse_json5(path: &Utf8Path, text: &str) -> Result<Value> {
    // The json5 crate recurses without a bound: a deep file would overflow the stack.
    check_depth(path, text)?;
    json5::from_str::<Value>(text).map_err(|e| {
        // json5's message is "<what> at line L column C" and quotes no input.
        Error::malformed(path, "JSON5", e.to_string())
    })
}

/// Overwrites every string (keys included) inside `value` before it is dropped.
pub fn wipe(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(map) => {
            for (_, v) in map.iter_mut() {
                wipe(v);
            }
            map.clear();
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A value that wipes itself when dropped.
pub struct Wiped(pub Value);

impl Drop for Wiped {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

impl std::ops::Deref for Wiped {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.0
    }
}

/// `value[key]` as a non-empty string.
pub fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn depth_counts_what_a_parser_descends_into() {
        assert!(!nests_deeper_than(nested(64), 64));
        assert!(nests_deeper_than(nested(65), 64));
        assert!(!nests_deeper_than("{a: [1, {b: 2}], c: {}}", 3));
        assert!(nests_deeper_than("{a: [1, {b: 2}], c: {}}", 2));
        // Brackets inside strings and comments are text.
        let quoted = format!(
            "{{\"a\": \"{0}\", 'b': '{0}\\' {0}', /* {0} */ // {0}\n c: 1}}",
            "[[[[[[[["
        );
        assert!(!nests_deeper_than(&quoted, 1), "{quoted}");
        // …but a line comment ends where JSON5 ends it (U+2028 too), and what follows counts.
        assert!(nests_deeper_than("// x\u{2028}[[[]]]", 2));
        assert!(nests_deeper_than("/* x */[[[]]]", 2));
        assert!(
            nests_deeper_than("\"\\\\\" [[[]]]", 2),
            "an escaped backslash ends"
        );
    }

    #[test]
    fn a_deep_document_is_a_clear_error_and_no_stack_overflow() {
        let path = Utf8Path::new("/gw/openclaw.json");
        let deep = nested(100_000);
        for e in [
            parse_json5(path, &deep).expect_err("json5"),
            parse_json(path, &deep).expect_err("json"),
        ] {
            assert!(
                matches!(
                    e,
                    Error::TooDeep {
                        limit: MAX_DEPTH,
                        ..
                    }
                ),
                "{e}"
            );
            let msg = e.to_string();
            assert!(
                msg.starts_with("/gw/openclaw.json: nesting deeper than 64 levels"),
                "{msg}"
            );
        }
        let fine = format!("{{a: {}}}", nested(MAX_DEPTH - 1));
        parse_json5(path, &fine).expect("63 levels inside an object read");
    }
}
