//! The console's configuration pages: routing rules and quiet periods,
//! staff accounts, departments and their webhooks, the audit log, and the
//! notifications that keep failing. The server checks every role; these
//! pages only hide what a role cannot use.

use super::{after_loading, load, role_label, use_staff};
use crate::format::local_time;
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::Role;
use shared::directory::{AuditEntry, DepartmentSettings, OutboxMessage, StaffAccount};
use shared::routing::{QuietPeriod, RoutingRule, RoutingRuleInput};

/// A console page's changes (create, edit, delete), sent with
/// `Action::new_local`: an accepted change clears the page's `error` and
/// bumps `reload` so its lists load again; a refusal lands in `error`.
#[derive(Clone, Copy)]
pub(super) struct Changes {
    action: Action<(&'static str, String, serde_json::Value), ()>,
}

impl Changes {
    pub(super) fn new(error: RwSignal<Option<String>>, reload: RwSignal<u32>) -> Self {
        let action = Action::new_local(
            move |(method, url, body): &(&'static str, String, serde_json::Value)| {
                let (method, url, body) = (*method, url.clone(), body.clone());
                async move {
                    let sent = crate::browser::http::send_json::<serde_json::Value>(
                        method,
                        &url,
                        &[],
                        &body,
                    )
                    .await;
                    match sent {
                        Ok(_) => {
                            error.set(None);
                            reload.update(|n| *n += 1);
                        }
                        Err(e) => error.set(Some(super::say(&e))),
                    }
                }
            },
        );
        Self { action }
    }

    pub(super) fn send(&self, method: &'static str, url: String, body: serde_json::Value) {
        self.action.dispatch_local((method, url, body));
    }
}

/// Fetches a department's webhook signing secret to show it (admins; the
/// server audits the reading).
fn show_secret(code: String, secret: RwSignal<Option<String>>, error: RwSignal<Option<String>>) {
    leptos::task::spawn_local(async move {
        let url = format!("/api/v1/departments/{code}/webhook-secret");
        match crate::browser::http::get_json::<shared::directory::WebhookSecret>(&url, &[]).await {
            Ok(s) => secret.set(Some(s.secret)),
            Err(e) => error.set(Some(super::say(&e))),
        }
    });
}

pub(super) fn is_admin() -> bool {
    use_staff().me().is_some_and(|m| m.role == Role::Admin)
}

pub(super) fn error_line(error: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <p class="field-error" role="alert">{e}</p> })
    }
}

#[component]
pub fn AdminRules() -> impl IntoView {
    let lang = use_lang();
    let reload = RwSignal::new(0u32);
    let error = RwSignal::new(None::<String>);
    let changes = Changes::new(error, reload);
    let rules = load::<Vec<RoutingRule>>(move || {
        reload.track();
        "/api/v1/routing-rules".to_owned()
    });
    let periods = load::<Vec<QuietPeriod>>(move || {
        reload.track();
        "/api/v1/quiet-periods".to_owned()
    });
    let admin = is_admin();
    let draft = RwSignal::new(RoutingRuleInput {
        active: true,
        ..Default::default()
    });
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = serde_json::to_value(draft.get_untracked()).unwrap_or_default();
        changes.send("POST", "/api/v1/routing-rules".to_owned(), body);
    };
    let input = move |label: &'static str,
                      get: fn(&RoutingRuleInput) -> String,
                      set: fn(&mut RoutingRuleInput, String)| {
        view! {
            <label>{label}
                <input prop:value=move || get(&draft.get()) on:input=move |ev| {
                    let v = event_target_value(&ev);
                    draft.update(|d| set(d, v));
                } />
            </label>
        }
    };
    let table = move || {
        let l = lang.get();
        match rules.get() {
            None => view! { <p class="muted">{td_string!(l, loading)}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="field-error">{e}</p> }.into_any(),
            Some(Ok(list)) => view! {
                <table class="admin-table rules">
                    <thead><tr>
                        <th>"#"</th><th>{td_string!(l, fact_category)}</th><th>{td_string!(l, fact_area)}</th>
                        <th>{td_string!(l, adm_window)}</th><th>{td_string!(l, fact_department)}</th>
                        <th>{td_string!(l, adm_co_department)}</th><th>{td_string!(l, adm_priority)}</th><th><span class="visually-hidden">{td_string!(l, adm_actions)}</span></th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|r| {
                            let id = r.id;
                            let rule = r.rule;
                            let window = match (&rule.start, &rule.end) {
                                (Some(s), Some(e)) => format!("{s}–{e}"),
                                _ => String::new(),
                            };
                            let toggled = { let mut t = rule.clone(); t.active = !t.active; t };
                            view! {
                                <tr class:inactive=!rule.active>
                                    <td>{id}</td>
                                    <td>{rule.category.clone().or(rule.group.clone().map(|g| format!("{g} *"))).unwrap_or_else(|| "*".to_owned())}</td>
                                    <td>{rule.area.clone().unwrap_or_default()}</td>
                                    <td>{window}</td>
                                    <td>{rule.department.clone()}</td>
                                    <td>{rule.co_department.clone().unwrap_or_default()}</td>
                                    <td>{rule.priority.clone().unwrap_or_default()}</td>
                                    <td>{admin.then(|| view! {
                                        <button type="button" class="button small" on:click=move |_| {
                                            let body = serde_json::to_value(&toggled).unwrap_or_default();
                                            changes.send("PUT", format!("/api/v1/routing-rules/{id}"), body);
                                        }>{if rule.active { td_string!(l, adm_disable) } else { td_string!(l, adm_enable) }}</button>
                                        " "
                                        <button type="button" class="button small" on:click=move |_| {
                                            changes.send("DELETE", format!("/api/v1/routing-rules/{id}"), serde_json::Value::Null);
                                        }>{td_string!(l, adm_delete)}</button>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any(),
        }
    };
    let quiet = move || {
        let l = lang.get();
        match periods.get() {
            Some(Ok(list)) => view! {
                <ul>{list.into_iter().map(|p| {
                    let id = p.id;
                    view! { <li>{format!("{} · {} · {} – {}", p.name, p.group, local_time(&p.starts_at), local_time(&p.ends_at))}
                        {admin.then(|| view! { " " <button type="button" class="button small" on:click=move |_| {
                            changes.send("DELETE", format!("/api/v1/quiet-periods/{id}"), serde_json::Value::Null);
                        }>{td_string!(l, adm_delete)}</button> })}
                    </li> }
                }).collect_view()}</ul>
            }.into_any(),
            _ => ().into_any(),
        }
    };
    view! {
        <h1>{move || td_string!(lang.get(), adm_rules)}</h1>
        <p class="hint">{move || td_string!(lang.get(), adm_rules_hint)}</p>
        {error_line(error)}
        {table}
        // The editor and the quiet periods after the rules have come, so that
        // their arrival does not push them down (see `after_loading`).
        {after_loading(rules, move || view! {
            {admin.then(|| view! {
                <form class="card admin-form" on:submit=add>
                    <h2>{move || td_string!(lang.get(), adm_add_rule)}</h2>
                    {input("category", |d| d.category.clone().unwrap_or_default(), |d, v| d.category = Some(v))}
                    {input("group", |d| d.group.clone().unwrap_or_default(), |d, v| d.group = Some(v))}
                    {input("area", |d| d.area.clone().unwrap_or_default(), |d, v| d.area = Some(v))}
                    {input("start (HH:MM)", |d| d.start.clone().unwrap_or_default(), |d, v| d.start = Some(v))}
                    {input("end (HH:MM)", |d| d.end.clone().unwrap_or_default(), |d, v| d.end = Some(v))}
                    {input("department", |d| d.department.clone(), |d, v| d.department = v)}
                    {input("co_department", |d| d.co_department.clone().unwrap_or_default(), |d, v| d.co_department = Some(v))}
                    {input("priority", |d| d.priority.clone().unwrap_or_default(), |d, v| d.priority = Some(v))}
                    {input("note", |d| d.note.clone().unwrap_or_default(), |d, v| d.note = Some(v))}
                    <button type="submit" class="button primary">{move || td_string!(lang.get(), adm_save)}</button>
                </form>
            })}
            <h2>{move || td_string!(lang.get(), adm_quiet_periods)}</h2>
            {quiet}
        })}
    }
}

#[component]
pub fn AdminUsers() -> impl IntoView {
    let lang = use_lang();
    let reload = RwSignal::new(0u32);
    let error = RwSignal::new(None::<String>);
    let changes = Changes::new(error, reload);
    let users = load::<Vec<StaffAccount>>(move || {
        reload.track();
        "/api/v1/users".to_owned()
    });
    let admin = is_admin();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new("handler".to_owned());
    let department = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = serde_json::json!({
            "username": username.get_untracked(), "password": password.get_untracked(),
            "role": role.get_untracked(), "department": Some(department.get_untracked()).filter(|d| !d.is_empty()),
        });
        changes.send("POST", "/api/v1/users".to_owned(), body);
    };
    let list = move || {
        let l = lang.get();
        match users.get() {
            None => view! { <p class="muted">{td_string!(l, loading)}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="field-error">{e}</p> }.into_any(),
            Some(Ok(list)) => view! {
                // Cards on a phone (`.cards`): four columns did not fit 390 px.
                <table class="admin-table users cards">
                    <thead><tr><th>{td_string!(l, adm_username)}</th><th>{td_string!(l, adm_role)}</th><th>{td_string!(l, fact_department)}</th><th><span class="visually-hidden">{td_string!(l, adm_actions)}</span></th></tr></thead>
                    <tbody>{list.into_iter().map(|u| {
                        let name = u.username.clone();
                        let active = u.active;
                        view! { <tr class:inactive=!active>
                            <td data-label=td_string!(l, adm_username)>{u.username.clone()}</td>
                            <td data-label=td_string!(l, adm_role)>{role_label(l, u.role)}</td>
                            <td data-label=td_string!(l, fact_department)>{u.department.clone().unwrap_or_default()}</td>
                            <td data-label=td_string!(l, adm_actions)>{admin.then(|| view! { <button type="button" class="button small" on:click=move |_| {
                                changes.send("PATCH", format!("/api/v1/users/{name}"), serde_json::json!({ "active": !active }));
                            }>{if active { td_string!(l, adm_disable) } else { td_string!(l, adm_enable) }}</button> })}</td>
                        </tr> }
                    }).collect_view()}</tbody>
                </table>
            }.into_any(),
        }
    };
    view! {
        <h1>{move || td_string!(lang.get(), adm_users)}</h1>
        {error_line(error)}
        {list}
        {admin.then(|| after_loading(users, move || view! {
            <form class="card admin-form" on:submit=add>
                <h2>{move || td_string!(lang.get(), adm_add_user)}</h2>
                <label>{move || td_string!(lang.get(), adm_username)}<input required=true on:input=move |ev| username.set(event_target_value(&ev)) /></label>
                <label>{move || td_string!(lang.get(), adm_password)}<input type="password" autocomplete="new-password" required=true on:input=move |ev| password.set(event_target_value(&ev)) /></label>
                <label>{move || td_string!(lang.get(), adm_role)}
                    <select on:change=move |ev| role.set(event_target_value(&ev)) prop:value=move || role.get()>
                        {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{move || role_label(lang.get(), r)}</option> }).collect_view()}
                    </select></label>
                <label>{move || td_string!(lang.get(), fact_department)}<input placeholder="housing_construction" on:input=move |ev| department.set(event_target_value(&ev)) /></label>
                <button type="submit" class="button primary">{move || td_string!(lang.get(), adm_save)}</button>
            </form>
        }))}
    }
}

#[component]
pub fn AdminDepartments() -> impl IntoView {
    let lang = use_lang();
    let reload = RwSignal::new(0u32);
    let error = RwSignal::new(None::<String>);
    let changes = Changes::new(error, reload);
    let departments = load::<Vec<DepartmentSettings>>(move || {
        reload.track();
        "/api/v1/admin/departments".to_owned()
    });
    let admin = is_admin();
    view! {
        <h1>{move || td_string!(lang.get(), adm_departments)}</h1>
        <p class="hint">{move || td_string!(lang.get(), adm_webhook_hint)}</p>
        {error_line(error)}
        {move || match departments.get() {
            Some(Ok(list)) => view! {
                <table class="admin-table departments">
                    <tbody>{list.into_iter().map(|d| {
                        let code = d.code.clone();
                        let secret_of = d.code.clone();
                        let url = RwSignal::new(d.webhook_url.clone().unwrap_or_default());
                        let secret = RwSignal::new(None::<String>);
                        view! { <tr>
                            <td>{d.code.clone()}</td><td>{d.name.clone()}</td>
                            <td>{if admin {
                                view! {
                                    <input type="url" placeholder="https://…" prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev)) />
                                    " "
                                    <button type="button" class="button small" on:click=move |_| {
                                        changes.send("PATCH", format!("/api/v1/departments/{code}"), serde_json::json!({ "webhook_url": url.get_untracked() }));
                                    }>{move || td_string!(lang.get(), adm_save)}</button>
                                    " "
                                    <button type="button" class="button small" id=format!("webhook-secret-{}", d.code)
                                        on:click=move |_| show_secret(secret_of.clone(), secret, error)>
                                        {move || td_string!(lang.get(), adm_webhook_secret)}
                                    </button>
                                    {move || secret.get().map(|s| view! { <code class="webhook-secret">{s}</code> })}
                                }.into_any()
                            } else {
                                view! { {d.webhook_url.clone().unwrap_or_default()} }.into_any()
                            }}</td>
                        </tr> }
                    }).collect_view()}</tbody>
                </table>
            }.into_any(),
            Some(Err(e)) => view! { <p class="field-error">{e}</p> }.into_any(),
            None => ().into_any(),
        }}
    }
}

#[component]
pub fn AdminAudit() -> impl IntoView {
    let lang = use_lang();
    let object = RwSignal::new(String::new());
    let entries = load::<Vec<AuditEntry>>(move || {
        let o = object.get();
        if o.trim().is_empty() {
            "/api/v1/audit".to_owned()
        } else {
            format!("/api/v1/audit?object_id={}", o.trim())
        }
    });
    view! {
        <h1>{move || td_string!(lang.get(), adm_audit)}</h1>
        <label>{move || td_string!(lang.get(), adm_audit_object)}
            <input placeholder="BN-…" on:change=move |ev| object.set(event_target_value(&ev)) /></label>
        {move || match entries.get() {
            Some(Ok(list)) => view! {
                <table class="admin-table audit">
                    <tbody>{list.into_iter().map(|e| view! { <tr>
                        <td>{local_time(&e.at)}</td><td>{e.actor}</td><td>{e.action}</td>
                        <td>{format!("{} {}", e.object_type, e.object_id)}</td><td>{e.detail.unwrap_or_default()}</td>
                    </tr> }).collect_view()}</tbody>
                </table>
            }.into_any(),
            Some(Err(e)) => view! { <p class="field-error">{e}</p> }.into_any(),
            None => ().into_any(),
        }}
    }
}

#[component]
pub fn AdminOutbox() -> impl IntoView {
    let lang = use_lang();
    let reload = RwSignal::new(0u32);
    let error = RwSignal::new(None::<String>);
    let changes = Changes::new(error, reload);
    let failing = load::<Vec<OutboxMessage>>(move || {
        reload.track();
        "/api/v1/outbox".to_owned()
    });
    let admin = is_admin();
    view! {
        <h1>{move || td_string!(lang.get(), adm_outbox)}</h1>
        <p class="hint">{move || td_string!(lang.get(), adm_outbox_hint)}</p>
        {error_line(error)}
        {move || match failing.get() {
            Some(Ok(list)) if list.is_empty() => view! { <p class="muted">{td_string!(lang.get(), adm_outbox_empty)}</p> }.into_any(),
            Some(Ok(list)) => view! {
                <table class="admin-table outbox">
                    <tbody>{list.into_iter().map(|m| {
                        let id = m.id;
                        view! { <tr class="overdue">
                            <td>{m.case.clone()}</td><td>{m.department.clone()}</td><td>{m.event.clone()}</td>
                            <td>{m.attempts}</td><td>{m.last_error.clone().unwrap_or_default()}</td>
                            <td>{local_time(&m.next_attempt_at)}</td>
                            <td>{admin.then(|| view! { <button type="button" class="button small" on:click=move |_| {
                                changes.send("POST", format!("/api/v1/outbox/{id}/retry"), serde_json::json!({}));
                            }>{move || td_string!(lang.get(), adm_retry)}</button> })}</td>
                        </tr> }
                    }).collect_view()}</tbody>
                </table>
            }.into_any(),
            Some(Err(e)) => view! { <p class="field-error">{e}</p> }.into_any(),
            None => ().into_any(),
        }}
    }
}
