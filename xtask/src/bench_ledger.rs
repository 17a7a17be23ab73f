//! `cargo xtask bench-ledger`: the staff ledger (台账) and repeat sites
//! (重复投诉) at 1,000,000 cases. A SQLite database filled by `case_bench
//! --fill-only`, the release server on it, staff accounts made with
//! `shanshui user create`, and from this process on 127.0.0.1 with curl:
//!   - the whole ledger downloaded, as a dispatcher (every case) and as a
//!     handler (one department's), while the server's resident memory is
//!     sampled every 20 ms — against its idle memory just before;
//!   - `GET /api/v1/cases/hotspots`, and case pages (which carry
//!     `earlier_here`), against the queue's first page and axum's hello
//!     world in the same run.

use crate::{Result, free_port, output, sh, site_root, step};
use std::env;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const PASSWORD: &str = "bench-ledger-长江边的巴南区-2026";

pub fn run(cases: String) -> Result {
    let release = crate::bench::build_release(&["case_bench", "hello"])?;
    let data = env::temp_dir().join(format!("shanshui-bench-ledger-{}", std::process::id()));
    let _ = fs::remove_dir_all(&data);
    step(&format!("filling a SQLite database with {cases} cases"));
    let t = Instant::now();
    sh(Command::new(release.join("examples/case_bench"))
        .arg("sqlite")
        .arg(&data)
        .args(["--fill-only", &cases]))?;
    eprintln!("filled in {:.0} s", t.elapsed().as_secs_f64());
    let url = format!("sqlite://{}?mode=rwc", data.join("cases.db").display());
    let bin = release.join("shanshui");
    for (username, role, department) in [
        ("bench.dispatcher", "dispatcher", None),
        ("bench.handler", "handler", Some("housing_construction")),
    ] {
        let mut c = Command::new(&bin);
        c.args(["--database-url", &url, "--data-dir"])
            .arg(&data)
            .args(["user", "create", "--username", username, "--role", role])
            .env("SHANSHUI_PASSWORD", PASSWORD);
        if let Some(d) = department {
            c.args(["--department", d]);
        }
        sh(&mut c)?;
    }
    let (port, hello_port) = (free_port()?, free_port()?);
    let mut server = Command::new(&bin)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &url,
            "--data-dir",
        ])
        .arg(&data)
        .env("SHANSHUI_SITE_ROOT", site_root())
        .env("RUST_LOG", "warn")
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut hello = Command::new(release.join("examples/hello"))
        .arg(format!("127.0.0.1:{hello_port}"))
        .spawn()
        .map_err(|e| e.to_string())?;
    let result = measure(&cases, &data, port, hello_port, server.id());
    stop(&mut server);
    stop(&mut hello);
    let _ = fs::remove_dir_all(&data);
    result
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn measure(cases: &str, data: &Path, port: u16, hello_port: u16, pid: u32) -> Result {
    wait_ready(port)?;
    wait_ready(hello_port)?;
    let dispatcher = sign_in(port, "bench.dispatcher")?;
    let handler = sign_in(port, "bench.handler")?;
    // Warm: the lookups, the first queue page, a case page.
    get_ms(port, &dispatcher, "/api/v1/cases")?;
    std::thread::sleep(Duration::from_secs(1));
    let idle = kb(pid, "VmRSS");
    let idle_hwm = kb(pid, "VmHWM");
    println!(
        "\n## the staff ledger with {cases} cases (release server, SQLite, curl on 127.0.0.1)"
    );
    println!(
        "server RSS after start, two sign-ins and a queue page: {idle} kB (VmHWM {idle_hwm} kB)\n"
    );
    println!("| export | rows | bytes | seconds | rows/s | peak RSS during it | VmHWM after |");
    println!("|---|---|---|---|---|---|---|");
    let file = data.join("ledger.csv");
    for (who, cookie) in [("dispatcher", &dispatcher), ("handler", &handler)] {
        let d = download(port, cookie, "/api/v1/cases/ledger.csv", &file, pid)?;
        println!(
            "| {who}: every case in scope | {} | {} | {:.1} | {:.0} | {} kB ({:+} kB on idle) | {} kB |",
            d.rows,
            d.bytes,
            d.secs,
            d.rows as f64 / d.secs,
            d.peak_kb,
            d.peak_kb as i64 - idle as i64,
            kb(pid, "VmHWM")
        );
        if who == "dispatcher" {
            // Case numbers for the case pages below, spread over the file.
            let codes = codes(&file, 50)?;
            fs::write(data.join("codes.txt"), codes.join("\n")).map_err(|e| e.to_string())?;
        }
    }
    let codes: Vec<String> = fs::read_to_string(data.join("codes.txt"))
        .map_err(|e| e.to_string())?
        .lines()
        .map(str::to_owned)
        .collect();

    println!("\n## repeat sites with {cases} cases: one request at a time (curl time_total)\n");
    println!("| request | samples | p50 ms | max ms | p50 / hello world | p50 / queue page |");
    println!("|---|---|---|---|---|---|");
    let hello: Vec<f64> = (0..50)
        .map(|_| get_ms(hello_port, "", "/"))
        .collect::<Result<_>>()?;
    let queue: Vec<f64> = (0..50)
        .map(|_| get_ms(port, &dispatcher, "/api/v1/cases"))
        .collect::<Result<_>>()?;
    let (hello_p50, queue_p50) = (p50(&hello), p50(&queue));
    let row = |name: &str, ms: &[f64]| {
        println!(
            "| {name} | {} | {:.2} | {:.2} | {:.1} | {:.2} |",
            ms.len(),
            p50(ms),
            ms.iter().copied().fold(0.0, f64::max),
            p50(ms) / hello_p50,
            p50(ms) / queue_p50
        );
    };
    row("axum hello world `/`", &hello);
    row("`/api/v1/cases` (queue, first page), dispatcher", &queue);
    let pages: Vec<f64> = codes
        .iter()
        .map(|c| get_ms(port, &dispatcher, &format!("/api/v1/cases/{c}")))
        .collect::<Result<_>>()?;
    row(
        "`/api/v1/cases/{code}` (with `earlier_here`), 50 cases",
        &pages,
    );
    let before = kb(pid, "VmHWM");
    for (who, cookie) in [("dispatcher", &dispatcher), ("handler", &handler)] {
        let ms: Vec<f64> = (0..5)
            .map(|_| get_ms(port, cookie, "/api/v1/cases/hotspots"))
            .collect::<Result<_>>()?;
        row(&format!("`/api/v1/cases/hotspots`, {who}"), &ms);
    }
    let (_, body) = get_body(port, &dispatcher, "/api/v1/cases/hotspots")?;
    let items = body.matches("\"centre\"").count();
    println!(
        "\nhotspots answer: {} bytes, {items} hotspots listed; server VmHWM {before} kB before the hotspot requests, {} kB after",
        body.len(),
        kb(pid, "VmHWM")
    );
    Ok(())
}

fn wait_ready(port: u16) -> Result {
    for _ in 0..300 {
        let ok = output(Command::new("curl").args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://127.0.0.1:{port}/healthz"),
        ]));
        // hello world has no /healthz: any answer means it listens.
        if ok.is_some_and(|c| c != "000") {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("nothing answers on port {port}"))
}

/// Signs in; answers the `Cookie` header value for later requests.
fn sign_in(port: u16, username: &str) -> Result<String> {
    let body = format!(r#"{{"username":"{username}","password":"{PASSWORD}"}}"#);
    let headers = output(Command::new("curl").args([
        "-s",
        "-f",
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-H",
        "content-type: application/json",
        "--data",
        &body,
        &format!("http://127.0.0.1:{port}/api/v1/session"),
    ]))
    .ok_or(format!("sign-in of {username} failed"))?;
    let cookies: Vec<&str> = headers
        .lines()
        .filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie")
                .then(|| value.trim().split(';').next().unwrap_or_default())
        })
        .collect();
    if cookies.is_empty() {
        return Err(format!("sign-in of {username}: no cookie"));
    }
    Ok(cookies.join("; "))
}

/// A value in kB from `/proc/PID/status` (0 if unreadable).
fn kb(pid: u32, key: &str) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

struct Download {
    rows: u64,
    bytes: u64,
    secs: f64,
    peak_kb: u64,
}

fn download(port: u16, cookie: &str, path: &str, file: &Path, pid: u32) -> Result<Download> {
    let start = Instant::now();
    let mut curl = Command::new("curl")
        .args(["-s", "-f", "-o"])
        .arg(file)
        .args([
            "-H",
            &format!("Cookie: {cookie}"),
            &format!("http://127.0.0.1:{port}{path}"),
        ])
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut peak_kb = 0;
    let status = loop {
        if let Some(status) = curl.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        peak_kb = peak_kb.max(kb(pid, "VmRSS"));
        std::thread::sleep(Duration::from_millis(20));
    };
    let secs = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!("downloading {path} failed ({status})"));
    }
    let mut rows = 0u64;
    let mut bytes = 0u64;
    let mut f = fs::File::open(file).map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        rows += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
    Ok(Download {
        // Less the header row.
        rows: rows.saturating_sub(1),
        bytes,
        secs,
        peak_kb,
    })
}

/// `n` case numbers spread evenly over a downloaded ledger.
fn codes(file: &Path, n: usize) -> Result<Vec<String>> {
    let text = fs::read_to_string(file).map_err(|e| e.to_string())?;
    let all: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .map(|c| c.trim_matches('"'))
        .collect();
    if all.is_empty() {
        return Err("the ledger is empty".to_owned());
    }
    Ok((0..n).map(|i| all[i * all.len() / n].to_owned()).collect())
}

fn get_body(port: u16, cookie: &str, path: &str) -> Result<(f64, String)> {
    let out = output(Command::new("curl").args([
        "-s",
        "-f",
        "-w",
        "\n%{time_total}",
        "-H",
        &format!("Cookie: {cookie}"),
        &format!("http://127.0.0.1:{port}{path}"),
    ]))
    .ok_or(format!("GET {path} failed"))?;
    let (body, time) = out.rsplit_once('\n').ok_or("no time from curl")?;
    let secs: f64 = time.trim().parse().map_err(|_| "no time from curl")?;
    Ok((secs * 1000.0, body.to_owned()))
}

/// One GET's `time_total`, in ms.
fn get_ms(port: u16, cookie: &str, path: &str) -> Result<f64> {
    get_body(port, cookie, path).map(|(ms, _)| ms)
}

fn p50(ms: &[f64]) -> f64 {
    let mut v = ms.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
