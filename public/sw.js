// Shanshui's service worker (服务工作线程). Two jobs:
//
// 1. Offline reporting. The resident's pages, /report and /track (and the
//    home page, the app's start_url), are kept in one cache with the files
//    they run on, so a phone with no signal still opens them from the home
//    screen; the report form's outbox then sends what was written once the
//    network returns. The pages tell the worker what they loaded (a "keep"
//    message, see app/src/browser/web/offline.rs), since the first visit's
//    files arrive before any worker is there to see them.
//
//    What is cached is only what the server sends everybody: page shells,
//    the built front end (/pkg/<version>/…, immutable), the stylesheet,
//    vendored files, and the public list of categories. Nothing a reporter
//    wrote, no tracking answer and no staff data ever goes into the cache:
//    every other /api/ request, and every non-GET, goes straight to the
//    network.
//
//    Pages are network-first: online, a resident always gets the page the
//    server has now (so never one that calls an API that has gone); the
//    cached copy answers only when the network fails or is slower than
//    NETWORK_WAIT_MS. The front end of the last two builds stays cached, so
//    a tab opened before a deploy can still load its lazy chunks; a cached
//    page whose build's files were dropped is dropped with them.
//
// 2. Push messages (通知): shows one and opens the case on /track when it is
//    tapped. A message carries a title, a line, the page to open
//    (/track#code=…, never the secret: /track finds it among the reports
//    this browser saved) and a tag, so a newer message about the same case
//    replaces the older one.
"use strict";

const CACHE = "shanshui-offline-v1";
const PAGES = ["/", "/report", "/track"];
// Builds whose files are kept: the newest and the one before it.
const BUILDS_KEPT = 2;
const BUILDS_KEY = "/__shanshui/builds";
const NETWORK_WAIT_MS = 6000;
// The most URLs one "keep" message is read for.
const MAX_KEEP_URLS = 250;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) =>
  event.waitUntil(
    // The page's request starts while the worker wakes up (navigation
    // preload), so a network-first page costs no extra round trip.
    Promise.resolve(self.registration.navigationPreload && self.registration.navigationPreload.enable())
      .catch(() => null)
      .then(() => caches.keys())
      .then((names) =>
        Promise.all(
          names.filter((n) => n.startsWith("shanshui-") && n !== CACHE).map((n) => caches.delete(n)),
        ),
      )
      .then(() => self.clients.claim()),
  ),
);

const sameOrigin = (url) => url.origin === self.location.origin;
const isPage = (url) => PAGES.includes(url.pathname);
// Files that never change under their URL, or change rarely and are public.
const isFile = (url) =>
  url.pathname.startsWith("/pkg/") ||
  url.pathname.startsWith("/vendor/") ||
  url.pathname === "/style.css" ||
  url.pathname === "/favicon.svg" ||
  url.pathname === "/manifest.webmanifest";
// The public list of categories (the report form has them in its page; a
// copy kept by an earlier build's form is still its to keep).
const isPublicData = (url) => url.pathname === "/api/v1/categories" && url.search === "";

// The build a page was made by: its front end's directory, or its
// stylesheet's version (the same string), which a page rendered on the
// server alone, with no front end to load, still links.
const buildOf = (text) => {
  const m = /\/pkg\/([0-9a-z]+)\/|\/style\.css\?v=([0-9a-z]+)/.exec(text);
  return m ? m[1] || m[2] : null;
};
const buildOfUrl = (url) => {
  if (url.pathname.startsWith("/pkg/")) return url.pathname.split("/")[2] || null;
  if (url.pathname === "/style.css") return url.searchParams.get("v");
  return null;
};

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (!sameOrigin(url)) return;
  if (request.mode === "navigate") {
    event.respondWith(page(event, request, url));
  } else if (isFile(url)) {
    event.respondWith(file(request));
  } else if (isPublicData(url)) {
    const key = url.pathname;
    const store = (r) => caches.open(CACHE).then((cache) => cache.put(key, r));
    event.respondWith(networkFirst(event, fetch(request), key, store));
  }
});

// A page: the network's answer, kept if it is one of the resident's pages
// (as asked for, with no query); the kept copy when the network fails; a
// short offline page otherwise.
async function page(event, request, url) {
  const key = isPage(url) ? url.pathname : null;
  const fetching = Promise.resolve(event.preloadResponse).then((r) => r || fetch(request));
  const store = key && url.search === "" ? (r) => keepPage(key, r) : null;
  try {
    return await networkFirst(event, fetching, key, store);
  } catch (_) {
    return offlinePage();
  }
}

// The network's answer, stored (`store`, when given) once it comes, even
// after the deadline; the copy kept under `key` when the network fails or
// is too slow; the network's failure when nothing is kept.
async function networkFirst(event, fetching, key, store) {
  if (store) {
    // Registered before the answer is handed over, so it is copied in time.
    event.waitUntil(
      fetching.then((r) => (r.ok && !r.redirected ? store(r.clone()) : null)).catch(() => null),
    );
  }
  try {
    return await withDeadline(fetching, key);
  } catch (e) {
    const cached = key && (await (await caches.open(CACHE)).match(key));
    if (cached) return cached;
    throw e;
  }
}

// Waits for the network at most NETWORK_WAIT_MS when a copy is kept (a weak
// signal can hang for a minute); the answer, when it comes, still updates
// the copy (see the callers' waitUntil).
async function withDeadline(fetching, key) {
  const cached = key && (await (await caches.open(CACHE)).match(key));
  if (!cached) return fetching;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("slow network")), NETWORK_WAIT_MS);
    fetching.then(
      (r) => {
        clearTimeout(timer);
        resolve(r);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

// A file of the front end: the kept copy, or the network's, kept.
async function file(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(request, response.clone());
  return response;
}

// Keeps a page with the build it runs on, and drops the builds (and pages)
// older than the last BUILDS_KEPT.
async function keepPage(key, response) {
  const text = await response.clone().text();
  const build = buildOf(text);
  const cache = await caches.open(CACHE);
  await cache.put(key, response);
  if (build) await noteBuild(cache, build);
}

async function noteBuild(cache, build) {
  const kept = await cache.match(BUILDS_KEY);
  let builds = kept ? await kept.json().catch(() => []) : [];
  if (builds[0] === build) return;
  builds = [build, ...builds.filter((b) => b !== build)].slice(0, BUILDS_KEPT);
  await cache.put(BUILDS_KEY, new Response(JSON.stringify(builds), { headers: { "content-type": "application/json" } }));
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    let old = buildOfUrl(url);
    if (!old && isPage(url)) {
      const r = await cache.match(request);
      old = r ? buildOf(await r.text()) : null;
    }
    if (old && !builds.includes(old)) await cache.delete(request);
  }
}

// What a page says it loaded, and the other resident pages it wants kept:
// the files come from the browser's own cache (they are immutable), the
// pages from the network.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "keep") return;
  event.waitUntil(keep(data));
});

async function keep(data) {
  const cache = await caches.open(CACHE);
  // A page lists what it loaded, which the browser caps at 250 entries
  // (its resource timing buffer); more is not a page's own list.
  const urls = Array.isArray(data.urls) ? data.urls.slice(0, MAX_KEEP_URLS) : [];
  for (const raw of urls) {
    let url;
    try {
      url = new URL(raw, self.location.origin);
    } catch (_) {
      continue;
    }
    if (!sameOrigin(url) || !(isFile(url) || isPublicData(url))) continue;
    const key = isPublicData(url) ? url.pathname : url.href;
    if (await cache.match(key)) continue;
    try {
      const response = await fetch(url.href);
      if (response.ok) await cache.put(key, response);
    } catch (_) {
      // Kept next time the page says so.
    }
  }
  const pages = Array.isArray(data.pages) ? data.pages.filter((p) => PAGES.includes(p)) : [];
  for (const path of pages) {
    const cached = await cache.match(path);
    if (cached && data.build && buildOf(await cached.text()) === data.build) continue;
    try {
      const response = await fetch(path, { credentials: "same-origin" });
      if (response.ok && !response.redirected) await keepPage(path, response);
    } catch (_) {
      // Kept next time.
    }
  }
}

// Shown for a page that was never kept, when there is no network. Its own
// policy: no script, its style inline.
function offlinePage() {
  const html = `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>没有网络 · Offline — 山水</title>
<style>body{font-family:system-ui,sans-serif;margin:0;padding:1.5rem;color:#17302d;background:#f6faf9;line-height:1.6}
h1{font-size:1.4rem;margin:0 0 .5rem}p{margin:.25rem 0 1rem}a{display:flex;align-items:center;min-height:44px;padding:.6rem 1rem;margin:.5rem 0;
border-radius:.6rem;background:#0f5e57;color:#fff;text-decoration:none;font-weight:600}</style></head>
<body><main><h1>没有网络</h1><p>这个页面还没有存在本机上。举报表可以离线填写，有网络时会自动发送。</p>
<p lang="en">You are offline, and this page is not kept on this phone. The report form works offline and sends when the network returns.</p>
<a href="/report">我要举报 · Report</a><a href="/track">查询进度 · Track a case</a></main></body></html>`;
  return new Response(html, {
    status: 503,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
      "cache-control": "no-store",
    },
  });
}

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (_) {
    data = {};
  }
  const title = typeof data.title === "string" ? data.title : "山水";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof data.body === "string" ? data.body : "",
      tag: typeof data.tag === "string" ? data.tag : undefined,
      icon: "/favicon.svg",
      data: { url: typeof data.url === "string" ? data.url : "/track" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  // Only a page of this site: the payload is ours, but a URL is checked anyway.
  const target = new URL(event.notification.data && event.notification.data.url || "/track", self.location.origin);
  const url = target.origin === self.location.origin ? target.href : new URL("/track", self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const w of windows) {
        if (w.url.startsWith(self.location.origin + "/track") && "focus" in w) {
          return w.navigate(url).then((c) => (c || w).focus());
        }
      }
      return self.clients.openWindow(url);
    }),
  );
});
