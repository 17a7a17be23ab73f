//! The benchmarks: each measures Shanshui beside a reference in the same
//! run, from a second process on 127.0.0.1, and prints ratios.

use crate::tools::{ensure_nasm, ensure_wrk};
use crate::{OUTPUT_NAME, Result, cargo, free_port, output, sh, site_root, step, target_dir};
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Release build, then: the compressed size of what a phone downloads to
/// hydrate, and `wrk` from this process on 127.0.0.1 against the server-
/// rendered home page and against axum's hello world, in the same run.
pub fn home() -> Result {
    ensure_wrk()?;
    crate::build(true)?;
    sh(cargo().args([
        "build",
        "--release",
        "--package",
        "server",
        "--example",
        "hello",
    ]))?;

    let data = env::temp_dir().join(format!("shanshui-bench-{}", std::process::id()));
    let _ = fs::remove_dir_all(&data);
    let bin = target_dir().join("release/shanshui");
    let port_a = free_port()?;
    let port_b = free_port()?;
    sh(Command::new(&bin)
        .args(["demo", "--cases", "0", "--data-dir"])
        .arg(&data))?;
    let mut shanshui = Command::new(&bin)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port_a}"),
            "--data-dir",
        ])
        .arg(&data)
        .env("SHANSHUI_SITE_ROOT", site_root())
        .env("RUST_LOG", "warn")
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut hello = Command::new(target_dir().join("release/examples/hello"))
        .arg(format!("127.0.0.1:{port_b}"))
        .spawn()
        .map_err(|e| e.to_string())?;
    std::thread::sleep(std::time::Duration::from_secs(2));
    let result = (|| -> Result {
        println!("\n## server rendering of / vs hello world (wrk, 127.0.0.1)");
        println!("| target | connections | req/s | p50 | p99 |");
        println!("|---|---|---|---|---|");
        let mut rps = Vec::new();
        for (name, port) in [("shanshui /", port_a), ("axum hello world", port_b)] {
            for conns in ["1", "64"] {
                let r = wrk(port, conns)?;
                println!("| {name} | {conns} | {:.0} | {} | {} |", r.0, r.1, r.2);
                if conns == "64" {
                    rps.push(r.0);
                }
            }
        }
        if let [a, b] = rps[..] {
            println!(
                "\nratio (64 connections): shanshui / hello world = {:.3}",
                a / b
            );
        }
        Ok(())
    })();
    let _ = shanshui.kill();
    let _ = shanshui.wait();
    let _ = hello.kill();
    let _ = hello.wait();
    let _ = fs::remove_dir_all(&data);
    result
}

/// What the first page downloads — every JS module (wasm-bindgen's, its
/// snippets, the chunk loader, all imported statically) and the main
/// WebAssembly — and, apart, each chunk a lazy page fetches when it is shown.
pub fn front_end_sizes() -> Result {
    let pkg = site_root().join("pkg");
    let size = |file: &Path, ext: &str| {
        let mut name = file.as_os_str().to_owned();
        name.push(ext);
        fs::metadata(name).map(|m| m.len()).unwrap_or(0)
    };
    let main_wasm = pkg.join(format!("{OUTPUT_NAME}_bg.wasm"));
    println!("## front end (release)");
    println!("| file | raw KB | brotli KB | gzip KB |");
    println!("|---|---|---|---|");
    let (mut first_page, mut chunks) = (Vec::new(), Vec::new());
    for file in crate::site::front_end_files(&pkg)? {
        let is_chunk = file.extension().is_some_and(|x| x == "wasm") && file != main_wasm;
        if is_chunk {
            chunks.push(file)
        } else {
            first_page.push(file)
        }
    }
    let mut sent = 0;
    for file in first_page.iter().chain(&chunks) {
        let name = file.strip_prefix(&pkg).unwrap_or(file).display();
        let lazy = if chunks.contains(file) { " (lazy)" } else { "" };
        println!(
            "| {name}{lazy} | {:.1} | {:.1} | {:.1} |",
            kb(size(file, "")),
            kb(size(file, ".br")),
            kb(size(file, ".gz"))
        );
        if lazy.is_empty() {
            sent += size(file, ".br");
        }
    }
    println!("| **first page (brotli)** | | **{:.1}** | |", kb(sent));
    Ok(())
}

pub fn kb(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}

/// (requests per second, p50, p99) from `wrk --latency`.
pub fn wrk(port: u16, connections: &str) -> Result<(f64, String, String)> {
    wrk_path(port, connections, "/", &[])
}

pub fn wrk_path(
    port: u16,
    connections: &str,
    path: &str,
    headers: &[&str],
) -> Result<(f64, String, String)> {
    let threads = if connections == "1" { "1" } else { "2" };
    let url = format!("http://127.0.0.1:{port}{path}");
    let mut args = vec!["-t", threads, "-c", connections, "-d", "10s", "--latency"];
    for h in headers {
        args.extend(["-H", h]);
    }
    args.push(&url);
    let out = output(Command::new("wrk").args(&args)).ok_or("wrk failed")?;
    let rps = wrk_field(&out, "Requests/sec:")
        .parse::<f64>()
        .unwrap_or(0.0);
    Ok((rps, wrk_field(&out, "50%"), wrk_field(&out, "99%")))
}

/// The value after `prefix` on `wrk --latency`'s line that starts with it.
pub fn wrk_field(out: &str, prefix: &str) -> String {
    out.lines()
        .map(str::trim)
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("?")
        .to_owned()
}

/// Reports with one 2-megapixel photo each, posted by `wrk` from a second
/// process on 127.0.0.1, against the photo pipeline's own ceiling measured
/// just before in the same run.
pub fn submit() -> Result {
    let release = build_submit()?;
    let work = env::temp_dir().join(format!("shanshui-bench-submit-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    let bench = release.join("examples/submit_bench");
    prepare_submit(&bench, &work)?;
    let ceiling = pipeline_ceiling(&bench, &work, 10)?;

    let data = work.join("data");
    let bin = release.join("shanshui");
    sh(Command::new(&bin)
        .args(["demo", "--cases", "0", "--data-dir"])
        .arg(&data))?;
    let port = free_port()?;
    let mut server = Command::new(&bin)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&data)
        .env("SHANSHUI_SUBMIT_BURST", "1000000")
        .env("SHANSHUI_SUBMIT_EVERY_SECS", "1")
        .env("RUST_LOG", "warn")
        .spawn()
        .map_err(|e| e.to_string())?;
    std::thread::sleep(std::time::Duration::from_secs(2));
    let result = (|| -> Result {
        step("wrk: POST /api/v1/reports, 4 connections, 20 s");
        let url = format!("http://127.0.0.1:{port}/api/v1/reports");
        let run = wrk_result(spawn_wrk(&work.join("post.lua"), &url, 2, 4, 20)?)?;
        print!("{}", run.text);
        println!(
            "\nsubmissions/s {:.1}; pipeline ceiling {ceiling:.1} photos/s; ratio {:.2}; Non-2xx or 3xx responses: {}",
            run.rps,
            run.rps / ceiling,
            run.non_2xx
        );
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    let _ = fs::remove_dir_all(&work);
    result
}

/// Builds the server and `examples` for release; answers target/release.
pub(crate) fn build_release(examples: &[&str]) -> Result<PathBuf> {
    ensure_nasm();
    step("building the server and the benchmarks (release)");
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "--package",
        "server",
        "--bin",
        "shanshui",
    ]);
    for example in examples {
        build.args(["--example", example]);
    }
    sh(&mut build)?;
    Ok(target_dir().join("release"))
}

/// Builds the server and `submit_bench` for release; answers target/release.
pub(crate) fn build_submit() -> Result<PathBuf> {
    ensure_wrk()?;
    build_release(&["submit_bench"])
}

/// `submit_bench prepare`: the photo, the multipart body and post.lua in
/// `work`, and the display copy and thumbnail the server stores beside it.
pub(crate) fn prepare_submit(bench: &Path, work: &Path) -> Result {
    sh(Command::new(bench).arg("prepare").arg(work))
}

/// The photo pipeline's ceiling on this machine: photos per second with
/// every core busy for `seconds`, through the server's own pipeline.
pub(crate) fn pipeline_ceiling(bench: &Path, work: &Path, seconds: u32) -> Result<f64> {
    step(&format!(
        "the photo pipeline's ceiling (all cores, {seconds} s)"
    ));
    let out = output(
        Command::new(bench)
            .arg("ceiling")
            .arg(work)
            .arg(seconds.to_string()),
    )
    .ok_or("ceiling failed")?;
    print!("{out}");
    out.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| "cannot read the ceiling".to_owned())
}

/// What one `wrk --latency` run printed, and read.
pub(crate) struct WrkRun {
    /// Requests per second, answered with 2xx or 3xx.
    pub rps: f64,
    /// Latency percentiles in milliseconds.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub non_2xx: u64,
    /// Requests answered with 2xx or 3xx.
    pub answered: u64,
    /// Connect, read, write errors and timeouts, as wrk counts them.
    pub socket_errors: u64,
    pub text: String,
}

/// Starts `wrk --latency -s script` against `url` without waiting for it,
/// so that several can run at once; [`wrk_result`] waits and reads it.
pub(crate) fn spawn_wrk(
    script: &Path,
    url: &str,
    threads: u32,
    connections: u32,
    seconds: u32,
) -> Result<Child> {
    Command::new("wrk")
        .arg("-t")
        .arg(threads.to_string())
        .arg("-c")
        .arg(connections.to_string())
        .arg("-d")
        .arg(format!("{seconds}s"))
        .arg("--latency")
        .arg("-s")
        .arg(script)
        .arg(url)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start wrk: {e}"))
}

/// Waits for a [`spawn_wrk`] and reads what it printed.
pub(crate) fn wrk_result(child: Child) -> Result<WrkRun> {
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!("wrk failed ({}): {text}", out.status));
    }
    let line = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .unwrap_or("")
    };
    let number = |word: &str| word.trim_end_matches(',').parse::<u64>().unwrap_or(0);
    let latency = |prefix: &str| {
        line(prefix)
            .split_whitespace()
            .nth(1)
            .and_then(wrk_ms)
            .unwrap_or(f64::NAN)
    };
    let all: f64 = line("Requests/sec:")
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .ok_or("cannot read wrk's rate")?;
    // "N requests in 20.00s, …"
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .map_or(0, number);
    let non_2xx = line("Non-2xx or 3xx responses:")
        .rsplit(' ')
        .next()
        .map_or(0, number);
    // "Socket errors: connect 0, read 0, write 0, timeout 0"
    let socket_errors = line("Socket errors:").split_whitespace().map(number).sum();
    let answered = requests.saturating_sub(non_2xx);
    Ok(WrkRun {
        rps: if requests > 0 {
            all * answered as f64 / requests as f64
        } else {
            all
        },
        answered,
        p50_ms: latency("50%"),
        p99_ms: latency("99%"),
        non_2xx,
        socket_errors,
        text,
    })
}

/// wrk's "1.23ms", "456.78us", "2.01s" or "1.50m" in milliseconds.
fn wrk_ms(value: &str) -> Option<f64> {
    let (number, scale) = if let Some(v) = value.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = value.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = value.strip_suffix('s') {
        (v, 1000.0)
    } else if let Some(v) = value.strip_suffix('m') {
        (v, 60_000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

pub fn sign_in(args: &[String]) -> Result {
    let release = build_release(&["sign_in_bench"])?;
    let mut passed = args.to_vec();
    let binary = match passed.iter().position(|a| a == "--binary") {
        Some(i) if i + 1 < passed.len() => {
            let path = passed.remove(i + 1);
            passed.remove(i);
            PathBuf::from(path)
        }
        _ => release.join("shanshui"),
    };
    step("sign-in flood: server RSS against its idle RSS");
    sh(Command::new(release.join("examples/sign_in_bench"))
        .arg(&binary)
        .args(&passed))
}

pub fn upload_memory(against: Option<String>) -> Result {
    let release = build_release(&["upload_memory_bench"])?;
    let work = env::temp_dir().join(format!(
        "shanshui-bench-upload-memory-{}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    // A copy: another build may replace target/release/shanshui meanwhile.
    let bin = work.join("shanshui");
    fs::copy(release.join("shanshui"), &bin).map_err(|e| format!("copying the server: {e}"))?;
    let bench = release.join("examples/upload_memory_bench");
    let result = (|| -> Result {
        step("the loads, each on a fresh server");
        let mut loads = Command::new(&bench);
        loads.arg("serve-loads").arg(&work).arg(&bin);
        if let Some(other) = &against {
            loads.arg(other);
        }
        sh(&mut loads)?;
        step("decode estimates against measured peaks");
        sh(Command::new(&bench).arg("estimates").arg(&work))
    })();
    let _ = fs::remove_dir_all(&work);
    result
}
