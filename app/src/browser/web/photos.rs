//! Photos are made small in the browser before they leave the phone: the
//! long edge brought down to about 2048 px and saved as JPEG at quality
//! 0.85, or lower until it weighs at most 600 KB, so a report with six
//! photos uploads in seconds on a weak network.
//!
//! A canvas drops EXIF, and with it the GPS position the server can use
//! when no location is given; so the position is read from the original
//! first and written back into the small copy as a GPS-only EXIF block (no
//! camera, no time, nothing else). A photo the browser cannot decode is
//! sent as it is.

use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
pub use web_sys::{Blob, File};

pub const LONG_EDGE: u32 = 2048;
/// The most a photo should weigh when it leaves the phone (issue 15).
pub const MAX_BYTES: f64 = 600.0 * 1024.0;
/// JPEG qualities tried in turn until the photo fits in [`MAX_BYTES`]: a
/// busy scene (foliage, rippling water, a night shot's grain) at 2048 px
/// passes it at 0.85. Below 0.55 the blocks would show; such a photo is
/// sent at 0.55 whatever it weighs (the server takes up to its own limit).
pub const QUALITIES: [f64; 4] = [0.85, 0.75, 0.65, 0.55];

pub struct Prepared {
    pub blob: Blob,
    /// WGS84 latitude and longitude found in the original's EXIF.
    pub gps: Option<(f64, f64)>,
    /// The browser could decode it (so it can show a thumbnail).
    pub decoded: bool,
}

async fn blob_bytes(blob: &Blob) -> Option<Vec<u8>> {
    let buffer = JsFuture::from(blob.array_buffer()).await.ok()?;
    Some(js_sys::Uint8Array::new(&buffer).to_vec())
}

fn bytes_blob(bytes: &[u8], mime: &str) -> Option<Blob> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()
}

pub fn object_url(blob: &Blob) -> Option<String> {
    web_sys::Url::create_object_url_with_blob(blob).ok()
}

pub fn revoke(url: &str) {
    if url.starts_with("blob:") {
        let _ = web_sys::Url::revoke_object_url(url);
    }
}

/// The photo's size in bytes.
pub fn size(blob: &Blob) -> f64 {
    blob.size()
}

/// A chosen file's name, as the device gave it.
pub fn file_name(file: &File) -> String {
    file.name()
}

/// A chosen file as it is (a document is sent as it was chosen).
pub fn file_blob(file: &File) -> Option<Blob> {
    Some(file.clone().into())
}

/// A photo as a `data:` URL, to keep it in local storage; one that cannot
/// be read is kept empty.
pub async fn data_url(blob: &Blob) -> String {
    use base64::Engine;
    let mime = blob.type_();
    let mime = if mime.is_empty() {
        "application/octet-stream".to_owned()
    } else {
        mime
    };
    let bytes = blob_bytes(blob).await.unwrap_or_default();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    format!("data:{mime};base64,{b64}")
}

/// A photo back from its `data:` URL.
pub fn from_data_url(url: &str) -> Option<Blob> {
    use base64::Engine;
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let mime = meta.strip_suffix(";base64")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()?;
    bytes_blob(&bytes, mime)
}

/// The files just chosen in a file input (the event's target), which is
/// emptied so that the same photo can be chosen again after a removal.
/// None when the target is not a file input with a file list.
pub fn take_chosen(ev: &web_sys::Event) -> Option<Vec<File>> {
    let input = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())?;
    let list = input.files()?;
    let mut files = Vec::new();
    for i in 0..list.length() {
        if let Some(f) = list.item(i) {
            files.push(f);
        }
    }
    input.set_value("");
    Some(files)
}

/// The photo to upload, and the position its EXIF carries.
pub async fn prepare(file: &File) -> Prepared {
    let original: &Blob = file.as_ref();
    let bytes = blob_bytes(original).await;
    let gps = bytes.as_deref().and_then(read_gps);
    let Some((small, scaled)) = downscale(original).await else {
        return Prepared {
            blob: original.clone(),
            gps,
            decoded: false,
        };
    };
    // A JPEG that was already small enough and is smaller than our copy is
    // sent as it is (its EXIF, GPS included, is still there).
    let is_jpeg = file.type_() == "image/jpeg";
    if !scaled && is_jpeg && original.size() <= small.size() {
        return Prepared {
            blob: original.clone(),
            gps,
            decoded: true,
        };
    }
    let blob = match gps {
        Some((lat, lon)) => with_gps(&small, lat, lon).await.unwrap_or(small),
        None => small,
    };
    Prepared {
        blob,
        gps,
        decoded: true,
    }
}

/// A JPEG copy no longer than `LONG_EDGE` on its long side, and whether it
/// had to be made smaller. None when the browser cannot decode the photo.
async fn downscale(blob: &Blob) -> Option<(Blob, bool)> {
    let window = web_sys::window()?;
    let document = window.document()?;
    let canvas: web_sys::HtmlCanvasElement =
        document.create_element("canvas").ok()?.dyn_into().ok()?;

    enum Source {
        Bitmap(web_sys::ImageBitmap),
        Image(web_sys::HtmlImageElement, String),
    }
    let source = match bitmap(&window, blob).await {
        Some(b) => Source::Bitmap(b),
        None => {
            let (img, url) = image_element(blob).await?;
            Source::Image(img, url)
        }
    };
    let (w, h) = match &source {
        Source::Bitmap(b) => (b.width(), b.height()),
        Source::Image(i, _) => (i.natural_width(), i.natural_height()),
    };
    if w == 0 || h == 0 {
        return None;
    }
    let long = w.max(h);
    let scale = if long > LONG_EDGE {
        f64::from(LONG_EDGE) / f64::from(long)
    } else {
        1.0
    };
    let cw = ((f64::from(w) * scale).round() as u32).max(1);
    let ch = ((f64::from(h) * scale).round() as u32).max(1);
    canvas.set_width(cw);
    canvas.set_height(ch);
    let ctx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let _ = js_sys::Reflect::set(
        &ctx,
        &JsValue::from_str("imageSmoothingQuality"),
        &JsValue::from_str("high"),
    );
    // JPEG has no transparency: a transparent PNG becomes white, not black.
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, f64::from(cw), f64::from(ch));
    let drawn = match &source {
        Source::Bitmap(b) => ctx.draw_image_with_image_bitmap_and_dw_and_dh(
            b,
            0.0,
            0.0,
            f64::from(cw),
            f64::from(ch),
        ),
        Source::Image(i, _) => ctx.draw_image_with_html_image_element_and_dw_and_dh(
            i,
            0.0,
            0.0,
            f64::from(cw),
            f64::from(ch),
        ),
    };
    match &source {
        Source::Bitmap(b) => b.close(),
        Source::Image(_, url) => revoke(url),
    }
    drawn.ok()?;
    let mut jpeg = to_blob(&canvas, QUALITIES[0]).await?;
    for quality in &QUALITIES[1..] {
        if jpeg.size() <= MAX_BYTES {
            break;
        }
        jpeg = to_blob(&canvas, *quality).await?;
    }
    Some((jpeg, scale < 1.0))
}

/// `createImageBitmap`, turned upright from the EXIF orientation.
async fn bitmap(window: &web_sys::Window, blob: &Blob) -> Option<web_sys::ImageBitmap> {
    let options = web_sys::ImageBitmapOptions::new();
    options.set_image_orientation(web_sys::ImageOrientation::FromImage);
    let promise = window
        .create_image_bitmap_with_blob_and_image_bitmap_options(blob, &options)
        .or_else(|_| window.create_image_bitmap_with_blob(blob))
        .ok()?;
    JsFuture::from(promise).await.ok()?.dyn_into().ok()
}

/// An `<img>` decoding the photo (browsers without createImageBitmap).
async fn image_element(blob: &Blob) -> Option<(web_sys::HtmlImageElement, String)> {
    let img = web_sys::HtmlImageElement::new().ok()?;
    let url = object_url(blob)?;
    img.set_src(&url);
    if JsFuture::from(img.decode()).await.is_err() {
        revoke(&url);
        return None;
    }
    Some((img, url))
}

async fn to_blob(canvas: &web_sys::HtmlCanvasElement, quality: f64) -> Option<Blob> {
    let slot: Rc<RefCell<Option<js_sys::Function>>> = Rc::new(RefCell::new(None));
    let promise = {
        let slot = slot.clone();
        js_sys::Promise::new(&mut move |res, _rej| {
            *slot.borrow_mut() = Some(res);
        })
    };
    let callback = {
        let slot = slot.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |blob: JsValue| {
            if let Some(f) = slot.borrow_mut().take() {
                let _ = f.call1(&JsValue::NULL, &blob);
            }
        })
    };
    canvas
        .to_blob_with_type_and_encoder_options(
            callback.as_ref().unchecked_ref(),
            "image/jpeg",
            &JsValue::from_f64(quality),
        )
        .ok()?;
    let value = JsFuture::from(promise).await.ok()?;
    drop(callback);
    value.dyn_into::<Blob>().ok().filter(|b| b.size() > 0.0)
}

/// The GPS position in a photo's EXIF (JPEG, HEIF, PNG, WebP), if any.
pub fn read_gps(bytes: &[u8]) -> Option<(f64, f64)> {
    let mut cursor = std::io::Cursor::new(bytes);
    let exif = match exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut cursor)
    {
        Ok(e) => e,
        Err(e) => e.distill_partial_result(|_| {}).ok()?,
    };
    let field = |tag| exif.get_field(tag, exif::In::PRIMARY).map(|f| &f.value);
    let lat = coordinate(
        field(exif::Tag::GPSLatitude),
        field(exif::Tag::GPSLatitudeRef),
        b'S',
        90.0,
    )?;
    let lon = coordinate(
        field(exif::Tag::GPSLongitude),
        field(exif::Tag::GPSLongitudeRef),
        b'W',
        180.0,
    )?;
    // Some phones write 0/0 when they had no fix.
    (lat != 0.0 || lon != 0.0).then_some((lat, lon))
}

fn coordinate(
    value: Option<&exif::Value>,
    reference: Option<&exif::Value>,
    negative: u8,
    max: f64,
) -> Option<f64> {
    let parts: Vec<f64> = match value? {
        exif::Value::Rational(v) => v.iter().map(|r| r.to_f64()).collect(),
        exif::Value::SRational(v) => v.iter().map(|r| r.to_f64()).collect(),
        _ => return None,
    };
    let degrees = parts.first().copied()?
        + parts.get(1).copied().unwrap_or(0.0) / 60.0
        + parts.get(2).copied().unwrap_or(0.0) / 3600.0;
    let sign = match reference {
        Some(exif::Value::Ascii(v)) if v.first().and_then(|s| s.first()) == Some(&negative) => -1.0,
        _ => 1.0,
    };
    let d = sign * degrees;
    (d.is_finite() && d.abs() <= max).then_some(d)
}

/// The JPEG with an APP1 EXIF block holding only the GPS position.
async fn with_gps(jpeg: &Blob, lat: f64, lon: f64) -> Option<Blob> {
    let bytes = blob_bytes(jpeg).await?;
    if bytes.len() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8 {
        return None;
    }
    let tiff = gps_tiff(lat, lon)?;
    let len = 2 + 6 + tiff.len();
    let len16 = u16::try_from(len).ok()?;
    let mut out = Vec::with_capacity(bytes.len() + len + 2);
    out.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE1]);
    out.extend_from_slice(&len16.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&bytes[2..]);
    bytes_blob(&out, "image/jpeg")
}

fn dms(value: f64) -> Vec<exif::Rational> {
    let v = value.abs();
    let degrees = v.floor();
    let minutes_f = (v - degrees) * 60.0;
    let minutes = minutes_f.floor();
    let seconds = (minutes_f - minutes) * 60.0;
    vec![
        exif::Rational {
            num: degrees as u32,
            denom: 1,
        },
        exif::Rational {
            num: minutes as u32,
            denom: 1,
        },
        exif::Rational {
            num: (seconds * 10_000.0).round() as u32,
            denom: 10_000,
        },
    ]
}

fn gps_tiff(lat: f64, lon: f64) -> Option<Vec<u8>> {
    use exif::{Field, In, Tag, Value};
    let ascii = |s: &str| Value::Ascii(vec![s.as_bytes().to_vec()]);
    let fields = [
        Field {
            tag: Tag::GPSVersionID,
            ifd_num: In::PRIMARY,
            value: Value::Byte(vec![2, 3, 0, 0]),
        },
        Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: ascii(if lat < 0.0 { "S" } else { "N" }),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(dms(lat)),
        },
        Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: ascii(if lon < 0.0 { "W" } else { "E" }),
        },
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(dms(lon)),
        },
    ];
    let mut writer = exif::experimental::Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    writer.write(&mut out, false).ok()?;
    Some(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_gps_block_reads_back() {
        let tiff = gps_tiff(29.381234, 106.540987).unwrap_or_default();
        let exif = exif::Reader::new().read_raw(tiff).ok();
        let exif = exif.as_ref().map(|e| {
            let field = |tag| e.get_field(tag, exif::In::PRIMARY).map(|f| &f.value);
            (
                coordinate(
                    field(exif::Tag::GPSLatitude),
                    field(exif::Tag::GPSLatitudeRef),
                    b'S',
                    90.0,
                ),
                coordinate(
                    field(exif::Tag::GPSLongitude),
                    field(exif::Tag::GPSLongitudeRef),
                    b'W',
                    180.0,
                ),
            )
        });
        let Some((Some(lat), Some(lon))) = exif else {
            panic!("no GPS read back");
        };
        assert!((lat - 29.381234).abs() < 1e-6 && (lon - 106.540987).abs() < 1e-6);
    }
}
