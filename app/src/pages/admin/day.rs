//! My day (今日待办): a handler's start page — what is overdue, what falls
//! due within 3 days, the notes that mention them, what is assigned to them
//! and a map of their open cases. A supervisor (dispatcher, reviewer,
//! admin) sees the team's loads (`Team`), each row opening that handler's
//! day.

use super::{load, use_staff};
use crate::components::charts::{DistrictAreas, DistrictMap, Pin};
use crate::format::{local_date, local_time, named, priority_label, state_label};
use crate::i18n::*;
use crate::lang::use_lang;
use crate::public_api::encode;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use shared::Role;
use shared::case::CaseSummary;
use shared::workbench::{HandlerLoad, Mention, MyDay};

/// The console's start page: a handler's own day; everyone else starts on
/// the queue, as before.
#[component]
pub fn AdminStart() -> impl IntoView {
    let staff = use_staff();
    move || match staff.me().map(|m| m.role) {
        Some(Role::Handler) => view! { <AdminDay /> }.into_any(),
        _ => view! { <super::AdminQueue /> }.into_any(),
    }
}

/// `/admin/day` (one's own) and `/admin/day/{handler}` (a supervisor
/// looking at a handler's).
#[component]
pub fn AdminDay() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let handler = move || params.with(|p| p.get("handler").filter(|h| !h.is_empty()));
    let day = load::<MyDay>(move || match handler() {
        Some(h) => format!("/api/v1/cases/day?handler={}", encode(&h)),
        None => "/api/v1/cases/day".to_owned(),
    });
    let areas = load::<DistrictAreas>(|| "/api/v1/areas".to_owned());
    move || {
        let l = lang.get();
        match day.get() {
            None => {
                view! { <p class="muted" role="status">{td_string!(l, loading)}</p> }.into_any()
            }
            Some(Err(e)) => view! {
                <h1>{td_string!(l, adm_day)}</h1>
                <p class="field-error" role="alert">{e}</p>
            }
            .into_any(),
            Some(Ok(d)) => {
                let areas =
                    std::sync::Arc::new(areas.get().and_then(Result::ok).unwrap_or_default());
                day_view(l, d, handler().is_some(), areas).into_any()
            }
        }
    }
}

fn day_view(
    l: Locale,
    d: MyDay,
    someone_else: bool,
    areas: std::sync::Arc<DistrictAreas>,
) -> impl IntoView {
    let title = if someone_else {
        format!("{} · {}", td_string!(l, adm_team), d.handler)
    } else {
        td_string!(l, adm_day).to_owned()
    };
    let department = d
        .department
        .as_ref()
        .map(|dep| named(l, &dep.name, &dep.name_en));
    let pins: Vec<Pin> = d
        .map
        .iter()
        .map(|c| Pin {
            lat: c.lat,
            lon: c.lon,
            href: format!("/admin/cases/{}", c.code),
            label: format!("{} · {}", c.code, state_label(l, c.state.as_str())),
            // The map draws a closed case in the brand colour and an open one
            // in the accent: here every case is open, so the accent marks the
            // overdue ones.
            closed: !c.overdue,
        })
        .collect();
    let c = d.counts;
    // A supervisor reads someone else's day: "mentioning them", not "me".
    let (mentions_label, assigned_label) = if someone_else {
        (
            td_string!(l, adm_day_mentions_other),
            td_string!(l, adm_day_assigned_other),
        )
    } else {
        (
            td_string!(l, adm_day_mentions),
            td_string!(l, adm_day_assigned),
        )
    };
    let figure = |id: &'static str, n: u64, label: &'static str| {
        view! {
            <a class="figure" href=format!("#{id}") data-count=id>
                <strong>{n}</strong><span>{label}</span>
            </a>
        }
    };
    view! {
        <h1 id="day-title">{title}</h1>
        {department.map(|dep| view! { <p class="muted">{dep}</p> })}
        <nav class="figures day-figures" aria-label=td_string!(l, adm_day)>
            {figure("day-overdue", c.overdue, td_string!(l, adm_day_overdue))}
            {figure("day-due-soon", c.due_soon, td_string!(l, adm_day_due_soon))}
            {figure("day-mentions", c.mentions, mentions_label)}
            {figure("day-assigned", c.assigned, assigned_label)}
        </nav>
        <p>
            <A href="/admin/queue" attr:class="button small" attr:id="day-to-queue">{td_string!(l, adm_day_to_queue)}</A>
        </p>
        {case_list(l, "day-overdue", td_string!(l, adm_day_overdue), d.overdue, c.overdue)}
        {case_list(l, "day-due-soon", td_string!(l, adm_day_due_soon), d.due_soon, c.due_soon)}
        <section class="card" id="day-mentions">
            <h2>{mentions_label}</h2>
            {if d.mentions.is_empty() {
                view! { <p class="muted">{td_string!(l, adm_day_none)}</p> }.into_any()
            } else {
                view! { <ul class="day-list">{d.mentions.into_iter().map(|m| mention(l, m)).collect_view()}</ul> }.into_any()
            }}
        </section>
        {case_list(l, "day-assigned", assigned_label, d.assigned, c.assigned)}
        <section class="card map-card" id="day-map">
            <h2>{td_string!(l, adm_day_map)}</h2>
            {if pins.is_empty() {
                view! { <p class="muted">{td_string!(l, adm_day_none)}</p> }.into_any()
            } else {
                view! { <DistrictMap title=td_string!(l, adm_day_map).to_owned() areas=areas pins=pins /> }.into_any()
            }}
        </section>
    }
}

/// One of the day's lists; the API sends at most 50 of each, `total` says
/// how many there are.
fn case_list(
    l: Locale,
    id: &'static str,
    title: &'static str,
    cases: Vec<CaseSummary>,
    total: u64,
) -> impl IntoView {
    let more = total.saturating_sub(cases.len() as u64);
    view! {
        <section class="card" id=id>
            <h2>{title} " " <span class="muted">{total}</span></h2>
            {if cases.is_empty() {
                view! { <p class="muted">{td_string!(l, adm_day_none)}</p> }.into_any()
            } else {
                view! {
                    <ul class="day-list">{cases.into_iter().map(|c| case_item(l, c)).collect_view()}</ul>
                    {(more > 0).then(|| view! { <p class="muted">{td!(l, adm_day_more, n = more)}</p> })}
                }
                .into_any()
            }}
        </section>
    }
}

/// A case in a list: a card on any screen, the whole card a link.
pub fn case_item(l: Locale, c: CaseSummary) -> impl IntoView {
    let flag = if c.overdue {
        Some(td_string!(l, adm_overdue))
    } else if c.due_soon {
        Some(td_string!(l, adm_due_soon))
    } else {
        None
    };
    view! {
        <li class="day-case" class:overdue=c.overdue class:due-soon=c.due_soon data-code=c.code.clone()>
            <a href=format!("/admin/cases/{}", c.code)>
                <span class="day-case-head">
                    <strong>{c.code.clone()}</strong>
                    <span class="case-state" data-state=c.state.as_str()>{state_label(l, c.state.as_str())}</span>
                    {(c.priority != "normal").then(|| view! { <span class="tag priority">{priority_label(l, &c.priority)}</span> })}
                    {flag.map(|f| view! { <span class="tag due">{f}</span> })}
                </span>
                <span class="day-case-meta">
                    {named(l, &c.category.name, &c.category.name_en)}
                    {c.area.as_ref().map(|a| format!(" · {}", named(l, &a.name, &a.name_en)))}
                    {c.deadline.as_deref().map(|d| format!(" · {} {}", td_string!(l, adm_deadline), local_date(d)))}
                    {c.assignee.clone().map(|a| format!(" · {a}"))}
                </span>
                <small>{c.summary.clone()}</small>
            </a>
        </li>
    }
}

/// A note that mentions the handler: who, when, its opening; it opens the
/// case at its notes. Shown as text, never as HTML.
fn mention(l: Locale, m: Mention) -> impl IntoView {
    view! {
        <li class="day-mention" data-note=m.note_id.to_string()>
            <a href=format!("/admin/cases/{}#notes", m.case_code)>
                <span class="day-case-head">
                    <strong>{m.case_code.clone()}</strong>
                    <span class="muted">{m.author.clone()} " · " {local_time(&m.at)}</span>
                </span>
                <small>{m.excerpt.clone()}</small>
            </a>
            <span class="visually-hidden">{td_string!(l, adm_notes_internal)}</span>
        </li>
    }
}

/// `/admin/team`: each handler's load, for a supervisor; a row opens that
/// handler's day.
#[component]
pub fn AdminTeam() -> impl IntoView {
    let lang = use_lang();
    let team = load::<Vec<HandlerLoad>>(|| "/api/v1/cases/team".to_owned());
    move || {
        let l = lang.get();
        let body = match team.get() {
            None => view! { <p class="muted" role="status">{td_string!(l, loading)}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="field-error" role="alert">{e}</p> }.into_any(),
            Some(Ok(list)) if list.is_empty() => {
                view! { <p class="muted">{td_string!(l, adm_day_none)}</p> }.into_any()
            }
            Some(Ok(list)) => view! {
                <table class="admin-table cards" id="team-table">
                    <thead><tr>
                        <th>{td_string!(l, adm_assignee)}</th>
                        <th>{td_string!(l, fact_department)}</th>
                        <th class="num">{td_string!(l, adm_team_open)}</th>
                        <th class="num">{td_string!(l, adm_day_due_soon)}</th>
                        <th class="num">{td_string!(l, adm_day_overdue)}</th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|h| view! {
                            <tr data-handler=h.username.clone() class:overdue={h.overdue > 0}>
                                <td class="code"><a href=format!("/admin/day/{}", encode(&h.username))>{h.username.clone()}</a></td>
                                <td data-label=td_string!(l, fact_department)>{h.department.as_ref().map(|d| named(l, &d.name, &d.name_en)).unwrap_or_else(|| "—".to_owned())}</td>
                                <td class="num" data-label=td_string!(l, adm_team_open)>{h.open}</td>
                                <td class="num" data-label=td_string!(l, adm_day_due_soon)>{h.due_soon}</td>
                                <td class="num" data-label=td_string!(l, adm_day_overdue)>{h.overdue}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any(),
        };
        view! {
            <h1>{td_string!(l, adm_team)}</h1>
            <p class="lead">{td_string!(l, adm_team_lead)}</p>
            {body}
        }
    }
}
