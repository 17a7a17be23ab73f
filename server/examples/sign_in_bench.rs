//! The memory a flood of wrong-password sign-ins costs the server.
//!
//!   sign_in_bench SHANSHUI_BINARY [--attempts N] [--rounds R]
//!
//! Starts `SHANSHUI_BINARY serve` on a free loopback port with a fresh data
//! directory and one admin account, measures its idle RSS, then sends R
//! rounds of N wrong-password sign-ins at once, each from its own loopback
//! address (127.0.0.2, 127.0.0.3, …: the client socket is bound to it, so
//! per-address limits see N clients) and at its own username (unknown ones
//! cost the server a dummy hash all the same, and no per-account limit
//! stops them). Meanwhile it samples the server's VmRSS every 5 ms, and
//! once per round the account's owner, from a browser the server knows
//! (its device cookie), signs in. It reports the idle RSS, the peak (VmHWM)
//! and the RSS afterwards, and the answers. `cargo xtask bench-sign-in`
//! builds the release binary and runs this. Only loopback addresses are used;
//! the server is stopped by its process id when done.

use anyhow::{Context, bail};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const PASSWORD: &str = "基准测试的管理员口令2026";
const GOAL_MB: f64 = 512.0;

/// A `VmRSS`/`VmHWM` line of /proc/PID/status, in MB.
fn status_mb(pid: u32, field: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim_start_matches(':')
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .with_context(|| format!("no {field} in /proc/{pid}/status"))?;
    Ok(kb / 1024.0)
}

struct Server {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Ours, by its own id.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(binary: &str) -> anyhow::Result<Server> {
    let data = tempfile::tempdir()?;
    let dir = data.path().to_string_lossy().into_owned();
    let created = Command::new(binary)
        .args([
            "user",
            "create",
            "--username",
            "bench.admin",
            "--role",
            "admin",
            "--data-dir",
            &dir,
        ])
        .env("SHANSHUI_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .output()?;
    if !created.status.success() {
        bail!(
            "user create failed: {}",
            String::from_utf8_lossy(&created.stderr)
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(binary)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            &dir,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        // Every 503 is logged as a failed request: thousands of lines.
        .stderr(Stdio::null())
        .spawn()?;
    Ok(Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        _data: data,
    })
}

fn client_from(ip: Ipv4Addr) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .local_address(IpAddr::V4(ip))
        .cookie_store(true)
        .timeout(Duration::from_secs(120))
        .build()?)
}

async fn sign_in(client: &reqwest::Client, base: &str, username: &str, password: &str) -> u16 {
    let body = serde_json::json!({ "username": username, "password": password });
    match client
        .post(format!("{base}/api/v1/session"))
        .json(&body)
        .send()
        .await
    {
        Ok(res) => res.status().as_u16(),
        Err(_) => 0,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let binary = args
        .first()
        .context("usage: sign_in_bench SHANSHUI_BINARY [--attempts N] [--rounds R]")?
        .clone();
    let value = |flag: &str, default: usize| -> usize {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let attempts = value("--attempts", 200).clamp(1, 250);
    let rounds = value("--rounds", 3).clamp(1, 10);

    let server = start(&binary)?;
    let pid = server.child.id();
    let base = server.base.clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{base}/healthz"))
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
        != 200
    {
        if Instant::now() > deadline {
            bail!("the server did not come up");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The owner signs in once from 127.0.0.1: the browser is now known.
    let owner = client_from(Ipv4Addr::LOCALHOST)?;
    let first = sign_in(&owner, &base, "bench.admin", PASSWORD).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = status_mb(pid, "VmRSS")?;
    let idle_hwm = status_mb(pid, "VmHWM")?;
    println!("server pid {pid}; owner's first sign-in: {first}");
    println!("idle: VmRSS {idle:.1} MB, VmHWM {idle_hwm:.1} MB");

    // Sample the RSS until told to stop.
    let sampling = Arc::new(AtomicBool::new(true));
    let peak_sampled = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (sampling, peak) = (sampling.clone(), peak_sampled.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                if let Ok(mb) = status_mb(pid, "VmRSS") {
                    peak.fetch_max((mb * 10.0) as u64, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    // 127.0.0.2 … 127.0.0.(N+1): N is at most 250.
    let clients: Vec<reqwest::Client> = (0..attempts)
        .map(|i| client_from(Ipv4Addr::new(127, 0, 0, (2 + i) as u8)))
        .collect::<Result<_, _>>()?;
    for round in 1..=rounds {
        let started = Instant::now();
        let gate = Arc::new(tokio::sync::Barrier::new(attempts + 1));
        let mut tasks = Vec::new();
        for (i, client) in clients.iter().enumerate() {
            let (client, base, gate) = (client.clone(), base.clone(), gate.clone());
            tasks.push(tokio::spawn(async move {
                gate.wait().await;
                sign_in(
                    &client,
                    &base,
                    &format!("guess.{i}"),
                    "wrong password, wrong again",
                )
                .await
            }));
        }
        gate.wait().await;
        // The owner, from the known browser, in the middle of the flood.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let owner_started = Instant::now();
        let owner_status = sign_in(&owner, &base, "bench.admin", PASSWORD).await;
        let owner_ms = owner_started.elapsed().as_millis();
        let mut statuses = BTreeMap::<u16, usize>::new();
        for t in tasks {
            *statuses.entry(t.await.unwrap_or(0)).or_default() += 1;
        }
        println!(
            "round {round}: {attempts} attempts in {:.2} s, answers {statuses:?}; owner's sign-in during it: {owner_status} in {owner_ms} ms; VmRSS now {:.1} MB",
            started.elapsed().as_secs_f64(),
            status_mb(pid, "VmRSS")?
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    let after = status_mb(pid, "VmRSS")?;
    let hwm = status_mb(pid, "VmHWM")?;
    let sampled = peak_sampled.load(Ordering::Relaxed) as f64 / 10.0;
    println!(
        "peak: VmHWM {hwm:.1} MB (sampled VmRSS peak {sampled:.1} MB); after: VmRSS {after:.1} MB"
    );
    println!(
        "growth over idle: peak +{:.1} MB ({:.2}x idle), after +{:.1} MB; goal: peak under {GOAL_MB} MB: {}",
        hwm - idle,
        hwm / idle,
        after - idle,
        if hwm < GOAL_MB { "met" } else { "MISSED" }
    );
    drop(server);
    Ok(())
}
