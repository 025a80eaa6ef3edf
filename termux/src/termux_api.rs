//! Termux:API's commands for the Termux front end — how clawauth reaches Android from Termux:
//! toasts, vibration, the browser, dialogs, the clipboard and the job scheduler. Notifications
//! (which the core's monitor posts too) and the runner with its time limit and output cap come
//! from the core ([`clawauth_core::monitor::termux_notification`]).
//!
//! Every text that reaches the screen is made [`visible`] here, the last step before Android.
//! Secrets only ever travel on stdout (a hidden dialog's answer, the clipboard), never on a
//! command line.

use std::time::Duration;

use clawauth_core::display::visible;
use clawauth_core::secrets::Secret;
use zeroize::Zeroizing;

pub use clawauth_core::monitor::termux_notification::{
    ApiError, Button, INSTALL_HINT, Notification, QUICK, notify, run,
};
/// Time limit for a dialog: a person answers it.
pub const DIALOG: Duration = Duration::from_secs(300);
/// Android's JobScheduler runs periodic jobs at most every 15 minutes.
pub const MIN_PERIOD: Duration = Duration::from_secs(15 * 60);

/// A periodic job for `termux-job-scheduler`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: u32,
    /// The script Android runs (no arguments can be given).
    pub script: String,
    /// At least [`MIN_PERIOD`].
    pub period: Duration,
}

impl Job {
    pub fn args(&self) -> Vec<String> {
        vec![
            "--job-id".into(),
            self.id.to_string(),
            "--script".into(),
            self.script.clone(),
            "--period-ms".into(),
            self.period.as_millis().to_string(),
            "--network".into(),
            "any".into(),
            "--persisted".into(),
            "true".into(),
        ]
    }
}

/// Shows a toast (`short`: the brief one).
pub fn toast(text: &str, short: bool) -> Result<(), ApiError> {
    let mut args: Vec<String> = Vec::new();
    if short {
        args.push("-s".into());
    }
    args.push(visible(text).into_owned());
    run("termux-toast", &args, QUICK).map(drop)
}

/// Vibrates for `ms` milliseconds.
pub fn vibrate(ms: u32) -> Result<(), ApiError> {
    run("termux-vibrate", &["-d".to_owned(), ms.to_string()], QUICK).map(drop)
}

/// Removes the notification `id`.
pub fn remove_notification(id: &str) -> Result<(), ApiError> {
    run("termux-notification-remove", &[id.to_owned()], QUICK).map(drop)
}

/// Opens `url` in the browser.
pub fn open_url(url: &str) -> Result<(), ApiError> {
    run("termux-open-url", &[url.to_owned()], QUICK).map(drop)
}

/// The clipboard's content.
pub fn clipboard_get() -> Result<Zeroizing<Vec<u8>>, ApiError> {
    run("termux-clipboard-get", &[], QUICK)
}

/// A yes/no dialog: true for Yes.
pub fn confirm(title: &str, text: &str) -> Result<bool, ApiError> {
    let out = dialog(&["confirm", "-t", &visible(title), "-i", &visible(text)])?;
    Ok(out.text.as_str() == "yes")
}

/// A choice among `options` (commas in them are escaped as termux-dialog wants); `None` when
/// the dialog was dismissed.
pub fn radio(title: &str, options: &[&str]) -> Result<Option<usize>, ApiError> {
    let values = options
        .iter()
        .map(|o| visible(o).replace(',', "\\,"))
        .collect::<Vec<_>>()
        .join(",");
    let out = dialog(&["radio", "-t", &visible(title), "-v", &values])?;
    if out.code != -1 {
        return Ok(None);
    }
    Ok(out
        .index
        .and_then(|i| usize::try_from(i).ok())
        .filter(|i| *i < options.len())
        .or_else(|| options.iter().position(|o| *o == out.text.as_str())))
}

/// A line of text; `hidden` masks it as a password (the answer comes back on stdout only).
/// `None` when the dialog was cancelled.
pub fn text(title: &str, hint: &str, hidden: bool) -> Result<Option<Secret>, ApiError> {
    let (title, hint) = (visible(title), visible(hint));
    let mut args = vec!["text", "-t", &title, "-i", &hint];
    if hidden {
        args.push("-p");
    }
    let mut out = dialog(&args)?;
    if out.code != -1 {
        return Ok(None);
    }
    Ok(Some(Secret::new(std::mem::take(&mut out.text))))
}

/// Registers (or replaces) a periodic job.
pub fn schedule(job: &Job) -> Result<(), ApiError> {
    if job.period < MIN_PERIOD {
        return Err(ApiError::Failed {
            program: "termux-job-scheduler",
            detail: format!(
                "a period of {}s is below Android's minimum of 15 minutes",
                job.period.as_secs()
            ),
        });
    }
    let out = run("termux-job-scheduler", &job.args(), QUICK)?;
    // It exits 0 either way and says on stdout: `Scheduling Job N: … - response 1` when
    // Android took the job (JobScheduler.RESULT_SUCCESS), else why not (`No such file: …`,
    // `- response 0`) (termux-api's JobSchedulerAPI.java).
    let said = String::from_utf8_lossy(&out);
    if said
        .lines()
        .any(|l| l.starts_with("Scheduling") && l.trim_end().ends_with("- response 1"))
    {
        return Ok(());
    }
    Err(ApiError::Failed {
        program: "termux-job-scheduler",
        detail: format!(
            "Android did not take the job: {}",
            said.lines().find(|l| !l.trim().is_empty()).map_or_else(
                || "no answer".to_owned(),
                |l| clawauth_core::redact::last_line(l, 300)
            )
        ),
    })
}

/// Cancels the periodic job `id`.
pub fn cancel_job(id: u32) -> Result<(), ApiError> {
    run(
        "termux-job-scheduler",
        &["--cancel".to_owned(), "--job-id".to_owned(), id.to_string()],
        QUICK,
    )
    .map(drop)
}

/// termux-dialog's answer: `{"code": -1, "text": "…", "index": 0}` (code -1 is Android's
/// BUTTON_POSITIVE; termux-api's DialogAPI.java).
#[derive(serde::Deserialize)]
struct DialogOut {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    text: String,
    #[serde(default)]
    index: Option<i64>,
}

impl Drop for DialogOut {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.text);
    }
}

fn dialog(args: &[&str]) -> Result<DialogOut, ApiError> {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let out = run("termux-dialog", &args, DIALOG)?;
    serde_json::from_slice::<DialogOut>(&out).map_err(|_| ApiError::Failed {
        program: "termux-dialog",
        // Never the output itself: it may be a hidden answer.
        detail: format!(
            "its answer is not the JSON termux-dialog prints ({} bytes)",
            out.len()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_periodic_persisted_and_need_the_network() {
        let j = Job {
            id: 7,
            script: "/x/check".into(),
            period: Duration::from_secs(1800),
        };
        assert_eq!(
            j.args().join(" "),
            "--job-id 7 --script /x/check --period-ms 1800000 --network any --persisted true"
        );
        let short = Job {
            period: Duration::from_secs(60),
            ..j
        };
        assert!(schedule(&short).is_err_and(|e| e.to_string().contains("15 minutes")));
    }

    #[test]
    fn dialog_answers_parse_as_termux_dialog_prints_them() {
        let ok: DialogOut =
            serde_json::from_str(r#"{"code":-1,"text":"Later","index":1}"#).expect("json");
        assert_eq!(
            (ok.code, ok.text.as_str(), ok.index),
            (-1, "Later", Some(1))
        );
        let cancelled: DialogOut = serde_json::from_str(r#"{"code":-2,"text":""}"#).expect("json");
        assert_eq!((cancelled.code, cancelled.index), (-2, None));
    }
}
