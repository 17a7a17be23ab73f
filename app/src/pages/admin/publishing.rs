//! Publishing (信息发布): notices, documents and enforcement results in
//! Markdown, enterprise disclosures, and the measured values of the plan's
//! targets — what `/info` and `/stats` show. Editors are admins and
//! reviewers; the targets are admins'.

use super::load;
use super::settings::{Changes, error_line, is_admin};
use crate::format::local_date;
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::info::{InfoPage, Notice, NoticeKind, Stats};

fn kind_label(l: Locale, k: NoticeKind) -> &'static str {
    match k {
        NoticeKind::Notice => td_string!(l, info_kind_notice),
        NoticeKind::Document => td_string!(l, info_kind_document),
        NoticeKind::Enforcement => td_string!(l, info_kind_enforcement),
    }
}

#[component]
pub fn AdminPublishing() -> impl IntoView {
    let lang = use_lang();
    let reload = RwSignal::new(0u32);
    let error = RwSignal::new(None::<String>);
    let changes = Changes::new(error, reload);
    let notices = load::<Vec<Notice>>(move || {
        reload.track();
        "/api/v1/notices".to_owned()
    });
    let info = load::<InfoPage>(move || {
        reload.track();
        "/api/v1/info".to_owned()
    });
    let stats = load::<Stats>(move || {
        reload.track();
        "/api/v1/stats".to_owned()
    });
    // The notice being written: None for a new one.
    let editing = RwSignal::new(None::<i64>);
    let kind = RwSignal::new("notice".to_owned());
    let title = RwSignal::new(String::new());
    let summary = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let published = RwSignal::new(true);
    let clear = move || {
        editing.set(None);
        title.set(String::new());
        summary.set(String::new());
        body.set(String::new());
        published.set(true);
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let payload = serde_json::json!({
            "kind": kind.get_untracked(), "title": title.get_untracked(), "summary": summary.get_untracked(),
            "body": body.get_untracked(), "published": published.get_untracked(),
        });
        match editing.get_untracked() {
            Some(id) => changes.send("PUT", format!("/api/v1/notices/{id}"), payload),
            None => changes.send("POST", "/api/v1/notices".to_owned(), payload),
        }
        clear();
    };
    // The enterprise disclosure form.
    let e = [(); 8].map(|_| RwSignal::new(String::new()));
    let [
        enterprise,
        credit,
        permit,
        industry,
        year,
        disclosed,
        penalties,
        url,
    ] = e;
    let add_enterprise = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let opt = |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.trim().is_empty());
        changes.send(
            "POST",
            "/api/v1/enterprise-disclosures".to_owned(),
            serde_json::json!({
                "enterprise": enterprise.get_untracked(), "credit_code": credit.get_untracked(), "permit_no": opt(permit),
                "industry": opt(industry), "year": year.get_untracked().trim().parse::<i32>().unwrap_or(0),
                "disclosed": disclosed.get_untracked(), "penalties": opt(penalties), "url": opt(url),
            }));
    };
    let text = move |id: &'static str, label: &'static str, s: RwSignal<String>, required: bool| {
        view! {
            <div class="field"><label for=id>{label}</label>
                <input id=id type="text" required=required prop:value=move || s.get() on:input=move |ev| s.set(event_target_value(&ev)) /></div>
        }
    };
    view! {
        <h1>{move || td_string!(lang.get(), adm_publishing)}</h1>
        {error_line(error)}
        <section class="card">
            <h2>{move || if editing.get().is_some() { td_string!(lang.get(), adm_notice_edit) } else { td_string!(lang.get(), adm_notice_new) }}</h2>
            <form on:submit=save id="notice-form">
                <div class="field"><label for="notice-kind">{move || td_string!(lang.get(), info_kind)}</label>
                    <select id="notice-kind" prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
                        {move || NoticeKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{kind_label(lang.get(), k)}</option> }).collect_view()}
                    </select></div>
                {move || text("notice-title", td_string!(lang.get(), adm_notice_title), title, true)}
                {move || text("notice-summary", td_string!(lang.get(), adm_notice_summary), summary, false)}
                <div class="field"><label for="notice-body">{move || td_string!(lang.get(), adm_notice_body)}</label>
                    <textarea id="notice-body" rows="8" required=true prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                    <p class="hint">{move || td_string!(lang.get(), adm_notice_markdown)}</p></div>
                <label class="check"><input type="checkbox" id="notice-published" prop:checked=move || published.get()
                    on:change=move |ev| published.set(event_target_checked(&ev)) /> " " {move || td_string!(lang.get(), adm_notice_publish)}</label>
                <p><button type="submit" class="button primary" id="notice-save">{move || td_string!(lang.get(), adm_save)}</button>
                    " " <button type="button" class="button" on:click=move |_| clear()>{move || td_string!(lang.get(), adm_cancel)}</button></p>
            </form>
            <ul class="notices" id="admin-notices">
                {move || match notices.get() {
                    Some(Ok(list)) => list.into_iter().map(|n| {
                        let (id, k, t, s, md, p) = (n.id, n.kind, n.title.clone(), n.summary.clone(), n.body_md.clone().unwrap_or_default(), n.published_at.is_some());
                        view! {
                            <li>
                                <span class="tag">{kind_label(lang.get(), n.kind)}</span> " "
                                <strong>{n.title.clone()}</strong> " "
                                <span class="muted small">{match &n.published_at {
                                    Some(at) => local_date(at),
                                    None => td_string!(lang.get(), adm_notice_draft).to_owned(),
                                }}</span> " "
                                <button type="button" class="button small" on:click=move |_| {
                                    editing.set(Some(id));
                                    kind.set(k.as_str().to_owned());
                                    title.set(t.clone());
                                    summary.set(s.clone());
                                    body.set(md.clone());
                                    published.set(p);
                                }>{move || td_string!(lang.get(), adm_edit)}</button> " "
                                <button type="button" class="button small" on:click=move |_| {
                                    changes.send("DELETE", format!("/api/v1/notices/{id}"), serde_json::Value::Null);
                                }>{move || td_string!(lang.get(), adm_delete)}</button>
                            </li>
                        }
                    }).collect_view().into_any(),
                    Some(Err(e)) => view! { <li class="field-error">{e}</li> }.into_any(),
                    None => ().into_any(),
                }}
            </ul>
        </section>
        <section class="card">
            <h2>{move || td_string!(lang.get(), info_enterprises)}</h2>
            <form on:submit=add_enterprise id="enterprise-form">
                {move || text("ent-name", td_string!(lang.get(), adm_enterprise), enterprise, true)}
                {move || text("ent-credit", td_string!(lang.get(), info_credit_code), credit, true)}
                {move || text("ent-permit", td_string!(lang.get(), info_permit), permit, false)}
                {move || text("ent-industry", td_string!(lang.get(), info_industry), industry, false)}
                {move || text("ent-year", td_string!(lang.get(), adm_year), year, true)}
                {move || text("ent-disclosed", td_string!(lang.get(), info_disclosed), disclosed, true)}
                {move || text("ent-penalties", td_string!(lang.get(), info_penalties), penalties, false)}
                {move || text("ent-url", td_string!(lang.get(), info_full_report), url, false)}
                <button type="submit" class="button primary">{move || td_string!(lang.get(), adm_add)}</button>
            </form>
            <ul>
                {move || match info.get() {
                    Some(Ok(page)) => page.enterprises.into_iter().map(|e| {
                        let id = e.id;
                        view! { <li>{format!("{} · {} · {}", e.enterprise, e.credit_code, e.year)} " "
                            <button type="button" class="button small" on:click=move |_| {
                                changes.send("DELETE", format!("/api/v1/enterprise-disclosures/{id}"), serde_json::Value::Null);
                            }>{move || td_string!(lang.get(), adm_delete)}</button></li> }
                    }).collect_view().into_any(),
                    _ => ().into_any(),
                }}
            </ul>
        </section>
        {is_admin().then(|| view! {
            <section class="card" id="admin-targets">
                <h2>{move || td_string!(lang.get(), stats_targets)}</h2>
                <table class="admin-table">
                    <tbody>
                        {move || match stats.get() {
                            Some(Ok(s)) => s.indicators.into_iter().map(|i| {
                                let code = i.code.clone();
                                let value = RwSignal::new(i.value.map(|v| v.to_string()).unwrap_or_default());
                                let note = RwSignal::new(i.value_note.clone().unwrap_or_default());
                                let op = if i.comparison == "at_most" { "≤" } else { "≥" };
                                view! { <tr data-code=i.code.clone()>
                                    <td>{i.name.clone()} <span class="muted small">{format!(" {op} {} {}", i.target, i.unit)}</span></td>
                                    <td><input type="number" step="any" min="0" aria-label=i.name.clone() prop:value=move || value.get()
                                        on:input=move |ev| value.set(event_target_value(&ev)) /></td>
                                    <td><input type="text" aria-label=td_string!(lang.get(), adm_note) prop:value=move || note.get()
                                        on:input=move |ev| note.set(event_target_value(&ev)) /></td>
                                    <td><button type="button" class="button small" on:click=move |_| {
                                        let v = value.get_untracked().trim().parse::<f64>().ok();
                                        match v {
                                            Some(v) => changes.send("PUT", format!("/api/v1/indicators/{code}"), serde_json::json!({ "value": v, "note": note.get_untracked() })),
                                            None => error.set(Some(td_string!(lang.get_untracked(), adm_value_number).to_owned())),
                                        }
                                    }>{move || td_string!(lang.get(), adm_save)}</button></td>
                                </tr> }
                            }).collect_view().into_any(),
                            _ => ().into_any(),
                        }}
                    </tbody>
                </table>
            </section>
        })}
    }
}
