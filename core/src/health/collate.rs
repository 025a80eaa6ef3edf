//! The order OpenClaw sorts profile and provider ids in: JavaScript `localeCompare` under ICU's
//! root/en collation (`auth-health.ts`). Byte order differs (`a_b < a-b < ab`, digits compare
//! digit by digit, `a < A` only at the case level), so we mirror ICU for ASCII: punctuation and
//! symbols in CLDR order, then digits, then letters case-insensitively, with lower case first
//! as the tie-breaker. Other characters sort after ASCII letters by code point.

use std::cmp::Ordering;

/// CLDR root order of ASCII whitespace, punctuation and symbols.
const SYMBOLS: &str = "\t\n\u{b}\u{c}\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";

fn primary(c: char) -> (u8, u32) {
    if let Some(i) = SYMBOLS.find(c) {
        return (0, i as u32);
    }
    if c.is_ascii_digit() {
        return (1, c as u32);
    }
    if c.is_ascii_alphabetic() {
        return (2, c.to_ascii_lowercase() as u32);
    }
    let lower = c.to_lowercase().next().unwrap_or(c);
    (3, lower as u32)
}

/// What [`collate`] compares, computed once and in one buffer whose byte order is `collate`'s
/// order, so that sorting by it (`sort_by_cached_key`) compares with `memcmp`: each character's
/// primary weight as four bytes (class + 1, then the code point), a 0 byte, each character's
/// case (1 lower, 2 upper), a 0 byte, then the text's own bytes. The 0 separators sort a shorter
/// sequence first, as `collate`'s lexicographic comparison does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CollationKey(Vec<u8>);

/// The [`CollationKey`] of `s`.
pub fn collation_key(s: &str) -> CollationKey {
    let mut key = Vec::with_capacity(s.len() * 6 + 2);
    for c in s.chars() {
        let (class, code) = primary(c);
        key.push(class + 1);
        key.extend_from_slice(&code.to_be_bytes()[1..]);
    }
    key.push(0);
    key.extend(s.chars().map(|c| 1 + u8::from(c.is_uppercase())));
    key.push(0);
    key.extend_from_slice(s.as_bytes());
    CollationKey(key)
}

/// `a.localeCompare(b)` for the ids OpenClaw sorts.
pub fn collate(a: &str, b: &str) -> Ordering {
    let pa = a.chars().map(primary);
    let pb = b.chars().map(primary);
    match pa.cmp(pb) {
        Ordering::Equal => {}
        other => return other,
    }
    // Tertiary level: lower case before upper case, position by position.
    let case = |c: char| u8::from(c.is_uppercase());
    match a.chars().map(case).cmp(b.chars().map(case)) {
        Ordering::Equal => a.cmp(b),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_by_the_key_is_sorting_by_collate() {
        let ids = [
            "a:B",
            "Ab",
            "a10",
            "a-b",
            "a_b",
            "openai:default",
            "a9",
            "AB",
            "ab",
            "aB",
            "a b",
            "é",
            "z",
            "a1",
            "minimax-portal",
            "_",
            "a.b",
            "a",
            "A",
        ];
        let mut by_collate = ids.to_vec();
        by_collate.sort_by(|a, b| collate(a, b));
        let mut by_key = ids.to_vec();
        by_key.sort_by_cached_key(|s| collation_key(s));
        assert_eq!(by_key, by_collate);
        for a in ids {
            for b in ["", "a", "a:", "A:b", "Ω", "a\u{10ffff}", "ab", "aé", "Aé"]
                .iter()
                .chain(&ids)
            {
                assert_eq!(
                    collation_key(a).cmp(&collation_key(b)),
                    collate(a, b),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    #[test]
    fn matches_node_icu_vectors() {
        // Node 24 `[...].sort((a, b) => a.localeCompare(b))` (en-US), ASCII subset.
        let expected = [
            "_",
            "-",
            ":",
            "a",
            "a b",
            "a_b",
            "a-b",
            "a:b",
            "a:B",
            "a.b",
            "a@b",
            "a/b",
            "a+b",
            "a~b",
            "a1",
            "a10",
            "a9",
            "ab",
            "aB",
            "Ab",
            "AB",
            "minimax",
            "minimax-portal",
            "openai",
            "openai-codex",
            "openai-codex:default",
            "openai:default",
            "z",
        ];
        let mut shuffled = expected.to_vec();
        shuffled.reverse();
        shuffled.sort_by(|a, b| collate(a, b));
        assert_eq!(shuffled, expected);
        let mut ids = [
            "anthropic:z",
            "ANTHROPIC:UPPER",
            "anthropic:10",
            "anthropic:_x",
            "anthropic:9",
            "anthropic:-y",
            "anthropic:B",
            "anthropic:a",
        ];
        ids.sort_by(|a, b| collate(a, b));
        assert_eq!(
            ids,
            [
                "anthropic:_x",
                "anthropic:-y",
                "anthropic:10",
                "anthropic:9",
                "anthropic:a",
                "anthropic:B",
                "ANTHROPIC:UPPER",
                "anthropic:z"
            ]
        );
    }
}
