//! Load test for `POST /api/checkout/checkout` against a running server.
//!
//! ```text
//! cargo run --release -p server --example checkout_bench -- \
//!     --url http://127.0.0.1:3000 --clients 32 --count 2000 [--lines 3]
//! ```
//!
//! Signs up one fresh customer per client, then runs `count` checkouts with `clients`
//! concurrent workers, alternating the `gangnam` and `hongdae` stores. Each checkout carries
//! `lines` dinner lines (default 1), each a different dinner or style (quantity 1, no sides,
//! card 4242…): the first is always one original chicken dinner, then valentine simple, french
//! simple, english simple, spicy chicken, and so on (see `DINNERS`). It never touches the
//! database: once a store's stock runs out its checkouts are 409 `out_of_stock`, counted and
//! timed separately (a fresh seed holds 200 fried chickens in gangnam and 300 in hongdae; from
//! `--lines 2` on, the lines also share the steak: 300 in gangnam, 200 in hongdae, one per
//! valentine, french or english dinner).
//!
//! This is an example rather than a `src/bin` target on purpose: a second binary in the
//! `server` package would make `cargo leptos` refuse to pick the server binary.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

const USAGE: &str = "usage: checkout_bench [--url http://127.0.0.1:3000] [--clients 32] \
                     [--count 2000] [--lines 1]";

/// The dinner lines of a checkout, in order: `--lines N` takes the first N. All different, so
/// that an order of several lines prices and reserves several dinners.
const DINNERS: [(&str, &str); 10] = [
    ("chicken", "original"),
    ("valentine", "simple"),
    ("french", "simple"),
    ("english", "simple"),
    ("chicken", "spicy"),
    ("valentine", "grand"),
    ("french", "grand"),
    ("english", "grand"),
    ("chicken", "soy_garlic"),
    ("champagne_feast", "grand"),
];

struct Args {
    url: String,
    clients: usize,
    count: usize,
    lines: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: "http://127.0.0.1:3000".to_owned(),
        clients: 32,
        count: 2000,
        lines: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.to_owned());
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--url" => args.url = value.trim_end_matches('/').to_owned(),
            "--clients" => {
                args.clients = value
                    .parse()
                    .map_err(|_| format!("--clients: not a number: {value}"))?
            }
            "--count" => {
                args.count = value
                    .parse()
                    .map_err(|_| format!("--count: not a number: {value}"))?
            }
            "--lines" => {
                args.lines = value
                    .parse()
                    .map_err(|_| format!("--lines: not a number: {value}"))?
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if args.clients == 0 {
        return Err("--clients must be at least 1".to_owned());
    }
    if !(1..=DINNERS.len()).contains(&args.lines) {
        return Err(format!(
            "--lines must be 1 to {} (an order holds at most 10 dinner lines)",
            DINNERS.len()
        ));
    }
    Ok(args)
}

/// Signs up a new customer and returns the `daebak_session=…` cookie.
async fn signup(client: &reqwest::Client, url: &str, email: &str) -> Result<String, String> {
    let res = client
        .post(format!("{url}/api/auth/signup"))
        .json(&json!({
            "email": email,
            "password": "bench-password-1234",
            "name": "벤치 고객",
            "phone": "010-0000-0000",
        }))
        .send()
        .await
        .map_err(|e| format!("signup {email}: {e}"))?;
    let status = res.status();
    let cookie = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.starts_with("daebak_session="))
        .map(str::to_owned);
    match cookie {
        Some(cookie) if status.is_success() => Ok(cookie),
        _ => {
            let body = res.text().await.unwrap_or_default();
            Err(format!("signup {email}: {status} {body}"))
        }
    }
}

/// A checkout of the first `lines` of `DINNERS` at `store`.
fn checkout_body(store: &str, lines: usize) -> Value {
    let lines: Vec<Value> = DINNERS[..lines]
        .iter()
        .map(|(menu, style)| {
            json!({ "menu": menu, "style": style, "quantity": 1,
                    "customizations": [], "cake": null })
        })
        .collect();
    json!({
        "order": {
            "store": store,
            "lines": lines,
            "side_dishes": [],
            "delivery": {
                "address": "서울특별시 강남구 테헤란로 152",
                "recipient": "벤치 고객",
                "phone": "010-0000-0000",
                "requested_at": null,
                "notes": null,
            },
        },
        "payment": { "number": "4242 4242 4242 4242", "expiry": "12/39", "cvv": "123", "holder": "Bench" },
    })
}

/// One request's outcome: HTTP status (0 for a transport error) and latency.
struct Sample {
    status: u16,
    latency: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

fn latency_line(label: &str, samples: &[&Sample]) {
    let mut latencies: Vec<Duration> = samples.iter().map(|s| s.latency).collect();
    latencies.sort_unstable();
    println!(
        "  {label:<10} n={:<6} p50 {:>8.2} ms  p95 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms",
        latencies.len(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 95.0),
        percentile(&latencies, 99.0),
        latencies
            .last()
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
    );
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let client = match reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .timeout(Duration::from_secs(60))
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            eprintln!("http client: {err}");
            return ExitCode::FAILURE;
        }
    };

    // One fresh customer per client, signed up concurrently.
    let run_id = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let started = Instant::now();
    let signups: Vec<_> = (0..args.clients)
        .map(|i| {
            let client = client.clone();
            let url = args.url.clone();
            let email = format!("bench-{run_id}-{}-{i}@bench.test", std::process::id());
            tokio::spawn(async move { signup(&client, &url, &email).await })
        })
        .collect();
    let mut cookies = Vec::with_capacity(args.clients);
    for task in signups {
        match task.await {
            Ok(Ok(cookie)) => cookies.push(cookie),
            Ok(Err(message)) => {
                eprintln!("{message}");
                return ExitCode::FAILURE;
            }
            Err(err) => {
                eprintln!("signup task failed: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "signed up {} customers in {:.2} s",
        cookies.len(),
        started.elapsed().as_secs_f64()
    );

    // `count` checkouts shared by the workers through one counter.
    let next = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new([
        checkout_body("gangnam", args.lines),
        checkout_body("hongdae", args.lines),
    ]);
    let started = Instant::now();
    let workers: Vec<_> = cookies
        .into_iter()
        .map(|cookie| {
            let client = client.clone();
            let url = format!("{}/api/checkout/checkout", args.url);
            let next = next.clone();
            let bodies = bodies.clone();
            let count = args.count;
            tokio::spawn(async move {
                let mut samples = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let t = Instant::now();
                    let status = match client
                        .post(&url)
                        .header(reqwest::header::COOKIE, &cookie)
                        .json(&bodies[i % 2])
                        .send()
                        .await
                    {
                        Ok(res) => {
                            let status = res.status().as_u16();
                            // Read the body so the connection is reused.
                            let _ = res.bytes().await;
                            status
                        }
                        Err(_) => 0,
                    };
                    samples.push(Sample {
                        status,
                        latency: t.elapsed(),
                    });
                }
                samples
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(args.count);
    for worker in workers {
        match worker.await {
            Ok(mut s) => samples.append(&mut s),
            Err(err) => eprintln!("worker failed: {err}"),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();

    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for s in &samples {
        *by_status.entry(s.status).or_default() += 1;
    }
    let ok = by_status.get(&200).copied().unwrap_or(0);
    println!(
        "{} checkouts with {} clients against {}",
        samples.len(),
        args.clients,
        args.url
    );
    println!("  total time {elapsed:.2} s");
    println!(
        "  {:.1} requests/s, {:.1} successful checkouts/s",
        samples.len() as f64 / elapsed,
        ok as f64 / elapsed
    );
    let all: Vec<&Sample> = samples.iter().collect();
    latency_line("all", &all);
    let paid: Vec<&Sample> = samples.iter().filter(|s| s.status == 200).collect();
    latency_line("200 paid", &paid);
    let short: Vec<&Sample> = samples.iter().filter(|s| s.status == 409).collect();
    if !short.is_empty() {
        latency_line("409 stock", &short);
    }
    println!("  by status:");
    for (status, n) in &by_status {
        let label = match status {
            0 => "transport error",
            200 => "paid",
            409 => "out of stock",
            402 => "declined",
            _ => "other",
        };
        println!("    {status:>3} {label:<16} {n}");
    }
    if by_status.keys().any(|s| !matches!(s, 200 | 409)) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
