//! The CLI's next step for a [`Problem`]. The core says what is wrong, in facts (a fingerprint,
//! a file, the phase that ran out of time); which `clawauth` command or flag fixes it is this
//! front end's business, so the words live here. The widget draws its own buttons from the same
//! problems.

use clawauth_core::display::{shell_word, visible};
use clawauth_core::report::{Phase, Problem, RemoteSource, Report};

/// What to do about `p`, one line without the `hint: ` prefix, or `None` when the problem's own
/// words are all there is to say. `name` is the host as configured (`gw`), for the commands that
/// take it; empty for this machine.
pub fn hint(p: &Problem, name: &str) -> Option<String> {
    let name = if name.is_empty() {
        "NAME".to_owned()
    } else {
        shell_word(name)
    };
    Some(match p {
        Problem::HostKeyUnknown { key_type, .. } => format!(
            "if that is your gateway's key (check with `ssh-keygen -lf /etc/ssh/ssh_host_{}_key.pub` on it), \
             trust it with `clawauth hosts trust {name}`, or pass --accept-new the first time",
            key_file_type(key_type)
        ),
        Problem::HostKeyChanged {
            host, known_hosts, ..
        } => format!(
            "if the gateway really got a new key, remove the old one with `ssh-keygen -R {} -f {}` \
             and trust the new one with `clawauth hosts trust {name}`",
            shell_word(host),
            shell_word(known_hosts)
        ),
        Problem::NoKey { user, .. } => format!(
            "make one with `ssh-keygen -t ed25519`, add ~/.ssh/id_ed25519.pub to ~/.ssh/authorized_keys \
             of {} on the gateway, then `clawauth hosts trust {name}`",
            visible(user)
        ),
        Problem::KeysRefused { user, offered, .. } => format!(
            "add the public key ({}) to ~/.ssh/authorized_keys of {} on the gateway, \
             or point IdentityFile in ~/.ssh/config at a key it accepts",
            visible(&offered.join(", ")),
            visible(user)
        ),
        Problem::KeyNeedsPassphrase { keys } => format!(
            "store it once with `clawauth passphrase set {}`",
            shell_word(keys.first().map_or("KEY", String::as_str))
        ),
        Problem::CannotResolve { .. } => "check the name, or the nameservers \
             (set CLAWAUTH_RESOLV_CONF to a resolv.conf that works)"
            .to_owned(),
        Problem::TimedOut { phase, .. } => match phase {
            Phase::Deadline => "give it longer with --deadline".to_owned(),
            Phase::Connect => {
                "check that the gateway is up and reachable, or give it longer with --connect-timeout"
                    .to_owned()
            }
            Phase::Command => {
                "if OpenClaw is slow there, give it longer with --cli-timeout".to_owned()
            }
        },
        Problem::NeedsOpenclawCli { .. } => "point --openclaw-bin at the openclaw program \
             (`command -v openclaw` shows where it is)"
            .to_owned(),
        Problem::HostKeyRevoked { .. }
        | Problem::CannotConnect { .. }
        | Problem::GatewayCommandFailed { .. }
        | Problem::StateUnreadable { .. }
        | Problem::InvalidInput { .. }
        | Problem::Other { .. } => return None,
    })
}

/// The `hint:` lines for `problems`, each once, in order.
pub fn lines(problems: &[Problem], name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for h in problems.iter().filter_map(|p| hint(p, name)) {
        let line = format!("hint: {h}");
        if !out.contains(&line) {
            out.push(line);
        }
    }
    out
}

/// `hint: clawauth hosts install NAME …` for a gateway's report that was answered the slow way
/// (OpenClaw's CLI, a Node.js start, or its files read over SSH) instead of by clawauth there.
pub fn install_hint(r: &Report) -> Option<String> {
    let name = r.remote_host()?;
    let via = r.via.as_ref()?;
    if !matches!(via.source, RemoteSource::OpenclawCli | RemoteSource::Files) {
        return None;
    }
    let name = shell_word(name);
    Some(format!(
        "hint: clawauth hosts install {name} makes checks of {name} fast (no Node.js start)"
    ))
}

/// Prints `error: WHAT` and the hint for `problem` on stderr.
pub fn print(what: &str, problem: &Problem, name: &str) {
    crate::print_error(what);
    for l in lines(std::slice::from_ref(problem), name) {
        eprintln!("{l}");
    }
}

/// The file name part of a host key's type: `ED25519` → `ed25519` (`/etc/ssh/ssh_host_…_key`).
fn key_file_type(key_type: &str) -> &'static str {
    match key_type.to_ascii_lowercase().as_str() {
        "ed25519" | "ssh-ed25519" => "ed25519",
        "rsa" | "ssh-rsa" => "rsa",
        t if t.starts_with("ecdsa") => "ecdsa",
        _ => "*",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_key_hints_name_the_host_and_quote_what_came_from_outside() {
        let unknown = Problem::HostKeyUnknown {
            host: "gw.lan".into(),
            key_type: "ED25519".into(),
            fingerprint: "SHA256:abc".into(),
        };
        let h = hint(&unknown, "gw").expect("hint");
        assert!(h.contains("ssh_host_ed25519_key.pub"), "{h}");
        assert!(h.contains("`clawauth hosts trust gw`"), "{h}");
        let changed = Problem::HostKeyChanged {
            host: "[gw.lan]:2222".into(),
            stored: "SHA256:old".into(),
            offered: "SHA256:new".into(),
            known_hosts: "/h/.ssh/known hosts".into(),
            line: 3,
        };
        let h = hint(&changed, "gw").expect("hint");
        assert!(
            h.contains("`ssh-keygen -R '[gw.lan]:2222' -f '/h/.ssh/known hosts'`"),
            "{h}"
        );
        let locked = Problem::KeyNeedsPassphrase {
            keys: vec!["/h/.ssh/id $(x)".into()],
        };
        assert_eq!(
            hint(&locked, "gw").expect("hint"),
            "store it once with `clawauth passphrase set '/h/.ssh/id $(x)'`"
        );
    }

    #[test]
    fn each_timeout_names_its_own_flag_and_facts_get_no_hint() {
        let t = |phase| {
            hint(
                &Problem::timed_out(phase, std::time::Duration::from_secs(1)),
                "",
            )
        };
        assert!(t(Phase::Deadline).expect("hint").contains("--deadline"));
        assert!(
            t(Phase::Connect)
                .expect("hint")
                .contains("--connect-timeout")
        );
        assert!(t(Phase::Command).expect("hint").contains("--cli-timeout"));
        let other = Problem::Other { reason: "x".into() };
        assert_eq!(hint(&other, "gw"), None);
        // Twice the same problem: one line.
        let p = Problem::CannotResolve {
            host: "gw".into(),
            reason: "NXDOMAIN".into(),
        };
        assert_eq!(lines(&[p.clone(), p], "gw").len(), 1);
    }
}
