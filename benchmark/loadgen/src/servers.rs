//! Plain Tokio servers: the echo server is the "Rust ceiling" and the fixed
//! upstream of the client-side and proxy modes; the proxy is the ceiling for the
//! proxy mode. Both print {"port":P,"pid":N} once listening, and stop by
//! themselves (stdin EOF with --stdin-watch, SIGTERM, or --max-seconds).

use crate::args::Args;
use crate::report::{emit, Json};
use crate::watchdog::{exit_after, on_stdin_eof};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BUF: usize = 64 * 1024;

pub async fn listen(a: &Args) -> Result<TcpListener, String> {
    let l = TcpListener::bind(("127.0.0.1", a.port))
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let port = l.local_addr().map_err(|e| e.to_string())?.port();
    let mut j = Json::new(&a.mode);
    j.int("port", port as u64)
        .int("pid", std::process::id() as u64);
    emit(&j.render());
    if a.stdin_watch {
        on_stdin_eof(|| std::process::exit(0));
    }
    exit_after(a.max_seconds);
    Ok(l)
}

pub async fn echo_server(a: &Args) -> Result<String, String> {
    let l = listen(a).await?;
    loop {
        // Accept errors (e.g. EMFILE) are transient for a server: keep going.
        let Ok((s, _)) = l.accept().await else {
            continue;
        };
        tokio::spawn(echo(s));
    }
}

async fn echo(mut s: TcpStream) {
    let mut buf = vec![0u8; BUF];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if s.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

pub async fn proxy(a: &Args) -> Result<String, String> {
    let l = listen(a).await?;
    let upstream = std::net::SocketAddr::from(([127, 0, 0, 1], a.upstream));
    loop {
        let Ok((mut client, _)) = l.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let Ok(mut up) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional_with_sizes(&mut client, &mut up, BUF, BUF).await;
        });
    }
}
