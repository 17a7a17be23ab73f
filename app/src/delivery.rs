//! How a page reaches the phone (页面交付方式): hydrated by the app's
//! WebAssembly, or sent as finished HTML with a few lines of script.
//!
//! The open-information pages (公开页面: home, cases, statistics, notices)
//! are read, not worked: the server renders them whole, their filters are
//! plain GET forms and their links plain links. Hydrating them cost a
//! resident on a weak network 370–470 KB of WebAssembly in 70–120 requests
//! for a menu button and a language switch. They are now sent without the
//! app's WebAssembly and without the data Leptos writes into a page for
//! hydration; `SERVER_ONLY_SCRIPT` gives them the menu, the language switch
//! and the notice of reports waiting on the phone.
//!
//! Following a case (`/track`) is server-only too: its forms post to the
//! page, and a few lines of its own script do the rest (`pages::track`).
//! So is the report form (`/report`): the server writes the whole form, and
//! its own script makes the photos small, draws the map, sends the report
//! and keeps it on the phone while there is no network
//! (`pages::report::page`). Only the staff console keeps the whole app.

/// How the page at a path is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The app's WebAssembly hydrates it and takes over navigation.
    Hydrated,
    /// Finished HTML: no WebAssembly, no hydration data.
    ServerOnly,
}

/// The roots of the pages that need the app in the browser; everything else
/// (the resident's pages, the open-information pages, an unknown address's
/// 404) is server-only.
const HYDRATED: [&str; 1] = ["/admin"];

impl Delivery {
    pub fn of(path: &str) -> Delivery {
        let hydrated = HYDRATED.iter().any(|root| {
            path.strip_prefix(root)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        if hydrated {
            Delivery::Hydrated
        } else {
            Delivery::ServerOnly
        }
    }

    /// The delivery of the page being rendered. In the browser only hydrated
    /// pages run, so that is the answer there.
    pub fn current() -> Delivery {
        #[cfg(feature = "ssr")]
        {
            leptos::prelude::use_context::<Delivery>().unwrap_or(Delivery::Hydrated)
        }
        #[cfg(not(feature = "ssr"))]
        {
            Delivery::Hydrated
        }
    }
}

/// The whole of a server-only page's script, inline under the page's CSP
/// nonce (about 1 KB; a file would cost a request more on a first visit):
/// the phone menu, the language switch (the choice in the same cookie the
/// app writes, then the page again from the server), and the notice that
/// reports are waiting on this phone (the app's outbox in `localStorage`,
/// which only the report and tracking pages send).
pub const SERVER_ONLY_SCRIPT: &str = include_str!("server_only.js");

/// What every hydrated page carries for the app to call: the report form's
/// photo preparation (`pages/report/script/photos.js`), which
/// `browser::photos::prepare` calls by one global name for the intake
/// form's and the inspections' photos, so that the WebAssembly holds no
/// second photo pipeline. Inline under the page's CSP nonce, in a scope of
/// its own.
#[cfg(feature = "ssr")]
pub const HYDRATED_SCRIPT: &str = concat!(
    "(function(){\n",
    include_str!("pages/report/script/photos.js"),
    "\nself.shanshuiPreparePhoto = preparePhoto;\n})();"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_pages_people_work_on_are_hydrated() {
        for path in [
            "/admin",
            "/admin/",
            "/admin/cases/BN-7K3M-Q9TX",
            "/admin/intake",
        ] {
            assert_eq!(Delivery::of(path), Delivery::Hydrated, "{path}");
        }
        for path in [
            "/",
            "/cases",
            "/cases/BN-7K3M-Q9TX",
            "/stats",
            "/info",
            "/info/notices/3",
            "/info/enterprises/X",
            "/track",
            "/report",
            "/reports",
            "/administrator",
            "/nowhere",
        ] {
            assert_eq!(Delivery::of(path), Delivery::ServerOnly, "{path}");
        }
    }

    #[test]
    fn the_script_uses_the_names_the_app_uses() {
        // The cookie the server reads the language from, and the key the
        // outbox is kept under on the phone.
        assert!(SERVER_ONLY_SCRIPT.contains(&format!("'{}='", crate::lang::COOKIE)));
        // Where the report form keeps what waits for the network (the key
        // phones already hold their reports under: renaming it would strand
        // them).
        assert!(SERVER_ONLY_SCRIPT.contains("'shanshui.outbox.v1'"));
        #[cfg(feature = "ssr")]
        assert!(crate::pages::report::SCRIPT.contains("\"shanshui.outbox.v1\""));
        assert!(!SERVER_ONLY_SCRIPT.contains("</script"));
    }
}
