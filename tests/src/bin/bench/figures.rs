//! Samples, their summaries, the table and the JSON document.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

/// One measured run of a variant.
#[derive(Debug, Clone)]
pub struct Sample {
    pub wall: Duration,
    pub phone_cpu: Duration,
    pub max_rss_kib: u64,
    pub gateway_cpu: Duration,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub connections: usize,
    /// Session channels opened on those connections (commands run), from sshd's log.
    pub sessions: usize,
}

/// The median (mean of the two middle values for an even count).
pub fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The 90th percentile, nearest rank.
pub fn p90(sorted: &[f64]) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (0.9 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A variant's figures at one delay.
#[derive(Debug, Clone)]
pub struct Summary {
    pub key: &'static str,
    pub label: &'static str,
    pub runs: usize,
    pub median_ms: f64,
    pub p90_ms: f64,
    pub min_ms: f64,
    /// The median in round trips of this delay (`None` at 0 ms).
    pub rtts: Option<f64>,
    /// (median at this delay − median at 0 ms) / RTT: the round trips the run waited for, and
    /// how far to trust it: the spread of both medians ((p90 − median) at each delay) in RTTs.
    /// Where the gateway's own work varies by more than a round trip (Node.js), the difference
    /// of two medians says little; the spread shows it.
    pub latency_rtts: Option<(f64, f64)>,
    /// Mean gateway CPU per run (the /proc counters have 10 ms steps; the mean of many runs is
    /// finer than any one of them).
    pub gateway_cpu_ms: f64,
    pub phone_cpu_ms: f64,
    pub max_rss_kib: u64,
    pub bytes_median: f64,
    pub bytes_up_median: f64,
    pub bytes_down_median: f64,
    pub connections: usize,
    pub sessions: usize,
    pub samples_ms: Vec<f64>,
}

impl Summary {
    pub fn of(
        key: &'static str,
        label: &'static str,
        samples: &[Sample],
        one_way: Duration,
    ) -> Self {
        let walls = sorted(samples.iter().map(|s| ms(s.wall)));
        let n = samples.len().max(1) as f64;
        let median_ms = median(&walls);
        let rtt_ms = ms(one_way) * 2.0;
        Summary {
            key,
            label,
            runs: samples.len(),
            median_ms,
            p90_ms: p90(&walls),
            min_ms: walls.first().copied().unwrap_or(f64::NAN),
            rtts: (rtt_ms > 0.0).then(|| median_ms / rtt_ms),
            latency_rtts: None,
            gateway_cpu_ms: samples.iter().map(|s| ms(s.gateway_cpu)).sum::<f64>() / n,
            phone_cpu_ms: samples.iter().map(|s| ms(s.phone_cpu)).sum::<f64>() / n,
            max_rss_kib: samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0),
            bytes_median: median(&sorted(
                samples.iter().map(|s| (s.bytes_up + s.bytes_down) as f64),
            )),
            bytes_up_median: median(&sorted(samples.iter().map(|s| s.bytes_up as f64))),
            bytes_down_median: median(&sorted(samples.iter().map(|s| s.bytes_down as f64))),
            connections: samples.iter().map(|s| s.connections).max().unwrap_or(0),
            sessions: samples.iter().map(|s| s.sessions).max().unwrap_or(0),
            samples_ms: samples.iter().map(|s| ms(s.wall)).collect(),
        }
    }

    fn json(&self, old: Option<&Summary>) -> Value {
        let ratio = |a: f64, b: f64| (b > 0.0).then(|| round(a / b, 3));
        json!({
            "variant": self.key,
            "label": self.label,
            "runs": self.runs,
            "wall_ms": {
                "median": round(self.median_ms, 1),
                "p90": round(self.p90_ms, 1),
                "min": round(self.min_ms, 1),
                "samples": self.samples_ms.iter().map(|v| round(*v, 1)).collect::<Vec<_>>(),
            },
            "round_trips": self.rtts.map(|r| round(r, 2)),
            "latency_round_trips": self.latency_rtts.map(|(r, spread)| json!({
                "value": round(r, 2),
                "spread": round(spread, 2),
            })),
            "gateway_cpu_ms_mean": round(self.gateway_cpu_ms, 1),
            "phone_cpu_ms_mean": round(self.phone_cpu_ms, 1),
            "phone_peak_rss_kib": self.max_rss_kib,
            "bytes_on_wire": {
                "median": self.bytes_median,
                "up_median": self.bytes_up_median,
                "down_median": self.bytes_down_median,
            },
            "ssh_connections": self.connections,
            "ssh_sessions": self.sessions,
            "vs_old_way": old.map(|o| json!({
                "wall": ratio(self.median_ms, o.median_ms),
                "gateway_cpu": ratio(self.gateway_cpu_ms, o.gateway_cpu_ms),
                "bytes": ratio(self.bytes_median, o.bytes_median),
                "connections": ratio(self.connections as f64, o.connections as f64),
            })),
        })
    }
}

pub fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// The figures at one delay.
pub struct DelayFigures {
    pub one_way: Duration,
    pub variants: Vec<Summary>,
}

/// Fleet figures: how long checking `hosts` gateways at once took.
pub struct FleetFigures {
    pub hosts: usize,
    pub one_way: Duration,
    pub variants: Vec<Summary>,
}

pub struct Binary {
    pub path: String,
    pub size: u64,
    pub stripped_size: u64,
    pub aarch64_static: Option<(String, u64)>,
}

/// Fills in `latency_rtts` from the 0 ms figures, when they were measured.
pub fn link_latency(delays: &mut [DelayFigures]) {
    let zero: Vec<(&'static str, f64, f64)> = delays
        .iter()
        .find(|d| d.one_way.is_zero())
        .map(|d| {
            d.variants
                .iter()
                .map(|v| (v.key, v.median_ms, v.p90_ms - v.median_ms))
                .collect()
        })
        .unwrap_or_default();
    for d in delays.iter_mut().filter(|d| !d.one_way.is_zero()) {
        let rtt = ms(d.one_way) * 2.0;
        for v in &mut d.variants {
            if let Some((_, base, base_spread)) = zero.iter().find(|(k, _, _)| *k == v.key) {
                let spread = (v.p90_ms - v.median_ms) + base_spread;
                v.latency_rtts = Some(((v.median_ms - base) / rtt, spread / rtt));
            }
        }
    }
}

fn secs(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

fn opt(v: Option<f64>, places: usize) -> String {
    v.map_or("–".to_owned(), |v| format!("{v:.places$}"))
}

/// The printed table (Markdown, so the README can hold it as is).
/// OpenSSH's `ssh gw true`: the variant clawauth's tap is held against.
pub const SSH_TRUE: &str = "ssh-true";

/// The tap's targets against OpenSSH's `ssh gw true` at one delay: a median at most 0.9× its
/// median, and at most 8 round trips waited. Met, or the distance to them.
pub fn against_ssh_true(d: &DelayFigures) -> Option<String> {
    let find = |k: &str| d.variants.iter().find(|v| v.key == k);
    let ssh = find(SSH_TRUE)?;
    let mut parts = Vec::new();
    for v in ["clawauth", "widget"].into_iter().filter_map(find) {
        if d.one_way.is_zero() || ssh.median_ms <= 0.0 {
            continue;
        }
        let ratio = v.median_ms / ssh.median_ms;
        let time = if ratio <= 0.9 {
            format!("{ratio:.2}× `ssh gw true` (target ≤ 0.90×: met)")
        } else {
            format!(
                "{ratio:.2}× `ssh gw true` (target ≤ 0.90×: {:.0} ms over)",
                v.median_ms - 0.9 * ssh.median_ms
            )
        };
        let rtts = match (v.latency_rtts, ssh.latency_rtts) {
            (Some((r, _)), Some((o, _))) => format!(
                "; {r:.1} round trips waited against OpenSSH's {o:.1} (target ≤ 8: {})",
                if r <= 8.0 {
                    "met".to_owned()
                } else {
                    format!("{:.1} over", r - 8.0)
                }
            ),
            _ => String::new(),
        };
        parts.push(format!(
            "- {}: {}{time}{rtts}",
            v.label,
            secs(v.median_ms) + ", "
        ));
    }
    (!parts.is_empty()).then(|| format!("Against OpenSSH:\n{}", parts.join("\n")))
}

pub fn table(
    machine: &str,
    delays: &[DelayFigures],
    fleet: &[FleetFigures],
    binary: &Binary,
    old_key: &str,
) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "Machine: {machine}\n");
    for d in delays {
        let one_way = ms(d.one_way);
        let link = if d.one_way.is_zero() {
            "no delay".to_owned()
        } else {
            format!(
                "one-way delay {one_way:.0} ms (RTT {:.0} ms)",
                one_way * 2.0
            )
        };
        let _ = writeln!(
            t,
            "One tap, {link}, {} runs per variant:\n",
            d.variants.first().map_or(0, |v| v.runs)
        );
        let _ = writeln!(
            t,
            "| variant | median | p90 | in RTTs | RTTs waited | gateway CPU | phone CPU | bytes | SSH conns (commands) | time vs old | gateway CPU vs old | bytes vs old |"
        );
        let _ = writeln!(t, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        let old = d.variants.iter().find(|v| v.key == old_key);
        for v in &d.variants {
            let ratio = |a: f64, b: Option<f64>| match b {
                Some(b) if b > 0.0 => format!("{:.2}×", a / b),
                _ => "–".to_owned(),
            };
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} | {:.0} ms | {:.0} ms | {} | {} ({}) | {} | {} | {} |",
                v.label,
                secs(v.median_ms),
                secs(v.p90_ms),
                opt(v.rtts, 1),
                v.latency_rtts.map_or("–".to_owned(), |(r, spread)| format!(
                    "{r:.1} ±{spread:.1}"
                )),
                v.gateway_cpu_ms,
                v.phone_cpu_ms,
                kib(v.bytes_median),
                v.connections,
                v.sessions,
                ratio(v.median_ms, old.map(|o| o.median_ms)),
                ratio(v.gateway_cpu_ms, old.map(|o| o.gateway_cpu_ms)),
                ratio(v.bytes_median, old.map(|o| o.bytes_median)),
            );
        }
        if let Some(line) = against_ssh_true(d) {
            let _ = writeln!(t, "\n{line}");
        }
        t.push('\n');
    }
    if let Some(f) = fleet.first() {
        let _ = writeln!(
            t,
            "Fleet: N gateways (distinct host aliases) checked at once, one-way delay {:.0} ms; median wall time (runs):\n",
            ms(f.one_way)
        );
        let labels: Vec<&str> = f.variants.iter().map(|v| v.label).collect();
        let _ = writeln!(t, "| gateways | {} |", labels.join(" | "));
        let _ = writeln!(t, "|--:|{}", "--:|".repeat(labels.len()));
        for f in fleet {
            let cells: Vec<String> = f
                .variants
                .iter()
                .map(|v| {
                    format!(
                        "{} ({}), {} conns, peak RSS {:.1} MiB",
                        secs(v.median_ms),
                        v.runs,
                        v.connections,
                        v.max_rss_kib as f64 / 1024.0
                    )
                })
                .collect();
            let _ = writeln!(t, "| {} | {} |", f.hosts, cells.join(" | "));
        }
        t.push('\n');
    }
    let _ = writeln!(
        t,
        "clawauth binary: {} bytes stripped ({:.1} MiB; {} as built){}.",
        binary.stripped_size,
        binary.stripped_size as f64 / 1_048_576.0,
        binary.size,
        match &binary.aarch64_static {
            Some((_, size)) => format!(
                "; the phone's static aarch64 build: {size} bytes ({:.1} MiB)",
                *size as f64 / 1_048_576.0
            ),
            None => String::new(),
        }
    );
    if let Some(v) = delays
        .iter()
        .flat_map(|d| &d.variants)
        .filter(|v| v.key == "clawauth")
        .max_by_key(|v| v.max_rss_kib)
    {
        let _ = writeln!(
            t,
            "clawauth peak RSS on the phone for one tap: {:.1} MiB.",
            v.max_rss_kib as f64 / 1024.0
        );
    }
    t
}

/// Each variant's figures, with its ratios against the old way's when that was measured too.
fn variants_json(variants: &[Summary], old_key: &str) -> Vec<Value> {
    let old = variants.iter().find(|v| v.key == old_key);
    variants.iter().map(|v| v.json(old)).collect()
}

pub fn document(
    machine: Value,
    delays: &[DelayFigures],
    fleet: &[FleetFigures],
    binary: &Binary,
    old_key: &str,
) -> Value {
    json!({
        "schema": 1,
        "taken_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "machine": machine,
        "taps": delays.iter().map(|d| json!({
            "one_way_delay_ms": ms(d.one_way),
            "variants": variants_json(&d.variants, old_key),
        })).collect::<Vec<_>>(),
        "fleet": fleet.iter().map(|f| json!({
            "gateways": f.hosts,
            "one_way_delay_ms": ms(f.one_way),
            "variants": variants_json(&f.variants, old_key),
        })).collect::<Vec<_>>(),
        "binary": {
            "path": binary.path,
            "size": binary.size,
            "stripped_size": binary.stripped_size,
            "aarch64_static": binary.aarch64_static.as_ref().map(|(p, s)| json!({"path": p, "size": s})),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p90_by_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(median(&v), 5.5);
        assert_eq!(p90(&v), 9.0);
        let v: Vec<f64> = (1..=15).map(f64::from).collect();
        assert_eq!(median(&v), 8.0);
        assert_eq!(p90(&v), 14.0);
        assert_eq!(p90(&[3.0]), 3.0);
        assert!(median(&[]).is_nan());
    }

    fn sample(wall_ms: u64) -> Sample {
        Sample {
            wall: Duration::from_millis(wall_ms),
            phone_cpu: Duration::ZERO,
            max_rss_kib: 0,
            gateway_cpu: Duration::from_millis(10),
            bytes_up: 100,
            bytes_down: 200,
            connections: 1,
            sessions: 2,
        }
    }

    #[test]
    fn round_trips_waited_come_from_the_zero_delay_run() {
        let d50 = Duration::from_millis(50);
        let slow: Vec<Sample> = [1100, 1120, 1150].map(sample).to_vec();
        let fast: Vec<Sample> = [140, 150, 160].map(sample).to_vec();
        let mut delays = vec![
            DelayFigures {
                one_way: d50,
                variants: vec![Summary::of("clawauth", "c", &slow, d50)],
            },
            DelayFigures {
                one_way: Duration::ZERO,
                variants: vec![Summary::of("clawauth", "c", &fast, Duration::ZERO)],
            },
        ];
        link_latency(&mut delays);
        let v = &delays[0].variants[0];
        assert_eq!(v.rtts.map(|r| round(r, 2)), Some(11.2));
        let (rtts, spread) = v.latency_rtts.expect("worked out");
        assert_eq!(round(rtts, 2), 9.7);
        // (1150 − 1120) + (160 − 150) = 40 ms = 0.4 RTT
        assert_eq!(round(spread, 2), 0.4);
        assert!(delays[1].variants[0].latency_rtts.is_none());
        assert!(delays[1].variants[0].rtts.is_none());
        assert_eq!(v.bytes_median, 300.0);
        assert_eq!((v.connections, v.sessions), (1, 2));
    }
}
