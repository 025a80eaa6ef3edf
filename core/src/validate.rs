//! Checks of the values clawauth puts on a remote command line or into a file name: host names,
//! SSH targets, OpenClaw agent ids, paths on the gateway and systemd unit names.
//!
//! Each check returns `Err` with what is wrong, in words for the user; callers add the key and
//! the value. A leaf module: config.toml ([`crate::config`]), its `[monitor]` section, the
//! repairs, the remote source and the front ends all check with the same rules.

use std::net::{Ipv4Addr, Ipv6Addr};

/// A host's name in clawauth: `^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`.
pub fn validate_host_name(name: &str) -> Result<(), String> {
    let ok = matches!(name.as_bytes().first(), Some(b) if b.is_ascii_alphanumeric())
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err("a host name is 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit".to_owned())
    }
}

/// An OpenClaw agent id: `^[a-z0-9][a-z0-9_-]{0,63}$`.
pub fn validate_agent_id(id: &str) -> Result<(), String> {
    let ok = matches!(id.as_bytes().first(), Some(b) if b.is_ascii_lowercase() || b.is_ascii_digit())
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err("an agent id is 1 to 64 lowercase letters, digits, '_' or '-', starting with a letter or digit".to_owned())
    }
}

/// A path on the gateway: absolute or starting with `~/`, no control characters (NUL, newline,
/// CR, …), at most 4096 bytes.
pub fn validate_remote_path(p: &str) -> Result<(), String> {
    if p.len() > 4096 {
        return Err("a path is at most 4096 bytes".to_owned());
    }
    if p.chars().any(char::is_control) {
        return Err("a path cannot contain control characters (newline, NUL, …)".to_owned());
    }
    if !(p.starts_with('/') || p.starts_with("~/")) {
        return Err("use an absolute path (/…) or one under the home directory (~/…)".to_owned());
    }
    Ok(())
}

/// A systemd unit name: letters, digits and `:_.@-`, not starting with '-', at most 255 bytes
/// (an optional `.service` suffix is fine).
pub fn validate_service_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 255
        && !s.starts_with('-')
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'.' | b'@' | b'-'));
    if ok {
        Ok(())
    } else {
        Err("a service name is letters, digits, ':', '_', '.', '@' or '-', not starting with '-' or '.'".to_owned())
    }
}

/// An SSH target: an `~/.ssh/config` alias or `[user@]host[:port]`, where user is
/// `^[A-Za-z0-9._][A-Za-z0-9._-]*$`, host a DNS name, an IPv4 address or `[IPv6]` (a bare IPv6
/// address without a port is accepted too), port 1..=65535. Never starts with '-'.
pub fn validate_ssh_target(s: &str) -> Result<(), String> {
    const HINT: &str = "use an ~/.ssh/config alias, host, user@host or user@host:port";
    let err = |what: &str| Err(format!("{what}; {HINT}"));
    if s.is_empty() {
        return err("empty");
    }
    if s.starts_with('-') {
        return err("cannot start with '-'");
    }
    if s.len() > 512 {
        return err("too long");
    }
    let (user, rest) = match s.split_once('@') {
        Some((u, r)) => (Some(u), r),
        None => (None, s),
    };
    if let Some(u) = user {
        let ok = matches!(u.as_bytes().first(), Some(b) if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_'))
            && u.len() <= 64
            && u.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return err(
                "invalid user name (letters, digits, '.', '_', '-'; not starting with '-')",
            );
        }
    }
    // host part, with an optional port
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let Some((addr, after)) = inner.split_once(']') else {
            return err("unclosed '[' in an IPv6 address");
        };
        if addr.parse::<Ipv6Addr>().is_err() {
            return err("invalid IPv6 address between [ ]");
        }
        match after {
            "" => (None, None),
            p => match p.strip_prefix(':') {
                Some(p) => (None, Some(p)),
                None => return err("unexpected text after ']'"),
            },
        }
    } else if rest.parse::<Ipv6Addr>().is_ok() {
        (None, None)
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(rest), None),
        }
    };
    if let Some(h) = host
        && h.parse::<Ipv4Addr>().is_err()
        && !is_dns_name(h)
    {
        return err("invalid host (letters, digits, '-', '_' and dots; IPv6 goes in [ ])");
    }
    if let Some(p) = port {
        let ok = !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && matches!(p.parse::<u32>(), Ok(1..=65535));
        if !ok {
            return err("invalid port (1 to 65535)");
        }
    }
    Ok(())
}

/// A DNS name or ssh alias: dot-separated labels of 1..=63 letters, digits, '-' and '_' (aliases
/// often use '_'), no label starting or ending with '-', at most 253 bytes; a trailing dot is
/// allowed.
fn is_dns_name(h: &str) -> bool {
    let h = h.strip_suffix('.').unwrap_or(h);
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &[&str] = &[
        "", " ", "a b", "a;b", "a'b", "a\"b", "$(id)", "`id`", "a\nb", "a\rb", "a\0b", "-x", "a|b",
        "a&b", "a>b", "a\\b", "a\tb",
    ];

    #[test]
    fn host_name_validator() {
        for ok in ["gw", "pi-4", "Gw.home_1", "0", &"a".repeat(63)] {
            assert!(validate_host_name(ok).is_ok(), "{ok:?}");
        }
        for bad in HOSTILE
            .iter()
            .copied()
            .chain([".x", "_x", "a/b", "a@b", "ü", &"a".repeat(64)] as [&str; 6])
        {
            assert!(validate_host_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn agent_id_validator() {
        for ok in ["main", "work-2", "a_b", "0", &"a".repeat(64)] {
            assert!(validate_agent_id(ok).is_ok(), "{ok:?}");
        }
        for bad in HOSTILE
            .iter()
            .copied()
            .chain(["Main", "_x", "a.b", "a/b", &"a".repeat(65)] as [&str; 5])
        {
            assert!(validate_agent_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn remote_path_validator() {
        for ok in [
            "/usr/local/bin/clawauth",
            "~/.openclaw",
            "/srv/open claw/x",
            "/a'b",
        ] {
            assert!(validate_remote_path(ok).is_ok(), "{ok:?}");
        }
        let long = format!("/{}", "a".repeat(4096));
        for bad in [
            "",
            "bin/x",
            "~",
            "~root/x",
            "-x",
            "$(id)",
            "/a\nb",
            "/a\rb",
            "/a\0b",
            "/a\x1bb",
            "/a\u{85}b",
            long.as_str(),
        ] {
            assert!(validate_remote_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ssh_target_validator() {
        for ok in [
            "gw",
            "my_gw",
            "gw.example.org",
            "gw.example.org.",
            "u@gw",
            "pi@192.168.1.20",
            "pi@192.168.1.20:2222",
            "u.name_1-x@host:22",
            "_svc@h",
            "[::1]",
            "[fe80::1]:2200",
            "u@[2001:db8::1]:65535",
            "::1",
        ] {
            assert!(validate_ssh_target(ok).is_ok(), "{ok:?}");
        }
        for bad in HOSTILE.iter().copied().chain([
            "-oProxyCommand=sh",
            "u@-x",
            "-u@h",
            "u@",
            "@h",
            "u@h:",
            "u@h:0",
            "u@h:65536",
            "u@h:22x",
            "u@h:+22",
            "a@b@c",
            "[::1",
            "[nothost]:22",
            "[::1]22",
            "h:22:33",
            "h/x",
            "h..x",
            "-h",
            "h-.x",
            "u;x@h",
            "ssh://h",
        ]) {
            assert!(validate_ssh_target(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn service_name_validator() {
        for ok in ["openclaw-gateway", "openclaw-gateway.service", "og@u"] {
            assert!(validate_service_name(ok).is_ok(), "{ok:?}");
        }
        for bad in HOSTILE.iter().copied().chain([".x", "a/b"]) {
            assert!(validate_service_name(bad).is_err(), "{bad:?}");
        }
    }
}
