//! Where OpenClaw keeps its state (SPEC §1): `src/config/state-dir.ts`, `src/config/paths.ts`,
//! `packages/normalization-core/src/home-dir.ts`, `src/agents/auth-profiles/shared-main-dir.ts`.

use camino::{Utf8Path, Utf8PathBuf};

use super::env::Environment;
use super::files::exists;
use crate::error::{Error, Result};

/// The resolved locations of one OpenClaw installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// OpenClaw's home: `$OPENCLAW_HOME`, else the OS home, else the working directory.
    pub home: Utf8PathBuf,
    /// Whether `$OPENCLAW_HOME` set the home (paths then shorten to `$OPENCLAW_HOME/…`).
    pub home_from_env: bool,
    pub state_dir: Utf8PathBuf,
    /// `$OPENCLAW_STATE_DIR` (or `--state-dir`) chose the state dir.
    pub state_dir_explicit: bool,
    pub config_path: Utf8PathBuf,
    /// `$OPENCLAW_AGENT_DIR`, trimmed and `~`-expanded.
    pub env_agent_dir: Option<Utf8PathBuf>,
    /// `$OPENCLAW_OAUTH_DIR`.
    pub env_oauth_dir: Option<Utf8PathBuf>,
    /// The host's files are a copy under this directory ([`Environment::mirror`]).
    pub mirror: Option<Utf8PathBuf>,
}

/// `resolveUserPath`: `~` and `~/…` expand to `home`; relative paths resolve against the
/// working directory.
pub fn expand_user_path(raw: &str, home: &Utf8Path) -> Utf8PathBuf {
    let raw = raw.trim();
    let expanded = if raw == "~" {
        home.to_owned()
    } else if let Some(rest) = raw.strip_prefix("~/") {
        home.join(rest)
    } else {
        Utf8PathBuf::from(raw)
    };
    if expanded.is_absolute() {
        expanded
    } else {
        std::env::current_dir()
            .ok()
            .and_then(|d| Utf8PathBuf::from_path_buf(d).ok())
            .map_or(expanded.clone(), |d| d.join(&expanded))
    }
}

impl Layout {
    /// Locates state exactly as OpenClaw does. `state_dir` (from `--state-dir`) acts like
    /// `$OPENCLAW_STATE_DIR`.
    pub fn locate(env: &Environment, state_dir: Option<&Utf8Path>) -> Result<Self> {
        let (home, home_from_env) = match env.get("OPENCLAW_HOME") {
            Some(h) => (Utf8PathBuf::from(h.trim()), true),
            None => match env.os_home() {
                Some(h) => (h, false),
                None => (
                    std::env::current_dir()
                        .map_err(|e| Error::io(".", e))
                        .and_then(|d| {
                            Utf8PathBuf::from_path_buf(d)
                                .map_err(|p| Error::NonUtf8Path(p.display().to_string()))
                        })?,
                    false,
                ),
            },
        };
        let home = if home.is_absolute() {
            home
        } else {
            expand_user_path(home.as_str(), &home)
        };

        let explicit = state_dir
            .map(|p| expand_user_path(p.as_str(), &home))
            .or_else(|| {
                env.get("OPENCLAW_STATE_DIR")
                    .map(|p| expand_user_path(p, &home))
            });
        let state_dir_explicit = explicit.is_some();
        let state_dir = explicit.unwrap_or_else(|| {
            let modern = home.join(".openclaw");
            let legacy = home.join(".clawdbot");
            if !exists(&modern) && exists(&legacy) {
                legacy
            } else {
                modern
            }
        });

        let config_path = match env.get("OPENCLAW_CONFIG_PATH") {
            Some(p) => expand_user_path(p, &home),
            None => {
                let modern = state_dir.join("openclaw.json");
                let legacy = state_dir.join("clawdbot.json");
                if !exists(&modern) && exists(&legacy) {
                    legacy
                } else {
                    modern
                }
            }
        };

        Ok(Self {
            env_agent_dir: env
                .get("OPENCLAW_AGENT_DIR")
                .map(|p| expand_user_path(p, &home)),
            env_oauth_dir: env
                .get("OPENCLAW_OAUTH_DIR")
                .map(|p| expand_user_path(p, &home)),
            home,
            home_from_env,
            state_dir,
            state_dir_explicit,
            config_path,
            mirror: env.mirror().map(Utf8Path::to_owned),
        })
    }

    /// Where this machine reads the host's absolute path `host_path`: the path itself, or,
    /// when the host's files are a copy, its place under the mirror (`..` cannot leave it), so a
    /// path named in the host's files never reaches this machine's file of that name.
    pub fn on_host(&self, host_path: &Utf8Path) -> Utf8PathBuf {
        let Some(root) = &self.mirror else {
            return host_path.to_owned();
        };
        let mut out = root.clone();
        for c in host_path.components() {
            match c {
                camino::Utf8Component::Normal(part) => out.push(part),
                camino::Utf8Component::ParentDir if out != *root => {
                    out.pop();
                }
                _ => {}
            }
        }
        out
    }

    /// A path named in the host's files (`agentDir`, `OPENCLAW_INCLUDE_ROOTS`), resolved as
    /// OpenClaw resolves it there (`resolveUserPath`: `~` is OpenClaw's home, a relative path
    /// starts at the working directory — under a mirror, the host's home) and read
    /// [`Self::on_host`].
    pub fn user_path(&self, raw: &str) -> Utf8PathBuf {
        let Some(root) = &self.mirror else {
            return expand_user_path(raw, &self.home);
        };
        let raw = raw.trim();
        let home = match self.home.strip_prefix(root) {
            Ok(h) => Utf8Path::new("/").join(h),
            Err(_) => self.home.clone(),
        };
        let host_path = if raw == "~" {
            home
        } else if let Some(rest) = raw.strip_prefix("~/") {
            home.join(rest)
        } else {
            home.join(raw)
        };
        self.on_host(&host_path)
    }

    /// `<state>/state/openclaw.sqlite`.
    pub fn state_db(&self) -> Utf8PathBuf {
        self.state_dir.join("state").join("openclaw.sqlite")
    }

    /// `$OPENCLAW_AGENT_DIR`, else `<state>/agents/main/agent` (`resolveSharedMainAuthAgentDir`).
    pub fn shared_main_dir(&self) -> Utf8PathBuf {
        self.env_agent_dir
            .clone()
            .unwrap_or_else(|| self.default_agent_dir("main"))
    }

    /// `<state>/agents/<id>/agent`.
    pub fn default_agent_dir(&self, agent_id: &str) -> Utf8PathBuf {
        self.state_dir.join("agents").join(agent_id).join("agent")
    }

    /// `$OPENCLAW_OAUTH_DIR`, else `<state>/credentials`.
    pub fn oauth_dir(&self) -> Utf8PathBuf {
        self.env_oauth_dir
            .clone()
            .unwrap_or_else(|| self.state_dir.join("credentials"))
    }

    /// How OpenClaw abbreviates the home in paths it prints.
    pub fn home_token(&self) -> &'static str {
        if self.home_from_env {
            "$OPENCLAW_HOME"
        } else {
            "~"
        }
    }

    /// Whether any OpenClaw state exists at all.
    pub fn state_exists(&self) -> bool {
        exists(&self.state_dir) || exists(&self.config_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirrored_hosts_paths_stay_in_the_mirror() {
        let env = Environment::empty()
            .with("HOME", "/m/home/pi")
            .with_mirror("/m");
        let l = Layout::locate(&env, None).expect("locate");
        assert_eq!(l.user_path("/srv/agent"), "/m/srv/agent");
        assert_eq!(l.user_path("~/agent"), "/m/home/pi/agent");
        assert_eq!(l.user_path("rel/agent"), "/m/home/pi/rel/agent");
        assert_eq!(l.user_path("/../../etc/passwd"), "/m/etc/passwd");
        assert_eq!(l.on_host(Utf8Path::new("/a/../../b")), "/m/b");
        let plain = Layout::locate(&Environment::empty().with("HOME", "/h"), None).expect("l");
        assert_eq!(plain.user_path("/srv/agent"), "/srv/agent");
        assert_eq!(plain.user_path("~/a"), "/h/a");
    }

    #[test]
    fn state_dir_precedence() {
        let env = Environment::empty().with("HOME", "/home/gw");
        let l = Layout::locate(&env, None).expect("locate");
        assert_eq!(l.state_dir, "/home/gw/.openclaw");
        assert_eq!(l.config_path, "/home/gw/.openclaw/openclaw.json");
        assert_eq!(l.state_db(), "/home/gw/.openclaw/state/openclaw.sqlite");

        let env = env
            .with("OPENCLAW_STATE_DIR", "~/custom")
            .with("OPENCLAW_HOME", "/srv/oc");
        let l = Layout::locate(&env, None).expect("locate");
        assert_eq!(l.home, "/srv/oc");
        assert_eq!(l.state_dir, "/srv/oc/custom");
        assert_eq!(l.home_token(), "$OPENCLAW_HOME");

        let l = Layout::locate(&env, Some(Utf8Path::new("/x/state"))).expect("locate");
        assert_eq!(l.state_dir, "/x/state");

        let env = Environment::empty()
            .with("HOME", "/h")
            .with("OPENCLAW_CONFIG_PATH", "~/c.json")
            .with("OPENCLAW_AGENT_DIR", "~/ag");
        let l = Layout::locate(&env, None).expect("locate");
        assert_eq!(l.config_path, "/h/c.json");
        assert_eq!(l.shared_main_dir(), "/h/ag");
    }
}
