//! The console's pages as lazy routes: each is its own WebAssembly chunk,
//! fetched when a staff member opens it, so residents' phones never download
//! the console. Written out one by one: the lazy-route macro names each
//! chunk after its place in the source, so generated copies would collide.

use super::*;
use leptos::prelude::*;

/// The console's frame and sign-in. Who is signed in is asked while the
/// frame's chunk loads, not after.
pub struct AdminLayoutRoute {
    session: LocalResource<Option<Me>>,
}

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminLayoutRoute {
    fn data() -> Self {
        AdminLayoutRoute {
            session: check_session(),
        }
    }

    fn view(route: Self) -> AnyView {
        view! { <AdminLayout check=route.session /> }.into_any()
    }
}

/// The start page: a handler's day (今日待办), everyone else's queue.
pub struct AdminStartRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminStartRoute {
    fn data() -> Self {
        AdminStartRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <super::day::AdminStart /> }.into_any()
    }
}

/// A handler's day: one's own, or (for a supervisor) a handler's.
pub struct AdminDayRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminDayRoute {
    fn data() -> Self {
        AdminDayRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <super::day::AdminDay /> }.into_any()
    }
}

/// The team's loads, for a supervisor.
pub struct AdminTeamRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminTeamRoute {
    fn data() -> Self {
        AdminTeamRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <super::day::AdminTeam /> }.into_any()
    }
}

/// Repeat sites (重复投诉).
pub struct AdminHotspotsRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminHotspotsRoute {
    fn data() -> Self {
        AdminHotspotsRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <super::hotspots::AdminHotspots /> }.into_any()
    }
}

/// Reply templates (答复模板).
pub struct AdminTemplatesRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminTemplatesRoute {
    fn data() -> Self {
        AdminTemplatesRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <super::templates::AdminTemplates /> }.into_any()
    }
}

/// The category catalogue (举报类别目录).
pub struct AdminCatalogueRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminCatalogueRoute {
    fn data() -> Self {
        AdminCatalogueRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <super::catalogue::AdminCatalogue /> }.into_any()
    }
}

/// Messages to reporters (admins).
pub struct AdminMessagesRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminMessagesRoute {
    fn data() -> Self {
        AdminMessagesRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <super::messages::AdminMessages /> }.into_any()
    }
}

/// The supervision queue (督办).
pub struct AdminSupervisionRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminSupervisionRoute {
    fn data() -> Self {
        AdminSupervisionRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <super::supervision::AdminSupervision /> }.into_any()
    }
}

/// The queue.
pub struct AdminQueueRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminQueueRoute {
    fn data() -> Self {
        AdminQueueRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <AdminQueue /> }.into_any()
    }
}

/// A case.
pub struct AdminCaseRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminCaseRoute {
    fn data() -> Self {
        AdminCaseRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <AdminCase /> }.into_any()
    }
}

/// Routing rules.
pub struct AdminRulesRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminRulesRoute {
    fn data() -> Self {
        AdminRulesRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <AdminRules /> }.into_any()
    }
}

/// The reward queue.
pub struct AdminRewardsRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminRewardsRoute {
    fn data() -> Self {
        AdminRewardsRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <AdminRewards /> }.into_any()
    }
}

/// Users.
pub struct AdminUsersRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminUsersRoute {
    fn data() -> Self {
        AdminUsersRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <AdminUsers /> }.into_any()
    }
}

/// Departments.
pub struct AdminDepartmentsRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminDepartmentsRoute {
    fn data() -> Self {
        AdminDepartmentsRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <AdminDepartments /> }.into_any()
    }
}

/// The audit log.
pub struct AdminAuditRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminAuditRoute {
    fn data() -> Self {
        AdminAuditRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <AdminAudit /> }.into_any()
    }
}

/// Failing notifications.
pub struct AdminOutboxRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminOutboxRoute {
    fn data() -> Self {
        AdminOutboxRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <AdminOutbox /> }.into_any()
    }
}

/// Publishing: notices, enterprise disclosures, the plan's targets.
pub struct AdminPublishingRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AdminPublishingRoute {
    fn data() -> Self {
        AdminPublishingRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <super::publishing::AdminPublishing /> }.into_any()
    }
}
