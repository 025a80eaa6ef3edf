//! The hidden prompt, driven through a real pseudo-terminal: `clawauth token paste` runs as the
//! session leader of a new PTY (`setsid --ctty`), as in a terminal, followed by a shell `read`
//! that shows what the terminal still holds when clawauth ends. A token pasted in two lines is
//! refused whole (exit 65, no connection, nothing stored) — whether the terminal marks the
//! paste (bracketed paste) or sends it as plain lines — and its second line never reaches the
//! shell. A token pasted in one line is stored, and the real OpenClaw CLI sees it serve the
//! routes.

use std::time::Duration;

use clawauth_core::gateway::local::LocalGateway;
use clawauth_core::gateway::{Command, Gateway, Pty, PtyEvent, PtySize};
use clawauth_core::openclaw::env::Environment;
use clawauth_tests::lab::{ANTHROPIC, Lab, openclaw_check, openclaw_state};
use clawauth_tests::openclaw_cli::openclaw;
use clawauth_tests::repair_lab::{RepairGateway, now_ms, openclaw_profiles};

/// A setup-token of the real shape (108 characters), marked fake.
fn token(tag: &str) -> String {
    let mut t = format!("sk-ant-oat01-FAKE-{tag}-");
    while t.len() < 108 {
        t.push('Q');
    }
    t
}

/// The terminal's whole output so far, and how the script ended.
struct Terminal<P: Pty> {
    pty: P,
    seen: String,
}

impl<P: Pty> Terminal<P> {
    /// Reads until `needle` appears (or fails after 60 s with what was seen).
    async fn wait_for(&mut self, needle: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !self.seen.contains(needle) {
            match tokio::time::timeout_at(deadline, self.pty.next()).await {
                Ok(Some(PtyEvent::Output(b))) => self.seen.push_str(&String::from_utf8_lossy(&b)),
                Ok(other) => panic!(
                    "the terminal ended ({:?}) before {needle:?}:\n{}",
                    other.map(|e| matches!(e, PtyEvent::Exit(_))),
                    self.seen
                ),
                Err(_) => panic!("no {needle:?} within 60 s:\n{}", self.seen),
            }
        }
    }

    async fn type_bytes(&mut self, bytes: &[u8]) {
        self.pty.write(bytes).await.expect("write to the terminal");
    }

    /// The value printed after `marker` up to the end of its line.
    fn after(&self, marker: &str) -> String {
        let start = self.seen.rfind(marker).expect("marker") + marker.len();
        self.seen[start..]
            .split(['\r', '\n'])
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Runs `clawauth token paste …` on a new terminal, then a shell `read` of whatever the
/// terminal still holds; `paste` is what the person's terminal sends at the prompt.
async fn paste_at_the_prompt(lab: &Lab, paste: &[u8]) -> (i32, String, String) {
    let bin = clawauth_tests::clawauth_bin();
    let script = format!(
        "'{}' token paste --host gw --provider anthropic --expires-in 365d; \
         echo \"EXIT:$?\"; IFS= read -r left; echo \"LEFT:[$left]\"",
        bin.display()
    );
    let env = Environment::empty()
        .with("HOME", lab.phone.as_str())
        .with("PATH", "/usr/local/bin:/usr/bin:/bin")
        .with("CLAWAUTH_SECRET_STORE", "file")
        .with("TZ", "UTC");
    let phone = LocalGateway::new("phone", env);
    let cmd = Command::new("setsid").args(["--ctty", "--wait", "sh", "-c", &script]);
    let pty = phone
        .open_pty(&cmd, PtySize { cols: 80, rows: 24 })
        .await
        .expect("a pseudo-terminal");
    let mut t = Terminal {
        pty,
        seen: String::new(),
    };
    t.wait_for("(input hidden): ").await;
    t.type_bytes(paste).await;
    t.wait_for("EXIT:").await;
    t.wait_for("\n").await;
    let code: i32 = t.after("EXIT:").trim().parse().expect("exit code");
    // Whatever the terminal still held would be read here; then end the read ourselves.
    tokio::time::sleep(Duration::from_millis(300)).await;
    t.type_bytes(b"\r").await;
    t.wait_for("LEFT:[").await;
    t.wait_for("]").await;
    let left = t.after("LEFT:[");
    let left = left.strip_suffix(']').unwrap_or(&left).to_owned();
    (code, left, t.seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paste_in_two_lines_is_refused_whole_and_nothing_reaches_the_shell() {
    let oc = openclaw();
    let lab = Lab::new();
    lab.trust();
    let gw = RepairGateway::new(&lab, "gw", &oc);
    openclaw_state(&oc, &gw.home, ANTHROPIC, Some("2h"));
    lab.add_host("gw", &[]);
    let before = openclaw_profiles(&oc, &gw.home);
    let t = token("wrapped");
    let (first, second) = t.split_at(80);
    let connections = lab.sshd.connections();
    // A terminal that marks pastes, and one that sends them as typed lines.
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "bracketed paste",
            format!("\x1b[200~{first}\n{second}\x1b[201~\r").into_bytes(),
        ),
        ("plain lines", format!("{first}\r{second}\r").into_bytes()),
    ];
    for (what, paste) in cases {
        let (code, left, seen) = paste_at_the_prompt(&lab, &paste).await;
        assert_eq!(code, 65, "{what}: refused as a bad paste:\n{seen}");
        assert!(
            seen.contains("has a line break after 80 of its 108 characters"),
            "{what}:\n{seen}"
        );
        assert!(seen.contains("nothing was sent"), "{what}:\n{seen}");
        assert_eq!(
            left, "",
            "{what}: the shell read nothing of the paste:\n{seen}"
        );
        assert!(
            !seen.contains(second) && !seen.contains(&first[13..60]),
            "{what}: no part of the token was echoed:\n{seen}"
        );
    }
    assert_eq!(
        lab.sshd.connections(),
        connections,
        "no connection was made"
    );
    assert_eq!(openclaw_profiles(&oc, &gw.home), before, "nothing stored");

    // One line, pasted and then Enter: stored where it serves the routes.
    let good = token("oneline");
    let (code, left, seen) =
        paste_at_the_prompt(&lab, format!("\x1b[200~{good}\x1b[201~\r").as_bytes()).await;
    assert_eq!(code, 0, "{seen}");
    assert_eq!(left, "", "{seen}");
    assert!(!seen.contains(&good[13..60]), "not echoed:\n{seen}");
    assert_eq!(openclaw_check(&oc, &gw.home), 0, "the real CLI: fixed");
    let p = openclaw_profiles(&oc, &gw.home)
        .into_iter()
        .find(|p| p["profileId"] == "anthropic:manual")
        .expect("anthropic:manual");
    let left_ms = p["expiresAt"].as_i64().expect("expiresAt") - now_ms();
    assert!(left_ms > 364 * 24 * 3_600_000, "{p}");
}
