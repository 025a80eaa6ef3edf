//! A TCP proxy on 127.0.0.1 that delays every byte by a configurable one-way latency, for the
//! benchmark (`tests/bench.sh`): the phone's 4G link in front of the test sshd. It counts the
//! connections it accepted and the payload bytes each way (TCP/IP headers are not counted).
//!
//! Timing model, with one-way delay `d`:
//! - Data read from one side is written to the other `d` after it was read; chunks keep their
//!   order and are pipelined (a stream of chunks costs `d` once, not once per chunk).
//! - The TCP handshake costs what it costs on a real link. Locally the client's `connect()`
//!   returns at once, so the proxy opens the upstream connection only `3d` later (SYN, SYN-ACK,
//!   ACK: when a real server would accept), and holds the client's early bytes until then. The
//!   server's first bytes (SSH's banner) then reach the client `4d` after it called `connect()`,
//!   exactly as over a real link.
//! - A half-close (EOF) travels like data, `d` late.
//!
//! The delay can be changed while the proxy runs; a connection keeps the delay it started with.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// How long the proxy waits for the upstream server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What went through the proxy so far (since it started).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// TCP connections accepted from clients.
    pub accepted: usize,
    /// Connections still open (either side).
    pub active: usize,
    /// Payload bytes from clients to the server.
    pub bytes_up: u64,
    /// Payload bytes from the server to clients.
    pub bytes_down: u64,
}

impl Counters {
    /// What happened between `before` and `self` (`active` is the current value).
    pub fn since(&self, before: &Counters) -> Counters {
        Counters {
            accepted: self.accepted - before.accepted,
            active: self.active,
            bytes_up: self.bytes_up - before.bytes_up,
            bytes_down: self.bytes_down - before.bytes_down,
        }
    }

    /// Bytes both ways.
    pub fn bytes(&self) -> u64 {
        self.bytes_up + self.bytes_down
    }
}

#[derive(Default)]
struct Shared {
    delay_us: AtomicU64,
    accepted: AtomicUsize,
    active: AtomicUsize,
    up: AtomicU64,
    down: AtomicU64,
}

/// A running delay proxy; stopped (with every connection through it) on drop.
pub struct DelayProxy {
    /// The port clients connect to, on 127.0.0.1.
    pub port: u16,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl DelayProxy {
    /// Listens on a free port of 127.0.0.1 and forwards each connection to `upstream` with
    /// `one_way` delay in each direction.
    pub fn start(upstream: SocketAddr, one_way: Duration) -> std::io::Result<DelayProxy> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let port = std_listener.local_addr()?.port();
        let shared = Arc::new(Shared::default());
        shared
            .delay_us
            .store(one_way.as_micros() as u64, Ordering::SeqCst);
        let (stop, stopped) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let sh = shared.clone();
        let thread = std::thread::Builder::new()
            .name("delay-proxy".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("delay proxy: cannot listen: {e}");
                            return;
                        }
                    };
                    tokio::select! {
                        _ = stopped => {}
                        _ = accept_loop(listener, upstream, sh) => {}
                    }
                });
                // Dropping the runtime here cancels every connection task.
            })?;
        Ok(DelayProxy {
            port,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Sets the one-way delay for connections accepted from now on.
    pub fn set_delay(&self, one_way: Duration) {
        self.shared
            .delay_us
            .store(one_way.as_micros() as u64, Ordering::SeqCst);
    }

    /// The current one-way delay.
    pub fn delay(&self) -> Duration {
        Duration::from_micros(self.shared.delay_us.load(Ordering::SeqCst))
    }

    pub fn counters(&self) -> Counters {
        Counters {
            accepted: self.shared.accepted.load(Ordering::SeqCst),
            active: self.shared.active.load(Ordering::SeqCst),
            bytes_up: self.shared.up.load(Ordering::SeqCst),
            bytes_down: self.shared.down.load(Ordering::SeqCst),
        }
    }

    /// Waits until no connection is open (at most `timeout`); `false` when some still are.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while self.shared.active.load(Ordering::SeqCst) > 0 {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            // Out of file descriptors, say: wait a moment rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        shared.active.fetch_add(1, Ordering::SeqCst);
        let sh = shared.clone();
        tokio::spawn(async move {
            relay(client, upstream, &sh).await;
            sh.active.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// One chunk on its way: the bytes and when they may be written (`None` = EOF).
type Chunk = (Instant, Option<Vec<u8>>);

async fn relay(client: TcpStream, upstream: SocketAddr, shared: &Shared) {
    let delay = Duration::from_micros(shared.delay_us.load(Ordering::SeqCst));
    let _ = client.set_nodelay(true);
    let (client_r, client_w) = client.into_split();
    let (up_tx, up_rx) = mpsc::unbounded_channel();
    // The client's bytes are read (and counted) from the start, and held until the server has
    // the connection.
    let reading_up = read_side(client_r, up_tx, delay, &shared.up);
    let rest = async {
        tokio::time::sleep(delay * 3).await;
        let server = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(upstream)).await
        {
            Ok(Ok(s)) => s,
            _ => return,
        };
        let _ = server.set_nodelay(true);
        let (server_r, server_w) = server.into_split();
        let (down_tx, down_rx) = mpsc::unbounded_channel();
        tokio::join!(
            write_side(up_rx, server_w),
            read_side(server_r, down_tx, delay, &shared.down),
            write_side(down_rx, client_w),
        );
    };
    let mut reading_up = std::pin::pin!(reading_up);
    let mut rest = std::pin::pin!(rest);
    let mut client_done = false;
    loop {
        tokio::select! {
            // The server side is finished (or never connected): close the client's side too.
            () = &mut rest => return,
            () = &mut reading_up, if !client_done => client_done = true,
        }
    }
}

async fn read_side(
    mut from: OwnedReadHalf,
    to: mpsc::UnboundedSender<Chunk>,
    delay: Duration,
    counter: &AtomicU64,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = to.send((Instant::now() + delay, None));
                return;
            }
            Ok(n) => {
                counter.fetch_add(n as u64, Ordering::SeqCst);
                if to
                    .send((Instant::now() + delay, Some(buf[..n].to_vec())))
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

async fn write_side(mut from: mpsc::UnboundedReceiver<Chunk>, mut to: OwnedWriteHalf) {
    while let Some((due, chunk)) = from.recv().await {
        tokio::time::sleep_until(due).await;
        match chunk {
            Some(bytes) => {
                if to.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            None => {
                let _ = to.shutdown().await;
                return;
            }
        }
    }
}
