//! concurrent: opens `conns` connections with at most `parallel` handshakes in
//! flight, sends one 64 B ping on each and awaits its echo. Prints the JSON line
//! (time to establish) as soon as all are up, then HOLDS them open until stdin
//! closes (--stdin-watch) or --hold seconds pass, so the runner can sample the
//! server's memory while every connection is alive.

use crate::args::Args;
use crate::pattern::Pattern;
use crate::report::{cpu_seconds, emit, Json};
use crate::watchdog::{on_stdin_eof, Watchdog};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, Semaphore};

const MSG: usize = 64;

pub async fn run(a: &Args) -> Result<String, String> {
    let pat = Arc::new(Pattern::new(MSG));
    let gate = Arc::new(Semaphore::new(a.parallel));
    let dog = Watchdog::start("concurrent", a.stall);
    let addr = a.addr();
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(a.conns);
    for id in 0..a.conns as u64 {
        let permit = gate
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let (pat, dog) = (pat.clone(), dog.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permit; // released once this connection has its echo
            let mut s = TcpStream::connect(addr)
                .await
                .map_err(|e| format!("connect #{id}: {e}"))?;
            let msg = pat.at(id * 7, MSG);
            s.write_all(msg)
                .await
                .map_err(|e| format!("write #{id}: {e}"))?;
            let mut buf = [0u8; MSG];
            s.read_exact(&mut buf)
                .await
                .map_err(|e| format!("read #{id}: {e}"))?;
            pat.check(id * 7, &buf)
                .map_err(|e| format!("conn #{id}: {e}"))?;
            dog.tick();
            Ok::<_, String>(s)
        }));
    }
    let mut held = Vec::with_capacity(a.conns);
    for t in tasks {
        held.push(t.await.map_err(|e| format!("task: {e}"))??);
    }
    let took = t0.elapsed().as_secs_f64();
    dog.stop();
    let mut j = Json::new("concurrent");
    j.int("conns", a.conns as u64)
        .int("ops_total", a.conns as u64)
        .num("establish_ms", took * 1000.0)
        .num("conn_per_s", a.conns as f64 / took)
        .num("cpu_s", cpu_seconds());
    emit(&j.render());

    let (tx, rx) = oneshot::channel::<()>();
    if a.stdin_watch {
        on_stdin_eof(move || {
            let _ = tx.send(());
        });
    }
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs_f64(a.hold)) => {}
        _ = rx => {}
    }
    drop(held);
    std::process::exit(0);
}
