//! Host name resolution that does not depend on `/etc/resolv.conf` (TOOLCHAIN.md: a static musl
//! binary on Android has none, so std/tokio/russh resolution fails there). The SSH client
//! resolves with [`resolve`] and connects by address.
//!
//! Order: IP literals (`[v6]` too) as they are; `localhost` => 127.0.0.1 and ::1; the hosts
//! files; DNS through hickory-resolver (UDP, TCP on error) with the nameservers of the first
//! readable resolv.conf, else fallback public nameservers.
//!
//! Files, all found through the injected [`Environment`]:
//! - hosts: `$CLAWAUTH_HOSTS` alone when set (tests, unusual setups); else `$PREFIX/etc/hosts`
//!   (Termux) then `/etc/hosts`; the first file that lists the name answers;
//! - resolv.conf: the first readable of `$CLAWAUTH_RESOLV_CONF`, `$PREFIX/etc/resolv.conf`,
//!   `/etc/resolv.conf` (so `/etc/resolv.conf` is never opened when a `$PREFIX` one is
//!   readable). When none is readable, or the one read lists no nameserver, the fallbacks
//!   1.1.1.1, 8.8.8.8, 2606:4700:4700::1111, 2001:4860:4860::8888 are used.
//!
//! resolv.conf syntax understood: `nameserver ADDR` (at most 3, like glibc), `search` / `domain`
//! (the last one wins, like glibc), `options ndots:N`; other lines are ignored. clawauth-only
//! extension (real resolv.conf has no port syntax): `nameserver 192.0.2.1:5353` and
//! `nameserver [2001:db8::1]:5353` name a non-standard port — used by tests to point at a local
//! DNS responder.
//!
//! `timeout` bounds the whole lookup (each DNS try gets a share of it, with one retry).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use hickory_resolver::Resolver;
use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig,
    ResolverOpts, ServerOrderingStrategy,
};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::Name;

use crate::openclaw::env::Environment;

/// Largest hosts / resolv.conf file read.
const MAX_FILE_SIZE: u64 = 1 << 20;
/// glibc's MAXNS.
const MAX_NAMESERVERS: usize = 3;
/// Used when no resolv.conf is readable or it lists no nameserver.
pub const FALLBACK_NAMESERVERS: [IpAddr; 4] = [
    IpAddr::V4(Ipv4Addr::new(1, 1, 1, 1)),
    IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)),
    IpAddr::V6(Ipv6Addr::new(0x2606, 0x4700, 0x4700, 0, 0, 0, 0, 0x1111)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888)),
];

/// Why a host name could not be resolved. Texts name the host and where the nameservers came
/// from.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("cannot resolve {name:?}: {detail}")]
    InvalidName { name: String, detail: String },
    #[error("cannot resolve {name:?} using {servers}: {detail}")]
    NotFound {
        name: String,
        servers: String,
        detail: String,
    },
    #[error("resolving {name:?} using {servers} took longer than {timeout:?}")]
    Timeout {
        name: String,
        servers: String,
        timeout: Duration,
    },
}

/// A parsed resolv.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvConf {
    /// Nameservers, port 53 unless the clawauth `ADDR:port` extension was used.
    pub nameservers: Vec<SocketAddr>,
    /// `search` list (or the `domain`), whichever came last.
    pub search: Vec<String>,
    /// `options ndots:N` (capped at 15 like glibc).
    pub ndots: Option<usize>,
}

/// Where the nameservers came from (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsSource {
    /// A resolv.conf that listed nameservers.
    File(Utf8PathBuf),
    /// The fallbacks; `file` is the resolv.conf read (which listed none), if any.
    Fallback { file: Option<Utf8PathBuf> },
}

impl std::fmt::Display for DnsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DnsSource::File(p) => write!(f, "the nameservers in {p}"),
            DnsSource::Fallback { file } => {
                let list = FALLBACK_NAMESERVERS
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                match file {
                    Some(p) => write!(f, "fallback nameservers {list} ({p} lists no nameserver)"),
                    None => write!(f, "fallback nameservers {list} (no readable resolv.conf)"),
                }
            }
        }
    }
}

/// Resolves `host` to socket addresses with `port` (see the module docs for the order).
pub async fn resolve(
    env: &Environment,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, ResolveError> {
    let inner = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = inner.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    validate_name(host).map_err(|detail| ResolveError::InvalidName {
        name: host.to_owned(),
        detail,
    })?;
    let bare = host.strip_suffix('.').unwrap_or(host);
    if bare.eq_ignore_ascii_case("localhost") {
        return Ok(vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
        ]);
    }
    for file in hosts_files(env) {
        let Some(text) = read_text(&file) else {
            continue;
        };
        let ips = hosts_lookup(&text, bare);
        if !ips.is_empty() {
            tracing::debug!(%file, host, "resolved from the hosts file");
            return Ok(ips
                .into_iter()
                .map(|ip| SocketAddr::new(ip, port))
                .collect());
        }
    }
    let (conf, source) = load_resolv_conf(env);
    dns_lookup(&conf, &source, host, port, timeout).await
}

/// The hosts files consulted, in order.
pub fn hosts_files(env: &Environment) -> Vec<Utf8PathBuf> {
    if let Some(p) = env.get("CLAWAUTH_HOSTS") {
        return vec![Utf8PathBuf::from(p)];
    }
    let mut files = Vec::new();
    if let Some(prefix) = env.get("PREFIX") {
        files.push(Utf8Path::new(prefix).join("etc/hosts"));
    }
    files.push(Utf8PathBuf::from("/etc/hosts"));
    files
}

/// The resolv.conf candidates, in order; the first readable one is used.
pub fn resolv_conf_candidates(env: &Environment) -> Vec<Utf8PathBuf> {
    let mut files = Vec::new();
    if let Some(p) = env.get("CLAWAUTH_RESOLV_CONF") {
        files.push(Utf8PathBuf::from(p));
    }
    if let Some(prefix) = env.get("PREFIX") {
        files.push(Utf8Path::new(prefix).join("etc/resolv.conf"));
    }
    files.push(Utf8PathBuf::from("/etc/resolv.conf"));
    files
}

/// The resolv.conf settings in effect and where the nameservers come from.
pub fn load_resolv_conf(env: &Environment) -> (ResolvConf, DnsSource) {
    for file in resolv_conf_candidates(env) {
        let Some(text) = read_text(&file) else {
            continue;
        };
        let mut conf = parse_resolv_conf(&text);
        if conf.nameservers.is_empty() {
            conf.nameservers = fallback_servers();
            return (conf, DnsSource::Fallback { file: Some(file) });
        }
        return (conf, DnsSource::File(file));
    }
    let conf = ResolvConf {
        nameservers: fallback_servers(),
        ..ResolvConf::default()
    };
    (conf, DnsSource::Fallback { file: None })
}

fn fallback_servers() -> Vec<SocketAddr> {
    FALLBACK_NAMESERVERS
        .iter()
        .map(|ip| SocketAddr::new(*ip, 53))
        .collect()
}

/// Parses resolv.conf text (see the module docs); unknown and malformed lines are ignored.
pub fn parse_resolv_conf(text: &str) -> ResolvConf {
    let mut conf = ResolvConf::default();
    for line in text.lines() {
        let line = line.split(['#', ';']).next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        match keyword {
            "nameserver" => {
                let Some(addr) = words.next() else { continue };
                match parse_nameserver(addr) {
                    Some(sa) if conf.nameservers.len() < MAX_NAMESERVERS => {
                        conf.nameservers.push(sa);
                    }
                    Some(_) => {
                        tracing::debug!("resolv.conf: more than 3 nameservers; extra ignored")
                    }
                    None => tracing::debug!(addr, "resolv.conf: unusable nameserver ignored"),
                }
            }
            "domain" => {
                if let Some(d) = words.next() {
                    conf.search = vec![d.to_owned()];
                }
            }
            "search" => {
                conf.search = words.map(str::to_owned).collect();
            }
            "options" => {
                for opt in words {
                    if let Some(n) = opt.strip_prefix("ndots:")
                        && let Ok(n) = n.parse::<usize>()
                    {
                        conf.ndots = Some(n.min(15));
                    }
                }
            }
            _ => {}
        }
    }
    conf
}

/// `IP`, `IPv4:port`, `[IPv6]:port`; an IPv6 `%scope` is dropped.
fn parse_nameserver(s: &str) -> Option<SocketAddr> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return (sa.port() != 0).then_some(SocketAddr::new(sa.ip(), sa.port()));
    }
    let ip = s.split('%').next().unwrap_or(s);
    ip.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 53))
}

/// Every address the hosts file text lists for `name` (case-insensitive), in order.
pub fn hosts_lookup(text: &str, name: &str) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(ip) = words.next().and_then(|w| w.parse::<IpAddr>().ok()) else {
            continue;
        };
        if words.any(|n| n.strip_suffix('.').unwrap_or(n).eq_ignore_ascii_case(name))
            && !out.contains(&ip)
        {
            out.push(ip);
        }
    }
    out
}

fn validate_name(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the host name is empty".into());
    }
    if host.len() > 253 {
        return Err("the host name is longer than 253 characters".into());
    }
    if host.starts_with('-') || host.starts_with('.') {
        return Err("a host name must not start with '-' or '.'".into());
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
    {
        return Err(format!(
            "the host name contains {c:?}; only letters, digits, '.', '-' and '_' are allowed"
        ));
    }
    if host.contains("..") {
        return Err("the host name has an empty label (\"..\")".into());
    }
    Ok(())
}

/// Reads a small text file; `None` when missing, unreadable, too large or not UTF-8.
fn read_text(path: &Utf8Path) -> Option<String> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_SIZE {
        tracing::debug!(%path, "skipped: not a regular file or too large");
        return None;
    }
    let mut s = String::new();
    file.take(MAX_FILE_SIZE).read_to_string(&mut s).ok()?;
    Some(s)
}

async fn dns_lookup(
    conf: &ResolvConf,
    source: &DnsSource,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, ResolveError> {
    let servers = source.to_string();
    let not_found = |detail: String| ResolveError::NotFound {
        name: host.to_owned(),
        servers: servers.clone(),
        detail,
    };
    let name_servers = conf
        .nameservers
        .iter()
        .map(|sa| {
            let mut udp = ConnectionConfig::udp();
            udp.port = sa.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = sa.port();
            NameServerConfig::new(sa.ip(), true, vec![udp, tcp])
        })
        .collect();
    let search = conf
        .search
        .iter()
        .filter_map(|s| match Name::from_utf8(s) {
            Ok(n) => Some(n),
            Err(_) => {
                tracing::debug!(domain = %s, "resolv.conf: unusable search domain ignored");
                None
            }
        })
        .collect();
    let config = ResolverConfig::from_parts(None, search, name_servers);
    let mut opts = ResolverOpts::default();
    // One try and one retry within the overall timeout.
    opts.timeout = (timeout / 2).max(Duration::from_millis(100));
    opts.attempts = 1;
    opts.ndots = conf.ndots.unwrap_or(1);
    opts.use_hosts_file = ResolveHosts::Never;
    opts.try_tcp_on_error = true;
    opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
    opts.server_ordering_strategy = ServerOrderingStrategy::UserProvidedOrder;
    opts.cache_size = 16;
    let resolver = Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        .with_options(opts)
        .build()
        .map_err(|e| not_found(format!("cannot set up the resolver: {e}")))?;
    let lookup = match tokio::time::timeout(timeout, resolver.lookup_ip(host)).await {
        Ok(Ok(l)) => l,
        Ok(Err(e)) if e.is_nx_domain() || e.is_no_records_found() => {
            return Err(not_found("no such host (no A or AAAA record)".into()));
        }
        Ok(Err(e)) if !matches!(e, NetError::Timeout) => return Err(not_found(e.to_string())),
        Ok(Err(_)) | Err(_) => {
            return Err(ResolveError::Timeout {
                name: host.to_owned(),
                servers,
                timeout,
            });
        }
    };
    let mut out: Vec<SocketAddr> = Vec::new();
    for ip in lookup.iter() {
        let sa = SocketAddr::new(ip, port);
        if !out.contains(&sa) {
            out.push(sa);
        }
    }
    if out.is_empty() {
        return Err(not_found("no such host (no A or AAAA record)".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(3);

    use crate::testutil::Scratch as Fx;

    fn sa(s: &str) -> SocketAddr {
        s.parse().expect("socket addr")
    }

    #[tokio::test]
    async fn ip_literals_and_localhost() {
        let env = Environment::empty();
        assert_eq!(
            resolve(&env, "192.0.2.5", 22, T).await.expect("v4"),
            vec![sa("192.0.2.5:22")]
        );
        assert_eq!(
            resolve(&env, "[2001:db8::1]", 2222, T).await.expect("v6"),
            vec![sa("[2001:db8::1]:2222")]
        );
        assert_eq!(
            resolve(&env, "::1", 22, T).await.expect("v6 bare"),
            vec![sa("[::1]:22")]
        );
        assert_eq!(
            resolve(&env, "LocalHost", 7, T).await.expect("localhost"),
            vec![sa("127.0.0.1:7"), sa("[::1]:7")]
        );
        for bad in ["", "-oProxy", "a b", "x;y", "a..b", "$(x)"] {
            let e = resolve(&env, bad, 22, T).await.expect_err(bad);
            assert!(matches!(e, ResolveError::InvalidName { .. }), "{bad}: {e}");
        }
    }

    #[tokio::test]
    async fn hosts_file_via_env() {
        let fx = Fx::new();
        let prefix = fx.dir.join("usr");
        fx.write(
            "usr/etc/hosts",
            "# termux hosts\n127.0.0.1 localhost\n10.1.2.3  gw.lan gw   # the gateway\nfd00::3 gw.lan\n10.1.2.3 gw.lan\nbogus line\n",
        );
        let env = Environment::empty().with("PREFIX", prefix.as_str());
        assert_eq!(
            hosts_files(&env),
            vec![prefix.join("etc/hosts"), Utf8PathBuf::from("/etc/hosts")]
        );
        assert_eq!(
            resolve(&env, "GW.lan", 22, T).await.expect("gw.lan"),
            vec![sa("10.1.2.3:22"), sa("[fd00::3]:22")]
        );
        assert_eq!(
            resolve(&env, "gw", 2222, T).await.expect("gw"),
            vec![sa("10.1.2.3:2222")]
        );
        let only = fx.write("hosts-only", "10.9.9.9 x.test\n");
        let env = Environment::empty()
            .with("CLAWAUTH_HOSTS", only.as_str())
            .with("PREFIX", prefix.as_str());
        assert_eq!(hosts_files(&env), vec![only]);
        assert_eq!(
            resolve(&env, "x.test.", 1, T).await.expect("fqdn"),
            vec![sa("10.9.9.9:1")]
        );
    }

    #[test]
    fn resolv_conf_parsing() {
        let c = parse_resolv_conf(
            "# generated\nnameserver 10.0.0.53\nnameserver 2001:db8::53\nnameserver fe80::1%wlan0\nnameserver 9.9.9.9 ; fourth\nnameserver bogus\ndomain old.example\nsearch lan example.com\noptions rotate ndots:3 timeout:1\nsortlist 1.2.3.4\n",
        );
        assert_eq!(
            c.nameservers,
            vec![
                sa("10.0.0.53:53"),
                sa("[2001:db8::53]:53"),
                sa("[fe80::1]:53")
            ]
        );
        assert_eq!(c.search, vec!["lan".to_owned(), "example.com".to_owned()]);
        assert_eq!(c.ndots, Some(3));
        let c = parse_resolv_conf(
            "search a\ndomain b\noptions ndots:99\nnameserver 127.0.0.1:5353\nnameserver [::1]:5354\n",
        );
        assert_eq!(c.search, vec!["b".to_owned()]);
        assert_eq!(c.ndots, Some(15));
        assert_eq!(c.nameservers, vec![sa("127.0.0.1:5353"), sa("[::1]:5354")]);
        assert_eq!(parse_resolv_conf(""), ResolvConf::default());
    }

    #[test]
    fn resolv_conf_choice_prefers_prefix_and_falls_back() {
        let fx = Fx::new();
        let prefix = fx.dir.join("usr");
        let termux = fx.write("usr/etc/resolv.conf", "nameserver 10.0.0.1\n");
        let env = Environment::empty().with("PREFIX", prefix.as_str());
        assert_eq!(
            resolv_conf_candidates(&env),
            vec![termux.clone(), Utf8PathBuf::from("/etc/resolv.conf")]
        );
        let (conf, source) = load_resolv_conf(&env);
        assert_eq!(source, DnsSource::File(termux.clone()));
        assert_eq!(conf.nameservers, vec![sa("10.0.0.1:53")]);

        // CLAWAUTH_RESOLV_CONF comes first; an unreadable one is passed over.
        let env2 = env
            .clone()
            .with("CLAWAUTH_RESOLV_CONF", fx.dir.join("missing").as_str());
        assert_eq!(load_resolv_conf(&env2).1, DnsSource::File(termux));

        // One that lists no nameserver => fallbacks (the next file is not consulted).
        let empty = fx.write("empty.conf", "search lan\n");
        let env3 = env.with("CLAWAUTH_RESOLV_CONF", empty.as_str());
        let (conf, source) = load_resolv_conf(&env3);
        assert_eq!(
            source,
            DnsSource::Fallback {
                file: Some(empty.clone())
            }
        );
        assert_eq!(conf.nameservers.len(), 4);
        assert_eq!(conf.search, vec!["lan".to_owned()]);
        let msg = source.to_string();
        assert!(
            msg.contains("1.1.1.1") && msg.contains(empty.as_str()),
            "{msg}"
        );
        assert!(
            DnsSource::Fallback { file: None }
                .to_string()
                .contains("no readable resolv.conf")
        );
    }

    /// A minimal DNS server: A 127.0.0.7 for gw.test., NOERROR/empty for its other types,
    /// NXDOMAIN for other names.
    async fn dns_responder() -> (SocketAddr, tokio::task::JoinHandle<()>) {
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = sock.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            loop {
                let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                    return;
                };
                if let Some(resp) = answer(&buf[..n]) {
                    let _ = sock.send_to(&resp, peer).await;
                }
            }
        });
        (addr, task)
    }

    fn answer(q: &[u8]) -> Option<Vec<u8>> {
        if q.len() < 12 || u16::from_be_bytes([q[4], q[5]]) != 1 {
            return None;
        }
        // Question name.
        let mut i = 12;
        let mut labels = Vec::new();
        loop {
            let len = usize::from(*q.get(i)?);
            i += 1;
            if len == 0 {
                break;
            }
            labels.push(String::from_utf8_lossy(q.get(i..i + len)?).to_ascii_lowercase());
            i += len;
        }
        let qtype = u16::from_be_bytes([*q.get(i)?, *q.get(i + 1)?]);
        let question_end = i + 4;
        q.get(..question_end)?;
        let known = labels == ["gw", "test"];
        let answer_a = known && qtype == 1;
        let mut r = Vec::new();
        r.extend_from_slice(&q[0..2]); // id
        let rd = q[2] & 0x01;
        r.push(0x80 | (q[2] & 0x78) | rd); // QR, opcode, RD
        r.push(0x80 | if known { 0 } else { 3 }); // RA, rcode NOERROR / NXDOMAIN
        r.extend_from_slice(&[0, 1]); // qdcount
        r.extend_from_slice(&[0, u8::from(answer_a)]); // ancount
        r.extend_from_slice(&[0, 0, 0, 0]); // nscount, arcount
        r.extend_from_slice(&q[12..question_end]);
        if answer_a {
            r.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 7]);
        }
        Some(r)
    }

    #[tokio::test]
    async fn real_dns_through_local_responder() {
        let fx = Fx::new();
        let (addr, task) = dns_responder().await;
        let conf = fx.write("resolv.conf", &format!("nameserver {addr}\n"));
        let hosts = fx.write("hosts", "");
        let env = Environment::empty()
            .with("CLAWAUTH_RESOLV_CONF", conf.as_str())
            .with("CLAWAUTH_HOSTS", hosts.as_str());
        assert_eq!(
            resolve(&env, "gw.test", 2222, T).await.expect("gw.test"),
            vec![sa("127.0.0.7:2222")]
        );
        let e = resolve(&env, "nope.test", 22, T)
            .await
            .expect_err("nxdomain");
        let msg = e.to_string();
        assert!(matches!(e, ResolveError::NotFound { .. }), "{msg}");
        assert!(
            msg.contains("nope.test") && msg.contains(conf.as_str()),
            "{msg}"
        );
        task.abort();
    }

    #[tokio::test]
    async fn dns_timeout_names_the_resolv_conf() {
        let fx = Fx::new();
        // A socket that never answers.
        let silent = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = silent.local_addr().expect("addr");
        let conf = fx.write("resolv.conf", &format!("nameserver {addr}\n"));
        let hosts = fx.write("hosts", "");
        let env = Environment::empty()
            .with("CLAWAUTH_RESOLV_CONF", conf.as_str())
            .with("CLAWAUTH_HOSTS", hosts.as_str());
        let start = std::time::Instant::now();
        let e = resolve(&env, "slow.test", 22, Duration::from_millis(400))
            .await
            .expect_err("timeout");
        assert!(start.elapsed() < Duration::from_secs(3));
        assert!(matches!(e, ResolveError::Timeout { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("slow.test") && msg.contains(conf.as_str()),
            "{msg}"
        );
        drop(silent);
    }
}
