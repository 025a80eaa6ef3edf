//! The benchmark's delay proxy (`clawauth_tests::delay_proxy`) in front of a small echo server:
//! bytes arrive intact and counted, EOF travels, the delay is at least what was asked (the TCP
//! handshake included), chunks are pipelined rather than delayed one after another, and a dead
//! upstream closes the client's connection instead of hanging it. Lower bounds only: how fast
//! things are is the benchmark's business, not a test's.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use clawauth_tests::delay_proxy::DelayProxy;

/// An echo server on 127.0.0.1: each connection gets its bytes back, then EOF after the client's.
fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if conn.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                    }
                }
                let _ = conn.shutdown(Shutdown::Write);
            });
        }
    });
    addr
}

fn connect(proxy: &DelayProxy) -> TcpStream {
    let s = TcpStream::connect(proxy.addr()).expect("connect to the proxy");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    s
}

#[test]
fn bytes_pass_intact_and_are_counted_both_ways() {
    let proxy = DelayProxy::start(echo_server(), Duration::ZERO).expect("start");
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut s = connect(&proxy);
    let writer = {
        let mut w = s.try_clone().expect("clone");
        let payload = payload.clone();
        std::thread::spawn(move || {
            w.write_all(&payload).expect("write");
            w.shutdown(Shutdown::Write).expect("half-close");
        })
    };
    let mut back = Vec::new();
    s.read_to_end(&mut back).expect("read to EOF");
    writer.join().expect("writer");
    assert!(
        back == payload,
        "the echo came back changed ({} bytes)",
        back.len()
    );
    assert!(
        proxy.wait_idle(Duration::from_secs(5)),
        "connection still open"
    );
    let c = proxy.counters();
    assert_eq!(c.accepted, 1);
    assert_eq!(c.active, 0);
    assert_eq!(c.bytes_up, payload.len() as u64);
    assert_eq!(c.bytes_down, payload.len() as u64);
    assert_eq!(c.bytes(), 2 * payload.len() as u64);
}

#[test]
fn the_first_answer_costs_the_handshake_and_both_ways() {
    let d = Duration::from_millis(100);
    let proxy = DelayProxy::start(echo_server(), d).expect("start");
    let started = Instant::now();
    let mut s = connect(&proxy);
    s.write_all(b"ping").expect("write");
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).expect("echo");
    let took = started.elapsed();
    assert_eq!(&buf, b"ping");
    // SYN, SYN-ACK and ACK (3d) before the server has the connection, then the echo back (d).
    assert!(
        took >= d * 4,
        "the first answer came after {took:?}, before the 4 one-way delays of a real link"
    );
    // Later exchanges on the same connection cost one round trip.
    let again = Instant::now();
    s.write_all(b"pong").expect("write");
    s.read_exact(&mut buf).expect("echo");
    assert!(
        again.elapsed() >= d * 2,
        "a round trip took {:?}",
        again.elapsed()
    );
}

#[test]
fn chunks_are_pipelined_not_delayed_one_after_another() {
    let d = Duration::from_millis(50);
    let proxy = DelayProxy::start(echo_server(), d).expect("start");
    let mut s = connect(&proxy);
    let started = Instant::now();
    let mut w = s.try_clone().expect("clone");
    let writer = std::thread::spawn(move || {
        for i in 0..20u8 {
            w.write_all(&[i]).expect("write");
            std::thread::sleep(Duration::from_millis(2));
        }
        w.shutdown(Shutdown::Write).expect("half-close");
    });
    let mut back = Vec::new();
    s.read_to_end(&mut back).expect("read");
    writer.join().expect("writer");
    assert_eq!(back, (0..20u8).collect::<Vec<_>>(), "order kept");
    // Delayed one by one, 20 chunks would need 20 round trips; pipelined they need about one
    // (plus the handshake) — the bound is far above that, so a busy machine does not matter.
    let took = started.elapsed();
    assert!(
        took < d * 2 * 20,
        "20 chunks took {took:?}: they were delayed one after another"
    );
}

#[test]
fn a_new_delay_applies_to_new_connections() {
    let proxy = DelayProxy::start(echo_server(), Duration::ZERO).expect("start");
    assert_eq!(proxy.delay(), Duration::ZERO);
    proxy.set_delay(Duration::from_millis(80));
    assert_eq!(proxy.delay(), Duration::from_millis(80));
    let started = Instant::now();
    let mut s = connect(&proxy);
    s.write_all(b"x").expect("write");
    let mut buf = [0u8; 1];
    s.read_exact(&mut buf).expect("echo");
    assert!(started.elapsed() >= Duration::from_millis(320));
}

#[test]
fn a_dead_upstream_closes_the_client_connection() {
    // A socket bound but not listening holds the port (no other test can take it) and refuses
    // connections, as a gateway whose sshd is down.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = runtime.enter();
    let held = tokio::net::TcpSocket::new_v4().expect("socket");
    held.bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let upstream = held.local_addr().expect("addr");
    assert!(
        TcpStream::connect(upstream).is_err(),
        "nothing may answer on the held port"
    );
    let proxy = DelayProxy::start(upstream, Duration::ZERO).expect("start");
    let mut s = connect(&proxy);
    let _ = s.write_all(b"hello");
    let mut buf = Vec::new();
    // EOF or a reset, but never a hang (the read timeout would fail this with WouldBlock).
    match s.read_to_end(&mut buf) {
        Ok(_) => assert!(buf.is_empty(), "bytes came back: {buf:?}"),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    assert!(proxy.wait_idle(Duration::from_secs(5)));
    assert_eq!(proxy.counters().accepted, 1);
}
