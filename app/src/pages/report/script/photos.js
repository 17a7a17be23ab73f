// Photos are made small in the browser before they leave the phone: the
// long edge brought down to about 2048 px and saved as JPEG at quality
// 0.85, or lower until it weighs at most 600 KB, so a report with six
// photos uploads in seconds on a weak network.
//
// A canvas drops EXIF, and with it the GPS position the server can use
// when no location is given; so the position is read from the original
// first and written back into the small copy as a GPS-only EXIF block (no
// camera, no time, nothing else). A photo the browser cannot decode is
// sent as it is.
//
// The EXIF reading follows kamadak-exif, which the WebAssembly form used
// (JPEG, HEIF, PNG, WebP and TIFF; an IFD that breaks off keeps what was
// read before the break), so that a photo gives the same position here.

const photoLongEdge = 2048;
// The most a photo should weigh when it leaves the phone (issue 15).
const photoMaxBytes = 600 * 1024;
// JPEG qualities tried in turn until the photo fits in photoMaxBytes: a
// busy scene (foliage, rippling water, a night shot's grain) at 2048 px
// passes it at 0.85. Below 0.55 the blocks would show; such a photo is
// sent at 0.55 whatever it weighs (the server takes up to its own limit).
const photoQualities = [0.85, 0.75, 0.65, 0.55];

// A blob's bytes: `Blob.arrayBuffer` is newer than some of the phones this
// page is for (Safari before 14); a `Response` reads any blob.
const photoArrayBuffer = (blob) =>
  typeof blob.arrayBuffer === "function" ? blob.arrayBuffer() : new Response(blob).arrayBuffer();

// The photo to upload ({ blob, decoded, gps }): `decoded` when the browser
// could decode it (so it can show a thumbnail), `gps` the [lat, lon] its
// EXIF carries, or null. Never rejects: what cannot be prepared is sent as
// it was chosen.
async function preparePhoto(file) {
  let gps = null;
  try {
    gps = exifGps(new Uint8Array(await photoArrayBuffer(file)));
  } catch (_) {
    // Unreadable: no position, the photo may still decode.
  }
  let made = null;
  try {
    made = await photoDownscale(file);
  } catch (_) {
    made = null;
  }
  if (!made) return { blob: file, decoded: false, gps };
  const [small, scaled] = made;
  // A JPEG that was already small enough and is smaller than our copy is
  // sent as it is (its EXIF, GPS included, is still there).
  if (!scaled && file.type === "image/jpeg" && file.size <= small.size) {
    return { blob: file, decoded: true, gps };
  }
  const blob = gps ? (await photoWithGps(small, gps[0], gps[1])) || small : small;
  return { blob, decoded: true, gps };
}

// How far each photo is through an upload, from the share of the whole
// request sent so far (the browser reports only that). The multipart body
// carries the form's fields (`ahead` bytes) and then the photos in order,
// so a photo has begun once the bytes before it have left. Multipart's few
// hundred bytes of boundaries are left out: a photo's bar may run a
// fraction of a percent ahead.
function photoProgress(sent, ahead, sizes) {
  const total = ahead + sizes.reduce((sum, size) => sum + size, 0);
  let done = photoClamp(sent) * total - ahead;
  return sizes.map((size) => {
    const share = size > 0 ? photoClamp(done / size) : 1;
    done -= size;
    return share;
  });
}

// Into 0..1 (NaN stays NaN, as with Rust's clamp).
const photoClamp = (x) => (x < 0 ? 0 : x > 1 ? 1 : x);

// A JPEG copy no longer than photoLongEdge on its long side, and whether it
// had to be made smaller: [blob, scaled]. Null when the browser cannot
// decode the photo or encode the copy.
async function photoDownscale(blob) {
  let bitmap = await photoBitmap(blob);
  let img = null;
  let url = "";
  if (!bitmap) {
    const shown = await photoImage(blob);
    if (!shown) return null;
    [img, url] = shown;
  }
  const release = () => {
    if (bitmap) bitmap.close();
    if (url) URL.revokeObjectURL(url);
    bitmap = null;
    url = "";
  };
  const w = bitmap ? bitmap.width : img.naturalWidth;
  const h = bitmap ? bitmap.height : img.naturalHeight;
  if (!w || !h) {
    release();
    return null;
  }
  const long = Math.max(w, h);
  const scale = long > photoLongEdge ? photoLongEdge / long : 1;
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(w * scale));
  canvas.height = Math.max(1, Math.round(h * scale));
  const ctx = canvas.getContext("2d");
  if (!ctx) {
    release();
    return null;
  }
  ctx.imageSmoothingQuality = "high";
  // JPEG has no transparency: a transparent PNG becomes white, not black.
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  try {
    ctx.drawImage(bitmap || img, 0, 0, canvas.width, canvas.height);
  } catch (_) {
    return null;
  } finally {
    release();
  }
  let jpeg = await photoEncode(canvas, photoQualities[0]);
  for (const quality of photoQualities.slice(1)) {
    if (!jpeg || jpeg.size <= photoMaxBytes) break;
    jpeg = await photoEncode(canvas, quality);
  }
  // A phone keeps little canvas memory (Safari): this one is let go now.
  canvas.width = 0;
  canvas.height = 0;
  return jpeg ? [jpeg, scale < 1] : null;
}

// createImageBitmap, turned upright from the EXIF orientation; null when
// the browser has none or cannot decode the photo.
async function photoBitmap(blob) {
  let promise;
  try {
    promise = createImageBitmap(blob, { imageOrientation: "from-image" });
  } catch (_) {
    // Options not understood (an older Safari): without them.
    try {
      promise = createImageBitmap(blob);
    } catch (_) {
      return null;
    }
  }
  try {
    return await promise;
  } catch (_) {
    return null;
  }
}

// An <img> decoding the photo (browsers without createImageBitmap), and
// its object URL, to revoke once drawn.
async function photoImage(blob) {
  let url = "";
  try {
    url = URL.createObjectURL(blob);
    const img = new Image();
    img.src = url;
    await img.decode();
    return [img, url];
  } catch (_) {
    if (url) URL.revokeObjectURL(url);
    return null;
  }
}

// The canvas as JPEG at a quality; null when it could not be encoded.
function photoEncode(canvas, quality) {
  return new Promise((resolve) => {
    try {
      canvas.toBlob((blob) => resolve(blob && blob.size > 0 ? blob : null), "image/jpeg", quality);
    } catch (_) {
      resolve(null);
    }
  });
}

// The JPEG with an APP1 EXIF block holding only the GPS position, right
// after its SOI; null when it is not a JPEG.
async function photoWithGps(jpeg, lat, lon) {
  try {
    const bytes = new Uint8Array(await photoArrayBuffer(jpeg));
    if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
    const tiff = exifGpsTiff(lat, lon);
    const len = 2 + 6 + tiff.length;
    const head = new Uint8Array(4 + len);
    head.set([0xff, 0xd8, 0xff, 0xe1, len >> 8, len & 0xff, 0x45, 0x78, 0x69, 0x66, 0, 0]);
    head.set(tiff, 12);
    return new Blob([head, bytes.subarray(2)], { type: "image/jpeg" });
  } catch (_) {
    return null;
  }
}

// Degrees as EXIF's degrees, minutes and seconds ([num, denom] each), the
// seconds to a ten-thousandth.
function exifDms(value) {
  const v = Math.abs(value);
  const degrees = Math.floor(v);
  const minutesF = (v - degrees) * 60;
  const minutes = Math.floor(minutesF);
  const seconds = (minutesF - minutes) * 60;
  return [
    [degrees, 1],
    [minutes, 1],
    [Math.round(seconds * 10000), 10000],
  ];
}

// A big-endian TIFF block with an empty IFD0 but for the pointer to a GPS
// IFD of five fields (version 2.3, latitude and longitude with their
// references), laid out as kamadak-exif's writer lays it out: IFD0 at 8,
// the GPS IFD at 26, the two coordinates' rationals at 92 and 116.
function exifGpsTiff(lat, lon) {
  const out = new Uint8Array(140);
  const v = new DataView(out.buffer);
  const entry = (at, tag, type, count) => {
    v.setUint16(at, tag);
    v.setUint16(at + 2, type);
    v.setUint32(at + 4, count);
  };
  out.set([0x4d, 0x4d, 0x00, 0x2a]);
  v.setUint32(4, 8);
  v.setUint16(8, 1);
  entry(10, 0x8825, 4, 1);
  v.setUint32(18, 26);
  v.setUint16(26, 5);
  entry(28, 0, 1, 4);
  out.set([2, 3, 0, 0], 36);
  entry(40, 1, 2, 2);
  out[48] = lat < 0 ? 0x53 : 0x4e; // S or N
  entry(52, 2, 5, 3);
  v.setUint32(60, 92);
  entry(64, 3, 2, 2);
  out[72] = lon < 0 ? 0x57 : 0x45; // W or E
  entry(76, 4, 5, 3);
  v.setUint32(84, 116);
  [exifDms(lat), exifDms(lon)].forEach((dms, i) =>
    dms.forEach(([num, denom], j) => {
      v.setUint32(92 + i * 24 + j * 8, num);
      v.setUint32(96 + i * 24 + j * 8, denom);
    }),
  );
  return out;
}

// The GPS position in a photo's EXIF (JPEG, HEIF, PNG, WebP, TIFF) as
// [lat, lon], or null.
function exifGps(bytes) {
  try {
    const tiff = exifTiffOf(bytes);
    const exif = tiff && exifGpsFields(tiff);
    if (!exif) return null;
    const lat = exifCoordinate(exif, 2, 1, 0x53, 90);
    const lon = lat === null ? null : exifCoordinate(exif, 4, 3, 0x57, 180);
    if (lat === null || lon === null) return null;
    // Some phones write 0/0 when they had no fix.
    return lat !== 0 || lon !== 0 ? [lat, lon] : null;
  } catch (_) {
    return null;
  }
}

// A coordinate from its GPS field and reference (negative when the
// reference begins with `negative`, S or W), within ±max; or null.
function exifCoordinate(exif, tag, refTag, negative, max) {
  const { tiff, le, fields } = exif;
  const value = fields.get(tag);
  if (!value || (value.type !== 5 && value.type !== 10)) return null;
  const v = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const parts = [];
  for (let i = 0; i < Math.min(value.count, 3); i++) {
    const at = value.at + i * 8;
    parts.push(
      value.type === 5
        ? v.getUint32(at, le) / v.getUint32(at + 4, le)
        : v.getInt32(at, le) / v.getInt32(at + 4, le),
    );
  }
  if (parts.length === 0) return null;
  const degrees = parts[0] + (parts.length > 1 ? parts[1] : 0) / 60 + (parts.length > 2 ? parts[2] : 0) / 3600;
  const ref = fields.get(refTag);
  const sign = ref && ref.type === 2 && ref.count > 0 && tiff[ref.at] === negative ? -1 : 1;
  const d = sign * degrees;
  return Number.isFinite(d) && Math.abs(d) <= max ? d : null;
}

// The GPS fields of the primary image ({ tiff, le, fields }: tag → type,
// count and where the value is), null when the block is no TIFF at all.
// As in kamadak-exif, a fault stops the IFD it is in, keeping what was read
// before it; an entry whose value lies outside the block is skipped.
function exifGpsFields(tiff) {
  if (tiff.length < 8) return null;
  const v = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const order = v.getUint16(0);
  if (order !== 0x4d4d && order !== 0x4949) return null;
  const le = order === 0x4949;
  if (v.getUint16(2, le) !== 42) return null;
  const units = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8];
  const fields = new Map();
  const seen = new Set();
  const fault = () => new Error("EXIF");
  // One IFD read (`ctx`: tiff, exif, gps or interop; `num`: the image it
  // belongs to), its child IFDs with it; the next IFD's offset.
  const ifd = (at, ctx, num) => {
    if (tiff.length < at || tiff.length - at < 2) throw fault();
    const count = v.getUint16(at, le);
    // An IFD seen before is a loop.
    if (seen.has(at)) throw fault();
    seen.add(at);
    at += 2;
    for (let i = 0; i < count; i++) {
      if (tiff.length - at < 12) throw fault();
      const tag = v.getUint16(at, le);
      const type = v.getUint16(at + 2, le);
      const n = v.getUint32(at + 4, le);
      const len = (units[type] || 0) * n;
      let value = at + 8;
      at += 12;
      if (len > 4) {
        value = v.getUint32(value, le);
        if (tiff.length < value || tiff.length - value < len) continue;
      }
      const child =
        ctx === "tiff" && tag === 0x8769
          ? "exif"
          : ctx === "tiff" && tag === 0x8825
            ? "gps"
            : ctx === "exif" && tag === 0xa005
              ? "interop"
              : "";
      if (!child) {
        // Later fields win, as in kamadak-exif's map.
        if (ctx === "gps" && num === 0) fields.set(tag, { type, count: n, at: value });
        continue;
      }
      try {
        // A pointer is an unsigned integer (BYTE, SHORT or LONG).
        const to =
          n === 0
            ? null
            : type === 1
              ? tiff[value]
              : type === 3
                ? v.getUint16(value, le)
                : type === 4
                  ? v.getUint32(value, le)
                  : null;
        if (to === null) throw fault();
        ifd(to, child, num);
      } catch (_) {
        // The child IFD keeps what it read; this one goes on.
      }
    }
    if (tiff.length - at < 4) throw fault();
    return v.getUint32(at, le);
  };
  try {
    let next = v.getUint32(4, le);
    // At most 8 images, against a file made to exhaust the phone.
    for (let num = 0; next !== 0 && num < 8; num++) next = ifd(next, "tiff", num);
  } catch (_) {
    // What was read before the fault is kept.
  }
  return { tiff, le, fields };
}

const exifStarts = (bytes, sig) => bytes.length >= sig.length && sig.every((b, i) => bytes[i] === b);
const exifText = (bytes, at) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);

// The TIFF block of a photo's EXIF, found by the container its first
// 4 KB say it is; null when there is none. A broken container throws.
function exifTiffOf(bytes) {
  const head = bytes.subarray(0, 4096);
  if (exifStarts(head, [0x4d, 0x4d, 0x00, 0x2a]) || exifStarts(head, [0x49, 0x49, 0x2a, 0x00])) return bytes;
  if (exifStarts(head, [0xff, 0xd8])) return exifFromJpeg(bytes);
  if (exifStarts(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return exifFromPng(bytes);
  if (exifIsHeif(head)) return exifFromHeif(bytes);
  if (head.length >= 12 && exifText(head, 0) === "RIFF" && exifText(head, 8) === "WEBP") return exifFromWebp(bytes);
  return null;
}

// The first APP1 segment that begins with "Exif\0\0" (markers are looked
// for past the scan data too, as kamadak-exif does).
function exifFromJpeg(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 2;
  for (;;) {
    const ff = bytes.indexOf(0xff, at);
    if (ff < 0) return null;
    at = ff + 1;
    let code;
    do {
      if (at >= bytes.length) return null;
      code = bytes[at++];
    } while (code === 0xff);
    // Stuffing, TEM and RSTn stand alone; SOI again or EOI: no EXIF.
    if (code === 0x00 || code === 0x01 || (code >= 0xd0 && code <= 0xd7)) continue;
    if (code === 0xd8 || code === 0xd9) return null;
    if (bytes.length - at < 2) return null;
    const len = v.getUint16(at) - 2;
    at += 2;
    if (len < 0 || bytes.length - at < len) return null;
    const segment = bytes.subarray(at, at + len);
    at += len;
    if (code === 0xe1 && exifStarts(segment, [0x45, 0x78, 0x69, 0x66, 0, 0])) return segment.subarray(6);
  }
}

// The eXIf chunk.
function exifFromPng(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  while (at < bytes.length) {
    if (bytes.length - at < 8) return null;
    const len = v.getUint32(at);
    const type = exifText(bytes, at + 4);
    at += 8;
    if (type === "eXIf") return bytes.length - at < len ? null : bytes.subarray(at, at + len);
    // The chunk's data and CRC.
    if (bytes.length - at < len + 4) return null;
    at += len + 4;
  }
  return null;
}

// The EXIF chunk among the RIFF file's top-level chunks.
function exifFromWebp(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let left = v.getUint32(4, true) - 4;
  if (left < 0) return null;
  let at = 12;
  while (left > 0) {
    left -= 8;
    if (left < 0 || bytes.length - at < 8) return null;
    let size = v.getUint32(at + 4, true);
    const id = exifText(bytes, at);
    at += 8;
    left -= size;
    if (left < 0) return null;
    if (id === "EXIF") return bytes.length - at < size ? null : bytes.subarray(at, at + size);
    // Chunks are padded to an even size, but for the last one.
    if (size % 2 !== 0 && left > 0) {
      left -= 1;
      size += 1;
    }
    if (bytes.length - at < size) return null;
    at += size;
  }
  return null;
}

// ISO boxes in bytes[start, end): read in turn, each read throwing when
// it runs past the end.
function exifBoxes(bytes, start, end) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = start;
  const take = (n) => {
    if (n > end - at) throw new Error("EXIF");
    at += n;
    return at - n;
  };
  const u16 = () => v.getUint16(take(2));
  const u32 = () => v.getUint32(take(4));
  const u64 = () => {
    const hi = u32();
    return hi * 0x100000000 + u32();
  };
  const boxes = {
    empty: () => at >= end,
    left: () => end - at,
    take,
    u16,
    u32,
    text4: () => exifText(bytes, take(4)),
    // Version and flags.
    fullbox: () => {
      const x = u32();
      return [x >>> 24, x & 0xffffff];
    },
    // 0, 4 or 8 bytes; null for another size.
    sized: (n) => (n === 0 ? 0 : n === 4 ? u32() : n === 8 ? u64() : null),
    // A box inside: its type and its body's boxes.
    child: () => {
      const size = u32();
      const type = exifText(bytes, take(4));
      const len = size === 0 ? end - at : size === 1 ? u64() - 16 : size - 8;
      if (len < 0) throw new Error("EXIF");
      const body = take(len);
      return [type, exifBoxes(bytes, body, body + len)];
    },
  };
  return boxes;
}

const exifHeifBrands = ["mif1", "msf1"];

// A HEIF file (HEIC, AVIF) says so in its ftyp box's compatible brands.
function exifIsHeif(head) {
  const top = exifBoxes(head, 0, head.length);
  for (;;) {
    let box;
    try {
      box = top.child();
    } catch (_) {
      return false;
    }
    if (box[0] !== "ftyp") continue;
    const body = box[1];
    if (body.left() < 8) return false;
    body.take(8);
    while (body.left() >= 4) if (exifHeifBrands.includes(body.text4())) return true;
    return false;
  }
}

// The Exif item of a HEIF file: found in the meta box's iinf, placed by
// its iloc (in the file, or in the idat box).
function exifFromHeif(bytes) {
  const fault = () => new Error("EXIF");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  let ftyp = false;
  let meta = null;
  while (at < bytes.length && !meta) {
    if (bytes.length - at < 8) throw fault();
    const size32 = v.getUint32(at);
    const type = exifText(bytes, at + 4);
    at += 8;
    let size = size32 - 8;
    if (size32 === 0) size = Infinity;
    else if (size32 === 1) {
      if (bytes.length - at < 8) throw fault();
      size = v.getUint32(at) * 0x100000000 + v.getUint32(at + 4) - 16;
      at += 8;
    }
    if (size < 0) throw fault();
    if (type === "ftyp" || type === "meta") {
      const end = size === Infinity ? bytes.length : at + size;
      if (end > bytes.length) throw fault();
      const body = exifBoxes(bytes, at, end);
      at = end;
      if (type === "meta") {
        if (!ftyp) throw fault();
        meta = body;
      } else {
        body.take(8);
        let compatible = false;
        while (!compatible && body.left() >= 4) compatible = exifHeifBrands.includes(body.text4());
        if (!compatible) throw fault();
        ftyp = true;
      }
    } else {
      at = size === Infinity ? bytes.length : at + size;
    }
  }
  if (!meta) return null;

  if (meta.fullbox()[0] !== 0) throw fault();
  let idat = null;
  let iloc = null;
  let item = null;
  while (!meta.empty()) {
    const [type, body] = meta.child();
    if (type === "idat") {
      const len = body.left();
      const start = body.take(len);
      idat = bytes.subarray(start, start + len);
    } else if (type === "iinf") {
      const version = body.fullbox()[0];
      const count = version === 0 ? body.u16() : body.u32();
      for (let i = 0; i < count; i++) {
        const [entryType, entry] = body.child();
        if (entryType !== "infe") continue;
        const entryVersion = entry.fullbox()[0];
        let id;
        if (entryVersion === 2) id = entry.u16();
        else if (entryVersion === 3) id = entry.u32();
        else throw fault();
        entry.take(2);
        if (entry.text4() === "Exif") item = id;
      }
    } else if (type === "iloc") {
      iloc = body;
    }
  }
  if (item === null) return null;
  if (!iloc) throw fault();

  const version = iloc.fullbox()[0];
  const sizes = iloc.u16();
  const offsetSize = sizes >> 12;
  const lengthSize = (sizes >> 8) & 0xf;
  const baseSize = (sizes >> 4) & 0xf;
  const indexSize = version === 1 || version === 2 ? sizes & 0xf : 0;
  let count;
  if (version === 0 || version === 1) count = iloc.u16();
  else if (version === 2) count = iloc.u32();
  else throw fault();
  let place = null;
  for (let i = 0; i < count; i++) {
    const id = version === 2 ? iloc.u32() : iloc.u16();
    const method = version === 0 ? 0 : bytes[iloc.take(2) + 1] & 0xf;
    const reference = iloc.u16();
    // Data in another file is not looked for.
    if (method === 0 && reference !== 0) throw fault();
    const base = iloc.sized(baseSize);
    if (base === null) throw fault();
    const extentCount = iloc.u16();
    if (id === item) {
      const extents = [];
      for (let j = 0; j < extentCount; j++) {
        const index = iloc.sized(indexSize);
        const offset = iloc.sized(offsetSize);
        const length = iloc.sized(lengthSize);
        if (index === null || offset === null || length === null) throw fault();
        extents.push([offset, length]);
      }
      place = { method, base, extents };
    } else {
      iloc.take((indexSize + offsetSize + lengthSize) * extentCount);
    }
  }
  if (!place) throw fault();

  const parts = [];
  let total = 0;
  for (const [offset, length] of place.extents) {
    const from = place.base + offset;
    let part;
    if (place.method === 0) {
      // Read to the end when the length is 0; a read past it fails.
      if (length === 0) part = bytes.subarray(Math.min(from, bytes.length));
      else if (from + length > bytes.length) throw fault();
      else part = bytes.subarray(from, from + length);
    } else if (place.method === 1) {
      if (!idat || from > idat.length || (length !== 0 && from + length > idat.length)) throw fault();
      part = length === 0 ? idat.subarray(from) : idat.subarray(from, from + length);
    } else {
      throw fault();
    }
    parts.push(part);
    total += part.length;
    // No EXIF block is that large; a file that says so is broken.
    if (total > 131070) throw fault();
  }
  const data = new Uint8Array(total);
  parts.reduce((o, part) => (data.set(part, o), o + part.length), 0);
  if (data.length < 4) throw fault();
  const skip = new DataView(data.buffer).getUint32(0);
  if (data.length - 4 < skip) throw fault();
  return data.subarray(4 + skip);
}
