//! The environment variables OpenClaw consults, captured once so the rules stay pure and tests
//! can inject any environment.

use std::collections::BTreeMap;

use camino::Utf8PathBuf;

/// A snapshot of environment variables (UTF-8 ones only; OpenClaw's are all ASCII).
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: BTreeMap<String, String>,
    /// The host's files are a copy under this directory (the legacy-files rung over SSH): an
    /// absolute path named in them is read under it, never from this machine.
    mirror: Option<Utf8PathBuf>,
}

impl Environment {
    /// The current process's environment.
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            mirror: None,
        }
    }

    /// An empty environment (tests start here and add what they need).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Sets a variable (builder style).
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.vars.insert(key.to_owned(), value.into());
        self
    }

    /// Reads the host's files from a copy under `root` (builder style): see [`Self::mirror`].
    #[must_use]
    pub fn with_mirror(mut self, root: impl Into<Utf8PathBuf>) -> Self {
        self.mirror = Some(root.into());
        self
    }

    /// Where the host's file system is mirrored, when it is a copy.
    pub fn mirror(&self) -> Option<&camino::Utf8Path> {
        self.mirror.as_deref()
    }

    /// Removes a variable (builder style).
    #[must_use]
    pub fn without(mut self, key: &str) -> Self {
        self.vars.remove(key);
        self
    }

    /// A variable's value when set and not blank (OpenClaw ignores blank values).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// Whether a variable is set to a non-blank value.
    pub fn is_set(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Every variable.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// An XDG base directory: `$var` when it is absolute (as the XDG spec requires; a relative
    /// or blank one is ignored), else `$HOME/<fallback>` (e.g. `XDG_CONFIG_HOME`, `.config`).
    pub fn xdg_dir(&self, var: &str, fallback: &str) -> Option<Utf8PathBuf> {
        match self.get(var).map(str::trim) {
            Some(x) if camino::Utf8Path::new(x).is_absolute() => Some(Utf8PathBuf::from(x)),
            _ => self.os_home().map(|h| h.join(fallback)),
        }
    }

    /// The directories of `PATH`, in order (empty entries skipped).
    pub fn path_dirs(&self) -> Vec<Utf8PathBuf> {
        self.get("PATH")
            .map(|p| {
                p.split(':')
                    .filter(|d| !d.is_empty())
                    .map(Utf8PathBuf::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The operating system's idea of home (`HOME`, then `USERPROFILE`), as OpenClaw's
    /// `resolveRequiredOsHomeDir` has it; Claude Code and Codex credentials live under it.
    pub fn os_home(&self) -> Option<Utf8PathBuf> {
        self.get("HOME")
            .or_else(|| self.get("USERPROFILE"))
            .map(|h| Utf8PathBuf::from(h.trim()))
    }
}
