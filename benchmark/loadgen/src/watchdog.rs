//! Stall detection off the hot path: workers bump a shared counter, and a plain OS
//! thread (alive even if the runtime is wedged) fails the run loudly when the
//! counter stops moving. Cheaper than a tokio timeout around every read.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Watchdog {
    progress: AtomicU64,
    active: AtomicBool,
}

impl Watchdog {
    pub fn start(mode: &'static str, stall_s: f64) -> Arc<Watchdog> {
        let dog = Arc::new(Watchdog {
            progress: AtomicU64::new(0),
            active: AtomicBool::new(true),
        });
        let d = dog.clone();
        let stall = Duration::from_secs_f64(stall_s);
        std::thread::spawn(move || {
            let mut seen = 0;
            let mut since = Instant::now();
            while d.active.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let now = d.progress.load(Ordering::Relaxed);
                if now != seen {
                    seen = now;
                    since = Instant::now();
                } else if since.elapsed() > stall && d.active.load(Ordering::Relaxed) {
                    eprintln!(
                        "loadgen: FAILED ({mode}): stalled, no echo progress for {stall_s}s (after {now} operations)"
                    );
                    std::process::exit(2);
                }
            }
        });
        dog
    }

    pub fn tick(&self) {
        self.progress.fetch_add(1, Ordering::Relaxed);
    }

    pub fn stop(&self) {
        self.active.store(false, Ordering::Relaxed);
    }
}

/// Calls `f` once stdin reaches EOF (or errors), from a plain OS thread.
pub fn on_stdin_eof(f: impl FnOnce() + Send + 'static) {
    std::thread::spawn(move || {
        use std::io::Read;
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin();
        while let Ok(n) = stdin.read(&mut sink) {
            if n == 0 {
                break;
            }
        }
        f();
    });
}

/// Exits the process after `secs`: servers must stop by themselves even if orphaned.
pub fn exit_after(secs: f64) {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs_f64(secs));
        eprintln!("loadgen: lifetime limit of {secs}s reached, exiting");
        std::process::exit(3);
    });
}
