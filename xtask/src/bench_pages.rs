//! `cargo xtask bench-pages`: what each page costs a phone on a weak network
//! (issue 15), measured by Lighthouse 12.2.3 (npm, on this machine's Node
//! and Debian's Chromium) with its mobile preset (simulated slow 4G at
//! 150 ms round trips, a CPU four times slower), against the release build
//! serving the demo district.
//!
//! Each page is opened directly, three times; the table gives each number's
//! median: the four category scores, first and largest contentful paint,
//! total blocking time, and the requests and bytes as sent — all of them,
//! and the script and WebAssembly among them. Map tiles come from a local
//! stand-in tile server (the machine reaches no tile server) and are left
//! out of the requests and bytes, as a real tile server's would be.

use crate::bench_replicas::{RemoveOnDrop, Replica, wait_ready};
use crate::{Result, root, sh, site_root, step, target_dir};
use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

const LIGHTHOUSE: &str = "12.2.3";
const RUNS: usize = 3;
const PASSWORD: &str = "bench-pages only, never a real password 2026";

/// `only`: measure just the pages whose label starts with it (`/admin`).
pub fn run(cases: u32, only: Option<&str>) -> Result {
    let lighthouse = crate::tools::ensure_npm("lighthouse", LIGHTHOUSE, "cli/index.js")?;
    crate::build(true)?;
    let bin = target_dir().join("release/shanshui");
    let data = std::env::temp_dir().join(format!("shanshui-bench-pages-{}", std::process::id()));
    let _ = fs::remove_dir_all(&data);
    let _cleanup = RemoveOnDrop(data.clone());
    let tiles = tile_server()?;
    let env = [
        ("SHANSHUI_DEMO_PASSWORD", PASSWORD.to_owned()),
        ("SHANSHUI_SITE_ROOT", site_root().display().to_string()),
        (
            "SHANSHUI_TILE_URL",
            format!("http://127.0.0.1:{tiles}/{{z}}/{{x}}/{{y}}.png"),
        ),
        ("RUST_LOG", "warn".to_owned()),
    ];
    step(&format!("loading the demo district with {cases} cases"));
    let mut demo = Command::new(&bin);
    demo.args(["demo", "--cases", &cases.to_string(), "--data-dir"])
        .arg(&data)
        .current_dir(root());
    for (k, v) in &env {
        demo.env(k, v);
    }
    sh(&mut demo)?;
    let server = Replica::serve(&bin, &data, &env, &[])?;
    wait_ready(server.port)?;
    let base = format!("http://127.0.0.1:{}", server.port);

    let code = first_disclosed_case(&base)?;
    let cookie = sign_in(&base)?;
    let (filed, secret) = file_report(&base)?;
    // Each page as opened directly; `/track` also as the receipt's link
    // opens it, which looks the case up (labelled without the secret).
    let pages: Vec<(String, String, Option<&str>)> = vec![
        ("/".to_owned(), "/".to_owned(), None),
        ("/cases".to_owned(), "/cases".to_owned(), None),
        (format!("/cases/{code}"), format!("/cases/{code}"), None),
        ("/stats".to_owned(), "/stats".to_owned(), None),
        ("/info".to_owned(), "/info".to_owned(), None),
        ("/report".to_owned(), "/report".to_owned(), None),
        ("/track".to_owned(), "/track".to_owned(), None),
        (
            "/track#code=…&secret=…".to_owned(),
            format!("/track#code={filed}&secret={secret}"),
            None,
        ),
        // The console, a page from each of its parts (`pages::admin::routes`):
        // the lists, one case, setting the district up; and the intake form.
        (
            "/admin/queue".to_owned(),
            "/admin/queue".to_owned(),
            Some(cookie.as_str()),
        ),
        (
            "/admin/cases/{code}".to_owned(),
            format!("/admin/cases/{code}"),
            Some(cookie.as_str()),
        ),
        (
            "/admin/users".to_owned(),
            "/admin/users".to_owned(),
            Some(cookie.as_str()),
        ),
        (
            "/admin/intake".to_owned(),
            "/admin/intake".to_owned(),
            Some(cookie.as_str()),
        ),
    ];
    let pages = pages
        .into_iter()
        .filter(|(label, ..)| only.is_none_or(|prefix| label.starts_with(prefix)));
    let mut rows = Vec::new();
    for (label, page, cookie) in pages {
        step(&format!("Lighthouse ×{RUNS}: {label}"));
        let mut runs = Vec::new();
        for _ in 0..RUNS {
            runs.push(lighthouse_once(
                &lighthouse,
                &format!("{base}{page}"),
                cookie,
                tiles,
            )?);
        }
        rows.push((label, median(&runs)));
    }
    println!(
        "\n## Lighthouse {LIGHTHOUSE}, mobile preset, median of {RUNS} (release build, demo district of {cases} cases)"
    );
    println!(
        "| page | performance | accessibility | best practices | SEO | FCP | LCP | TBT | CLS | Speed Index | requests | KB sent | KB script + wasm |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (page, m) in rows {
        println!(
            "| `{page}` | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} s | {:.1} s | {:.0} ms | {:.3} | {:.1} s | {:.0} | {:.0} | {:.0} |",
            m[0],
            m[1],
            m[2],
            m[3],
            m[4] / 1000.0,
            m[5] / 1000.0,
            m[6],
            m[10],
            m[11] / 1000.0,
            m[7],
            m[8] / 1024.0,
            m[9] / 1024.0
        );
    }
    Ok(())
}

/// One Lighthouse run: the scores (0–100), FCP, LCP and TBT in ms, the
/// requests, the bytes sent and the script and WebAssembly bytes among them,
/// then the layout shift and the Speed Index (ms).
fn lighthouse_once(
    cli: &PathBuf,
    url: &str,
    cookie: Option<&str>,
    tiles: u16,
) -> Result<[f64; 12]> {
    let mut c = Command::new("node");
    c.arg(cli)
        .arg(url)
        .args([
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            "--only-categories=performance,accessibility,best-practices,seo",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ])
        .env("CHROME_PATH", "/usr/bin/chromium");
    if let Some(cookie) = cookie {
        c.arg(format!(
            "--extra-headers={}",
            serde_json::json!({ "Cookie": cookie })
        ));
    }
    let out = c
        .output()
        .map_err(|e| format!("cannot run Lighthouse: {e}"))?;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "Lighthouse gave no report for {url}: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let score = |c: &str| report["categories"][c]["score"].as_f64().unwrap_or(0.0) * 100.0;
    let audit = |a: &str| {
        report["audits"][a]["numericValue"]
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    let tile_origin = format!("http://127.0.0.1:{tiles}/");
    let items = report["audits"]["network-requests"]["details"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let items: Vec<_> = items
        .iter()
        .filter(|i| {
            !i["url"]
                .as_str()
                .unwrap_or_default()
                .starts_with(&tile_origin)
        })
        .collect();
    let sent = |i: &&serde_json::Value| i["transferSize"].as_f64().unwrap_or(0.0);
    // Folded from +0.0: `sum` of no floats is -0.0, printed "-0".
    let code = items
        .iter()
        .filter(|i| {
            i["resourceType"] == "Script"
                || i["url"].as_str().unwrap_or_default().ends_with(".wasm")
        })
        .map(sent)
        .fold(0.0, |a, b| a + b);
    Ok([
        score("performance"),
        score("accessibility"),
        score("best-practices"),
        score("seo"),
        audit("first-contentful-paint"),
        audit("largest-contentful-paint"),
        audit("total-blocking-time"),
        items.len() as f64,
        items.iter().map(sent).fold(0.0, |a, b| a + b),
        code,
        audit("cumulative-layout-shift"),
        audit("speed-index"),
    ])
}

/// Each number's median over the runs.
fn median(runs: &[[f64; 12]]) -> [f64; 12] {
    let mut m = [0.0; 12];
    for (i, slot) in m.iter_mut().enumerate() {
        let mut v: Vec<f64> = runs.iter().map(|r| r[i]).collect();
        v.sort_by(f64::total_cmp);
        *slot = v[v.len() / 2];
    }
    m
}

fn curl(args: &[&str]) -> Result<String> {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "30"])
        .args(args)
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A disclosed case of the demo's, for its public page.
fn first_disclosed_case(base: &str) -> Result<String> {
    let body = curl(&[&format!(
        "{base}/api/v1/public/cases?disclosed=true&page_size=1"
    )])?;
    let page: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("public cases: {e}: {body}"))?;
    page["items"][0]["code"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no disclosed case in the demo: {body}"))
}

/// A resident's report, filed for `/track` to show: its code and secret.
fn file_report(base: &str) -> Result<(String, String)> {
    let body = curl(&[
        "-F",
        "category=noise_construction",
        "-F",
        "description=工地每晚十一点以后还在打桩，噪声很大",
        "-F",
        "lat=29.3752",
        "-F",
        "lon=106.5101",
        "-F",
        "answers={}",
        &format!("{base}/api/v1/reports"),
    ])?;
    let receipt: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("filing a report: {e}: {body}"))?;
    match (
        receipt["tracking_code"].as_str(),
        receipt["secret"].as_str(),
    ) {
        (Some(code), Some(secret)) => Ok((code.to_owned(), secret.to_owned())),
        _ => Err(format!("filing a report: {body}")),
    }
}

/// The demo admin's session cookie, for the console's page.
fn sign_in(base: &str) -> Result<String> {
    let body = serde_json::json!({ "username": "admin", "password": PASSWORD }).to_string();
    let answer = curl(&[
        "-i",
        "-X",
        "POST",
        "-H",
        "content-type: application/json",
        "-d",
        &body,
        &format!("{base}/api/v1/session"),
    ])?;
    answer
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.trim().split(';').next())
        .find(|c| c.starts_with("shanshui_session="))
        .map(str::to_owned)
        .ok_or_else(|| format!("the demo admin could not sign in: {answer}"))
}

/// A stand-in tile server on 127.0.0.1: a blank PNG for any path,
/// so the report form's map loads as it would (tiles are not counted).
fn tile_server() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let png = blank_tile();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut request = [0u8; 2048];
            let _ = stream.read(&mut request);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nAccess-Control-Allow-Origin: *\r\nCache-Control: max-age=3600\r\nConnection: close\r\n\r\n",
                png.len()
            );
            let _ = stream
                .write_all(head.as_bytes())
                .and_then(|_| stream.write_all(&png));
        }
    });
    Ok(port)
}

/// A PNG of one pale pixel (the map stretches it over the tile).
fn blank_tile() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90,
        0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x78,
        0xf7, 0xe9, 0x3d, 0x00, 0x05, 0xa1, 0x02, 0xd0, 0x4a, 0xaf, 0x31, 0xff, 0x00, 0x00, 0x00,
        0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ]
}
