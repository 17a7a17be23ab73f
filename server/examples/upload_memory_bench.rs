//! Upload memory under attack (issue 11, class 9): a release `shanshui serve`
//! on 127.0.0.1 with demo data, its resident memory read from
//! `/proc/PID/status` before and during each load. `cargo xtask
//! bench-upload-memory` builds and drives it.
//!
//!   upload_memory_bench serve-loads DIR BIN [BIN…]   each load on a fresh server per binary
//!   upload_memory_bench estimates DIR                 decode estimates beside measured peaks
//!   upload_memory_bench decode FILE                   (child) one photo through `process`
//!
//! The loads, each from as many threads as requests, all at once:
//!
//! - **(a1)** twenty 47 MiB multipart reports, each one 47 MiB "photo";
//! - **(a2)** twenty 47 MiB reports, each three photos within the 20 MB cap
//!   (20 + 20 + 7 MiB), so only the budget stops them, not a cap;
//! - **(b)** six reports, each a progressive 4:2:0 JPEG of 49 megapixels
//!   (8100 × 6050, made here with jpeg-encoder).
//!
//! Growth is the peak (`VmHWM`, reset with `clear_refs` once the server is
//! idle) over the idle `VmRSS`; the sampled maximum of `VmRSS` is printed
//! beside it. The rate limit is raised for the run: one client sends all.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use server::photos::{PhotoLimits, inspect, process};

const BOUNDARY: &str = "shanshui-memory-bench";
const MIB: usize = 1024 * 1024;

/// `VmRSS` and `VmHWM` of a process, in bytes.
fn memory(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    Ok((
        field("VmRSS:").context("no VmRSS")?,
        field("VmHWM:").context("no VmHWM")?,
    ))
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Photo-like pixels: sky, a ridge, textured ground, a little sensor noise.
fn photo_pixels(width: usize, height: usize) -> Vec<u8> {
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    let mut rgb = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        let fy = y as f32 / height as f32;
        for x in 0..width {
            let fx = x as f32 / width as f32;
            let ridge = 0.45 + 0.08 * (fx * 7.0).sin() + 0.03 * (fx * 31.0).sin();
            let (r, g, b) = if fy < ridge {
                let t = fy / ridge;
                (110.0 + 120.0 * t, 150.0 + 90.0 * t, 235.0 + 15.0 * t)
            } else {
                let t = (fy - ridge) / (1.0 - ridge);
                let leaves = ((x as f32 * 0.9).sin() * (y as f32 * 1.3).cos()) * 20.0;
                (
                    70.0 + 60.0 * t + leaves,
                    95.0 + 30.0 * t + leaves,
                    45.0 + 20.0 * t + leaves * 0.5,
                )
            };
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let noise = |shift: u32| ((rng >> shift) & 0x07) as f32 - 3.5;
            rgb.extend([
                (r + noise(0)) as u8,
                (g + noise(8)) as u8,
                (b + noise(16)) as u8,
            ]);
        }
    }
    rgb
}

fn encode_jpeg(
    width: u16,
    height: u16,
    progressive: bool,
    full_chroma: bool,
    quality: u8,
) -> anyhow::Result<Vec<u8>> {
    let pixels = photo_pixels(usize::from(width), usize::from(height));
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_progressive(progressive);
    encoder.set_sampling_factor(if full_chroma {
        jpeg_encoder::SamplingFactor::F_1_1
    } else {
        jpeg_encoder::SamplingFactor::F_2_2
    });
    encoder.encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)?;
    Ok(out)
}

/// A CMYK JPEG, which only the `image` crate decodes here.
fn cmyk_jpeg(width: u16, height: u16) -> anyhow::Result<Vec<u8>> {
    let rgb = photo_pixels(usize::from(width), usize::from(height));
    let cmyk: Vec<u8> = rgb
        .chunks_exact(3)
        .flat_map(|p| [255 - p[0], 255 - p[1], 255 - p[2], 0])
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90).encode(
        &cmyk,
        width,
        height,
        jpeg_encoder::ColorType::Cmyk,
    )?;
    Ok(out)
}

/// `jpeg` with its last scan repeated `n` more times: more scans than the
/// libjpeg path takes, so jpeg-decoder decodes it.
fn with_extra_scans(jpeg: &[u8], n: usize) -> Vec<u8> {
    let last = jpeg
        .windows(2)
        .rposition(|w| w == [0xFF, 0xDA])
        .unwrap_or(0);
    let end = jpeg.len().saturating_sub(2);
    let mut out = jpeg[..end].to_vec();
    for _ in 0..n {
        out.extend_from_slice(&jpeg[last..end]);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

fn text_part(name: &str, value: &str) -> Vec<u8> {
    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        .into_bytes()
}

fn file_part(bytes: &[u8]) -> Vec<u8> {
    let mut part = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    part.extend_from_slice(bytes);
    part.extend_from_slice(b"\r\n");
    part
}

/// A report (Yudong, inside Banan) with these photos.
fn report(photos: &[&[u8]]) -> Vec<u8> {
    let mut body: Vec<u8> = [
        ("category", "other"),
        ("description", "上传内存基准测试"),
        ("lat", "29.3752"),
        ("lon", "106.5101"),
    ]
    .iter()
    .flat_map(|(k, v)| text_part(k, v))
    .collect();
    for p in photos {
        body.extend_from_slice(&file_part(p));
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Bytes that begin like a JPEG and are noise after that.
fn junk_jpeg(len: usize) -> Vec<u8> {
    let mut rng = 0x2545_F491_4F6C_DD1D_u64;
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0];
    out.extend((4..len).map(|_| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng >> 24) as u8
    }));
    out
}

/// Posts `body` on its own connection, reading the answer while writing
/// (the server may answer and close before the body is sent). Answers the
/// status, or 0 when the connection ended without one.
fn post(port: u16, body: &[u8]) -> u16 {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(300)));
    let Ok(mut reader) = stream.try_clone() else {
        return 0;
    };
    let reading = std::thread::spawn(move || {
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        while !answer.windows(2).any(|w| w == b"\r\n") {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&answer)
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    });
    let head = format!(
        "POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if stream.write_all(head.as_bytes()).is_ok() {
        // Broken off by an early answer: the reader has it.
        let _ = stream.write_all(body);
    }
    reading.join().unwrap_or(0)
}

/// A `shanshui serve` of its own, killed (by its process id) when dropped
/// or, at the latest, after ten minutes.
struct Server {
    child: Child,
    port: u16,
    stopped: Arc<AtomicBool>,
}

impl Server {
    fn start(bin: &Path, data: &Path) -> anyhow::Result<Self> {
        let _ = std::fs::remove_dir_all(data);
        let status = Command::new(bin)
            .args(["demo", "--data-dir"])
            .arg(data)
            .stderr(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("{} demo failed", bin.display());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(bin)
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data)
            .env("SHANSHUI_SUBMIT_BURST", "1000000")
            .env("SHANSHUI_SUBMIT_EVERY_SECS", "1")
            .env("RUST_LOG", "warn")
            .stderr(Stdio::null())
            .spawn()?;
        let stopped = Arc::new(AtomicBool::new(false));
        let (pid, flag) = (child.id(), stopped.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(600));
            if !flag.load(Ordering::SeqCst) {
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
        });
        let server = Server {
            child,
            port,
            stopped,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("the server did not start");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Measured {
    idle: u64,
    peak: u64,
    sampled: u64,
    statuses: Vec<u16>,
    seconds: f64,
}

/// Starts a fresh server, lets it settle, resets its peak, then sends every
/// body at once and watches its memory until all are answered.
fn measure(bin: &Path, data: &Path, bodies: &[Arc<Vec<u8>>]) -> anyhow::Result<Measured> {
    let server = Server::start(bin, data)?;
    let pid = server.child.id();
    std::thread::sleep(Duration::from_secs(2));
    // Resets VmHWM to the current RSS (Linux ≥ 4.0), so start-up does not count.
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")?;
    let (idle, _) = memory(pid)?;
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut max = 0;
            while !done.load(Ordering::SeqCst) {
                if let Ok((rss, _)) = memory(pid) {
                    max = max.max(rss);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            max
        })
    };
    let started = Instant::now();
    let senders: Vec<_> = bodies
        .iter()
        .map(|b| {
            let (b, port) = (b.clone(), server.port);
            std::thread::spawn(move || post(port, &b))
        })
        .collect();
    let statuses = senders.into_iter().map(|s| s.join().unwrap_or(0)).collect();
    let seconds = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(200));
    done.store(true, Ordering::SeqCst);
    let sampled = sampler.join().unwrap_or(0);
    let (_, peak) = memory(pid)?;
    drop(server);
    Ok(Measured {
        idle,
        peak,
        sampled,
        statuses,
        seconds,
    })
}

fn tally(statuses: &[u16]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for s in statuses {
        *counts.entry(*s).or_insert(0) += 1;
    }
    counts
        .iter()
        .map(|(s, n)| {
            if *s == 0 {
                format!("{n}× cut off")
            } else {
                format!("{n}× {s}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn serve_loads(dir: &Path, bins: &[PathBuf]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    eprintln!("making a progressive 8100×6050 JPEG…");
    let big = encode_jpeg(8100, 6050, true, false, 85)?;
    eprintln!("{:.1} MB", mb(big.len() as u64));
    if big.len() > 20 * MIB {
        bail!("the 49 MP photo came out over 20 MB");
    }
    let a1 = Arc::new(report(&[&junk_jpeg(47 * MIB - 1024)]));
    let (twenty, seven) = (junk_jpeg(20 * MIB - 1024), junk_jpeg(7 * MIB - 4096));
    let a2 = Arc::new(report(&[&twenty, &twenty, &seven]));
    let b = Arc::new(report(&[&big]));
    let loads: [(&str, Vec<Arc<Vec<u8>>>); 3] = [
        ("(a1) 20 × 47 MiB, one photo each", vec![a1; 20]),
        ("(a2) 20 × 47 MiB, photos of 20 + 20 + 7 MiB", vec![a2; 20]),
        ("(b) 6 × progressive 49 MP JPEG", vec![b; 6]),
    ];
    println!(
        "| server | load | idle RSS | peak RSS | growth | sampled max growth | answers | seconds |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for bin in bins {
        for (name, bodies) in &loads {
            let m = measure(bin, &dir.join("data"), bodies)?;
            println!(
                "| {} | {name} | {:.0} MB | {:.0} MB | **{:.0} MB** | {:.0} MB | {} | {:.1} |",
                bin.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
                mb(m.idle),
                mb(m.peak),
                mb(m.peak.saturating_sub(m.idle)),
                mb(m.sampled.saturating_sub(m.idle)),
                tally(&m.statuses),
                m.seconds
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir.join("data"));
    Ok(())
}

/// Child mode: one photo through `process`; prints the estimate and the
/// growth of this process's peak over its RSS just before.
fn decode(file: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file)?;
    let limits = PhotoLimits {
        max_alloc: u64::MAX,
        max_bytes: usize::MAX,
        ..PhotoLimits::default()
    };
    let estimate = inspect(&bytes, &limits).map(|p| p.peak_bytes);
    let pid = std::process::id();
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")?;
    let (before, _) = memory(pid)?;
    let result = process(&bytes, &limits);
    let (_, peak) = memory(pid)?;
    match (estimate, result) {
        (Ok(e), Ok(_)) => println!("ok {e} {}", peak.saturating_sub(before)),
        (e, r) => println!("error {:?} {:?}", e.err(), r.err()),
    }
    Ok(())
}

fn estimates(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "baseline JPEG 4000×3000 4:2:0 (libjpeg)",
            encode_jpeg(4000, 3000, false, false, 90)?,
        ),
        (
            "baseline JPEG 8100×6050 4:2:0 (libjpeg)",
            encode_jpeg(8100, 6050, false, false, 85)?,
        ),
        (
            "progressive JPEG 4000×3000 4:2:0 (libjpeg)",
            encode_jpeg(4000, 3000, true, false, 90)?,
        ),
        (
            "progressive JPEG 8100×6050 4:2:0 (libjpeg)",
            encode_jpeg(8100, 6050, true, false, 85)?,
        ),
        (
            "progressive JPEG 5000×4000 4:4:4 (libjpeg)",
            encode_jpeg(5000, 4000, true, true, 85)?,
        ),
        (
            "progressive JPEG 4000×3000 4:2:0, 40 scans (jpeg-decoder)",
            with_extra_scans(&encode_jpeg(4000, 3000, true, false, 90)?, 30),
        ),
        ("CMYK JPEG 4000×3000 (image)", cmyk_jpeg(4000, 3000)?),
    ];
    for (name, w, h, alpha) in [
        ("PNG 4000×3000 RGB", 4000, 3000, false),
        ("PNG 4000×3000 RGBA", 4000, 3000, true),
    ] {
        let rgb = photo_pixels(w, h);
        let img: image::DynamicImage = if alpha {
            let rgba = rgb
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 200])
                .collect();
            image::RgbaImage::from_raw(w as u32, h as u32, rgba)
                .context("rgba")?
                .into()
        } else {
            image::RgbImage::from_raw(w as u32, h as u32, rgb)
                .context("rgb")?
                .into()
        };
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)?;
        cases.push((name, out.into_inner()));
        if !alpha {
            let mut out = std::io::Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::WebP)?;
            cases.push(("WebP 4000×3000 lossless", out.into_inner()));
        }
    }
    let me = std::env::current_exe()?;
    println!("| photo | file | estimate | measured peak growth | estimate / measured |");
    println!("|---|---|---|---|---|");
    for (name, bytes) in cases {
        let path = dir.join("photo.bin");
        std::fs::write(&path, &bytes)?;
        let out = Command::new(&me).arg("decode").arg(&path).output()?;
        let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let numbers: Vec<u64> = match line.strip_prefix("ok ") {
            Some(rest) => rest
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect(),
            None => Vec::new(),
        };
        match numbers[..] {
            [estimate, measured] => println!(
                "| {name} | {:.1} MB | {:.0} MB | {:.0} MB | {:.2} |",
                mb(bytes.len() as u64),
                mb(estimate),
                mb(measured),
                estimate as f64 / measured.max(1) as f64
            ),
            _ => println!("| {name} | {:.1} MB | {line} | | |", mb(bytes.len() as u64)),
        }
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["serve-loads", dir, bins @ ..] if !bins.is_empty() => serve_loads(
            Path::new(dir),
            &bins.iter().map(PathBuf::from).collect::<Vec<_>>(),
        ),
        ["estimates", dir] => estimates(Path::new(dir)),
        ["decode", file] => decode(Path::new(file)),
        _ => bail!(
            "usage: upload_memory_bench serve-loads DIR BIN [BIN…] | estimates DIR | decode FILE"
        ),
    }
}
