//! The tests' own ntfy receiver (`clawauth_tests::ntfy`, a real HTTP server speaking ntfy's
//! publish API, because no ntfy server package is reachable here), proven with raw `TcpStream`
//! clients: every byte sent and read here is HTTP/1.1 written by hand, so a server that framed,
//! parsed or answered wrongly fails these tests.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use clawauth_tests::ntfy::{Behaviour, NtfyServer, Recorded};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(5);

/// Made up for these tests; shaped like an ntfy access token (`tk_` and 29 characters).
const FAKE_TOKEN: &str = "tk_FAKEntfyFAKEntfyFAKEntfy00";

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("response body is not JSON ({e}): {:?}", self.body))
    }
}

/// One keep-alive connection, driven by hand.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(server: &NtfyServer) -> Client {
        let addr = server.url().trim_start_matches("http://").to_string();
        let writer = TcpStream::connect(&addr).expect("connect to the ntfy server");
        writer
            .set_read_timeout(Some(WAIT))
            .expect("set a read timeout");
        let reader = BufReader::new(writer.try_clone().expect("clone the stream"));
        Client { reader, writer }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write the request");
        self.writer.flush().expect("flush the request");
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .expect("read a response line");
        line.trim_end_matches(['\r', '\n']).to_string()
    }

    /// Reads one response (no body for `HEAD`).
    fn response(&mut self, head: bool) -> Resp {
        let status_line = self.line();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a status line: {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let line = self.line();
            if line.is_empty() {
                break;
            }
            let (n, v) = line.split_once(':').expect("a header line");
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
        let mut resp = Resp {
            status,
            headers,
            body: String::new(),
        };
        if !head {
            let len: usize = resp
                .header("content-length")
                .expect("the server always sends Content-Length")
                .parse()
                .expect("a numeric Content-Length");
            let mut body = vec![0; len];
            self.reader.read_exact(&mut body).expect("read the body");
            resp.body = String::from_utf8(body).expect("a UTF-8 body");
        }
        resp
    }

    fn roundtrip(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Resp {
        self.send(&raw(method, target, headers, body, false));
        self.response(method == "HEAD")
    }
}

/// A request with `Content-Length` (always sent, also 0), optionally `Connection: close`.
fn raw(method: &str, target: &str, headers: &[(&str, &str)], body: &str, close: bool) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: ntfy.test\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    if close {
        out.push_str("Connection: close\r\n");
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}

/// One request on a connection of its own.
fn request(
    server: &NtfyServer,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Resp {
    let mut c = Client::connect(server);
    c.send(&raw(method, target, headers, body, true));
    c.response(method == "HEAD")
}

fn statuses(reqs: &[Recorded]) -> Vec<Option<u16>> {
    reqs.iter().map(|r| r.status).collect()
}

#[test]
fn a_publish_with_every_header_is_parsed_like_ntfy() {
    let server = NtfyServer::start();
    let title = "Schlüssel läuft ab – gw1 🔑";
    let encoded_title = format!("=?UTF-8?B?{}?=", STANDARD.encode(title));
    let actions = json!([
        {"action": "view", "label": "Open", "url": "https://example.invalid/a", "clear": true},
        {"action": "HTTP", "label": "Renew", "url": "https://example.invalid/renew",
         "method": "post", "headers": {"X-Fake": "1"}, "body": "{}", "unknown": 7}
    ])
    .to_string();
    let resp = request(
        &server,
        "POST",
        "/claw-alerts",
        &[
            ("X-Title", &encoded_title),
            ("X-Priority", "urgent"),
            ("X-Tags", " warning , key,,clawauth"),
            ("X-Markdown", "yes"),
            ("X-Click", "https://example.invalid/status"),
            ("X-Actions", &actions),
            ("X-Sequence-ID", "claw-gw1-expiry"),
        ],
        "  **gw1**: the token expires in 2 days\n",
    );
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let m = resp.json();
    assert_eq!(m["event"], "message");
    assert_eq!(m["topic"], "claw-alerts");
    assert_eq!(m["title"], title);
    assert_eq!(m["message"], "**gw1**: the token expires in 2 days");
    assert_eq!(m["priority"], 5);
    assert_eq!(m["tags"], json!(["warning", "key", "clawauth"]));
    assert_eq!(m["click"], "https://example.invalid/status");
    assert_eq!(m["content_type"], "text/markdown");
    assert_eq!(m["sequence_id"], "claw-gw1-expiry");
    let id = m["id"].as_str().expect("an id");
    assert_eq!(id.len(), 12);
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
    let time = m["time"].as_u64().expect("a time");
    assert_eq!(m["expires"].as_u64(), Some(time + 12 * 3600));
    let got_actions = m["actions"].as_array().expect("actions");
    assert_eq!(got_actions.len(), 2);
    for a in got_actions {
        assert_eq!(a["id"].as_str().map(str::len), Some(10), "{a}");
    }
    let strip_id = |a: &Value| {
        let mut a = a.clone();
        a.as_object_mut().expect("an object").remove("id");
        a
    };
    assert_eq!(
        strip_id(&got_actions[0]),
        json!({"action": "view", "label": "Open", "clear": true, "url": "https://example.invalid/a"})
    );
    assert_eq!(
        strip_id(&got_actions[1]),
        json!({"action": "http", "label": "Renew", "clear": false, "url": "https://example.invalid/renew",
               "method": "POST", "body": "{}", "headers": {"X-Fake": "1"}})
    );

    let published = server.published();
    assert_eq!(published.len(), 1);
    let p = &published[0];
    assert_eq!(p.id, id);
    assert_eq!(p.topic, "claw-alerts");
    assert_eq!(p.message, "**gw1**: the token expires in 2 days");
    assert_eq!(p.title.as_deref(), Some(title));
    assert_eq!(p.priority, 5);
    assert_eq!(p.tags, ["warning", "key", "clawauth"]);
    assert!(p.markdown);
    assert_eq!(p.click.as_deref(), Some("https://example.invalid/status"));
    assert_eq!(&p.actions, got_actions);
    assert_eq!(p.sequence_id.as_deref(), Some("claw-gw1-expiry"));
    assert_eq!(p.authorized_as, None);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/claw-alerts");
    assert_eq!(
        reqs[0].header("x-title"),
        Some(encoded_title.as_str()),
        "raw value kept"
    );
    assert_eq!(reqs[0].header("X-SEQUENCE-ID"), Some("claw-gw1-expiry"));
    assert_eq!(reqs[0].status, Some(200));
}

#[test]
fn aliases_simple_actions_q_encoding_and_query_parameters() {
    let server = NtfyServer::start();
    let simple = "view, \"Open, quoted\", https://example.invalid/x, clear=true; \
                  http, Renew, https://example.invalid/r, method=put, \
                  headers.Authorization=Bearer FAKE, body='{\"a\":1}'; \
                  copy, Copy code, 123456";
    let resp = request(
        &server,
        "PUT",
        "/claw-alerts?click=https%3A%2F%2Fexample.invalid%2Fq",
        &[
            (
                "Title",
                "=?utf-8?Q?Gr=C3=BC=C3=9Fe_aus?= =?utf-8?Q?_K=C3=B6ln?=",
            ),
            ("Prio", "2"),
            ("Tag", "a"),
            ("md", "true"),
            ("Action", simple),
            ("sid", "gw-2"),
        ],
        "body",
    );
    assert_eq!(resp.status, 200, "{resp:?}");
    let p = &server.published()[0];
    assert_eq!(p.title.as_deref(), Some("Grüße aus Köln"));
    assert_eq!(p.priority, 2);
    assert_eq!(p.tags, ["a"]);
    assert!(p.markdown);
    assert_eq!(p.click.as_deref(), Some("https://example.invalid/q"));
    assert_eq!(p.sequence_id.as_deref(), Some("gw-2"));
    let without_ids: Vec<Value> = p
        .actions
        .iter()
        .map(|a| {
            let mut a = a.clone();
            a.as_object_mut().expect("an object").remove("id");
            a
        })
        .collect();
    assert_eq!(
        without_ids,
        [
            json!({"action": "view", "label": "Open, quoted", "clear": true, "url": "https://example.invalid/x"}),
            json!({"action": "http", "label": "Renew", "clear": false, "url": "https://example.invalid/r",
                   "method": "PUT", "body": "{\"a\":1}", "headers": {"Authorization": "Bearer FAKE"}}),
            json!({"action": "copy", "label": "Copy code", "clear": false, "value": "123456"}),
        ]
    );

    // Parameters only in the query; the message from `message` (ntfy turns `\n` into a newline);
    // an RFC 9218 `Priority` header (as a proxy adds it) is ignored.
    let resp = request(
        &server,
        "POST",
        "/claw-alerts?title=From%20query&p=high&message=two%5Cnlines&tags=x,y",
        &[("Priority", "u=3, i")],
        "",
    );
    assert_eq!(resp.status, 200, "{resp:?}");
    let p = &server.published()[1];
    assert_eq!(p.title.as_deref(), Some("From query"));
    assert_eq!(p.priority, 4);
    assert_eq!(p.message, "two\nlines");
    assert_eq!(p.tags, ["x", "y"]);
    assert_eq!(p.sequence_id, None);

    // Nothing at all: ntfy's "triggered", default priority (absent from the JSON).
    let resp = request(&server, "POST", "/claw-alerts", &[], "");
    let m = resp.json();
    assert_eq!(m["message"], "triggered");
    assert!(
        m.get("priority").is_none() && m.get("title").is_none() && m.get("sequence_id").is_none()
    );
    let p = &server.published()[2];
    assert_eq!((p.priority, p.markdown, p.actions.len()), (3, false, 0));

    // A charset Go's decoder does not know: the raw value stays; `Content-Type: text/markdown`
    // also means markdown.
    let resp = request(
        &server,
        "POST",
        "/claw-alerts",
        &[
            ("X-Title", "=?koi8-r?B?8MPJ?="),
            ("Content-Type", "text/markdown"),
        ],
        "x",
    );
    assert_eq!(resp.status, 200);
    let p = &server.published()[3];
    assert_eq!(p.title.as_deref(), Some("=?koi8-r?B?8MPJ?="));
    assert!(p.markdown);
    assert_eq!(server.published_to("claw-alerts").len(), 4);
    assert!(server.published_to("other").is_empty());
}

#[test]
fn bearer_and_basic_auth_are_accepted_and_bad_credentials_rejected() {
    let server = NtfyServer::with_token(FAKE_TOKEN);
    let bearer = format!("Bearer {FAKE_TOKEN}");
    let basic = format!("Basic {}", STANDARD.encode(format!(":{FAKE_TOKEN}")));
    let query_auth = URL_SAFE_NO_PAD.encode(&bearer);

    let ok = request(
        &server,
        "POST",
        "/alerts",
        &[("Authorization", &bearer)],
        "one",
    );
    assert_eq!(ok.status, 200, "{ok:?}");
    let ok = request(
        &server,
        "POST",
        "/alerts",
        &[("Authorization", &basic)],
        "two",
    );
    assert_eq!(ok.status, 200, "{ok:?}");
    let ok = request(
        &server,
        "POST",
        &format!("/alerts?auth={query_auth}"),
        &[],
        "three",
    );
    assert_eq!(ok.status, 200, "{ok:?}");

    // No credentials: an anonymous publish, which the topic refuses (ntfy's authorizeTopicWrite).
    let missing = request(&server, "POST", "/alerts", &[], "four");
    assert_eq!(missing.status, 403);
    assert_eq!(
        missing.json(),
        json!({"code": 40301, "http": 403, "error": "forbidden",
               "link": "https://ntfy.sh/docs/publish/#authentication"})
    );
    // A scheme ntfy does not read is no credentials either.
    let other_scheme = request(
        &server,
        "POST",
        "/alerts",
        &[("Authorization", "Token abc")],
        "",
    );
    assert_eq!(other_scheme.status, 403);

    // Credentials that do not authenticate (ntfy's maybeAuthenticate).
    let unauthorized = json!({"code": 40101, "http": 401, "error": "unauthorized",
                              "link": "https://ntfy.sh/docs/publish/#authentication"});
    let wrong = request(
        &server,
        "POST",
        "/alerts",
        &[("Authorization", "Bearer tk_FAKEwrong")],
        "",
    );
    assert_eq!((wrong.status, wrong.json()), (401, unauthorized.clone()));
    let with_user = format!("Basic {}", STANDARD.encode(format!("phil:{FAKE_TOKEN}")));
    let wrong = request(
        &server,
        "POST",
        "/alerts",
        &[("Authorization", &with_user)],
        "",
    );
    assert_eq!((wrong.status, wrong.json()), (401, unauthorized));

    let published = server.published();
    assert_eq!(
        published
            .iter()
            .map(|p| p.message.as_str())
            .collect::<Vec<_>>(),
        ["one", "two", "three"]
    );
    assert_eq!(
        published
            .iter()
            .map(|p| p.authorized_as.as_deref())
            .collect::<Vec<_>>(),
        [Some("bearer"), Some("basic"), Some("bearer")]
    );
    let reqs = server.requests();
    assert_eq!(
        statuses(&reqs),
        [
            Some(200),
            Some(200),
            Some(200),
            Some(403),
            Some(403),
            Some(401),
            Some(401)
        ]
    );
    assert!(reqs[3].published.is_none() && reqs[5].published.is_none());
}

#[test]
fn invalid_parameters_get_ntfys_errors() {
    let server = NtfyServer::start();
    let post = |headers: &[(&str, &str)]| request(&server, "POST", "/alerts", headers, "m");

    let resp = post(&[("X-Priority", "6")]);
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.json(),
        json!({"code": 40007, "http": 400, "error": "invalid priority parameter",
               "link": "https://ntfy.sh/docs/publish/#message-priority"})
    );

    let four = "view, A, https://e.invalid; view, B, https://e.invalid; \
                view, C, https://e.invalid; view, D, https://e.invalid";
    let resp = post(&[("X-Actions", four)]);
    assert_eq!(resp.status, 400);
    let e = resp.json();
    assert_eq!(
        (e["code"].clone(), e["http"].clone()),
        (json!(40018), json!(400))
    );
    assert_eq!(
        e["error"],
        "invalid request: actions invalid, only 3 actions allowed"
    );
    assert_eq!(e["link"], "https://ntfy.sh/docs/publish/#action-buttons");
    let four_json = json!([
        {"action": "view", "label": "1", "url": "https://e.invalid"},
        {"action": "view", "label": "2", "url": "https://e.invalid"},
        {"action": "view", "label": "3", "url": "https://e.invalid"},
        {"action": "view", "label": "4", "url": "https://e.invalid"}
    ])
    .to_string();
    assert_eq!(post(&[("Actions", &four_json)]).json()["code"], 40018);

    for (actions, detail) in [
        ("open, A", "parameter 'action' cannot be 'open'"),
        (
            "view, Open",
            "parameter 'url' is required for action 'view'",
        ),
        (
            "http, Get, https://e.invalid, method=GET, body=x",
            "parameter 'body' cannot be set if method is GET",
        ),
        (
            "view, Open, https://e.invalid, clear=maybe",
            "parameter 'clear' cannot be 'maybe'",
        ),
        (
            "view, Open, https://e.invalid, colour=red",
            "key 'colour' unknown",
        ),
        ("broadcast, Go, extra", "term 'extra' unknown"),
        ("[{\"action\": \"view\"", "JSON error"),
        (
            "[{\"action\": \"view\", \"label\": 3, \"url\": \"https://e.invalid\"}]",
            "JSON error",
        ),
        (
            "[{\"action\": \"view\", \"url\": \"https://e.invalid\"}]",
            "parameter 'label' is required",
        ),
    ] {
        let resp = post(&[("X-Actions", actions)]);
        assert_eq!(resp.status, 400, "{actions}: {resp:?}");
        let e = resp.json();
        assert_eq!(e["code"], 40018, "{actions}");
        let error = e["error"].as_str().expect("an error text");
        assert!(error.contains(detail), "{actions}: {error}");
    }

    let resp = post(&[("X-Sequence-ID", "not valid!")]);
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.json(),
        json!({"code": 40049, "http": 400, "error": "invalid request: sequence ID invalid"})
    );
    let too_long = "s".repeat(65);
    assert_eq!(post(&[("sid", &too_long)]).status, 400);

    let resp = request(&server, "POST", "/docs", &[], "m");
    assert_eq!(
        (resp.status, resp.json()["code"].clone()),
        (400, json!(40010))
    );
    let resp = request(&server, "POST", "/bad.topic", &[], "m");
    assert_eq!(
        (resp.status, resp.json()),
        (
            404,
            json!({"code": 40401, "http": 404, "error": "page not found"})
        )
    );
    let resp = request(&server, "POST", &format!("/{}", "t".repeat(65)), &[], "m");
    assert_eq!(resp.status, 404);
    let resp = request(&server, "GET", "/nothing/at/all", &[], "");
    assert_eq!(resp.status, 404);
    let resp = request(&server, "DELETE", "/alerts", &[], "");
    assert_eq!(
        (resp.status, resp.json()["code"].clone()),
        (405, json!(40501))
    );
    let resp = request(&server, "GET", "/alerts", &[], "");
    assert_eq!(resp.status, 405);

    // Over ntfy's 4096-byte message limit, or not UTF-8: an attachment, which ntfy refuses
    // without an attachment cache.
    let resp = request(&server, "POST", "/alerts", &[], &"x".repeat(4097));
    assert_eq!(
        (resp.status, resp.json()["code"].clone()),
        (400, json!(40014))
    );
    let resp = request(&server, "POST", "/alerts", &[], &"x".repeat(4096));
    assert_eq!(resp.status, 200);

    let reqs = server.requests();
    assert!(reqs.iter().all(|r| r.status.is_some()));
    assert_eq!(server.published().len(), 1, "only the 4096-byte message");
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let server = NtfyServer::start();
    let mut c = Client::connect(&server);
    let first = c.roundtrip("POST", "/alerts", &[("X-Title", "one")], "first");
    assert_eq!(first.status, 200);
    assert_eq!(
        first.header("connection"),
        None,
        "the connection stays open"
    );
    let second = c.roundtrip("PUT", "/alerts", &[("X-Title", "two")], "second");
    assert_eq!(second.status, 200);
    let ping = c.roundtrip("HEAD", "/ping/0b6a2b61-FAKE", &[], "");
    assert_eq!(
        (ping.status, ping.header("content-length")),
        (200, Some("2"))
    );

    // Expect: 100-continue gets its interim answer before the body is sent.
    c.send(
        b"POST /alerts HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
    );
    assert_eq!(c.line(), "HTTP/1.1 100 Continue");
    assert_eq!(c.line(), "");
    c.send(b"third");
    assert_eq!(c.response(false).status, 200);

    // Connection: close is honoured.
    c.send(&raw("POST", "/alerts", &[], "last", true));
    let last = c.response(false);
    assert_eq!(last.header("connection"), Some("close"));
    let mut rest = Vec::new();
    assert_eq!(c.reader.read_to_end(&mut rest).expect("EOF after close"), 0);

    let messages: Vec<String> = server.published().into_iter().map(|p| p.message).collect();
    assert_eq!(messages, ["first", "second", "third", "last"]);
    assert_eq!(server.requests().len(), 5);
}

#[test]
fn chunked_bodies_are_decoded() {
    let server = NtfyServer::start();
    let mut c = Client::connect(&server);
    c.send(
        b"POST /alerts HTTP/1.1\r\nHost: t\r\nX-Title: chunked\r\nTransfer-Encoding: chunked\r\n\r\n\
          7\r\nHello, \r\n6;ext=1\r\nchunks\r\n0\r\nX-Trailer: t\r\n\r\n",
    );
    let resp = c.response(false);
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(resp.json()["message"], "Hello, chunks");
    // The framing was consumed exactly: the next request on the connection works.
    let next = c.roundtrip("POST", "/alerts", &[], "after");
    assert_eq!(next.status, 200);
    let reqs = server.requests();
    assert_eq!(reqs[0].body, "Hello, chunks");
    assert_eq!(reqs[0].header("transfer-encoding"), Some("chunked"));
    assert_eq!(server.published()[1].message, "after");
}

#[test]
fn a_body_over_the_cap_is_413() {
    let server = NtfyServer::start();
    let mut c = Client::connect(&server);
    c.send(b"POST /alerts HTTP/1.1\r\nHost: t\r\nContent-Length: 2097152\r\n\r\n");
    let resp = c.response(false);
    assert_eq!(
        (resp.status, resp.json()["code"].clone()),
        (413, json!(41301))
    );
    assert_eq!(resp.header("connection"), Some("close"));
    let reqs = server.requests();
    assert_eq!(statuses(&reqs), [Some(413)]);
}

#[test]
fn programmed_statuses_are_consumed_in_order_then_normal() {
    let server = NtfyServer::start();
    server.fail_next([Behaviour::Status(429)]);
    let limited = request(&server, "POST", "/alerts", &[], "one");
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert_eq!(
        limited.json(),
        json!({"code": 42901, "http": 429, "error": "limit reached: too many requests, please be nice",
               "link": "https://ntfy.sh/docs/publish/#limitations"})
    );
    let ok = request(&server, "POST", "/alerts", &[], "two");
    assert_eq!(ok.status, 200);

    server.fail_next([Behaviour::Status(500), Behaviour::Status(503)]);
    let e500 = request(&server, "POST", "/alerts", &[], "three");
    assert_eq!(
        (e500.status, e500.json()),
        (
            500,
            json!({"code": 50001, "http": 500, "error": "internal server error"})
        )
    );
    let e503 = request(&server, "POST", "/alerts", &[], "four");
    assert_eq!(
        (e503.status, e503.json()),
        (
            503,
            json!({"code": 50301, "http": 503, "error": "service unavailable"})
        )
    );

    server.set_default(Behaviour::Status(502));
    assert_eq!(request(&server, "POST", "/alerts", &[], "five").status, 502);
    assert_eq!(request(&server, "POST", "/alerts", &[], "six").status, 502);
    server.set_default(Behaviour::Normal);
    assert_eq!(
        request(&server, "POST", "/alerts", &[], "seven").status,
        200
    );

    assert_eq!(
        statuses(&server.requests()),
        [
            Some(429),
            Some(200),
            Some(500),
            Some(503),
            Some(502),
            Some(502),
            Some(200)
        ]
    );
    let messages: Vec<String> = server.published().into_iter().map(|p| p.message).collect();
    assert_eq!(messages, ["two", "seven"]);
}

#[test]
fn hang_records_the_request_and_never_answers_until_dropped() {
    let server = NtfyServer::start();
    server.fail_next([Behaviour::Hang]);
    let mut hung = Client::connect(&server);
    hung.writer
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("set a short read timeout");
    hung.send(&raw(
        "POST",
        "/alerts",
        &[("X-Title", "stuck")],
        "hanging",
        false,
    ));
    let mut buf = [0u8; 64];
    let err = hung
        .reader
        .read(&mut buf)
        .expect_err("no answer while hanging");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err:?}"
    );
    let reqs = server.wait_for(1, WAIT);
    assert_eq!(reqs[0].status, None);
    assert_eq!(reqs[0].body, "hanging");
    assert_eq!(reqs[0].header("x-title"), Some("stuck"));
    assert!(server.published().is_empty());

    // Only that one request hangs.
    assert_eq!(request(&server, "POST", "/alerts", &[], "next").status, 200);

    // Dropping the server releases the hanging connection: EOF, not a timeout.
    hung.writer
        .set_read_timeout(Some(WAIT))
        .expect("set a long read timeout");
    drop(server);
    match hung.reader.read(&mut buf) {
        Ok(n) => assert_eq!(n, 0, "no response bytes after a hang"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e:?}"),
    }
}

#[test]
fn close_drops_the_connection_without_a_response() {
    let server = NtfyServer::start();
    server.fail_next([Behaviour::Close]);
    let mut c = Client::connect(&server);
    c.send(&raw("POST", "/alerts", &[], "dropped", false));
    let mut rest = Vec::new();
    let n = c
        .reader
        .read_to_end(&mut rest)
        .expect("the server closes the connection");
    assert_eq!(n, 0, "no response: {:?}", String::from_utf8_lossy(&rest));
    let reqs = server.wait_for(1, WAIT);
    assert_eq!((reqs[0].status, reqs[0].body.as_str()), (None, "dropped"));
    assert_eq!(
        request(&server, "POST", "/alerts", &[], "again").status,
        200
    );
    assert_eq!(server.published().len(), 1);
}

#[test]
fn pings_are_recorded_and_answered_ok_with_failures_applied() {
    // Pings go to the heartbeat receiver: ntfy's token does not apply to them.
    let server = NtfyServer::with_token(FAKE_TOKEN);
    let check = "5f1a2c3e-FAKE-4b6d-9c0e-123456789abc";
    let get = request(&server, "GET", &format!("/ping/{check}"), &[], "");
    assert_eq!((get.status, get.body.as_str()), (200, "OK"));
    let head = request(&server, "HEAD", &format!("/ping/{check}/start"), &[], "");
    assert_eq!(
        (head.status, head.header("content-length")),
        (200, Some("2"))
    );
    let fail = request(
        &server,
        "POST",
        &format!("/ping/{check}/fail"),
        &[],
        "disk full",
    );
    assert_eq!(fail.status, 200);
    let exit = request(
        &server,
        "POST",
        &format!("/ping/{check}/0?rid=run-7"),
        &[],
        "ok",
    );
    assert_eq!(exit.status, 200);
    server.fail_next([Behaviour::Status(500)]);
    let failed = request(&server, "GET", &format!("/ping/{check}"), &[], "");
    assert_eq!(failed.status, 500);
    let put = request(&server, "PUT", &format!("/ping/{check}"), &[], "");
    assert_eq!(put.status, 405);

    let pings = server.pings();
    assert_eq!(
        pings
            .iter()
            .map(|p| (p.method.as_str(), p.path.as_str(), p.status))
            .collect::<Vec<_>>(),
        [
            ("GET", format!("/ping/{check}").as_str(), Some(200)),
            ("HEAD", format!("/ping/{check}/start").as_str(), Some(200)),
            ("POST", format!("/ping/{check}/fail").as_str(), Some(200)),
            ("POST", format!("/ping/{check}/0").as_str(), Some(200)),
            ("GET", format!("/ping/{check}").as_str(), Some(500)),
            ("PUT", format!("/ping/{check}").as_str(), Some(405)),
        ]
    );
    assert_eq!(pings[2].body, "disk full");
    assert_eq!(pings[3].query, "rid=run-7");
    assert_eq!(pings[3].query_param("rid").as_deref(), Some("run-7"));
    assert!(server.published().is_empty());
}

#[test]
fn json_publishing_get_publishing_and_sequence_ids_in_the_path() {
    let server = NtfyServer::start();
    let body = json!({
        "topic": "alerts", "message": "from json", "title": "T", "priority": 4,
        "tags": ["a", "b"], "markdown": true, "click": "https://example.invalid/c",
        "actions": [{"action": "view", "label": "Open", "url": "https://example.invalid"}],
        "sequence_id": "js-1"
    });
    let resp = request(
        &server,
        "POST",
        "/",
        &[("Content-Type", "application/json")],
        &body.to_string(),
    );
    assert_eq!(resp.status, 200, "{resp:?}");
    let p = &server.published()[0];
    assert_eq!(
        (
            p.topic.as_str(),
            p.message.as_str(),
            p.title.as_deref(),
            p.priority
        ),
        ("alerts", "from json", Some("T"), 4)
    );
    assert_eq!(p.tags, ["a", "b"]);
    assert!(p.markdown);
    assert_eq!(p.actions.len(), 1);
    assert_eq!(p.sequence_id.as_deref(), Some("js-1"));

    let bad = request(
        &server,
        "POST",
        "/",
        &[],
        r#"{"topic": "alerts", "priority": "high"}"#,
    );
    assert_eq!(
        (bad.status, bad.json()["code"].clone()),
        (400, json!(40024))
    );
    let bad = request(&server, "PUT", "/", &[], r#"{"topic": "no/slash"}"#);
    assert_eq!(
        (bad.status, bad.json()["code"].clone()),
        (400, json!(40009))
    );

    let get = request(
        &server,
        "GET",
        "/alerts/trigger?message=hi&t=Title",
        &[],
        "",
    );
    assert_eq!(get.status, 200, "{get:?}");
    let p = &server.published()[1];
    assert_eq!(
        (p.message.as_str(), p.title.as_deref()),
        ("hi", Some("Title"))
    );

    // The same sequence id twice: the second message updates the first notification in place.
    for text in ["50 %", "100 %"] {
        let resp = request(&server, "PUT", "/alerts/renew-gw1", &[], text);
        assert_eq!(resp.status, 200);
        assert_eq!(resp.json()["sequence_id"], "renew-gw1");
    }
    let updates: Vec<(Option<String>, String)> = server
        .published_to("alerts")
        .into_iter()
        .skip(2)
        .map(|p| (p.sequence_id, p.message))
        .collect();
    assert_eq!(
        updates,
        [
            (Some("renew-gw1".to_string()), "50 %".to_string()),
            (Some("renew-gw1".to_string()), "100 %".to_string()),
        ]
    );
}

#[test]
fn wait_for_and_clear() {
    let server = NtfyServer::start();
    let topic_url = server.topic_url("later");
    assert!(topic_url.ends_with("/later"));
    assert!(server.ping_url("c").ends_with("/ping/c"));
    let addr = server.url().trim_start_matches("http://").to_string();
    let sender = std::thread::spawn(move || {
        for text in ["a", "b"] {
            std::thread::sleep(Duration::from_millis(100));
            let mut s = TcpStream::connect(&addr).expect("connect");
            s.write_all(&raw("POST", "/later", &[], text, true))
                .expect("send");
            let mut out = String::new();
            s.read_to_string(&mut out).expect("read");
            assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        }
    });
    let reqs = server.wait_for(2, WAIT);
    sender.join().expect("the sender finishes");
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].at <= reqs[1].at);
    server.clear();
    assert!(server.requests().is_empty() && server.published().is_empty());
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        server.wait_for(1, Duration::from_millis(50))
    }));
    assert!(
        panicked.is_err(),
        "wait_for panics when too few requests arrive"
    );
}
