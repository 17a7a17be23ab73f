//! Submissions with one 2-megapixel photo each: the photo pipeline's own
//! ceiling on this machine, and the files `wrk` needs to post the same
//! report to a running server (`cargo xtask bench-submit` drives both).
//!
//!   submit_bench prepare DIR     photo.jpg, body.bin (multipart), post.lua, and the
//!                                display.jpg and thumbnail.jpg the server stores beside
//!                                the original (`cargo xtask bench-replicas` PUTs all three)
//!   submit_bench ceiling DIR S   photos per second through PhotoPipeline for S seconds

use image::{ImageEncoder, RgbImage};
use server::photos::{PhotoLimits, PhotoPipeline, process};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const BOUNDARY: &str = "shanshui-bench-boundary-7f3a";

fn photo() -> anyhow::Result<Vec<u8>> {
    // 1632×1224 ≈ 2.0 MP, textured like a photo so it compresses like one.
    let (w, h) = (1632u32, 1224u32);
    let img = RgbImage::from_fn(w, h, |x, y| {
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 27;
        image::Rgb([
            (x * 200 / w + n) as u8,
            (y * 180 / h + n) as u8,
            (90 + (x + y) % 60 + n) as u8,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88).write_image(
        img.as_raw(),
        w,
        h,
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

fn prepare(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let jpeg = photo()?;
    std::fs::write(dir.join("photo.jpg"), &jpeg)?;
    let processed = process(&jpeg, &PhotoLimits::default())?;
    std::fs::write(dir.join("display.jpg"), &processed.display)?;
    std::fs::write(dir.join("thumbnail.jpg"), &processed.thumbnail)?;
    let mut body = Vec::new();
    for (name, value) in [
        ("category", "dust_construction"),
        ("description", "工地扬尘严重，渣土未覆盖（基准测试）"),
        ("lat", "29.3752"),
        ("lon", "106.5101"),
    ] {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(&jpeg);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    std::fs::write(dir.join("body.bin"), &body)?;
    let lua = format!(
        "wrk.method = \"POST\"\n\
         wrk.headers[\"Content-Type\"] = \"multipart/form-data; boundary={BOUNDARY}\"\n\
         local f = assert(io.open(\"{}\", \"rb\"))\n\
         wrk.body = f:read(\"*a\")\n\
         f:close()\n",
        dir.join("body.bin").display()
    );
    std::fs::write(dir.join("post.lua"), lua)?;
    println!(
        "photo {} KB, body {} KB; stored display {} KB, thumbnail {} KB",
        jpeg.len() / 1024,
        body.len() / 1024,
        processed.display.len() / 1024,
        processed.thumbnail.len() / 1024
    );
    Ok(())
}

/// Photos per second with every core busy, through the same pipeline (and
/// semaphore) the server uses.
async fn ceiling(dir: &Path, seconds: u64) -> anyhow::Result<()> {
    let jpeg = bytes::Bytes::from(std::fs::read(dir.join("photo.jpg"))?);
    let slots = server::config::default_photo_slots();
    let pipeline = Arc::new(PhotoPipeline::new(PhotoLimits::default(), slots));
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..slots * 2)
        .map(|_| {
            let (p, d, j) = (pipeline.clone(), done.clone(), jpeg.clone());
            tokio::spawn(async move {
                while Instant::now() < until {
                    if p.process(j.clone()).await.is_ok() {
                        d.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    for w in workers {
        w.await?;
    }
    let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    println!("photos_per_sec {rate:.1} (slots {slots})");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["prepare", dir] => prepare(Path::new(dir)),
        ["ceiling", dir, secs] => ceiling(Path::new(dir), secs.parse()?).await,
        _ => anyhow::bail!("usage: submit_bench prepare DIR | ceiling DIR SECONDS"),
    }
}
