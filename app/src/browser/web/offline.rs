//! The resident's pages kept for use offline (离线使用): registers the
//! service worker (`/sw.js`) and tells it what this page loaded, so that
//! `/report` and `/track` open with no signal, from the home screen too.
//!
//! A page's first visit loads its files before any worker is there to see
//! them; so the page lists them (the browser's resource timing) and the
//! worker copies them from the browser's own cache (they are immutable).
//! The other resident pages are rendered on the server and need no code of
//! their own: the worker fetches them.

use super::js::{call, get, wait};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

/// The performance mark set when the page starts keeping the offline pages.
const KEEPING_MARK: &str = "shanshui-keep-offline";

pub async fn keep(pages: &[&str]) {
    let Some(window) = web_sys::window().map(JsValue::from) else {
        return;
    };
    // What the page fetched before this is what opening it cost; what
    // follows is kept for later. The mark tells them apart (in the browser
    // tests' budgets, and in any performance trace).
    if let Some(performance) = get(&window, "performance") {
        call(&performance, "mark", &[JsValue::from_str(KEEPING_MARK)]);
    }
    let Some(workers) = get(&window, "navigator").and_then(|n| get(&n, "serviceWorker")) else {
        return;
    };
    if get(&window, "caches").is_none()
        || wait(call(&workers, "register", &[JsValue::from_str("/sw.js")]))
            .await
            .is_err()
    {
        return;
    }
    let Ok(registration) = wait(get(&workers, "ready")).await else {
        return;
    };
    let Some(worker) = get(&registration, "active") else {
        return;
    };
    let mut urls = loaded(&window);
    // `/report` as sent carries its categories, but the form drawn in the
    // browser (a resident who opens `/track` with no signal and goes on to
    // report) reads them from the API: kept whether this page asked or not.
    if !urls.iter().any(|u| u.ends_with(CATEGORIES)) {
        urls.push(CATEGORIES.to_owned());
    }
    // The build the page runs on, from its versioned files: the worker
    // fetches a page again only when its kept copy is of another build.
    let build = urls.iter().find_map(|u| {
        u.split("/pkg/")
            .nth(1)?
            .split('/')
            .next()
            .map(str::to_owned)
    });
    let message = Object::new();
    let set = |name: &str, value: JsValue| {
        let _ = Reflect::set(&message, &JsValue::from_str(name), &value);
    };
    set("type", JsValue::from_str("keep"));
    set(
        "urls",
        urls.iter()
            .map(|u| JsValue::from_str(u))
            .collect::<Array>()
            .into(),
    );
    set(
        "pages",
        pages
            .iter()
            .map(|p| JsValue::from_str(p))
            .collect::<Array>()
            .into(),
    );
    if let Some(build) = build {
        set("build", JsValue::from_str(&build));
    }
    call(&worker, "postMessage", &[message.into()]);
}

const CATEGORIES: &str = "/api/v1/categories";

/// The URLs of what this page has loaded so far.
fn loaded(window: &JsValue) -> Vec<String> {
    let entries = get(window, "performance")
        .and_then(|p| call(&p, "getEntriesByType", &[JsValue::from_str("resource")]))
        .map(|a| Array::from(&a))
        .unwrap_or_default();
    entries
        .iter()
        .filter_map(|e| get(&e, "name")?.as_string())
        .collect()
}
