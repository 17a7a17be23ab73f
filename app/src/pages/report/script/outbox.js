// Reports waiting for the network, and the receipts kept on the phone
// (ported from send_queue.rs, resident half, and the upload in
// browser/web/http.rs, store.rs and random_key in browser/web/mod.rs).
//
// A report whose upload gets no answer (offline, a dropped connection, a
// 5xx, 408, 429) is kept in localStorage, photos included as data: URLs,
// with its idempotency key, and sent again with the same key and bytes on
// `online` and every 15 seconds: the server files it once however many
// tries reach it. Any other 4xx is final and never retried.
//
// The JSON is the Rust code's (serde's field names and defaults): phones
// hold queues and receipts the WebAssembly wrote, and may go back to it.

// The keys phones already hold their data under: renaming strands it.
const outboxQueueKey = "shanshui.outbox.v1";
const outboxReceiptsKey = "shanshui.reports.v1";
const outboxRetryEveryMs = 15000;
// Five minutes: a few megabytes over a poor mobile link.
const outboxUploadTimeoutMs = 300000;
const outboxKeepReceipts = 50;
const outboxU32Max = 4294967295;

// The queue, while storage could not keep it (full, or refused in a
// private window): it lives as long as the page.
let outboxMemory = null;
let outboxStored = true;
let outboxBusy = false;
let outboxStarted = false;
const outboxListeners = [];

// ------------------------------------------------------------ storage

// localStorage, which can be missing (private modes) or throw on access.
function outboxStorage() {
  try {
    return window.localStorage || null;
  } catch (_) {
    return null;
  }
}

function outboxGet(key) {
  const s = outboxStorage();
  if (!s) return null;
  try {
    return s.getItem(key);
  } catch (_) {
    return null;
  }
}

// False when the value could not be stored (no storage, or it is full).
function outboxSet(key, value) {
  const s = outboxStorage();
  if (!s) return false;
  try {
    s.setItem(key, value);
    return true;
  } catch (_) {
    return false;
  }
}

function outboxRemove(key) {
  const s = outboxStorage();
  if (!s) return;
  try {
    s.removeItem(key);
  } catch (_) {
    // Nothing to forget where nothing is kept.
  }
}

// ------------------------------------------------------------ shapes

const outboxIsU32 = (v) => Number.isInteger(v) && v >= 0 && v <= outboxU32Max;
const outboxIsNumber = (v) => typeof v === "number" && Number.isFinite(v);
const outboxIsString = (v) => typeof v === "string";

// A queued report as serde reads `Pending` (defaults for what older
// entries lack), in its field order; null when it does not fit.
function outboxPending(p) {
  if (!p || typeof p !== "object" || Array.isArray(p)) return null;
  if (!outboxIsString(p.key) || !outboxIsNumber(p.created_ms)) return null;
  if (!Array.isArray(p.fields) || !Array.isArray(p.photos)) return null;
  const fieldsOk = p.fields.every(
    (f) => Array.isArray(f) && f.length === 2 && outboxIsString(f[0]) && outboxIsString(f[1]),
  );
  if (!fieldsOk || !p.photos.every(outboxIsString)) return null;
  if (p.attempts !== undefined && !outboxIsU32(p.attempts)) return null;
  if (p.next_ms !== undefined && !outboxIsNumber(p.next_ms)) return null;
  if (p.refused !== undefined && p.refused !== null && !outboxIsString(p.refused)) return null;
  if (p.summary !== undefined && !outboxIsString(p.summary)) return null;
  return {
    key: p.key,
    created_ms: p.created_ms,
    fields: p.fields.map((f) => [f[0], f[1]]),
    photos: p.photos.slice(),
    attempts: p.attempts === undefined ? 0 : p.attempts,
    next_ms: p.next_ms === undefined ? 0 : p.next_ms,
    refused: p.refused === undefined ? null : p.refused,
    summary: p.summary === undefined ? "" : p.summary,
  };
}

// A receipt as serde reads `Saved`; null when it does not fit.
function outboxSaved(s) {
  if (!s || typeof s !== "object" || Array.isArray(s)) return null;
  if (!outboxIsString(s.tracking_code) || !outboxIsString(s.secret)) return null;
  if (!outboxIsString(s.track_url) || !outboxIsNumber(s.saved_ms)) return null;
  if (s.summary !== undefined && !outboxIsString(s.summary)) return null;
  if (s.seen !== undefined && typeof s.seen !== "boolean") return null;
  return {
    tracking_code: s.tracking_code,
    secret: s.secret,
    track_url: s.track_url,
    saved_ms: s.saved_ms,
    summary: s.summary === undefined ? "" : s.summary,
    seen: s.seen === undefined ? false : s.seen,
  };
}

// `SubmitReceipt` (every field required, as serde wants); null otherwise.
function outboxReceipt(r) {
  if (!r || typeof r !== "object" || Array.isArray(r)) return null;
  const strings = ["tracking_code", "secret", "track_url", "state", "location_source"];
  if (!strings.every((k) => outboxIsString(r[k]))) return null;
  if (typeof r.corroborated !== "boolean" || !outboxIsU32(r.photos)) return null;
  return {
    tracking_code: r.tracking_code,
    secret: r.secret,
    track_url: r.track_url,
    state: r.state,
    corroborated: r.corroborated,
    photos: r.photos,
    location_source: r.location_source,
  };
}

// The API's `{"error": {code, message, fields?}}` as `ApiError`, `fields`
// always there (empty when not sent); null when the body is not one.
function outboxApiError(body) {
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch (_) {
    return null;
  }
  const e = parsed && typeof parsed === "object" ? parsed.error : null;
  if (!e || typeof e !== "object" || Array.isArray(e)) return null;
  if (!outboxIsString(e.code) || !outboxIsString(e.message)) return null;
  const fields = {};
  if (e.fields !== undefined) {
    if (!e.fields || typeof e.fields !== "object" || Array.isArray(e.fields)) return null;
    for (const [name, f] of Object.entries(e.fields)) {
      if (!f || typeof f !== "object" || !outboxIsString(f.code) || !outboxIsString(f.message)) {
        return null;
      }
      fields[name] = { code: f.code, message: f.message };
    }
  }
  return { code: e.code, message: e.message, fields };
}

// A stored list, entry by entry: one entry that does not fit is left out,
// not the whole list with it.
function outboxLoadList(key, read) {
  const text = outboxGet(key);
  if (text === null) return [];
  let list;
  try {
    list = JSON.parse(text);
  } catch (_) {
    return [];
  }
  return Array.isArray(list) ? list.map(read).filter((x) => x !== null) : [];
}

// ------------------------------------------------------------ the queue

function queueLoad() {
  if (outboxMemory) return outboxMemory.map(outboxPending);
  return outboxLoadList(outboxQueueKey, outboxPending);
}

// Writes the queue (an empty one is removed), or keeps it in memory if
// storage will not. True when it is stored.
function queueSave(queue) {
  let ok = true;
  if (queue.length === 0) outboxRemove(outboxQueueKey);
  else ok = outboxSet(outboxQueueKey, JSON.stringify(queue));
  outboxMemory = ok ? null : queue.map(outboxPending);
  outboxStored = ok;
  return ok;
}

// The queue's entries, refused ones included (`refused` holds why).
function pendingReports() {
  return queueLoad();
}

// False when the phone could not keep the waiting reports (storage missing
// or full): they live only as long as the page.
function queueStored() {
  return outboxStored;
}

// Removes a report from the queue (sent, or given up by the resident).
function dropPending(key) {
  queueSave(queueLoad().filter((p) => p.key !== key));
}

// ------------------------------------------------------------ receipts

// The receipts kept on this phone, newest first.
function savedReports() {
  return outboxLoadList(outboxReceiptsKey, outboxSaved);
}

function outboxWriteSaved(list) {
  if (list.length === 0) outboxRemove(outboxReceiptsKey);
  else outboxSet(outboxReceiptsKey, JSON.stringify(list));
}

// Keeps a receipt on the phone (newest first, at most 50).
function remember(receipt, summary, seen) {
  const list = savedReports().filter(
    (s) => s.tracking_code !== receipt.tracking_code || s.secret !== receipt.secret,
  );
  list.unshift({
    tracking_code: receipt.tracking_code,
    secret: receipt.secret,
    track_url: receipt.track_url,
    saved_ms: Date.now(),
    summary: String(summary == null ? "" : summary),
    seen: !!seen,
  });
  outboxWriteSaved(list.slice(0, outboxKeepReceipts));
}

// Receipts of reports sent in the background, not yet seen.
function unseenReports() {
  return savedReports().filter((s) => !s.seen);
}

// The resident has seen them: no longer news.
function markSeen() {
  const list = savedReports();
  if (list.some((s) => !s.seen)) outboxWriteSaved(list.map((s) => Object.assign(s, { seen: true })));
}

// ------------------------------------------------------------ keys, photos

// 128 random bits as hex, for an Idempotency-Key.
function randomKey() {
  const bytes = new Uint8Array(16);
  let filled = false;
  try {
    window.crypto.getRandomValues(bytes);
    filled = true;
  } catch (_) {
    // Very old browsers: Math.random, as the Rust code falls back to.
  }
  if (!filled) for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// `data:{type};base64,…` of a photo, built by hand (not FileReader) so the
// type is written exactly as the blob has it, as the Rust code does.
async function queueDataUrl(blob) {
  const mime = blob.type || "application/octet-stream";
  let bytes;
  try {
    bytes = new Uint8Array(await photoArrayBuffer(blob));
  } catch (_) {
    bytes = new Uint8Array(0);
  }
  let raw = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    raw += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return "data:" + mime + ";base64," + btoa(raw);
}

// A photo back from its data: URL; null when it is not one (padded
// standard base64 only, as the Rust decoder takes).
function queueFromDataUrl(url) {
  if (typeof url !== "string" || !url.startsWith("data:")) return null;
  const comma = url.indexOf(",");
  if (comma < 0) return null;
  const meta = url.slice(5, comma);
  const data = url.slice(comma + 1);
  if (!meta.endsWith(";base64")) return null;
  if (data.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) return null;
  try {
    const raw = atob(data);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return new Blob([bytes], { type: meta.slice(0, -";base64".length) });
  } catch (_) {
    return null;
  }
}

// ------------------------------------------------------------ sending

// Retry-After in whole seconds, as Rust's `u32` parse reads it; HTTP dates
// and anything else count as not given.
function queueRetryAfter(value) {
  if (value === null) return null;
  const v = value.trim();
  if (!/^\+?[0-9]+$/.test(v)) return null;
  const s = Number(v.replace(/^\+/, ""));
  return s <= outboxU32Max ? s : null;
}

// One POST: the fields in order, then the photos as `photo` named by
// their order; progress 0–1 as the bytes leave. Resolves { status, body,
// retryAfterS }, status 0 for no answer (or a body that could not be
// built); never rejects.
function queuePost(url, fields, blobs, headers, onProgress) {
  const failed = { status: 0, body: "", retryAfterS: null };
  return new Promise((resolve) => {
    let xhr;
    try {
      const form = new FormData();
      for (const [name, value] of fields) form.append(name, value);
      blobs.forEach((blob, i) => {
        const ext = blob.type === "image/jpeg" ? "jpg" : "img";
        form.append("photo", blob, "photo-" + (i + 1) + "." + ext);
      });
      xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("Accept", "application/json");
      for (const [name, value] of headers) xhr.setRequestHeader(name, value);
      xhr.timeout = outboxUploadTimeoutMs;
      // One settlement for load, error, timeout or abort.
      const settle = () => {
        let retry = null;
        try {
          retry = queueRetryAfter(xhr.getResponseHeader("Retry-After"));
        } catch (_) {
          // No headers: no answer.
        }
        resolve({ status: xhr.status || 0, body: xhr.responseText || "", retryAfterS: retry });
      };
      xhr.onload = settle;
      xhr.onerror = settle;
      xhr.ontimeout = settle;
      xhr.onabort = settle;
      if (typeof onProgress === "function") {
        xhr.upload.onprogress = (e) => {
          if (e.lengthComputable && e.total > 0) {
            onProgress(Math.min(1, Math.max(0, e.loaded / e.total)));
          }
        };
      }
      xhr.send(form);
    } catch (_) {
      resolve(failed);
    }
  });
}

// One try at sending a resident's report. Resolves
// { kind: "done", receipt } | { kind: "refused", status, error } |
// { kind: "retry", afterMs } (afterMs from Retry-After, else null);
// never rejects.
async function sendReport(key, fields, blobs, onProgress) {
  let answer;
  try {
    answer = await queuePost("/api/v1/reports", fields, blobs, [["Idempotency-Key", key]], onProgress);
  } catch (_) {
    answer = { status: 0, body: "", retryAfterS: null };
  }
  const status = answer.status;
  if (status >= 200 && status <= 299) {
    let receipt = null;
    try {
      receipt = outboxReceipt(JSON.parse(answer.body));
    } catch (_) {
      receipt = null;
    }
    // Filed, but the answer was cut: the same key replays it.
    return receipt ? { kind: "done", receipt } : { kind: "retry", afterMs: null };
  }
  if (status === 0 || status === 408 || status === 429 || (status >= 500 && status <= 599)) {
    return { kind: "retry", afterMs: answer.retryAfterS === null ? null : answer.retryAfterS * 1000 };
  }
  const error = outboxApiError(answer.body) || { code: "http_error", message: "HTTP " + status, fields: {} };
  return { kind: "refused", status, error };
}

// Keeps a report for a later try, its photos as data: URLs, due after
// afterMs (Retry-After) or 15 s. True when stored, false when it lives
// only in this page (storage missing or full).
async function enqueue(key, fields, blobs, summary, afterMs) {
  const photos = [];
  for (const blob of blobs) photos.push(await queueDataUrl(blob));
  const now = Date.now();
  const queue = queueLoad().filter((p) => p.key !== key);
  queue.push({
    key,
    created_ms: now,
    fields: fields.map(([name, value]) => [String(name), String(value)]),
    photos,
    attempts: 1,
    next_ms: now + (afterMs == null ? outboxRetryEveryMs : afterMs),
    refused: null,
    summary: String(summary == null ? "" : summary),
  });
  return queueSave(queue);
}

function queueSettled(what) {
  for (const listener of outboxListeners) {
    try {
      listener(what);
    } catch (_) {
      // One page's listener does not stop the sender.
    }
  }
}

// Sends what is due, one report at a time; stops at the first that still
// gets no answer.
async function queueRun() {
  const now = Date.now();
  const due = queueLoad().filter((p) => p.refused === null && p.next_ms <= now);
  for (const item of due) {
    const blobs = item.photos.map(queueFromDataUrl).filter((b) => b !== null);
    const outcome = await sendReport(item.key, item.fields, blobs, null);
    const queue = queueLoad();
    const entry = queue.find((p) => p.key === item.key);
    if (outcome.kind === "done") {
      queueSave(queue.filter((p) => p.key !== item.key));
      remember(outcome.receipt, item.summary, false);
      queueSettled({ kind: "done", key: item.key, receipt: outcome.receipt });
    } else if (outcome.kind === "refused") {
      if (entry) {
        entry.refused = outcome.error.message;
        // Keep the text, drop the photos: it will not be sent again.
        entry.photos = [];
      }
      queueSave(queue);
      queueSettled({ kind: "refused", key: item.key, status: outcome.status, error: outcome.error });
    } else {
      if (entry) {
        entry.attempts = Math.min(outboxU32Max, entry.attempts + 1);
        entry.next_ms = Date.now() + (outcome.afterMs === null ? outboxRetryEveryMs : outcome.afterMs);
      }
      queueSave(queue);
      break;
    }
  }
}

// Sends what is due now, unless a run is under way.
function flushPending() {
  if (outboxBusy) return;
  outboxBusy = true;
  queueRun()
    .catch(() => {})
    .finally(() => {
      outboxBusy = false;
    });
}

// Starts the background sender: on `online`, every 15 s, and now. Called
// again, it only adds the listener: one sender per page.
function startSender(onSettled) {
  if (typeof onSettled === "function" && !outboxListeners.includes(onSettled)) {
    outboxListeners.push(onSettled);
  }
  if (outboxStarted) return;
  outboxStarted = true;
  window.addEventListener("online", () => {
    // "online" can come before the network really works; still due now.
    const queue = queueLoad();
    for (const p of queue) p.next_ms = 0;
    if (queue.length > 0) queueSave(queue);
    flushPending();
  });
  setInterval(flushPending, outboxRetryEveryMs);
  flushPending();
}
