//! The photo pipeline against `vipsthumbnail` and ImageMagick on the same
//! 12-megapixel JPEG, in the same run (issue 3). Results are ratios.
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/target-photos cargo run --release -p server --example photo_bench [-- PHOTO.jpg] [--iterations 10]
//! ```
//!
//! Without a path it writes a photo-like 4000×3000 JPEG (sky, hills,
//! textured ground, sensor noise; quality 90, 4:2:0 like a phone camera)
//! carrying EXIF orientation 6 and a GPS position, so every tool has to
//! rotate. Per iteration it times, in turn:
//!
//! - our `process` in this process (EXIF, decode, orient, both resizes, both
//!   encodes, SHA-256);
//! - the same as a child process (`--one`: start-up, read the file, process,
//!   write both copies), which is what the other two are measured as;
//! - `process` in a long-lived child whose glibc malloc is tuned
//!   (`GLIBC_TUNABLES`, see `TUNED_MALLOC`), timed inside that child;
//! - `vipsthumbnail -s 1600x1600 -o out.jpg[Q=80,strip] in.jpg`;
//! - `/usr/bin/convert in.jpg -auto-orient -resize 1600x1600 -strip -quality 80 out.jpg`
//!   (`/usr/local/bin/convert` may be a stand-in on these machines).
//!
//! `--write PATH` only writes the synthetic photo, to try it elsewhere.
//!
//! Peak memory is the maximum resident set size of one more run of each
//! command under `/usr/bin/time -f %M`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use server::photos::{PhotoLimits, process};

const VIPSTHUMBNAIL: &str = "/usr/bin/vipsthumbnail";
const CONVERT: &str = "/usr/bin/convert";
const TIME: &str = "/usr/bin/time";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--one") => {
            return one(
                args.get(1).context("--one INPUT OUTDIR")?,
                args.get(2).context("--one INPUT OUTDIR")?,
            );
        }
        Some("--serve") => return serve(args.get(1).context("--serve INPUT")?),
        Some("--write") => {
            let path = args.get(1).context("--write PATH")?;
            return Ok(std::fs::write(path, synthetic_photo(4000, 3000)?)?);
        }
        _ => {}
    }
    let mut iterations = 10usize;
    let mut input = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--iterations" | "-n" => iterations = rest.next().context("--iterations N")?.parse()?,
            path => input = Some(PathBuf::from(path)),
        }
    }
    for tool in [VIPSTHUMBNAIL, CONVERT] {
        if !Path::new(tool).exists() {
            bail!("{tool} is missing: apt-get install libvips-tools imagemagick");
        }
    }

    let load_before = loadavg();
    let dir = tempfile::tempdir()?;
    let input = match input {
        Some(path) => path,
        None => {
            let path = dir.path().join("photo.jpg");
            std::fs::write(&path, synthetic_photo(4000, 3000)?)?;
            path
        }
    };
    let bytes = std::fs::read(&input)?;
    let limits = PhotoLimits::default();
    let me = std::env::current_exe()?;
    let out = |name: &str| dir.path().join(name);
    let path = |p: &Path| p.to_string_lossy().into_owned();

    let ours_child: Vec<String> = vec![path(&me), "--one".into(), path(&input), path(dir.path())];
    let vips: Vec<String> = vec![
        VIPSTHUMBNAIL.into(),
        "-s".into(),
        "1600x1600".into(),
        "-o".into(),
        format!("{}[Q=80,strip]", path(&out("vips.jpg"))),
        path(&input),
    ];
    let magick: Vec<String> = vec![
        CONVERT.into(),
        path(&input),
        "-auto-orient".into(),
        "-resize".into(),
        "1600x1600".into(),
        "-strip".into(),
        "-quality".into(),
        "80".into(),
        path(&out("magick.jpg")),
    ];

    // A long-lived child that runs `process` when asked, like a server
    // whose glibc malloc is tuned (see `TUNED_MALLOC`).
    let mut tuned = Command::new(&me)
        .args(["--serve", &path(&input)])
        .env("GLIBC_TUNABLES", TUNED_MALLOC)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut tuned_in = tuned.stdin.take().context("child stdin")?;
    let mut tuned_out = BufReader::new(tuned.stdout.take().context("child stdout")?);
    let mut tuned_run = move || -> anyhow::Result<Duration> {
        writeln!(tuned_in)?;
        let mut line = String::new();
        tuned_out.read_line(&mut line)?;
        Ok(Duration::from_micros(
            line.trim().parse().context("child's answer")?,
        ))
    };

    // One warm-up of each (page cache, dynamic loader), not counted.
    let first = process(&bytes, &limits)?;
    tuned_run()?;
    for cmd in [&ours_child, &vips, &magick] {
        run(cmd)?;
    }

    let mut t_ours = Vec::new();
    let mut t_child = Vec::new();
    let mut t_vips = Vec::new();
    let mut t_magick = Vec::new();
    let mut t_tuned = Vec::new();
    for _ in 0..iterations {
        let started = Instant::now();
        let p = process(&bytes, &limits)?;
        t_ours.push(started.elapsed());
        drop(p);
        t_tuned.push(tuned_run()?);
        t_child.push(run(&ours_child)?);
        t_vips.push(run(&vips)?);
        t_magick.push(run(&magick)?);
    }
    drop(tuned_run);
    tuned.wait()?;

    let rss_child = peak_rss_kb(&ours_child)?;
    let rss_vips = peak_rss_kb(&vips)?;
    let rss_magick = peak_rss_kb(&magick)?;

    let (w, h) = jpeg_size(&bytes)?;
    println!(
        "input: {} ({w}×{h}, {:.2} MB)",
        input.display(),
        bytes.len() as f64 / 1e6
    );
    println!(
        "outputs: ours display {:?} {} KB + thumbnail {:?} {} KB; vips {:?} {} KB; ImageMagick {:?} {} KB",
        jpeg_size(&first.display)?,
        first.display.len() / 1000,
        jpeg_size(&first.thumbnail)?,
        first.thumbnail.len() / 1000,
        jpeg_size(&std::fs::read(out("vips.jpg"))?)?,
        std::fs::metadata(out("vips.jpg"))?.len() / 1000,
        jpeg_size(&std::fs::read(out("magick.jpg"))?)?,
        std::fs::metadata(out("magick.jpg"))?.len() / 1000,
    );
    println!(
        "cores: {}, load average before: {load_before}, after: {}",
        cores(),
        loadavg()
    );
    println!();
    println!("| tool (N={iterations}) | median | min | peak RSS |");
    println!("|---|---|---|---|");
    let mb = |kb: Option<u64>| {
        kb.map_or("n/a".to_owned(), |kb| {
            format!("{:.0} MB", kb as f64 / 1024.0)
        })
    };
    println!(
        "| Shanshui `process`, in-process | {} | {} | (see child) |",
        ms(median(&t_ours)),
        ms(min(&t_ours))
    );
    println!(
        "| Shanshui `process`, in-process, malloc tuned | {} | {} | |",
        ms(median(&t_tuned)),
        ms(min(&t_tuned))
    );
    println!(
        "| Shanshui, child process (`--one`) | {} | {} | {} |",
        ms(median(&t_child)),
        ms(min(&t_child)),
        mb(rss_child)
    );
    println!(
        "| vipsthumbnail | {} | {} | {} |",
        ms(median(&t_vips)),
        ms(min(&t_vips)),
        mb(rss_vips)
    );
    println!(
        "| ImageMagick convert | {} | {} | {} |",
        ms(median(&t_magick)),
        ms(min(&t_magick)),
        mb(rss_magick)
    );
    println!();
    let ratio = |a: &[Duration], b: &[Duration]| median(a).as_secs_f64() / median(b).as_secs_f64();
    let ratio_min = |a: &[Duration], b: &[Duration]| min(a).as_secs_f64() / min(b).as_secs_f64();
    for (name, ours) in [
        ("in-process", &t_ours),
        ("in-process, malloc tuned", &t_tuned),
        ("child process", &t_child),
    ] {
        println!(
            "ours ({name}) / vipsthumbnail: {:.2} median, {:.2} min (goal ≤ 0.50); / ImageMagick: {:.2} median, {:.2} min (goal ≤ 0.33)",
            ratio(ours, &t_vips),
            ratio_min(ours, &t_vips),
            ratio(ours, &t_magick),
            ratio_min(ours, &t_magick),
        );
    }
    if let Some(kb) = rss_child {
        println!(
            "our peak memory per photo: {:.1} MB (goal ≤ 64 MB)",
            kb as f64 / 1024.0
        );
    }
    Ok(())
}

/// `GLIBC_TUNABLES` for the tuned row: a fixed 32 MiB mmap threshold and a
/// 256 MiB trim threshold, so a photo's buffers are reused from the heap
/// rather than mapped, zeroed and faulted in afresh each time.
const TUNED_MALLOC: &str =
    "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456";

/// Child mode for the tuned row: for each line read, process the photo
/// once and print the time taken in microseconds.
fn serve(input: &str) -> anyhow::Result<()> {
    let bytes = std::fs::read(input)?;
    let limits = PhotoLimits::default();
    let mut stdout = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        line?;
        let started = Instant::now();
        let p = process(&bytes, &limits)?;
        let took = started.elapsed();
        drop(p);
        writeln!(stdout, "{}", took.as_micros())?;
        stdout.flush()?;
    }
    Ok(())
}

/// Child mode: one photo, as a command-line tool would do it. Prints the
/// process's own high-water mark too.
fn one(input: &str, out_dir: &str) -> anyhow::Result<()> {
    let bytes = std::fs::read(input)?;
    let p = process(&bytes, &PhotoLimits::default())?;
    std::fs::write(Path::new(out_dir).join("ours.jpg"), &p.display)?;
    std::fs::write(Path::new(out_dir).join("ours-thumb.jpg"), &p.thumbnail)?;
    if std::env::var_os("PHOTO_BENCH_HWM").is_some() {
        let status = std::fs::read_to_string("/proc/self/status")?;
        if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
            eprintln!("{line}");
        }
    }
    Ok(())
}

fn run(cmd: &[String]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let status = Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdout(Stdio::null())
        .status()?;
    let took = started.elapsed();
    if !status.success() {
        bail!("{} failed: {status}", cmd[0]);
    }
    Ok(took)
}

/// Maximum RSS in KiB of one run, from GNU time; `None` without it.
fn peak_rss_kb(cmd: &[String]) -> anyhow::Result<Option<u64>> {
    if !Path::new(TIME).exists() {
        return Ok(None);
    }
    let output = Command::new(TIME)
        .args(["-f", "%M"])
        .args(cmd)
        .stdout(Stdio::null())
        .output()?;
    if !output.status.success() {
        bail!(
            "{} failed under time: {}",
            cmd[0],
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Ok(stderr.lines().last().and_then(|l| l.trim().parse().ok()))
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn min(v: &[Duration]) -> Duration {
    v.iter().min().copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn jpeg_size(bytes: &[u8]) -> anyhow::Result<(u32, u32)> {
    let mut d = jpeg_decoder::Decoder::new(bytes);
    d.read_info()?;
    let info = d.info().context("no JPEG frame")?;
    Ok((u32::from(info.width), u32::from(info.height)))
}

/// A 4000×3000 photo-like JPEG: a noise-free gradient compresses far better
/// than a photograph and would flatter every decoder, so this one has sky,
/// a ridge line, textured ground and sensor noise. Quality 90 with 4:2:0
/// chroma subsampling, as phone cameras write; EXIF orientation 6 and a GPS
/// position in Banan District, spliced in as the APP1 segment a camera writes.
fn synthetic_photo(width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let (w, h) = (width as usize, height as usize);
    let mut rgb = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        let fy = y as f64 / h as f64;
        for x in 0..w {
            let fx = x as f64 / w as f64;
            let ridge = 0.45
                + 0.08 * (fx * 7.0).sin()
                + 0.04 * (fx * 23.0 + 1.0).sin()
                + 0.015 * (fx * 91.0).sin();
            let (mut r, mut g, mut b) = if fy < ridge {
                // Sky: blue towards white near the horizon, with soft clouds.
                let t = fy / ridge;
                let cloud =
                    40.0 * ((fx * 11.0 + fy * 5.0).sin() * (fx * 3.0 - fy * 17.0).cos()).max(0.0);
                (
                    110.0 + 120.0 * t + cloud,
                    150.0 + 90.0 * t + cloud,
                    230.0 + 20.0 * t + cloud * 0.2,
                )
            } else {
                // Ground: greens and browns with leaf-scale texture.
                let t = (fy - ridge) / (1.0 - ridge);
                let leaves = ((x as f64 * 0.9).sin() * (y as f64 * 1.3).cos()
                    + (x as f64 * 0.21 + y as f64 * 0.17).sin())
                    * 25.0;
                let patches = 30.0 * ((fx * 40.0).sin() * (fy * 33.0).sin());
                (
                    70.0 + 60.0 * t + leaves + patches,
                    95.0 + 30.0 * t + leaves * 1.2,
                    45.0 + 20.0 * t + leaves * 0.5,
                )
            };
            // Sensor noise, a few levels each way.
            let n = next();
            r += ((n & 0x0F) as f64) - 7.5;
            g += (((n >> 8) & 0x0F) as f64) - 7.5;
            b += (((n >> 16) & 0x0F) as f64) - 7.5;
            rgb.push(r.clamp(0.0, 255.0) as u8);
            rgb.push(g.clamp(0.0, 255.0) as u8);
            rgb.push(b.clamp(0.0, 255.0) as u8);
        }
    }
    let mut jpeg = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, 90);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder.encode(
        &rgb,
        u16::try_from(width)?,
        u16::try_from(height)?,
        jpeg_encoder::ColorType::Rgb,
    )?;
    Ok(splice_exif(&jpeg, &camera_exif()))
}

/// Inserts an APP1 "Exif" segment after SOI, in front of the encoder's APP0.
fn splice_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 10);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Little-endian TIFF: IFD0 {Make, Orientation=6, GPS pointer}, GPS IFD
/// {N 29°22'30", E 106°32'24"}.
fn camera_exif() -> Vec<u8> {
    let entry = |out: &mut Vec<u8>, tag: u16, ty: u16, count: u32, value: u32| {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    };
    let make = b"Shanshui bench\0";
    let ifd0 = 8u32;
    let gps = ifd0 + 2 + 3 * 12 + 4;
    let data = gps + 2 + 4 * 12 + 4;
    let (make_at, lat_at, lon_at) = (
        data,
        data + make.len() as u32,
        data + make.len() as u32 + 24,
    );
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&ifd0.to_le_bytes());
    t.extend_from_slice(&3u16.to_le_bytes());
    entry(&mut t, 0x010F, 2, make.len() as u32, make_at);
    entry(&mut t, 0x0112, 3, 1, 6);
    entry(&mut t, 0x8825, 4, 1, gps);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut t, 1, 2, 2, u32::from(b'N'));
    entry(&mut t, 2, 5, 3, lat_at);
    entry(&mut t, 3, 2, 2, u32::from(b'E'));
    entry(&mut t, 4, 5, 3, lon_at);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(make);
    for (n, d) in [
        (29u32, 1u32),
        (22, 1),
        (3000, 100),
        (106, 1),
        (32, 1),
        (2400, 100),
    ] {
        t.extend_from_slice(&n.to_le_bytes());
        t.extend_from_slice(&d.to_le_bytes());
    }
    t
}
