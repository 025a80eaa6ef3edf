//! `openclaw.json` as OpenClaw loads it (`src/config/io.ts`, `includes.ts`,
//! `env-substitution.ts`): JSON5, `$include` files merged in, `${VAR}` substituted from the
//! environment (process env, `<state>/.env`, `~/.config/openclaw/gateway.env`, `env.vars`).
//!
//! A config OpenClaw cannot load makes every `models status` fail (exit 1); that outcome is
//! returned as an [`OpenClawFailure`], distinct from our own I/O errors.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use serde_json::{Map, Value};

use super::env::Environment;
use super::files::read_text;
use super::json::{MAX_DEPTH, parse_json5};
use super::layout::Layout;
use super::store::OpenClawFailure;
use crate::error::{Error, Result};

const INCLUDE_LIMIT: u64 = 2 * 1024 * 1024;
const INCLUDE_DEPTH: usize = 10;

/// The loaded configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// After includes and substitution; `{}` when the file does not exist.
    pub root: Value,
    pub path: Utf8PathBuf,
    pub exists: bool,
    /// `${VAR}` references left unresolved (OpenClaw warns and keeps them literally).
    pub missing_env: Vec<String>,
    /// What OpenClaw 2026.9.6's schema rejects (`- <path>: <message>` lines without the dash).
    pub schema_issues: Vec<String>,
}

/// Environment variables that decide credentials, with where each came from. Values are kept
/// only as OpenClaw's masked form.
#[derive(Debug, Clone, Default)]
pub struct AuthEnv {
    vars: BTreeMap<String, (String, &'static str)>,
    /// `OPENCLAW_LOAD_SHELL_ENV` / `env.shellEnv.enabled`: OpenClaw would import more variables
    /// from a login shell, which only running the CLI can reproduce.
    pub shell_fallback: bool,
}

impl AuthEnv {
    /// Whether a variable has a non-blank value.
    pub fn is_set(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// `(masked value, source)` of a variable.
    pub fn get(&self, name: &str) -> Option<&(String, &'static str)> {
        self.vars.get(name)
    }

    fn insert(&mut self, name: &str, value: &str, source: &'static str) {
        if !value.trim().is_empty() && !self.vars.contains_key(name) {
            self.vars.insert(
                name.to_owned(),
                (super::credentials::mask_secret(value), source),
            );
        }
    }
}

/// Parses a dotenv file: `KEY=VALUE`, `export KEY=VALUE`, quotes, `#` comments.
pub fn parse_dotenv(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let v = v.trim();
        let v = if let Some(q) = v.strip_prefix('"').and_then(|r| r.split_once('"')) {
            q.0.replace("\\n", "\n")
        } else if let Some(q) = v.strip_prefix('\'').and_then(|r| r.split_once('\'')) {
            q.0.to_owned()
        } else {
            v.split(" #").next().unwrap_or("").trim().to_owned()
        };
        out.push((k.to_owned(), v));
    }
    out
}

/// The dotenv files OpenClaw reads (`src/cli/dotenv.ts`, `src/infra/dotenv-global.ts`): the
/// state dir's `.env`, then `~/.config/openclaw/gateway.env` for the default state dir.
fn dotenv_vars(layout: &Layout, env: &Environment) -> Result<Vec<(String, String)>> {
    let mut files = vec![layout.state_dir.join(".env")];
    if !layout.state_dir_explicit
        && let Some(h) = env.os_home()
    {
        files.push(h.join(".config/openclaw/gateway.env"));
    }
    let mut vars = Vec::new();
    for f in files {
        if let Some(text) = super::files::read_secret_text(&f)? {
            vars.extend(parse_dotenv(&text));
        }
    }
    Ok(vars)
}

fn invalid_config(path: &Utf8Path, detail: impl std::fmt::Display) -> OpenClawFailure {
    OpenClawFailure {
        code: "INVALID_CONFIG".into(),
        message: format!("Invalid config at {path}: {detail}"),
        fix: format!("fix {path} (then check it with `openclaw doctor`)"),
    }
}

/// Loads `openclaw.json`. `Ok(Err(..))` when OpenClaw itself would refuse the file.
pub fn load(
    layout: &Layout,
    env: &Environment,
) -> Result<(Result<Config, OpenClawFailure>, AuthEnv)> {
    load_with(layout, env, None)
}

/// The `$include` files [`load`] would read that do not exist here, in the order it meets
/// them (each read as empty to find the ones it includes): what the legacy-files rung still
/// has to fetch from the gateway into its mirror.
pub fn missing_includes(layout: &Layout, env: &Environment) -> Result<Vec<Utf8PathBuf>> {
    let mut missing = Vec::new();
    // Whether OpenClaw would accept the config does not matter here, only what it reads.
    let (_outcome, _auth_env) = load_with(layout, env, Some(&mut missing))?;
    Ok(missing)
}

fn load_with(
    layout: &Layout,
    env: &Environment,
    missing: Option<&mut Vec<Utf8PathBuf>>,
) -> Result<(Result<Config, OpenClawFailure>, AuthEnv)> {
    let path = layout.config_path.clone();
    let dotenv = dotenv_vars(layout, env)?;
    let mut auth_env = AuthEnv::default();

    let Some(text) = read_text(&path)? else {
        for (k, v) in &dotenv {
            auth_env.insert(k, v, "dotenv");
        }
        seed_process_env(&mut auth_env, env);
        return Ok((
            Ok(Config {
                root: Value::Object(Map::new()),
                path,
                exists: false,
                missing_env: Vec::new(),
                schema_issues: Vec::new(),
            }),
            auth_env,
        ));
    };
    let parsed = match parse_json5(&path, &text) {
        Ok(v) => v,
        Err(Error::Malformed { detail, .. }) => {
            return Ok((
                Err(OpenClawFailure {
                    code: "INVALID_CONFIG".into(),
                    message: format!("Failed to read config at {path}: JSON5: {detail}"),
                    fix: format!("fix the syntax error in {path}"),
                }),
                auth_env,
            ));
        }
        Err(e) => return Err(e),
    };
    if !parsed.is_object() {
        return Ok((
            Err(invalid_config(&path, "<root>: expected an object")),
            auth_env,
        ));
    }
    let base_dir = path.parent().map(Utf8Path::to_owned).unwrap_or_default();
    let mut includes = Includes {
        layout,
        roots: include_roots(&base_dir, env, layout),
        chain: vec![path.clone()],
        missing,
    };
    let root = match includes.resolve(parsed, &base_dir, 1) {
        Ok(v) => v,
        Err(IncludeError::Io(e)) => return Err(e),
        Err(IncludeError::Invalid(msg)) => {
            return Ok((Err(invalid_config(&path, msg)), auth_env));
        }
    };

    // Variables for substitution and credentials: process env, dotenv files, then env.vars.
    let mut subst: BTreeMap<String, String> = BTreeMap::new();
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            subst.entry(k.to_owned()).or_insert_with(|| v.to_owned());
        }
    };
    for (k, v) in &dotenv {
        put(k, v);
    }
    if let Some(vars) = root.pointer("/env/vars").and_then(Value::as_object) {
        for (k, v) in vars {
            if let Some(s) = v.as_str().filter(|s| !s.contains("${")) {
                put(k, s);
            }
        }
    }
    let mut missing_env = Vec::new();
    // Process env first: no later source overrides a variable already set.
    let lookup = |name: &str| {
        env.get(name)
            .map(str::to_owned)
            .or_else(|| subst.get(name).cloned())
    };
    let root = substitute(root, &lookup, &mut missing_env);

    seed_process_env(&mut auth_env, env);
    for (k, v) in &dotenv {
        auth_env.insert(k, v, "dotenv");
    }
    if let Some(vars) = root.pointer("/env/vars").and_then(Value::as_object) {
        for (k, v) in vars {
            if let Some(s) = v.as_str().filter(|s| !s.contains("${")) {
                auth_env.insert(k, s, "config env.vars");
            }
        }
    }
    let truthy = |v: &str| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    };
    auth_env.shell_fallback = (env.get("OPENCLAW_LOAD_SHELL_ENV").is_some_and(truthy)
        || root.pointer("/env/shellEnv/enabled") == Some(&Value::Bool(true)))
        && !env
            .get("OPENCLAW_DEFER_SHELL_ENV_FALLBACK")
            .is_some_and(truthy);

    let schema_issues = super::schema::check(&root);
    Ok((
        Ok(Config {
            root,
            path,
            exists: true,
            missing_env,
            schema_issues,
        }),
        auth_env,
    ))
}

/// The process environment: any variable may be named by a `$NAME` reference or an env-var
/// marker, so every non-blank one counts (values kept only masked).
fn seed_process_env(auth_env: &mut AuthEnv, env: &Environment) {
    for (name, v) in env.iter() {
        auth_env.insert(name, v, "env");
    }
}

fn include_roots(config_dir: &Utf8Path, env: &Environment, layout: &Layout) -> Vec<Utf8PathBuf> {
    let mut roots = vec![config_dir.to_owned()];
    if let Some(extra) = env.get("OPENCLAW_INCLUDE_ROOTS") {
        roots.extend(
            extra
                .split(':')
                .filter(|s| !s.trim().is_empty())
                .map(|s| layout.user_path(s)),
        );
    }
    roots
}

enum IncludeError {
    Io(Error),
    Invalid(String),
}

/// Lexically normalises `a/./b/../c`.
fn normalize(p: &Utf8Path) -> Utf8PathBuf {
    let mut out = Utf8PathBuf::new();
    for c in p.components() {
        match c {
            camino::Utf8Component::ParentDir => {
                out.pop();
            }
            camino::Utf8Component::CurDir => {}
            other => out.push(other.as_str()),
        }
    }
    out
}

/// `$include` resolution (`includes.ts`) for one load.
struct Includes<'a> {
    layout: &'a Layout,
    roots: Vec<Utf8PathBuf>,
    /// The files being read, outermost first (for cycles and the depth limit).
    chain: Vec<Utf8PathBuf>,
    /// When set, a missing include is recorded here and read as `{}` instead of failing.
    missing: Option<&'a mut Vec<Utf8PathBuf>>,
}

impl Includes<'_> {
    /// Resolves the includes inside `value`, which sits `depth` levels deep in the merged
    /// document: included files nest where they are included, so the merged whole is held to
    /// [`MAX_DEPTH`] as each file is.
    fn resolve(
        &mut self,
        value: Value,
        dir: &Utf8Path,
        depth: usize,
    ) -> Result<Value, IncludeError> {
        if depth > MAX_DEPTH && (value.is_object() || value.is_array()) {
            let path = self.chain.last().cloned().unwrap_or_default();
            return Err(IncludeError::Io(Error::TooDeep {
                path,
                limit: MAX_DEPTH,
            }));
        }
        match value {
            Value::Object(mut map) => {
                let include = map.remove("$include");
                let mut siblings = Map::new();
                for (k, v) in map {
                    siblings.insert(k, self.resolve(v, dir, depth + 1)?);
                }
                let Some(include) = include else {
                    return Ok(Value::Object(siblings));
                };
                let paths: Vec<String> = match include {
                    Value::String(s) => vec![s],
                    Value::Array(items) => items
                        .into_iter()
                        .map(|v| {
                            v.as_str().map(str::to_owned).ok_or_else(|| {
                                IncludeError::Invalid("$include entries must be strings".to_owned())
                            })
                        })
                        .collect::<Result<_, _>>()?,
                    _ => {
                        return Err(IncludeError::Invalid(
                            "$include must be a path or a list of paths".to_owned(),
                        ));
                    }
                };
                let mut merged = Value::Object(Map::new());
                for rel in paths {
                    let included = self.load(&rel, dir, depth)?;
                    merged = deep_merge(merged, included);
                }
                Ok(deep_merge(merged, Value::Object(siblings)))
            }
            Value::Array(items) => items
                .into_iter()
                .map(|v| self.resolve(v, dir, depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other),
        }
    }

    /// Reads the file `rel` names, included into an object `depth` levels deep.
    fn load(&mut self, rel: &str, dir: &Utf8Path, depth: usize) -> Result<Value, IncludeError> {
        if self.chain.len() > INCLUDE_DEPTH {
            return Err(IncludeError::Invalid(format!(
                "Maximum include depth ({INCLUDE_DEPTH}) exceeded at: {rel}"
            )));
        }
        // An absolute path is the host's: under a mirror it is read there, never here.
        let resolved = if Utf8Path::new(rel).is_absolute() {
            normalize(&self.layout.on_host(Utf8Path::new(rel)))
        } else {
            normalize(&dir.join(rel))
        };
        let real = std::fs::canonicalize(&resolved)
            .ok()
            .and_then(|p| Utf8PathBuf::from_path_buf(p).ok())
            .unwrap_or_else(|| resolved.clone());
        let inside = self.roots.iter().any(|r| {
            let r_real = std::fs::canonicalize(r)
                .ok()
                .and_then(|p| Utf8PathBuf::from_path_buf(p).ok())
                .unwrap_or_else(|| r.clone());
            real.starts_with(&r_real)
        });
        if !inside {
            return Err(IncludeError::Invalid(format!(
                "Include path escapes config directory: {rel} (root: {dir})"
            )));
        }
        if self.chain.contains(&real) {
            let names: Vec<String> = self.chain.iter().map(ToString::to_string).collect();
            return Err(IncludeError::Invalid(format!(
                "Circular include detected: {} -> {real}",
                names.join(" -> ")
            )));
        }
        let bytes = match super::files::read_capped(&real, INCLUDE_LIMIT) {
            Ok(Some(b)) => b,
            Ok(None) => {
                if let Some(missing) = self.missing.as_deref_mut() {
                    missing.push(real);
                    return Ok(Value::Object(Map::new()));
                }
                return Err(IncludeError::Invalid(format!(
                    "Failed to read include file: {rel} (resolved: {resolved})"
                )));
            }
            Err(Error::TooLarge { .. }) => {
                return Err(IncludeError::Invalid(format!(
                    "Include file is larger than 2 MiB: {rel}"
                )));
            }
            Err(e) => return Err(IncludeError::Io(e)),
        };
        let text = String::from_utf8(bytes).map_err(|_| {
            IncludeError::Invalid(format!("Failed to parse include file: {rel} (not UTF-8)"))
        })?;
        let parsed = match parse_json5(&real, &text) {
            Ok(v) => v,
            // Our own limit, not OpenClaw's refusal: the state is unreadable to us.
            Err(e @ Error::TooDeep { .. }) => return Err(IncludeError::Io(e)),
            Err(e) => {
                return Err(IncludeError::Invalid(format!(
                    "Failed to parse include file: {rel}: {e}"
                )));
            }
        };
        self.chain.push(real.clone());
        let sub_dir = real.parent().map(Utf8Path::to_owned).unwrap_or_default();
        let out = self.resolve(parsed, &sub_dir, depth);
        self.chain.pop();
        out
    }
}

/// Objects merge, arrays concatenate, scalars: `over` wins (`includes.ts`).
fn deep_merge(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Object(mut a), Value::Object(b)) => {
            for (k, v) in b {
                let merged = match a.remove(&k) {
                    Some(existing) => deep_merge(existing, v),
                    None => v,
                };
                a.insert(k, merged);
            }
            Value::Object(a)
        }
        (Value::Array(mut a), Value::Array(b)) => {
            a.extend(b);
            Value::Array(a)
        }
        (_, over) => over,
    }
}

/// `${NAME}` (upper-case names) in every string; `$${NAME}` is a literal `${NAME}`; unresolved
/// references stay literal and are recorded.
fn substitute(
    value: Value,
    lookup: &dyn Fn(&str) -> Option<String>,
    missing: &mut Vec<String>,
) -> Value {
    match value {
        Value::String(s) => Value::String(substitute_str(&s, lookup, missing)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| substitute(v, lookup, missing))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, substitute(v, lookup, missing)))
                .collect(),
        ),
        other => other,
    }
}

fn substitute_str(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    missing: &mut Vec<String>,
) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        // `$${NAME}`: the literal `${NAME}`.
        if let Some((name, tail)) = after.strip_prefix("$${").and_then(env_name_then_brace) {
            out.push_str("${");
            out.push_str(name);
            out.push('}');
            rest = tail;
            continue;
        }
        if let Some((name, tail)) = after.strip_prefix("${").and_then(env_name_then_brace) {
            match lookup(name).filter(|v| !v.is_empty()) {
                Some(v) => out.push_str(&v),
                None => {
                    missing.push(name.to_owned());
                    out.push_str("${");
                    out.push_str(name);
                    out.push('}');
                }
            }
            rest = tail;
            continue;
        }
        out.push('$');
        rest = &after[1..];
    }
    out.push_str(rest);
    out
}

/// `NAME}` at the start of `s` (`[A-Z_][A-Z0-9_]*`, OpenClaw's `ENV_VAR_NAME_PATTERN`): the
/// name and what follows the brace. Only the name's own characters are looked at, so a string
/// of a million `${` costs a million steps, not a million searches for a `}`; OpenClaw's
/// `indexOf("}")` then pattern test accepts exactly the same tokens.
fn env_name_then_brace(s: &str) -> Option<(&str, &str)> {
    let len = s
        .bytes()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        .count();
    let name = &s[..len];
    let first_ok = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_uppercase() || b == b'_');
    (first_ok && s.as_bytes().get(len) == Some(&b'}')).then(|| (name, &s[len + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines() {
        let v =
            parse_dotenv("# c\nexport A=1\nB=\"two words\"\nC='x y' \nD=plain # note\nbad line\n");
        assert_eq!(
            v,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "x y".into()),
                ("D".into(), "plain".into())
            ]
        );
    }

    #[test]
    fn substitution() {
        let mut missing = Vec::new();
        let look = |n: &str| (n == "MODEL").then(|| "anthropic/x".to_owned());
        assert_eq!(
            substitute_str("${MODEL}", &look, &mut missing),
            "anthropic/x"
        );
        assert_eq!(substitute_str("$${MODEL}", &look, &mut missing), "${MODEL}");
        assert_eq!(
            substitute_str("a ${NOPE} ${lower}", &look, &mut missing),
            "a ${NOPE} ${lower}"
        );
        assert_eq!(missing, vec!["NOPE".to_owned()]);
    }

    /// OpenClaw's tokenizer (`parseEnvTokenAt`): both `${NAME}` and `$${NAME}` need a valid
    /// name right up to the brace; anything else is kept as it is, dollar by dollar.
    #[test]
    fn substitution_takes_only_what_openclaw_takes() {
        let mut missing = Vec::new();
        let look = |n: &str| (n == "A").then(|| "x".to_owned());
        for (input, want) in [
            ("$${a b}", "$${a b}"),
            ("$${A}", "${A}"),
            ("$$${A}", "$${A}"),
            ("${A", "${A"),
            ("${A}}", "x}"),
            ("${${A}}", "${x}"),
            ("${1A}", "${1A}"),
            ("${_}", "${_}"),
            ("$", "$"),
            ("é${A}é", "éxé"),
        ] {
            assert_eq!(substitute_str(input, &look, &mut missing), want, "{input}");
        }
        assert_eq!(missing, vec!["_".to_owned()]);
    }

    /// Found by fuzzing: a string of `${` with no closing brace searched the rest of the
    /// string for one at every dollar (quadratic: half an hour for these 8 MiB). The work is
    /// now proportional to the string, and the output is the string itself. The wait below
    /// only keeps a regression from hanging the suite; it measures nothing.
    #[test]
    fn a_string_of_unclosed_references_is_read_once() {
        for unit in ["${", "$${", "${A ", "${AAAAAAAA", "$"] {
            let s = unit.repeat((8 << 20) / unit.len()) + "}";
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut missing = Vec::new();
                let _ = tx.send(substitute_str(&s, &|_| None, &mut missing) == s);
            });
            let same = rx
                .recv_timeout(std::time::Duration::from_secs(60))
                .unwrap_or_else(|_| {
                    panic!("{unit}: no answer in a minute: the scan is quadratic again")
                });
            assert!(same, "{unit}: the string changed");
        }
    }

    fn layout_at(root: &Utf8Path, mirror: bool) -> (Layout, Environment) {
        let mut env = Environment::empty()
            .with("HOME", root.join("home").as_str())
            .with("OPENCLAW_STATE_DIR", root.join("home/.openclaw").as_str());
        if mirror {
            env = env.with_mirror(root);
        }
        let layout = Layout::locate(&env, None).expect("layout");
        (layout, env)
    }

    #[test]
    fn includes_nest_no_deeper_than_a_file_may() {
        let t = tempfile::tempdir().expect("tmp");
        let root = Utf8Path::from_path(t.path()).expect("utf-8");
        let (layout, env) = layout_at(root, false);
        let dir = root.join("home/.openclaw");
        std::fs::create_dir_all(&dir).expect("mkdir");
        // Each file nests 40 levels: fine alone, 80 where one includes the other.
        let nest = |inner: &str| format!("{}{inner}{}", "{a: ".repeat(40), "}".repeat(40));
        std::fs::write(dir.join("inner.json5"), nest("1")).expect("write");
        std::fs::write(
            dir.join("openclaw.json"),
            nest("{$include: './inner.json5'}"),
        )
        .expect("write");
        let e = load(&layout, &env).expect_err("too deep once merged");
        assert!(matches!(e, Error::TooDeep { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("inner.json5: nesting deeper than 64"),
            "{e}"
        );
    }

    #[test]
    fn absolute_includes_of_a_mirrored_host_are_read_in_the_mirror() {
        let t = tempfile::tempdir().expect("tmp");
        let root = Utf8PathBuf::from_path_buf(std::fs::canonicalize(t.path()).expect("canon"))
            .expect("utf-8");
        // The host's config names its own absolute path; the mirror keeps it under `root`.
        let dir = root.join("home/.openclaw");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("openclaw.json"),
            "{$include: '/home/.openclaw/models.json5'}",
        )
        .expect("write");
        let (layout, env) = layout_at(&root, true);
        assert_eq!(
            missing_includes(&layout, &env).expect("read"),
            vec![dir.join("models.json5")]
        );
        std::fs::write(dir.join("models.json5"), "{agents: {x: 1}}").expect("write");
        assert!(missing_includes(&layout, &env).expect("read").is_empty());
        let (cfg, _) = load(&layout, &env).expect("load");
        assert_eq!(cfg.expect("valid").root["agents"]["x"], 1);
    }

    #[test]
    fn merge_rules() {
        let a = serde_json::json!({"x": {"a": 1, "l": [1]}, "s": 1});
        let b = serde_json::json!({"x": {"b": 2, "l": [2]}, "s": 2});
        assert_eq!(
            deep_merge(a, b),
            serde_json::json!({"x": {"a": 1, "l": [1, 2], "b": 2}, "s": 2})
        );
    }
}
