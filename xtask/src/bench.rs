//! The benchmarks: each measures Shanshui beside a reference in the same
//! run, from a second process on 127.0.0.1, and prints ratios.

use crate::tools::{ensure_nasm, ensure_wrk};
use crate::{OUTPUT_NAME, Result, cargo, free_port, output, sh, site_root, step, target_dir};
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

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
    let field = |prefix: &str| {
        out.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_owned()
    };
    let rps = field("Requests/sec:").parse::<f64>().unwrap_or(0.0);
    Ok((rps, field("50%"), field("99%")))
}

/// Open data at scale: a database of `cases` cases (1,000,000 by default),
/// the release server on it, and `wrk` from this process on 127.0.0.1
/// against `/open311/v2/requests.json`, the first page of `/cases` and
/// axum's hello world, in the same run: once as the public reads them
/// (through the public micro-cache) and once forced past it.
pub fn open_data(cases: String) -> Result {
    ensure_wrk()?;
    step("building the front end, the server and the benchmarks (release)");
    crate::build(true)?;
    sh(cargo().args([
        "build",
        "--release",
        "--package",
        "server",
        "--example",
        "hello",
        "--example",
        "case_bench",
    ]))?;
    let release = target_dir().join("release");
    let data = env::temp_dir().join(format!("shanshui-bench-open-data-{}", std::process::id()));
    let _ = fs::remove_dir_all(&data);
    step(&format!("filling a SQLite database with {cases} cases"));
    sh(Command::new(release.join("examples/case_bench"))
        .arg("sqlite")
        .arg(&data)
        .args(["--fill-only", &cases]))?;
    let (port_a, port_b) = (free_port()?, free_port()?);
    let url = format!("sqlite://{}?mode=rwc", data.join("cases.db").display());
    let mut shanshui = Command::new(release.join("shanshui"))
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port_a}"),
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
        .arg(format!("127.0.0.1:{port_b}"))
        .spawn()
        .map_err(|e| e.to_string())?;
    std::thread::sleep(std::time::Duration::from_secs(3));
    let result = (|| -> Result {
        println!(
            "\n## open data with {cases} cases vs hello world (wrk, 64 connections, 10 s, 127.0.0.1)"
        );
        println!("| target | req/s | p50 | p99 | ratio to hello world |");
        println!("|---|---|---|---|---|");
        let (hello_rps, p50, p99) = wrk_path(port_b, "64", "/", &[])?;
        println!("| axum hello world | {hello_rps:.0} | {p50} | {p99} | 1.000 |");
        // A conditional request goes past the micro-cache: the cost of a miss.
        let miss = ["If-None-Match: \"bench\""];
        for (name, path, headers) in [
            (
                "/open311/v2/requests.json",
                "/open311/v2/requests.json",
                &[][..],
            ),
            (
                "/open311/v2/requests.json, cache missed",
                "/open311/v2/requests.json",
                &miss[..],
            ),
            ("/cases (first page, HTML)", "/cases", &[][..]),
            ("/cases, cache missed", "/cases", &miss[..]),
        ] {
            let (rps, p50, p99) = wrk_path(port_a, "64", path, headers)?;
            println!(
                "| {name} | {rps:.0} | {p50} | {p99} | {:.3} |",
                rps / hello_rps
            );
        }
        let (rps, p50, p99) = wrk_path(port_b, "64", "/", &[])?;
        println!(
            "| axum hello world, again | {rps:.0} | {p50} | {p99} | {:.3} |",
            rps / hello_rps
        );
        Ok(())
    })();
    let _ = shanshui.kill();
    let _ = shanshui.wait();
    let _ = hello.kill();
    let _ = hello.wait();
    let _ = fs::remove_dir_all(&data);
    result
}

/// Reports with one 2-megapixel photo each, posted by `wrk` from a second
/// process on 127.0.0.1, against the photo pipeline's own ceiling measured
/// just before in the same run.
pub fn submit() -> Result {
    ensure_wrk()?;
    ensure_nasm();
    step("building the server and the benchmark (release)");
    sh(cargo().args([
        "build",
        "--release",
        "--package",
        "server",
        "--bin",
        "shanshui",
        "--example",
        "submit_bench",
    ]))?;
    let release = target_dir().join("release");
    let work = env::temp_dir().join(format!("shanshui-bench-submit-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    let bench = release.join("examples/submit_bench");
    sh(Command::new(&bench).arg("prepare").arg(&work))?;
    step("the photo pipeline's ceiling (all cores, 10 s)");
    let ceiling_out =
        output(Command::new(&bench).arg("ceiling").arg(&work).arg("10")).ok_or("ceiling failed")?;
    print!("{ceiling_out}");
    let ceiling: f64 = ceiling_out
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .ok_or("cannot read the ceiling")?;

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
        let out = output(
            Command::new("wrk")
                .args(["-t", "2", "-c", "4", "-d", "20s", "--latency", "-s"])
                .arg(work.join("post.lua"))
                .arg(format!("http://127.0.0.1:{port}/api/v1/reports")),
        )
        .ok_or("wrk failed")?;
        print!("{out}");
        let rps: f64 = out
            .lines()
            .find(|l| l.trim().starts_with("Requests/sec:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .ok_or("cannot read wrk's rate")?;
        let errors = out
            .lines()
            .find(|l| l.contains("Non-2xx"))
            .unwrap_or("Non-2xx or 3xx responses: 0");
        println!(
            "\nsubmissions/s {rps:.1}; pipeline ceiling {ceiling:.1} photos/s; ratio {:.2}; {errors}",
            rps / ceiling
        );
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    let _ = fs::remove_dir_all(&work);
    result
}

pub fn sign_in(args: &[String]) -> Result {
    ensure_nasm();
    step("building the server and the benchmark (release)");
    sh(cargo().args([
        "build",
        "--release",
        "--package",
        "server",
        "--bin",
        "shanshui",
        "--example",
        "sign_in_bench",
    ]))?;
    let release = target_dir().join("release");
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
    ensure_nasm();
    step("building the server and the benchmark (release)");
    sh(cargo().args([
        "build",
        "--release",
        "--package",
        "server",
        "--bin",
        "shanshui",
        "--example",
        "upload_memory_bench",
    ]))?;
    let release = target_dir().join("release");
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
