//! The queue (案件队列): the signed-in user's cases, most urgent deadline
//! first, with filters and counts per state; overdue and nearly-due cases
//! stand out.

use super::{load, use_staff};
use crate::format::{local_date, state_label};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use leptos_router::components::A;
use shared::case::{CaseCounts, CaseQueue, CaseState};
use shared::directory::Department;
use shared::report::Category;

/// The queue's filters, as the API's query string.
#[derive(Clone, Default, PartialEq)]
struct Filters {
    state: String,
    category: String,
    department: String,
    area: String,
    from: String,
    to: String,
}

fn query(f: &Filters, overdue: bool, mine: bool, page: u32) -> String {
    let Filters {
        state,
        category,
        department,
        area,
        from,
        to,
    } = f;
    let mut q = vec![format!("state={state}"), format!("page={page}")];
    for (k, v) in [("area", area), ("from", from), ("to", to)] {
        if !v.is_empty() {
            q.push(format!("{k}={v}"));
        }
    }
    if !category.is_empty() {
        q.push(format!("category={category}"));
    }
    if !department.is_empty() {
        q.push(format!("department={department}"));
    }
    if overdue {
        q.push("overdue=true".to_owned());
    }
    if mine {
        q.push("assignee=me".to_owned());
    }
    format!("/api/v1/cases?{}", q.join("&"))
}

#[component]
pub fn AdminQueue() -> impl IntoView {
    let lang = use_lang();
    let staff = use_staff();
    let state = RwSignal::new("open".to_owned());
    let category = RwSignal::new(String::new());
    let department = RwSignal::new(String::new());
    let area = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let overdue = RwSignal::new(false);
    let mine = RwSignal::new(false);
    let page = RwSignal::new(1u32);
    let queue = load::<CaseQueue>(move || {
        let f = Filters {
            state: state.get(),
            category: category.get(),
            department: department.get(),
            area: area.get(),
            from: from.get(),
            to: to.get(),
        };
        query(&f, overdue.get(), mine.get(), page.get())
    });
    let counts = load::<CaseCounts>(|| "/api/v1/cases/counts".to_owned());
    let categories = load::<Vec<Category>>(|| "/api/v1/categories".to_owned());
    let departments = load::<Vec<Department>>(|| "/api/v1/departments".to_owned());
    let areas = load::<serde_json::Value>(|| "/api/v1/areas".to_owned());
    let is_handler = move || staff.me().is_some_and(|m| m.role == shared::Role::Handler);

    let chips = move || {
        let l = lang.get();
        let Some(Ok(c)) = counts.get() else {
            return ().into_any();
        };
        let overdue_n = c.overdue;
        view! {
            <ul class="admin-counts" aria-label="counts">
                {c.by_state
                    .into_iter()
                    .map(|(s, n)| {
                        let name = s.as_str();
                        view! {
                            <li><button type="button" class="chip" data-state=name
                                class:active=move || state.get() == name
                                on:click=move |_| { page.set(1); state.set(name.to_owned()) }>
                                {state_label(l, name)} " " <strong>{n}</strong>
                            </button></li>
                        }
                    })
                    .collect_view()}
                <li><button type="button" class="chip overdue" on:click=move |_| { page.set(1); overdue.set(true) }>
                    {td_string!(l, adm_overdue)} " " <strong>{overdue_n}</strong>
                </button></li>
            </ul>
        }
        .into_any()
    };

    let filters = move || {
        let l = lang.get();
        let category_options = match categories.get() {
            Some(Ok(list)) => list
                .into_iter()
                .map(|c| {
                    let name = if l == Locale::zh_CN {
                        c.name
                    } else {
                        c.name_en
                    };
                    view! { <option value=c.code>{name}</option> }
                })
                .collect_view()
                .into_any(),
            _ => ().into_any(),
        };
        let department_options = match departments.get() {
            Some(Ok(list)) => list
                .into_iter()
                .map(|d| {
                    let name = if l == Locale::zh_CN {
                        d.name
                    } else {
                        d.name_en
                    };
                    view! { <option value=d.code>{name}</option> }
                })
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
                    let name = p[if l == Locale::zh_CN {
                        "name"
                    } else {
                        "name_en"
                    }]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                    view! { <option value=code>{name}</option> }
                })
                .collect_view()
                .into_any(),
            _ => ().into_any(),
        };
        view! {
            <div class="admin-filters">
                <label>{td_string!(l, adm_state)}
                    <select id="queue-state" on:change=move |ev| { page.set(1); state.set(event_target_value(&ev)) }
                        prop:value=move || state.get()>
                        <option value="open">{td_string!(l, adm_open)}</option>
                        <option value="all">{td_string!(l, adm_all)}</option>
                        {CaseState::ALL.iter().map(|s| view! { <option value=s.as_str()>{state_label(l, s.as_str())}</option> }).collect_view()}
                    </select>
                </label>
                <label>{td_string!(l, fact_category)}
                    <select on:change=move |ev| { page.set(1); category.set(event_target_value(&ev)) }>
                        <option value="">{td_string!(l, adm_any)}</option>
                        {category_options}
                    </select>
                </label>
                {(!is_handler()).then(|| view! {
                    <label>{td_string!(l, fact_department)}
                        <select on:change=move |ev| { page.set(1); department.set(event_target_value(&ev)) }>
                            <option value="">{td_string!(l, adm_any)}</option>
                            {department_options}
                        </select>
                    </label>
                })}
                <label>{td_string!(l, fact_area)}
                    <select on:change=move |ev| { page.set(1); area.set(event_target_value(&ev)) }>
                        <option value="">{td_string!(l, adm_any)}</option>
                        {area_options}
                    </select>
                </label>
                <label>{td_string!(l, adm_from)}
                    <input type="date" on:change=move |ev| { page.set(1); from.set(event_target_value(&ev)) } />
                </label>
                <label>{td_string!(l, adm_to)}
                    <input type="date" on:change=move |ev| { page.set(1); to.set(event_target_value(&ev)) } />
                </label>
                <label class="check"><input type="checkbox" prop:checked=move || overdue.get()
                    on:change=move |ev| { page.set(1); overdue.set(event_target_checked(&ev)) } />
                    {td_string!(l, adm_overdue_only)}</label>
                {is_handler().then(|| view! {
                    <label class="check"><input type="checkbox" on:change=move |ev| { page.set(1); mine.set(event_target_checked(&ev)) } />
                        {td_string!(l, adm_mine)}</label>
                })}
            </div>
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
                let department_name = move |code: Option<String>| {
                    let code = code.unwrap_or_default();
                    names
                        .iter()
                        .find(|d| d.code == code)
                        .map(|d| {
                            if l == Locale::zh_CN {
                                d.name.clone()
                            } else {
                                d.name_en.clone()
                            }
                        })
                        .unwrap_or(code)
                };
                view! {
                    <table class="admin-table queue">
                        <thead><tr>
                            <th>{td_string!(l, tracking_code_label)}</th>
                            <th>{td_string!(l, adm_state)}</th>
                            <th>{td_string!(l, fact_category)}</th>
                            <th>{td_string!(l, fact_area)}</th>
                            <th>{td_string!(l, fact_department)}</th>
                            <th>{td_string!(l, adm_assignee)}</th>
                            <th>{td_string!(l, adm_deadline)}</th>
                        </tr></thead>
                        <tbody>
                            {q.items.into_iter().map(|c| {
                                let href = format!("/admin/cases/{}", c.code);
                                let code = c.code.clone();
                                let category = if l == Locale::zh_CN { c.category.name.clone() } else { c.category.name_en.clone() };
                                let area = c.area.as_ref().map(|a| if l == Locale::zh_CN { a.name.clone() } else { a.name_en.clone() }).unwrap_or_default();
                                let due = c.deadline.as_deref().map(local_date).unwrap_or_else(|| "—".to_owned());
                                let flag = if c.overdue { td_string!(l, adm_overdue) } else if c.due_soon { td_string!(l, adm_due_soon) } else { "" };
                                view! {
                                    <tr class:overdue=c.overdue class:due-soon=c.due_soon data-code=c.code.clone()
                                        class=format!("priority-{}", c.priority)>
                                        <td><A href=href>{code}</A>
                                            {(c.priority != "normal").then(|| view! { <span class="tag priority">{c.priority.clone()}</span> })}
                                            <br /><small>{c.summary.clone()}</small></td>
                                        <td data-state=c.state.as_str()>{state_label(l, c.state.as_str())}</td>
                                        <td>{category}</td>
                                        <td>{area}</td>
                                        <td>{department_name(c.department.clone())}</td>
                                        <td>{c.assignee.clone().unwrap_or_default()}</td>
                                        <td>{due} {(!flag.is_empty()).then(|| view! { <span class="tag due">{flag}</span> })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <p class="pager">
                        {(current > 1).then(|| view! { <button type="button" class="button small" on:click=move |_| page.set(current - 1)>"‹"</button> })}
                        " " {current} " "
                        {has_more.then(|| view! { <button type="button" class="button small" on:click=move |_| page.set(current + 1)>"›"</button> })}
                    </p>
                }
                .into_any()
            }
        }
    };

    view! {
        <h1>{move || td_string!(lang.get(), adm_queue)}</h1>
        {chips}
        {filters}
        {rows}
    }
}
