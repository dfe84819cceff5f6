//! stream: each connection writes `chunk`-byte pattern slices as fast as the server
//! takes them while a reader task checks the echo concurrently. After the window
//! the writer stops and the reader waits for every sent byte to come back (no
//! half-close needed). Reports MB/s (10^6 bytes) echoed inside the window.
//! With `--tls-ca` every connection speaks TLS (handshakes before the window).

use crate::args::{Args, Window};
use crate::pattern::Pattern;
use crate::report::{cpu_seconds, Json};
use crate::watchdog::Watchdog;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

pub async fn run(a: &Args) -> Result<String, String> {
    let pat = Arc::new(Pattern::new(a.chunk.max(256 * 1024)));
    let connector = match &a.tls_ca {
        Some(ca) => Some(crate::tls::connector(ca)?),
        None => None,
    };
    let mut streams = Vec::with_capacity(a.conns);
    for _ in 0..a.conns {
        let s = TcpStream::connect(a.addr())
            .await
            .map_err(|e| format!("connect: {e}"))?;
        streams.push(s);
    }
    let dog = Watchdog::start("stream", a.stall);
    let win = a.window();
    let mut tasks = Vec::with_capacity(a.conns);
    for s in streams {
        let (pat, dog) = (pat.clone(), dog.clone());
        tasks.push(match &connector {
            None => {
                let (rd, wr) = s.into_split();
                tokio::spawn(conn(rd, wr, pat, a.chunk, win, dog))
            }
            Some(c) => {
                let (rd, wr) = tokio::io::split(crate::tls::handshake(c, s).await?);
                tokio::spawn(conn(rd, wr, pat, a.chunk, win, dog))
            }
        });
    }
    let (mut in_window, mut total) = (0u64, 0u64);
    for t in tasks {
        let (w, all) = t.await.map_err(|e| format!("task: {e}"))??;
        in_window += w;
        total += all;
    }
    dog.stop();
    let mut j = Json::new("stream");
    j.int("conns", a.conns as u64)
        .int("chunk", a.chunk as u64)
        .bool("tls", a.tls_ca.is_some())
        .num("duration_s", a.duration)
        .int("bytes", in_window)
        .int("ops_total", total)
        .num("mb_per_s", in_window as f64 / a.duration / 1e6)
        .num("cpu_s", cpu_seconds());
    Ok(j.render())
}

/// Returns (bytes echoed inside the window, all bytes echoed).
async fn conn<R, W>(
    mut rd: R,
    mut wr: W,
    pat: Arc<Pattern>,
    chunk: usize,
    win: Window,
    dog: Arc<Watchdog>,
) -> Result<(u64, u64), String>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    // The writer announces its final byte count here once the window is over.
    let (sent_tx, mut sent_rx) = watch::channel(u64::MAX);
    let wpat = pat.clone();
    let wdog = dog.clone();
    let writer = tokio::spawn(async move {
        let mut off = 0u64;
        while Instant::now() < win.end {
            wr.write_all(wpat.at(off, chunk))
                .await
                .map_err(|e| format!("write at offset {off}: {e}"))?;
            off += chunk as u64;
            wdog.tick();
        }
        let _ = sent_tx.send(off);
        // Keep the write half alive (dropping it would send FIN) until the reader is done.
        Ok::<_, String>(wr)
    });

    let mut buf = vec![0u8; 256 * 1024];
    let (mut recv, mut before_from, mut before_end) = (0u64, 0u64, 0u64);
    loop {
        let target = *sent_rx.borrow_and_update();
        if recv == target {
            break;
        }
        if recv > target {
            return Err(format!("received {recv} bytes but only {target} were sent"));
        }
        tokio::select! {
            r = rd.read(&mut buf) => {
                let n = r.map_err(|e| format!("read at offset {recv}: {e}"))?;
                if n == 0 {
                    return Err(format!("server closed the connection after echoing {recv} bytes"));
                }
                pat.check(recv, &buf[..n])?;
                recv += n as u64;
                let now = Instant::now();
                if now < win.from { before_from = recv; }
                if now < win.end { before_end = recv; }
                dog.tick();
            }
            changed = sent_rx.changed() => {
                if changed.is_err() {
                    // Writer ended without announcing a count: it failed; report its error.
                    break;
                }
            }
        }
    }
    let wr = writer.await.map_err(|e| format!("writer task: {e}"))??;
    drop(wr);
    Ok((before_end - before_from, recv))
}
