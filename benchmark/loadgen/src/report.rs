//! Result reporting: a tiny JSON object writer, percentiles, and own CPU time.

use std::io::Write;

#[derive(Default)]
pub struct Json {
    fields: Vec<(String, String)>,
}

impl Json {
    pub fn new(mode: &str) -> Json {
        let mut j = Json::default();
        j.str("mode", mode);
        j
    }
    pub fn str(&mut self, k: &str, v: &str) -> &mut Json {
        let esc = v.replace('\\', "\\\\").replace('"', "\\\"");
        self.fields.push((k.into(), format!("\"{esc}\"")));
        self
    }
    pub fn int(&mut self, k: &str, v: u64) -> &mut Json {
        self.fields.push((k.into(), v.to_string()));
        self
    }
    pub fn bool(&mut self, k: &str, v: bool) -> &mut Json {
        self.fields.push((k.into(), v.to_string()));
        self
    }
    pub fn num(&mut self, k: &str, v: f64) -> &mut Json {
        let s = if v.is_finite() {
            format!("{v:.3}")
        } else {
            "null".into()
        };
        self.fields.push((k.into(), s));
        self
    }
    pub fn render(&self) -> String {
        let body: Vec<String> = self
            .fields
            .iter()
            .map(|(k, v)| format!("\"{k}\":{v}"))
            .collect();
        format!("{{{}}}", body.join(","))
    }
}

/// Prints one JSON line and flushes, so a reading parent sees it at once.
pub fn emit(json: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{json}");
    let _ = out.flush();
}

/// Percentile (0..=100) of an ascending slice, nearest-rank.
pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64
}

/// This process's user+system CPU seconds, from /proc/self/stat (USER_HZ = 100 on Linux).
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return f64::NAN;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / 100.0
}
