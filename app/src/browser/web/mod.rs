//! The browser itself, for the WebAssembly build (`hydrate`): see
//! `browser` for the server's stand-ins.

pub mod geo;
pub mod http;
pub mod map;
pub mod photos;
pub mod store;

use wasm_bindgen::JsCast;

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// 128 random bits as hex, for an `Idempotency-Key`.
pub fn random_key() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .is_some();
    if !filled {
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0).floor() as u8;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Scrolls to an element of the page and focuses it, if it can be focused.
pub fn scroll_to(id: &str) {
    let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
    else {
        return;
    };
    el.scroll_into_view_with_bool(true);
    if let Some(el) = el.dyn_ref::<web_sys::HtmlElement>() {
        let _ = el.focus();
    }
}

/// Whether the window is at least `px` CSS pixels wide, by the media query
/// the stylesheet uses (a desktop's screen, not a phone's).
pub fn wider_than(px: u32) -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media(&format!("(min-width: {px}px)"))
                .ok()
                .flatten()
        })
        .is_some_and(|m| m.matches())
}

/// `encodeURIComponent`.
pub fn encode_component(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

/// The `lang` attribute the server rendered on `<html>`.
pub fn rendered_lang() -> Option<String> {
    leptos::prelude::document()
        .document_element()
        .and_then(|el| el.get_attribute("lang"))
}

/// Sets a cookie (`document.cookie = …`).
pub fn set_cookie(cookie: &str) {
    if let Ok(doc) = leptos::prelude::document().dyn_into::<web_sys::HtmlDocument>() {
        let _ = doc.set_cookie(cookie);
    }
}

/// The `attr` of the element matching `selector` that a click landed in
/// (the target itself or its nearest such ancestor): one listener for a list
/// of buttons the page did not build one by one.
pub fn clicked_attr(ev: &web_sys::MouseEvent, selector: &str, attr: &str) -> Option<String> {
    let target = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
    target.closest(selector).ok()??.get_attribute(attr)
}

/// Runs `f` once `el` comes within a screen's height of the viewport (at
/// once where the browser cannot tell): work for what is far down a page,
/// such as the report form's map, waits until the resident gets near it.
pub fn when_near(el: &web_sys::Element, f: impl FnOnce() + 'static) {
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    let f = Rc::new(Cell::new(Some(f)));
    let run = {
        let f = f.clone();
        move || {
            if let Some(f) = f.take() {
                f();
            }
        }
    };
    let on_change = {
        let run = run.clone();
        Closure::<dyn FnMut(js_sys::Array, web_sys::IntersectionObserver)>::new(
            move |entries: js_sys::Array, observer: web_sys::IntersectionObserver| {
                let near = entries.iter().any(|e| {
                    e.unchecked_into::<web_sys::IntersectionObserverEntry>()
                        .is_intersecting()
                });
                if near {
                    observer.disconnect();
                    run();
                }
            },
        )
    };
    let init = web_sys::IntersectionObserverInit::new();
    init.set_root_margin("100% 0px");
    match web_sys::IntersectionObserver::new_with_options(on_change.as_ref().unchecked_ref(), &init)
    {
        Ok(observer) => {
            observer.observe(el);
            // Lives as long as the observer may call it: until it has run
            // `f`, or for the page's life when the element never comes near.
            on_change.forget();
        }
        Err(_) => run(),
    }
}

/// Links to a server-only page (see `crate::delivery`) are followed by the
/// browser, not by the app's router: the page is not in this WebAssembly,
/// and the server sends it whole. A listener on the window's capture phase
/// runs before the router's (on the window's bubble phase) and stops the
/// click there, leaving the browser's own navigation to happen.
pub fn follow_server_only_links() {
    use crate::delivery::Delivery;
    let on_click = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::MouseEvent)>::new(
        |ev: web_sys::MouseEvent| {
            let anchor = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("a[href]").ok().flatten())
                .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
            let Some(anchor) = anchor else { return };
            let same_site = anchor.origin() == origin();
            if same_site && Delivery::of(&anchor.pathname()) == Delivery::ServerOnly {
                ev.stop_propagation();
            }
        },
    );
    let _ = leptos::prelude::window().add_event_listener_with_callback_and_bool(
        "click",
        on_click.as_ref().unchecked_ref(),
        true,
    );
    // Kept for the page's life, like the router's own listener.
    on_click.forget();
}

/// The page's origin (`https://host`), or "" when unknown.
fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}
