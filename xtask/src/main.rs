//! `cargo xtask`: Shanshui's build driver, so that two commands work on a
//! fresh machine. It installs what is missing (the wasm32 target, the
//! wasm-bindgen CLI at Cargo.lock's version, nasm for libjpeg-turbo's SIMD,
//! Chromium for browser tests) from the package registries only, builds the
//! WebAssembly front end the way cargo-leptos would, and runs or tests the
//! server.
//!
//!   cargo xtask run [--dev]     build everything, load demo data, serve :3000
//!   cargo xtask test            check format and lints, build the front end, run every test, fuzz the API
//!   cargo xtask lint            cargo fmt --check, and clippy -D warnings (server and wasm builds)
//!   cargo xtask fuzz            the API fuzzer alone (schemathesis)
//!   cargo xtask build [--release]
//!   cargo xtask site [--release]   the front end only
//!   cargo xtask bench           release build; wasm size; wrk on / vs hello world
//!   cargo xtask bench-open-data [--cases N,M] [--database sqlite|postgres|both]   uncached public reads at 10k and 1M cases, SQLite and PostgreSQL, vs hello world
//!   cargo xtask bench-submit    reports with a 2 MP photo per second vs the photo pipeline's ceiling
//!   cargo xtask bench-replicas  the same with one replica and two, PostgreSQL and S3 photos (moto),
//!                               vs one replica with photos on disk, moto's and the pipeline's ceilings
//!   cargo xtask bench-sign-in [--attempts N] [--rounds R] [--binary PATH]
//!                               server RSS under N parallel wrong-password sign-ins vs idle
//!   cargo xtask bench-upload-memory [--against BIN]   server RSS under upload floods (and another build's)
//!   cargo xtask bench-ledger [--cases N]   the staff ledger's memory and the repeat-site queries at 1M cases
//!   cargo xtask bench-messages [--reports N] [--reference N] [--latency K] [--spacing-ms MS]
//!                              [--clients C] [--receiver-delay-ms MS] [--binary PATH]
//!                               the reporter message outbox: pushes/s and accept → push latency
//!                               vs the accept action alone and a local push receiver's ceiling

mod bench;
mod bench_ledger;
mod bench_messages;
mod bench_open_data;
mod bench_pages;
mod bench_replicas;
mod bundle;
mod fuzz;
mod imports;
mod lint;
mod s3;
mod site;
mod test;
mod tools;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

type Result<T = ()> = std::result::Result<T, String>;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const OUTPUT_NAME: &str = "shanshui";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let flag_value = |f: &str| {
        args.iter()
            .position(|a| a == f)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let result = match args.first().map(String::as_str) {
        Some("run") => run(!flag("--dev")),
        Some("test") => test::run(),
        Some("lint") => tools::ensure_wasm_tools().and_then(|_| lint::run()),
        Some("fuzz") => fuzz::run(fuzz::Binary::Build),
        Some("build") => build(flag("--release")),
        Some("site") => tools::ensure_wasm_tools().and_then(|_| site::build(flag("--release"))),
        Some("bench") => bench::home(),
        Some("bench-submit") => bench::submit(),
        Some("bench-replicas") => bench_replicas::run(),
        Some("bench-sign-in") => bench::sign_in(&args[1..]),
        Some("bench-upload-memory") => bench::upload_memory(flag_value("--against")),
        Some("bench-ledger") => {
            bench_ledger::run(flag_value("--cases").unwrap_or_else(|| "1000000".to_owned()))
        }
        Some("bench-messages") => bench_messages::run(&args[1..]),
        Some("bench-pages") => match flag_value("--cases").map(|n| n.parse::<u32>()).transpose() {
            Ok(cases) => bench_pages::run(cases.unwrap_or(3000), flag_value("--pages").as_deref()),
            Err(e) => Err(format!("--cases: {e}")),
        },
        Some("bench-open-data") => bench_open_data::run(
            &flag_value("--cases").unwrap_or_else(|| "10000,1000000".to_owned()),
            &flag_value("--database").unwrap_or_else(|| "both".to_owned()),
        ),
        _ => {
            eprintln!(
                "usage: cargo xtask <run [--dev] | test | lint | fuzz | build [--release] | site [--release] | bench | bench-submit | bench-replicas | bench-pages [--cases N] [--pages PREFIX] | bench-open-data [--cases N,M] [--database sqlite|postgres|both] | bench-sign-in [--attempts N] [--rounds R] [--binary PATH] | bench-upload-memory [--against BIN] | bench-ledger [--cases N] | bench-messages [--reports N] [--reference N] [--latency K] [--spacing-ms MS] [--clients C] [--receiver-delay-ms MS] [--binary PATH]>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    // xtask/ sits at the top of the workspace.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn site_root() -> PathBuf {
    target_dir().join("site")
}

fn step(msg: &str) {
    eprintln!("\x1b[1m==> {msg}\x1b[0m");
}

fn sh(cmd: &mut Command) -> Result {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn cargo() -> Command {
    let mut c = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    // Leptos names the wasm file differently when this is set at compile
    // time; the server sets it itself at run time.
    c.env_remove("LEPTOS_OUTPUT_NAME");
    c
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

// ---------------------------------------------------------------- commands

fn build(release: bool) -> Result {
    tools::ensure_nasm();
    tools::ensure_wasm_tools()?;
    site::build(release)?;
    step("building the server");
    let mut c = cargo();
    c.args(["build", "--package", "server", "--bin", "shanshui"]);
    if release {
        c.arg("--release");
    }
    sh(&mut c)
}

fn run(release: bool) -> Result {
    build(release)?;
    let bin = target_dir()
        .join(if release { "release" } else { "debug" })
        .join("shanshui");
    let site = site_root();
    let shanshui = |sub: &str| {
        let mut c = Command::new(&bin);
        c.arg(sub)
            .current_dir(root())
            .env("SHANSHUI_SITE_ROOT", &site);
        c
    };
    step("loading the demo data");
    sh(&mut shanshui("demo"))?;
    step("serving: open http://127.0.0.1:3000 (Ctrl-C stops)");
    sh(&mut shanshui("serve"))
}
