//! The console's pages as lazy routes, all in one WebAssembly chunk that is
//! fetched when a staff member first opens the console, so residents'
//! phones never download it.
//!
//! One chunk, not one per page: wasm-split gives each set of lazy functions
//! that share code a chunk of its own, and with a chunk per page the
//! console's first page cost about 170 requests of a few kilobytes each
//! (issue 15), each a round trip on a phone's network. So every console
//! route's view goes through the one lazy function [`console`].

use super::*;
use leptos::prelude::*;

/// What the console's chunk draws.
pub enum ConsoleView {
    /// The frame and sign-in, with who is signed in (asked while the chunk
    /// loads, not after).
    Frame(LocalResource<Option<Me>>),
    Page(ConsolePage),
}

/// A page of the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsolePage {
    /// A handler's day (今日待办), everyone else's queue.
    Start,
    /// A handler's day: one's own, or (for a supervisor) a handler's.
    Day,
    /// The team's loads, for a supervisor.
    Team,
    Hotspots,
    /// Reply templates (答复模板).
    Templates,
    /// Categories and their questions.
    Catalogue,
    Messages,
    /// 督办: overdue and escalated cases.
    Supervision,
    Queue,
    Case,
    Rules,
    Rewards,
    Users,
    Departments,
    Audit,
    Outbox,
    /// Notices, targets and penalties for `/info` and `/stats`.
    Publishing,
}

/// The console: the only code of its chunk's that anything outside calls.
#[leptos::lazy]
fn console(view: ConsoleView) -> AnyView {
    let page = match view {
        ConsoleView::Frame(check) => return view! { <AdminLayout check=check /> }.into_any(),
        ConsoleView::Page(page) => page,
    };
    match page {
        ConsolePage::Start => view! { <super::day::AdminStart /> }.into_any(),
        ConsolePage::Day => view! { <super::day::AdminDay /> }.into_any(),
        ConsolePage::Team => view! { <super::day::AdminTeam /> }.into_any(),
        ConsolePage::Hotspots => view! { <super::hotspots::AdminHotspots /> }.into_any(),
        ConsolePage::Templates => view! { <super::templates::AdminTemplates /> }.into_any(),
        ConsolePage::Catalogue => view! { <super::catalogue::AdminCatalogue /> }.into_any(),
        ConsolePage::Messages => view! { <super::messages::AdminMessages /> }.into_any(),
        ConsolePage::Supervision => view! { <super::supervision::AdminSupervision /> }.into_any(),
        ConsolePage::Queue => view! { <AdminQueue /> }.into_any(),
        ConsolePage::Case => view! { <AdminCase /> }.into_any(),
        ConsolePage::Rules => view! { <AdminRules /> }.into_any(),
        ConsolePage::Rewards => view! { <AdminRewards /> }.into_any(),
        ConsolePage::Users => view! { <AdminUsers /> }.into_any(),
        ConsolePage::Departments => view! { <AdminDepartments /> }.into_any(),
        ConsolePage::Audit => view! { <AdminAudit /> }.into_any(),
        ConsolePage::Outbox => view! { <AdminOutbox /> }.into_any(),
        ConsolePage::Publishing => view! { <super::publishing::AdminPublishing /> }.into_any(),
    }
}

/// Fetches the console's chunk (in the browser; the server has it all).
async fn preload_console() {
    #[cfg(feature = "hydrate")]
    __preload_console().await;
}

/// The console's frame and sign-in.
pub struct AdminLayoutRoute {
    session: LocalResource<Option<Me>>,
}

impl leptos_router::LazyRoute for AdminLayoutRoute {
    fn data() -> Self {
        AdminLayoutRoute {
            session: check_session(),
        }
    }

    async fn view(route: Self) -> AnyView {
        console(ConsoleView::Frame(route.session)).await
    }

    async fn preload() {
        preload_console().await
    }
}

/// A console page's route: its view is [`console`]'s.
macro_rules! console_route {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        pub struct $route;

        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_route: Self) -> AnyView {
                console(ConsoleView::Page(ConsolePage::$page)).await
            }

            async fn preload() {
                preload_console().await
            }
        }
    )*};
}

console_route! {
    AdminStartRoute => Start,
    AdminDayRoute => Day,
    AdminTeamRoute => Team,
    AdminHotspotsRoute => Hotspots,
    AdminTemplatesRoute => Templates,
    AdminCatalogueRoute => Catalogue,
    AdminMessagesRoute => Messages,
    AdminSupervisionRoute => Supervision,
    AdminQueueRoute => Queue,
    AdminCaseRoute => Case,
    AdminRulesRoute => Rules,
    AdminRewardsRoute => Rewards,
    AdminUsersRoute => Users,
    AdminDepartmentsRoute => Departments,
    AdminAuditRoute => Audit,
    AdminOutboxRoute => Outbox,
    AdminPublishingRoute => Publishing,
}
