//! loadgen: load generator and plain-Tokio reference servers for the rsnet benchmark.
//!
//! It is neither implementation under test. Client modes (pingpong, stream, churn,
//! concurrent, http) drive a server; server modes (echo-server, proxy, http-server)
//! are the "Rust ceiling" and the fixed upstream. Every client mode checks every echoed byte,
//! prints ONE JSON line on stdout, and on any failure prints `loadgen: FAILED: ...`
//! on stderr and exits with status 2. Traffic only ever goes to 127.0.0.1.

mod args;
mod churn;
mod concurrent;
mod http;
mod pattern;
mod pingpong;
mod report;
mod servers;
mod stream;
mod tls;
mod watchdog;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match args::Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loadgen: {e}\n\n{}", args::USAGE);
            return ExitCode::from(64);
        }
    };
    let runtime = if args.threads == 1 {
        // One connection on one thread: no cross-thread wakeups in the latency path.
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
    }
    .expect("tokio runtime");

    let result = runtime.block_on(async {
        match args.mode.as_str() {
            "pingpong" => pingpong::run(&args).await,
            "stream" => stream::run(&args).await,
            "churn" => churn::run(&args).await,
            "concurrent" => concurrent::run(&args).await,
            "echo-server" => servers::echo_server(&args).await,
            "proxy" => servers::proxy(&args).await,
            "http" => http::client(&args).await,
            "http-server" => http::server(&args).await,
            other => Err(format!("unknown mode {other:?}")),
        }
    });
    match result {
        Ok(json) => {
            report::emit(&json);
            // Exit right away: do not wait for the runtime to wind down idle sockets.
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("loadgen: FAILED ({}): {e}", args.mode);
            std::process::exit(2);
        }
    }
}
