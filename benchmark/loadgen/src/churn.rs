//! churn: N workers each loop connect -> send 64 B -> read echo -> close.
//! Reports completed connections/s. The client closes first, so TIME_WAIT lands
//! on the client side (Linux reuses those ports for loopback connects).

use crate::args::{Args, Window};
use crate::pattern::Pattern;
use crate::report::{cpu_seconds, Json};
use crate::watchdog::Watchdog;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MSG: usize = 64;

pub async fn run(a: &Args) -> Result<String, String> {
    let pat = Arc::new(Pattern::new(MSG));
    let dog = Watchdog::start("churn", a.stall);
    let win = a.window();
    let addr = a.addr();
    let tasks: Vec<_> = (0..a.conns as u64)
        .map(|id| tokio::spawn(worker(addr, id, pat.clone(), win, dog.clone())))
        .collect();
    let (mut counted, mut total) = (0u64, 0u64);
    for t in tasks {
        let (c, all) = t.await.map_err(|e| format!("task: {e}"))??;
        counted += c;
        total += all;
    }
    dog.stop();
    let mut j = Json::new("churn");
    j.int("conns", a.conns as u64)
        .num("duration_s", a.duration)
        .int("connections", counted)
        .int("ops_total", total)
        .num("conn_per_s", counted as f64 / a.duration)
        .num("cpu_s", cpu_seconds());
    Ok(j.render())
}

async fn worker(
    addr: std::net::SocketAddr,
    id: u64,
    pat: Arc<Pattern>,
    win: Window,
    dog: Arc<Watchdog>,
) -> Result<(u64, u64), String> {
    let mut buf = [0u8; MSG];
    let (mut counted, mut total) = (0u64, 0u64);
    let mut offset = id * 7;
    loop {
        let start = Instant::now();
        if start >= win.end {
            return Ok((counted, total));
        }
        let mut s = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect (after {total} connections): {e}"))?;
        s.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
        let msg = pat.at(offset, MSG);
        s.write_all(msg).await.map_err(|e| format!("write: {e}"))?;
        s.read_exact(&mut buf)
            .await
            .map_err(|e| format!("read: {e}"))?;
        pat.check(offset, &buf)?;
        drop(s);
        total += 1;
        dog.tick();
        if start >= win.from {
            counted += 1;
        }
        offset += 13;
    }
}
