//! Bulk work (批量办理) on the cases picked in the queue: assign, transfer
//! or extend them in one request. The server checks and versions each case
//! as if it were done alone, so the answer is two lists — done, and refused
//! with the reason — and the bar shows both.

use super::{Loaded, say, use_staff};
use crate::format::{named, state_label};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::Role;
use shared::case::{ActionKind, NamedRef};
use shared::workbench::{BULK_MAX, BulkAction, BulkRequest, BulkResult, HandlerLoad};
use std::collections::BTreeMap;

/// The bar under the queue once cases are picked ("已选 N 件"), and the
/// answer to the last bulk request.
#[component]
pub fn BulkBar(picked: RwSignal<BTreeMap<String, i32>>, reload: RwSignal<u32>) -> impl IntoView {
    let lang = use_lang();
    let staff = use_staff();
    let open = RwSignal::new(None::<ActionKind>);
    let assignee = RwSignal::new(String::new());
    let department = RwSignal::new(String::new());
    let days = RwSignal::new("15".to_owned());
    let reason = RwSignal::new(String::new());
    let supervisor = move || staff.me().is_some_and(|m| m.role != Role::Handler);
    // Whom to assign to: a supervisor picks from every handler, shown with
    // their department (the server refuses a case outside the handler's
    // department, and says so); a handler from the handlers of the first
    // picked case's department, which is their own.
    let first = Memo::new(move |_| picked.with(|p| p.keys().next().cloned()));
    let handlers: Loaded<Vec<(String, Option<NamedRef>)>> = LocalResource::new(move || {
        let supervisor = supervisor();
        let first = first.get().unwrap_or_default();
        async move {
            use crate::browser::http::get_json;
            if supervisor {
                get_json::<Vec<HandlerLoad>>("/api/v1/cases/team", &[])
                    .await
                    .map(|list| {
                        list.into_iter()
                            .map(|h| (h.username, h.department))
                            .collect()
                    })
            } else {
                get_json::<Vec<String>>(&format!("/api/v1/cases/{first}/assignees"), &[])
                    .await
                    .map(|list| list.into_iter().map(|u| (u, None)).collect())
            }
            .map_err(|e| say(&e))
        }
    });
    let departments = super::use_departments();

    let send = Action::new_local(move |body: &BulkRequest| {
        let body = body.clone();
        async move {
            let got = crate::browser::http::send_json::<BulkResult>(
                "POST",
                "/api/v1/cases/bulk",
                &[],
                &body,
            )
            .await
            .map_err(|e| say(&e));
            if got.is_ok() {
                picked.set(BTreeMap::new());
                open.set(None);
                reload.update(|n| *n += 1);
                crate::browser::scroll_to("bulk-result");
            }
            got
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let trim = |s: RwSignal<String>| s.get_untracked().trim().to_owned();
        let action = match open.get_untracked() {
            Some(ActionKind::Assign) => BulkAction::Assign {
                assignee: trim(assignee),
            },
            Some(ActionKind::Transfer) => BulkAction::Transfer {
                department: trim(department),
                reason: trim(reason),
            },
            Some(ActionKind::Extend) => BulkAction::Extend {
                // One that does not parse goes as 0, which the server
                // refuses with its own message.
                days: trim(days).parse().unwrap_or(0),
                reason: trim(reason),
            },
            _ => return,
        };
        let versions = picked.get_untracked();
        send.dispatch_local(BulkRequest {
            action,
            codes: versions.keys().cloned().collect(),
            versions,
        });
    };
    let count = move || picked.with(BTreeMap::len);
    let failed = move || send.value().get().and_then(Result::err);

    let assign_options = move || {
        let l = lang.get();
        let Some(Ok(list)) = handlers.get() else {
            return ().into_any();
        };
        list.into_iter()
            .map(|(username, dept)| {
                let dept = dept
                    .map(|d| format!(" · {}", named(l, &d.name, &d.name_en)))
                    .unwrap_or_default();
                view! { <option value=username.clone()>{format!("{username}{dept}")}</option> }
            })
            .collect_view()
            .into_any()
    };
    let reason_field = move || {
        view! {
            <div class="field"><label for="bulk-reason">{move || td_string!(lang.get(), adm_reason)}</label>
                <textarea id="bulk-reason" rows="2" required=true prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))></textarea></div>
        }
    };
    let form = move || {
        let l = lang.get();
        let fields = match open.get()? {
            ActionKind::Assign => view! {
                <div class="field"><label for="bulk-assignee">{td_string!(l, adm_assignee)}</label>
                    <select id="bulk-assignee" required=true on:change=move |ev| assignee.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {assign_options}
                    </select></div>
            }
            .into_any(),
            ActionKind::Transfer => view! {
                <div class="field"><label for="bulk-department">{td_string!(l, fact_department)}</label>
                    <select id="bulk-department" required=true on:change=move |ev| department.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {move || match departments.get() {
                            Some(Ok(list)) => list.into_iter().map(|d| {
                                view! { <option value=d.code.clone()>{named(lang.get(), &d.name, &d.name_en)}</option> }
                            }).collect_view().into_any(),
                            _ => ().into_any(),
                        }}
                    </select></div>
                {reason_field()}
            }
            .into_any(),
            ActionKind::Extend => view! {
                <div class="field"><label for="bulk-days">{td_string!(l, adm_days)}</label>
                    <input id="bulk-days" type="number" min="1" max="30" inputmode="numeric" prop:value=move || days.get()
                        on:input=move |ev| days.set(event_target_value(&ev)) /></div>
                {reason_field()}
            }
            .into_any(),
            _ => return None,
        };
        Some(view! {
            <form class="bulk-form" id="bulk-form" on:submit=submit>
                {fields}
                {move || failed().map(|e| view! { <p class="field-error" role="alert" id="bulk-error">{e}</p> })}
                <button type="submit" class="button primary" id="bulk-submit" disabled=move || send.pending().get()>
                    {move || td!(lang.get(), adm_bulk_apply, n = count())}
                </button>
            </form>
        })
    };
    let button = move |kind: ActionKind, label: fn(Locale) -> &'static str| {
        view! {
            <button type="button" class="button small" data-bulk=kind.as_str()
                class:primary=move || open.get() == Some(kind)
                on:click=move |_| open.update(|o| *o = if *o == Some(kind) { None } else { Some(kind) })>
                {move || label(lang.get())}
            </button>
        }
    };
    let result = move || {
        let l = lang.get();
        let r = send.value().get()?.ok()?;
        let (done, refused) = (r.done.len(), r.refused.len());
        Some(view! {
            <section class="card bulk-result" id="bulk-result" tabindex="-1" role="status">
                <h2>{td!(l, adm_bulk_result, done = done, refused = refused)}</h2>
                {(!r.done.is_empty()).then(|| view! {
                    <ul class="bulk-done">
                        {r.done.into_iter().map(|d| view! {
                            <li data-code=d.code.clone()>"✓ "
                                <a href=format!("/admin/cases/{}", d.code)>{d.code.clone()}</a>
                                " → " {state_label(l, d.state.as_str())}</li>
                        }).collect_view()}
                    </ul>
                })}
                {(!r.refused.is_empty()).then(|| view! {
                    <ul class="bulk-refused">
                        {r.refused.into_iter().map(|x| view! {
                            <li data-code=x.code.clone() data-status=x.status.to_string()>"✗ "
                                <a href=format!("/admin/cases/{}", x.code)>{x.code.clone()}</a>
                                ": " {x.message.clone()}</li>
                        }).collect_view()}
                    </ul>
                })}
            </section>
        })
    };

    view! {
        {result}
        <Show when=move || { count() > 0 }>
            <section class="bulk-bar" id="bulk-bar" aria-label=move || td_string!(lang.get(), adm_bulk)>
                <p class="bulk-count">
                    <strong id="bulk-count">{move || td!(lang.get(), adm_bulk_picked, n = count())}</strong>
                    {move || (count() > BULK_MAX).then(|| view! {
                        " " <span class="field-error">{td!(lang.get(), adm_bulk_too_many, n = BULK_MAX)}</span>
                    })}
                    <button type="button" class="button small" id="bulk-clear"
                        on:click=move |_| { picked.set(BTreeMap::new()); open.set(None); }>
                        {move || td_string!(lang.get(), adm_bulk_clear)}
                    </button>
                </p>
                <div class="bulk-actions">
                    {button(ActionKind::Assign, |l| td_string!(l, adm_do_assign))}
                    {button(ActionKind::Transfer, |l| td_string!(l, adm_do_transfer))}
                    {button(ActionKind::Extend, |l| td_string!(l, adm_do_extend))}
                </div>
                {form}
            </section>
        </Show>
    }
}
