//! The tests' own ntfy receiver — not a stand-in: a real HTTP/1.1 server on 127.0.0.1 that speaks
//! ntfy's publish API, because no ntfy server package is reachable here. It also answers
//! healthchecks.io-style heartbeat pings under `/ping/`, and records every request it reads.
//!
//! What it models, as ntfy (binwiederhier/ntfy, `server/server.go`, `server/util.go`,
//! `server/actions.go`, `server/errors.go`, `util/util.go`, `docs/publish.md`) does it:
//!
//! * Publishing: `PUT`/`POST /<topic>` (topic `^[-_A-Za-z0-9]{1,64}$`, not one of ntfy's default
//!   disallowed names), `PUT`/`POST /<topic>/<sequence-id>` (ntfy ≥ 2.16),
//!   `GET /<topic>/{publish,send,trigger}`, and publishing as JSON with `PUT`/`POST /`.
//! * Parameters: every header alias ntfy reads, first the headers (each value decoded from
//!   RFC 2047 like Go's `mime.WordDecoder.DecodeHeader`, then trimmed), then the same names,
//!   lowercased, as query parameters. A `Priority: u=…` header (RFC 9218, added by proxies) is
//!   ignored as ntfy ignores it.
//! * The message is the trimmed body; an empty one becomes `triggered`. A body over ntfy's default
//!   message limit (4096 bytes) or not UTF-8 would be an attachment, which a default self-hosted
//!   ntfy refuses (`400`, code 40014); so does this server.
//! * Auth (only with [`NtfyServer::with_token`]): `Authorization: Bearer <token>`, or `Basic` with
//!   an empty user and the token as password, or either one base64url-encoded in `?auth=`.
//!   Credentials that do not authenticate are `401` (40101) before anything else, as in ntfy's
//!   `maybeAuthenticate`; a publish without credentials is an anonymous one, which a topic that
//!   needs a token refuses with `403` (40301), as in ntfy's `authorizeTopicWrite`.
//! * Answers: the message JSON ntfy returns (`id`, `time`, `expires`, `event`, `topic`, …) or its
//!   error JSON (`{"code":40007,"http":400,"error":"invalid priority parameter","link":…}`).
//!
//! Not modelled: attachments, icons, e-mail, phone calls, delayed delivery, templates, the message
//! cache (nothing can be subscribed to), clearing and deleting by sequence id.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

/// The largest request body the server reads; a larger one is answered `413` and the connection
/// closed.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// ntfy's default message size limit (`message-size-limit`, 4096 bytes): a longer body is an
/// attachment.
pub const MESSAGE_SIZE_LIMIT: usize = 4096;

/// ntfy's default cache duration (12 h), the distance between a message's `time` and `expires`.
pub const CACHE_DURATION: Duration = Duration::from_secs(12 * 3600);

/// ntfy's default `disallowed-topics`.
pub const DISALLOWED_TOPICS: &[&str] = &[
    "docs", "static", "file", "app", "metrics", "account", "settings", "signup", "login", "v1",
];

/// The most action buttons ntfy accepts on one message.
pub const ACTIONS_MAX: usize = 3;

/// The largest request line plus headers the server reads (`431` beyond).
const HEAD_LIMIT: usize = 64 * 1024;

/// ntfy's message ids are 12 random alphanumerics, action ids 10.
const MESSAGE_ID_LEN: usize = 12;
const ACTION_ID_LEN: usize = 10;

/// How the server answers a request. [`NtfyServer::fail_next`] queues some for the next requests
/// (publishes and pings alike), [`NtfyServer::set_default`] sets the one used when the queue is
/// empty. Part of the tests' own ntfy receiver (a real HTTP server speaking ntfy's publish API,
/// because no ntfy server package is reachable here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Answer as ntfy (or, under `/ping/`, healthchecks.io) would.
    Normal,
    /// Answer this status with ntfy's error JSON: `429` → code 42901 and `Retry-After: 1`,
    /// `500` → 50001, `401` → 40101, `403` → 40301, `404` → 40401, others `<status>01` and the
    /// status's reason. A status below 400 gets an empty body.
    Status(u16),
    /// Read the whole request, record it (status `None`), and never answer, until the server is
    /// dropped; then the connection is closed.
    Hang,
    /// Read the whole request, record it (status `None`), and close the connection without a
    /// response.
    Close,
    /// Answer this status (a JSON error's head, then hostile bytes) with a body that never
    /// ends: chunked, 64 KiB chunks as fast as the client takes them, until it hangs up.
    EndlessBody(u16),
    /// Answer this status with a `Content-Length` of 4 GiB, sent as fast as the client takes
    /// it, until it hangs up.
    HugeBody(u16),
    /// Answer this status with a 1000-byte body, one byte per second.
    SlowBody(u16),
}

/// One request the server read, answered or not. Part of the tests' own ntfy receiver (a real
/// HTTP server speaking ntfy's publish API, because no ntfy server package is reachable here).
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The path, as sent (not percent-decoded).
    pub path: String,
    /// The raw query string, without the `?` (empty if none).
    pub query: String,
    /// Every header in order: names lowercased, values as sent (trimmed of surrounding spaces),
    /// `Authorization` included — so a test can check what a client sent; tokens in tests are
    /// fake. [`Published::authorized_as`] never holds the token.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked), lossily UTF-8.
    pub body: String,
    /// The status answered; `None` while hanging or when the connection was dropped unanswered.
    pub status: Option<u16>,
    /// When the request had been read.
    pub at: Instant,
    /// What was published, if the request was answered `200` as a publish.
    pub published: Option<Published>,
}

impl Recorded {
    /// The first value of header `name` (case-insensitive), as sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first value of query parameter `name`, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        parse_query(&self.query)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Whether this is a heartbeat ping (a path under `/ping/`).
    pub fn is_ping(&self) -> bool {
        self.path.starts_with("/ping/")
    }
}

/// A message the server accepted, parsed as ntfy parses it. Part of the tests' own ntfy receiver
/// (a real HTTP server speaking ntfy's publish API, because no ntfy server package is reachable
/// here).
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The message id the server answered with.
    pub id: String,
    pub topic: String,
    pub message: String,
    /// Decoded from RFC 2047 if it was encoded.
    pub title: Option<String>,
    /// 1–5; 3 when none was given.
    pub priority: u8,
    pub tags: Vec<String>,
    pub markdown: bool,
    pub click: Option<String>,
    /// ntfy's JSON action objects (`id`, `action`, `label`, `clear`, then whichever of `url`,
    /// `method`, `headers`, `body`, `intent`, `extras`, `value` are set), whichever format was sent.
    pub actions: Vec<Value>,
    /// Messages with the same sequence id update one notification in place (ntfy ≥ 2.16).
    pub sequence_id: Option<String>,
    /// How the publisher authenticated (`"bearer"` or `"basic"`); `None` on a server without a
    /// token. Never the token itself.
    pub authorized_as: Option<String>,
}

/// The tests' own ntfy receiver: a real HTTP/1.1 server on 127.0.0.1 speaking ntfy's publish API
/// (and healthchecks.io's ping API under `/ping/`), because no ntfy server package is reachable
/// here. One thread per connection, keep-alive, `Content-Length` and chunked bodies. Dropping it
/// stops accepting, releases hanging connections and joins every thread.
pub struct NtfyServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    token: Option<String>,
    state: Mutex<State>,
    changed: Condvar,
    stopping: AtomicBool,
    rng: AtomicU64,
    next_conn: AtomicU64,
    conns: Mutex<HashMap<u64, TcpStream>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

struct State {
    requests: Vec<Recorded>,
    queue: VecDeque<Behaviour>,
    default: Behaviour,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl NtfyServer {
    /// Starts a server without auth on 127.0.0.1 and an ephemeral port.
    pub fn start() -> NtfyServer {
        Self::spawn(None)
    }

    /// Starts a server whose topics need `token` to publish (see the module docs).
    pub fn with_token(token: &str) -> NtfyServer {
        Self::spawn(Some(token.to_string()))
    }

    fn spawn(token: Option<String>) -> NtfyServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the ntfy server to 127.0.0.1");
        let addr = listener.local_addr().expect("the ntfy server's address");
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ u64::from(addr.port()).rotate_left(32);
        let shared = Arc::new(Shared {
            token,
            state: Mutex::new(State {
                requests: Vec::new(),
                queue: VecDeque::new(),
                default: Behaviour::Normal,
            }),
            changed: Condvar::new(),
            stopping: AtomicBool::new(false),
            rng: AtomicU64::new(seed),
            next_conn: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
            workers: Mutex::new(Vec::new()),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("ntfy-accept".into())
                .spawn(move || accept_loop(&listener, &shared))
                .expect("spawn the ntfy server's accept thread")
        };
        NtfyServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/<topic>`.
    pub fn topic_url(&self, topic: &str) -> String {
        format!("{}/{topic}", self.url())
    }

    /// `http://127.0.0.1:PORT/ping/<check>`.
    pub fn ping_url(&self, check: &str) -> String {
        format!("{}/ping/{check}", self.url())
    }

    /// Every request read so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.state).requests.clone()
    }

    /// Every message answered `200`, in order.
    pub fn published(&self) -> Vec<Published> {
        lock(&self.shared.state)
            .requests
            .iter()
            .filter(|r| r.status == Some(200))
            .filter_map(|r| r.published.clone())
            .collect()
    }

    /// [`Self::published`] to one topic.
    pub fn published_to(&self, topic: &str) -> Vec<Published> {
        self.published()
            .into_iter()
            .filter(|p| p.topic == topic)
            .collect()
    }

    /// Every request under `/ping/`, answered or not.
    pub fn pings(&self) -> Vec<Recorded> {
        lock(&self.shared.state)
            .requests
            .iter()
            .filter(|r| r.is_ping())
            .cloned()
            .collect()
    }

    /// Waits until at least `n` requests have been recorded and returns them all; panics, listing
    /// what did arrive, after `timeout`.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
        let deadline = Instant::now() + timeout;
        let mut st = lock(&self.shared.state);
        while st.requests.len() < n {
            let now = Instant::now();
            if now >= deadline {
                let seen: Vec<String> = st
                    .requests
                    .iter()
                    .map(|r| format!("{} {} → {:?}", r.method, r.path, r.status))
                    .collect();
                panic!(
                    "the ntfy server got {} of {n} requests within {timeout:?}: {seen:?}",
                    st.requests.len()
                );
            }
            st = self
                .shared
                .changed
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        st.requests.clone()
    }

    /// Forgets every recorded request (queued behaviours and the default stay).
    pub fn clear(&self) {
        lock(&self.shared.state).requests.clear();
    }

    /// Queues behaviours for the next requests, one each, in order; after them the default applies.
    pub fn fail_next(&self, behaviours: impl IntoIterator<Item = Behaviour>) {
        lock(&self.shared.state).queue.extend(behaviours);
    }

    /// The behaviour once the queue is empty ([`Behaviour::Normal`] at start).
    pub fn set_default(&self, behaviour: Behaviour) {
        lock(&self.shared.state).default = behaviour;
    }
}

impl Drop for NtfyServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        {
            let _st = lock(&self.shared.state);
            self.shared.changed.notify_all();
        }
        // Wake the blocking accept; it sees `stopping` and returns.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        for stream in lock(&self.shared.conns).values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        let workers = std::mem::take(&mut *lock(&self.shared.workers));
        for worker in workers {
            let _ = worker.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.conns).insert(id, clone);
        }
        let worker = {
            let shared = Arc::clone(shared);
            std::thread::Builder::new()
                .name(format!("ntfy-conn-{id}"))
                .spawn(move || {
                    serve(&shared, stream);
                    lock(&shared.conns).remove(&id);
                })
        };
        match worker {
            Ok(handle) => lock(&shared.workers).push(handle),
            Err(_) => {
                lock(&shared.conns).remove(&id);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 framing

struct RawRequest {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn keep_alive(&self) -> bool {
        let connection = self.header("connection").unwrap_or("").to_ascii_lowercase();
        let has = |token: &str| connection.split(',').any(|t| t.trim() == token);
        if self.version == "HTTP/1.0" {
            has("keep-alive")
        } else {
            !has("close")
        }
    }
}

enum ReadError {
    /// The peer closed the connection between requests.
    Eof,
    Io,
    HeadTooLarge,
    BadRequest,
    /// The body passed [`BODY_LIMIT`]; what was read of it.
    BodyTooLarge(RawRequest),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Io
    }
}

fn read_head(reader: &mut BufReader<TcpStream>) -> Result<Vec<u8>, ReadError> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        let room = (HEAD_LIMIT + 1).saturating_sub(head.len()) as u64;
        let n = reader.by_ref().take(room).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Err(if head.is_empty() {
                ReadError::Eof
            } else {
                ReadError::Io
            });
        }
        let blank = line == b"\r\n" || line == b"\n";
        if head.is_empty() && blank {
            continue; // RFC 9112 §2.2: ignore empty lines before the request line
        }
        head.extend_from_slice(&line);
        if head.len() > HEAD_LIMIT {
            return Err(ReadError::HeadTooLarge);
        }
        if blank {
            return Ok(head);
        }
    }
}

fn read_request(
    reader: &mut BufReader<TcpStream>,
    writer: &mut TcpStream,
) -> Result<RawRequest, ReadError> {
    let head = read_head(reader)?;
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.lines();
    let mut request_line = lines.next().unwrap_or("").split_whitespace();
    let (Some(method), Some(target), Some(version)) = (
        request_line.next(),
        request_line.next(),
        request_line.next(),
    ) else {
        return Err(ReadError::BadRequest);
    };
    let mut headers = Vec::new();
    for line in lines {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::BadRequest);
        };
        headers.push((
            name.trim().to_ascii_lowercase(),
            value.trim_matches([' ', '\t']).to_string(),
        ));
    }
    let mut req = RawRequest {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
        headers,
        body: Vec::new(),
    };
    let chunked = req
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let length = match req.header("content-length") {
        Some(v) if !chunked => Some(
            v.trim()
                .parse::<usize>()
                .map_err(|_| ReadError::BadRequest)?,
        ),
        _ => None,
    };
    if length.is_some_and(|n| n > BODY_LIMIT) {
        return Err(ReadError::BodyTooLarge(req));
    }
    let expects_body = chunked || length.is_some_and(|n| n > 0);
    if expects_body
        && req
            .header("expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    if chunked {
        let mut body = Vec::new();
        if !read_chunked(reader, &mut body)? {
            req.body = body;
            return Err(ReadError::BodyTooLarge(req));
        }
        req.body = body;
    } else if let Some(n) = length {
        let mut body = vec![0; n];
        reader.read_exact(&mut body)?;
        req.body = body;
    }
    Ok(req)
}

/// Reads a chunked body into `body`; `false` when it passes [`BODY_LIMIT`].
fn read_chunked(reader: &mut BufReader<TcpStream>, body: &mut Vec<u8>) -> Result<bool, ReadError> {
    loop {
        let line = read_line(reader)?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| ReadError::BadRequest)?;
        if size == 0 {
            // Trailer fields, up to the empty line.
            while !read_line(reader)?.is_empty() {}
            return Ok(true);
        }
        if body.len() + size > BODY_LIMIT {
            return Ok(false);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        if !read_line(reader)?.is_empty() {
            return Err(ReadError::BadRequest);
        }
    }
}

/// One line (at most 8 KiB), without its line ending.
fn read_line(reader: &mut BufReader<TcpStream>) -> Result<String, ReadError> {
    let mut line = Vec::new();
    let n = reader.by_ref().take(8192).read_until(b'\n', &mut line)?;
    if n == 0 || !line.ends_with(b"\n") {
        return Err(ReadError::BadRequest);
    }
    let line = String::from_utf8_lossy(&line);
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    close: bool,
}

impl Response {
    fn json(status: u16, value: &Value) -> Response {
        Response {
            status,
            headers: vec![
                ("Content-Type", "application/json".into()),
                ("Access-Control-Allow-Origin", "*".into()),
            ],
            body: format!("{value}\n").into_bytes(),
            close: false,
        }
    }

    fn text(status: u16, text: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", "text/plain; charset=utf-8".into())],
            body: text.as_bytes().to_vec(),
            close: false,
        }
    }
}

fn write_response(w: &mut TcpStream, method: &str, resp: &Response, close: bool) -> io::Result<()> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (name, value) in &resp.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n", resp.body.len()));
    if close {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if method != "HEAD" {
        bytes.extend_from_slice(&resp.body);
    }
    w.write_all(&bytes)?;
    w.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        507 => "Insufficient Storage",
        _ => "Status",
    }
}

enum Outcome {
    Respond(Response),
    Hang,
    Close,
    /// A response whose body is a weapon ([`Behaviour::EndlessBody`] and its kin).
    Hostile(Behaviour),
}

/// Writes `bytes` again and again until the client hangs up (or the server stops); a client
/// that stops reading only makes the writes wait.
fn pour(w: &mut TcpStream, bytes: &[u8], stopping: &AtomicBool) {
    while !stopping.load(Ordering::SeqCst) {
        match w.write_all(bytes) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

/// Writes a hostile response until the client hangs up (or the server stops).
fn write_hostile(w: &mut TcpStream, behaviour: Behaviour, stopping: &AtomicBool) {
    // Starts like ntfy's error JSON, then never closes it: nothing in it parses.
    let head = b"{\"code\":50001,\"http\":500,\"error\":\"";
    let filler = vec![b'A'; 64 * 1024];
    let status_line = |status: u16, extra: &str| {
        format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\n{extra}\r\n",
            reason(status)
        )
    };
    let _ = w.set_write_timeout(Some(Duration::from_secs(1)));
    match behaviour {
        Behaviour::EndlessBody(status) => {
            let mut out = status_line(status, "Transfer-Encoding: chunked\r\n").into_bytes();
            out.extend_from_slice(format!("{:x}\r\n", head.len()).as_bytes());
            out.extend_from_slice(head);
            out.extend_from_slice(b"\r\n");
            if w.write_all(&out).is_err() {
                return;
            }
            let mut chunk = format!("{:x}\r\n", filler.len()).into_bytes();
            chunk.extend_from_slice(&filler);
            chunk.extend_from_slice(b"\r\n");
            pour(w, &chunk, stopping);
        }
        Behaviour::HugeBody(status) => {
            let mut out = status_line(status, "Content-Length: 4294967296\r\n").into_bytes();
            out.extend_from_slice(head);
            if w.write_all(&out).is_err() {
                return;
            }
            pour(w, &filler, stopping);
        }
        Behaviour::SlowBody(status) => {
            if w.write_all(status_line(status, "Content-Length: 1000\r\n").as_bytes())
                .is_err()
            {
                return;
            }
            for _ in 0..1000 {
                if stopping.load(Ordering::SeqCst) || w.write_all(b"A").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        _ => {}
    }
}

fn serve(shared: &Shared, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let req = match read_request(&mut reader, &mut writer) {
            Ok(req) => req,
            Err(ReadError::BodyTooLarge(req)) => {
                let resp = Response::json(
                    413,
                    &ntfy_error(
                        41301,
                        413,
                        "attachment too large, or bandwidth limit reached",
                        "https://ntfy.sh/docs/publish/#limitations",
                    ),
                );
                shared.record(&req, Some(413), None);
                let _ = write_response(&mut writer, &req.method, &resp, true);
                return;
            }
            Err(ReadError::HeadTooLarge) => {
                let resp = Response::text(431, "request header fields too large\n");
                let _ = write_response(&mut writer, "GET", &resp, true);
                return;
            }
            Err(ReadError::BadRequest) => {
                let resp = Response::text(400, "bad request\n");
                let _ = write_response(&mut writer, "GET", &resp, true);
                return;
            }
            Err(ReadError::Eof | ReadError::Io) => return,
        };
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        match shared.handle(&req) {
            Outcome::Respond(resp) => {
                let close = resp.close || !req.keep_alive();
                if write_response(&mut writer, &req.method, &resp, close).is_err() || close {
                    return;
                }
            }
            Outcome::Hang => {
                let mut st = lock(&shared.state);
                while !shared.stopping.load(Ordering::SeqCst) {
                    st = shared
                        .changed
                        .wait(st)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                return;
            }
            Outcome::Close => return,
            Outcome::Hostile(b) => {
                write_hostile(&mut writer, b, &shared.stopping);
                return;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Dispatch

impl Shared {
    fn record(&self, req: &RawRequest, status: Option<u16>, published: Option<Published>) {
        let (path, query) = split_target(&req.target);
        let rec = Recorded {
            method: req.method.clone(),
            path: path.to_string(),
            query: query.to_string(),
            headers: req.headers.clone(),
            body: String::from_utf8_lossy(&req.body).into_owned(),
            status,
            at: Instant::now(),
            published,
        };
        lock(&self.state).requests.push(rec);
        self.changed.notify_all();
    }

    fn handle(&self, req: &RawRequest) -> Outcome {
        let behaviour = {
            let mut st = lock(&self.state);
            let default = st.default;
            st.queue.pop_front().unwrap_or(default)
        };
        match behaviour {
            Behaviour::Hang => {
                self.record(req, None, None);
                Outcome::Hang
            }
            Behaviour::Close => {
                self.record(req, None, None);
                Outcome::Close
            }
            Behaviour::EndlessBody(status)
            | Behaviour::HugeBody(status)
            | Behaviour::SlowBody(status) => {
                self.record(req, Some(status), None);
                Outcome::Hostile(behaviour)
            }
            Behaviour::Status(status) => {
                let resp = programmed_failure(status);
                self.record(req, Some(status), None);
                Outcome::Respond(resp)
            }
            Behaviour::Normal => {
                let (resp, published) = match self.route(req) {
                    Ok((value, published)) => (Response::json(200, &value), published),
                    Err(Reply::Error(e)) => (Response::json(e.http, &e.json()), None),
                    Err(Reply::Raw(resp)) => (resp, None),
                };
                // Only a publish answered 200 carries what was published.
                let published = published.filter(|_| resp.status == 200);
                self.record(req, Some(resp.status), published);
                Outcome::Respond(resp)
            }
        }
    }

    fn random_string(&self, len: usize) -> String {
        const CHARSET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len)
            .map(|_| {
                // splitmix64 over a shared counter
                let mut z = self
                    .rng
                    .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
                    .wrapping_add(0x9E37_79B9_7F4A_7C15);
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                CHARSET[(z % CHARSET.len() as u64) as usize] as char
            })
            .collect()
    }

    /// A `Normal` answer: `Ok` is a published message (its JSON and what was parsed); `Err` any
    /// other answer, a ping's `OK` included.
    fn route(&self, req: &RawRequest) -> Result<(Value, Option<Published>), Reply> {
        let (path, query) = split_target(&req.target);
        let query = parse_query(query);
        let method = req.method.as_str();
        if path.starts_with("/ping/") {
            return Err(Reply::Raw(match method {
                "GET" | "HEAD" | "POST" => Response::text(200, "OK"),
                _ => Response::text(405, "Method not allowed"),
            }));
        }
        let authorized_as = self.authenticate(req, &query)?;
        let is_write = method == "PUT" || method == "POST";
        if path == "/" && is_write {
            return self.publish_json(req, &query, authorized_as);
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let params = Params {
            headers: &req.headers,
            query: &query,
        };
        match segments.as_slice() {
            [topic] if valid_id(topic) => {
                if is_write {
                    self.publish(topic, None, &params, &req.body, authorized_as)
                } else {
                    Err(method_not_allowed())
                }
            }
            [topic, second] if valid_id(topic) && valid_id(second) => {
                if is_write {
                    self.publish(topic, Some(second), &params, &req.body, authorized_as)
                } else if method == "GET" && matches!(*second, "publish" | "send" | "trigger") {
                    self.publish(topic, None, &params, &req.body, authorized_as)
                } else {
                    Err(method_not_allowed())
                }
            }
            _ => Err(Reply::Error(HttpError::new(
                40401,
                404,
                "page not found",
                "",
            ))),
        }
    }

    /// ntfy's `maybeAuthenticate`: `Ok(None)` is anonymous (no token configured, or no `Basic`/
    /// `Bearer` credentials sent).
    fn authenticate(
        &self,
        req: &RawRequest,
        query: &[(String, String)],
    ) -> Result<Option<String>, Reply> {
        let Some(token) = &self.token else {
            return Ok(None);
        };
        let mut value = req.header("authorization").unwrap_or("").trim().to_string();
        let from_query = query_value(query, &["authorization", "auth"]);
        if !from_query.is_empty() {
            // ntfy answers a broken `?auth=` with its generic internal error.
            let decoded = URL_SAFE_NO_PAD
                .decode(from_query.as_bytes())
                .map_err(|_| Reply::Error(internal_error()))?;
            value = String::from_utf8_lossy(&decoded).trim().to_string();
        }
        let lower = value.to_ascii_lowercase();
        if !lower.starts_with("basic ") && !lower.starts_with("bearer ") {
            return Ok(None);
        }
        let unauthorized = || {
            Reply::Error(HttpError::new(
                40101,
                401,
                "unauthorized",
                "https://ntfy.sh/docs/publish/#authentication",
            ))
        };
        if let Some(rest) = value.strip_prefix("Bearer") {
            return if rest.trim() == token {
                Ok(Some("bearer".into()))
            } else {
                Err(unauthorized())
            };
        }
        // Basic: an empty user means the password is a token; there are no users here.
        let encoded = value
            .get(..6)
            .filter(|p| p.eq_ignore_ascii_case("basic "))
            .map(|_| &value[6..])
            .ok_or_else(unauthorized)?;
        let decoded = STANDARD
            .decode(encoded.trim().as_bytes())
            .map_err(|_| unauthorized())?;
        let decoded = String::from_utf8(decoded).map_err(|_| unauthorized())?;
        match decoded.split_once(':') {
            Some(("", password)) if password == token => Ok(Some("basic".into())),
            _ => Err(unauthorized()),
        }
    }

    /// Publishing as JSON (`PUT`/`POST /`): ntfy turns the fields into the equivalent headers and
    /// the message into the body, then publishes as usual.
    fn publish_json(
        &self,
        req: &RawRequest,
        query: &[(String, String)],
        authorized_as: Option<String>,
    ) -> Result<(Value, Option<Published>), Reply> {
        let invalid_json = || {
            Reply::Error(HttpError::new(
                40024,
                400,
                "invalid request: request body must be valid JSON",
                "",
            ))
        };
        if req.body.len() > MESSAGE_SIZE_LIMIT * 2 {
            return Err(Reply::Error(HttpError::new(
                41303,
                413,
                "JSON body too large",
                "",
            )));
        }
        let value: Value = serde_json::from_slice(&req.body).map_err(|_| invalid_json())?;
        let Value::Object(obj) = value else {
            return Err(invalid_json());
        };
        let field = |name: &str| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name));
        let string = |name: &str| -> Result<String, Reply> {
            match field(name).map(|(_, v)| v) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(invalid_json()),
            }
        };
        let topic = string("topic")?;
        if !valid_id(&topic) {
            return Err(Reply::Error(HttpError::new(
                40009,
                400,
                "invalid request: topic invalid",
                "",
            )));
        }
        let mut headers = req.headers.clone();
        let mut set = |name: &str, value: String| {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name.to_string(), value));
        };
        for (name, header) in [
            ("title", "x-title"),
            ("click", "x-click"),
            ("sequence_id", "x-sequence-id"),
        ] {
            let v = string(name)?;
            if !v.is_empty() {
                set(header, v);
            }
        }
        match field("priority").map(|(_, v)| v) {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) => match n.as_i64() {
                Some(0) => {}
                Some(p) => set("x-priority", p.to_string()),
                None => return Err(invalid_json()),
            },
            Some(_) => return Err(invalid_json()),
        }
        match field("tags").map(|(_, v)| v) {
            None | Some(Value::Null) => {}
            Some(Value::Array(tags)) => {
                let tags: Option<Vec<&str>> = tags.iter().map(Value::as_str).collect();
                let tags = tags.ok_or_else(invalid_json)?;
                if !tags.is_empty() {
                    set("x-tags", tags.join(","));
                }
            }
            Some(_) => return Err(invalid_json()),
        }
        match field("markdown").map(|(_, v)| v) {
            None | Some(Value::Null | Value::Bool(false)) => {}
            Some(Value::Bool(true)) => set("x-markdown", "yes".into()),
            Some(_) => return Err(invalid_json()),
        }
        match field("actions").map(|(_, v)| v) {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) if a.is_empty() => {}
            Some(actions @ Value::Array(_)) => set("x-actions", actions.to_string()),
            Some(_) => return Err(invalid_json()),
        }
        let mut message = string("message")?;
        if message.is_empty() {
            message = "triggered".into();
        }
        let params = Params {
            headers: &headers,
            query,
        };
        self.publish(&topic, None, &params, message.as_bytes(), authorized_as)
    }

    /// ntfy's `handlePublish` for one topic, from `params` and `body`.
    fn publish(
        &self,
        topic: &str,
        path_sequence_id: Option<&str>,
        params: &Params<'_>,
        body: &[u8],
        authorized_as: Option<String>,
    ) -> Result<(Value, Option<Published>), Reply> {
        if DISALLOWED_TOPICS.contains(&topic) {
            return Err(Reply::Error(HttpError::new(
                40010,
                400,
                "invalid request: topic name is not allowed",
                "",
            )));
        }
        if self.token.is_some() && authorized_as.is_none() {
            return Err(Reply::Error(HttpError::new(
                40301,
                403,
                "forbidden",
                "https://ntfy.sh/docs/publish/#authentication",
            )));
        }
        let cache = params.get_bool(true, &["x-cache", "cache"]);
        let title = params.get(&["x-title", "title", "t"]);
        let click = params.get(&["x-click", "click"]);
        let message_param = params
            .get(&["x-message", "message", "m"])
            .replace("\\n", "\n");
        let priority = parse_priority(&params.get(&["x-priority", "priority", "prio", "p"]))
            .ok_or_else(|| {
                Reply::Error(HttpError::new(
                    40007,
                    400,
                    "invalid priority parameter",
                    "https://ntfy.sh/docs/publish/#message-priority",
                ))
            })?;
        let tags = params.get_list(&["x-tags", "tags", "tag", "ta"]);
        let actions_param = params.get(&["x-actions", "actions", "action"]);
        let actions = if actions_param.is_empty() {
            Vec::new()
        } else {
            parse_actions(&actions_param, |n| self.random_string(n)).map_err(|detail| {
                Reply::Error(HttpError::new(
                    40018,
                    400,
                    &format!("invalid request: actions invalid, {detail}"),
                    "https://ntfy.sh/docs/publish/#action-buttons",
                ))
            })?
        };
        let content_type = params.get(&["content-type", "content_type"]);
        let markdown = params.get_bool(false, &["x-markdown", "markdown", "md"])
            || content_type.eq_ignore_ascii_case("text/markdown");
        let sequence_id = match path_sequence_id {
            Some(sid) => sid.to_string(),
            None => params.get(&["x-sequence-id", "sequence-id", "sid"]),
        };
        if !sequence_id.is_empty() && !valid_id(&sequence_id) {
            return Err(Reply::Error(HttpError::new(
                40049,
                400,
                "invalid request: sequence ID invalid",
                "",
            )));
        }
        // A body over the message limit, or not UTF-8, would be an attachment.
        let text = std::str::from_utf8(body)
            .ok()
            .filter(|_| body.len() <= MESSAGE_SIZE_LIMIT)
            .ok_or_else(|| {
                Reply::Error(HttpError::new(
                    40014,
                    400,
                    "invalid request: attachments not allowed",
                    "https://ntfy.sh/docs/config/#attachments",
                ))
            })?;
        let mut message = message_param;
        if !body.is_empty() {
            message = text.trim().to_string();
        }
        if message.is_empty() {
            message = "triggered".into();
        }

        let id = self.random_string(MESSAGE_ID_LEN);
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut m = Map::new();
        m.insert("id".into(), json!(id));
        m.insert("time".into(), json!(time));
        if cache {
            m.insert("expires".into(), json!(time + CACHE_DURATION.as_secs()));
        }
        m.insert("event".into(), json!("message"));
        m.insert("topic".into(), json!(topic));
        if !sequence_id.is_empty() {
            m.insert("sequence_id".into(), json!(sequence_id));
        }
        if !title.is_empty() {
            m.insert("title".into(), json!(title));
        }
        m.insert("message".into(), json!(message));
        if priority != 0 {
            m.insert("priority".into(), json!(priority));
        }
        if !tags.is_empty() {
            m.insert("tags".into(), json!(tags));
        }
        if !click.is_empty() {
            m.insert("click".into(), json!(click));
        }
        if !actions.is_empty() {
            m.insert("actions".into(), Value::Array(actions.clone()));
        }
        if markdown {
            m.insert("content_type".into(), json!("text/markdown"));
        }
        let published = Published {
            id,
            topic: topic.to_string(),
            message,
            title: Some(title).filter(|t| !t.is_empty()),
            priority: if priority == 0 { 3 } else { priority },
            tags,
            markdown,
            click: Some(click).filter(|c| !c.is_empty()),
            actions,
            sequence_id: Some(sequence_id).filter(|s| !s.is_empty()),
            authorized_as,
        };
        Ok((Value::Object(m), Some(published)))
    }
}

/// A non-200 `Normal` answer.
enum Reply {
    Error(HttpError),
    Raw(Response),
}

/// ntfy's `errHTTP`: `{"code":…,"http":…,"error":…,"link":…}` (`link` only when set).
struct HttpError {
    code: u32,
    http: u16,
    error: String,
    link: String,
}

impl HttpError {
    fn new(code: u32, http: u16, error: &str, link: &str) -> HttpError {
        HttpError {
            code,
            http,
            error: error.to_string(),
            link: link.to_string(),
        }
    }

    fn json(&self) -> Value {
        ntfy_error(self.code, self.http, &self.error, &self.link)
    }
}

fn ntfy_error(code: u32, http: u16, error: &str, link: &str) -> Value {
    let mut m = Map::new();
    m.insert("code".into(), json!(code));
    m.insert("http".into(), json!(http));
    m.insert("error".into(), json!(error));
    if !link.is_empty() {
        m.insert("link".into(), json!(link));
    }
    Value::Object(m)
}

fn internal_error() -> HttpError {
    HttpError::new(50001, 500, "internal server error", "")
}

fn method_not_allowed() -> Reply {
    Reply::Error(HttpError::new(40501, 405, "method not allowed", ""))
}

fn programmed_failure(status: u16) -> Response {
    if status < 400 {
        return Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            close: false,
        };
    }
    let e = match status {
        429 => HttpError::new(
            42901,
            429,
            "limit reached: too many requests, please be nice",
            "https://ntfy.sh/docs/publish/#limitations",
        ),
        500 => internal_error(),
        401 => HttpError::new(
            40101,
            401,
            "unauthorized",
            "https://ntfy.sh/docs/publish/#authentication",
        ),
        403 => HttpError::new(
            40301,
            403,
            "forbidden",
            "https://ntfy.sh/docs/publish/#authentication",
        ),
        404 => HttpError::new(40401, 404, "page not found", ""),
        _ => HttpError::new(
            u32::from(status) * 100 + 1,
            status,
            &reason(status).to_ascii_lowercase(),
            "",
        ),
    };
    let mut resp = Response::json(status, &e.json());
    if status == 429 {
        resp.headers.push(("Retry-After", "1".into()));
    }
    resp
}

// ---------------------------------------------------------------------------------------------
// Parameters

/// ntfy's `readParam`: each name as a header (RFC 2047-decoded, trimmed), then each name,
/// lowercased, as a query parameter; the first non-empty value wins.
struct Params<'a> {
    headers: &'a [(String, String)],
    query: &'a [(String, String)],
}

impl Params<'_> {
    fn get(&self, names: &[&str]) -> String {
        for name in names {
            // Like Go's Header.Get: the first header of that name only.
            if let Some((_, raw)) = self
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                let decoded = decode_rfc2047(raw).unwrap_or_else(|| raw.clone());
                let value = decoded.trim();
                let ignored = name.eq_ignore_ascii_case("priority") && is_rfc9218_priority(value);
                if !value.is_empty() && !ignored {
                    return value.to_string();
                }
            }
        }
        query_value(self.query, names)
    }

    fn get_bool(&self, default: bool, names: &[&str]) -> bool {
        let value = self.get(names).to_ascii_lowercase();
        if value.is_empty() {
            default
        } else {
            matches!(value.as_str(), "1" | "yes" | "true")
        }
    }

    /// Comma-separated: empty pieces dropped, then each trimmed (ntfy's order).
    fn get_list(&self, names: &[&str]) -> Vec<String> {
        self.get(names)
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.trim().to_string())
            .collect()
    }
}

fn query_value(query: &[(String, String)], names: &[&str]) -> String {
    for name in names {
        let name = name.to_ascii_lowercase();
        if let Some((_, v)) = query.iter().find(|(k, _)| *k == name) {
            let v = v.trim();
            if !v.is_empty() {
                return v.to_string();
            }
        }
    }
    String::new()
}

/// `^u=\d,\s*(i|\d)$|^u=\d$` — the RFC 9218 `Priority` header a proxy may add, which ntfy ignores.
fn is_rfc9218_priority(value: &str) -> bool {
    let Some(rest) = value.strip_prefix("u=") else {
        return false;
    };
    let mut chars = rest.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_digit()) {
        return false;
    }
    let rest = chars.as_str();
    if rest.is_empty() {
        return true;
    }
    let Some(rest) = rest.strip_prefix(',') else {
        return false;
    };
    let rest = rest.trim_start_matches([' ', '\t', '\n', '\r', '\x0c']);
    rest == "i" || (rest.len() == 1 && rest.as_bytes()[0].is_ascii_digit())
}

/// ntfy's `util.ParsePriority`: `Some(0)` when empty, `None` when invalid.
fn parse_priority(value: &str) -> Option<u8> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Some(0),
        "1" | "min" => Some(1),
        "2" | "low" => Some(2),
        "3" | "default" => Some(3),
        "4" | "high" => Some(4),
        "5" | "max" | "urgent" => Some(5),
        // RFC 9218 priority values that slipped through are read as the default.
        p if p.starts_with("u=") => Some(3),
        _ => None,
    }
}

/// Topic names and sequence ids: `^[-_A-Za-z0-9]{1,64}$`.
pub fn valid_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn split_target(target: &str) -> (&str, &str) {
    target.split_once('?').unwrap_or((target, ""))
}

/// `a=1&b=x+y` → `[("a","1"), ("b","x y")]`, percent-decoded.
fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

// ---------------------------------------------------------------------------------------------
// RFC 2047

/// Decodes the RFC 2047 encoded-words in a header value as Go's `mime.WordDecoder.DecodeHeader`
/// (which ntfy uses) does: `B` and `Q` encodings, charsets UTF-8, ISO-8859-1 and US-ASCII;
/// whitespace between two adjacent encoded-words is dropped; a malformed word stays as written.
/// `None` when a word names another charset (ntfy then keeps the raw value).
pub fn decode_rfc2047(value: &str) -> Option<String> {
    let Some(first) = value.find("=?") else {
        return Some(value.to_string());
    };
    let mut out = String::from(&value[..first]);
    let mut rest = &value[first..];
    let mut between_words = false;
    while let Some(start) = rest.find("=?") {
        let Some(word) = parse_encoded_word(&rest[start + 2..]) else {
            break;
        };
        let Some(content) = word.decode() else {
            // Not decodable: keep "=?" literally and look further.
            between_words = false;
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            continue;
        };
        let before = &rest[..start];
        if !between_words
            || before
                .chars()
                .any(|c| !matches!(c, ' ' | '\t' | '\r' | '\n'))
        {
            out.push_str(before);
        }
        out.push_str(&convert_charset(word.charset, &content)?);
        rest = &rest[start + 2 + word.len..];
        between_words = true;
    }
    out.push_str(rest);
    Some(out)
}

struct EncodedWord<'a> {
    charset: &'a str,
    encoding: u8,
    text: &'a str,
    /// Bytes after the leading `=?`, through the closing `?=`.
    len: usize,
}

/// `charset?E?text?=…` (what follows a `=?`).
fn parse_encoded_word(s: &str) -> Option<EncodedWord<'_>> {
    let q = s.find('?')?;
    let charset = &s[..q];
    let after = &s[q + 1..];
    if after.len() < "Q??=".len() {
        return None;
    }
    let encoding = after.as_bytes()[0];
    if after.as_bytes()[1] != b'?' {
        return None;
    }
    let text_start = q + 3;
    let end = s.get(text_start..)?.find("?=")?;
    Some(EncodedWord {
        charset,
        encoding,
        text: &s[text_start..text_start + end],
        len: text_start + end + 2,
    })
}

impl EncodedWord<'_> {
    fn decode(&self) -> Option<Vec<u8>> {
        match self.encoding {
            b'B' | b'b' => STANDARD.decode(self.text.as_bytes()).ok(),
            b'Q' | b'q' => q_decode(self.text),
            _ => None,
        }
    }
}

fn q_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let h = hex(*bytes.get(i + 1)?)?;
                let l = hex(*bytes.get(i + 2)?)?;
                out.push(h << 4 | l);
                i += 2;
            }
            b if (b' '..=b'~').contains(&b) || matches!(b, b'\n' | b'\r' | b'\t') => out.push(b),
            _ => return None,
        }
        i += 1;
    }
    Some(out)
}

fn convert_charset(charset: &str, content: &[u8]) -> Option<String> {
    if charset.eq_ignore_ascii_case("utf-8") {
        Some(String::from_utf8_lossy(content).into_owned())
    } else if charset.eq_ignore_ascii_case("iso-8859-1") {
        Some(content.iter().map(|&b| char::from(b)).collect())
    } else if charset.eq_ignore_ascii_case("us-ascii") {
        Some(
            content
                .iter()
                .map(|&b| {
                    if b.is_ascii() {
                        char::from(b)
                    } else {
                        '\u{FFFD}'
                    }
                })
                .collect(),
        )
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Actions

const ACTION_TYPES: &[&str] = &["view", "broadcast", "http", "copy"];

#[derive(Default)]
struct Action {
    action: String,
    label: String,
    clear: bool,
    url: String,
    method: String,
    headers: BTreeMap<String, String>,
    body: String,
    intent: String,
    extras: BTreeMap<String, String>,
    value: String,
}

/// ntfy's `parseActions`: a JSON array (when the value starts with `[`) or the simple format
/// (`view, Label, https://…, clear=true; http, …`), then validated. `Err` is ntfy's detail text.
fn parse_actions(s: &str, mut id: impl FnMut(usize) -> String) -> Result<Vec<Value>, String> {
    let s = s.trim();
    let mut actions = if s.starts_with('[') {
        actions_from_json(s)?
    } else {
        actions_from_simple(s)?
    };
    for a in &mut actions {
        a.action = a.action.to_lowercase();
        a.method = a.method.to_uppercase();
    }
    if actions.len() > ACTIONS_MAX {
        return Err(format!("only {ACTIONS_MAX} actions allowed"));
    }
    for a in &actions {
        if !ACTION_TYPES.contains(&a.action.as_str()) {
            return Err(format!(
                "parameter 'action' cannot be '{}', valid values are 'view', 'broadcast', 'http' \
                 and 'copy'",
                a.action
            ));
        } else if a.label.is_empty() {
            return Err("parameter 'label' is required".into());
        } else if matches!(a.action.as_str(), "view" | "http") && a.url.is_empty() {
            return Err(format!(
                "parameter 'url' is required for action '{}'",
                a.action
            ));
        } else if a.action == "http"
            && matches!(a.method.as_str(), "GET" | "HEAD")
            && !a.body.is_empty()
        {
            return Err(format!(
                "parameter 'body' cannot be set if method is {}",
                a.method
            ));
        } else if a.action == "copy" && a.value.is_empty() {
            return Err("parameter 'value' is required for action 'copy'".into());
        }
    }
    Ok(actions
        .into_iter()
        .map(|a| {
            let mut m = Map::new();
            m.insert("id".into(), json!(id(ACTION_ID_LEN)));
            m.insert("action".into(), json!(a.action));
            m.insert("label".into(), json!(a.label));
            m.insert("clear".into(), json!(a.clear));
            let strings = [
                ("url", a.url),
                ("method", a.method),
                ("body", a.body),
                ("intent", a.intent),
                ("value", a.value),
            ];
            for (k, v) in strings {
                if !v.is_empty() {
                    m.insert(k.into(), json!(v));
                }
            }
            for (k, v) in [("headers", a.headers), ("extras", a.extras)] {
                if !v.is_empty() {
                    m.insert(k.into(), json!(v));
                }
            }
            Value::Object(m)
        })
        .collect())
}

/// The JSON format: an array of action objects (keys matched case-insensitively, unknown keys
/// ignored, as Go's `encoding/json` does).
fn actions_from_json(s: &str) -> Result<Vec<Action>, String> {
    let value: Value = serde_json::from_str(s).map_err(|e| format!("JSON error: {e}"))?;
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => return Err(format!("JSON error: expected an array, got {other}")),
    };
    items
        .into_iter()
        .map(|item| {
            let Value::Object(obj) = item else {
                return Err(format!("JSON error: expected an action object, got {item}"));
            };
            let mut a = Action::default();
            for (key, v) in obj {
                let key = key.to_ascii_lowercase();
                let string = |v: &Value| match v {
                    Value::Null => Ok(String::new()),
                    Value::String(s) => Ok(s.clone()),
                    other => Err(format!("JSON error: '{key}' must be a string, got {other}")),
                };
                let map = |v: &Value| -> Result<BTreeMap<String, String>, String> {
                    match v {
                        Value::Null => Ok(BTreeMap::new()),
                        Value::Object(m) => m
                            .iter()
                            .map(|(k, v)| match v {
                                Value::String(s) => Ok((k.clone(), s.clone())),
                                other => Err(format!(
                                    "JSON error: '{key}.{k}' must be a string, got {other}"
                                )),
                            })
                            .collect(),
                        other => Err(format!(
                            "JSON error: '{key}' must be an object, got {other}"
                        )),
                    }
                };
                match key.as_str() {
                    "action" => a.action = string(&v)?,
                    "label" => a.label = string(&v)?,
                    "url" => a.url = string(&v)?,
                    "method" => a.method = string(&v)?,
                    "body" => a.body = string(&v)?,
                    "intent" => a.intent = string(&v)?,
                    "value" => a.value = string(&v)?,
                    "clear" => match v {
                        Value::Null => {}
                        Value::Bool(b) => a.clear = b,
                        other => {
                            return Err(format!(
                                "JSON error: 'clear' must be a boolean, got {other}"
                            ));
                        }
                    },
                    "headers" => a.headers = map(&v)?,
                    "extras" => a.extras = map(&v)?,
                    _ => {}
                }
            }
            Ok(a)
        })
        .collect()
}

/// The simple format: actions separated by `;`, their sections by `,`; a section is `key=value`
/// or, in the first three places, a bare action type, label and URL (view/http) or value (copy).
/// Values may be quoted with `"` or `'` (a backslash escapes the quote) to hold `,` and `;`.
fn actions_from_simple(s: &str) -> Result<Vec<Action>, String> {
    let mut p = SimpleParser { input: s, pos: 0 };
    let mut actions = Vec::new();
    while !p.at_end() {
        let mut a = Action::default();
        let mut section = 0;
        loop {
            let (key, value, last) = p.section()?;
            populate_action(&mut a, section, &key, value)?;
            p.skip_spaces();
            if last {
                break;
            }
            section += 1;
        }
        actions.push(a);
    }
    Ok(actions)
}

fn populate_action(a: &mut Action, section: usize, key: &str, value: String) -> Result<(), String> {
    let key = match (key, section) {
        ("", 0) => "action",
        ("", 1) => "label",
        ("", 2) if matches!(a.action.to_lowercase().as_str(), "view" | "http") => "url",
        ("", 2) if a.action.eq_ignore_ascii_case("copy") => "value",
        ("", _) => return Err(format!("term '{value}' unknown")),
        (key, _) => key,
    };
    if let Some(name) = key.strip_prefix("headers.") {
        a.headers.insert(name.to_string(), value);
    } else if let Some(name) = key.strip_prefix("extras.") {
        a.extras.insert(name.to_string(), value);
    } else {
        match key.to_lowercase().as_str() {
            "action" => a.action = value,
            "label" => a.label = value,
            "clear" => {
                a.clear = match value.to_lowercase().as_str() {
                    "true" | "yes" | "1" => true,
                    "false" | "no" | "0" => false,
                    _ => {
                        return Err(format!(
                            "parameter 'clear' cannot be '{value}', only boolean values are \
                             allowed (true/yes/1/false/no/0)"
                        ));
                    }
                }
            }
            "url" => a.url = value,
            "method" => a.method = value,
            "body" => a.body = value,
            "intent" => a.intent = value,
            "value" => a.value = value,
            _ => return Err(format!("key '{key}' unknown")),
        }
    }
    Ok(())
}

struct SimpleParser<'a> {
    input: &'a str,
    pos: usize,
}

impl SimpleParser<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn skip_spaces(&mut self) {
        while let Some(c) = self
            .peek()
            .filter(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
        {
            self.pos += c.len_utf8();
        }
    }

    /// `key` (possibly empty), `value`, and whether the section ended its action (`;` or the end).
    fn section(&mut self) -> Result<(String, String, bool), String> {
        self.skip_spaces();
        let key = self.key();
        match self.peek() {
            None => Ok((key, String::new(), true)),
            Some(c @ (',' | ';')) => {
                self.pos += 1;
                Ok((key, String::new(), c == ';'))
            }
            Some(q @ ('"' | '\'')) => {
                let (value, last) = self.quoted(q)?;
                Ok((key, value, last))
            }
            Some(_) => {
                let start = self.pos;
                loop {
                    match self.peek() {
                        None => return Ok((key, self.input[start..].trim().to_string(), true)),
                        Some(c @ (',' | ';')) => {
                            let value = self.input[start..self.pos].trim().to_string();
                            self.pos += 1;
                            return Ok((key, value, c == ';'));
                        }
                        Some(c) => self.pos += c.len_utf8(),
                    }
                }
            }
        }
    }

    /// `^([-.\w]+)\s*=\s*` at the current position (`\w` is ASCII in Go's regexp).
    fn key(&mut self) -> String {
        let rest = &self.input[self.pos..];
        let name_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            .count();
        if name_len == 0 {
            return String::new();
        }
        let after_name = &rest[name_len..];
        let ws = |s: &str| s.len() - s.trim_start_matches([' ', '\t', '\n', '\r', '\x0c']).len();
        let before_eq = ws(after_name);
        if !after_name[before_eq..].starts_with('=') {
            return String::new();
        }
        let after_eq = &after_name[before_eq + 1..];
        self.pos += name_len + before_eq + 1 + ws(after_eq);
        rest[..name_len].to_string()
    }

    fn quoted(&mut self, quote: char) -> Result<(String, bool), String> {
        self.pos += 1;
        let start = self.pos;
        let mut prev = '\0';
        loop {
            let Some(c) = self.peek() else {
                return Err(format!(
                    "unexpected end of input, quote started at position {start}"
                ));
            };
            if c == quote && prev != '\\' {
                let value =
                    self.input[start..self.pos].replace(&format!("\\{quote}"), &quote.to_string());
                self.pos += 1;
                self.skip_spaces();
                return match self.peek() {
                    None => Ok((value, true)),
                    Some(c @ (',' | ';')) => {
                        self.pos += 1;
                        Ok((value, c == ';'))
                    }
                    Some(c) => Err(format!(
                        "unexpected character '{c}' at position {}",
                        self.pos
                    )),
                };
            }
            prev = c;
            self.pos += c.len_utf8();
        }
    }
}
