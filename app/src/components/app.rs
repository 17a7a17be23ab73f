//! The root component: i18n, metadata, the page frame and the routes.

use crate::i18n::*;
use crate::lang::{LangProvider, use_lang};
use crate::components::header::Header;
use crate::pages::{building::Building, home::Home, not_found::NotFound};
use leptos::prelude::*;
use leptos_meta::{Title, provide_meta_context};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <LangProvider>
            <Frame />
        </LangProvider>
    }
}

#[component]
fn Frame() -> impl IntoView {
    let lang = use_lang();
    view! {
        <Title formatter=move |page: String| {
            let brand = td_string!(lang.get(), brand);
            if page.is_empty() { brand.to_string() } else { format!("{page} · {brand}") }
        } />
        <Router>
            <a class="skip" href="#main">{move || td_string!(lang.get(), skip_to_content)}</a>
            <Header />
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/report") view=|| view! { <Building page=Page::Report /> } />
                    <Route path=path!("/track") view=|| view! { <Building page=Page::Track /> } />
                    <Route path=path!("/cases") view=|| view! { <Building page=Page::Cases /> } />
                    <Route path=path!("/info") view=|| view! { <Building page=Page::Info /> } />
                    <Route path=path!("/stats") view=|| view! { <Building page=Page::Stats /> } />
                    <Route path=path!("/admin") view=|| view! { <Building page=Page::Admin /> } />
                </Routes>
            </main>
            <footer class="site-footer">
                <p>{move || td_string!(lang.get(), footer_text)}</p>
            </footer>
        </Router>
    }
}

/// The pages the navigation lists, in its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Report,
    Track,
    Cases,
    Info,
    Stats,
    Admin,
}

impl Page {
    pub const NAV: [Page; 6] = [
        Page::Report,
        Page::Track,
        Page::Cases,
        Page::Info,
        Page::Stats,
        Page::Admin,
    ];

    pub fn href(self) -> &'static str {
        match self {
            Page::Report => "/report",
            Page::Track => "/track",
            Page::Cases => "/cases",
            Page::Info => "/info",
            Page::Stats => "/stats",
            Page::Admin => "/admin",
        }
    }

    pub fn nav_label(self, locale: Locale) -> &'static str {
        match self {
            Page::Report => td_string!(locale, nav_report),
            Page::Track => td_string!(locale, nav_track),
            Page::Cases => td_string!(locale, nav_cases),
            Page::Info => td_string!(locale, nav_info),
            Page::Stats => td_string!(locale, nav_stats),
            Page::Admin => td_string!(locale, nav_admin),
        }
    }

    pub fn title(self, locale: Locale) -> &'static str {
        match self {
            Page::Report => td_string!(locale, page_report),
            Page::Track => td_string!(locale, page_track),
            Page::Cases => td_string!(locale, page_cases),
            Page::Info => td_string!(locale, page_info),
            Page::Stats => td_string!(locale, page_stats),
            Page::Admin => td_string!(locale, page_admin),
        }
    }
}
