//! What a shared link shows: the page's title, its description and its
//! canonical address (with Open Graph tags for chat apps' previews).

use crate::lang::head_text;
use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};

/// `http://host` as the reader reached the site.
fn origin() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                let host = parts.headers.get(http::header::HOST)?.to_str().ok()?.to_owned();
                host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)).then_some(host)
            })
            .map(|host| {
                let https = parts_forwarded_https();
                format!("{}://{host}", if https { "https" } else { "http" })
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        String::new()
    }
}

#[cfg(feature = "ssr")]
fn parts_forwarded_https() -> bool {
    use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).map(|v| v == "https"))
        .unwrap_or(false)
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

/// Only the canonical link, for a page that sets its own title.
#[component]
pub fn Canonical(path: String) -> impl IntoView {
    view! { <Link rel="canonical" href=format!("{}{path}", origin()) /> }
}
