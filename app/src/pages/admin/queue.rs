//! The queue (案件队列): the signed-in user's cases, most urgent deadline
//! first, with filters and counts per state; overdue and nearly-due cases
//! stand out. A table on a desktop, a card per case on a phone (the same
//! markup, each cell carrying its column's name, as `/cases` does). Cases
//! can be picked for bulk work (批量办理, `bulk`), and the ledger (台账)
//! downloaded with the same filters.

use super::bulk::BulkBar;
use super::{load, use_staff};
use crate::format::{local_date, named, priority_label, state_label};
use crate::i18n::*;
use crate::lang::use_lang;
use crate::public_api::query;
use leptos::prelude::*;
use leptos_router::components::A;
use shared::Role;
use shared::case::{CaseCounts, CaseQueue, CaseState, CaseSummary};
use shared::directory::Department;
use shared::report::Category;
use std::collections::BTreeMap;

/// The queue's filters, as the API's query string.
#[derive(Clone, Default, PartialEq)]
struct Filters {
    state: String,
    category: String,
    department: String,
    area: String,
    channel: String,
    from: String,
    to: String,
    overdue: bool,
    mine: bool,
}

impl Filters {
    /// The filters as (name, value) pairs; the queue and the ledger take the
    /// same ones.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let flag = |on: bool| if on { "true".to_owned() } else { String::new() };
        vec![
            ("state", self.state.clone()),
            ("category", self.category.clone()),
            ("department", self.department.clone()),
            ("area", self.area.clone()),
            ("channel", self.channel.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("overdue", flag(self.overdue)),
            (
                "assignee",
                if self.mine {
                    "me".to_owned()
                } else {
                    String::new()
                },
            ),
        ]
    }

    fn queue_url(&self, page: u32) -> String {
        let mut pairs = self.pairs();
        pairs.push(("page", page.to_string()));
        format!("/api/v1/cases{}", query(&pairs))
    }

    /// The staff ledger (台账) of the cases these filters select, as CSV.
    fn ledger_url(&self) -> String {
        format!("/api/v1/cases/ledger.csv{}", query(&self.pairs()))
    }
}

#[component]
pub fn AdminQueue() -> impl IntoView {
    let lang = use_lang();
    let staff = use_staff();
    let filters = RwSignal::new(Filters {
        state: "open".to_owned(),
        ..Filters::default()
    });
    let page = RwSignal::new(1u32);
    // Sets one filter and goes back to the first page.
    let set = move |f: fn(&mut Filters, String), v: String| {
        page.set(1);
        filters.update(|fs| f(fs, v));
    };
    // Bumped after bulk work, to list the cases as they now are.
    let reload = RwSignal::new(0u32);
    let queue = load::<CaseQueue>(move || {
        reload.track();
        filters.with(|f| f.queue_url(page.get()))
    });
    let counts = load::<CaseCounts>(move || {
        reload.track();
        "/api/v1/cases/counts".to_owned()
    });
    let categories = load::<Vec<Category>>(|| "/api/v1/categories".to_owned());
    let departments = super::use_departments();
    let areas = load::<serde_json::Value>(|| "/api/v1/areas".to_owned());
    let role = move || staff.me().map(|m| m.role);
    let is_handler = move || role() == Some(Role::Handler);
    // Assign, transfer and extend are the dispatcher's and the handler's
    // (`cases::workflow::roles_for`): only they pick cases for bulk work.
    let picks = move || matches!(role(), Some(Role::Dispatcher | Role::Handler));
    // Picked cases and the version each was listed at (乐观锁).
    let picked = RwSignal::new(BTreeMap::<String, i32>::new());
    let to_page = move |n: u32| {
        page.set(n);
    };

    // Every state's chip from the start, its count "…" until the counts
    // come: when the chips appeared only then, they pushed the filters and
    // the queue down a phone's screen (Lighthouse: a layout shift of 0.3).
    let chips = move || {
        let l = lang.get();
        let (by_state, overdue_n): (Vec<(CaseState, Option<u64>)>, Option<u64>) = match counts.get()
        {
            Some(Ok(c)) => (
                c.by_state.into_iter().map(|(s, n)| (s, Some(n))).collect(),
                Some(c.overdue),
            ),
            _ => (CaseState::ALL.iter().map(|s| (*s, None)).collect(), None),
        };
        let count = |n: Option<u64>| n.map_or_else(|| "…".to_owned(), |n| n.to_string());
        view! {
            <ul class="admin-counts" aria-label="counts">
                {by_state
                    .into_iter()
                    .map(|(s, n)| {
                        let name = s.as_str();
                        view! {
                            <li><button type="button" class="chip" data-state=name
                                class:active=move || filters.with(|f| f.state == name)
                                on:click=move |_| set(|f, v| f.state = v, name.to_owned())>
                                {state_label(l, name)} " " <strong>{count(n)}</strong>
                            </button></li>
                        }
                    })
                    .collect_view()}
                <li><button type="button" class="chip overdue"
                    class:active=move || filters.with(|f| f.overdue)
                    on:click=move |_| set(|f, _| f.overdue = true, String::new())>
                    {td_string!(l, adm_overdue)} " " <strong>{count(overdue_n)}</strong>
                </button></li>
            </ul>
        }
    };

    let wide = crate::browser::wider_than(720);
    let filter_form = move || {
        let l = lang.get();
        let category_options = match categories.get() {
            Some(Ok(list)) => list
                .into_iter()
                .map(|c| view! { <option value=c.code.clone()>{named(l, &c.name, &c.name_en)}</option> })
                .collect_view()
                .into_any(),
            _ => ().into_any(),
        };
        let department_options = match departments.get() {
            Some(Ok(list)) => list
                .into_iter()
                .map(|d| view! { <option value=d.code.clone()>{named(l, &d.name, &d.name_en)}</option> })
                .collect_view()
                .into_any(),
            _ => ().into_any(),
        };
        let area_options = match areas.get() {
            Some(Ok(geo)) => geo["features"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|f| {
                    let p = &f["properties"];
                    let code = p["code"].as_str().unwrap_or_default().to_owned();
                    let name = named(
                        l,
                        p["name"].as_str().unwrap_or_default(),
                        p["name_en"].as_str().unwrap_or_default(),
                    );
                    view! { <option value=code>{name}</option> }
                })
                .collect_view()
                .into_any(),
            _ => ().into_any(),
        };
        view! {
            // Folded on a phone, so that the cases come first.
            <details class="filters-wrap admin-filters-wrap" open=wide>
            <summary>{td_string!(l, filter_title)}</summary>
            <div class="admin-filters">
                <label>{td_string!(l, adm_state)}
                    <select id="queue-state" on:change=move |ev| set(|f, v| f.state = v, event_target_value(&ev))
                        prop:value=move || filters.with(|f| f.state.clone())>
                        <option value="open">{td_string!(l, adm_open)}</option>
                        <option value="all">{td_string!(l, adm_all)}</option>
                        {CaseState::ALL.iter().map(|s| view! { <option value=s.as_str()>{state_label(l, s.as_str())}</option> }).collect_view()}
                    </select>
                </label>
                <label>{td_string!(l, fact_category)}
                    <select on:change=move |ev| set(|f, v| f.category = v, event_target_value(&ev))>
                        <option value="">{td_string!(l, adm_any)}</option>
                        {category_options}
                    </select>
                </label>
                {(!is_handler()).then(|| view! {
                    <label>{td_string!(l, fact_department)}
                        <select on:change=move |ev| set(|f, v| f.department = v, event_target_value(&ev))>
                            <option value="">{td_string!(l, adm_any)}</option>
                            {department_options}
                        </select>
                    </label>
                })}
                <label>{td_string!(l, fact_area)}
                    <select on:change=move |ev| set(|f, v| f.area = v, event_target_value(&ev))>
                        <option value="">{td_string!(l, adm_any)}</option>
                        {area_options}
                    </select>
                </label>
                <label>{td_string!(l, adm_channel)}
                    <select id="queue-channel" on:change=move |ev| set(|f, v| f.channel = v, event_target_value(&ev))>
                        <option value="">{td_string!(l, adm_any)}</option>
                        {shared::report::Channel::ALL.map(|c| view! {
                            <option value=c.as_str()>{if l == Locale::zh_CN { c.name_zh() } else { c.name_en() }}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{td_string!(l, adm_from)}
                    <input type="date" on:change=move |ev| set(|f, v| f.from = v, event_target_value(&ev)) />
                </label>
                <label>{td_string!(l, adm_to)}
                    <input type="date" on:change=move |ev| set(|f, v| f.to = v, event_target_value(&ev)) />
                </label>
                <label class="check"><input type="checkbox" prop:checked=move || filters.with(|f| f.overdue)
                    on:change=move |ev| set(|f, v| f.overdue = v == "true", event_target_checked(&ev).to_string()) />
                    {td_string!(l, adm_overdue_only)}</label>
                {is_handler().then(|| view! {
                    <label class="check"><input type="checkbox" id="queue-mine" prop:checked=move || filters.with(|f| f.mine)
                        on:change=move |ev| set(|f, v| f.mine = v == "true", event_target_checked(&ev).to_string()) />
                        {td_string!(l, adm_mine)}</label>
                })}
            </div>
            </details>
        }
    };

    let rows = move || {
        let l = lang.get();
        match queue.get() {
            None => {
                view! { <p class="muted" role="status">{td_string!(l, loading)}</p> }.into_any()
            }
            Some(Err(e)) => view! { <p class="field-error" role="alert">{e}</p> }.into_any(),
            Some(Ok(q)) if q.items.is_empty() => {
                view! { <p class="muted" id="queue-empty">{td_string!(l, adm_queue_empty)}</p> }
                    .into_any()
            }
            Some(Ok(q)) => {
                let has_more = q.has_more;
                let current = q.page;
                // People read a department's name (住房城乡建委), not its code;
                // the code stays while the names have not loaded.
                let names = departments.get().and_then(Result::ok).unwrap_or_default();
                let on_page: Vec<(String, i32)> = q
                    .items
                    .iter()
                    .map(|c| (c.code.clone(), c.version))
                    .collect();
                let all_picked = {
                    let on_page = on_page.clone();
                    move || picked.with(|p| on_page.iter().all(|(c, _)| p.contains_key(c)))
                };
                let pick_all = move |on: bool| {
                    picked.update(|p| {
                        for (code, version) in &on_page {
                            if on {
                                p.insert(code.clone(), *version);
                            } else {
                                p.remove(code);
                            }
                        }
                    })
                };
                let picks = picks();
                view! {
                    <table class="admin-table queue" id="queue-table">
                        <thead><tr>
                            {picks.then(|| view! {
                                <th class="pick"><label class="pick-box">
                                    <input type="checkbox" id="pick-all" aria-label=td_string!(l, adm_pick_all)
                                        prop:checked=all_picked
                                        on:change=move |ev| pick_all(event_target_checked(&ev)) />
                                </label></th>
                            })}
                            <th>{td_string!(l, tracking_code_label)}</th>
                            <th>{td_string!(l, adm_state)}</th>
                            <th>{td_string!(l, fact_category)}</th>
                            <th>{td_string!(l, fact_area)}</th>
                            <th>{td_string!(l, fact_department)}</th>
                            <th>{td_string!(l, adm_assignee)}</th>
                            <th>{td_string!(l, adm_deadline)}</th>
                        </tr></thead>
                        <tbody>
                            {q.items.into_iter().map(|c| row(l, c, &names, picks.then_some(picked))).collect_view()}
                        </tbody>
                    </table>
                    <p class="pager">
                        {(current > 1).then(|| view! { <button type="button" class="button small" on:click=move |_| to_page(current - 1)>"‹"</button> })}
                        " " {current} " "
                        {has_more.then(|| view! { <button type="button" class="button small" on:click=move |_| to_page(current + 1)>"›"</button> })}
                    </p>
                }
                .into_any()
            }
        }
    };

    view! {
        <h1>{move || td_string!(lang.get(), adm_queue)}</h1>
        {chips}
        {filter_form}
        <p class="queue-links">
            // A plain link: the browser downloads the CSV with the session
            // cookie, filtered as the queue is.
            <a class="button small" id="ledger-link" href=move || filters.with(Filters::ledger_url) download="">
                {move || td_string!(lang.get(), adm_export_ledger)}
            </a>
        </p>
        {rows}
        {move || picks().then(|| view! { <BulkBar picked reload /> })}
    }
}

/// A case: a row of the table, a card on a phone (each cell names its
/// column in `data-label`).
fn row(
    l: Locale,
    c: CaseSummary,
    departments: &[Department],
    picked: Option<RwSignal<BTreeMap<String, i32>>>,
) -> impl IntoView + use<> {
    let href = format!("/admin/cases/{}", c.code);
    let department = c
        .department
        .as_deref()
        .map(|code| {
            departments
                .iter()
                .find(|d| d.code == code)
                .map(|d| named(l, &d.name, &d.name_en))
                .unwrap_or_else(|| code.to_owned())
        })
        .unwrap_or_else(|| "—".to_owned());
    let area = c
        .area
        .as_ref()
        .map(|a| named(l, &a.name, &a.name_en))
        .unwrap_or_else(|| "—".to_owned());
    let due = c
        .deadline
        .as_deref()
        .map(local_date)
        .unwrap_or_else(|| "—".to_owned());
    let flag = if c.overdue {
        td_string!(l, adm_overdue)
    } else if c.due_soon {
        td_string!(l, adm_due_soon)
    } else {
        ""
    };
    let (code, version) = (c.code.clone(), c.version);
    // The link's text is a child of `A`, which moves what it reads.
    let link_text = c.code.clone();
    let pick = picked.map(move |picked| {
        let checked = {
            let code = code.clone();
            move || picked.with(|p| p.contains_key(&code))
        };
        let label = format!("{} {code}", td_string!(l, adm_pick));
        view! {
            <td class="pick"><label class="pick-box">
                <input type="checkbox" class="pick-case" value=code.clone() aria-label=label
                    prop:checked=checked
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        picked.update(|p| {
                            if on { p.insert(code.clone(), version); } else { p.remove(&code); }
                        });
                    } />
            </label></td>
        }
    });
    view! {
        <tr class:overdue=c.overdue class:due-soon=c.due_soon data-code=c.code.clone()
            class=format!("priority-{}", c.priority)>
            {pick}
            <td class="code">
                <A href=href>{link_text}</A>
                {(c.priority != "normal").then(|| view! { " " <span class="tag priority">{priority_label(l, &c.priority)}</span> })}
                // The web form is the usual road; any other is named (受理渠道).
                {(c.channel != shared::report::Channel::Web).then(|| view! {
                    " " <span class="tag channel" data-channel=c.channel.as_str()>{named(l, c.channel.name_zh(), c.channel.name_en())}</span>
                })}
                <small class="summary">{c.summary.clone()}</small>
            </td>
            <td class="state" data-label=td_string!(l, adm_state) data-state=c.state.as_str()>{state_label(l, c.state.as_str())}</td>
            <td class="cat" data-label=td_string!(l, fact_category)>{named(l, &c.category.name, &c.category.name_en)}</td>
            <td class="area" data-label=td_string!(l, fact_area)>{area}</td>
            <td class="department" data-label=td_string!(l, fact_department)>{department}</td>
            <td class="assignee" data-label=td_string!(l, adm_assignee)>{c.assignee.clone().unwrap_or_else(|| "—".to_owned())}</td>
            <td class="deadline" data-label=td_string!(l, adm_deadline)>{due} {(!flag.is_empty()).then(|| view! { " " <span class="tag due">{flag}</span> })}</td>
        </tr>
    }
}
