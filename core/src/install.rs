//! `clawauth hosts install`: puts clawauth itself on a gateway, so that its checks there are a
//! direct read (milliseconds) instead of a Node.js start (DESIGN.md §Core 6, rung a).
//!
//! Over the one connection a front end already has ([`Gateway`]):
//! 1. [`look`]: one script — the gateway's `uname -m`, what is at the target path (nothing, a
//!    clawauth and its version, another program, a directory), a checksum program, and whether
//!    the target's directory is writable or can be created.
//! 2. [`plan`]: the gateway's architecture against the binary's own (its ELF header); a foreign
//!    program at the target is never overwritten; a clawauth of the same version (or the very
//!    same bytes) is left alone.
//! 3. [`put`]: one script, the bytes on its stdin (never in argv): a temporary file in the
//!    target's directory, its size and SHA-256 checked against the ones computed here, made
//!    executable, run once (`--version`) to prove it works there, then renamed over the target
//!    (atomic). Whatever fails, the script removes the temporary file and the target stays as
//!    it was: no half-written helper is ever at the target path.
//!
//! Every value in both scripts is [`quote`]d; every step has a timeout ([`Limits`]), the copy's
//! proportional to the size. Messages state facts; front ends add the commands that help.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::display::visible_cut;
use crate::gateway::{Gateway, GatewayError, Limits, quote, quote_path};
use crate::report::Problem;

/// Where clawauth goes on the gateway unless asked otherwise.
pub const DEFAULT_TO: &str = "~/.local/bin/clawauth";

/// Binaries larger than this are refused (a release build is about 6 MB, a debug build 60).
pub const MAX_BINARY_BYTES: usize = 256 * 1024 * 1024;

/// This build's version, also carried in the binary as a mark [`binary_version`] finds, so the
/// version of a binary can be told without running it (it may be built for another machine).
static VERSION_MARK: &[u8] =
    concat!("\0clawauth-version:", env!("CARGO_PKG_VERSION"), "\0").as_bytes();
/// The length of the mark's fixed start (the literal is not kept in the binary: only its length).
const MARK_PREFIX_LEN: usize = "\0clawauth-version:".len();

/// The version of this build of clawauth.
pub fn this_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// What to install where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallRequest {
    /// The path on the gateway (absolute or `~/…`); [`DEFAULT_TO`] when `None`.
    pub to: Option<String>,
}

impl InstallRequest {
    /// The target path on the gateway.
    pub fn target(&self) -> &str {
        self.to.as_deref().unwrap_or(DEFAULT_TO)
    }

    /// Refuses a target path that could not be passed safely or that names no file: empty,
    /// control characters, relative (not `/…` or `~/…`), ending in `/`, or with `.` or `..`
    /// components.
    pub fn validate(&self) -> Result<(), InstallError> {
        let to = self.target();
        let bad = |reason: &str| {
            Err(InstallError::InvalidTarget {
                path: to.to_owned(),
                reason: reason.to_owned(),
            })
        };
        if to.is_empty() {
            return bad("empty");
        }
        if let Err(e) = crate::validate::validate_remote_path(to) {
            return bad(&e);
        }
        if to.ends_with('/') || to == "~" {
            return bad("it names a directory; give the file's path, e.g. ~/.local/bin/clawauth");
        }
        let rest = to.strip_prefix("~/").unwrap_or(to);
        if rest.split('/').any(|c| c == ".." || c == ".") {
            return bad("`.` and `..` components are not allowed");
        }
        Ok(())
    }

    /// The target's directory (`~/` for a file right in the home directory, `/` for one at the
    /// root).
    fn dir(&self) -> String {
        let to = self.target();
        match to.rsplit_once('/') {
            Some(("", _)) => "/".to_owned(),
            Some(("~", _)) => "~/".to_owned(),
            Some((d, _)) => d.to_owned(),
            None => "~/".to_owned(),
        }
    }
}

/// A machine architecture clawauth is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Aarch64,
    X86_64,
}

impl Arch {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aarch64 => "aarch64",
            Self::X86_64 => "x86_64",
        }
    }

    /// The architecture `uname -m` names (`aarch64`/`arm64`, `x86_64`/`amd64`).
    pub fn from_uname(m: &str) -> Option<Self> {
        match m.trim() {
            "aarch64" | "arm64" => Some(Self::Aarch64),
            "x86_64" | "amd64" => Some(Self::X86_64),
            _ => None,
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The architecture of an executable, from its ELF header (64-bit little-endian only: what
/// clawauth is built as).
pub fn binary_arch(bytes: &[u8]) -> Result<Arch, InstallError> {
    let unsupported = |reason: String| Err(InstallError::UnsupportedBinary { reason });
    if bytes.len() < 64 || bytes[..4] != *b"\x7fELF" {
        return unsupported("it is not an ELF executable".to_owned());
    }
    if bytes[4] != 2 || bytes[5] != 1 {
        return unsupported("it is not a 64-bit little-endian ELF executable".to_owned());
    }
    match u16::from_le_bytes([bytes[18], bytes[19]]) {
        0xB7 => Ok(Arch::Aarch64),
        0x3E => Ok(Arch::X86_64),
        m => unsupported(format!(
            "it is built for ELF machine {m:#x}, neither aarch64 nor x86_64"
        )),
    }
}

/// The clawauth version a binary carries (its version mark), `None` when it carries none (not
/// clawauth, or a build from before the mark).
pub fn binary_version(bytes: &[u8]) -> Option<String> {
    // The start of the mark is taken from the mark itself, so no other copy of it is in a binary.
    let mark = std::hint::black_box(VERSION_MARK);
    let prefix = &mark[..MARK_PREFIX_LEN];
    let mut from = 0;
    while let Some(at) = bytes
        .get(from..)?
        .windows(prefix.len())
        .position(|w| w == prefix)
    {
        let start = from + at + prefix.len();
        let rest = &bytes[start..bytes.len().min(start + 65)];
        if let Some(end) = rest.iter().position(|b| *b == 0)
            && end > 0
            && rest[..end]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b".+-".contains(b))
        {
            return Some(String::from_utf8_lossy(&rest[..end]).into_owned());
        }
        from = start;
    }
    None
}

/// A binary about to be installed: its bytes and what is known of them.
#[derive(Debug, Clone)]
pub struct Binary<'a> {
    pub bytes: &'a [u8],
    pub arch: Arch,
    /// Its version mark ([`binary_version`]).
    pub version: Option<String>,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

impl<'a> Binary<'a> {
    /// Reads the architecture, version and checksum of `bytes`; refuses what is not a 64-bit
    /// aarch64 or x86_64 ELF executable.
    pub fn inspect(bytes: &'a [u8]) -> Result<Self, InstallError> {
        if bytes.len() > MAX_BINARY_BYTES {
            return Err(InstallError::UnsupportedBinary {
                reason: format!(
                    "it is {} bytes, more than the {MAX_BINARY_BYTES} clawauth sends",
                    bytes.len()
                ),
            });
        }
        let arch = binary_arch(bytes)?;
        Ok(Self {
            bytes,
            arch,
            version: binary_version(bytes),
            sha256: hex(&Sha256::digest(bytes)),
        })
    }

    /// `clawauth 0.1.0` (or `clawauth` when the version is not known).
    pub fn describe(&self) -> String {
        match &self.version {
            Some(v) => format!("clawauth {v}"),
            None => "clawauth".to_owned(),
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What is at the target path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetState {
    Absent,
    /// An executable whose `--version` says `clawauth VERSION`; `sha256` when it could be read.
    Clawauth {
        version: String,
        sha256: Option<String>,
    },
    /// An executable whose `--version` says something else (its first line; empty: nothing).
    Foreign {
        says: String,
    },
    /// A directory, a special file, or a file that is not executable.
    NotAProgram {
        what: String,
    },
}

/// The program that checks SHA-256 on the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumTool {
    Sha256sum,
    Shasum,
    Openssl,
}

/// What [`look`] found on the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Look {
    /// `uname -m`, as printed.
    pub uname: String,
    pub arch: Option<Arch>,
    pub target: TargetState,
    pub checksum: Option<ChecksumTool>,
    /// The target's directory exists and is writable, or can be created.
    pub dir_writable: bool,
    /// Something that is not a directory is where the target's directory (or one above it)
    /// should be.
    pub dir_blocked: bool,
}

/// What [`plan`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The target already is this version (or these very bytes): nothing to write.
    UpToDate { version: String },
    /// Write the binary, replacing `replaces` (the version there) when set.
    Install { replaces: Option<String> },
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The target path, as asked (`~/…` kept).
    pub path: String,
    pub arch: Arch,
    /// The version the installed program reports (`clawauth X.Y.Z` minus `clawauth `).
    pub version: String,
    /// The version it replaced, if any.
    pub previous: Option<String>,
    /// Whether anything was written (false: it was up to date).
    pub changed: bool,
    pub bytes: u64,
    pub sha256: String,
}

/// A step of [`put`] on the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    CreateDir,
    TempFile,
    Copy,
    Size,
    Checksum,
    Chmod,
    Run,
    Rename,
}

impl Step {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "mkdir" => Self::CreateDir,
            "mktemp" => Self::TempFile,
            "copy" => Self::Copy,
            "size" => Self::Size,
            "checksum" => Self::Checksum,
            "chmod" => Self::Chmod,
            "run" => Self::Run,
            "rename" => Self::Rename,
            _ => return None,
        })
    }

    fn describe(self) -> &'static str {
        match self {
            Self::CreateDir => "creating the directory",
            Self::TempFile => "creating a temporary file beside the target",
            Self::Copy => "copying the binary",
            Self::Size => "checking the copy's size",
            Self::Checksum => "checking the copy's SHA-256",
            Self::Chmod => "making the copy executable",
            Self::Run => "running the copy (--version)",
            Self::Rename => "renaming the copy into place",
        }
    }
}

/// Why clawauth was not installed. Facts only; the target is untouched in every case.
#[derive(Debug, Clone, thiserror::Error)]
pub enum InstallError {
    #[error("cannot install to {}: {reason}", visible_cut(.path, 200))]
    InvalidTarget { path: String, reason: String },
    #[error("the binary cannot be installed: {reason}")]
    UnsupportedBinary { reason: String },
    #[error("the gateway's architecture is {}, for which clawauth is not built (aarch64 and x86_64 are)", visible_cut(.uname, 60))]
    UnsupportedArch { uname: String },
    #[error("the gateway is {gateway}, the binary is built for {binary}")]
    ArchMismatch { gateway: Arch, binary: Arch },
    #[error("{} is another program (its --version says {:?}), not clawauth: it was left alone", visible_cut(.path, 200), visible_cut(.says, 120))]
    Foreign { path: String, says: String },
    #[error("{} is {what}, not a program: it was left alone", visible_cut(.path, 200))]
    NotAProgram { path: String, what: String },
    #[error("{} cannot be written on the gateway ({why}): nothing was written", visible_cut(.dir, 200))]
    NotWritable { dir: String, why: String },
    #[error(
        "the gateway has no sha256sum, shasum or openssl to check the copy: nothing was written"
    )]
    NoChecksumTool,
    #[error("installing on the gateway failed while {}{}; the temporary file was removed and {} left as it was", .step.describe(), if .detail.is_empty() { String::new() } else { format!(" ({})", visible_cut(.detail, 300)) }, visible_cut(.path, 200))]
    Failed {
        step: Step,
        path: String,
        detail: String,
    },
    #[error("{0}")]
    Gateway(GatewayError),
    #[error("{message}")]
    Unreached {
        problem: Box<Problem>,
        message: String,
    },
}

impl InstallError {
    /// The error as a [`Problem`], for front ends that act on those.
    pub fn problem(&self) -> Problem {
        match self {
            Self::Unreached { problem, .. } => (**problem).clone(),
            Self::Gateway(GatewayError::Timeout { after, .. }) => {
                Problem::timed_out(crate::report::Phase::Command, *after)
            }
            Self::InvalidTarget { .. } | Self::UnsupportedBinary { .. } => Problem::InvalidInput {
                reason: self.to_string(),
            },
            _ => Problem::GatewayCommandFailed {
                reason: self.to_string(),
            },
        }
    }
}

impl From<GatewayError> for InstallError {
    fn from(e: GatewayError) -> Self {
        Self::Gateway(e)
    }
}

/// The shell function `h FILE`: the file's SHA-256 in lowercase hex, with whichever program
/// `$H` names.
const HASH_FN: &str = "h() {\n\
  case $H in\n\
    sha256sum) set -- $(sha256sum < \"$1\"); printf %s \"$1\";;\n\
    shasum) set -- $(shasum -a 256 < \"$1\"); printf %s \"$1\";;\n\
    openssl) r=$(openssl dgst -sha256 < \"$1\"); printf %s \"${r##* }\";;\n\
  esac\n\
}\n\
H=\n\
if command -v sha256sum >/dev/null 2>&1; then H=sha256sum\n\
elif command -v shasum >/dev/null 2>&1; then H=shasum\n\
elif command -v openssl >/dev/null 2>&1; then H=openssl; fi\n";

/// The start of a script: the target `t`, its directory `d`, `T` (the gateway's `timeout`, so
/// a program's `--version` cannot hang) and the checksum function.
fn preamble(req: &InstallRequest) -> Result<String, InstallError> {
    let q = |p: &str| {
        quote_path(p).map_err(|e| InstallError::InvalidTarget {
            path: req.target().to_owned(),
            reason: e.to_string(),
        })
    };
    Ok(format!(
        "t={}\nd={}\nT=\nif command -v timeout >/dev/null 2>&1; then T='timeout 10'; fi\n{HASH_FN}",
        q(req.target())?,
        q(&req.dir())?
    ))
}

/// The first line a program prints for `--version` (stdout and stderr), bounded in time by `$T`.
const VERSION_OF: &str =
    "v() { $T \"$1\" --version </dev/null 2>&1 | { IFS= read -r l; printf '%s' \"$l\"; }; }\n";

const LOOK: &str = "printf 'clawauth-install-look 1\\n'\n\
printf 'arch %s\\n' \"$(uname -m 2>/dev/null)\"\n\
if [ -d \"$t\" ]; then k=directory\n\
elif [ -f \"$t\" ] && [ -x \"$t\" ]; then k=exec\n\
elif [ -f \"$t\" ]; then k=file\n\
elif [ -e \"$t\" ] || [ -L \"$t\" ]; then k=special\n\
else k=absent; fi\n\
printf 'target %s\\n' \"$k\"\n\
printf 'sum %s\\n' \"$H\"\n\
if [ \"$k\" = exec ]; then\n\
  s=$(v \"$t\")\n\
  printf 'says %s\\n' \"$s\"\n\
  case \"$s\" in \"clawauth \"*) [ -n \"$H\" ] && printf 'sha %s\\n' \"$(h \"$t\")\";; esac\n\
fi\n\
x=$d\n\
while [ ! -e \"$x\" ] && [ ! -L \"$x\" ]; do x=$(dirname \"$x\"); done\n\
if [ ! -d \"$x\" ]; then w=blocked\n\
elif [ -w \"$x\" ]; then w=yes\n\
else w=no; fi\n\
printf 'dir %s\\n' \"$w\"\n\
printf 'end\\n'\n";

/// Looks at the gateway: its architecture, what is at the target, the checksum program, and
/// whether the target's directory can be written. Writes nothing.
pub async fn look<G: Gateway>(gw: &G, req: &InstallRequest) -> Result<Look, InstallError> {
    req.validate()?;
    let script = format!("{}{VERSION_OF}{LOOK}", preamble(req)?);
    let out = gw
        .exec_script(
            &script,
            None,
            Limits::new(Duration::from_secs(30), 64 * 1024),
        )
        .await?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_look(&text).ok_or_else(|| {
        InstallError::Gateway(GatewayError::Io(format!(
            "the gateway's shell did not run clawauth's install check (exit {:?}): {}",
            out.status,
            crate::redact::last_line(&String::from_utf8_lossy(&out.stderr), 200)
        )))
    })
}

/// Reads [`LOOK`]'s answer; `None` when it is not one (the script did not run to its end).
fn parse_look(text: &str) -> Option<Look> {
    let mut lines = text.lines().skip_while(|l| *l != "clawauth-install-look 1");
    lines.next()?;
    let (mut uname, mut kind, mut sum, mut says, mut sha, mut dir) =
        (None, None, None, None, None, None);
    let mut ended = false;
    for l in lines {
        let (k, v) = l.split_once(' ').unwrap_or((l, ""));
        match k {
            "arch" => uname = Some(v.to_owned()),
            "target" => kind = Some(v.to_owned()),
            "sum" => sum = Some(v.to_owned()),
            "says" => says = Some(v.to_owned()),
            "sha" => sha = Some(v.to_owned()),
            "dir" => dir = Some(v.to_owned()),
            "end" => {
                ended = true;
                break;
            }
            _ => {}
        }
    }
    if !ended {
        return None;
    }
    let uname = uname?;
    let target = match kind?.as_str() {
        "absent" => TargetState::Absent,
        "exec" => {
            let says = says.unwrap_or_default();
            match says.strip_prefix("clawauth ") {
                Some(v) => TargetState::Clawauth {
                    version: v.trim().to_owned(),
                    sha256: sha
                        .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
                        .map(|s| s.to_ascii_lowercase()),
                },
                None => TargetState::Foreign { says },
            }
        }
        "directory" => TargetState::NotAProgram {
            what: "a directory".to_owned(),
        },
        "file" => TargetState::NotAProgram {
            what: "a file that is not executable".to_owned(),
        },
        _ => TargetState::NotAProgram {
            what: "a special file".to_owned(),
        },
    };
    let checksum = match sum?.as_str() {
        "sha256sum" => Some(ChecksumTool::Sha256sum),
        "shasum" => Some(ChecksumTool::Shasum),
        "openssl" => Some(ChecksumTool::Openssl),
        _ => None,
    };
    let dir = dir?;
    Some(Look {
        arch: Arch::from_uname(&uname),
        uname,
        target,
        checksum,
        dir_writable: dir == "yes",
        dir_blocked: dir == "blocked",
    })
}

/// Decides what to do with `binary` given what [`look`] found; an error when it must not be
/// installed there.
pub fn plan(look: &Look, req: &InstallRequest, binary: &Binary<'_>) -> Result<Plan, InstallError> {
    let Some(arch) = look.arch else {
        return Err(InstallError::UnsupportedArch {
            uname: look.uname.clone(),
        });
    };
    if arch != binary.arch {
        return Err(InstallError::ArchMismatch {
            gateway: arch,
            binary: binary.arch,
        });
    }
    let path = req.target().to_owned();
    let replaces = match &look.target {
        TargetState::Absent => None,
        TargetState::Foreign { says } => {
            return Err(InstallError::Foreign {
                path,
                says: says.clone(),
            });
        }
        TargetState::NotAProgram { what } => {
            return Err(InstallError::NotAProgram {
                path,
                what: what.clone(),
            });
        }
        TargetState::Clawauth { version, sha256 } => {
            let same_bytes = sha256.as_deref() == Some(binary.sha256.as_str());
            let same_version = binary.version.as_deref() == Some(version.as_str());
            if same_bytes || same_version {
                return Ok(Plan::UpToDate {
                    version: version.clone(),
                });
            }
            Some(version.clone())
        }
    };
    if !look.dir_writable {
        return Err(InstallError::NotWritable {
            dir: req.dir(),
            why: if look.dir_blocked {
                "a file that is not a directory is in the way".to_owned()
            } else {
                "no write permission, or a read-only file system".to_owned()
            },
        });
    }
    if look.checksum.is_none() {
        return Err(InstallError::NoChecksumTool);
    }
    Ok(Plan::Install { replaces })
}

const PUT: &str = "umask 077\n\
tmp=\n\
trap 'st=$?; [ -n \"$tmp\" ] && rm -f \"$tmp\"; cat >/dev/null 2>&1; exit $st' EXIT\n\
trap 'exit 129' HUP\n\
trap 'exit 130' INT\n\
trap 'exit 143' TERM\n\
fail() { printf '@@fail %s %s\\n' \"$1\" \"$2\"; exit 3; }\n\
[ -n \"$H\" ] || fail checksum 'no checksum program'\n\
if [ ! -d \"$d\" ]; then mkdir -p \"$d\" || fail mkdir ''; fi\n\
tmp=$(mktemp \"$d/.clawauth.XXXXXX\") || { tmp=; fail mktemp ''; }\n\
head -c \"$n\" > \"$tmp\" || fail copy ''\n\
cat >/dev/null 2>&1\n\
s=$(( $(wc -c < \"$tmp\") ))\n\
[ \"$s\" = \"$n\" ] || fail size \"$s of $n bytes arrived\"\n\
[ \"$(h \"$tmp\")\" = \"$want\" ] || fail checksum 'the SHA-256 differs from the one sent'\n\
chmod 755 \"$tmp\" || fail chmod ''\n\
sync \"$tmp\" 2>/dev/null\n\
s=$(v \"$tmp\")\n\
case \"$s\" in \"clawauth \"*) ;; *) fail run \"it says: $s\";; esac\n\
[ -d \"$t\" ] && fail rename 'the target is a directory'\n\
mv -f \"$tmp\" \"$t\" || fail rename ''\n\
tmp=\n\
printf '@@installed %s\\n' \"$s\"\n";

/// How long the copy of `size` bytes may take: 30 s, and a second per 64 KiB (a slow mobile
/// link of half a megabit).
fn copy_timeout(size: usize) -> Duration {
    Duration::from_secs(30 + (size as u64).div_ceil(64 * 1024))
}

/// How long a whole install of `size` bytes may take when nobody says: connecting and looking,
/// then the copy ([`put`]'s own timeout).
pub fn deadline_for(size: usize) -> Duration {
    Duration::from_secs(60) + copy_timeout(size)
}

/// Writes `binary` to the target: temporary file, size and checksum, `chmod 755`, a run of
/// `--version`, rename. On failure nothing is left behind and the target is untouched.
pub async fn put<G: Gateway>(
    gw: &G,
    req: &InstallRequest,
    binary: &Binary<'_>,
) -> Result<String, InstallError> {
    req.validate()?;
    let script = format!(
        "{}{VERSION_OF}n={}\nwant={}\n{PUT}",
        preamble(req)?,
        quote(&binary.bytes.len().to_string())?,
        quote(&binary.sha256)?
    );
    let out = gw
        .exec_script(
            &script,
            Some(binary.bytes),
            Limits::new(copy_timeout(binary.bytes.len()), 64 * 1024),
        )
        .await?;
    let text = String::from_utf8_lossy(&out.stdout);
    for l in text.lines() {
        if let Some(says) = l.strip_prefix("@@installed ") {
            if out.status == Some(0) {
                return Ok(says
                    .strip_prefix("clawauth ")
                    .unwrap_or(says)
                    .trim()
                    .to_owned());
            }
        } else if let Some(rest) = l.strip_prefix("@@fail ") {
            let (step, detail) = rest.split_once(' ').unwrap_or((rest, ""));
            if let Some(step) = Step::parse(step) {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let detail = if detail.is_empty() {
                    crate::redact::last_line(&stderr, 200).to_string()
                } else {
                    detail.to_owned()
                };
                return Err(InstallError::Failed {
                    step,
                    path: req.target().to_owned(),
                    detail,
                });
            }
        }
    }
    Err(InstallError::Gateway(GatewayError::Io(format!(
        "the install script on the gateway ended without saying how it went (exit {:?}{}): {}",
        out.status,
        out.signal
            .as_deref()
            .map(|s| format!(", {s}"))
            .unwrap_or_default(),
        crate::redact::last_line(&String::from_utf8_lossy(&out.stderr), 200)
    ))))
}

/// [`look`], [`plan`] and, unless up to date, [`put`]; `on_plan` hears the decision before
/// anything is written (for a front end's progress line).
pub async fn install_with<G: Gateway>(
    gw: &G,
    req: &InstallRequest,
    binary: &Binary<'_>,
    on_plan: impl FnOnce(&Look, &Plan) + Send,
) -> Result<Installed, InstallError> {
    let seen = look(gw, req).await?;
    let decided = plan(&seen, req, binary)?;
    on_plan(&seen, &decided);
    let done = |version: String, previous: Option<String>, changed: bool| Installed {
        path: req.target().to_owned(),
        arch: binary.arch,
        version,
        previous,
        changed,
        bytes: binary.bytes.len() as u64,
        sha256: binary.sha256.clone(),
    };
    match decided {
        Plan::UpToDate { version } => Ok(done(version, None, false)),
        Plan::Install { replaces } => {
            let version = put(gw, req, binary).await?;
            Ok(done(version, replaces, true))
        }
    }
}

/// Installs `binary` (the bytes of a clawauth executable) on the gateway behind `gw`.
pub async fn install<G: Gateway>(
    gw: &G,
    req: &InstallRequest,
    binary: &[u8],
) -> Result<Installed, InstallError> {
    let b = Binary::inspect(binary)?;
    install_with(gw, req, &b, |_, _| {}).await
}

/// Connects to gateway `name` at `ssh_target` and installs `binary` there, all within
/// `deadline`; the request is checked before anything connects.
pub async fn install_over_ssh(
    name: &str,
    ssh_target: &str,
    opts: &crate::ssh::ConnectOptions,
    req: &InstallRequest,
    binary: &Binary<'_>,
    deadline: Duration,
    on_plan: impl FnOnce(&Look, &Plan) + Send,
) -> Result<Installed, InstallError> {
    req.validate()?;
    let work = async {
        let gw = crate::ssh::connect(name, ssh_target, opts)
            .await
            .map_err(|e| InstallError::Unreached {
                problem: Box::new(e.problem()),
                message: e.to_string(),
            })?;
        let out = install_with(&gw, req, binary, on_plan).await;
        gw.close().await;
        out
    };
    tokio::time::timeout(deadline, work)
        .await
        .unwrap_or_else(|_| {
            let problem = Problem::timed_out(crate::report::Phase::Deadline, deadline);
            Err(InstallError::Unreached {
                message: problem.describe(),
                problem: Box::new(problem),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::local::LocalGateway;
    use crate::openclaw::env::Environment;
    use crate::testutil::tmp;

    fn elf(machine: u16) -> Vec<u8> {
        let mut b = vec![0u8; 128];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[18..20].copy_from_slice(&machine.to_le_bytes());
        b
    }

    #[test]
    fn architectures_from_uname_and_from_the_elf_header() {
        assert_eq!(Arch::from_uname("aarch64\n"), Some(Arch::Aarch64));
        assert_eq!(Arch::from_uname("arm64"), Some(Arch::Aarch64));
        assert_eq!(Arch::from_uname("x86_64"), Some(Arch::X86_64));
        assert_eq!(Arch::from_uname("amd64"), Some(Arch::X86_64));
        for other in ["armv7l", "riscv64", "i686", "", "aarch64_be"] {
            assert_eq!(Arch::from_uname(other), None, "{other}");
        }
        assert_eq!(binary_arch(&elf(0xB7)).expect("aarch64"), Arch::Aarch64);
        assert_eq!(binary_arch(&elf(0x3E)).expect("x86_64"), Arch::X86_64);
        for bad in [
            elf(0x28),
            b"#!/bin/sh\necho clawauth 1\n".to_vec(),
            vec![],
            {
                let mut b = elf(0x3E);
                b[4] = 1;
                b
            },
        ] {
            assert!(
                matches!(
                    binary_arch(&bad),
                    Err(InstallError::UnsupportedBinary { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_version_mark_is_found_and_only_a_whole_one_counts() {
        let mut b = elf(0x3E);
        b.extend_from_slice(b"\0clawauth-version:junk\xff\0");
        b.extend_from_slice(b"\0clawauth-version:");
        assert_eq!(binary_version(&b), None);
        b.extend_from_slice(b"1.2.3-rc.1\0tail");
        assert_eq!(binary_version(&b).as_deref(), Some("1.2.3-rc.1"));
        assert_eq!(binary_version(b"nothing here"), None);
        // This build carries its own.
        let mine = std::hint::black_box(VERSION_MARK).to_vec();
        assert_eq!(binary_version(&mine).as_deref(), Some(this_version()));
    }

    #[test]
    fn hostile_or_meaningless_targets_are_refused() {
        for bad in [
            "",
            "$(touch /tmp/x)",
            "bin/clawauth",
            "~/.local/bin/",
            "/usr/local/bin/",
            "~",
            "~/",
            "/a/../clawauth",
            "~/../clawauth",
            "/a/./clawauth",
            "/a/b\nc",
            "/a/b\0c",
            "/a/\u{1b}[2J",
        ] {
            let r = InstallRequest {
                to: Some(bad.to_owned()),
            };
            assert!(
                matches!(r.validate(), Err(InstallError::InvalidTarget { .. })),
                "{bad:?}"
            );
        }
        for ok in [
            "~/.local/bin/clawauth",
            "/usr/local/bin/clawauth",
            "/opt/my tools/clawauth",
            "~/bin/x'y",
            "/clawauth",
        ] {
            let r = InstallRequest {
                to: Some(ok.to_owned()),
            };
            r.validate().expect(ok);
        }
        let dir = |to: &str| {
            InstallRequest {
                to: Some(to.into()),
            }
            .dir()
        };
        assert_eq!(dir("~/.local/bin/clawauth"), "~/.local/bin");
        assert_eq!(dir("~/clawauth"), "~/");
        assert_eq!(dir("/clawauth"), "/");
        assert_eq!(InstallRequest::default().target(), DEFAULT_TO);
    }

    fn look_of(target: TargetState) -> Look {
        Look {
            uname: "aarch64".into(),
            arch: Some(Arch::Aarch64),
            target,
            checksum: Some(ChecksumTool::Sha256sum),
            dir_writable: true,
            dir_blocked: false,
        }
    }

    #[test]
    fn the_plan_refuses_what_must_not_be_overwritten_and_skips_what_is_current() {
        let bytes = elf(0xB7);
        let mut b = Binary::inspect(&bytes).expect("binary");
        b.version = Some("0.2.0".into());
        let req = InstallRequest::default();
        assert_eq!(
            plan(&look_of(TargetState::Absent), &req, &b).expect("plan"),
            Plan::Install { replaces: None }
        );
        let old = TargetState::Clawauth {
            version: "0.1.0".into(),
            sha256: Some("0".repeat(64)),
        };
        assert_eq!(
            plan(&look_of(old), &req, &b).expect("plan"),
            Plan::Install {
                replaces: Some("0.1.0".into())
            }
        );
        let same = TargetState::Clawauth {
            version: "0.2.0".into(),
            sha256: None,
        };
        assert!(matches!(
            plan(&look_of(same), &req, &b),
            Ok(Plan::UpToDate { .. })
        ));
        // The same bytes, whatever the version says.
        let identical = TargetState::Clawauth {
            version: "9".into(),
            sha256: Some(b.sha256.clone()),
        };
        assert!(matches!(
            plan(&look_of(identical), &req, &b),
            Ok(Plan::UpToDate { .. })
        ));
        let foreign = TargetState::Foreign {
            says: "GNU bash 5".into(),
        };
        assert!(matches!(
            plan(&look_of(foreign), &req, &b),
            Err(InstallError::Foreign { .. })
        ));
        let mut riscv = look_of(TargetState::Absent);
        riscv.uname = "riscv64".into();
        riscv.arch = None;
        let e = plan(&riscv, &req, &b).expect_err("riscv");
        assert!(e.to_string().contains("riscv64"), "{e}");
        let mut x86 = look_of(TargetState::Absent);
        x86.arch = Some(Arch::X86_64);
        let e = plan(&x86, &req, &b).expect_err("x86");
        assert_eq!(
            e.to_string(),
            "the gateway is x86_64, the binary is built for aarch64"
        );
        let mut ro = look_of(TargetState::Absent);
        ro.dir_writable = false;
        assert!(matches!(
            plan(&ro, &req, &b),
            Err(InstallError::NotWritable { .. })
        ));
        let mut no_sum = look_of(TargetState::Absent);
        no_sum.checksum = None;
        assert!(matches!(
            plan(&no_sum, &req, &b),
            Err(InstallError::NoChecksumTool)
        ));
    }

    fn local(home: &camino::Utf8Path) -> LocalGateway {
        LocalGateway::new(
            "here",
            Environment::empty()
                .with("HOME", home.as_str())
                .with("PATH", "/usr/local/bin:/usr/bin:/bin"),
        )
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    /// The look script on a real shell: nothing there, an old clawauth, another program, a
    /// directory; an uncreatable directory.
    #[test]
    fn look_reads_a_real_shell() {
        use std::os::unix::fs::PermissionsExt;
        let (_t, home) = tmp();
        let gw = local(&home);
        let req = InstallRequest::default();
        let l = run(look(&gw, &req)).expect("look");
        assert_eq!(l.target, TargetState::Absent);
        assert!(l.dir_writable && l.checksum.is_some(), "{l:?}");
        assert_eq!(l.arch, Arch::from_uname(std::env::consts::ARCH));

        let bin = home.join(".local/bin");
        std::fs::create_dir_all(&bin).expect("mkdir");
        let t = bin.join("clawauth");
        std::fs::write(&t, "#!/bin/sh\necho 'clawauth 0.0.1'\n").expect("write");
        std::fs::set_permissions(&t, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let l = run(look(&gw, &req)).expect("look");
        match &l.target {
            TargetState::Clawauth { version, sha256 } => {
                assert_eq!(version, "0.0.1");
                let want = hex(&Sha256::digest(std::fs::read(&t).expect("read")));
                assert_eq!(sha256.as_deref(), Some(want.as_str()));
            }
            other => panic!("{other:?}"),
        }
        std::fs::write(&t, "#!/bin/sh\nprintf 'my tool 3\\033[2J\\n'\n").expect("write");
        let l = run(look(&gw, &req)).expect("look");
        assert_eq!(
            l.target,
            TargetState::Foreign {
                says: "my tool 3\u{1b}[2J".into()
            }
        );
        std::fs::remove_file(&t).expect("rm");
        std::fs::create_dir(&t).expect("mkdir");
        let l = run(look(&gw, &req)).expect("look");
        assert!(matches!(l.target, TargetState::NotAProgram { .. }), "{l:?}");

        // A file where the directory should be.
        std::fs::write(home.join("blocker"), "").expect("write");
        let req = InstallRequest {
            to: Some("~/blocker/bin/clawauth".into()),
        };
        let l = run(look(&gw, &req)).expect("look");
        assert!(!l.dir_writable && l.dir_blocked, "{l:?}");
    }

    /// A program that runs but is not clawauth is copied, run, refused: the temporary file is
    /// gone, the old helper unchanged.
    #[test]
    fn a_copy_that_does_not_say_clawauth_is_removed_and_the_old_one_kept() {
        let (_t, home) = tmp();
        let gw = local(&home);
        let dir = home.join("bin");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let t = dir.join("clawauth");
        std::fs::write(&t, "old").expect("write");
        let bytes = std::fs::read("/bin/true").expect("/bin/true");
        let b = Binary::inspect(&bytes).expect("an ELF");
        let req = InstallRequest {
            to: Some(t.to_string()),
        };
        match run(put(&gw, &req, &b)) {
            Err(InstallError::Failed {
                step: Step::Run, ..
            }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(std::fs::read_to_string(&t).expect("read"), "old");
        let left: Vec<_> = std::fs::read_dir(&dir)
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("clawauth")]);

        // A checksum that does not match: refused at that step.
        let mut wrong = b.clone();
        wrong.sha256 = "0".repeat(64);
        match run(put(&gw, &req, &wrong)) {
            Err(InstallError::Failed {
                step: Step::Checksum,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(std::fs::read_dir(&dir).expect("ls").count(), 1);
    }

    #[test]
    fn look_output_must_be_complete() {
        assert_eq!(parse_look("clawauth-install-look 1\narch x86_64\n"), None);
        assert_eq!(parse_look("garbage"), None);
        let l = parse_look(
            "motd\nclawauth-install-look 1\narch riscv64\ntarget absent\nsum \ndir no\nend\n",
        )
        .expect("look");
        assert_eq!(l.arch, None);
        assert_eq!(l.checksum, None);
        assert!(!l.dir_writable && !l.dir_blocked);
    }
}
