//! The console's pages as lazy routes, in three WebAssembly chunks by what
//! a member of staff does: working cases' lists, one case, and setting the
//! district up. Only the console loads the app at all (every page a
//! resident sees is rendered whole on the server), so its frame and sign-in
//! are in the main module, and a page opened directly downloads the main
//! module and its part's chunk, with the few chunks of code its part
//! shares with another.
//!
//! Three parts, not one or seventeen (issue 15). In one chunk, every page
//! cost about 600 KB, the whole console's code; with a chunk per page,
//! wasm-split gave each set of pages that share code a chunk of its own,
//! and the first page cost about 170 requests. With three parts and the
//! intake form's chunk, a page takes at most eight chunks, and the lists
//! (the queue, a handler's day, 督办) about 365 KB all in (see
//! docs/benchmarks.md).

use super::*;
use leptos::prelude::*;

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

/// The chunk a page's code is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// Lists of cases to work on: a handler's day, the team, the queue, 督办.
    Lists,
    /// One case (案件) with its actions, inspections and evidence.
    Case,
    /// Setting the district up and keeping an eye on it: the catalogue,
    /// templates, rules, rewards, people, departments, messages, what is
    /// published, the audit trail, the outbox, the hotspots map.
    Settings,
}

impl ConsolePage {
    fn part(self) -> Part {
        use ConsolePage::*;
        match self {
            Start | Day | Team | Queue | Supervision => Part::Lists,
            Case => Part::Case,
            Hotspots | Templates | Catalogue | Messages | Rules | Rewards | Users | Departments
            | Audit | Outbox | Publishing => Part::Settings,
        }
    }
}

/// A console page's view, from its part's chunk.
async fn console(page: ConsolePage) -> AnyView {
    match page.part() {
        Part::Lists => lists(page).await,
        Part::Case => case(page).await,
        Part::Settings => settings(page).await,
    }
}

/// Fetches a part's chunk (in the browser; the server has it all), when a
/// link to one of its pages is about to be followed.
async fn preload(part: Part) {
    #[cfg(feature = "hydrate")]
    match part {
        Part::Lists => __preload_lists().await,
        Part::Case => __preload_case().await,
        Part::Settings => __preload_settings().await,
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = part;
}

// Each lazy function draws only its own part's pages; a page of another
// part is never asked of it (`console` sends each to its own), and would
// be drawn as the part's first page rather than fail.

#[leptos::lazy]
fn lists(page: ConsolePage) -> AnyView {
    match page {
        ConsolePage::Start => view! { <super::day::AdminStart /> }.into_any(),
        ConsolePage::Day => view! { <super::day::AdminDay /> }.into_any(),
        ConsolePage::Team => view! { <super::day::AdminTeam /> }.into_any(),
        ConsolePage::Supervision => view! { <super::supervision::AdminSupervision /> }.into_any(),
        _ => view! { <AdminQueue /> }.into_any(),
    }
}

#[leptos::lazy]
fn case(_page: ConsolePage) -> AnyView {
    view! { <AdminCase /> }.into_any()
}

#[leptos::lazy]
fn settings(page: ConsolePage) -> AnyView {
    match page {
        ConsolePage::Hotspots => view! { <super::hotspots::AdminHotspots /> }.into_any(),
        ConsolePage::Templates => view! { <super::templates::AdminTemplates /> }.into_any(),
        ConsolePage::Catalogue => view! { <super::catalogue::AdminCatalogue /> }.into_any(),
        ConsolePage::Messages => view! { <super::messages::AdminMessages /> }.into_any(),
        ConsolePage::Rules => view! { <AdminRules /> }.into_any(),
        ConsolePage::Rewards => view! { <AdminRewards /> }.into_any(),
        ConsolePage::Users => view! { <AdminUsers /> }.into_any(),
        ConsolePage::Departments => view! { <AdminDepartments /> }.into_any(),
        ConsolePage::Audit => view! { <AdminAudit /> }.into_any(),
        ConsolePage::Outbox => view! { <AdminOutbox /> }.into_any(),
        _ => view! { <super::publishing::AdminPublishing /> }.into_any(),
    }
}

/// The console's frame and sign-in, in the main module: every console page
/// needs it, and nothing else loads the app.
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
        view! { <AdminLayout check=route.session /> }.into_any()
    }
}

/// A console page's route: its view is [`console`]'s, from its part's chunk.
macro_rules! console_route {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        pub struct $route;

        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_route: Self) -> AnyView {
                console(ConsolePage::$page).await
            }

            async fn preload() {
                preload(ConsolePage::$page.part()).await
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
