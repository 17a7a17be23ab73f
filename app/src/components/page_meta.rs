//! What a shared link shows: the page's title, its description and its
//! canonical address (with Open Graph tags for chat apps' previews).

use crate::lang::head_text;
use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};

/// `http://host` as the reader reached the site; empty (links stay
/// relative) when the Host header is not a plain host.
fn origin() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
                shared::site::origin(header("host"), header("x-forwarded-proto"))
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        String::new()
    }
}

/// `path` is the page's own path and query, e.g. `/cases/BN-7K3M-Q9TX`.
#[component]
pub fn PageMeta(
    title: impl Fn() -> String + Send + Sync + Clone + 'static,
    description: impl Fn() -> String + Send + Sync + Clone + 'static,
    path: String,
) -> impl IntoView {
    let canonical = format!("{}{path}", origin());
    view! {
        <Title text=head_text(title.clone()) />
        <Meta name="description" content=head_text(description.clone()) />
        <Meta property="og:title" content=head_text(title) />
        <Meta property="og:description" content=head_text(description) />
        <Meta property="og:url" content=canonical.clone() />
        <Meta property="og:type" content="website" />
        <Link rel="canonical" href=canonical />
    }
}

/// Only the canonical link, for a page that sets its own title (the home
/// page, server-only: see `crate::delivery`).
#[cfg(feature = "ssr")]
#[component]
pub fn Canonical(path: String) -> impl IntoView {
    view! { <Link rel="canonical" href=format!("{}{path}", origin()) /> }
}
