//! `jvm-lab DESCRIPTOR`: the gateways the Kotlin suite of the bindings checks, kept up while it
//! runs. Each gateway is a real sshd on 127.0.0.1 with a HOME whose OpenClaw state was written
//! by the real OpenClaw CLI (`tests/install-tools.sh` installs it):
//!
//! - `ok` (a token 30 days from expiry), `expiring` (12 h), `expired` (1 s, then waited out),
//!   `missing` (a config whose routes have no credential);
//! - `reauth`: the routes served by `anthropic:claude-code`, 5 h from expiry, with the `claude`
//!   stand-in (`tests/standins/claude`, standing in for Anthropic's `claude setup-token`) and the
//!   systemctl stand-in on the login PATH;
//! - `unreachable`: a port nothing listens on.
//!
//! The descriptor (JSON) says, per gateway, its `target`, the `authorized_keys` file and the
//! options a key line needs there (its HOME and PATH), the `known_hosts_line` and `fingerprint`
//! of its host key, sshd's log, its HOME; plus the OpenClaw CLI (`openclaw`, `node_dir`) and
//! the stand-in's `code` and `token`. The lab stays up until its stdin closes, then tears
//! everything down (sshd and what it started).

use std::io::Read;
use std::time::Duration;

use camino::Utf8PathBuf;
use clawauth_tests::lab::{ANTHROPIC, Lab, openclaw_state};
use clawauth_tests::openclaw_cli::{OpenClaw, openclaw};
use clawauth_tests::repair_lab::RepairGateway;
use clawauth_tests::standins::{ClaudeConf, install_claude_standin};
use serde_json::{Value, json};

fn describe(lab: &Lab, home: &Utf8PathBuf, path: &str) -> Value {
    json!({
        "target": lab.target(),
        "authorized_keys": lab.sshd.authorized_keys.as_str(),
        "key_options": format!("environment=\"HOME={home}\",environment=\"PATH={path}\""),
        "known_hosts_line": lab.sshd.known_hosts_line(),
        "fingerprint": lab.sshd.host_fingerprint(),
        "sshd_log": lab.sshd.log_path.as_str(),
        "home": home.as_str(),
    })
}

/// A gateway with an Anthropic-only OpenClaw config and a token expiring in `expires_in` (none: no
/// credential), the CLI and node on its login PATH.
fn state_gateway(oc: &OpenClaw, name: &str, expires_in: Option<&str>) -> (Lab, Value) {
    let lab = Lab::new();
    let gw = RepairGateway::new(&lab, name, oc);
    // clawauth on the gateway answers (the fast path; the reauth gateway has only the CLI).
    gw.clawauth_on_login_path(oc);
    openclaw_state(oc, &gw.home, ANTHROPIC, expires_in);
    let d = describe(&lab, &gw.home, "/usr/local/bin:/usr/bin:/bin");
    (lab, d)
}

fn main() {
    let Some(descriptor) = std::env::args().nth(1) else {
        eprintln!("usage: jvm-lab DESCRIPTOR.json   (stays up until stdin closes)");
        std::process::exit(64);
    };
    let oc = openclaw();
    let mut labs = Vec::new();
    let mut gateways = serde_json::Map::new();
    for (name, exp) in [
        ("ok", Some("30d")),
        ("expiring", Some("12h")),
        ("expired", Some("1s")),
        ("missing", None),
    ] {
        let (lab, d) = state_gateway(&oc, name, exp);
        labs.push(lab);
        gateways.insert(name.into(), d);
    }
    // The re-auth gateway: a synced token near expiry serves the routes.
    let conf = ClaudeConf::new("jvm-reauth");
    let lab = Lab::new();
    let gw = RepairGateway::new(&lab, "reauth", &oc);
    openclaw_state(&oc, &gw.home, ANTHROPIC, None);
    let args = clawauth_tests::lab::paste_token_args("anthropic:claude-code", "5h", None);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = oc.run(
        gw.home.as_std_path(),
        &args,
        Some(&format!(
            "{}\n",
            clawauth_tests::lab::fake_token("jvm-claude-code")
        )),
    );
    assert!(out.status.success(), "paste-token for the re-auth gateway");
    install_claude_standin(&gw.home, &gw.bin, &conf);
    gw.set_service_active(true);
    let mut d = describe(&lab, &gw.home, "/usr/local/bin:/usr/bin:/bin");
    d["code"] = Value::from(conf.code.clone());
    d["token"] = Value::from(conf.token.clone());
    labs.push(lab);
    gateways.insert("reauth".into(), d);
    gateways.insert(
        "unreachable".into(),
        json!({ "target": format!("root@127.0.0.1:{}", clawauth_tests::sshd::closed_port()) }),
    );
    // The 1 s token is expired by now (the CLI runs take longer than that).
    std::thread::sleep(Duration::from_millis(1100));
    let doc = json!({
        "gateways": gateways,
        "openclaw": oc.bin.to_str().expect("utf-8"),
        "node_dir": oc.node_bin_dir.to_str().expect("utf-8"),
    });
    let tmp = format!("{descriptor}.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&doc).expect("json")).expect("write");
    std::fs::rename(&tmp, &descriptor).expect("rename descriptor");
    eprintln!("jvm-lab: {} gateways up; close stdin to stop", labs.len());
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(labs);
    eprintln!("jvm-lab: stopped");
}
