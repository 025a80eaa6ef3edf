//! The last good check (issue 17, item 7): a gateway that cannot be reached still shows what
//! its last readable check said and how old it is; a forecast never replaces it, and the file
//! kept holds no secret.

use clawauth_tests::lab::{Lab, SAMPLE_AT, host_report, text};

#[test]
fn an_unreachable_gateway_shows_its_last_good_check_and_its_age() {
    let lab = Lab::new();
    lab.trust();
    let home = lab.sample_gateway("gw-home");
    lab.gateway(&home);
    lab.add_host("gw", &["--clawauth", &Lab::clawauth_path()]);

    // A forecast is not a check of now: nothing is kept.
    let out = lab.clawauth(&["status", "--host", "gw", "--at", SAMPLE_AT], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let kept = lab.phone.join(".cache/clawauth/last-good/gw.json");
    assert!(!kept.exists(), "a forecast was kept");

    // A readable check of now is kept, mode 0600, without the store's secrets.
    let out = lab.clawauth(&["status", "--host", "gw", "--format", "json"], &[]);
    let good = host_report(&out);
    assert_ne!(good["verdict"], "unknown", "{}", text(&out));
    let file = std::fs::read_to_string(&kept).expect("kept");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&kept).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Every secret of the sample store (its tokens and keys are all marked FAKE), whole or in
    // part beyond a masked label's few characters: none is in the file.
    for secret in [
        "FAKE-sample-setup-token",
        "FAKE-sample-openrouter-key",
        "FAKE-sample-expired-access",
        "FAKE-sample-refresh",
    ] {
        assert!(!file.contains(secret), "{secret} in the kept check: {file}");
    }

    // The gateway stops accepting the phone's key: unknown now, with the last good check.
    std::fs::write(&lab.sshd.authorized_keys, "").expect("lock the phone out");
    let out = lab.clawauth(&["status", "--host", "gw", "--check"], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    let verdict = good["verdict"].as_str().expect("verdict");
    assert!(
        shown.contains("last good check <1m ago") && shown.contains(&format!(": {verdict} — ")),
        "{shown}"
    );
    let out = lab.clawauth(&["status", "--host", "gw", "--format", "json"], &[]);
    let now = host_report(&out);
    assert_eq!(now["verdict"], "unknown");
    assert_eq!(now["last_good"]["verdict"], good["verdict"], "{now}");
    assert!(
        now["last_good"]["age_ms"].as_i64().is_some_and(|a| a >= 0),
        "{now}"
    );
    // The unreadable check did not replace the good one.
    let again = std::fs::read_to_string(&kept).expect("kept");
    assert!(
        again.contains(&format!("\"verdict\":\"{verdict}\"")),
        "{again}"
    );
}
