//! `clawauth hosts install NAME` against a real OpenSSH sshd on 127.0.0.1: clawauth put on a
//! fresh gateway (checked, executable, recorded in config.toml, then answering `status`), a
//! second install that writes nothing, an older helper replaced, another program left alone,
//! another architecture refused, a read-only directory, an interrupted copy, and hostile `--to`
//! paths refused before anything connects. The gateway's programs are the real ones except
//! where a test needs one to misbehave (a `uname` naming another machine, a `head` that stops
//! early): those stand-ins go first on the session's PATH.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Command, Output};

use camino::{Utf8Path, Utf8PathBuf};
use clawauth_tests::lab::{Lab, host_report, text};
use clawauth_tests::{Set, clawauth_bin, conformance_cases, restore};
use sha2::{Digest, Sha256};

const SYSTEM_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

fn sha256(p: &Utf8Path) -> String {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("read {p}: {e}"));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A trusted lab whose host `gw` logs in to a gateway home holding a legacy (2026.6.1 JSON)
/// OpenClaw state, with neither clawauth nor openclaw there: checks are answered by the files.
fn gateway(lab: &Lab, name: &str) -> Utf8PathBuf {
    lab.trust();
    let case = conformance_cases()
        .into_iter()
        .find(|c| c.set == Set::Legacy && c.agent.is_none() && !c.stub_on_path)
        .expect("a legacy conformance case");
    let home = lab.new_home(name);
    restore(&case.scenario, &case.tree, home.as_std_path());
    lab.gateway(&home);
    lab.add_host("gw", &[]);
    home
}

/// `clawauth hosts install gw ARGS…`.
fn install(lab: &Lab, args: &[&str]) -> Output {
    let mut full = vec!["hosts", "install", "gw"];
    full.extend_from_slice(args);
    lab.clawauth(&full, &[])
}

fn config_text(lab: &Lab) -> String {
    std::fs::read_to_string(lab.phone.join(".config/clawauth/config.toml")).expect("config.toml")
}

/// The names in `dir`, sorted.
fn names(dir: &Utf8Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("ls {dir}: {e}"))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn write_script(p: &Utf8Path, body: &str) {
    std::fs::create_dir_all(p.parent().expect("dir")).expect("mkdir");
    std::fs::write(p, body).expect("write script");
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// An older clawauth at the target: a script that says it is 0.0.1.
const OLD_HELPER: &str = "#!/bin/sh\necho 'clawauth 0.0.1'\n";

#[test]
fn a_fresh_gateway_gets_clawauth_and_a_second_install_writes_nothing() {
    let lab = Lab::new();
    let home = gateway(&lab, "fresh");

    // Before: answered by the files, and the human report says how to make it fast.
    let before = lab.clawauth(&["status", "--host", "gw"], &[]);
    assert!(
        stdout(&before)
            .contains("hint: clawauth hosts install gw makes checks of gw fast (no Node.js start)"),
        "{}",
        text(&before)
    );
    let json = lab.clawauth(&["status", "--host", "gw", "--format", "json"], &[]);
    assert_eq!(
        host_report(&json)["via"]["source"],
        "files",
        "{}",
        text(&json)
    );
    assert!(!stdout(&json).contains("hint:"), "{}", text(&json));

    let out = install(&lab, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        stderr(&out).contains(&format!("==> gw: x86_64, installing clawauth {version} ("))
            && stderr(&out).contains("MB) to ~/.local/bin/clawauth"),
        "{}",
        text(&out)
    );
    assert!(
        stdout(&out).contains(&format!(
            "gw: installed clawauth {version} at ~/.local/bin/clawauth"
        )),
        "{}",
        text(&out)
    );
    let dir = home.join(".local/bin");
    let target = dir.join("clawauth");
    let meta = std::fs::metadata(&target).expect("installed");
    assert!(meta.is_file());
    assert_eq!(meta.mode() & 0o777, 0o755, "executable");
    let bin = Utf8PathBuf::from_path_buf(clawauth_bin()).expect("utf-8");
    assert_eq!(sha256(&target), sha256(&bin), "the same bytes");
    assert_eq!(names(&dir), ["clawauth"], "no temporary file left");
    for d in [home.join(".local"), dir.clone()] {
        let mode = std::fs::metadata(&d).expect("dir").mode() & 0o777;
        assert_eq!(mode, 0o700, "{d} created private");
    }
    let config = config_text(&lab);
    assert!(
        config.contains("clawauth = \"~/.local/bin/clawauth\""),
        "{config}"
    );
    let ran = Command::new(target.as_str())
        .arg("--version")
        .output()
        .expect("run installed");
    assert_eq!(stdout(&ran).trim(), format!("clawauth {version}"));

    // Now clawauth on the gateway answers, and the hint is gone.
    let json = lab.clawauth(&["status", "--host", "gw", "--format", "json"], &[]);
    assert_eq!(
        host_report(&json)["via"]["source"],
        "clawauth",
        "{}",
        text(&json)
    );
    let human = lab.clawauth(&["status", "--host", "gw"], &[]);
    assert!(
        !stdout(&human).contains("hosts install"),
        "{}",
        text(&human)
    );

    // Again: up to date, nothing written (same inode, same mtime), and it says so.
    let (ino, mtime) = (meta.ino(), meta.mtime_nsec() + meta.mtime() * 1_000_000_000);
    let sessions = lab.sshd.sessions();
    let again = install(&lab, &[]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        stdout(&again).contains(&format!(
            "gw: clawauth {version} at ~/.local/bin/clawauth is up to date: nothing written"
        )),
        "{}",
        text(&again)
    );
    assert!(!stderr(&again).contains("installing"), "{}", text(&again));
    let meta2 = std::fs::metadata(&target).expect("still there");
    assert_eq!(
        (
            meta2.ino(),
            meta2.mtime_nsec() + meta2.mtime() * 1_000_000_000
        ),
        (ino, mtime),
        "untouched"
    );
    assert_eq!(
        lab.sshd.sessions() - sessions,
        1,
        "one look, no copy: {}",
        lab.sshd.log_tail(10)
    );
    assert_eq!(names(&dir), ["clawauth"]);
}

#[test]
fn an_older_helper_is_replaced_and_another_program_left_alone() {
    let lab = Lab::new();
    let home = gateway(&lab, "older");
    let dir = home.join("bin");
    let target = dir.join("clawauth");
    write_script(&target, OLD_HELPER);
    let out = install(&lab, &["--to", "~/bin/clawauth"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("(replaced clawauth 0.0.1)"),
        "{}",
        text(&out)
    );
    assert!(
        stderr(&out).contains("(replacing clawauth 0.0.1)"),
        "{}",
        text(&out)
    );
    let bin = Utf8PathBuf::from_path_buf(clawauth_bin()).expect("utf-8");
    assert_eq!(sha256(&target), sha256(&bin));
    assert_eq!(names(&dir), ["clawauth"]);
    assert!(
        config_text(&lab).contains("clawauth = \"~/bin/clawauth\""),
        "{}",
        config_text(&lab)
    );

    // Another program where clawauth would go: refused, untouched.
    let other = home.join("tools/clawauth");
    let foreign = "#!/bin/sh\necho 'GNU hello 2.12'\n";
    write_script(&other, foreign);
    let out = install(&lab, &["--to", "~/tools/clawauth"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains(
            "~/tools/clawauth is another program (its --version says \"GNU hello 2.12\"), not clawauth: it was left alone"
        ),
        "{}",
        text(&out)
    );
    assert!(stderr(&out).contains("hint: choose another place with --to PATH"));
    assert_eq!(std::fs::read_to_string(&other).expect("read"), foreign);
    assert_eq!(names(&home.join("tools")), ["clawauth"]);
    // The config still points at the one that was installed.
    assert!(config_text(&lab).contains("clawauth = \"~/bin/clawauth\""));
}

#[test]
fn another_architecture_is_refused_by_name_and_nothing_written() {
    let lab = Lab::new();
    let home = gateway(&lab, "arch");
    let standins = lab.scratch.join("arch-standins");
    for machine in ["armv7l", "riscv64"] {
        write_script(
            &standins.join("uname"),
            &format!("#!/bin/sh\necho {machine}\n"),
        );
        lab.gateway_for(&lab.key, &home, &format!("{standins}:{SYSTEM_PATH}"));
        let out = install(&lab, &[]);
        assert_eq!(out.status.code(), Some(1), "{machine}: {}", text(&out));
        assert!(
            stderr(&out).contains(&format!("the gateway's architecture is {machine}")),
            "{machine}: {}",
            text(&out)
        );
        assert!(!home.join(".local").exists(), "{machine}: nothing written");
    }
    // An x86_64 gateway and a binary built for aarch64 (an ELF header says so): refused before
    // anything is sent, naming both and how to get the right one.
    lab.gateway(&home);
    let mut elf = vec![0u8; 256];
    elf[..4].copy_from_slice(b"\x7fELF");
    elf[4] = 2;
    elf[5] = 1;
    elf[18] = 0xB7;
    let arm = lab.scratch.join("clawauth-aarch64");
    std::fs::write(&arm, &elf).expect("write");
    let out = install(&lab, &["--binary", arm.as_str()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("the gateway is x86_64, the binary is built for aarch64"),
        "{}",
        text(&out)
    );
    assert!(
        stderr(&out).contains("termux/build-static.sh x86_64"),
        "{}",
        text(&out)
    );
    assert!(!home.join(".local").exists());
    assert!(!config_text(&lab).contains("clawauth ="));
    // Not an executable at all: refused before connecting.
    let connections = lab.sshd.connections();
    let script = lab.scratch.join("not-elf");
    write_script(&script, OLD_HELPER);
    let out = install(&lab, &["--binary", script.as_str()]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    assert!(
        stderr(&out).contains("not an ELF executable"),
        "{}",
        text(&out)
    );
    assert_eq!(lab.sshd.connections(), connections);
}

/// A read-only bind mount over a directory, undone on drop.
struct ReadOnly(Utf8PathBuf);

impl ReadOnly {
    fn mount(dir: &Utf8Path) -> ReadOnly {
        let run = |args: &[&str]| {
            let out = Command::new("mount")
                .args(args)
                .output()
                .unwrap_or_else(|e| {
                    panic!("this test needs `mount` (util-linux) and the right to mount: {e}")
                });
            out.status
                .success()
                .then_some(())
                .ok_or_else(|| stderr(&out))
        };
        if let Err(e) = run(&["--bind", dir.as_str(), dir.as_str()]) {
            panic!(
                "this test needs a read-only bind mount (root, CAP_SYS_ADMIN); `mount --bind` failed: {e}"
            );
        }
        let guard = ReadOnly(dir.to_owned());
        if let Err(e) = run(&["-o", "remount,bind,ro", dir.as_str()]) {
            panic!("this test needs a read-only bind mount; the remount read-only failed: {e}");
        }
        guard
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.as_str()).status();
    }
}

#[test]
fn a_read_only_directory_is_refused_and_nothing_written() {
    let lab = Lab::new();
    let home = gateway(&lab, "ro");
    let dir = home.join(".local/bin");
    let target = dir.join("clawauth");
    write_script(&target, OLD_HELPER);
    let before = names(&dir);
    let out = {
        let _ro = ReadOnly::mount(&dir);
        // As root, permission bits do not stop a write: prove this one is really read-only.
        assert!(
            std::fs::write(dir.join("probe"), "x").is_err(),
            "the bind mount is not read-only"
        );
        install(&lab, &[])
    };
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("~/.local/bin cannot be written on the gateway"),
        "{}",
        text(&out)
    );
    assert!(
        stderr(&out).contains("nothing was written"),
        "{}",
        text(&out)
    );
    assert!(stderr(&out).contains("hint: "), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&target).expect("read"), OLD_HELPER);
    assert_eq!(names(&dir), before);
    assert!(!config_text(&lab).contains("clawauth ="));
}

#[test]
fn an_interrupted_copy_leaves_the_old_helper_and_no_temporary_file() {
    let lab = Lab::new();
    let home = gateway(&lab, "cut");
    let dir = home.join(".local/bin");
    let target = dir.join("clawauth");
    write_script(&target, OLD_HELPER);
    // A `head` that copies the first few kilobytes of its input, then stops.
    let standins = lab.scratch.join("cut-standins");
    write_script(
        &standins.join("head"),
        "#!/bin/sh\ncase \"$1\" in -c) exec dd bs=4096 count=1 2>/dev/null;; esac\nexec /usr/bin/head \"$@\"\n",
    );
    lab.gateway_for(&lab.key, &home, &format!("{standins}:{SYSTEM_PATH}"));
    let out = install(&lab, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("failed while checking the copy's size"),
        "{}",
        text(&out)
    );
    assert!(
        stderr(&out)
            .contains("the temporary file was removed and ~/.local/bin/clawauth left as it was"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_to_string(&target).expect("read"), OLD_HELPER);
    assert_eq!(names(&dir), ["clawauth"], "no temporary file remains");
    assert!(!config_text(&lab).contains("clawauth ="));
}

#[test]
fn hostile_targets_are_refused_before_connecting() {
    let lab = Lab::new();
    let home = gateway(&lab, "hostile");
    let marker = lab.scratch.join("marker");
    let connections = lab.sshd.connections();
    for to in [
        format!("$(touch {marker})"),
        format!("~/bin/x\ntouch {marker}"),
        "~/../clawauth".to_owned(),
        "/usr/local/bin/../../tmp/clawauth".to_owned(),
        "bin/clawauth".to_owned(),
        "~/.local/bin/".to_owned(),
        String::new(),
    ] {
        let out = install(&lab, &["--to", &to]);
        assert_eq!(out.status.code(), Some(64), "{to:?}: {}", text(&out));
        assert!(
            stderr(&out).contains("error: cannot install to"),
            "{to:?}: {}",
            text(&out)
        );
        assert!(stderr(&out).contains("hint: --to takes"), "{}", text(&out));
    }
    assert_eq!(lab.sshd.connections(), connections, "nothing connected");
    assert!(!marker.exists());
    assert!(!home.join(".local").exists() && !home.join("bin").exists());
    // And a host that is not configured is refused the same way.
    let out = lab.clawauth(&["hosts", "install", "nope"], &[]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    assert!(
        stderr(&out).contains("clawauth hosts add nope"),
        "{}",
        text(&out)
    );
    assert_eq!(lab.sshd.connections(), connections);
}
