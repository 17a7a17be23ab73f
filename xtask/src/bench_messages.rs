//! `cargo xtask bench-messages`: the reporter message outbox (issue 13),
//! its throughput and its latency. The release server runs as a separate
//! process on 127.0.0.1 with demo staff and `--push-allow 127.0.0.1/32`;
//! this process is both its clients (plain HTTP/1.1 over std sockets, one
//! keep-alive connection per client thread) and the push service its
//! subscriptions name: a small HTTP server on 127.0.0.1 that timestamps
//! every push as it arrives and answers `201 Created`. Each report has its
//! own subscription, `http://127.0.0.1:PORT/push/<tracking code>`, so an
//! arrival names its report without decrypting; a sample is decrypted
//! afterwards (RFC 8291, written again here, apart from the server's) to
//! check that its `tag` is that code.
//!
//! In one run:
//!   1. reference: accepts/s of reports without any subscription;
//!   2. throughput: N reports with one subscription each, accepted by
//!      several clients at once: messages/s from the first accept to the
//!      last push received, and the drain of the backlog left when the
//!      last accept was answered;
//!   3. latency: single accepts spaced out, from each accept's answer to its
//!      push's arrival (p50, p99);
//!   4. reference: the receiver's own ceiling, replaying the very pushes the
//!      server sent (bodies and headers) on one connection, as the worker
//!      sends, and on several.
//!
//! Options: `--reports N` (2000), `--reference N` (1000 reports without a
//! subscription), `--latency K` (200), `--spacing-ms MS` (100), `--clients
//! C` (4), `--receiver-delay-ms MS` (0: answer at once; e.g. 50 to play a
//! push service across the internet), `--binary PATH` (another build of
//! `shanshui` instead of building this one).

use crate::tools::ensure_nasm;
use crate::{Result, cargo, free_port, sh, step, target_dir};
use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;
use std::collections::HashMap;
use std::env;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const PASSWORD: &str = "bench-messages-巴南区-2026";
/// The demo's dispatcher: every case is in scope, and may accept it.
const STAFF: &str = "dispatcher";
const CATEGORY: &str = "noise_construction";

struct Options {
    reports: usize,
    reference: usize,
    latency: usize,
    spacing: Duration,
    clients: usize,
    receiver_delay: Duration,
    binary: Option<PathBuf>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options> {
        let value = |flag: &str| -> Result<Option<u64>> {
            match args.iter().position(|a| a == flag) {
                None => Ok(None),
                Some(i) => args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .map(Some)
                    .ok_or(format!("{flag} needs a number")),
            }
        };
        let count = |flag: &str, default: u64| -> Result<usize> {
            Ok(value(flag)?.unwrap_or(default) as usize)
        };
        let o = Options {
            reports: count("--reports", 2000)?,
            reference: count("--reference", 1000)?,
            latency: count("--latency", 200)?,
            spacing: Duration::from_millis(value("--spacing-ms")?.unwrap_or(100)),
            clients: count("--clients", 4)?.max(1),
            receiver_delay: Duration::from_millis(value("--receiver-delay-ms")?.unwrap_or(0)),
            binary: args
                .iter()
                .position(|a| a == "--binary")
                .and_then(|i| args.get(i + 1))
                .map(PathBuf::from),
        };
        if o.reports == 0 || o.reference == 0 || o.latency == 0 {
            return Err("--reports, --reference and --latency must be at least 1".to_owned());
        }
        Ok(o)
    }
}

pub fn run(args: &[String]) -> Result {
    let o = Options::parse(args)?;
    let built = match &o.binary {
        Some(path) => path.clone(),
        None => {
            ensure_nasm();
            step("building the server (release)");
            sh(cargo().args([
                "build",
                "--release",
                "--package",
                "server",
                "--bin",
                "shanshui",
            ]))?;
            target_dir().join("release/shanshui")
        }
    };
    let work = env::temp_dir().join(format!("shanshui-bench-messages-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let result = (|| -> Result {
        // A copy: another build may replace target/release/shanshui meanwhile.
        let bin = work.join("shanshui");
        fs::copy(&built, &bin).map_err(|e| format!("copying {}: {e}", built.display()))?;
        let data = work.join("data");
        step("demo staff and areas, no cases");
        sh(Command::new(&bin)
            .args(["demo", "--cases", "0", "--data-dir"])
            .arg(&data)
            .env("SHANSHUI_DEMO_PASSWORD", PASSWORD))?;
        let receiver = Receiver::start(o.receiver_delay)?;
        let port = free_port()?;
        let mut server = Command::new(&bin)
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(&data)
            // The receiver's loopback address, for push endpoints; by
            // variable, which a build without the flag ignores (builds
            // before 3d3919c took push endpoints from the webhooks' list).
            .env("SHANSHUI_PUSH_ALLOW", "127.0.0.1/32")
            .env("SHANSHUI_WEBHOOK_ALLOW", "127.0.0.1/32")
            // One client address files and subscribes everything.
            .env("SHANSHUI_SUBMIT_BURST", "1000000")
            .env("SHANSHUI_SUBMIT_EVERY_SECS", "1")
            .env("SHANSHUI_TRACK_BURST", "1000000")
            .env("SHANSHUI_TRACK_EVERY_SECS", "1")
            .env("RUST_LOG", "warn")
            .spawn()
            .map_err(|e| e.to_string())?;
        let result = measure(&o, port, &receiver);
        stop(&mut server);
        result
    })();
    let _ = fs::remove_dir_all(&work);
    result
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// One report as filed: its tracking code and secret.
struct Filed {
    code: String,
    secret: String,
}

fn measure(o: &Options, port: u16, receiver: &Receiver) -> Result {
    wait_ready(port)?;
    let cookie = sign_in(port)?;
    let vapid_key = {
        let r = Http::new(port).send("GET", "/api/v1/push/key", &[], b"")?;
        Json::parse_bytes(&r.body)
            .and_then(|j| {
                j.get("public_key")
                    .and_then(Json::as_str)
                    .map(str::to_owned)
            })
            .ok_or("no VAPID key")?
    };
    let answers = required_answers(port)?;
    // One browser key pair for every subscription: the server encrypts each
    // message afresh all the same (its own ephemeral key and salt), and the
    // daily cap counts per subscription, not per key.
    let browser = SecretKey::random(&mut OsRng);
    let mut auth = [0u8; 16];
    OsRng.fill_bytes(&mut auth);
    let p256dh = URL_SAFE_NO_PAD.encode(browser.public_key().to_encoded_point(false).as_bytes());
    let auth_text = URL_SAFE_NO_PAD.encode(auth);
    let c = o.clients;
    let mut spot = 0usize;
    let mut file = |n: usize, what: &str| -> Result<(Vec<Filed>, f64)> {
        step(&format!("filing {n} reports {what} ({c} clients)"));
        let first = spot;
        spot += n;
        let t = Instant::now();
        let filed = parallel(port, c, n, |http, i| file_report(http, &answers, first + i))?;
        Ok((filed, t.elapsed().as_secs_f64()))
    };
    let subscribe_all = |filed: &[Filed]| -> Result<f64> {
        let t = Instant::now();
        parallel(port, c, filed.len(), |http, i| {
            subscribe(http, &filed[i], receiver.port, &p256dh, &auth_text)
        })?;
        Ok(t.elapsed().as_secs_f64())
    };

    // 1. Reference: the accept action alone.
    let (plain, file_secs) = file(o.reference, "without a subscription")?;
    step(&format!("accepting them ({c} clients)"));
    let plain_accepts = accept_all(port, &cookie, &plain, c)?;
    let plain_rate = plain.len() as f64 / plain_accepts.secs();
    if receiver.count("/push/") > 0 {
        return Err("a report without a subscription was sent a push".to_owned());
    }

    // 2. Throughput.
    let (many, _) = file(o.reports, "with one push subscription each")?;
    let subscribe_secs = subscribe_all(&many)?;
    std::thread::sleep(Duration::from_secs(3)); // the worker idle, the queue empty
    step(&format!(
        "accepting them ({c} clients), waiting for every push"
    ));
    let accepts = accept_all(port, &cookie, &many, c)?;
    let backlog_at_end = o.reports - receiver.count("/push/");
    let timeout = Duration::from_secs(60) + Duration::from_millis(300) * o.reports as u32;
    let arrived = receiver.wait_for("/push/", o.reports, accepts.end, timeout);
    let pushes = receiver.arrivals("/push/");
    let push_times: Vec<Instant> = pushes.iter().map(|a| a.at).collect();
    let last_push = push_times.iter().max().copied().ok_or("no push arrived")?;
    let first_push = push_times.iter().min().copied().ok_or("no push arrived")?;
    let codes: std::collections::HashSet<&str> = pushes.iter().map(|a| a.name()).collect();
    let through_secs = (last_push - accepts.start).as_secs_f64();
    let drain_secs = (last_push - accepts.end).as_secs_f64();
    let span_secs = (last_push - first_push).as_secs_f64();
    let checked = check_sample(&pushes, &many, &browser, &auth, &vapid_key)?;
    let bursts = Bursts::of(&push_times, Duration::from_secs(1));

    // 3. Latency: one accept at a time.
    let (single, _) = file(
        o.latency,
        "with one push subscription each, for the latency",
    )?;
    subscribe_all(&single)?;
    std::thread::sleep(Duration::from_secs(3));
    step(&format!(
        "accepting them one at a time, one every {} ms",
        o.spacing.as_millis()
    ));
    let mut http = Http::new(port);
    // (sent, answered) of each accept.
    let mut times = Vec::with_capacity(single.len());
    let start = Instant::now();
    for (i, f) in single.iter().enumerate() {
        let slot = start + o.spacing * i as u32;
        if let Some(wait) = slot.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let sent = Instant::now();
        accept(&mut http, &cookie, &f.code)?;
        times.push((sent, Instant::now()));
    }
    let total = o.reports + o.latency;
    receiver.wait_for(
        "/push/",
        total,
        Instant::now(),
        Duration::from_secs(30) + o.spacing * o.latency as u32,
    );
    let arrival_of: HashMap<String, Instant> = receiver
        .arrivals("/push/")
        .into_iter()
        .map(|a| (a.name().to_owned(), a.at))
        .collect();
    // Milliseconds from `from` to the push, signed: a push may arrive
    // before the accept's answer has been read.
    let latencies = |from: &dyn Fn(&(Instant, Instant)) -> Instant| -> Vec<f64> {
        let mut ms: Vec<f64> = single
            .iter()
            .zip(&times)
            .filter_map(|(f, t)| {
                let pushed = *arrival_of.get(&f.code)?;
                let from = from(t);
                Some(if pushed >= from {
                    (pushed - from).as_secs_f64() * 1000.0
                } else {
                    -((from - pushed).as_secs_f64() * 1000.0)
                })
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        ms
    };
    let from_answer = latencies(&|t| t.1);
    let from_request = latencies(&|t| t.0);
    let accept_ms: Vec<f64> = {
        let mut ms: Vec<f64> = times
            .iter()
            .map(|(a, b)| (*b - *a).as_secs_f64() * 1000.0)
            .collect();
        ms.sort_by(f64::total_cmp);
        ms
    };
    let lost = single.len() - from_answer.len();

    // 4. Reference: the receiver's ceiling, replaying what the server sent.
    step("replaying the server's pushes straight to the receiver");
    let replay_one = replay(receiver, &pushes, 1)?;
    let replay_many = replay(receiver, &pushes, c)?;

    let n = o.reports as f64;
    let throughput = arrived as f64 / through_secs;
    let drain = backlog_at_end as f64 / drain_secs;
    let accept_rate = many.len() as f64 / accepts.secs();
    println!(
        "\n## messages to reporters: {} reports with one push subscription each ({}, SQLite, 127.0.0.1, {c} clients{})\n",
        o.reports,
        o.binary
            .as_ref()
            .map_or("release server".to_owned(), |b| format!(
                "server `{}`",
                b.display()
            )),
        if o.receiver_delay.is_zero() {
            String::new()
        } else {
            format!(
                ", receiver answering after {} ms",
                o.receiver_delay.as_millis()
            )
        }
    );
    println!("| measure | count | seconds | per second | ratio |");
    println!("|---|---|---|---|---|");
    println!(
        "| reference: accepts, reports without a subscription | {} | {:.2} | {plain_rate:.0} accepts | 1.00 |",
        plain.len(),
        plain_accepts.secs()
    );
    println!(
        "| reference: receiver ceiling, the same pushes replayed on 1 connection | {} | {:.2} | {:.0} messages | 1.00 |",
        replay_one.0,
        replay_one.1,
        replay_one.0 as f64 / replay_one.1
    );
    println!(
        "| reference: receiver ceiling, replayed on {c} connections | {} | {:.2} | {:.0} messages | {:.2} of 1 connection |",
        replay_many.0,
        replay_many.1,
        replay_many.0 as f64 / replay_many.1,
        (replay_many.0 as f64 / replay_many.1) / (replay_one.0 as f64 / replay_one.1)
    );
    println!(
        "| accepts, reports with a subscription | {} | {:.2} | {accept_rate:.0} accepts | {:.2} of the reference accepts |",
        many.len(),
        accepts.secs(),
        accept_rate / plain_rate
    );
    println!(
        "| **throughput**: first accept → last push received | {arrived} of {} | {through_secs:.2} | **{throughput:.1} messages** | {:.4} of the receiver (1 connection); {:.3} of the accepts |",
        o.reports,
        throughput / (replay_one.0 as f64 / replay_one.1),
        throughput / accept_rate
    );
    println!(
        "| drain: the backlog when the last accept was answered → last push | {backlog_at_end} | {drain_secs:.2} | {drain:.1} messages | {:.4} of the receiver (1 connection) |",
        drain / (replay_one.0 as f64 / replay_one.1)
    );
    println!(
        "| first push → last push | {arrived} | {span_secs:.2} | {:.1} messages | |",
        (arrived.saturating_sub(1)) as f64 / span_secs
    );
    println!(
        "| within a pass (runs of arrivals less than 1 s apart) | {} in {} passes | {:.2} | {:.1} messages | {:.4} of the receiver (1 connection) |",
        bursts.messages,
        bursts.count,
        bursts.busy_secs,
        bursts.rate(),
        bursts.rate() / (replay_one.0 as f64 / replay_one.1)
    );
    println!(
        "\n| latency, {} single accepts one every {} ms | samples | p50 | p99 | min | max |",
        o.latency,
        o.spacing.as_millis()
    );
    println!("|---|---|---|---|---|---|");
    let lost = if lost > 0 {
        format!(" ({lost} never arrived)")
    } else {
        String::new()
    };
    for (name, ms, lost) in [
        ("**accept answered → push received**", &from_answer, &lost),
        ("accept sent → push received", &from_request, &lost),
        (
            "the accept itself (sent → answered)",
            &accept_ms,
            &String::new(),
        ),
    ] {
        println!(
            "| {name} | {}{lost} | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms |",
            ms.len(),
            percentile(ms, 0.50),
            percentile(ms, 0.99),
            ms.first().copied().unwrap_or(0.0),
            ms.last().copied().unwrap_or(0.0),
        );
    }
    println!(
        "\nfiling: {} reports without a subscription in {file_secs:.1} s ({:.0}/s); subscribing {} in {subscribe_secs:.1} s ({:.0}/s)",
        o.reference,
        o.reference as f64 / file_secs,
        o.reports,
        n / subscribe_secs
    );
    println!(
        "passes: {} bursts of arrivals, median {} messages, median gap between bursts {:.0} ms; \
         {} distinct reports pushed, {} pushes in all; {checked} decrypted (tag = tracking code, VAPID k = the server's key)",
        bursts.count,
        bursts.median_size,
        bursts.median_gap_ms,
        codes.len(),
        pushes.len()
    );
    if arrived < o.reports {
        return Err(format!(
            "only {arrived} of {} pushes arrived within {} s",
            o.reports,
            timeout.as_secs()
        ));
    }
    Ok(())
}

/// Sorted `v`'s value at `q` (nearest rank).
fn percentile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Arrivals grouped into the worker's passes: runs of arrivals each less
/// than `gap` after the one before.
struct Bursts {
    count: usize,
    messages: usize,
    /// Sum over bursts of first → last arrival.
    busy_secs: f64,
    median_size: usize,
    median_gap_ms: f64,
}

impl Bursts {
    fn of(times: &[Instant], gap: Duration) -> Bursts {
        let mut t = times.to_vec();
        t.sort();
        let mut sizes = Vec::new();
        let mut gaps = Vec::new();
        let mut busy = 0.0;
        let mut i = 0;
        while i < t.len() {
            let mut j = i;
            while j + 1 < t.len() && t[j + 1] - t[j] < gap {
                j += 1;
            }
            sizes.push(j - i + 1);
            busy += (t[j] - t[i]).as_secs_f64();
            if j + 1 < t.len() {
                gaps.push((t[j + 1] - t[j]).as_secs_f64() * 1000.0);
            }
            i = j + 1;
        }
        let mut sorted = sizes.clone();
        sorted.sort();
        gaps.sort_by(f64::total_cmp);
        Bursts {
            count: sizes.len(),
            // The first message of each burst only marks its start.
            messages: sizes.iter().map(|s| s - 1).sum(),
            busy_secs: busy,
            median_size: sorted.get(sorted.len() / 2).copied().unwrap_or(0),
            median_gap_ms: gaps.get(gaps.len() / 2).copied().unwrap_or(0.0),
        }
    }

    fn rate(&self) -> f64 {
        if self.busy_secs > 0.0 {
            self.messages as f64 / self.busy_secs
        } else {
            0.0
        }
    }
}

// ------------------------------------------------------------ the server

fn wait_ready(port: u16) -> Result {
    for _ in 0..300 {
        if let Ok(r) = Http::new(port).send("GET", "/healthz", &[], b"")
            && r.status == 200
        {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("the server does not answer on port {port}"))
}

/// Signs the demo dispatcher in; answers the `Cookie` header value.
fn sign_in(port: u16) -> Result<String> {
    let body = Json::Obj(vec![
        ("username".to_owned(), Json::Str(STAFF.to_owned())),
        ("password".to_owned(), Json::Str(PASSWORD.to_owned())),
    ])
    .to_text();
    let r = Http::new(port).send(
        "POST",
        "/api/v1/session",
        &[("content-type", "application/json")],
        body.as_bytes(),
    )?;
    if r.status != 200 {
        return Err(format!("sign-in of {STAFF}: HTTP {}", r.status));
    }
    let cookies: Vec<&str> = r
        .headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .filter_map(|(_, v)| v.split(';').next())
        .collect();
    if cookies.is_empty() {
        return Err(format!("sign-in of {STAFF}: no cookie"));
    }
    Ok(cookies.join("; "))
}

/// A valid answer to each required question of [`CATEGORY`], as the
/// form's `answers` field (what tests/src/lib.rs `required_answers` does).
fn required_answers(port: u16) -> Result<String> {
    let r = Http::new(port).send("GET", "/api/v1/categories", &[], b"")?;
    let catalogue = Json::parse_bytes(&r.body).ok_or("the categories are not JSON")?;
    let category = catalogue
        .items()
        .iter()
        .find(|c| c.get("code").and_then(Json::as_str) == Some(CATEGORY))
        .ok_or(format!("no category {CATEGORY}"))?;
    let mut answers = Vec::new();
    for q in category.get("questions").map(Json::items).unwrap_or(&[]) {
        if !matches!(q.get("required"), Some(Json::Bool(true))) {
            continue;
        }
        let first_key = || {
            q.get("values")
                .and_then(|v| v.items().first())
                .and_then(|v| v.get("key"))
                .cloned()
                .unwrap_or(Json::Null)
        };
        let value = match q.get("datatype").and_then(Json::as_str) {
            Some("singlevaluelist") => first_key(),
            Some("multivaluelist") => Json::Arr(vec![first_key()]),
            Some("number") => Json::Num("1".to_owned()),
            Some("datetime") => Json::Str(now_rfc3339()),
            _ => Json::Str("工地".to_owned()),
        };
        let code = q.get("code").and_then(Json::as_str).unwrap_or_default();
        answers.push((code.to_owned(), value));
    }
    Ok(Json::Obj(answers).to_text())
}

/// Files the `spot`-th report: each on its own point of a grid about 550 m
/// apart over the district, so that no case has an earlier one within the
/// 200 m the case page lists (which would make later accepts dearer).
fn file_report(http: &mut Http, answers: &str, spot: usize) -> Result<Filed> {
    let spot = spot % 12_000;
    let lat = 29.10 + 0.005 * (spot / 100) as f64;
    let lon = 106.45 + 0.006 * (spot % 100) as f64;
    let boundary = "shanshui-bench-messages-7d3f1a";
    let mut body = String::new();
    for (name, value) in [
        ("category", CATEGORY.to_owned()),
        (
            "description",
            format!("Pile driving after eleven at night, site {spot}."),
        ),
        ("lat", format!("{lat:.6}")),
        ("lon", format!("{lon:.6}")),
        ("answers", answers.to_owned()),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let r = http.send(
        "POST",
        "/api/v1/reports",
        &[("content-type", &content_type)],
        body.as_bytes(),
    )?;
    let json = Json::parse_bytes(&r.body);
    let field = |k: &str| {
        json.as_ref()
            .and_then(|j| j.get(k))
            .and_then(Json::as_str)
            .map(str::to_owned)
    };
    match (r.status, field("tracking_code"), field("secret")) {
        (201, Some(code), Some(secret)) => Ok(Filed { code, secret }),
        (status, ..) => Err(format!(
            "filing a report: HTTP {status} {}",
            String::from_utf8_lossy(&r.body)
        )),
    }
}

fn subscribe(http: &mut Http, f: &Filed, receiver: u16, p256dh: &str, auth: &str) -> Result {
    let body = Json::Obj(vec![
        (
            "endpoint".to_owned(),
            Json::Str(format!("http://127.0.0.1:{receiver}/push/{}", f.code)),
        ),
        (
            "keys".to_owned(),
            Json::Obj(vec![
                ("p256dh".to_owned(), Json::Str(p256dh.to_owned())),
                ("auth".to_owned(), Json::Str(auth.to_owned())),
            ]),
        ),
        ("lang".to_owned(), Json::Str("en".to_owned())),
    ])
    .to_text();
    let r = http.send(
        "POST",
        &format!("/api/v1/track/{}/push", f.code),
        &[
            ("content-type", "application/json"),
            ("x-report-secret", &f.secret),
        ],
        body.as_bytes(),
    )?;
    if r.status != 204 {
        return Err(format!(
            "subscribing {}: HTTP {} {}",
            f.code,
            r.status,
            String::from_utf8_lossy(&r.body)
        ));
    }
    Ok(())
}

fn accept(http: &mut Http, cookie: &str, code: &str) -> Result {
    let r = http.send(
        "POST",
        &format!("/api/v1/cases/{code}/actions"),
        &[("content-type", "application/json"), ("cookie", cookie)],
        br#"{"action":"accept"}"#,
    )?;
    if r.status != 200 {
        return Err(format!(
            "accepting {code}: HTTP {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        ));
    }
    Ok(())
}

struct Span {
    start: Instant,
    end: Instant,
}

impl Span {
    fn secs(&self) -> f64 {
        (self.end - self.start).as_secs_f64()
    }
}

fn accept_all(port: u16, cookie: &str, filed: &[Filed], clients: usize) -> Result<Span> {
    let start = Instant::now();
    parallel(port, clients, filed.len(), |http, i| {
        accept(http, cookie, &filed[i].code)
    })?;
    Ok(Span {
        start,
        end: Instant::now(),
    })
}

/// `n` jobs over `clients` threads, each with its own connection; the
/// results in job order. Stops at the first error.
fn parallel<T: Send>(
    port: u16,
    clients: usize,
    n: usize,
    job: impl Fn(&mut Http, usize) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..n).map(|_| None).collect());
    let error: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..clients.min(n) {
            s.spawn(|| {
                let mut http = Http::new(port);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || failed.load(Ordering::Relaxed) {
                        return;
                    }
                    match job(&mut http, i) {
                        Ok(v) => lock(&results)[i] = Some(v),
                        Err(e) => {
                            failed.store(true, Ordering::Relaxed);
                            lock(&error).get_or_insert(e);
                            return;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = lock(&error).take() {
        return Err(e);
    }
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok(results.into_iter().flatten().collect())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Decrypts up to 50 of the pushes, spread over them, as the browser would,
/// and checks each is the `Accepted` message of the report its endpoint
/// names, signed with the server's VAPID key. Answers how many were checked.
fn check_sample(
    pushes: &[Arrival],
    filed: &[Filed],
    browser: &SecretKey,
    auth: &[u8; 16],
    vapid_key: &str,
) -> Result<usize> {
    let known: std::collections::HashSet<&str> = filed.iter().map(|f| f.code.as_str()).collect();
    let step = (pushes.len() / 50).max(1);
    let mut checked = 0;
    for a in pushes.iter().step_by(step) {
        let name = a.name();
        if !known.contains(name) {
            return Err(format!("a push for an unknown report {name}"));
        }
        let header = |k: &str| {
            a.headers
                .iter()
                .find(|(h, _)| h == k)
                .map(|(_, v)| v.as_str())
        };
        if header("content-encoding") != Some("aes128gcm") {
            return Err(format!("push to {name}: not aes128gcm"));
        }
        if !header("authorization")
            .is_some_and(|v| v.starts_with("vapid t=") && v.ends_with(&format!("k={vapid_key}")))
        {
            return Err(format!(
                "push to {name}: no VAPID authorization with the server's key"
            ));
        }
        let plain =
            decrypt(browser, auth, &a.body).ok_or(format!("push to {name}: does not decrypt"))?;
        let payload = Json::parse_bytes(&plain).ok_or(format!("push to {name}: not JSON"))?;
        let tag = payload.get("tag").and_then(Json::as_str);
        if tag != Some(name) {
            return Err(format!("push to {name}: tag {tag:?}"));
        }
        checked += 1;
    }
    Ok(checked)
}

/// RFC 8291 §3.3–3.4 and RFC 8188, the browser's side: one record, the
/// sender's key as the keyid.
fn decrypt(browser: &SecretKey, auth: &[u8; 16], body: &[u8]) -> Option<Vec<u8>> {
    const POINT: usize = 65;
    if body.len() <= 16 + 4 + 1 + POINT + 16 || usize::from(body[20]) != POINT {
        return None;
    }
    let salt = &body[..16];
    let sender = PublicKey::from_sec1_bytes(&body[21..21 + POINT]).ok()?;
    let ciphertext = &body[21 + POINT..];
    let shared = p256::ecdh::diffie_hellman(browser.to_nonzero_scalar(), sender.as_affine());
    let mut info = b"WebPush: info\0".to_vec();
    info.extend_from_slice(browser.public_key().to_encoded_point(false).as_bytes());
    info.extend_from_slice(&body[21..21 + POINT]);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes())
        .expand(&info, &mut ikm)
        .ok()?;
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .ok()?;
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce).ok()?;
    let mut record = Aes128Gcm::new_from_slice(&cek)
        .ok()?
        .decrypt(Nonce::from_slice(&nonce), ciphertext)
        .ok()?;
    while record.last() == Some(&0) {
        record.pop();
    }
    (record.pop() == Some(2)).then_some(record)
}

/// Sends the pushes the server sent, body and headers, straight to the
/// receiver (`/replay/<code>`) on `connections` connections, each waiting
/// for its answer before the next, as the worker does, a hundred at a time
/// until a second has passed. Answers (count, seconds).
fn replay(receiver: &Receiver, pushes: &[Arrival], connections: usize) -> Result<(usize, f64)> {
    let wanted = [
        "content-encoding",
        "content-type",
        "ttl",
        "urgency",
        "topic",
        "authorization",
    ];
    const CHUNK: usize = 100;
    let t = Instant::now();
    let mut sent = 0;
    while sent == 0 || t.elapsed() < Duration::from_secs(1) {
        parallel(receiver.port, connections, CHUNK, |http, i| {
            let a = &pushes[(sent + i) % pushes.len()];
            let headers: Vec<(&str, &str)> = a
                .headers
                .iter()
                .filter(|(k, _)| wanted.contains(&k.as_str()))
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let r = http.send("POST", &format!("/replay/{}", a.name()), &headers, &a.body)?;
            if r.status != 201 {
                return Err(format!("the receiver answered {}", r.status));
            }
            Ok(())
        })?;
        sent += CHUNK;
    }
    Ok((sent, t.elapsed().as_secs_f64()))
}

/// Now as RFC 3339 (UTC), for a required date question.
fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

// ------------------------------------------------------------ HTTP/1.1

struct Response {
    status: u16,
    /// Names in lower case.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// One keep-alive connection to 127.0.0.1:`port`, made again when the
/// other end has closed it.
struct Http {
    port: u16,
    conn: Option<BufReader<TcpStream>>,
}

impl Http {
    fn new(port: u16) -> Http {
        Http { port, conn: None }
    }

    fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response> {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\ncontent-length: {}\r\n",
            self.port,
            body.len()
        );
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        // A kept connection the other end closed fails before any answer:
        // then once more on a new one.
        for fresh in [false, true] {
            let reused = self.conn.is_some() && !fresh;
            if self.conn.is_none() || fresh {
                let stream = TcpStream::connect(("127.0.0.1", self.port))
                    .map_err(|e| format!("connecting to 127.0.0.1:{}: {e}", self.port))?;
                let _ = stream.set_nodelay(true);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(120)));
                self.conn = Some(BufReader::new(stream));
            }
            let Some(conn) = self.conn.as_mut() else {
                continue;
            };
            let sent = conn.get_mut().write_all(&bytes);
            let answer = sent.and_then(|_| read_message(conn));
            match answer {
                Ok(Some((head, headers, body))) => {
                    let status = head
                        .split_whitespace()
                        .nth(1)
                        .and_then(|s| s.parse().ok())
                        .ok_or(format!("not an HTTP answer: {head}"))?;
                    let close = headers
                        .iter()
                        .any(|(k, v)| k == "connection" && v.eq_ignore_ascii_case("close"));
                    if close {
                        self.conn = None;
                    }
                    return Ok(Response {
                        status,
                        headers,
                        body,
                    });
                }
                Ok(None) | Err(_) if reused => {
                    self.conn = None;
                }
                Ok(None) => {
                    self.conn = None;
                    return Err(format!("{method} {path}: the connection closed"));
                }
                Err(e) => {
                    self.conn = None;
                    return Err(format!("{method} {path}: {e}"));
                }
            }
        }
        Err(format!("{method} {path}: no answer"))
    }
}

type Message = (String, Vec<(String, String)>, Vec<u8>);

/// Reads one HTTP/1.1 message (request or answer): its first line, its
/// headers (names in lower case) and its body (by `content-length` or
/// chunked). `None` at a clean end of the stream.
fn read_message(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<Message>> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    let mut line = Vec::new();
    if r.read_until(b'\n', &mut line)? == 0 {
        return Ok(None);
    }
    let first = String::from_utf8_lossy(&line).trim_end().to_owned();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Err(bad("the headers end early"));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        if text.is_empty() {
            break;
        }
        if let Some((k, v)) = text.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let header = |k: &str| headers.iter().find(|(h, _)| h == k).map(|(_, v)| v);
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            line.clear();
            r.read_until(b'\n', &mut line)?;
            let size = String::from_utf8_lossy(&line);
            let size = size.trim().split(';').next().unwrap_or_default();
            let size = usize::from_str_radix(size, 16).map_err(|_| bad("a bad chunk size"))?;
            if size == 0 {
                // Trailers, then the empty line.
                loop {
                    line.clear();
                    if r.read_until(b'\n', &mut line)? == 0 || line.trim_ascii().is_empty() {
                        break;
                    }
                }
                break;
            }
            let at = body.len();
            body.resize(at + size, 0);
            r.read_exact(&mut body[at..])?;
            line.clear();
            r.read_until(b'\n', &mut line)?;
        }
    } else if let Some(len) = header("content-length") {
        let len: usize = len.parse().map_err(|_| bad("a bad content-length"))?;
        body.resize(len, 0);
        r.read_exact(&mut body)?;
    }
    Ok(Some((first, headers, body)))
}

// ------------------------------------------------------------ the push service

/// A push as it reached the receiver.
struct Arrival {
    at: Instant,
    /// `/push/<tracking code>` or `/replay/<tracking code>`.
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Arrival {
    /// The tracking code its endpoint names.
    fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or_default()
    }
}

/// The local push service: a thread per connection, every request
/// timestamped and kept, answered `201 Created` (after `delay`).
struct Receiver {
    port: u16,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
}

impl Receiver {
    fn start(delay: Duration) -> Result<Receiver> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let arrivals: Arc<Mutex<Vec<Arrival>>> = Arc::default();
        let kept = arrivals.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = kept.clone();
                std::thread::spawn(move || serve_pushes(stream, &kept, delay));
            }
        });
        Ok(Receiver { port, arrivals })
    }

    fn count(&self, prefix: &str) -> usize {
        lock(&self.arrivals)
            .iter()
            .filter(|a| a.path.starts_with(prefix))
            .count()
    }

    /// Copies of the arrivals whose path starts with `prefix`.
    fn arrivals(&self, prefix: &str) -> Vec<Arrival> {
        lock(&self.arrivals)
            .iter()
            .filter(|a| a.path.starts_with(prefix))
            .map(|a| Arrival {
                at: a.at,
                path: a.path.clone(),
                headers: a.headers.clone(),
                body: a.body.clone(),
            })
            .collect()
    }

    /// Waits until `n` arrivals under `prefix`, or `timeout` after `from`.
    /// Answers how many there are.
    fn wait_for(&self, prefix: &str, n: usize, from: Instant, timeout: Duration) -> usize {
        loop {
            let have = self.count(prefix);
            if have >= n || from.elapsed() > timeout {
                return have;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn serve_pushes(stream: TcpStream, kept: &Mutex<Vec<Arrival>>, delay: Duration) {
    let _ = stream.set_nodelay(true);
    let mut r = BufReader::new(stream);
    while let Ok(Some((first, headers, body))) = read_message(&mut r) {
        let at = Instant::now();
        let path = first.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let n = {
            let mut all = lock(kept);
            all.push(Arrival {
                at,
                path,
                headers,
                body,
            });
            all.len()
        };
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let answer =
            format!("HTTP/1.1 201 Created\r\nlocation: /m/{n}\r\ncontent-length: 0\r\n\r\n");
        if r.get_mut().write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

// ------------------------------------------------------------ JSON

/// Just enough JSON for the catalogue, the receipts and the payloads.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    /// As written.
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn parse_bytes(bytes: &[u8]) -> Option<Json> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        (p.i == p.s.len()).then_some(v)
    }

    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    fn items(&self) -> &[Json] {
        match self {
            Json::Arr(items) => items,
            _ => &[],
        }
    }

    fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => out.push_str(n),
            Json::Str(s) => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
            Json::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    Json::Str(k.clone()).write(out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        let ok = self.s[self.i..].starts_with(word.as_bytes());
        if ok {
            self.i += word.len();
        }
        ok
    }

    fn value(&mut self) -> Option<Json> {
        self.ws();
        match *self.s.get(self.i)? {
            b'n' => self.eat("null").then_some(Json::Null),
            b't' => self.eat("true").then_some(Json::Bool(true)),
            b'f' => self.eat("false").then_some(Json::Bool(false)),
            b'"' => self.string().map(Json::Str),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat("]") {
                    return Some(Json::Arr(items));
                }
                loop {
                    items.push(self.value()?);
                    self.ws();
                    if self.eat("]") {
                        return Some(Json::Arr(items));
                    }
                    if !self.eat(",") {
                        return None;
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.eat("}") {
                    return Some(Json::Obj(fields));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.ws();
                    if !self.eat(":") {
                        return None;
                    }
                    fields.push((k, self.value()?));
                    self.ws();
                    if self.eat("}") {
                        return Some(Json::Obj(fields));
                    }
                    if !self.eat(",") {
                        return None;
                    }
                }
            }
            _ => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|b| b.is_ascii_digit() || b"+-.eE".contains(b))
                {
                    self.i += 1;
                }
                (self.i > start)
                    .then(|| Json::Num(String::from_utf8_lossy(&self.s[start..self.i]).into()))
            }
        }
    }

    fn string(&mut self) -> Option<String> {
        if !self.eat("\"") {
            return None;
        }
        let mut out: Vec<u8> = Vec::new();
        loop {
            let b = *self.s.get(self.i)?;
            self.i += 1;
            match b {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xd800..0xdc00).contains(&hi) && self.eat("\\u") {
                                let lo = self.hex4()?;
                                0x10000 + ((hi - 0xd800) << 10) + (lo.checked_sub(0xdc00)?)
                            } else {
                                hi
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                b => out.push(b),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
        self.i += 4;
        u32::from_str_radix(digits, 16).ok()
    }
}
