// Keeps the resident's pages for use with no signal (public/sw.js). A
// page's first visit loads its files before any worker is there to see
// them, so, a few seconds after the page has loaded (not to compete with
// it), this registers the worker and tells it what the page loaded and
// which pages to keep, with the build the page was made by (its
// stylesheet's version): the worker fetches a kept page again only when it
// is of another build. Shared by the resident's pages' scripts, inside
// each one's own scope.
function keepOffline(pages) {
  if (!("serviceWorker" in navigator && "caches" in window)) return;
  addEventListener("load", () =>
    setTimeout(async () => {
      try {
        performance.mark("shanshui-keep-offline");
        await navigator.serviceWorker.register("/sw.js");
        const registration = await navigator.serviceWorker.ready;
        const urls = performance.getEntriesByType("resource").map((e) => e.name);
        const style = document.querySelector('link[rel=stylesheet][href^="/style.css?v="]');
        const build = style ? new URL(style.href).searchParams.get("v") : null;
        const message = { type: "keep", urls, pages };
        if (build) message.build = build;
        if (registration.active) registration.active.postMessage(message);
      } catch (_) {
        // Kept next time.
      }
    }, 3000),
  );
}
