//! `/admin`: the staff console (工作台), usable with the thumb on a phone
//! (lists become cards under 720 px) and roomier on a desktop.
//! Staff sign in here; everything after that is drawn from the JSON API,
//! and the case page's buttons come from the case's `allowed_actions` — the
//! server alone decides what may happen.
//!
//! The console needs JavaScript: it renders a sign-in shell on the server
//! and loads its data in the browser after hydration.

mod bulk;
mod case;
mod catalogue;
mod day;
mod hotspots;
mod inspection;
mod messages;
mod notes;
mod publishing;
mod queue;
mod rewards;
mod routes;
mod settings;
mod supervision;
mod templates;

pub use case::AdminCase;
pub use queue::AdminQueue;
pub use rewards::AdminRewards;
pub use routes::*;
pub use settings::{AdminAudit, AdminDepartments, AdminOutbox, AdminRules, AdminUsers};

use crate::format::named;
use crate::i18n::*;
use crate::lang::{head_text, use_lang};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Outlet};
use serde::{Deserialize, Serialize};
use shared::Role;

/// The signed-in staff member (`GET /api/v1/session`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub username: String,
    pub role: Role,
    pub department: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Session {
    Checking,
    SignedOut,
    SignedIn(Me),
}

/// The session, for the console's pages.
#[derive(Clone, Copy)]
pub struct StaffSession(RwSignal<Session>);

impl StaffSession {
    pub fn me(&self) -> Option<Me> {
        match self.0.get() {
            Session::SignedIn(me) => Some(me),
            _ => None,
        }
    }
}

pub fn use_staff() -> StaffSession {
    use_context::<StaffSession>().unwrap_or_else(|| StaffSession(RwSignal::new(Session::Checking)))
}

/// An error from the API, for the person looking at the screen.
pub fn say(e: &crate::browser::http::HttpError) -> String {
    e.message()
}

/// What `load` gives: `None` while loading, `Err` with a message when
/// refused; while it loads again, the last answer.
pub type Loaded<T> = LocalResource<Result<T, String>>;

/// Loads JSON from the API in the browser (on the server it stays loading),
/// again whenever a signal `url` reads changes; an answer to a URL that has
/// since changed is dropped, so a slow answer to an old filter never
/// replaces a newer one.
pub fn load<T>(url: impl Fn() -> String + 'static) -> Loaded<T>
where
    T: serde::de::DeserializeOwned + 'static,
{
    LocalResource::new(move || {
        let url = url();
        async move {
            crate::browser::http::get_json::<T>(&url, &[])
                .await
                .map_err(|e| say(&e))
        }
    })
}

/// The departments (部门) as the console read them when it opened, for the
/// pages' names and choices: one request, where the frame, the queue, its
/// bulk bar and the case page each asked again (issue 15: a page's
/// requests). The departments page reads its own, fuller list.
#[derive(Clone, Copy)]
pub struct Departments(pub Loaded<Vec<shared::directory::Department>>);

/// The console's departments; outside it (never in this app), read anew.
pub fn use_departments() -> Loaded<Vec<shared::directory::Department>> {
    use_context::<Departments>()
        .map(|d| d.0)
        .unwrap_or_else(|| load(|| "/api/v1/departments".to_owned()))
}

/// What follows a list on a page (an editor, a form to add to it), drawn
/// once the list has had its first answer. Drawn at once, it was pushed
/// down the screen when the list arrived, from under the reader's thumb: a
/// layout shift of 0.3 to 0.4 on the users, rules, templates and
/// categories pages, where Lighthouse calls 0.25 poor (issue 15).
pub fn after_loading<T, V>(
    list: Loaded<T>,
    then: impl Fn() -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Send + Sync + 'static,
    V: IntoView + 'static,
{
    let arrived = Memo::new(move |_| list.with(Option::is_some));
    move || arrived.get().then(&then)
}

/// Asks who is signed in (`GET /api/v1/session`): `None` when no one is.
pub fn check_session() -> LocalResource<Option<Me>> {
    LocalResource::new(|| async {
        crate::browser::http::get_json::<Me>("/api/v1/session", &[])
            .await
            .ok()
    })
}

/// The console's frame: the session gate and the console's navigation.
/// `check` is the session as the server first answers it (asked for while
/// the console's chunk loads, see `AdminLayoutRoute`); signing in and out
/// change it after.
#[component]
pub fn AdminLayout(check: LocalResource<Option<Me>>) -> impl IntoView {
    let lang = use_lang();
    let session = StaffSession(RwSignal::new(Session::Checking));
    provide_context(session);
    Effect::new(move |_| {
        if let Some(got) = check.get() {
            session.0.set(match got {
                Some(me) => Session::SignedIn(me),
                None => Session::SignedOut,
            });
        }
    });
    view! {
        <Title text=head_text(move || td_string!(lang.get(), page_admin).to_owned()) />
        <div class="admin">
            {move || match session.0.get() {
                Session::Checking => view! {
                    <h1>{move || td_string!(lang.get(), page_admin)}</h1>
                    <p class="notice nojs-only">{move || td_string!(lang.get(), adm_needs_js)}</p>
                    <p class="muted js-only" role="status">{move || td_string!(lang.get(), loading)}</p>
                }.into_any(),
                Session::SignedOut => view! { <SignIn session=session /> }.into_any(),
                Session::SignedIn(me) => view! { <Console me=me session=session /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn SignIn(session: StaffSession) -> impl IntoView {
    let lang = use_lang();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let sign_in = Action::new_local(move |body: &serde_json::Value| {
        let body = body.clone();
        async move {
            let got =
                crate::browser::http::send_json::<Me>("POST", "/api/v1/session", &[], &body).await;
            match got {
                Ok(me) => {
                    session.0.set(Session::SignedIn(me));
                    Ok(())
                }
                Err(e) => Err(say(&e)),
            }
        }
    });
    let error = move || sign_in.value().get().and_then(Result::err);
    let busy = sign_in.pending();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        sign_in.dispatch_local(serde_json::json!({ "username": username.get_untracked(), "password": password.get_untracked() }));
    };
    view! {
        <form class="card admin-sign-in" on:submit=submit>
            <h1>{move || td_string!(lang.get(), page_admin)}</h1>
            <div class="field">
                <label for="admin-username">{move || td_string!(lang.get(), adm_username)}</label>
                <input id="admin-username" name="username" type="text" autocomplete="username" autocapitalize="none" required=true
                    on:input=move |ev| username.set(event_target_value(&ev)) prop:value=move || username.get() />
            </div>
            <div class="field">
                <label for="admin-password">{move || td_string!(lang.get(), adm_password)}</label>
                <input id="admin-password" name="password" type="password" autocomplete="current-password" required=true
                    on:input=move |ev| password.set(event_target_value(&ev)) prop:value=move || password.get() />
            </div>
            {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <button type="submit" class="button primary" id="admin-sign-in" disabled=move || busy.get()>
                {move || td_string!(lang.get(), adm_sign_in)}
            </button>
        </form>
    }
}

#[component]
fn Console(me: Me, session: StaffSession) -> impl IntoView {
    let lang = use_lang();
    let sending = crate::send_queue::use_send_queue();
    let sign_out = move |_| {
        crate::send_queue::clear_evidence(sending);
        leptos::task::spawn_local(async move {
            let _ =
                crate::browser::http::send_json::<()>("DELETE", "/api/v1/session", &[], &()).await;
            session.0.set(Session::SignedOut);
        });
    };
    let role = me.role;
    let department = me.department.clone();
    let departments = Departments(load(|| "/api/v1/departments".to_owned()));
    provide_context(departments);
    let departments = departments.0;
    let reads_config = matches!(role, Role::Admin | Role::Auditor);
    let sees_outbox = matches!(role, Role::Admin | Role::Dispatcher | Role::Auditor);
    let sees_rules = matches!(role, Role::Admin | Role::Dispatcher | Role::Auditor);
    let publishes = matches!(role, Role::Admin | Role::Reviewer);
    let handles = role == Role::Handler;
    // Those who answer for a department's backlog (督办): the team's day
    // and the places that keep coming back.
    let supervises = matches!(role, Role::Admin | Role::Dispatcher | Role::Reviewer);
    let sees_rewards = matches!(
        role,
        Role::RewardReviewer | Role::Finance | Role::Auditor | Role::Admin | Role::Dispatcher
    );
    view! {
        <nav class="admin-nav" aria-label="admin">
            {if handles {
                view! {
                    <A href="/admin" exact=true>{move || td_string!(lang.get(), adm_day)}</A>
                    <A href="/admin/queue">{move || td_string!(lang.get(), adm_queue)}</A>
                    <A href="/admin/hotspots">{move || td_string!(lang.get(), adm_hotspots)}</A>
                    <A href="/admin/intake">{move || td_string!(lang.get(), adm_inspection_found)}</A>
                }
                .into_any()
            } else {
                view! { <A href="/admin" exact=true>{move || td_string!(lang.get(), adm_queue)}</A> }.into_any()
            }}
            {matches!(role, Role::Admin | Role::Dispatcher).then(|| view! {
                <A href="/admin/intake">{move || td_string!(lang.get(), adm_intake)}</A>
            })}
            {matches!(role, Role::Admin | Role::Dispatcher | Role::Reviewer | Role::Auditor).then(|| view! {
                <A href="/admin/supervision">{move || td_string!(lang.get(), adm_supervision)}</A>
            })}
            {supervises.then(|| view! {
                <A href="/admin/team">{move || td_string!(lang.get(), adm_team)}</A>
                <A href="/admin/hotspots">{move || td_string!(lang.get(), adm_hotspots)}</A>
            })}
            {(role == Role::Admin).then(|| view! { <A href="/admin/templates">{move || td_string!(lang.get(), adm_templates)}</A> })}
            {sees_rewards.then(|| view! { <A href="/admin/rewards">{move || td_string!(lang.get(), adm_rewards)}</A> })}
            {sees_rules.then(|| view! {
                <A href="/admin/rules">{move || td_string!(lang.get(), adm_rules)}</A>
                <A href="/admin/categories">{move || td_string!(lang.get(), adm_catalogue)}</A>
            })}
            {reads_config.then(|| view! {
                <A href="/admin/users">{move || td_string!(lang.get(), adm_users)}</A>
                <A href="/admin/departments">{move || td_string!(lang.get(), adm_departments)}</A>
                <A href="/admin/audit">{move || td_string!(lang.get(), adm_audit)}</A>
            })}
            {(role == Role::Admin).then(|| view! { <A href="/admin/messages">{move || td_string!(lang.get(), adm_messages)}</A> })}
            {sees_outbox.then(|| view! { <A href="/admin/outbox">{move || td_string!(lang.get(), adm_outbox)}</A> })}
            {publishes.then(|| view! { <A href="/admin/publishing">{move || td_string!(lang.get(), adm_publishing)}</A> })}
            <span class="admin-me">
                // One piece of text beside the button, so that on a phone it
                // wraps as a line, not word by word.
                <span class="admin-who">
                    <span id="admin-me">{me.username.clone()}</span>
                    " · "
                    {move || role_label(lang.get(), role)}
                    {move || department.clone().map(|code| {
                        // The department by name, once the names have loaded.
                        let name = departments.get().and_then(Result::ok).and_then(|list| {
                            list.into_iter().find(|d| d.code == code).map(|d| named(lang.get(), &d.name, &d.name_en))
                        });
                        format!(" · {}", name.unwrap_or(code))
                    })}
                </span>
                <button type="button" class="button small" id="admin-sign-out" on:click=sign_out>
                    {move || td_string!(lang.get(), adm_sign_out)}
                </button>
            </span>
        </nav>
        <Outlet />
    }
}

/// `/admin/intake` opened by a role that does not file reports.
#[component]
pub fn AdminIntakeRefused() -> impl IntoView {
    let lang = use_lang();
    view! { <p class="notice" role="alert">{move || td_string!(lang.get(), adm_intake_not_yours)}</p> }
}

pub fn role_label(l: Locale, role: Role) -> &'static str {
    match role {
        Role::Admin => td_string!(l, role_admin),
        Role::Dispatcher => td_string!(l, role_dispatcher),
        Role::Handler => td_string!(l, role_handler),
        Role::Reviewer => td_string!(l, role_reviewer),
        Role::RewardReviewer => td_string!(l, role_reward_reviewer),
        Role::Finance => td_string!(l, role_finance),
        Role::Auditor => td_string!(l, role_auditor),
    }
}
