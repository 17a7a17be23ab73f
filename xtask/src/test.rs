//! `cargo xtask test`: the rules, the front end, every test, the fuzzer.

use crate::tools::{ensure_axe, ensure_browser, ensure_nasm, ensure_wasm_tools};
use crate::{Result, cargo, output, sh, site_root, step};
use crate::{fuzz, lint, site};

pub fn run() -> Result {
    ensure_nasm();
    ensure_wasm_tools()?;
    ensure_browser()?;
    let axe = ensure_axe()?;
    // The rules first: they take minutes where the tests take ten.
    lint::run()?;
    site::build(false)?;
    // Kept until the tests are done: the photo-store tests use them.
    let (s3, s3_strict) = crate::s3::start_both()?;
    step("running the tests");
    let nextest = output(cargo().args(["nextest", "--version"])).is_some();
    let mut c = cargo();
    if nextest {
        c.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        c.args(["test", "--workspace", "--no-fail-fast"]);
    }
    c.env("SHANSHUI_TEST_SITE_ROOT", site_root())
        .env("SHANSHUI_TEST_AXE", &axe)
        .env("TEST_S3_ENDPOINT", &s3.endpoint)
        .env("TEST_S3_STRICT_ENDPOINT", &s3_strict.endpoint);
    sh(&mut c)?;
    drop((s3, s3_strict));
    // The tests built target/debug/shanshui (server/tests/cli.rs runs it),
    // with the features the whole workspace unifies to; `cargo build -p
    // server` alone would compile the server again for two minutes.
    fuzz::run(fuzz::Binary::Built)
}
