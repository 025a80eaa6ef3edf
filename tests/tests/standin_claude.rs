//! The `claude setup-token` stand-in (tests/standins/claude) in a real PTY, read by the re-auth
//! flow's `Screen`: the exact authorize URL in plain and OSC-8 form, the exact token after the
//! right code, the OAuth error after a wrong one. While each flow runs, every process's argv and
//! environment is sampled: the token must never appear in any of them.

use std::time::Duration;

use camino::Utf8PathBuf;
use clawauth_core::gateway::local::{LocalGateway, LocalPty};
use clawauth_core::gateway::{Command, Gateway, Pty, PtyEvent, PtySize};
use clawauth_core::openclaw::env::Environment;
use clawauth_core::reauth::scan::Screen;
use clawauth_tests::repair_lab::{ArgvWatch, holds};
use clawauth_tests::standins::{ClaudeConf, ClaudeMode, install_claude_standin};

const PREFIXES: [&str; 2] = [
    "https://claude.com/cai/oauth/authorize",
    "https://claude.ai/oauth/authorize",
];
const STEP: Duration = Duration::from_secs(20);

struct Gw {
    _tmp: tempfile::TempDir,
    home: Utf8PathBuf,
    /// `<bin>/claude`: the stand-in as the gateway runs it.
    claude: Utf8PathBuf,
    gw: LocalGateway,
    conf: ClaudeConf,
}

fn gateway(seed: &str, mode: ClaudeMode) -> Gw {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = Utf8PathBuf::try_from(tmp.path().to_path_buf()).expect("utf-8 tmp");
    let home = root.join("home");
    let bin = root.join("bin");
    std::fs::create_dir_all(&home).expect("home");
    let mut conf = ClaudeConf::new(seed);
    conf.mode = mode;
    conf.log = Some(root.join("claude.log"));
    install_claude_standin(&home, &bin, &conf);
    let env = Environment::empty()
        .with("HOME", home.as_str())
        .with("PATH", format!("{bin}:/usr/bin:/bin"))
        .with("LANG", "C.UTF-8");
    Gw {
        _tmp: tmp,
        home,
        claude: bin.join("claude"),
        gw: LocalGateway::new("here", env),
        conf,
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// `claude ARG` started in an 80-column PTY on the test gateway, and an empty screen for it.
/// Watches /proc for `g`'s token, with the stand-in's `setup-token` command line as witness.
fn token_watch(g: &Gw) -> ArgvWatch {
    ArgvWatch::with_witness(
        vec![g.conf.token.clone()],
        Some(format!("{}\0setup-token", g.claude).into_bytes()),
    )
}

async fn start(g: &Gw, arg: &str) -> (LocalPty, Screen) {
    let pty =
        g.gw.open_pty(&Command::new("claude").arg(arg), PtySize::default())
            .await
            .expect("open pty");
    (pty, Screen::new(80))
}

/// Reads the PTY into `screen` (and `raw`) until `done(screen)` holds (`Ok(None)`), the program
/// exits (`Ok(Some(status))`), or `STEP` passes (`Err`).
async fn read_until(
    pty: &mut LocalPty,
    screen: &mut Screen,
    raw: &mut Vec<u8>,
    done: impl Fn(&Screen) -> bool,
) -> Result<Option<Option<i32>>, String> {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        if done(screen) {
            return Ok(None);
        }
        match tokio::time::timeout_at(deadline, pty.next()).await {
            Ok(Some(PtyEvent::Output(b))) => {
                screen.feed(&b);
                raw.extend_from_slice(&b);
            }
            Ok(Some(PtyEvent::Exit(code))) => return Ok(Some(code)),
            Ok(None) => return Ok(Some(None)),
            Err(_) => return Err(format!("nothing more within {}s", STEP.as_secs())),
        }
    }
}

/// The whole flow with the right code: URL, code, token.
fn right_code_flow(mode: ClaudeMode) {
    let g = gateway(&format!("right-{}", mode.as_str()), mode);
    let sampler = token_watch(&g);
    let (raw, exit, url, token) = rt().block_on(async {
        let (mut pty, mut screen) = start(&g, "setup-token").await;
        let mut raw = Vec::new();
        let r = read_until(&mut pty, &mut screen, &mut raw, |s| {
            s.contains("Paste code here if prompted >")
        })
        .await;
        assert_eq!(r, Ok(None), "{:?}", screen.tail(20));
        let url = screen.find_url(&PREFIXES);
        sampler.settle().await;
        screen.clear();
        pty.write(format!("{}\r", g.conf.code).as_bytes())
            .await
            .expect("write code");
        let exit = read_until(&mut pty, &mut screen, &mut raw, |_| false).await;
        let token = screen.find_token("sk-ant-oat01-");
        assert!(screen.error_line().is_none(), "{:?}", screen.tail(20));
        assert!(screen.contains("Long-lived authentication token created successfully!"));
        pty.close().await;
        (raw, exit, url, token)
    });
    let report = sampler.stop();

    let expected_url = g.conf.authorize_url();
    assert_eq!(expected_url.len(), 346);
    assert_eq!(url.as_deref(), Some(expected_url.as_str()));
    let token = token.expect("a token");
    assert_eq!(token.expose().len(), 108);
    assert!(
        token.expose() == g.conf.token,
        "the token read is not the one printed"
    );
    assert_eq!(exit, Ok(Some(Some(0))));

    let osc8 = holds(&raw, format!("\x1b]8;;{expected_url}").as_bytes());
    assert_eq!(
        osc8,
        mode == ClaudeMode::Osc8,
        "OSC-8 hyperlink present: {osc8}"
    );
    // The URL really was hard-wrapped at 80 columns on the terminal.
    assert!(holds(
        &raw,
        format!("{}\r\n", &expected_url[..80]).as_bytes()
    ));
    assert!(!holds(&raw, expected_url.as_bytes()) || mode == ClaudeMode::Osc8);

    assert!(report.rounds > 0 && report.saw_witness > 0, "{report:?}");
    report.assert_no_leaks("the token");
    let log = std::fs::read_to_string(g.conf.log.as_ref().expect("log")).expect("stand-in log");
    assert!(log.contains("argv: setup-token"), "{log}");
    assert!(log.contains(&format!("read: {}", g.conf.code)), "{log}");
    assert!(
        !log.contains(&g.conf.token[20..60]),
        "the stand-in logged the token"
    );
    // Only the configuration file holds the token on the gateway.
    assert!(g.home.join(".clawauth-standin/claude.conf").is_file());
}

#[test]
fn plain_url_then_code_gives_the_exact_token() {
    right_code_flow(ClaudeMode::Ok);
}

#[test]
fn osc8_url_then_code_gives_the_exact_token() {
    right_code_flow(ClaudeMode::Osc8);
}

#[test]
fn wrong_code_gives_the_oauth_error() {
    let g = gateway("wrong", ClaudeMode::Ok);
    let sampler = token_watch(&g);
    let (exit, error, token) = rt().block_on(async {
        let (mut pty, mut screen) = start(&g, "setup-token").await;
        let mut raw = Vec::new();
        let r = read_until(&mut pty, &mut screen, &mut raw, |s| {
            s.contains("Paste code here if prompted >")
        })
        .await;
        assert_eq!(r, Ok(None), "{:?}", screen.tail(20));
        assert!(screen.error_line().is_none());
        sampler.settle().await;
        screen.clear();
        pty.write(b"not-the-code#x\r").await.expect("write");
        let r = read_until(&mut pty, &mut screen, &mut raw, |s| {
            s.contains("Press Enter to retry.")
        })
        .await;
        assert_eq!(r, Ok(None), "{:?}", screen.tail(20));
        let error = screen.error_line();
        sampler.settle().await;
        pty.write(b"\r").await.expect("write");
        let exit = read_until(&mut pty, &mut screen, &mut raw, |_| false).await;
        let token = screen.find_token("sk-ant-oat01-");
        pty.close().await;
        (exit, error, token)
    });
    let report = sampler.stop();
    assert_eq!(
        error.as_deref(),
        Some("OAuth error: Invalid code. Please make sure the full code was copied")
    );
    assert!(token.is_none());
    assert_eq!(exit, Ok(Some(Some(1))));
    assert!(report.saw_witness > 0, "{report:?}");
    report.assert_no_leaks("the token");
}

#[test]
fn failure_modes_before_the_url() {
    let g = gateway("exit", ClaudeMode::ExitBeforeUrl);
    let (exit, url, error) = rt().block_on(async {
        let (mut pty, mut screen) = start(&g, "setup-token").await;
        let exit = read_until(&mut pty, &mut screen, &mut Vec::new(), |_| false).await;
        (exit, screen.find_url(&[]), screen.error_line())
    });
    assert_eq!(exit, Ok(Some(Some(1))));
    assert_eq!(url, None);
    assert_eq!(error.as_deref(), Some("Error: could not start the sign-in"));

    let g = gateway("hang", ClaudeMode::HangBeforeUrl);
    rt().block_on(async {
        let (mut pty, mut screen) = start(&g, "setup-token").await;
        let mut raw = Vec::new();
        let r = read_until(&mut pty, &mut screen, &mut raw, |s| {
            s.contains("Opening browser to sign in")
        })
        .await;
        assert_eq!(r, Ok(None));
        let more = tokio::time::timeout(Duration::from_millis(500), pty.next()).await;
        assert!(more.is_err(), "it hangs before the URL");
        assert_eq!(screen.find_url(&[]), None);
        pty.close().await;
    });
}

#[test]
fn version_and_no_token_modes() {
    let g = gateway("version", ClaudeMode::NoToken);
    let (exit, text) = rt().block_on(async {
        let (mut pty, mut screen) = start(&g, "--version").await;
        let exit = read_until(&mut pty, &mut screen, &mut Vec::new(), |_| false).await;
        (exit, screen.tail(5))
    });
    assert_eq!(exit, Ok(Some(Some(0))));
    assert_eq!(text, ["2.1.92 (Claude Code)"]);

    let token = rt().block_on(async {
        let (mut pty, mut screen) = start(&g, "setup-token").await;
        let mut raw = Vec::new();
        let r = read_until(&mut pty, &mut screen, &mut raw, |s| {
            s.contains("Paste code here")
        })
        .await;
        assert_eq!(r, Ok(None));
        pty.write(format!("{}\r", g.conf.code).as_bytes())
            .await
            .expect("write");
        let exit = read_until(&mut pty, &mut screen, &mut raw, |_| false).await;
        assert_eq!(exit, Ok(Some(Some(0))));
        assert!(screen.contains("created successfully"));
        screen.find_token("sk-ant-oat01-")
    });
    assert!(token.is_none());
}
