//! The workspace's own rules, checked before the tests: rustfmt's layout,
//! no import cycle between the server's modules (`imports`), and clippy with every warning an error, on the server's build (all
//! targets: libraries, binaries, tests, examples) and on the WebAssembly
//! build of the front end, whose `hydrate` code the server never compiles.

use crate::{Result, WASM_TARGET, cargo, sh, step};
use std::process::Command;

pub fn run() -> Result {
    ensure_components()?;
    step("checking the layout (cargo fmt --check)");
    sh(cargo().args(["fmt", "--all", "--check"]))
        .map_err(|e| format!("{e}: run `cargo fmt --all` and commit the result"))?;
    step("no import cycles between the server's modules");
    crate::imports::check(&crate::root().join("server/src"))?;
    step("clippy on the workspace, all targets");
    sh(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    step("clippy on the front end's WebAssembly build (hydrate)");
    sh(cargo().args([
        "clippy",
        "--package",
        "app",
        "--lib",
        "--target",
        WASM_TARGET,
        "--no-default-features",
        "--features",
        "hydrate",
        "--",
        "-D",
        "warnings",
    ]))
}

/// rustfmt and clippy come with a default rustup profile, not a minimal one.
fn ensure_components() -> Result {
    let installed =
        crate::output(Command::new("rustup").args(["component", "list", "--installed"]))
            .unwrap_or_default();
    let missing: Vec<&str> = ["rustfmt", "clippy"]
        .into_iter()
        .filter(|c| !installed.lines().any(|l| l.starts_with(c)))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    step(&format!("installing {}", missing.join(" and ")));
    sh(Command::new("rustup")
        .args(["component", "add"])
        .args(&missing))
}
