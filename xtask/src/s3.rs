//! The S3-compatible servers the photo-store tests run against: moto
//! (`moto[server]` from PyPI, into a virtual environment under target/),
//! two of them on loopback ports for as long as the tests run:
//!
//! - one that takes any credentials (`TEST_S3_ENDPOINT`), where each test
//!   makes a bucket of its own;
//! - one that checks them (`INITIAL_NO_AUTH_ACTION_COUNT=0`) and knows no
//!   key (`TEST_S3_STRICT_ENDPOINT`), for the wrong-credentials test.

use super::{Result, free_port, sh, step, target_dir};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MOTO: &str = "5.2.1";

/// Installs moto's server into target/tools once; answers its command.
pub(crate) fn moto_server() -> Result<PathBuf> {
    let venv = target_dir().join("tools").join(format!("moto-{MOTO}"));
    let bin = venv.join("bin").join("moto_server");
    if bin.exists() {
        return Ok(bin);
    }
    step(&format!("installing moto[server] {MOTO} from PyPI (once)"));
    sh(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    sh(Command::new(venv.join("bin").join("pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("moto[server]=={MOTO}"),
    ]))?;
    Ok(bin)
}

/// A running moto server, stopped (by its own process id) when dropped.
pub struct S3Server {
    child: Child,
    pub endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a moto server on a free loopback port and waits until it answers.
pub(crate) fn start(bin: &PathBuf, strict: bool) -> Result<S3Server> {
    let port = free_port()?;
    let mut cmd = Command::new(bin);
    cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if strict {
        cmd.env("INITIAL_NO_AUTH_ACTION_COUNT", "0");
    }
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let server = S3Server {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!("moto did not listen on {port} within 30 s"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(server)
}

/// The permissive and the strict server.
pub fn start_both() -> Result<(S3Server, S3Server)> {
    let bin = moto_server()?;
    step("starting the S3 test servers (moto)");
    Ok((start(&bin, false)?, start(&bin, true)?))
}
