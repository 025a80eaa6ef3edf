//! Where clawauth's own config lives: the config file ([`config_path`]) and the directory holding
//! it ([`config_dir`]), which also holds the file secret store ([`crate::secrets::FileStore`]).
//!
//! A leaf module: [`crate::config`] reads and edits the file, [`crate::secrets`] keeps its file
//! next to it, and the front ends say where it is.

use camino::Utf8PathBuf;

use crate::openclaw::env::Environment;

/// Environment variable naming the config file itself.
pub const ENV_CONFIG: &str = "CLAWAUTH_CONFIG";

/// The config file: `$CLAWAUTH_CONFIG` when set, else `$XDG_CONFIG_HOME/clawauth/config.toml`
/// (when XDG_CONFIG_HOME is absolute, as the XDG spec requires), else
/// `$HOME/.config/clawauth/config.toml`. `None` when none of them is set.
pub fn config_path(env: &Environment) -> Option<Utf8PathBuf> {
    if let Some(p) = env.get(ENV_CONFIG) {
        return Some(Utf8PathBuf::from(p));
    }
    env.xdg_dir("XDG_CONFIG_HOME", ".config")
        .map(|d| d.join("clawauth").join("config.toml"))
}

/// The directory holding the config file (and the file secret store): the parent of
/// [`config_path`].
pub fn config_dir(env: &Environment) -> Option<Utf8PathBuf> {
    let path = config_path(env)?;
    match path.parent() {
        Some(d) if !d.as_str().is_empty() => Some(d.to_owned()),
        _ => Some(Utf8PathBuf::from(".")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use camino::Utf8Path;

    #[test]
    fn paths_follow_env_rules() {
        let home = Environment::empty().with("HOME", "/home/u");
        assert_eq!(
            config_path(&home).as_deref(),
            Some(Utf8Path::new("/home/u/.config/clawauth/config.toml"))
        );
        assert_eq!(
            config_dir(&home).as_deref(),
            Some(Utf8Path::new("/home/u/.config/clawauth"))
        );
        let xdg = home.clone().with("XDG_CONFIG_HOME", "/x/cfg");
        assert_eq!(
            config_path(&xdg).as_deref(),
            Some(Utf8Path::new("/x/cfg/clawauth/config.toml"))
        );
        // A relative XDG_CONFIG_HOME is invalid per the spec and ignored; a blank one too.
        let rel = home.clone().with("XDG_CONFIG_HOME", "cfg");
        assert_eq!(config_dir(&rel), config_dir(&home));
        let blank = home.clone().with("XDG_CONFIG_HOME", "  ");
        assert_eq!(config_dir(&blank), config_dir(&home));
        let explicit = xdg.with(ENV_CONFIG, "/etc/clawauth/c.toml");
        assert_eq!(
            config_path(&explicit).as_deref(),
            Some(Utf8Path::new("/etc/clawauth/c.toml"))
        );
        assert_eq!(
            config_dir(&explicit).as_deref(),
            Some(Utf8Path::new("/etc/clawauth"))
        );
        let bare = Environment::empty().with(ENV_CONFIG, "c.toml");
        assert_eq!(config_dir(&bare).as_deref(), Some(Utf8Path::new(".")));
        let termux = Environment::empty()
            .with("HOME", "/data/data/com.termux/files/home")
            .with("PREFIX", "/data/data/com.termux/files/usr");
        assert_eq!(
            config_path(&termux).as_deref(),
            Some(Utf8Path::new(
                "/data/data/com.termux/files/home/.config/clawauth/config.toml"
            ))
        );
        assert_eq!(config_path(&Environment::empty()), None);
        assert_eq!(config_dir(&Environment::empty()), None);
    }
}
