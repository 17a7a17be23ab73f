//! `cargo xtask bench-replicas`: submissions with one 2-megapixel photo each
//! (issue 16), per second, with one replica and with two on the same
//! PostgreSQL database and the same S3-compatible photo store, from `wrk` on
//! 127.0.0.1. The store is moto (`cargo xtask test`'s S3 server, a Python
//! test server) on a loopback port; the database a fresh one on the local
//! PostgreSQL (127.0.0.1:5432, user postgres), dropped afterwards.
//!
//! In one run, 20 s each, 4 connections in all:
//!   e. the photo pipeline's ceiling (`bench-submit`'s, all cores);
//!   d. moto's own ceiling: PUTs of the three objects a submission stores
//!      (the original, the display copy, the thumbnail), in turn;
//!   a. one replica, PostgreSQL, photos on disk (the reference);
//!   b. one replica, PostgreSQL, photos in moto;
//!   c. two replicas, the same database, keys and bucket, each with a data
//!      directory of its own, and two `wrk` at once, two connections each;
//!   a again, last, to show how much the machine drifted meanwhile.
//!
//! On a 2-core machine both replicas share the same two cores, with moto,
//! PostgreSQL and `wrk`: two replicas cannot be faster than one here. What
//! the run shows is whether they collapse below one (contention on the
//! database, or on the store), not how they scale on separate machines.

use crate::bench::{WrkRun, build_submit, pipeline_ceiling, prepare_submit, spawn_wrk, wrk_result};
use crate::{Result, free_port, output, s3, sh, step};
use aes_gcm::aead::OsRng;
use aes_gcm::aead::rand_core::RngCore;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::SecretKey;
use std::env;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECONDS: u32 = 20;
/// What `wrk` keeps open in all, split over the replicas.
const CONNECTIONS: u32 = 4;
const BUCKET: &str = "shanshui-bench";
/// The photo store's prefix in the bucket; moto's own PUTs go beside it.
const PREFIX: &str = "replicas";
/// A replica outlives a crashed or killed xtask by this much at most.
const REPLICA_LIFETIME_SECS: u32 = 600;

pub fn run() -> Result {
    let release = build_submit()?;
    let moto_bin = s3::moto_server()?;
    let work = env::temp_dir().join(format!("shanshui-bench-replicas-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let _work = RemoveOnDrop(work.clone());
    // Copies: another build may replace target/release meanwhile.
    let bin = work.join("shanshui");
    let bench = work.join("submit_bench");
    for (from, to) in [
        (release.join("shanshui"), &bin),
        (release.join("examples/submit_bench"), &bench),
    ] {
        fs::copy(&from, to).map_err(|e| format!("copying {}: {e}", from.display()))?;
    }
    prepare_submit(&bench, &work)?;

    // e first, with nothing else running.
    let ceiling = pipeline_ceiling(&bench, &work, SECONDS)?;

    step("starting moto (the S3 test server) and making a bucket");
    let moto = s3::start(&moto_bin, false)?;
    let moto_port = port_of(&moto.endpoint)?;
    let status = http(moto_port, "PUT", &format!("/{BUCKET}"), b"")?;
    if status != 200 {
        return Err(format!("moto answered {status} to creating the bucket"));
    }
    let moto_run = moto_ceiling(&work, moto_port)?;

    let db = Database::create()?;
    let shared = Shared::new(&db.url, &moto.endpoint);
    step("demo staff and areas, no cases, into the database");
    sh(shared
        .apply(&mut Command::new(&bin))
        .args(["demo", "--cases", "0", "--data-dir"])
        .arg(work.join("demo")))?;

    let post = work.join("post.lua");
    let store = format!("s3://{BUCKET}/{PREFIX}");
    let mut rows: Vec<(&str, &str, Vec<WrkRun>)> = Vec::new();
    for (label, what, replicas, store) in [
        ("a", "one replica, file store (reference)", 1, None),
        ("b", "one replica, S3 store (moto)", 1, Some(store.as_str())),
        (
            "c",
            "two replicas, S3 store (moto), 2 + 2 connections",
            2,
            Some(store.as_str()),
        ),
        ("a′", "a again, last (drift)", 1, None),
    ] {
        let servers = (0..replicas)
            .map(|i| Replica::start(&bin, &work.join(format!("{label}-{i}")), &shared, store))
            .collect::<Result<Vec<_>>>()?;
        for s in &servers {
            wait_ready(s.port)?;
        }
        step(&format!(
            "{label}: {what}: wrk POST /api/v1/reports, {CONNECTIONS} connections, {SECONDS} s"
        ));
        let each = CONNECTIONS / replicas;
        let runs = servers
            .iter()
            .map(|s| {
                let url = format!("http://127.0.0.1:{}/api/v1/reports", s.port);
                spawn_wrk(&post, &url, each.min(2), each, SECONDS)
            })
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .map(wrk_result)
            .collect::<Result<Vec<_>>>()?;
        drop(servers);
        rows.push((label, what, runs));
    }
    let filed = db.count("report");
    let objects = objects_under(moto_port, PREFIX);
    drop(moto);

    println!(
        "\n## submissions with one 2 MP photo, PostgreSQL: one replica and two, photos on disk and in S3 (moto) — wrk from 127.0.0.1, {CONNECTIONS} connections in all, {SECONDS} s each"
    );
    println!("| run | what | submissions/s | p50 | p99 | non-2xx | socket errors |");
    println!("|---|---|---|---|---|---|---|");
    let mut rates = Vec::new();
    for (label, what, runs) in &rows {
        let total: f64 = runs.iter().map(|r| r.rps).sum();
        let p50 = runs.iter().map(|r| r.p50_ms).fold(0.0, f64::max);
        let p99 = runs.iter().map(|r| r.p99_ms).fold(0.0, f64::max);
        let split = if runs.len() > 1 {
            let each: Vec<String> = runs.iter().map(|r| format!("{:.1}", r.rps)).collect();
            format!(" ({})", each.join(" + "))
        } else {
            String::new()
        };
        println!(
            "| {label} | {what} | {total:.1}{split} | {p50:.0} ms | {p99:.0} ms | {} | {} |",
            runs.iter().map(|r| r.non_2xx).sum::<u64>(),
            runs.iter().map(|r| r.socket_errors).sum::<u64>(),
        );
        rates.push((*label, total));
    }
    let rate = |label: &str| {
        rates
            .iter()
            .find(|(l, _)| *l == label)
            .map_or(f64::NAN, |(_, r)| *r)
    };
    let sets = moto_run.rps / 3.0;
    println!(
        "| d | moto alone: PUT original, display, thumbnail in turn, {CONNECTIONS} connections | {sets:.1} sets of three ({:.1} PUT/s) | {:.0} ms | {:.0} ms | {} | {} |",
        moto_run.rps, moto_run.p50_ms, moto_run.p99_ms, moto_run.non_2xx, moto_run.socket_errors
    );
    println!("| e | the photo pipeline's ceiling, all cores | {ceiling:.1} photos/s | | | | |");
    let (a, b, c, a2) = (rate("a"), rate("b"), rate("c"), rate("a′"));
    println!(
        "\nratios: b/a {:.2} (S3 in moto vs disk); c/b {:.2} (two replicas vs one); c/e {:.2}, b/e {:.2}, a/e {:.2} (vs the photo pipeline's ceiling); b/d {:.2}, c/d {:.2} (vs moto's ceiling); a′/a {:.2} (drift)",
        b / a,
        c / b,
        c / ceiling,
        b / ceiling,
        a / ceiling,
        b / sets,
        c / sets,
        a2 / a
    );
    let answered: u64 = rows
        .iter()
        .flat_map(|(_, _, runs)| runs)
        .map(|r| r.answered)
        .sum();
    println!(
        "reports in the database: {filed} (wrk counted {answered} answered 2xx; a request still in flight when wrk stops is filed but not counted); objects under {BUCKET}/{PREFIX}/: {objects}"
    );
    Ok(())
}

/// moto's own rate for the objects a submission writes, PUT in turn. Each
/// wrk thread cycles through names of its own, so that no two PUTs to one
/// name are ever in flight together (moto 5.2.1 answers 500 now and then to
/// concurrent overwrites of one object) and moto's memory stays bounded.
/// Signed in name only: moto refuses anonymous overwrites of a private
/// object, and checks no signature.
fn moto_ceiling(work: &Path, port: u16) -> Result<WrkRun> {
    let lua = work.join("put.lua");
    let file = |name: &str| work.join(name).display().to_string();
    fs::write(
        &lua,
        format!(
            "local threads = 0\n\
             function setup(thread)\n\
             \x20 threads = threads + 1\n\
             \x20 thread:set(\"id\", threads)\n\
             end\n\
             local function slurp(path)\n\
             \x20 local f = assert(io.open(path, \"rb\"))\n\
             \x20 local s = f:read(\"*a\")\n\
             \x20 f:close()\n\
             \x20 return s\n\
             end\n\
             local bodies = {{ slurp(\"{}\"), slurp(\"{}\"), slurp(\"{}\") }}\n\
             local names = {{ \"originals\", \"display\", \"thumbnails\" }}\n\
             local headers = {{\n\
             \x20 [\"Content-Type\"] = \"application/octet-stream\",\n\
             \x20 [\"Authorization\"] = \"AWS4-HMAC-SHA256 Credential=bench/20261205/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0\",\n\
             }}\n\
             local n = 0\n\
             request = function()\n\
             \x20 n = n + 1\n\
             \x20 local kind = n % 3 + 1\n\
             \x20 local path = \"/{BUCKET}/moto-ceiling/\" .. names[kind] .. \"/\" .. id .. \"-\" .. (n % 48)\n\
             \x20 return wrk.format(\"PUT\", path, headers, bodies[kind])\n\
             end\n",
            file("photo.jpg"),
            file("display.jpg"),
            file("thumbnail.jpg")
        ),
    )
    .map_err(|e| e.to_string())?;
    let sizes: Vec<String> = ["photo.jpg", "display.jpg", "thumbnail.jpg"]
        .iter()
        .map(|f| {
            let kb = fs::metadata(work.join(f)).map_or(0, |m| m.len()) / 1024;
            format!("{kb} KB")
        })
        .collect();
    step(&format!(
        "d: moto alone, PUTs of {}, {CONNECTIONS} connections, {SECONDS} s",
        sizes.join(", ")
    ));
    wrk_result(spawn_wrk(
        &lua,
        &format!("http://127.0.0.1:{port}/"),
        2,
        CONNECTIONS,
        SECONDS,
    )?)
}

/// What every replica shares: the database, the keys, and the store's
/// endpoint and credentials.
struct Shared {
    env: Vec<(&'static str, String)>,
}

impl Shared {
    fn new(database_url: &str, s3_endpoint: &str) -> Shared {
        let mut pii = [0u8; 32];
        OsRng.fill_bytes(&mut pii);
        let vapid = SecretKey::random(&mut OsRng).to_bytes();
        Shared {
            env: vec![
                ("DATABASE_URL", database_url.to_owned()),
                ("SHANSHUI_PII_KEY", STANDARD.encode(pii)),
                ("SHANSHUI_VAPID_KEY", URL_SAFE_NO_PAD.encode(vapid)),
                ("AWS_ENDPOINT_URL", s3_endpoint.to_owned()),
                ("AWS_REGION", "us-east-1".to_owned()),
                ("AWS_ACCESS_KEY_ID", "bench".to_owned()),
                ("AWS_SECRET_ACCESS_KEY", "bench".to_owned()),
                ("AWS_ALLOW_HTTP", "true".to_owned()),
                // One client address posts every report.
                ("SHANSHUI_SUBMIT_BURST", "1000000".to_owned()),
                ("SHANSHUI_SUBMIT_EVERY_SECS", "1".to_owned()),
                ("RUST_LOG", "warn".to_owned()),
            ],
        }
    }

    fn apply<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }
}

/// One `shanshui serve`, under `timeout` so that it cannot outlive a killed
/// xtask by more than [`REPLICA_LIFETIME_SECS`]; stopped by its own process
/// id when dropped.
pub(crate) struct Replica {
    child: Child,
    pub(crate) port: u16,
}

impl Replica {
    fn start(bin: &Path, data: &Path, shared: &Shared, store: Option<&str>) -> Result<Replica> {
        let mut args = Vec::new();
        if let Some(store) = store {
            args.extend(["--photo-store".to_owned(), store.to_owned()]);
        }
        Replica::serve(bin, data, &shared.env, &args)
    }

    /// `bin serve --bind 127.0.0.1:<a free port> --data-dir data args…`
    /// with `env` set.
    pub(crate) fn serve(
        bin: &Path,
        data: &Path,
        env: &[(&'static str, String)],
        args: &[String],
    ) -> Result<Replica> {
        let port = free_port()?;
        let mut cmd = Command::new("timeout");
        cmd.args(["--kill-after=10", &REPLICA_LIFETIME_SECS.to_string()])
            .arg(bin)
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data)
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        Ok(Replica { child, port })
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        // SIGTERM to `timeout`, which passes it on: the server's own
        // graceful stop. SIGKILL only if that has not ended it in 10 s.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh database on the local PostgreSQL, dropped when this is.
struct Database {
    name: String,
    url: String,
}

impl Database {
    fn create() -> Result<Database> {
        let name = format!("shanshui_bench_replicas_{}", std::process::id());
        step(&format!("creating the PostgreSQL database {name}"));
        sh(psql()
            .arg("-c")
            .arg(format!("drop database if exists {name}")))?;
        sh(psql().arg("-c").arg(format!("create database {name}")))?;
        Ok(Database {
            url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
            name,
        })
    }

    fn count(&self, table: &str) -> String {
        output(
            psql()
                .args(["-d", &self.name, "-Atc"])
                .arg(format!("select count(*) from {table}")),
        )
        .map_or_else(|| "?".to_owned(), |s| s.trim().to_owned())
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = psql()
            .arg("-c")
            .arg(format!(
                "drop database if exists {} with (force)",
                self.name
            ))
            .stdout(Stdio::null())
            .status();
    }
}

fn psql() -> Command {
    let mut c = Command::new("psql");
    c.args([
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
        "-v",
        "ON_ERROR_STOP=1",
        "-q",
    ]);
    c
}

pub(crate) struct RemoveOnDrop(pub(crate) PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn port_of(endpoint: &str) -> Result<u16> {
    endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("no port in {endpoint}"))
}

pub(crate) fn wait_ready(port: u16) -> Result {
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        if http(port, "GET", "/healthz", b"").is_ok_and(|s| s == 200) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "the server does not answer on port {port} within 30 s"
    ))
}

/// One HTTP/1.1 request on its own connection; answers the status.
fn http(port: u16, method: &str, path: &str, body: &[u8]) -> Result<u16> {
    Ok(http_text(port, method, path, body)?.0)
}

fn http_text(port: u16, method: &str, path: &str, body: &[u8]) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body))
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no HTTP status from port {port}"))?;
    Ok((status, text))
}

/// How many objects moto holds under `prefix` (ListObjectsV2, first page).
fn objects_under(port: u16, prefix: &str) -> String {
    http_text(
        port,
        "GET",
        &format!("/{BUCKET}?list-type=2&prefix={prefix}/"),
        b"",
    )
    .map_or_else(|e| e, |(_, text)| text.matches("<Key>").count().to_string())
}
