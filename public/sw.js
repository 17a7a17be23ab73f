// Shanshui's service worker: shows a push message (通知) and opens the
// case on /track when it is tapped. A message carries a title, a line, the
// page to open (/track#code=…, never the secret: /track finds it among the
// reports this browser saved) and a tag, so a newer message about the same
// case replaces the older one. It caches nothing.
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

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
