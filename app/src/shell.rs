//! The HTML document around the app, rendered on the server only.

use crate::delivery::{Delivery, SERVER_ONLY_SCRIPT};
use crate::{App, OUTPUT_NAME};
use leptos::prelude::*;
use leptos_meta::MetaTags;

/// What the server tells every page, decided once at start-up.
#[derive(Clone, Debug)]
pub struct ShellConfig {
    /// A short digest of the built front-end files, in their URLs (`/pkg/{v}/…`,
    /// `style.css?v=…`) so they can be cached for a year and still change on a
    /// deploy.
    pub asset_version: String,
    /// Map tiles for the report form (e.g. a tile server in China).
    pub tile_url: String,
    pub tile_attribution: String,
    /// Whether demo cases (演示数据) exist: every page then says so, with a
    /// banner drawn by the stylesheet (`html.demo`), outside the hydrated
    /// tree.
    pub demo: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

const MARK_SCRIPTED: &str = "document.documentElement.classList.add('js')";

/// The tab's icon, written into every page (`data:`): a link to
/// `/favicon.svg` cost every page one more request, a round trip on a weak
/// network, for 265 bytes. The file stays for the web app manifest and the
/// push notifications.
static FAVICON: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "data:image/svg+xml,{}",
        crate::public_api::encode(include_str!("../../public/favicon.svg").trim())
    )
});

pub fn shell(options: LeptosOptions, config: ShellConfig) -> impl IntoView {
    let pkg = options.site_pkg_dir.to_string();
    let ShellConfig {
        asset_version: v,
        tile_url,
        tile_attribution,
        demo,
    } = config;
    let demo = demo
        .load(std::sync::atomic::Ordering::Relaxed)
        .then_some("demo");
    let path = use_context::<http::request::Parts>().map(|parts| parts.uri.path().to_owned());
    let delivery = path
        .as_deref()
        .map(Delivery::of)
        .unwrap_or(Delivery::Hydrated);
    // The page's own script, after the one every server-only page has; on
    // a hydrated page, the script the app calls.
    let own_script = match (delivery, path.as_deref()) {
        (Delivery::Hydrated, _) => crate::delivery::HYDRATED_SCRIPT,
        (_, Some("/track")) => crate::pages::track::SCRIPT,
        (_, Some("/report")) => crate::pages::report::SCRIPT,
        _ => "",
    };
    provide_context(delivery);
    if delivery == Delivery::ServerOnly {
        // Nothing will hydrate this page: Leptos need not write each
        // resource's data into it for the browser to read again.
        if let Some(context) = Owner::current_shared_context() {
            context.set_is_hydrating(false);
        }
    }
    // The version is a directory, not a query: the JS modules import each
    // other (and fetch the lazy routes' chunks) by relative URLs, which then
    // carry it too. The server serves `/pkg/{v}/` and caches it for a year.
    let js = format!("/{pkg}/{v}/{OUTPUT_NAME}.js");
    let wasm = format!("/{pkg}/{v}/{OUTPUT_NAME}_bg.wasm");
    // The same loader Leptos's <HydrationScripts> writes, with versioned URLs.
    let loader = format!(
        "import({js:?}).then(m=>m.default({{module_or_path:{wasm:?}}}).then(()=>m.hydrate()))"
    );
    // The content security policy allows inline scripts only with this
    // answer's nonce (see the server's security_headers).
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string());
    view! {
        <!DOCTYPE html>
        <html class=demo>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#0f5e57" />
                <meta name="shanshui-tile-url" content=tile_url />
                <meta name="shanshui-tile-attribution" content=tile_attribution />
                // Marks the page as scripted before it paints, so no-JavaScript
                // notices (`.nojs-only`) stay hidden for everyone else.
                <script nonce=nonce.clone()>
                    {MARK_SCRIPTED}
                </script>
                <link rel="stylesheet" href=format!("/style.css?v={v}") />
                <link rel="icon" href=FAVICON.as_str() type="image/svg+xml" />
                <link rel="manifest" href="/manifest.webmanifest" />
                {(delivery == Delivery::Hydrated).then(|| view! {
                    <link rel="modulepreload" href=js />
                    <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin="" />
                    <script type="module" nonce=nonce.clone()>{loader}</script>
                })}
                <MetaTags />
            </head>
            <body>
                <App />
                // After the page it works on: an inline script runs where it stands.
                {(delivery == Delivery::ServerOnly).then(|| view! {
                    <script nonce=nonce.clone()>{SERVER_ONLY_SCRIPT}</script>
                })}
                {(!own_script.is_empty()).then(|| view! {
                    <script nonce=nonce>{own_script}</script>
                })}
            </body>
        </html>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_is_a_data_url_that_reads_back_as_the_file() {
        let url = FAVICON.as_str();
        let encoded = url.strip_prefix("data:image/svg+xml,").unwrap();
        assert!(!encoded.contains(['#', '"', '<', '>', '&', '\'', '\n']));
        let mut decoded = Vec::new();
        let mut bytes = encoded.bytes();
        while let Some(b) = bytes.next() {
            if b == b'%' {
                let hex: String = [bytes.next().unwrap(), bytes.next().unwrap()]
                    .iter()
                    .map(|&b| b as char)
                    .collect();
                decoded.push(u8::from_str_radix(&hex, 16).unwrap());
            } else {
                decoded.push(b);
            }
        }
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            include_str!("../../public/favicon.svg").trim()
        );
    }
}
