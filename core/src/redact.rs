//! Scrubbing of text that comes from other programs (OpenClaw's stderr, SSH output) before it
//! may appear in an error or a report. Anything shaped like a credential is replaced; a line
//! quoted into a message ([`last_line`]) also has its control characters made visible.

/// Replaces token-like words: known key prefixes (`sk-`, `sk-ant-`, `ghp_`, `xai-`, …) and any
/// long run (≥ 32) of base64/hex/JWT characters.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if looks_secret(word) {
            out.push_str("[redacted]");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '+' | '/') {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn looks_secret(word: &str) -> bool {
    const PREFIXES: [&str; 8] = [
        "sk-",
        "ghp_",
        "gho_",
        "github_pat_",
        "xai-",
        "AIza",
        "hf_",
        "eyJ",
    ];
    let long_run = word.split(['/', '.']).any(|part| {
        part.len() >= 32
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=' | b'+'))
    });
    (PREFIXES.iter().any(|p| word.starts_with(p)) && word.len() >= 12) || long_run
}

/// The last non-empty line of `text`, scrubbed, its control characters made visible
/// ([`crate::display::visible`]: a carriage return, an escape sequence or a C1 code in another
/// program's output cannot rewrite the line it is quoted into) and cut to `max` characters.
pub fn last_line(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let scrubbed = crate::display::visible(&scrub(line)).into_owned();
    if scrubbed.chars().count() > max {
        let cut: String = scrubbed.chars().take(max).collect();
        format!("{cut}…")
    } else {
        scrubbed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_tokens_but_keeps_prose() {
        let s = scrub(
            "error: token sk-ant-oat01-FAKE-abcdefghijklmnop rejected for anthropic:default at /home/x/.openclaw",
        );
        assert_eq!(
            s,
            "error: token [redacted] rejected for anthropic:default at /home/x/.openclaw"
        );
        assert_eq!(
            scrub("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig ok"),
            "jwt [redacted] ok"
        );
        assert_eq!(
            scrub("hash 0123456789abcdef0123456789abcdef!"),
            "hash [redacted]!"
        );
        assert_eq!(last_line("a\nsecond line\n\n", 6), "second…");
        assert_eq!(
            last_line("x\nfake\r\u{1b}[2K✓ OK\u{7}\u{9b}\n", 80),
            "fake\\r\\e[2K✓ OK\\a\\x9b"
        );
    }
}
