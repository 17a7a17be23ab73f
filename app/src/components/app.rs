//! The root component: i18n, metadata, the page frame and the routes.

use crate::components::header::Header;
use crate::i18n::*;
use crate::lang::{LangProvider, use_lang};
use crate::pages::admin::{
    AdminAuditRoute, AdminCaseRoute, AdminCatalogueRoute, AdminDayRoute, AdminDepartmentsRoute,
    AdminHotspotsRoute, AdminLayoutRoute, AdminMessagesRoute, AdminOutboxRoute,
    AdminPublishingRoute, AdminQueueRoute, AdminRewardsRoute, AdminRulesRoute, AdminStartRoute,
    AdminSupervisionRoute, AdminTeamRoute, AdminTemplatesRoute, AdminUsersRoute,
};
use crate::pages::{not_found::NotFound, report::ReportRoute};
use crate::send_queue::provide_send_queue;
use leptos::prelude::*;
use leptos_meta::{Title, provide_meta_context};
use leptos_router::{
    Lazy, SsrMode,
    components::{ParentRoute, Route, Router, Routes},
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
    // The console's uploads waiting for the network (see `send_queue`).
    provide_send_queue();
    Effect::new(move |_| crate::browser::follow_server_only_links());
    // The formatter runs when leptos_meta writes the head: see `head_text`.
    // Every page's title passes through it, so it is where the title is
    // escaped (see `head_title`).
    #[cfg(feature = "ssr")]
    let brand = {
        let now = td_string!(lang.get_untracked(), brand);
        move || now
    };
    #[cfg(not(feature = "ssr"))]
    let brand = move || td_string!(lang.get(), brand);
    view! {
        // The brand is the title whenever no page gives one (`text=""`):
        // with no text at all leptos_meta blanks the document's title. A
        // blank title was seen on the console's sign-in, now and then, in
        // the browser tests on a loaded machine (the page's own title
        // missing from leptos_meta's stack for a moment or for good).
        <Title text="" formatter=move |page: String| {
            let brand = brand();
            let title = if page.is_empty() { brand.to_string() } else { format!("{page} · {brand}") };
            head_title(title)
        } />
        <Router>
            <a class="skip" href="#main">{move || td_string!(lang.get(), skip_to_content)}</a>
            <Header />
            <main id="main">
                {(crate::delivery::Delivery::current() == crate::delivery::Delivery::ServerOnly)
                    .then(|| view! { <WaitingOnThisPhone /> })}
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=server_only::home />
                    // Lazy: each page beyond the shell is its own WebAssembly
                    // chunk (cargo xtask splits the build), so the first page
                    // downloads only the shell.
                    // Rendered whole on the server with its categories and
                    // their questions, and worked by a script of its own
                    // (see `pages::report::page`): a resident who scans a
                    // poster's QR code downloads no WebAssembly.
                    <Route path=path!("/report") view=server_only::report ssr=SsrMode::Async />
                    // Rendered on the server, its forms posted to it (see
                    // `pages::track`): a resident following a case on a weak
                    // network downloads no WebAssembly.
                    <Route path=path!("/track") view=server_only::track />
                    // Open information: rendered whole on the server before
                    // it is sent (not streamed), so it reads without
                    // JavaScript; never in the browser (see `server_only`).
                    <Route path=path!("/cases") view=server_only::cases ssr=SsrMode::Async />
                    <Route path=path!("/cases/:code") view=server_only::case ssr=SsrMode::Async />
                    <Route path=path!("/stats") view=server_only::stats ssr=SsrMode::Async />
                    <Route path=path!("/info") view=server_only::info ssr=SsrMode::Async />
                    <Route path=path!("/info/notices/:id") view=server_only::notice ssr=SsrMode::Async />
                    <Route path=path!("/info/enterprises/:code") view=server_only::enterprise ssr=SsrMode::Async />
                    // The staff console: a chunk per page, never on a resident's phone.
                    <ParentRoute path=path!("/admin") view={Lazy::<AdminLayoutRoute>::new()}>
                        // A handler starts on their day (今日待办), everyone else on the queue.
                        <Route path=path!("") view={Lazy::<AdminStartRoute>::new()} />
                        <Route path=path!("queue") view={Lazy::<AdminQueueRoute>::new()} />
                        <Route path=path!("day") view={Lazy::<AdminDayRoute>::new()} />
                        <Route path=path!("day/:handler") view={Lazy::<AdminDayRoute>::new()} />
                        <Route path=path!("team") view={Lazy::<AdminTeamRoute>::new()} />
                        <Route path=path!("hotspots") view={Lazy::<AdminHotspotsRoute>::new()} />
                        // The report form's own chunk (see `ReportRoute`).
                        <Route path=path!("intake") view={Lazy::<ReportRoute>::new()} />
                        <Route path=path!("templates") view={Lazy::<AdminTemplatesRoute>::new()} />
                        <Route path=path!("cases/:code") view={Lazy::<AdminCaseRoute>::new()} />
                        <Route path=path!("rules") view={Lazy::<AdminRulesRoute>::new()} />
                        <Route path=path!("categories") view={Lazy::<AdminCatalogueRoute>::new()} />
                        <Route path=path!("supervision") view={Lazy::<AdminSupervisionRoute>::new()} />
                        <Route path=path!("messages") view={Lazy::<AdminMessagesRoute>::new()} />
                        <Route path=path!("rewards") view={Lazy::<AdminRewardsRoute>::new()} />
                        <Route path=path!("users") view={Lazy::<AdminUsersRoute>::new()} />
                        <Route path=path!("departments") view={Lazy::<AdminDepartmentsRoute>::new()} />
                        <Route path=path!("audit") view={Lazy::<AdminAuditRoute>::new()} />
                        <Route path=path!("outbox") view={Lazy::<AdminOutboxRoute>::new()} />
                        <Route path=path!("publishing") view={Lazy::<AdminPublishingRoute>::new()} />
                    </ParentRoute>
                </Routes>
            </main>
            <footer class="site-footer">
                <p>{move || td_string!(lang.get(), footer_text)}</p>
            </footer>
        </Router>
    }
}

/// The server-only pages' views (see `crate::delivery`). The server renders
/// them; the browser's router never gets to (a link to one is followed by
/// the browser: `browser::follow_server_only_links`), so in the WebAssembly
/// each is a placeholder and the pages' code is left out.
#[cfg(feature = "ssr")]
mod server_only {
    use crate::pages::{cases, home, info, report, stats, track};
    use leptos::prelude::*;

    pub fn home() -> AnyView {
        view! { <home::Home /> }.into_any()
    }
    pub fn cases() -> AnyView {
        view! { <cases::Cases /> }.into_any()
    }
    pub fn case() -> AnyView {
        view! { <cases::CasePage /> }.into_any()
    }
    pub fn stats() -> AnyView {
        view! { <stats::StatsPage /> }.into_any()
    }
    pub fn info() -> AnyView {
        view! { <info::Info /> }.into_any()
    }
    pub fn notice() -> AnyView {
        view! { <info::NoticePage /> }.into_any()
    }
    pub fn enterprise() -> AnyView {
        view! { <info::EnterprisePage /> }.into_any()
    }
    pub fn track() -> AnyView {
        view! { <track::Track /> }.into_any()
    }
    pub fn report() -> AnyView {
        view! { <report::ReportPage /> }.into_any()
    }
}

#[cfg(not(feature = "ssr"))]
mod server_only {
    use leptos::prelude::*;

    /// Reached only if a navigation slipped past the link listener: the
    /// page is asked of the server. Back and forward have already put its
    /// address in the address bar (then it is loaded again); a click routed
    /// here has not yet (then the browser goes there).
    pub fn home() -> AnyView {
        #[cfg(feature = "hydrate")]
        {
            let wanted = leptos_router::hooks::use_location();
            let (path, search) = (
                wanted.pathname.get_untracked(),
                wanted.search.get_untracked(),
            );
            let location = window().location();
            if location.pathname().ok().as_deref() == Some(path.as_str()) {
                let _ = location.reload();
            } else {
                let query = if search.is_empty() {
                    String::new()
                } else {
                    format!("?{}", search.trim_start_matches('?'))
                };
                let _ = location.set_href(&format!("{path}{query}"));
            }
        }
        ().into_any()
    }
    pub use home as cases;
    pub use home as case;
    pub use home as stats;
    pub use home as info;
    pub use home as notice;
    pub use home as enterprise;
    pub use home as track;
    pub use home as report;
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
}

/// On a server-only page (see `delivery`): shown by the page's script when
/// reports wait in this phone's outbox, with the way to the page that
/// sends them (`/report`, whose own script says more in its place).
#[component]
fn WaitingOnThisPhone() -> impl IntoView {
    let l = use_lang().get_untracked();
    view! {
        <p class="banner waiting" id="outbox-waiting" role="status" hidden>
            <strong>{td_string!(l, outbox_waiting_here)}</strong>
            " "
            <a href="/report">{td_string!(l, outbox_open_report)}</a>
        </p>
    }
}

/// The document's title as leptos_meta writes it. On the server leptos_meta
/// pastes the title's text between `<title>` and `</title>` as it is, unlike
/// every other text it renders, so a title carrying a case number from the
/// URL or a notice's heading could close the element and open a script:
/// escape it here, the one place every title passes. In the browser the
/// text is assigned to `document.title`, which is not parsed as HTML.
fn head_title(title: String) -> String {
    #[cfg(feature = "ssr")]
    {
        html_escape::encode_text(&title).into_owned()
    }
    #[cfg(not(feature = "ssr"))]
    {
        title
    }
}
