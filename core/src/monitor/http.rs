//! The HTTP client for ntfy and heartbeats: reqwest over rustls with ring (the same crypto as
//! russh), Mozilla's roots from webpki-roots plus the system's bundle when one is named
//! (`$SSL_CERT_FILE`, Termux's `$PREFIX/etc/tls/cert.pem`), no redirects (an Authorization
//! header never follows one), and hard timeouts.

use std::sync::Arc;
use std::time::Duration;

use crate::openclaw::env::Environment;

/// `clawauth/<version>`.
pub const USER_AGENT: &str = concat!("clawauth/", env!("CARGO_PKG_VERSION"));

/// Extra CA bundles, if any: `$SSL_CERT_FILE`, else Termux's bundle.
fn extra_bundle(env: &Environment) -> Option<String> {
    if let Some(f) = env.get("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
        return Some(f.to_owned());
    }
    let termux = env.get("PREFIX").map(|p| format!("{p}/etc/tls/cert.pem"))?;
    std::path::Path::new(&termux).is_file().then_some(termux)
}

/// A client whose every request ends within `timeout`.
pub fn client(env: &Environment, timeout: Duration) -> Result<reqwest::Client, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(bundle) = extra_bundle(env) {
        match CertificateDer::pem_file_iter(&bundle) {
            Ok(certs) => {
                let (added, _) = roots.add_parsable_certificates(certs.flatten());
                tracing::debug!("added {added} CA certificates from {bundle}");
            }
            Err(e) => tracing::warn!("cannot read the CA bundle {bundle}: {e}"),
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))
}

/// The most of a response body clawauth reads: enough for any error message a server sends.
pub const BODY_CAP: usize = 64 * 1024;

/// At most `cap` bytes of `resp`'s body, and whether there was more: a huge or endless body
/// costs no more memory than that (the rest is never read; the connection is dropped with the
/// response), and a slow one no more time than the client's timeout, which covers the body.
pub async fn body_capped(
    mut resp: reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = cap - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// `scheme://host[:port]` of a URL: what may be shown of a URL whose path is a secret (a
/// healthchecks ping URL is a capability).
pub fn origin(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            // Drop user info.
            let host = host.rsplit('@').next().unwrap_or_default();
            format!("{scheme}://{host}")
        }
        None => "(invalid URL)".to_owned(),
    }
}

/// A reqwest error in words, without the URL (which may carry a secret path).
pub fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else if e.is_request() {
        "the request failed".to_owned()
    } else if e.is_body() || e.is_decode() {
        "the answer could not be read".to_owned()
    } else {
        "HTTP error".to_owned()
    };
    // The innermost cause says why (connection refused, certificate invalid, …).
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut why = None;
    while let Some(s) = source {
        why = Some(s.to_string());
        source = s.source();
    }
    match why {
        Some(w) => format!("{what}: {w}"),
        None => what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_hides_the_path_and_user_info() {
        assert_eq!(
            origin("https://hc-ping.com/5b3c-secret-uuid"),
            "https://hc-ping.com"
        );
        assert_eq!(
            origin("http://u:p@127.0.0.1:8080/ping/x?rid=1"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(origin("nonsense"), "(invalid URL)");
    }

    #[test]
    fn a_client_builds_with_the_bundled_roots() {
        client(&Environment::empty(), Duration::from_secs(1)).expect("client");
    }
}
