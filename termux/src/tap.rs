//! `clawauth termux quick|guided|sync`: the one-tap flows behind the Termux:Widget shortcuts
//! (they replace termux-quick-auth.sh, termux-auth-widget.sh and termux-sync-widget.sh). Each
//! tap opens one SSH connection, whatever it does over it. What to show comes from the core
//! ([`clawauth_core::tap::glance`], the sync and re-auth results); this module only renders it
//! through Termux:API — toasts, vibration, notifications, dialogs, the browser — and falls back
//! to the terminal when Termux:API is missing.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::termux_api::{self, ApiError, Button, Notification};
use clap::Args;
use clawauth_core::actions::Session;
use clawauth_core::actions::sync::{self, SyncAction, SyncOptions, SyncResult};
use clawauth_core::gateway::Gateway;
use clawauth_core::monitor::observe::Level;
use clawauth_core::reauth::{self, ReauthResult, ReauthUi, Step};
use clawauth_core::secrets::Secret;
use clawauth_core::tap::{self, Glance};
use clawauth_core::time::{expires_in, expiry, to_ms};

use clawauth_core::display::visible as v;

use crate::cli_common::parse_at;
use crate::repair::{Format, Job, Where, code, print_json, run_job_at};
use clawauth_core::actions::run::Unreached;

/// Vibration lengths (ms): a nudge, a warning, an alarm.
const NUDGE: u32 = 60;
const WARN: u32 = 150;
const ALARM: u32 = 400;

#[derive(Debug, Args)]
pub struct TapArgs {
    #[command(flatten)]
    at: Where,
    /// Check as of this moment (time travel, to see what a tap will say): Unix ms, RFC 3339 or an offset (+6d)
    #[arg(long = "at", value_name = "TIME", allow_hyphen_values = true)]
    when: Option<String>,
}

/// Android through Termux:API; the terminal when it is missing (said once per run).
#[derive(Clone, Default)]
pub struct Phone {
    said_missing: Arc<AtomicBool>,
}

impl Phone {
    fn failed(&self, e: &ApiError) {
        if e.is_missing() {
            if !self.said_missing.swap(true, Ordering::Relaxed) {
                eprintln!("note: {e}; showing everything here instead");
            }
        } else {
            eprintln!("warning: {e}");
        }
    }

    /// A toast; the text also goes to stdout (the terminal, or Termux's log of a task). Like
    /// everything the phone shows, made visible (the core's termux_api does so for Android).
    pub fn toast(&self, text: &str, short: bool) {
        println!("{}", v(text));
        if let Err(e) = termux_api::toast(text, short) {
            self.failed(&e);
        }
    }

    pub fn vibrate(&self, ms: u32) {
        if let Err(e) = termux_api::vibrate(ms) {
            self.failed(&e);
        }
    }

    pub fn notify(&self, n: &Notification) {
        if let Err(e) = termux_api::notify(n) {
            self.failed(&e);
            println!("{}", v(&n.title));
            for line in n.content.lines() {
                println!("{}", v(line));
            }
        }
    }

    pub fn remove_notification(&self, id: &str) {
        if let Err(e) = termux_api::remove_notification(id) {
            // Nothing to show in the terminal for a notification that is not there.
            if !e.is_missing() {
                self.failed(&e);
            }
        }
    }

    pub fn open_url(&self, url: &str) {
        if let Err(e) = termux_api::open_url(url) {
            self.failed(&e);
            println!("open this page in your browser:\n\n{}\n", v(url));
        }
    }

    /// A choice; without Termux:API, asked on the terminal (`None` without one).
    pub fn radio(&self, title: &str, options: &[&str]) -> Option<usize> {
        match termux_api::radio(title, options) {
            Ok(choice) => choice,
            Err(e) => {
                self.failed(&e);
                let mut prompt = format!("{}\n", v(title));
                for (i, o) in options.iter().enumerate() {
                    prompt.push_str(&format!("  {}) {}\n", i + 1, v(o)));
                }
                prompt.push_str("choose");
                terminal_line(&prompt)
                    .and_then(|l| l.trim().parse::<usize>().ok())
                    .and_then(|n| n.checked_sub(1))
                    .filter(|i| *i < options.len())
            }
        }
    }

    pub fn confirm(&self, title: &str, text: &str) -> bool {
        match termux_api::confirm(title, text) {
            Ok(yes) => yes,
            Err(e) => {
                self.failed(&e);
                matches!(
                    terminal_line(&format!("{}: {} [y/N]", v(title), v(text)))
                        .as_deref()
                        .map(str::trim),
                    Some("y" | "Y" | "yes")
                )
            }
        }
    }

    /// A line of text, hidden when `hidden`; `None` when cancelled (or no way to ask).
    pub fn text(&self, title: &str, hint: &str, hidden: bool) -> Option<Secret> {
        match termux_api::text(title, hint, hidden) {
            Ok(answer) => answer,
            Err(e) => {
                self.failed(&e);
                if !std::io::stdin().is_terminal() {
                    return None;
                }
                let (title, hint) = (v(title), v(hint));
                if hidden {
                    crate::prompt::read_hidden(&format!("{title}: {hint} (input hidden): "))
                        .ok()
                        .map(|raw| Secret::new(String::from_utf8_lossy(&raw).into_owned()))
                } else {
                    terminal_line(&format!("{title}: {hint}")).map(Secret::new)
                }
            }
        }
    }
}

/// One line from the terminal, or `None` when stdin is not one.
fn terminal_line(prompt: &str) -> Option<String> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    crate::repair::prompt_line(prompt)
}

/// Runs blocking phone work from inside the async flow.
fn on_phone<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// The notification id of a host's auth alert (replaced, not stacked, by later taps).
fn notification_id(host: &str) -> String {
    format!("clawauth-{host}")
}

/// The shell command (run by Termux when a notification button is tapped, without a
/// terminal) that starts the guided flow for `host`.
fn guided_action(host: &str) -> Option<String> {
    let env = clawauth_core::openclaw::env::Environment::from_process();
    crate::termux_setup::command_line(&env, &["termux", "guided", "--host", host])
}

/// The notification for a credential that stopped working: its button starts the guided
/// re-auth.
fn alert(g: &Glance) -> Notification {
    let action = guided_action(&g.host);
    let mut content = g.detail.clone();
    if action.is_some() {
        content.push_str("\nTap Re-auth for the guided re-auth.");
    }
    Notification {
        id: notification_id(&g.host),
        group: Some("clawauth".into()),
        title: g.headline.clone(),
        content,
        priority: Some("high"),
        vibrate: None,
        action: action.clone(),
        buttons: action
            .map(|a| {
                vec![Button {
                    label: "Re-auth".into(),
                    action: a,
                }]
            })
            .unwrap_or_default(),
    }
}

/// The quick check's answer to a glance: toast, buzz, and for a lapsed credential the fix page
/// and a notification that starts the guided re-auth.
fn show_quick(phone: &Phone, g: &Glance) {
    match g.level {
        Level::Ok => phone.toast(&g.headline, true),
        Level::Expiring => {
            phone.vibrate(WARN);
            phone.toast(&format!("{} · re-auth soon", g.headline), false);
        }
        Level::Expired | Level::Missing => {
            phone.vibrate(ALARM);
            match &g.page {
                Some(page) => {
                    phone.toast(&format!("{} · opening the fix page", g.headline), false);
                    phone.open_url(page);
                }
                None => phone.toast(&g.headline, false),
            }
            phone.notify(&alert(g));
        }
        Level::Unreachable => phone.toast(&g.headline, false),
    }
}

/// The moment to check at, and the host: `--host`, else the only host in config.toml (with
/// none configured, this machine — the gateway itself).
fn prepare(args: &mut TapArgs) -> Result<Option<chrono::DateTime<chrono::Utc>>, ExitCode> {
    let when = parse_at(args.when.as_deref(), chrono::Utc::now())?;
    if args.at.host.is_none() {
        let env = clawauth_core::openclaw::env::Environment::from_process();
        let (path, config) = crate::remote::load_config(&env)?;
        let names: Vec<&String> = config.hosts.keys().collect();
        match names.as_slice() {
            [] => {}
            [one] => args.at.host = Some((*one).clone()),
            many => {
                return Err(crate::usage_error(
                    &format!(
                        "{path} has {} hosts ({}): which one?",
                        many.len(),
                        many.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "add --host NAME (`clawauth termux setup` writes a shortcut per host)",
                ));
            }
        }
    }
    Ok(when)
}

/// Runs a tap: settles host and moment, toasts `greeting` ("Checking gw…") when given, and runs
/// the job made for the phone over one connection.
fn launch<J: Job>(
    mut args: TapArgs,
    greeting: Option<&str>,
    job: impl FnOnce(Phone) -> J,
) -> ExitCode {
    let when = match prepare(&mut args) {
        Ok(w) => w,
        Err(code) => return code,
    };
    let phone = Phone::default();
    if let (Some(g), Some(h)) = (greeting, &args.at.host) {
        phone.toast(&format!("{g} {h}…"), true);
    }
    run_job_at(&args.at, when, job(phone))
}

// ---------------------------------------------------------------------------------------------
// quick

/// `clawauth termux quick`: check, show.
pub fn quick(args: TapArgs) -> ExitCode {
    struct Quick {
        phone: Phone,
        format: Format,
    }
    impl Quick {
        fn show(&self, g: &Glance) -> ExitCode {
            if let Format::Json = self.format {
                print_json(g);
            }
            on_phone(|| show_quick(&self.phone, g));
            code(g.exit_code)
        }
    }
    impl Job for Quick {
        async fn run<G: Gateway>(self, s: &Session<'_, G>) -> ExitCode {
            let report = s.check().await;
            self.show(&tap::glance(
                &report,
                s.conn.transport == clawauth_core::report::Transport::Ssh,
            ))
        }
        fn unreachable(self, host: &str, why: &Unreached) -> ExitCode {
            self.show(&tap::unreachable(host, &why.message, true))
        }
    }
    let format = args.at.format;
    launch(args, None, |phone| Quick { phone, format })
}

// ---------------------------------------------------------------------------------------------
// guided

/// `clawauth termux guided`: check, and when a credential is expiring or gone, offer the
/// re-auth now (run over the same connection) or later.
pub fn guided(args: TapArgs) -> ExitCode {
    struct Guided {
        phone: Phone,
    }
    impl Job for Guided {
        async fn run<G: Gateway>(self, s: &Session<'_, G>) -> ExitCode {
            let remote = s.conn.transport == clawauth_core::report::Transport::Ssh;
            let report = s.check().await;
            let g = tap::glance(&report, remote);
            let phone = self.phone.clone();
            let checked = code(g.exit_code);
            match g.level {
                Level::Ok => {
                    on_phone(|| {
                        phone.vibrate(NUDGE);
                        phone.toast(&g.headline, true);
                    });
                    return checked;
                }
                Level::Unreachable => {
                    on_phone(|| {
                        phone.vibrate(WARN);
                        phone.toast(&g.headline, false);
                    });
                    return checked;
                }
                Level::Expiring | Level::Expired | Level::Missing => {}
            }
            let lapsed = g.level != Level::Expiring;
            let choice = on_phone(|| {
                phone.vibrate(if lapsed { ALARM } else { WARN });
                phone.radio(&g.headline, &["Re-auth now", "Later"])
            });
            let Some(offer) = tap::offer(&g).filter(|_| choice == Some(0)) else {
                on_phone(|| {
                    if lapsed {
                        phone.toast(
                            &format!(
                                "{}: its models stay down until you re-auth (notification posted)",
                                g.host
                            ),
                            false,
                        );
                        phone.notify(&alert(&g));
                    } else {
                        phone.toast(&format!("Reminder: {}", g.headline), false);
                    }
                });
                return checked;
            };
            // The re-auth stores the new credential where it serves the flagged routes.
            let req = offer.request();
            let mut ui = PhoneUi {
                phone: phone.clone(),
                host: g.host.clone(),
            };
            let r = reauth::run(s, &req, &mut ui).await;
            on_phone(|| show_reauth(&phone, &r));
            code(r.exit_code())
        }

        fn deadline(&self) -> std::time::Duration {
            crate::repair::REAUTH_DEADLINE
        }

        fn unreachable(self, host: &str, why: &Unreached) -> ExitCode {
            let g = tap::unreachable(host, &why.message, true);
            self.phone.vibrate(WARN);
            self.phone.toast(&g.headline, false);
            ExitCode::from(3)
        }
    }
    launch(args, Some("Checking"), |phone| Guided { phone })
}

fn show_reauth(phone: &Phone, r: &ReauthResult) {
    let host = &r.host;
    if let Some(f) = &r.failure {
        phone.vibrate(ALARM);
        phone.toast(
            &format!(
                "{host}: re-auth of {} failed: {f} · the old credential is still in place",
                r.provider
            ),
            false,
        );
        return;
    }
    let agents = r.after.as_ref().map_or(1, |a| a.agents.len());
    match &r.judgement {
        Some(j) if !j.fixed => {
            phone.vibrate(ALARM);
            phone.toast(
                &format!(
                    "{host}: new {} credential stored, but {}",
                    r.provider,
                    j.summary(agents)
                ),
                false,
            );
            return;
        }
        Some(j) => {
            phone.vibrate(NUDGE);
            phone.toast(
                &format!(
                    "{host}: {} re-authenticated · {}",
                    r.provider,
                    j.summary(agents)
                ),
                false,
            );
        }
        None => {
            let after = r.after.as_ref().map(|a| tap::glance(a, true));
            let expires = r
                .new_expires_at_ms
                .map(|e| {
                    let now = r
                        .after
                        .as_ref()
                        .map_or_else(|| to_ms(chrono::Utc::now()), |a| to_ms(a.as_of));
                    format!(" · {}", expires_in(e - now))
                })
                .unwrap_or_default();
            phone.vibrate(NUDGE);
            phone.toast(
                &format!(
                    "{host}: {} re-authenticated{expires}{}",
                    r.provider,
                    after
                        .filter(|g| g.level != Level::Ok)
                        .map(|g| format!(" · but still: {}", g.headline))
                        .unwrap_or_default()
                ),
                false,
            );
        }
    }
    phone.remove_notification(&notification_id(host));
}

/// The guided re-auth on the phone: the browser for the sign-in, dialogs for the code and
/// secrets, toasts for progress.
struct PhoneUi {
    phone: Phone,
    host: String,
}

impl ReauthUi for PhoneUi {
    fn step(&mut self, step: &Step) -> impl Future<Output = ()> + Send {
        let line = match step {
            Step::Checking { host } => format!("checking {host}…"),
            Step::Status { summary, .. } => format!("now: {summary}"),
            Step::Started { program } => format!("started `{program}` on the gateway"),
            Step::WaitingForBrowser => {
                let phone = self.phone.clone();
                on_phone(|| {
                    phone.toast("Sign in in the browser, then copy the code it shows", false)
                });
                "sign in in the browser; it then shows a code".into()
            }
            Step::DeviceCode { url, code } => {
                let phone = self.phone.clone();
                let text = format!("Enter the code {code} at {url}");
                on_phone(|| phone.toast(&text, false));
                text
            }
            Step::WaitingForToken => "waiting for the new token…".into(),
            Step::Storing { profile, reason } => format!("storing it as {profile} — {reason}…"),
            Step::Restart { .. } => "restarting the gateway service if it runs…".into(),
            Step::Rechecking => "re-checking…".into(),
        };
        // Names, URLs and codes in a step come from the gateway.
        eprintln!("==> {}: {}", self.host, v(&line));
        std::future::ready(())
    }

    fn open_url(&mut self, url: &str) -> impl Future<Output = ()> + Send {
        let phone = self.phone.clone();
        let url = url.to_owned();
        async move {
            let _ = tokio::task::spawn_blocking(move || phone.open_url(&url)).await;
        }
    }

    fn ask_code(&mut self, prompt: &str) -> impl Future<Output = Option<String>> + Send {
        let phone = self.phone.clone();
        let title = format!("{}: sign-in code", self.host);
        let prompt = prompt.to_owned();
        async move {
            tokio::task::spawn_blocking(move || {
                phone
                    .text(&title, &prompt, false)
                    .map(|s| s.expose().trim().to_owned())
            })
            .await
            .ok()
            .flatten()
        }
    }

    fn ask_secret(&mut self, prompt: &str) -> impl Future<Output = Option<Secret>> + Send {
        let phone = self.phone.clone();
        let title = format!("{}: paste", self.host);
        let prompt = prompt.to_owned();
        async move {
            tokio::task::spawn_blocking(move || phone.text(&title, &prompt, true))
                .await
                .ok()
                .flatten()
        }
    }

    fn confirm(&mut self, question: &str) -> impl Future<Output = bool> + Send {
        let phone = self.phone.clone();
        let title = self.host.clone();
        let question = question.to_owned();
        async move {
            tokio::task::spawn_blocking(move || phone.confirm(&title, &question))
                .await
                .unwrap_or(false)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// sync

/// `clawauth termux sync`: hand Claude Code's login on the gateway to OpenClaw, restart, and
/// toast the new expiry.
pub fn sync(args: TapArgs) -> ExitCode {
    struct SyncTap {
        phone: Phone,
    }
    impl Job for SyncTap {
        async fn run<G: Gateway>(self, s: &Session<'_, G>) -> ExitCode {
            let r = sync::sync(s, &SyncOptions::default()).await;
            on_phone(|| show_sync(&self.phone, &r));
            code(r.exit_code())
        }
        fn unreachable(self, host: &str, why: &Unreached) -> ExitCode {
            let g = tap::unreachable(host, &why.message, true);
            self.phone.vibrate(ALARM);
            self.phone
                .toast(&format!("Sync failed · {}", g.headline), false);
            ExitCode::from(3)
        }
    }
    launch(args, Some("Syncing"), |phone| SyncTap { phone })
}

fn show_sync(phone: &Phone, r: &SyncResult) {
    let host = &r.host;
    let now = to_ms(chrono::Utc::now());
    if let Some(e) = &r.error {
        phone.vibrate(ALARM);
        phone.toast(&format!("{host}: sync failed · {e}"), false);
        return;
    }
    match r.action {
        SyncAction::Synced => {
            let restarted = match &r.restart {
                Some(clawauth_core::actions::ServiceRestart::Restarted) => " · gateway restarted",
                _ => "",
            };
            let agents = r.after.as_ref().map_or(1, |a| a.agents.len());
            let toast = match &r.judgement {
                // The token went somewhere OpenClaw does not use for the routes.
                Some(j) if j.routes.iter().any(|x| !x.uses_new) => {
                    phone.vibrate(ALARM);
                    format!("{host}: synced, but {}{restarted}", j.summary(agents))
                }
                Some(j) => {
                    phone.vibrate(WARN);
                    format!("{host}: synced · {}{restarted}", j.summary(agents))
                }
                None => {
                    let expiry = r
                        .new_expires_at_ms
                        .map(|e| format!(" · {}", expiry(e, now)))
                        .unwrap_or_default();
                    phone.vibrate(WARN);
                    format!("{host}: synced{expiry}{restarted}")
                }
            };
            phone.toast(&toast, false);
            // The alert was for a lapsed credential; it is outdated unless a route still fails.
            let still_failing = r
                .judgement
                .as_ref()
                .is_some_and(|j| j.routes.iter().any(|x| x.outcome.is_none_or(|o| o.fails())));
            if !still_failing {
                phone.remove_notification(&notification_id(host));
            }
        }
        SyncAction::UpToDate if r.note.is_some() => {
            let note = r.note.as_deref().unwrap_or_default();
            phone.toast(&format!("{host}: nothing to sync · {note}"), false);
        }
        SyncAction::UpToDate => {
            let expiry = r
                .openclaw_expires_at_ms
                .map(|e| format!(" · {}", expiry(e, now)))
                .unwrap_or_default();
            phone.toast(&format!("{host}: already in sync{expiry}"), false);
        }
        SyncAction::WouldSync | SyncAction::NotSynced => {
            phone.vibrate(ALARM);
            phone.toast(&format!("{host}: nothing synced"), false);
        }
    }
}
