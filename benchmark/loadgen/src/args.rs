//! Command-line parsing (hand-rolled: the crate depends on tokio only).

pub const USAGE: &str = "usage: loadgen MODE [options]
modes:
  pingpong     --port P [--conns N] [--size B]        round trips/s, latency p50/p99
  stream       --port P [--conns N] [--chunk B] [--tls-ca PEM]
                                                      MB/s echoed (writes and reads concurrently);
                                                      with --tls-ca, over TLS to a server whose
                                                      certificate (for 127.0.0.1) the PEM file holds
  churn        --port P [--conns N]                   connect, 64 B echo, close: connections/s
  concurrent   --port P [--conns N] [--parallel K]    open N, ping each, hold; time to establish
  echo-server  [--port P]                             plain Tokio echo server (prints {\"port\":P})
  proxy        [--port P] --upstream U                plain Tokio TCP proxy to 127.0.0.1:U
  http         --port P [--conns N] [--size B]        HTTP/1.1 keep-alive GETs (body of B bytes): requests/s, p50/p99
  http-server  [--port P] [--size B]                  plain Tokio HTTP/1.1 responder, B-byte body (prints {\"port\":P})
common options:
  --duration S   measured seconds (default 5)      --warmup S   unmeasured lead-in (default 1)
  --threads T    runtime worker threads (default: min(conns, cores); 1 = current-thread)
  --stall S      fail if no progress for S seconds (default 10)
  --hold S       concurrent: hold connections at most S seconds (default 30)
  --stdin-watch  exit (servers) / stop holding (concurrent) when stdin reaches EOF
  --max-seconds S  servers exit by themselves after S seconds (default 900)
All traffic goes to 127.0.0.1.";

pub struct Args {
    pub mode: String,
    pub port: u16,
    pub upstream: u16,
    pub conns: usize,
    pub size: usize,
    pub chunk: usize,
    pub duration: f64,
    pub warmup: f64,
    pub threads: usize,
    pub parallel: usize,
    pub hold: f64,
    pub stall: f64,
    pub stdin_watch: bool,
    pub max_seconds: f64,
    /// stream: speak TLS, trusting the certificate in this PEM file.
    pub tls_ca: Option<String>,
}

impl Args {
    pub fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
        let mode = it.next().ok_or("missing MODE")?;
        const MODES: [&str; 8] = [
            "pingpong",
            "stream",
            "churn",
            "concurrent",
            "echo-server",
            "proxy",
            "http",
            "http-server",
        ];
        if !MODES.contains(&mode.as_str()) {
            return Err(format!("unknown mode {mode:?}"));
        }
        let mut a = Args {
            mode,
            port: 0,
            upstream: 0,
            conns: 1,
            size: 64,
            chunk: 65536,
            duration: 5.0,
            warmup: 1.0,
            threads: 0,
            parallel: 256,
            hold: 30.0,
            stall: 10.0,
            stdin_watch: false,
            max_seconds: 900.0,
            tls_ca: None,
        };
        while let Some(flag) = it.next() {
            if flag == "--stdin-watch" {
                a.stdin_watch = true;
                continue;
            }
            let val = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let bad = |_| format!("bad value for {flag}: {val:?}");
            match flag.as_str() {
                "--port" => a.port = val.parse().map_err(bad)?,
                "--upstream" => a.upstream = val.parse().map_err(bad)?,
                "--conns" => a.conns = val.parse().map_err(bad)?,
                "--size" => a.size = val.parse().map_err(bad)?,
                "--chunk" => a.chunk = val.parse().map_err(bad)?,
                "--threads" => a.threads = val.parse().map_err(bad)?,
                "--parallel" => a.parallel = val.parse().map_err(bad)?,
                "--duration" => {
                    a.duration = val.parse().map_err(|_| format!("bad value for {flag}"))?
                }
                "--warmup" => {
                    a.warmup = val.parse().map_err(|_| format!("bad value for {flag}"))?
                }
                "--hold" => a.hold = val.parse().map_err(|_| format!("bad value for {flag}"))?,
                "--stall" => a.stall = val.parse().map_err(|_| format!("bad value for {flag}"))?,
                "--tls-ca" => a.tls_ca = Some(val),
                "--max-seconds" => {
                    a.max_seconds = val.parse().map_err(|_| format!("bad value for {flag}"))?
                }
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        let is_server = matches!(a.mode.as_str(), "echo-server" | "proxy" | "http-server");
        if !is_server && a.port == 0 {
            return Err(format!("{} needs --port", a.mode));
        }
        if a.mode == "proxy" && a.upstream == 0 {
            return Err("proxy needs --upstream".into());
        }
        if a.tls_ca.is_some() && a.mode != "stream" {
            return Err("--tls-ca is for the stream mode only".into());
        }
        if a.conns == 0 || a.size == 0 || a.chunk == 0 || a.parallel == 0 {
            return Err("--conns, --size, --chunk and --parallel must be > 0".into());
        }
        if !(a.duration > 0.0 && a.warmup >= 0.0 && a.stall > 0.0 && a.hold >= 0.0) {
            return Err("--duration and --stall must be > 0, --warmup and --hold >= 0".into());
        }
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        if a.threads == 0 {
            a.threads = if is_server {
                cores
            } else {
                a.conns.min(cores).max(1)
            };
        }
        Ok(a)
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

/// The measured window of a run: [from, end). Work before `from` is warm-up.
#[derive(Clone, Copy)]
pub struct Window {
    pub from: std::time::Instant,
    pub end: std::time::Instant,
}

impl Args {
    /// Starts the clock now: warm-up first, then `duration` measured seconds.
    pub fn window(&self) -> Window {
        let from = std::time::Instant::now() + std::time::Duration::from_secs_f64(self.warmup);
        Window {
            from,
            end: from + std::time::Duration::from_secs_f64(self.duration),
        }
    }
}
