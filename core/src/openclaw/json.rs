//! JSON and JSON5 documents as OpenClaw writes them, parsed into `serde_json::Value`.
//!
//! Credential documents hold secrets: after extracting what we need (presence, expiry, masked
//! labels), callers [`wipe`] the value so no token outlives the parse.

use camino::Utf8Path;
use serde_json::Value;
use zeroize::Zeroize;

use crate::error::{Error, Result};

/// Parses strict JSON; the error names the file and the position, never the content.
pub fn parse_json(path: &Utf8Path, text: &str) -> Result<Value> {
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
