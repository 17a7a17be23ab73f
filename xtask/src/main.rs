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
//!   cargo xtask bench-open-data [--cases N]   Open311 and /cases at 1M cases vs hello world
//!   cargo xtask bench-submit    reports with a 2 MP photo per second vs the photo pipeline's ceiling
//!   cargo xtask bench-sign-in [--attempts N] [--rounds R] [--binary PATH]
//!                               server RSS under N parallel wrong-password sign-ins vs idle
//!   cargo xtask bench-upload-memory [--against BIN]   server RSS under upload floods (and another build's)

mod fuzz;
mod lint;

use std::env;
use std::fs;
use std::io::Write;
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
        Some("test") => test(),
        Some("lint") => ensure_wasm_tools().and_then(|_| lint::run()),
        Some("fuzz") => fuzz::run(fuzz::Binary::Build),
        Some("build") => build(flag("--release")),
        Some("site") => ensure_wasm_tools().and_then(|_| site(flag("--release"))),
        Some("bench") => bench(),
        Some("bench-submit") => bench_submit(),
        Some("bench-sign-in") => bench_sign_in(&args[1..]),
        Some("bench-upload-memory") => bench_upload_memory(flag_value("--against")),
        Some("bench-open-data") => {
            bench_open_data(flag_value("--cases").unwrap_or_else(|| "1000000".to_owned()))
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <run [--dev] | test | lint | fuzz | build [--release] | site [--release] | bench | bench-submit | bench-open-data [--cases N] | bench-sign-in [--attempts N] [--rounds R] [--binary PATH] | bench-upload-memory [--against BIN]>"
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

// ---------------------------------------------------------------- tools

fn ensure_wasm_tools() -> Result {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]));
    if !installed.is_some_and(|t| t.lines().any(|l| l.trim() == WASM_TARGET)) {
        step("installing the wasm32-unknown-unknown target");
        sh(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    let wanted = locked_version("wasm-bindgen")?;
    let have = output(Command::new("wasm-bindgen").arg("--version"));
    if have
        .as_deref()
        .is_none_or(|v| v.split_whitespace().nth(1) != Some(wanted.as_str()))
    {
        step(&format!(
            "installing wasm-bindgen-cli {wanted} (Cargo.lock's version; takes minutes once)"
        ));
        // Not --locked: its lockfile pins a crate version the registry no longer serves.
        sh(
            Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args([
                "install",
                "wasm-bindgen-cli",
                "--version",
                &wanted,
                "--force",
            ]),
        )?;
    }
    Ok(())
}

/// The version of `package` that Cargo.lock pins.
fn locked_version(package: &str) -> Result<String> {
    let lock = fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{package}\"")
            && let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
        {
            return Ok(v.trim_matches('"').to_owned());
        }
    }
    Err(format!("{package} is not in Cargo.lock"))
}

/// libjpeg-turbo's SIMD (the photo pipeline's JPEG decoder, built by
/// mozjpeg-sys) is assembled with nasm; without it the server still builds,
/// with a decoder about 40 % slower, so a failed install only warns.
fn ensure_nasm() {
    if output(Command::new("nasm").arg("-v")).is_some() {
        return;
    }
    step("installing Debian's nasm for libjpeg-turbo's SIMD");
    if let Err(e) = apt_install(&["nasm"]) {
        eprintln!("xtask: warning: {e}; photos will decode without SIMD until nasm is installed");
    }
}

/// Installs Debian packages (this kind of machine runs as root).
fn apt_install(packages: &[&str]) -> Result {
    let apt = |args: &[&str]| {
        sh(Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive"))
    };
    apt(&["update", "-qq"])?;
    apt(&[&["install", "-y", "-qq"][..], packages].concat())
}

fn ensure_browser() -> Result {
    let have = |p: &str| Path::new(p).exists();
    if have("/usr/bin/chromium")
        && have("/usr/bin/chromedriver")
        && have("/usr/share/fonts/opentype/noto")
    {
        return Ok(());
    }
    step("installing Debian's chromium, chromium-driver and fonts-noto-cjk for the browser tests");
    apt_install(&["chromium", "chromium-driver", "fonts-noto-cjk"])
        .map_err(|e| format!("{e}; install chromium, chromium-driver and fonts-noto-cjk as root"))
}

// ---------------------------------------------------------------- front end

/// Builds the WebAssembly half of `app` and lays out the site root:
/// `public/` copied as is, `pkg/` from wasm-split and wasm-bindgen.
///
/// The way `cargo leptos --split` does it: the wasm is linked keeping its
/// relocations (`--emit-relocs`, set in .cargo/config.toml) so that
/// wasm-split can cut it at the app's lazy routes (`#[lazy_route]`) into the
/// main module — the shell every page needs — and chunks that
/// `pkg/__wasm_split.js` fetches the first time a lazy page is shown. wasm-bindgen then processes the main module alone and
/// keeps the exports the chunks link against (`--keep-lld-exports`).
fn site(release: bool) -> Result {
    let profile = if release { "wasm-release" } else { "dev" };
    step(&format!("building the WebAssembly front end ({profile})"));
    // `--emit-relocs` comes from .cargo/config.toml, beside the flags the
    // server's build must share.
    sh(cargo().args([
        "build",
        "--package",
        "app",
        "--lib",
        "--target",
        WASM_TARGET,
        "--no-default-features",
        "--features",
        "hydrate",
        "--profile",
        profile,
    ]))?;
    let out_profile = if release { "wasm-release" } else { "debug" };
    let wasm = target_dir()
        .join(WASM_TARGET)
        .join(out_profile)
        .join("app.wasm");
    let main_wasm = wasm.with_file_name("app_main.wasm");
    let site = site_root();
    let pkg = site.join("pkg");
    let _ = fs::remove_dir_all(&site);
    fs::create_dir_all(&pkg).map_err(|e| format!("cannot create {}: {e}", pkg.display()))?;

    step("wasm-split");
    let input = fs::read(&wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    // The loader instantiates each chunk with the main module's memory, table
    // and exports, which it takes from wasm-bindgen's JS next to it.
    let main_js = format!("./{OUTPUT_NAME}.js");
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&input);
        opts.output_dir = &pkg;
        opts.main_out_path = &main_wasm;
        opts.main_module = &main_js;
        opts.link_name = "./__wasm_split.js";
        opts
    })
    .map_err(|e| {
        format!("wasm-split: {e:?} (it needs the relocations .cargo/config.toml asks for: is RUSTFLAGS set?)")
    })?;
    if release {
        // wasm-bindgen never sees the chunks, so `--remove-name-section`
        // does not reach them: their function names were two thirds of
        // their size (the report form's chunk: 3.0 MB raw, 0.9 MB without).
        for chunk in &split.split_modules {
            let bytes = fs::read(chunk).map_err(|e| format!("{}: {e}", chunk.display()))?;
            let stripped = without_custom_sections(&bytes)
                .ok_or_else(|| format!("{}: not a WebAssembly module", chunk.display()))?;
            fs::write(chunk, stripped).map_err(|e| format!("{}: {e}", chunk.display()))?;
        }
    }

    step("wasm-bindgen");
    let mut bindgen = Command::new("wasm-bindgen");
    // The chunks link against the main module's lld exports; cargo leptos
    // --split passes the same two flags.
    bindgen.args([
        "--target",
        "web",
        "--no-typescript",
        "--keep-lld-exports",
        "--no-demangle",
        "--out-name",
        OUTPUT_NAME,
        "--out-dir",
    ]);
    bindgen.arg(&pkg);
    if release {
        bindgen.arg("--remove-name-section");
    }
    sh(bindgen.arg(&main_wasm))?;

    copy_dir(&root().join("public"), &site)?;
    if release {
        step("pre-compressing (brotli, gzip)");
        let mut files = front_end_files(&pkg)?;
        files.push(site.join("style.css"));
        for file in files {
            precompress(&file)?;
        }
    }
    eprintln!("front end in {}", site.display());
    if release {
        front_end_sizes()?;
    }
    Ok(())
}

/// A WebAssembly module without its custom sections (function names,
/// producers, target features): none is needed to run it. None if the bytes
/// are not a module.
fn without_custom_sections(wasm: &[u8]) -> Option<Vec<u8>> {
    fn leb128(bytes: &[u8], at: &mut usize) -> Option<usize> {
        let mut value = 0usize;
        for shift in (0..35).step_by(7) {
            let byte = *bytes.get(*at)?;
            *at += 1;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    let header = wasm.get(..8).filter(|h| h.starts_with(b"\0asm"))?;
    let mut out = header.to_vec();
    let mut at = 8;
    while at < wasm.len() {
        let start = at;
        let id = wasm[at];
        at += 1;
        let size = leb128(wasm, &mut at)?;
        let end = at.checked_add(size).filter(|&end| end <= wasm.len())?;
        if id != 0 {
            out.extend_from_slice(&wasm[start..end]);
        }
        at = end;
    }
    Some(out)
}

/// The JavaScript and WebAssembly under `pkg/`, sorted: the main module,
/// its JS and snippets, the chunk loader and the chunks.
fn front_end_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            files.extend(front_end_files(&path)?);
        } else if path.extension().is_some_and(|x| x == "js" || x == "wasm") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let dest = to.join(entry.file_name());
        if entry.path().is_dir() {
            fs::create_dir_all(&dest).map_err(|e| e.to_string())?;
            copy_dir(&entry.path(), &dest)?;
        } else {
            fs::copy(entry.path(), &dest)
                .map_err(|e| format!("copying {}: {e}", dest.display()))?;
        }
    }
    Ok(())
}

fn precompress(file: &Path) -> Result {
    let data = fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut br = Vec::new();
    {
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut data.as_slice(), &mut br, &params)
            .map_err(|e| e.to_string())?;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&data).map_err(|e| e.to_string())?;
    let gz = gz.finish().map_err(|e| e.to_string())?;
    let with_ext = |ext: &str| {
        let mut name = file.as_os_str().to_owned();
        name.push(ext);
        PathBuf::from(name)
    };
    fs::write(with_ext(".br"), &br).map_err(|e| e.to_string())?;
    fs::write(with_ext(".gz"), &gz).map_err(|e| e.to_string())?;
    eprintln!(
        "  {}: {} KB, brotli {} KB, gzip {} KB",
        file.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
        data.len() / 1024,
        br.len() / 1024,
        gz.len() / 1024
    );
    Ok(())
}

// ---------------------------------------------------------------- commands

fn build(release: bool) -> Result {
    ensure_nasm();
    ensure_wasm_tools()?;
    site(release)?;
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

fn test() -> Result {
    ensure_nasm();
    ensure_wasm_tools()?;
    ensure_browser()?;
    // The rules first: they take minutes where the tests take ten.
    lint::run()?;
    site(false)?;
    step("running the tests");
    let nextest = output(cargo().args(["nextest", "--version"])).is_some();
    let mut c = cargo();
    if nextest {
        c.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        c.args(["test", "--workspace", "--no-fail-fast"]);
    }
    c.env("SHANSHUI_TEST_SITE_ROOT", site_root());
    sh(&mut c)?;
    // The tests built target/debug/shanshui (server/tests/cli.rs runs it),
    // with the features the whole workspace unifies to; `cargo build -p
    // server` alone would compile the server again for two minutes.
    fuzz::run(fuzz::Binary::Built)
}

// ---------------------------------------------------------------- bench

/// Release build, then: the compressed size of what a phone downloads to
/// hydrate, and `wrk` from this process on 127.0.0.1 against the server-
/// rendered home page and against axum's hello world, in the same run.
fn ensure_wrk() -> Result {
    if !Path::new("/usr/bin/wrk").exists() {
        step("installing Debian's wrk");
        apt_install(&["wrk"])?;
    }
    Ok(())
}

fn bench() -> Result {
    ensure_wrk()?;
    build(true)?;
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
    sh(Command::new(&bin).args(["demo", "--data-dir"]).arg(&data))?;
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
fn front_end_sizes() -> Result {
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
    for file in front_end_files(&pkg)? {
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

fn kb(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// (requests per second, p50, p99) from `wrk --latency`.
fn wrk(port: u16, connections: &str) -> Result<(f64, String, String)> {
    wrk_path(port, connections, "/", &[])
}

fn wrk_path(
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
fn bench_open_data(cases: String) -> Result {
    ensure_wrk()?;
    step("building the front end, the server and the benchmarks (release)");
    build(true)?;
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
fn bench_submit() -> Result {
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
    sh(Command::new(&bin).args(["demo", "--data-dir"]).arg(&data))?;
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

fn bench_sign_in(args: &[String]) -> Result {
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

fn bench_upload_memory(against: Option<String>) -> Result {
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

#[cfg(test)]
mod tests {
    use super::without_custom_sections;

    #[test]
    fn custom_sections_are_dropped_and_the_others_kept() {
        let header = b"\0asm\x01\0\0\0";
        let types = [1u8, 4, 1, 0x60, 0, 0]; // one type: () -> ()
        let mut names = vec![0u8, 5, 4];
        names.extend_from_slice(b"name");
        let mut module = header.to_vec();
        module.extend_from_slice(&names);
        module.extend_from_slice(&types);
        let mut expected = header.to_vec();
        expected.extend_from_slice(&types);
        assert_eq!(without_custom_sections(&module), Some(expected));
        assert_eq!(without_custom_sections(b"not wasm"), None);
        assert_eq!(
            without_custom_sections(&module[..12]),
            None,
            "a cut section"
        );
    }
}
