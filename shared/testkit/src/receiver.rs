//! A receiver of outbox messages on loopback, as a partner's system would run one: it reads
//! each POST, processes a message id only the first time it sees it (deduplication on
//! `webhook-id`), and answers 200 — or, when told to, loses its answer (closes the connection
//! without one) or holds it (never answers) to play a network cut or a hung partner.
//! Raw TCP on purpose: an HTTP framework would always answer.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test harness: a failure fails the test"
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A message as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    /// The JSON body.
    pub body: serde_json::Value,
}

#[derive(Debug, Default)]
struct State {
    requests: Mutex<Vec<Received>>,
    processed: Mutex<Vec<Received>>,
    lose: AtomicUsize,
    hold: AtomicUsize,
    status: Mutex<Option<u16>>,
}

/// The receiver; it stops with the test's runtime.
#[derive(Debug, Clone)]
pub struct Receiver {
    /// Where to post (`http://127.0.0.1:<port>/hook`).
    pub url: String,
    state: Arc<State>,
}

impl Receiver {
    /// Starts a receiver on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let state = Arc::new(State::default());
        let shared = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&shared)));
            }
        });
        Self { url, state }
    }

    /// The next `n` requests are processed but their answer is lost (connection closed).
    pub fn lose_next_answers(&self, n: usize) {
        self.state.lose.store(n, Ordering::SeqCst);
    }

    /// The next `n` requests are processed and never answered (the connection stays open
    /// until the sender goes away).
    pub fn hold_next_answers(&self, n: usize) {
        self.state.hold.store(n, Ordering::SeqCst);
    }

    /// Answer `status` instead of 200 from now on (`None`: 200 again).
    pub fn answer(&self, status: Option<u16>) {
        *self.state.status.lock().unwrap() = status;
    }

    /// Every request's message, in arrival order (retries included).
    pub fn requests(&self) -> Vec<Received> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Each message once: what the receiver acted upon.
    pub fn processed(&self) -> Vec<Received> {
        self.state.processed.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (at most thirty seconds).
    pub async fn wait_for_requests(&self, n: usize) {
        for _ in 0..300 {
            if self.requests().len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the receiver got {} request(s), not {n}",
            self.requests().len()
        );
    }
}

/// Takes one off `counter` if it is positive.
fn take(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

async fn serve(mut stream: TcpStream, state: Arc<State>) {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let received = Received {
        id: header("webhook-id").unwrap_or_default(),
        body: serde_json::from_slice(&buf[head_end..head_end + length]).unwrap_or_default(),
    };
    state.requests.lock().unwrap().push(received.clone());
    {
        let mut processed = state.processed.lock().unwrap();
        if !processed.iter().any(|p| p.id == received.id) {
            processed.push(received);
        }
    }
    if take(&state.lose) {
        return; // dropped: the connection closes without an answer
    }
    if take(&state.hold) {
        // Never answers; returns when the sender closes (or dies).
        while !matches!(stream.read(&mut chunk).await, Ok(0) | Err(_)) {}
        return;
    }
    let status = state.status.lock().unwrap().unwrap_or(200);
    let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}
