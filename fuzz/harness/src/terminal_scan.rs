//! The terminal-stream scanner of the guided re-auth flow (`core::reauth::scan::Screen`): a
//! stream fed in chunks, then every query. Properties beyond "no panic":
//! - chunk boundaries never matter: the stream fed in the fuzzer's chunks answers every query
//!   exactly as the stream fed at once;
//! - a URL found for a prefix starts with it, and every URL starts with `https://`;
//! - the token found is never shown by `tail` or `error_line` (they scrub it).

use arbitrary::Arbitrary;
use clawauth_core::reauth::scan::{MAX_BYTES, Screen};

use crate::cap::{CapInput, K, lines, run_of};

const CLAUDE: [&str; 2] = [
    "https://claude.com/cai/oauth/authorize",
    "https://claude.ai/oauth/authorize",
];
const TOKEN_PREFIX: &str = "sk-ant-oat01-";

#[derive(Arbitrary, Debug)]
struct Stream<'a> {
    /// PTY width.
    cols: u8,
    /// Chunk lengths to feed the stream in (cycled; 0 is read as 1).
    chunks: Vec<u16>,
    bytes: &'a [u8],
}

/// Every query's answer, comparable.
#[derive(Debug, PartialEq, Eq)]
struct Answers {
    any_url: Option<String>,
    claude_url: Option<String>,
    token: Option<String>,
    device: Option<(String, String)>,
    contains: bool,
    error_line: Option<String>,
    tail: Vec<String>,
}

fn answers(s: &Screen) -> Answers {
    Answers {
        any_url: s.find_url(&[]),
        claude_url: s.find_url(&CLAUDE),
        token: s.find_token(TOKEN_PREFIX).map(|t| t.expose().to_owned()),
        device: s.device_code().map(|d| (d.url, d.code)),
        contains: s.contains("Paste code here"),
        error_line: s.error_line(),
        tail: s.tail(6),
    }
}

/// What the fuzz target does with one input.
pub fn run(data: &[u8]) {
    if let Some(bytes) = data.strip_prefix(crate::CAP) {
        // As the re-auth flow reads a PTY: chunk by chunk, then each query.
        let mut s = Screen::new(80);
        for chunk in bytes.chunks(4096) {
            s.feed(chunk);
        }
        answers(&s);
        return;
    }
    let Some(input) = crate::decode(data, |bytes| Stream {
        cols: 80,
        chunks: vec![61],
        bytes,
    }) else {
        return;
    };
    let cols = u32::from(input.cols.max(1));
    let mut whole = Screen::new(cols);
    whole.feed(input.bytes);
    let a = answers(&whole);

    if let Some(u) = &a.any_url {
        assert!(u.starts_with("https://"), "{u:?}");
    }
    if let Some(u) = &a.claude_url {
        assert!(CLAUDE.iter().any(|p| u.starts_with(p)), "{u:?}");
    }
    if let Some((u, _)) = &a.device {
        assert!(u.starts_with("https://"), "{u:?}");
    }
    if let Some(t) = &a.token {
        assert!(t.starts_with(TOKEN_PREFIX), "{t:?}");
        // A token long enough to be one is never on screen text we show.
        if t.len() >= 40 {
            for line in a.tail.iter().chain(a.error_line.iter()) {
                assert!(!line.contains(t.as_str()), "token shown in {line:?}");
            }
        }
    }

    // Chunk boundaries never matter (below the bound, where nothing is dropped).
    if input.bytes.len() < MAX_BYTES && !input.chunks.is_empty() {
        let mut chunked = Screen::new(cols);
        let mut rest = input.bytes;
        let mut sizes = input.chunks.iter().cycle();
        while !rest.is_empty() {
            let n = usize::from(*sizes.next().unwrap_or(&1)).clamp(1, rest.len());
            chunked.feed(&rest[..n]);
            rest = &rest[n..];
        }
        assert_eq!(answers(&chunked), a);
    }
}

/// The stream at the scanner's cap (`MAX_BYTES`), in the shapes that once took time growing
/// faster than the input.
pub fn cap_inputs() -> Vec<CapInput> {
    vec![
        CapInput::new("back-to-back-urls", run_of("https://", 256 * K - 8)),
        CapInput::new("rows-of-urls", lines("https://a\r", 256 * K - 8)),
        CapInput::new(
            "closing-parens",
            [&b"https://example.com/a"[..], &run_of(")", 256 * K - 32)].concat(),
        ),
        CapInput::new("tabs", [&b"x"[..], &run_of("\t", 256 * K - 16)].concat()),
        CapInput::new(
            "osc",
            [
                &b"\x1b]8;;https://"[..],
                &run_of("a", 16 * K),
                b"\x07",
                &run_of("\x1b]\x07\x1b]\x1bx", 240 * K),
            ]
            .concat(),
        ),
        CapInput::new("tokens", run_of("sk-ant-oat01-\x1b[1B", 256 * K - 8)),
        CapInput::new("cursor-forward", run_of("\x1b[256C", 256 * K - 8)),
        CapInput::new(
            "device-codes",
            lines(
                "URL: https://github.com/login/device\r\nCode: ABCD-1234\r",
                256 * K - 8,
            ),
        ),
    ]
}
