// /track's own script (see pages/track/mod.rs). The page's forms work
// without it, each posted to /track and the page sent back; this adds what
// only the browser can do:
// - the receipt's link, /track#code=…&secret=… (a fragment never reaches a
//   server), looked up at once, and the address kept that way after a
//   lookup, so that it can be saved or reloaded;
// - the forms sent without leaving the page (the page's new content put in
//   place of the old), with the button busy meanwhile;
// - the reports saved on this phone (localStorage, written by the report
//   form's receipts and by 找回 here);
// - push notifications, which only a browser can subscribe itself to;
// - photos with an answer, made small before they leave the phone, as the
//   report form makes them (about 2048 px, JPEG, at most about 600 KB);
// - the service worker, so the page opens with no signal next time.
// Every text it shows comes from the page (data-* attributes), in the
// page's language; what it writes into the page is text, never markup.
// It runs in a scope of its own with `keepOffline` (see `SCRIPT`).
const d = document;
const RECEIPTS = "shanshui.reports.v1";
const LONG_EDGE = 2048;
const MAX_BYTES = 600 * 1024;
const page = () => d.querySelector(".track-page");
const byId = (id) => d.getElementById(id);
const show = (id) => {
  const el = byId(id);
  if (el) el.hidden = false;
};
// A tracking code as the server reads it: letters and digits, upper case.
const norm = (code) => code.toUpperCase().replace(/[^0-9A-Z]/g, "");
const trackUrl = (code, secret) =>
  "/track#code=" + encodeURIComponent(code) + "&secret=" + encodeURIComponent(secret);

// The reports saved on this phone, newest first.
const saved = () => {
  try {
    const list = JSON.parse(localStorage.getItem(RECEIPTS) || "[]");
    return Array.isArray(list)
      ? list.filter((s) => s && typeof s.tracking_code === "string" && typeof s.secret === "string")
      : [];
  } catch (_) {
    return [];
  }
};
const keep = (list) => {
  try {
    if (list.length > 0) localStorage.setItem(RECEIPTS, JSON.stringify(list.slice(0, 50)));
    else localStorage.removeItem(RECEIPTS);
  } catch (_) {
    // A private window keeps nothing.
  }
};
// A report kept (a new secret for a code replaces the old, which 找回
// made useless).
const remember = (code, secret) => {
  const list = saved().filter((s) => norm(s.tracking_code) !== norm(code));
  list.unshift({
    tracking_code: code,
    secret,
    track_url: trackUrl(code, secret),
    saved_ms: Date.now(),
    summary: "",
    seen: true,
  });
  keep(list);
};

const showSaved = () => {
  const section = byId("saved-reports");
  if (!section) return;
  const forget = page().dataset.forget;
  const list = saved();
  section.querySelector("ul").replaceChildren(
    ...list.map((s) => {
      const li = d.createElement("li");
      const a = d.createElement("a");
      a.href = trackUrl(s.tracking_code, s.secret);
      const code = d.createElement("strong");
      code.textContent = s.tracking_code;
      const summary = d.createElement("small");
      summary.textContent = typeof s.summary === "string" ? s.summary : "";
      a.append(code, summary);
      const button = d.createElement("button");
      button.type = "button";
      button.className = "button small";
      button.textContent = forget;
      button.setAttribute("aria-label", forget + " " + s.tracking_code);
      button.addEventListener("click", () => {
        keep(saved().filter((x) => x.tracking_code !== s.tracking_code || x.secret !== s.secret));
        showSaved();
      });
      li.append(a, button);
      return li;
    }),
  );
  section.hidden = list.length === 0;
};

// What the page just showed that this phone should keep: reports found
// by 找回, and a new case opened because the problem came back.
const keepWhatWasShown = () => {
  for (const li of d.querySelectorAll("#recovered li[data-code]")) {
    remember(li.dataset.code, li.dataset.secret);
  }
  const opened = byId("came-back-receipt");
  if (opened && opened.dataset.code) remember(opened.dataset.code, opened.dataset.secret);
};

const pushReady = () => {
  const button = byId("push-subscribe");
  if (!button) return;
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    button.hidden = true;
    show("push-unsupported");
  } else if (Notification.permission === "denied") {
    button.hidden = true;
    show("push-denied");
  } else {
    button.disabled = false;
  }
};

// Everything the page's content needs each time it is put in place.
let photos = [];
const setUp = () => {
  photos = [];
  showSaved();
  keepWhatWasShown();
  pushReady();
};

const errorMessage = async (response) => {
  try {
    const body = await response.json();
    if (body && body.error && typeof body.error.message === "string") return body.error.message;
  } catch (_) {
    // Not the API's error: its status says enough.
  }
  return page().dataset.failed + " (" + response.status + ")";
};

// The failure of a form sent from the page, said beside it.
const failed = (form, text) => {
  let p = form.querySelector(".field-error.sent");
  if (!p) {
    p = d.createElement("p");
    p.className = "field-error sent";
    p.setAttribute("role", "alert");
    const last = form.querySelector("button[type=submit]");
    form.insertBefore(p, last);
  }
  p.textContent = text;
};

// Posts to /track and puts the page it answers in place of this one.
let busy = false;
const post = async (body, form, submitter) => {
  if (busy) return false;
  busy = true;
  if (submitter) submitter.disabled = true;
  if (form) form.setAttribute("aria-busy", "true");
  try {
    const response = await fetch("/track", { method: "POST", body, credentials: "same-origin" });
    const html = await response.text();
    const next = new DOMParser().parseFromString(html, "text/html").querySelector(".track-page");
    if (!next) throw new Error("not the tracking page");
    page().replaceWith(d.adoptNode(next));
    setUp();
    // The address says which case, like the receipt's link, without
    // adding a step to the history.
    const shown = shownCase();
    if (shown) history.replaceState(null, "", trackUrl(shown.code, shown.secret));
    const alert = page().querySelector("[role=alert]:not([hidden])");
    if (alert) {
      alert.tabIndex = -1;
      alert.focus();
    }
    return true;
  } catch (_) {
    if (submitter) submitter.disabled = false;
    if (form) {
      form.removeAttribute("aria-busy");
      failed(form, page().dataset.failed);
    }
    return false;
  } finally {
    busy = false;
  }
};

const lookUp = async (code, secret, form) => {
  byId("track-code").value = code;
  byId("track-secret").value = secret;
  const shown = await post(new URLSearchParams({ code, secret }), form, byId("track-submit"));
  const found = byId("case");
  if (shown && found) {
    found.tabIndex = -1;
    if (!page().querySelector("[role=alert]")) found.focus();
  }
};

// The address's fragment: a case to show. A case the page shows already
// is looked up again only when the address changed to it since (a
// notification tapped while the page was open: the case has moved on).
const fromFragment = (changed) => {
  const wanted = new URLSearchParams(location.hash.slice(1));
  const code = (wanted.get("code") || "").trim();
  if (!code) return;
  let secret = (wanted.get("secret") || "").trim();
  // A notification opens /track#code=… without the secret: it is among
  // the reports this phone saved, or typed in.
  if (!secret) {
    const known = saved().find((s) => norm(s.tracking_code) === norm(code));
    if (known) secret = known.secret;
  }
  const shown = byId("case");
  if (!changed && shown && norm(shown.dataset.code) === norm(code)) return;
  if (!secret) {
    byId("track-code").value = code;
    return;
  }
  // See `.looking-up` in the stylesheet. The page that comes back has no
  // such class; a failed lookup takes it off.
  page().classList.add("looking-up");
  lookUp(code, secret, byId("track-form")).finally(() => page().classList.remove("looking-up"));
};

d.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.closest(".track-page")) return;
  event.preventDefault();
  const submitter = event.submitter || form.querySelector("button[type=submit]");
  if (form.id === "track-form") {
    lookUp(form.elements.code.value.trim(), form.elements.secret.value.trim(), form);
  } else if (form.id === "answer-form" && photos.length > 0) {
    answerWithPhotos(form, submitter);
  } else {
    const data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    post(new URLSearchParams(data), form, submitter);
  }
});

// Photos for an answer, made small as they are chosen.
d.addEventListener("change", async (event) => {
  const input = event.target;
  if (input.id !== "answer-photos") return;
  const max = Number(input.dataset.max) || 3;
  const files = Array.from(input.files || []).slice(0, Math.max(0, max - photos.length));
  input.value = "";
  const submit = byId("answer-submit");
  if (submit) submit.disabled = true;
  for (const file of files) {
    photos.push(await small(file).catch(() => file));
  }
  const count = byId("answer-photo-count");
  if (count) count.textContent = page().dataset.photosChosen + " " + photos.length + "/" + max;
  if (submit) submit.disabled = false;
});

const encode = (canvas, quality) =>
  new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));

// The photo's long edge brought to LONG_EDGE, as JPEG, at the first
// quality that fits MAX_BYTES (the last one otherwise).
async function small(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, LONG_EDGE / Math.max(bitmap.width, bitmap.height));
  const canvas = d.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  let blob = null;
  for (const quality of [0.85, 0.75, 0.65, 0.55]) {
    blob = (await encode(canvas, quality)) || blob;
    if (blob && blob.size <= MAX_BYTES) break;
  }
  return blob || file;
}

// An answer with photos goes to the API as a multipart form; the page
// then shows the case as it is after it.
async function answerWithPhotos(form, submitter) {
  if (busy) return;
  const code = form.elements.code.value;
  const secret = form.elements.secret.value;
  const data = new FormData();
  data.append("action", "answer_info");
  data.append("answer", form.elements.answer.value);
  photos.forEach((photo, i) => data.append("photo", photo, "photo-" + (i + 1) + ".jpg"));
  busy = true;
  submitter.disabled = true;
  let sent = false;
  try {
    const response = await fetch("/api/v1/track/" + encodeURIComponent(code) + "/actions", {
      method: "POST",
      headers: { "X-Report-Secret": secret },
      body: data,
    });
    if (response.ok) sent = true;
    else failed(form, await errorMessage(response));
  } catch (_) {
    failed(form, page().dataset.failed);
  } finally {
    busy = false;
    submitter.disabled = false;
  }
  if (sent) await post(new URLSearchParams({ code, secret }), null, null);
}

const bytes = (base64url) => {
  const b64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(b64 + "===".slice((b64.length + 3) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
};

// The case the page shows, and its secret (the one the page was sent
// with: 找回 gives a found report a new one).
const shownCase = () => {
  const shown = byId("case");
  const secret = shown && shown.querySelector("#notify-push input[name=secret]");
  return shown && secret ? { code: shown.dataset.code, secret: secret.value } : null;
};

// Push on this browser for the case shown.
async function subscribe(button) {
  const shown = shownCase();
  if (!shown) return;
  const said = byId("push-failed");
  said.hidden = true;
  button.disabled = true;
  try {
    if ((await Notification.requestPermission()) !== "granted") {
      button.hidden = true;
      show("push-denied");
      return;
    }
    const key = await fetch("/api/v1/push/key");
    if (!key.ok) throw new Error(await errorMessage(key));
    const { public_key: publicKey } = await key.json();
    await navigator.serviceWorker.register("/sw.js");
    const registration = await navigator.serviceWorker.ready;
    const options = { userVisibleOnly: true, applicationServerKey: bytes(publicKey) };
    let subscription;
    try {
      subscription = await registration.pushManager.subscribe(options);
    } catch (e) {
      // Subscribed before with another server key: that one goes first.
      if (!e || e.name !== "InvalidStateError") throw e;
      const old = await registration.pushManager.getSubscription();
      if (old) await old.unsubscribe();
      subscription = await registration.pushManager.subscribe(options);
    }
    const body = subscription.toJSON();
    body.lang = d.documentElement.lang === "en" ? "en" : "zh-CN";
    const sent = await fetch("/api/v1/track/" + encodeURIComponent(shown.code) + "/push", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Report-Secret": shown.secret },
      body: JSON.stringify(body),
    });
    if (!sent.ok) throw new Error(await errorMessage(sent));
    button.hidden = true;
    show("push-on");
  } catch (e) {
    button.disabled = false;
    said.textContent = page().dataset.pushFailed + " (" + ((e && (e.message || e.name)) || e) + ")";
    said.hidden = false;
  }
}

d.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("#push-subscribe");
  if (button && !button.disabled) subscribe(button);
});

addEventListener("hashchange", () => fromFragment(true));

// Seen: the reports sent in the background are no longer news.
const list = saved();
if (list.some((s) => !s.seen)) keep(list.map((s) => Object.assign({}, s, { seen: true })));
setUp();
fromFragment(false);

// Kept for use with no signal: this page and its stylesheet (the report
// form keeps itself when it is opened).
keepOffline(["/track"]);
