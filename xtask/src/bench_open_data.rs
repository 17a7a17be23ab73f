//! `cargo xtask bench-open-data`: what the public reads cost when the
//! micro-cache cannot answer (a crawler, a filtered query, a page nobody
//! asked for in the last 10 s), at 10,000 and 1,000,000 cases, on SQLite
//! and on PostgreSQL (issue 16).
//!
//! For each database and size: `case_bench --fill-only N` fills a fresh
//! database from the demo's generator, the release server serves it, and
//! `wrk` (2 threads, 64 connections, 10 s) from this process on 127.0.0.1
//! asks each public read with `If-None-Match`, which the micro-cache lets
//! through, so every request queries and renders, and with Chromium's
//! `Accept-Encoding`, so every answer is compressed as a browser's is. axum's hello world runs
//! beside it in the same run as the reference. Besides `wrk`'s rate and
//! latency, the CPU the server (and, on PostgreSQL, every PostgreSQL
//! process) used during the run is read from `/proc` and divided by the
//! requests answered: a request's whole cost, the database's included.
//!
//!   cargo xtask bench-open-data [--cases 10000,1000000] [--database sqlite|postgres|both]

use crate::bench::{build_release, wrk_field};
use crate::tools::ensure_wrk;
use crate::{Result, free_port, output, step};
use std::env;
use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// A server outlives a crashed or killed xtask by this much at most.
const SERVER_LIFETIME_SECS: u32 = 900;
/// A conditional request goes past the micro-cache: the cost of a miss.
const MISS: &str = "If-None-Match: \"bench\"";
/// What Chromium asks for: a browser's request is compressed, and that is
/// part of its cost (zstd for Chromium; see `server::middleware::compression`).
const BROWSER: &str = "Accept-Encoding: gzip, deflate, br, zstd";

/// What is read, uncached: (name, path).
const READS: [(&str, &str); 9] = [
    ("`/cases`, first page (HTML)", "/cases"),
    (
        "`/cases?category=burning_straw` (HTML)",
        "/cases?category=burning_straw",
    ),
    ("`/cases?page=500` (HTML)", "/cases?page=500"),
    ("`/api/v1/public/cases`", "/api/v1/public/cases"),
    (
        "`/api/v1/public/cases?state=open&page=50`",
        "/api/v1/public/cases?state=open&page=50",
    ),
    (
        "`/open311/v2/requests.json?service_code=noise_construction&status=closed`",
        "/open311/v2/requests.json?service_code=noise_construction&status=closed",
    ),
    (
        "`/open311/v2/requests.json` (the last 90 days)",
        "/open311/v2/requests.json",
    ),
    ("`/stats` (HTML)", "/stats"),
    ("`/api/v1/stats`", "/api/v1/stats"),
];

pub fn run(sizes: &str, databases: &str) -> Result {
    ensure_wrk()?;
    let sizes: Vec<u64> = sizes
        .split(',')
        .map(|s| {
            s.trim()
                .parse::<u64>()
                .map_err(|e| format!("--cases {s}: {e}"))
        })
        .collect::<Result<_>>()?;
    let databases: Vec<&str> = match databases {
        "both" => vec!["sqlite", "postgres"],
        "sqlite" | "postgres" => vec![databases],
        other => return Err(format!("--database {other}: sqlite, postgres or both")),
    };
    let release = build_release(&["case_bench", "hello"])?;
    let work = env::temp_dir().join(format!("shanshui-bench-reads-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let result = (|| -> Result {
        for database in &databases {
            for &cases in &sizes {
                measure(&release, &work, database, cases)?;
            }
        }
        Ok(())
    })();
    let _ = fs::remove_dir_all(&work);
    result
}

/// A database filled by `case_bench`, dropped (PostgreSQL) when done.
struct Filled {
    url: String,
    dropped: Option<String>,
}

impl Drop for Filled {
    fn drop(&mut self) {
        if let Some(name) = &self.dropped {
            let _ = Command::new("psql")
                .args([ADMIN_URL, "-qc"])
                .arg(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .status();
        }
    }
}

fn fill(release: &Path, work: &Path, database: &str, cases: u64) -> Result<Filled> {
    step(&format!("filling {database} with {cases} cases"));
    let dir = work.join(format!("{database}-{cases}"));
    let target = if database == "sqlite" {
        dir.display().to_string()
    } else {
        ADMIN_URL.to_owned()
    };
    let out = output(
        Command::new(release.join("examples/case_bench"))
            .args([database, &target, "--fill-only", &cases.to_string()])
            .stderr(Stdio::inherit()),
    )
    .ok_or("case_bench --fill-only failed")?;
    let url = out
        .lines()
        .find_map(|l| l.strip_prefix("database-url "))
        .ok_or("case_bench printed no database-url")?
        .trim()
        .to_owned();
    let dropped = (database == "postgres")
        .then(|| url.rsplit('/').next().map(str::to_owned))
        .flatten();
    Ok(Filled { url, dropped })
}

fn measure(release: &Path, work: &Path, database: &str, cases: u64) -> Result {
    let filled = fill(release, work, database, cases)?;
    let data = work.join(format!("data-{database}-{cases}"));
    let (port_a, port_b) = (free_port()?, free_port()?);
    let shanshui = Bounded::start(SERVER_LIFETIME_SECS, &release.join("shanshui"), &mut |c| {
        c.args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port_a}"),
            "--database-url",
            &filled.url,
            "--data-dir",
        ])
        .arg(&data)
        .env("RUST_LOG", "warn");
    })?;
    let hello = Bounded::start(
        SERVER_LIFETIME_SECS,
        &release.join("examples/hello"),
        &mut |c| {
            c.arg(format!("127.0.0.1:{port_b}"));
        },
    )?;
    std::thread::sleep(std::time::Duration::from_secs(3));
    let (server_pid, hello_pid) = (shanshui.pid(), hello.pid());
    println!(
        "\n## uncached public reads, {database}, {cases} cases (wrk: 2 threads, 64 connections, 10 s, 127.0.0.1)"
    );
    println!("| target | req/s | p50 | p99 | ratio to hello world | CPU per request |");
    println!("|---|---|---|---|---|---|");
    let reference = run_one(port_b, "/", &[], &[hello_pid], false)?;
    println!(
        "| axum hello world | {:.0} | {} | {} | 1.000 | {:.3} ms |",
        reference.rps, reference.p50, reference.p99, reference.cpu_ms
    );
    // Page 500 as the list's own links reach it: by keyset, from page 499's
    // `next` and from page 501's `prev`.
    let linked = [
        (
            "`/cases?page=500&after=…` (HTML, its next link)",
            "499",
            "next",
            "after",
        ),
        (
            "`/cases?page=500&before=…` (HTML, its prev link)",
            "501",
            "prev",
            "before",
        ),
    ]
    .into_iter()
    .filter_map(
        |(name, from, field, param)| match neighbour(port_a, from, field) {
            Ok(code) => Some((name.to_owned(), format!("/cases?page=500&{param}={code}"))),
            Err(e) => {
                eprintln!("{name}: not measured ({e})");
                None
            }
        },
    )
    .collect::<Vec<_>>();
    let reads = READS
        .iter()
        .map(|(name, path)| ((*name).to_owned(), (*path).to_owned()))
        .chain(linked);
    for (name, path) in reads {
        let path = path.as_str();
        // Warm up: what is held in memory is loaded, and the database pool
        // opens its connections (on PostgreSQL each is a process to charge).
        warm_up(port_a, path)?;
        let r = run_one(
            port_a,
            path,
            &[MISS, BROWSER],
            &[server_pid],
            database == "postgres",
        )?;
        println!(
            "| {name} | {:.0} | {} | {} | {:.3} | {:.3} ms |",
            r.rps,
            r.p50,
            r.p99,
            r.rps / reference.rps,
            r.cpu_ms
        );
    }
    let again = run_one(port_b, "/", &[], &[hello_pid], false)?;
    println!(
        "| axum hello world, again | {:.0} | {} | {} | {:.3} | {:.3} ms |",
        again.rps,
        again.p50,
        again.p99,
        again.rps / reference.rps,
        again.cpu_ms
    );
    drop(shanshui);
    drop(hello);
    drop(filled);
    let _ = fs::remove_dir_all(&data);
    Ok(())
}

/// The case a page's `next` or `prev` link names, from the public API.
fn neighbour(port: u16, page: &str, field: &str) -> Result<String> {
    let url = format!("http://127.0.0.1:{port}/api/v1/public/cases?page={page}");
    let body = output(Command::new("curl").args(["-sf", &url]))
        .ok_or_else(|| format!("curl could not read {url}"))?;
    let page: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    page[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{url} has no `{field}`: too few cases for page 500"))
}

fn warm_up(port: u16, path: &str) -> Result {
    let url = format!("http://127.0.0.1:{port}{path}");
    output(Command::new("wrk").args(["-t", "2", "-c", "64", "-d", "2s", "-H", MISS, &url]))
        .map(|_| ())
        .ok_or_else(|| format!("wrk could not warm {path} up"))
}

struct Run {
    rps: f64,
    p50: String,
    p99: String,
    /// CPU of the charged processes per answered request.
    cpu_ms: f64,
}

/// `charged`: the processes whose CPU the requests cost; with `postgres`,
/// PostgreSQL's too (`postgres_ticks`).
fn run_one(
    port: u16,
    path: &str,
    headers: &[&str],
    charged: &[u32],
    postgres: bool,
) -> Result<Run> {
    let url = format!("http://127.0.0.1:{port}{path}");
    let mut args = vec!["-t", "2", "-c", "64", "-d", "10s", "--latency"];
    for h in headers {
        args.extend(["-H", h]);
    }
    args.push(&url);
    let used = || -> Result<u64> {
        let database = if postgres {
            postgres_ticks().ok_or("PostgreSQL's postmaster was not found in /proc")?
        } else {
            0
        };
        Ok(charged.iter().map(|p| cpu_ticks(*p)).sum::<u64>() + database)
    };
    let before = used()?;
    let out = output(Command::new("wrk").args(&args)).ok_or("wrk failed")?;
    let after = used()?;
    let field = |prefix: &str| wrk_field(&out, prefix);
    if out.contains("Non-2xx or 3xx responses") {
        return Err(format!("{path}: answers other than 200 under load:\n{out}"));
    }
    let requests = out
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or(0.0);
    let ticks_per_second = 100.0; // USER_HZ on Linux
    Ok(Run {
        rps: field("Requests/sec:").parse().unwrap_or(0.0),
        p50: field("50%"),
        p99: field("99%"),
        cpu_ms: (after.saturating_sub(before)) as f64 / ticks_per_second * 1000.0
            / requests.max(1.0),
    })
}

/// utime + stime of a process, in clock ticks (0 once it is gone).
fn cpu_ticks(pid: u32) -> u64 {
    stat_fields(pid).map_or(0, |f| f.utime + f.stime)
}

struct Stat {
    parent: u32,
    utime: u64,
    stime: u64,
    /// CPU of the children the process has waited for (cutime + cstime).
    reaped: u64,
}

fn stat_fields(pid: u32) -> Option<Stat> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name, in parentheses, may hold spaces: count from after it.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Field 4 of the whole line (ppid) is the 2nd after ')', fields 14 to
    // 17 (utime, stime, cutime, cstime) the 12th to 15th.
    let at = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    Some(Stat {
        parent: u32::try_from(at(1)?).ok()?,
        utime: at(11)?,
        stime: at(12)?,
        reaped: at(13)? + at(14)?,
    })
}

/// All the CPU PostgreSQL's processes have used, in clock ticks: the
/// postmaster's own, what the backends still running have used, and what
/// those that ended used (the postmaster reaps its backends, so their time
/// is in its cutime and cstime). Summing the running processes alone, as
/// this benchmark did before, lost every backend that ended during a run
/// and could come out negative; the difference of this total is whole.
fn postgres_ticks() -> Option<u64> {
    let processes = processes_named("postgres");
    let stats: Vec<(u32, Stat)> = processes
        .iter()
        .filter_map(|p| Some((*p, stat_fields(*p)?)))
        .collect();
    let (postmaster, own) = stats.iter().find(|(_, s)| !processes.contains(&s.parent))?;
    let children: u64 = stats
        .iter()
        .filter(|(_, s)| s.parent == *postmaster)
        .map(|(_, s)| s.utime + s.stime)
        .sum();
    Some(own.utime + own.stime + own.reaped + children)
}

/// The process `timeout` started.
fn child_of(pid: u32) -> Option<u32> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Every process whose command is `name` (PostgreSQL's backends and workers).
fn processes_named(name: &str) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
        })
        .collect()
}

/// A server started under `timeout` (so it dies with a killed xtask too),
/// stopped by its own process id when dropped.
struct Bounded(Child);

impl Bounded {
    fn start(
        lifetime_secs: u32,
        program: &Path,
        args: &mut dyn FnMut(&mut Command),
    ) -> Result<Self> {
        let mut command = Command::new("timeout");
        command.arg(lifetime_secs.to_string()).arg(program);
        args(&mut command);
        Ok(Bounded(command.spawn().map_err(|e| e.to_string())?))
    }

    /// The server's own process id (`timeout`'s child).
    fn pid(&self) -> u32 {
        child_of(self.0.id()).unwrap_or(self.0.id())
    }
}

impl Drop for Bounded {
    fn drop(&mut self) {
        let pid = self.pid();
        if pid != self.0.id() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        } else {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}
