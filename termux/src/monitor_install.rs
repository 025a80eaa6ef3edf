//! Placeholder until `monitor install` lands: the selection flags shared with `clawauth monitor`.

/// Which gateways a monitor run checks (shared with `clawauth monitor` itself).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Selection {
    /// Check this gateway (a host from config.toml or an ssh destination); repeat for several
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,
    /// Check every host in config.toml
    #[arg(long, conflicts_with_all = ["hosts", "local"])]
    pub all: bool,
    /// Check this machine's own OpenClaw (the gateway host itself)
    #[arg(long, conflicts_with = "hosts")]
    pub local: bool,
}

#[derive(Debug, clap::Args)]
pub struct InstallArgs {}
#[derive(Debug, clap::Args)]
pub struct UninstallArgs {}
pub fn install(_: InstallArgs) -> std::process::ExitCode {
    std::process::ExitCode::from(70)
}
pub fn uninstall(_: UninstallArgs) -> std::process::ExitCode {
    std::process::ExitCode::from(70)
}
