//! Android notifications from Termux (Termux:API's `termux-notification`), for the monitor's
//! phone channel: the notification, its buttons, and the shell line a button runs. The rest of
//! Termux:API (toasts, dialogs, the clipboard, the job scheduler) belongs to the Termux front
//! end (`termux/src/termux_api.rs`), which reuses [`run`] and [`ApiError`] from here.
//!
//! Each call runs the command (found on PATH, as Termux installs them with
//! `pkg install termux-api`) with a time limit: a command whose Termux:API app is missing or not
//! allowed to run never answers, so nothing here waits forever. A missing command is
//! [`ApiError::Missing`]; front ends answer it by falling back to the terminal and saying
//! [`INSTALL_HINT`]. Secrets only ever travel on stdout, never on a command line.
//!
//! Blocking on purpose (the commands are short-lived processes); async callers wrap a call in
//! `tokio::task::spawn_blocking`.
//!
//! Every text that reaches the screen is made [`visible`] here, the last step before Android, so
//! a control character from a gateway can never reach it raw. Commands that Termux runs for a
//! button are shell lines whose every word is quoted ([`run_command_action`]).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::display::visible;
/// `text` for a screen: each line made [`visible`], the line breaks kept.
pub fn visible_lines(text: &str) -> String {
    text.split('\n')
        .map(|l| visible(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The shell line a notification button runs (Termux hands it to a shell) to start
/// `program args…` in a new Termux session, through Termux's RUN_COMMAND service
/// (`am startservice … com.termux.RUN_COMMAND`). `program` and the argument list are each one
/// shell-quoted word; inside the list, which `am --esa` splits at commas, every comma is
/// escaped as `\,` (am's own escape). Refused: a control character anywhere, and an argument
/// ending in a backslash (am would read it as escaping the next comma).
pub fn run_command_action(program: &str, args: &[String]) -> Result<String, String> {
    if let Some(a) = args.iter().find(|a| a.ends_with('\\')) {
        return Err(format!(
            "the argument {} ends in a backslash, which `am --esa` cannot carry",
            visible(a)
        ));
    }
    let list = args
        .iter()
        .map(|a| a.replace(',', "\\,"))
        .collect::<Vec<_>>()
        .join(",");
    let bin = crate::gateway::quote(program).map_err(|e| e.to_string())?;
    let list = crate::gateway::quote(&list).map_err(|e| e.to_string())?;
    Ok(format!(
        "am startservice --user 0 -n com.termux/com.termux.app.RunCommandService -a com.termux.RUN_COMMAND --es com.termux.RUN_COMMAND_PATH {bin} --esa com.termux.RUN_COMMAND_ARGUMENTS {list} --ez com.termux.RUN_COMMAND_BACKGROUND false"
    ))
}

/// How to get the commands.
pub const INSTALL_HINT: &str = "install the Termux:API app (from the same place as Termux: F-Droid or GitHub) and run `pkg install termux-api`";

/// Time limit for commands that answer at once (toast, vibrate, notification, open-url,
/// clipboard, job-scheduler).
pub const QUICK: Duration = Duration::from_secs(15);
/// Largest output read from a command (a clipboard, a dialog's JSON).
const MAX_OUTPUT: u64 = 64 * 1024;
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{program} is not installed; {INSTALL_HINT}")]
    Missing { program: &'static str },
    #[error("{program} did not answer within {}s (is the Termux:API app installed and allowed to run?)", timeout.as_secs())]
    TimedOut {
        program: &'static str,
        timeout: Duration,
    },
    #[error("{program} failed: {detail}")]
    Failed {
        program: &'static str,
        detail: String,
    },
}

impl ApiError {
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::Missing { .. })
    }
}

/// A notification button: its label and the shell command Termux runs when it is tapped (in the
/// background, without a terminal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub label: String,
    pub action: String,
}

/// What `termux-notification` posts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notification {
    /// Posting again with the same id replaces it.
    pub id: String,
    pub title: String,
    pub content: String,
    /// min, low, default, high, max.
    pub priority: Option<&'static str>,
    pub group: Option<String>,
    /// Up to three buttons.
    pub buttons: Vec<Button>,
    /// Run when the notification itself is tapped.
    pub action: Option<String>,
    /// Vibration pattern in ms, e.g. `300,150,300`.
    pub vibrate: Option<String>,
}

impl Notification {
    /// The arguments of `termux-notification`.
    pub fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = vec!["--id".into(), self.id.clone()];
        if let Some(g) = &self.group {
            a.extend(["--group".into(), g.clone()]);
        }
        a.extend([
            "--title".into(),
            visible(&self.title).into_owned(),
            "--content".into(),
            visible_lines(&self.content),
        ]);
        if let Some(p) = self.priority {
            a.extend(["--priority".into(), p.into()]);
        }
        if let Some(v) = &self.vibrate {
            a.extend(["--vibrate".into(), v.clone()]);
        }
        if let Some(act) = &self.action {
            a.extend(["--action".into(), act.clone()]);
        }
        for (i, b) in self.buttons.iter().take(3).enumerate() {
            let n = i + 1;
            a.extend([
                format!("--button{n}"),
                visible(&b.label).into_owned(),
                format!("--button{n}-action"),
                b.action.clone(),
            ]);
        }
        a
    }
}

/// Posts (or replaces) a notification.
pub fn notify(n: &Notification) -> Result<(), ApiError> {
    run("termux-notification", &n.args(), QUICK).map(drop)
}

/// Runs the Termux:API command `program args`, stdin closed, within `timeout`, and returns its
/// stdout (at most [`MAX_OUTPUT`] bytes).
pub fn run(
    program: &'static str,
    args: &[String],
    timeout: Duration,
) -> Result<Zeroizing<Vec<u8>>, ApiError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ApiError::Missing { program }
            } else {
                ApiError::Failed {
                    program,
                    detail: e.to_string(),
                }
            }
        })?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Zeroizing::new(Vec::new());
        if let Some(s) = stdout {
            let _ = s.take(MAX_OUTPUT).read_to_end(&mut buf);
        }
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr {
            let _ = s.take(MAX_OUTPUT).read_to_end(&mut buf);
        }
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ApiError::TimedOut { program, timeout });
            }
            Err(e) => {
                return Err(ApiError::Failed {
                    program,
                    detail: e.to_string(),
                });
            }
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        let said = crate::redact::last_line(&String::from_utf8_lossy(&err), 300);
        return Err(ApiError::Failed {
            program,
            detail: if said.is_empty() {
                format!("exited with {status}")
            } else {
                format!("exited with {status}: {said}")
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_arguments_carry_id_buttons_and_actions() {
        let n = Notification {
            id: "clawauth-gw".into(),
            title: "gw: Auth expired".into(),
            content: "line one\nline two".into(),
            priority: Some("high"),
            group: Some("clawauth".into()),
            buttons: vec![
                Button {
                    label: "Re-auth".into(),
                    action: "'/bin/clawauth' termux guided --host 'gw'".into(),
                };
                4
            ],
            action: Some("true".into()),
            vibrate: Some("300,150,300".into()),
        };
        let a = n.args();
        assert_eq!(&a[..4], ["--id", "clawauth-gw", "--group", "clawauth"]);
        assert!(
            a.windows(2)
                .any(|w| w == ["--content", "line one\nline two"])
        );
        assert!(a.windows(2).any(|w| w == ["--priority", "high"]));
        assert!(a.windows(2).any(|w| w == ["--action", "true"]));
        assert!(a.contains(&"--button3-action".to_owned()));
        assert!(
            !a.contains(&"--button4".to_owned()),
            "three buttons at most"
        );
    }

    #[test]
    fn a_missing_command_says_how_to_install_it() {
        let e = run(
            "clawauth-no-such-termux-command",
            &[],
            Duration::from_secs(1),
        )
        .expect_err("missing");
        assert!(e.is_missing());
        assert!(e.to_string().contains("pkg install termux-api"), "{e}");
    }

    /// The button's shell line, run by a real shell with `am` played by a function that prints
    /// its argv: the list after `--esa`, split as `am` splits it (at commas not escaped by a
    /// backslash), gives back exactly the arguments — a hostile provider cannot add one.
    #[test]
    fn run_command_arguments_cannot_split_or_inject() {
        let args: Vec<String> = [
            "reauth",
            "--host",
            "gw",
            "--provider",
            "x,--yes",
            "$(touch /tmp/clawauth-am-marker)",
            "it's; reboot",
            "",
        ]
        .map(str::to_owned)
        .to_vec();
        let line = run_command_action("/data/x y/clawauth", &args).expect("action");
        let script = format!("am() {{ printf '%s\\000' \"$@\"; }}\n{line}");
        let out = Command::new("/bin/sh")
            .arg("-c")
            .arg(&script)
            .output()
            .expect("sh");
        let argv: Vec<String> = out
            .stdout
            .split(|b| *b == 0)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        let after = |flag: &str| {
            argv.iter()
                .position(|a| a == flag)
                .and_then(|i| argv.get(i + 2))
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(after("--es"), "/data/x y/clawauth", "{argv:?}");
        let list = after("--esa");
        // am's split (`(?<!\\\\),`), then each `\\,` back to a comma.
        let mut parts = vec![String::new()];
        let mut chars = list.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&',') => {
                    parts.last_mut().expect("part").push(',');
                    chars.next();
                }
                ',' => parts.push(String::new()),
                c => parts.last_mut().expect("part").push(c),
            }
        }
        assert_eq!(parts, args, "{list:?}");
        assert!(!std::path::Path::new("/tmp/clawauth-am-marker").exists());
        assert!(run_command_action("clawauth", &["a\\".to_owned()]).is_err());
        assert!(run_command_action("clawauth", &["a\nb".to_owned()]).is_err());
    }

    #[test]
    fn screen_text_is_visible_line_by_line() {
        let n = Notification {
            id: "x".into(),
            title: "t\u{1b}[2J\r".into(),
            content: "a\u{7}\nb\u{9b}".into(),
            buttons: vec![Button {
                label: "L\u{7f}".into(),
                action: "true".into(),
            }],
            ..Default::default()
        };
        let a = n.args();
        assert!(
            a.windows(2).any(|w| w == ["--title", "t\\e[2J\\r"]),
            "{a:?}"
        );
        assert!(
            a.windows(2).any(|w| w == ["--content", "a\\a\nb\\x9b"]),
            "{a:?}"
        );
        assert!(a.windows(2).any(|w| w == ["--button1", "L\\x7f"]), "{a:?}");
    }
}
