//! What an ntfy server or a heartbeat endpoint answers when it refuses an alert: its status,
//! its `Retry-After` header and its body (capped at `monitor::http::BODY_CAP`, and whether
//! there was more), read by `monitor::notify::ntfy_refusal`; and the URLs whose origin alone
//! may be shown (`monitor::http::origin`). Properties beyond "no panic":
//! - the words for the person are one visible line (a hostile body cannot draw on the
//!   terminal or forge log lines), and never longer than a few hundred characters;
//! - a wait before trying again is never longer than `MAX_RETRY_AFTER`, and only for 429 and
//!   5xx answers;
//! - an origin never shows a URL's path, query or user info.

use arbitrary::Arbitrary;
use clawauth_core::display::is_hidden;
use clawauth_core::monitor::http::{BODY_CAP, origin};
use clawauth_core::monitor::notify::{MAX_RETRY_AFTER, ntfy_refusal};

use crate::cap::{CapInput, K, lines, run_of};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    status: u16,
    retry_after: Option<&'a str>,
    cut: bool,
    unreadable: Option<String>,
    url: &'a str,
    body: &'a [u8],
}

/// What the fuzz target does with one input.
pub fn run(data: &[u8]) {
    if let Some(rest) = data.strip_prefix(crate::CAP) {
        let _ = ntfy_refusal(
            "https://ntfy.sh/t",
            500,
            None,
            Ok((rest, rest.len() >= BODY_CAP)),
        );
        let _ = origin(&String::from_utf8_lossy(rest));
        return;
    }
    let Some(input) = crate::decode(data, |body| Input {
        status: 400,
        retry_after: None,
        cut: false,
        unreadable: None,
        url: "https://ntfy.sh/topic",
        body,
    }) else {
        return;
    };
    let body = &input.body[..input.body.len().min(BODY_CAP)];
    let read = match &input.unreadable {
        Some(e) => Err(e),
        None => Ok((body, input.cut)),
    };
    let (why, wait) = ntfy_refusal(
        "https://ntfy.sh/topic",
        input.status,
        input.retry_after,
        read,
    );
    if input
        .unreadable
        .as_deref()
        .is_none_or(|e| !e.contains(|c: char| is_hidden(c)))
    {
        assert!(!why.contains(|c: char| is_hidden(c)), "{why:?}");
        assert!(
            why.chars().count() < 600,
            "{} characters",
            why.chars().count()
        );
    }
    match wait {
        Some(w) => {
            assert!(w <= MAX_RETRY_AFTER, "{w:?}");
            assert!(input.status == 429 || (500..=599).contains(&input.status));
        }
        None => assert!(input.status != 429 && !(500..=599).contains(&input.status)),
    }
    // Whatever the URL, its origin holds no path, query, fragment or user info.
    let o = origin(input.url);
    if let Some((_, after)) = o.split_once("://") {
        assert!(
            !after.contains(['/', '?', '#', '@']),
            "more than an origin: {o:?}"
        );
    }
}

/// A refusal's body at its 64 KiB cap (`BODY_CAP`): escapes, and lines that draw.
pub fn cap_inputs() -> Vec<CapInput> {
    vec![
        CapInput::new(
            "escapes-64kib",
            [
                &b"{\"error\":\""[..],
                &run_of("\x1b[2J\u{2028}", 64 * K - 16),
                b"\"}",
            ]
            .concat(),
        ),
        CapInput::new("lines-64kib", lines("\r\x1b]0;x\x07", 64 * K - 8)),
    ]
}
