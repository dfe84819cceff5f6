//! pingpong: each connection sends `size` pattern bytes, waits for the full echo,
//! checks it, and repeats. Reports round trips/s and latency percentiles.

use crate::args::{Args, Window};
use crate::pattern::Pattern;
use crate::report::{cpu_seconds, percentile, Json};
use crate::watchdog::Watchdog;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct ConnResult {
    counted: u64,
    total: u64,
    latencies_ns: Vec<u32>,
}

pub async fn run(a: &Args) -> Result<String, String> {
    let pat = Arc::new(Pattern::new(a.size));
    let mut streams = Vec::with_capacity(a.conns);
    for _ in 0..a.conns {
        let s = TcpStream::connect(a.addr())
            .await
            .map_err(|e| format!("connect: {e}"))?;
        s.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
        streams.push(s);
    }
    let dog = Watchdog::start("pingpong", a.stall);
    let win = a.window();
    let tasks: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(i, s)| tokio::spawn(conn(s, i as u64, pat.clone(), a.size, win, dog.clone())))
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
    let mut j = Json::new("pingpong");
    j.int("conns", a.conns as u64)
        .int("size", a.size as u64)
        .num("duration_s", a.duration)
        .int("round_trips", counted)
        .int("ops_total", total)
        .num("rt_per_s", counted as f64 / a.duration)
        .num("p50_us", us(50.0))
        .num("p99_us", us(99.0))
        .num("max_us", us(100.0))
        .num("cpu_s", cpu_seconds());
    Ok(j.render())
}

async fn conn(
    mut s: TcpStream,
    id: u64,
    pat: Arc<Pattern>,
    size: usize,
    win: Window,
    dog: Arc<Watchdog>,
) -> Result<ConnResult, String> {
    let mut buf = vec![0u8; size];
    let mut r = ConnResult {
        counted: 0,
        total: 0,
        latencies_ns: Vec::new(),
    };
    // Each message starts at a different pattern offset, so a stale echo cannot pass.
    let mut offset = id * 7;
    loop {
        let start = Instant::now();
        if start >= win.end {
            return Ok(r);
        }
        let msg = pat.at(offset, size);
        s.write_all(msg).await.map_err(|e| format!("write: {e}"))?;
        s.read_exact(&mut buf)
            .await
            .map_err(|e| format!("read (after {} round trips): {e}", r.total))?;
        let took = start.elapsed();
        pat.check(offset, &buf)?;
        r.total += 1;
        dog.tick();
        if start >= win.from {
            r.counted += 1;
            r.latencies_ns
                .push(took.as_nanos().min(u32::MAX as u128) as u32);
        }
        offset += 13;
    }
}
