//! HTTP/1.1 keep-alive, just enough for the benchmark (not a general HTTP stack):
//!
//! - `http` (client): each of N connections sends `GET / HTTP/1.1`, reads the whole
//!   response (status 200, `Content-Length` body of exactly `--size` pattern bytes,
//!   no `Connection: close`), checks it, and sends the next request on the same
//!   connection. Reports requests/s and latency p50/p99.
//! - `http-server`: a plain Tokio responder that answers every GET with `--size`
//!   pattern bytes (keep-alive, pipelining allowed). It is the fixed server of the
//!   `http-client` mode and the Rust ceiling of the `http-server` modes.
//!
//! Requests with a body are refused (the connection is closed): no mode sends one.

use crate::args::{Args, Window};
use crate::pattern::Pattern;
use crate::report::{cpu_seconds, percentile, Json};
use crate::servers::listen;
use crate::watchdog::Watchdog;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: rsnet-loadgen\r\nAccept: */*\r\n\r\n";
const MAX_HEAD: usize = 16 * 1024;

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Value of header `name` (lower case, with the colon) in a response or request head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with(name).then(|| line[name.len()..].trim())
    })
}

struct ConnResult {
    counted: u64,
    total: u64,
    latencies_ns: Vec<u32>,
}

pub async fn client(a: &Args) -> Result<String, String> {
    let pat = Arc::new(Pattern::new(a.size));
    let mut streams = Vec::with_capacity(a.conns);
    for _ in 0..a.conns {
        let s = TcpStream::connect(a.addr())
            .await
            .map_err(|e| format!("connect: {e}"))?;
        s.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
        streams.push(s);
    }
    let dog = Watchdog::start("http", a.stall);
    let win = a.window();
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|s| tokio::spawn(conn(s, pat.clone(), a.size, win, dog.clone())))
        .collect();
    let (mut counted, mut total, mut lat) = (0u64, 0u64, Vec::new());
    for t in tasks {
        let r = t.await.map_err(|e| format!("task: {e}"))??;
        counted += r.counted;
        total += r.total;
        lat.extend(r.latencies_ns);
    }
    dog.stop();
    lat.sort_unstable();
    let us = |p| percentile(&lat, p) / 1000.0;
    let mut j = Json::new("http");
    j.int("conns", a.conns as u64)
        .int("size", a.size as u64)
        .num("duration_s", a.duration)
        .int("requests", counted)
        .int("ops_total", total)
        .num("req_per_s", counted as f64 / a.duration)
        .num("p50_us", us(50.0))
        .num("p99_us", us(99.0))
        .num("max_us", us(100.0))
        .num("cpu_s", cpu_seconds());
    Ok(j.render())
}

async fn read_more(s: &mut TcpStream, buf: &mut Vec<u8>, done: u64) -> Result<(), String> {
    buf.reserve(64 * 1024);
    let n = s
        .read_buf(buf)
        .await
        .map_err(|e| format!("read (after {done} responses): {e}"))?;
    if n == 0 {
        return Err(format!(
            "server closed the connection after {done} responses"
        ));
    }
    Ok(())
}

async fn conn(
    mut s: TcpStream,
    pat: Arc<Pattern>,
    size: usize,
    win: Window,
    dog: Arc<Watchdog>,
) -> Result<ConnResult, String> {
    let mut buf: Vec<u8> = Vec::with_capacity(size + MAX_HEAD);
    let mut r = ConnResult {
        counted: 0,
        total: 0,
        latencies_ns: Vec::new(),
    };
    loop {
        let start = Instant::now();
        if start >= win.end {
            return Ok(r);
        }
        s.write_all(REQUEST)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let head_end = loop {
            if let Some(i) = find_head_end(&buf) {
                break i;
            }
            if buf.len() > MAX_HEAD {
                return Err("response head longer than 16 KiB".into());
            }
            read_more(&mut s, &mut buf, r.total).await?;
        };
        let head = std::str::from_utf8(&buf[..head_end])
            .map_err(|_| "response head is not UTF-8".to_string())?;
        if !head.starts_with("HTTP/1.1 200 ") {
            return Err(format!(
                "unexpected status line {:?}",
                head.lines().next().unwrap_or("")
            ));
        }
        if header(head, "transfer-encoding:").is_some() {
            return Err("chunked response: the benchmark expects Content-Length".into());
        }
        if header(head, "connection:").is_some_and(|v| v.eq_ignore_ascii_case("close")) {
            return Err("server answered Connection: close on a keep-alive connection".into());
        }
        let len: usize = header(head, "content-length:")
            .and_then(|v| v.parse().ok())
            .ok_or("response without a valid Content-Length")?;
        if len != size {
            return Err(format!("body of {len} bytes, expected {size}"));
        }
        while buf.len() < head_end + len {
            read_more(&mut s, &mut buf, r.total).await?;
        }
        let took = start.elapsed();
        pat.check(0, &buf[head_end..head_end + len])?;
        if buf.len() > head_end + len {
            return Err("bytes after the response that nobody asked for".into());
        }
        buf.clear();
        r.total += 1;
        dog.tick();
        if start >= win.from {
            r.counted += 1;
            r.latencies_ns
                .push(took.as_nanos().min(u32::MAX as u128) as u32);
        }
    }
}

pub async fn server(a: &Args) -> Result<String, String> {
    let l = listen(a).await?;
    let body = Pattern::new(a.size).at(0, a.size).to_vec();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n",
        a.size
    );
    let response: Arc<Vec<u8>> = Arc::new([head.as_bytes(), &body].concat());
    loop {
        let Ok((s, _)) = l.accept().await else {
            continue;
        };
        let _ = s.set_nodelay(true);
        tokio::spawn(respond(s, response.clone()));
    }
}

async fn respond(mut s: TcpStream, response: Arc<Vec<u8>>) {
    let mut buf: Vec<u8> = Vec::with_capacity(MAX_HEAD);
    let mut out: Vec<u8> = Vec::new();
    loop {
        buf.reserve(MAX_HEAD);
        match s.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        // Answer every complete request in the buffer (pipelined requests too), in one write.
        let mut used = 0;
        while let Some(end) = find_head_end(&buf[used..]) {
            let head = String::from_utf8_lossy(&buf[used..used + end]);
            let has_body = header(&head, "transfer-encoding:").is_some()
                || header(&head, "content-length:").is_some_and(|v| v != "0");
            if !head.starts_with("GET ") || has_body {
                return;
            }
            out.extend_from_slice(&response);
            used += end;
        }
        if used == 0 && buf.len() > MAX_HEAD {
            return;
        }
        buf.drain(..used);
        if !out.is_empty() {
            if s.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
    }
}
