//! What a gateway's shell answers to clawauth's probe (`source::remote::read_probe`: its clock,
//! home, login PATH, programs and unusable settings, after any start-up chatter) and to the
//! legacy-files rung (`read_bundle`, `mirror_path`: the files it sends back), then the probe's
//! findings on the report's `via` line; and the whole answer of a one-command check
//! (`read_answer`: the probe, one program's framed output, its files, the end clock reading).
//! Properties beyond "no panic":
//! - a program's output and errors never exceed their caps, whatever the frames say;
//! - a clock is used only when it reads a plausible date; its skew is exactly the difference
//!   from the midpoint, never a wrapped figure, and an implausible clock is said so;
//! - every file the gateway sends lands inside the copy, whatever name it gives;
//! - the `via` line and its warnings are inert text.

use arbitrary::Arbitrary;
use camino::Utf8Path;
use clawauth_core::report::{RemoteSource, Report, Via, human};
use clawauth_core::source::remote::{mirror_path, read_answer, read_bundle, read_probe};

use crate::cap::{CapInput, K, lines};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    sent_ms: i64,
    round_trip_ms: i64,
    bundle: bool,
    text: &'a str,
}

/// What the fuzz target does with one input.
pub fn run(data: &[u8]) {
    if let Some(rest) = data.strip_prefix(crate::CAP) {
        let text = String::from_utf8_lossy(rest);
        // The probe is read within its 64 KiB (as `read_answer` reads it), the rest whole.
        let mut probe_end = text.len().min(64 * 1024);
        while !text.is_char_boundary(probe_end) {
            probe_end -= 1;
        }
        let _ = read_probe(&text[..probe_end], crate::FIXTURE_NOW_MS, 50);
        let _ = read_bundle(&text);
        check_answer(rest, crate::FIXTURE_NOW_MS, 50);
        return;
    }
    let Some(input) = crate::decode(data, |rest| Input {
        sent_ms: crate::FIXTURE_NOW_MS,
        round_trip_ms: 40,
        bundle: rest.starts_with(b"@@file@@"),
        text: std::str::from_utf8(rest).unwrap_or_default(),
    }) else {
        return;
    };
    if input.text.contains("@@clawauth-") {
        check_answer(input.text.as_bytes(), input.sent_ms, input.round_trip_ms);
    }
    if input.bundle {
        let root = Utf8Path::new("/mirror");
        if let Ok(files) = read_bundle(input.text) {
            for (name, _) in files {
                let p = mirror_path(root, &name).expect("read_bundle only keeps names that mirror");
                assert!(
                    p.starts_with(root) && p != root,
                    "{name:?} leaves the copy: {p}"
                );
                assert!(
                    p.components()
                        .skip(1)
                        .all(|c| matches!(c, camino::Utf8Component::Normal(_))),
                    "{p}"
                );
            }
        }
        return;
    }
    let Some(probe) = read_probe(input.text, input.sent_ms, input.round_trip_ms) else {
        return;
    };
    match (probe.now_ms, probe.clock_skew_ms) {
        (Some(now), Some(skew)) => {
            assert!((0..=253_402_300_799_999).contains(&now), "{now}");
            let mid = input.sent_ms.saturating_add(input.round_trip_ms.max(0) / 2);
            assert_eq!(now.checked_sub(mid), Some(skew));
            assert!(probe.clock_note.is_none());
        }
        (Some(now), None) => assert!(
            now.checked_sub(input.sent_ms.saturating_add(input.round_trip_ms.max(0) / 2))
                .is_none(),
            "a plausible clock without a skew"
        ),
        (None, skew) => assert_eq!(skew, None),
    }
    let mut report = Report::new(
        "gw".to_owned(),
        clawauth_core::time::from_ms(crate::FIXTURE_NOW_MS),
        clawauth_core::time::from_ms(crate::FIXTURE_NOW_MS),
        86_400_000,
    );
    report.via = Some(Via {
        transport: clawauth_core::report::Transport::Ssh,
        destination: "pi@gw:22".to_owned(),
        source: RemoteSource::Files,
        connect_ms: 12,
        clock_skew_ms: probe.clock_skew_ms,
        skipped: probe
            .unusable
            .iter()
            .map(|(k, why)| format!("{k}: {why}"))
            .collect(),
        warnings: probe.clock_note.iter().cloned().collect(),
    });
    report.finish();
    let shown = human::render(&report, false);
    if let Some(c) = shown
        .chars()
        .find(|&c| c != '\n' && clawauth_core::display::is_hidden(c))
    {
        panic!("a raw {c:?} in {shown:?}");
    }
    if let Some(note) = &probe.clock_note {
        assert!(note.contains("cannot be right"), "{note}");
    }
}

/// A one-command check's answer (nonce `n`): read without panicking, each part within its cap,
/// and the clock used only when plausible.
fn check_answer(bytes: &[u8], sent_ms: i64, round_trip_ms: i64) {
    let Some(answer) = read_answer(bytes, "n", sent_ms, round_trip_ms) else {
        return;
    };
    if let Some(ran) = &answer.ran {
        assert!(ran.stdout.len() <= 8 * 1024 * 1024, "{}", ran.stdout.len());
        assert!(ran.stderr.len() <= 256 * 1024, "{}", ran.stderr.len());
        let _ = read_bundle(&ran.files);
    }
    if let Some(now) = answer.probe.now_ms {
        assert!((0..=253_402_300_799_999).contains(&now), "{now}");
    }
}

/// A probe's answer at its 64 KiB cap, and a file bundle at its 24 MiB cap.
pub fn cap_inputs() -> Vec<CapInput> {
    vec![
        CapInput::new(
            "probe-64kib",
            [
                &b"clawauth-probe 1\n"[..],
                &lines("unusable clawauth missing", 64 * K - 32),
            ]
            .concat(),
        ),
        CapInput::new(
            "bundle-24mib",
            [
                lines("@@file@@ /a/b", 12 * 1024 * K),
                lines("QUFBQUFBQUFBQUFBQUFB", 12 * 1024 * K - 16),
                b"@@end@@\n".to_vec(),
            ]
            .concat(),
        ),
    ]
}
