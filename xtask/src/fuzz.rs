//! The OpenAPI-driven fuzzer in `cargo xtask test`: schemathesis (from
//! PyPI, into a virtual environment under target/) sends generated requests
//! to every operation the OpenAPI document describes, against a running
//! server with the demo directory, once as the public and once signed in as
//! an admin; any 5xx or any answer that breaks its documented schema fails
//! the run.
//!
//! `SHANSHUI_FUZZ_EXAMPLES` sets the examples per operation (25 by default,
//! which keeps the two passes to a few minutes in CI).

use super::{Result, cargo, free_port, sh, site_root, step, target_dir};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const SCHEMATHESIS: &str = "4.32.5";
const ADMIN: &str = "fuzz-admin";
const PASSWORD: &str = "fuzz only, never a real password 2026";

/// Installs schemathesis into target/tools once; answers its command.
fn schemathesis() -> Result<PathBuf> {
    let venv = target_dir()
        .join("tools")
        .join(format!("schemathesis-{SCHEMATHESIS}"));
    let bin = venv.join("bin").join("schemathesis");
    if bin.exists() {
        return Ok(bin);
    }
    step(&format!(
        "installing schemathesis {SCHEMATHESIS} from PyPI (once)"
    ));
    sh(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    sh(Command::new(venv.join("bin").join("pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("schemathesis=={SCHEMATHESIS}"),
    ]))?;
    Ok(bin)
}

/// The server under test, stopped (by its own process id) when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One plain HTTP/1.1 exchange on 127.0.0.1; answers the whole response.
fn http(port: u16, request: &str) -> Result<String> {
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| e.to_string())?;
    Ok(answer)
}

fn ready(port: u16) -> bool {
    http(
        port,
        "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .is_ok_and(|a| a.starts_with("HTTP/1.1 200"))
}

/// Signs the admin in; answers the session cookie's value.
fn sign_in(port: u16) -> Result<String> {
    let body = format!(r#"{{"username":"{ADMIN}","password":"{PASSWORD}"}}"#);
    let answer = http(
        port,
        &format!(
            "POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )?;
    answer
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie:")
                .then(|| l.to_owned())
        })
        .and_then(|l| {
            l.split_once("shanshui_session=")
                .map(|(_, v)| v.split(';').next().unwrap_or_default().to_owned())
        })
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            format!(
                "the fuzzing admin could not sign in: {}",
                answer.lines().next().unwrap_or_default()
            )
        })
}

/// Whether target/debug/shanshui is already fresh.
pub enum Binary {
    Build,
    Built,
}

pub fn run(binary: Binary) -> Result {
    let st = schemathesis()?;
    if let Binary::Build = binary {
        step("building the server for the fuzzer");
        sh(cargo().args(["build", "--package", "server", "--bin", "shanshui"]))?;
    }
    let bin = target_dir().join("debug").join("shanshui");
    let data = target_dir()
        .join("tmp")
        .join(format!("fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let port = free_port()?;
    let shanshui = |args: &[&str]| {
        let mut c = Command::new(&bin);
        c.args(args)
            .arg("--data-dir")
            .arg(&data)
            .env("RUST_LOG", "warn");
        c
    };
    // A few hundred cases in every state give the fuzzer real rows to reach.
    sh(&mut shanshui(&["demo", "--cases", "300"]))?;
    sh(
        shanshui(&["user", "create", "--username", ADMIN, "--role", "admin"])
            .env("SHANSHUI_PASSWORD", PASSWORD),
    )?;
    let bind = format!("127.0.0.1:{port}");
    // Generous rate limits: the fuzzer is one client sending thousands of
    // requests, and a 429 would leave the logic behind it untried.
    let child = shanshui(&[
        "serve",
        "--bind",
        &bind,
        "--submit-burst",
        "100000",
        "--track-burst",
        "100000",
    ])
    .env("SHANSHUI_SITE_ROOT", site_root())
    .spawn()
    .map_err(|e| format!("cannot start the server: {e}"))?;
    let server = Server(child);
    let started = Instant::now();
    while !ready(port) {
        if started.elapsed() > Duration::from_secs(60) {
            return Err("the server under the fuzzer did not become ready".to_owned());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let examples = std::env::var("SHANSHUI_FUZZ_EXAMPLES").unwrap_or_else(|_| "25".to_owned());
    let spec = format!("http://{bind}/api/v1/openapi.json");
    let fuzz = |extra: &[&str]| {
        let mut c = Command::new(&st);
        // Its reports and cassettes stay with the run's data, out of the tree.
        c.current_dir(&data);
        c.args([
            "run",
            &spec,
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            &examples,
        ])
        .args(["--no-color", "--seed", "20261203"])
        .args(extra);
        c
    };
    step(&format!(
        "schemathesis: every operation as the public ({examples} examples each)"
    ));
    sh(&mut fuzz(&[]))?;
    step(&format!(
        "schemathesis: every operation signed in as an admin ({examples} examples each)"
    ));
    let cookie = format!("Cookie: shanshui_session={}", sign_in(port)?);
    // Signing out would end the run's own session half-way.
    sh(&mut fuzz(&[
        "--header",
        &cookie,
        "--exclude-path",
        "/api/v1/session",
    ]))?;
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
