//! What the commands need and a fresh machine lacks, installed from the
//! registries this kind of machine reaches (rustup, crates.io, Debian).

use crate::{Result, WASM_TARGET, output, root, sh, step};
use std::env;
use std::fs;
use std::path::Path;
use std::process::Command;

pub fn ensure_wasm_tools() -> Result {
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
pub fn locked_version(package: &str) -> Result<String> {
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
pub fn ensure_nasm() {
    if output(Command::new("nasm").arg("-v")).is_some() {
        return;
    }
    step("installing Debian's nasm for libjpeg-turbo's SIMD");
    if let Err(e) = apt_install(&["nasm"]) {
        eprintln!("xtask: warning: {e}; photos will decode without SIMD until nasm is installed");
    }
}

/// Installs Debian packages (this kind of machine runs as root).
pub fn apt_install(packages: &[&str]) -> Result {
    let apt = |args: &[&str]| {
        sh(Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive"))
    };
    apt(&["update", "-qq"])?;
    apt(&[&["install", "-y", "-qq"][..], packages].concat())
}

pub fn ensure_browser() -> Result {
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

/// axe-core, the accessibility rules Lighthouse runs, at the version
/// Lighthouse 12.2.3 bundles. Answers the script the browser tests inject
/// into each page.
pub fn ensure_axe() -> Result<std::path::PathBuf> {
    ensure_npm("axe-core", "4.10.3", "axe.min.js")
}

/// An npm package at one version, installed into target/tools once;
/// answers the path of `file` in it.
pub fn ensure_npm(package: &str, version: &str, file: &str) -> Result<std::path::PathBuf> {
    let dir = crate::target_dir()
        .join("tools")
        .join(format!("{package}-{version}"));
    let path = dir.join("node_modules").join(package).join(file);
    if path.exists() {
        return Ok(path);
    }
    step(&format!("installing {package} {version} from npm (once)"));
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    sh(Command::new("npm")
        .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg(format!("{package}@{version}")))?;
    Ok(path)
}

pub fn ensure_wrk() -> Result {
    if !Path::new("/usr/bin/wrk").exists() {
        step("installing Debian's wrk");
        apt_install(&["wrk"])?;
    }
    Ok(())
}
