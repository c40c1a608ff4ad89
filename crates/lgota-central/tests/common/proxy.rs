//! A fault-injecting HTTP proxy on 127.0.0.1:0 between the real client and the real server.
//! One request per connection. Per request, chosen by a seeded generator: pass it through; drop
//! the connection before the server sees it; forward it and drop the connection after the
//! server committed, so the client never hears the answer; or pass it and keep a copy that is
//! replayed later, out of order (`replay_all`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub struct Stats {
    pub passed: AtomicU64,
    pub dropped_before: AtomicU64,
    pub dropped_after: AtomicU64,
    pub replayed: AtomicU64,
}

pub struct Proxy {
    pub base: String,
    upstream: Arc<Mutex<String>>,
    pub stats: Arc<Stats>,
    captured: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// xorshift64*: deterministic, good enough to spread faults.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Reads one HTTP/1.1 message (headers and a Content-Length body) from `stream`.
fn read_message(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut reader = BufReader::new(stream);
    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let end = line == "\r\n";
        head.extend_from_slice(line.as_bytes());
        if end {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    head.extend_from_slice(&body);
    Ok(head)
}

fn exchange(upstream: &str, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(request)?;
    read_message(&mut server)
}

impl Proxy {
    /// `faults_percent`: how many requests of a hundred meet a fault.
    pub fn start(upstream_base: &str, seed: u64, faults_percent: u64) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let upstream = Arc::new(Mutex::new(upstream_base.trim_start_matches("http://").to_owned()));
        let stats = Arc::new(Stats::default());
        let captured = Arc::new(Mutex::new(Vec::new()));
        let (up, st, cap) = (upstream.clone(), stats.clone(), captured.clone());
        std::thread::spawn(move || {
            let mut rng = Rng(seed | 1);
            for client in listener.incoming() {
                let Ok(mut client) = client else { continue };
                let roll = rng.next() % 100;
                let fault = if roll < faults_percent { rng.next() % 3 } else { 99 };
                let (up, st, cap) = (up.lock().unwrap().clone(), st.clone(), cap.clone());
                std::thread::spawn(move || {
                    let Ok(request) = read_message(&mut client) else { return };
                    match fault {
                        0 => {
                            st.dropped_before.fetch_add(1, Ordering::Relaxed);
                            let _ = client.shutdown(Shutdown::Both);
                        }
                        1 => {
                            // The server commits; the answer is lost on the way back.
                            let _ = exchange(&up, &request);
                            st.dropped_after.fetch_add(1, Ordering::Relaxed);
                            let _ = client.shutdown(Shutdown::Both);
                        }
                        2 => {
                            cap.lock().unwrap().push(request.clone());
                            st.passed.fetch_add(1, Ordering::Relaxed);
                            if let Ok(response) = exchange(&up, &request) {
                                let _ = client.write_all(&response);
                            }
                        }
                        _ => {
                            st.passed.fetch_add(1, Ordering::Relaxed);
                            if let Ok(response) = exchange(&up, &request) {
                                let _ = client.write_all(&response);
                            }
                        }
                    }
                });
            }
        });
        Proxy { base, upstream, stats, captured }
    }

    /// Points the proxy at another server (one started on a restored database).
    pub fn set_upstream(&self, base: &str) {
        *self.upstream.lock().unwrap() = base.trim_start_matches("http://").to_owned();
    }

    /// Sends every kept request to the server again, newest first (out of order), and returns
    /// the HTTP status lines the server answered with.
    pub fn replay_all(&self) -> Vec<String> {
        let requests: Vec<Vec<u8>> = self.captured.lock().unwrap().drain(..).rev().collect();
        requests
            .iter()
            .map(|request| {
                self.stats.replayed.fetch_add(1, Ordering::Relaxed);
                let upstream = self.upstream.lock().unwrap().clone();
                let response = exchange(&upstream, request).expect("replay reaches the server");
                String::from_utf8_lossy(&response).lines().next().unwrap_or_default().to_owned()
            })
            .collect()
    }
}
