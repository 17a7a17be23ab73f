//! A case as staff work it: facts, photos (originals for those allowed),
//! a map, the reports and the timeline, and one button per allowed action,
//! each opening the fields that action needs.

use super::hotspots::{geo_uri, site_case};
use super::notes::CaseNotes;
use super::templates::TemplatePicker;
use super::{Loaded, load};
use crate::format::{action_label, local_date, local_time, named, priority_label, state_label};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::case::{ActionKind, ActionRequest, CaseAction, CaseDetail, Finding, RevealedReporter};
use shared::directory::Department;
use shared::disclosure::{Disclosure, Precision};
use shared::report::{Category, NearbyCase};
use shared::reward::{RewardTier, yuan};
use std::collections::BTreeMap;

fn action_name(l: Locale, a: ActionKind) -> &'static str {
    match a {
        ActionKind::Accept => td_string!(l, adm_do_accept),
        ActionKind::Reject => td_string!(l, adm_do_reject),
        ActionKind::Merge => td_string!(l, adm_do_merge),
        ActionKind::Assign => td_string!(l, adm_do_assign),
        ActionKind::Transfer => td_string!(l, adm_do_transfer),
        ActionKind::DraftReply => td_string!(l, adm_do_draft_reply),
        ActionKind::ApproveReply => td_string!(l, adm_do_approve_reply),
        ActionKind::ReturnReply => td_string!(l, adm_do_return_reply),
        ActionKind::Extend => td_string!(l, adm_do_extend),
        ActionKind::ProposeReward => td_string!(l, adm_do_propose_reward),
        ActionKind::ApproveReward => td_string!(l, adm_do_approve_reward),
        ActionKind::RejectReward => td_string!(l, adm_do_reject_reward),
        ActionKind::PayReward => td_string!(l, adm_do_pay_reward),
        ActionKind::Disclose => td_string!(l, adm_do_disclose),
        ActionKind::Undisclose => td_string!(l, adm_do_undisclose),
        ActionKind::Recategorize => td_string!(l, adm_do_recategorize),
        ActionKind::Relocate => td_string!(l, adm_do_relocate),
        ActionKind::RecordPenalty => td_string!(l, adm_do_record_penalty),
        ActionKind::ReferToPolice => td_string!(l, adm_do_refer_to_police),
        ActionKind::PublishPenalty => td_string!(l, adm_do_publish_penalty),
        ActionKind::RecordInspection => td_string!(l, adm_do_record_inspection),
        ActionKind::RequestInfo => td_string!(l, adm_do_request_info),
    }
}

/// "500" or "12.50" yuan → fen.
pub fn yuan_to_fen(s: &str) -> Option<i64> {
    let s = s.trim();
    let (whole, cents) = match s.split_once('.') {
        Some((w, c)) if c.len() <= 2 => (w, format!("{c:0<2}")),
        Some(_) => return None,
        None => (s, "00".to_owned()),
    };
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let cents: i64 = cents.parse().ok()?;
    (whole >= 0).then(|| whole * 100 + cents)
}

fn finding_label(l: Locale, f: &str) -> &'static str {
    match f {
        "substantiated" => td_string!(l, finding_substantiated),
        "partly_substantiated" => td_string!(l, finding_partly_substantiated),
        _ => td_string!(l, finding_unsubstantiated),
    }
}

#[component]
pub fn AdminCase() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    // Bumped after every action to load the case again.
    let reload = RwSignal::new(0u32);
    let case = load::<CaseDetail>(move || {
        reload.track();
        format!("/api/v1/cases/{}", code())
    });
    let shown = RwSignal::new(None::<CaseDetail>);
    Effect::new(move |_| {
        if let Some(Ok(c)) = case.get() {
            shown.set(Some(c));
        }
    });
    view! {
        {move || match case.get() {
            None if shown.get().is_none() => view! { <p class="muted" role="status">{td_string!(lang.get(), loading)}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="field-error" role="alert">{e}</p> }.into_any(),
            _ => ().into_any(),
        }}
        {move || shown.get().map(|c| view! { <CasePage case=c reload=reload /> })}
    }
}

#[component]
fn CasePage(case: CaseDetail, reload: RwSignal<u32>) -> impl IntoView {
    let lang = use_lang();
    let c = case;
    let public = PublicDraft::of(&c);
    let template = TemplateFacts::of(&c);
    let earlier = c.earlier_here.clone();
    let notes = c.notes.clone();
    let code = c.code.clone();
    // Who reported it (举报人), for those allowed: each reading is audited.
    let reveal = {
        let code = code.clone();
        Action::new_local(move |_: &()| {
            let url = format!("/api/v1/cases/{code}/reveal");
            async move {
                crate::browser::http::send_json::<Vec<RevealedReporter>>(
                    "POST",
                    &url,
                    &[],
                    &serde_json::json!({}),
                )
                .await
                .map_err(|e| super::say(&e))
            }
        })
    };
    let revealed = reveal.value();
    let map_el = NodeRef::<leptos::html::Div>::new();
    let (lat, lon) = (c.lat, c.lon);
    Effect::new(move |_| {
        if let Some(el) = map_el.get() {
            let el: leptos::web_sys::HtmlElement = el.into();
            leptos::task::spawn_local(async move {
                if crate::browser::map::open(el, (lat, lon), 16.0, |_, _| {}, || {}).await {
                    crate::browser::map::set_pin(lat, lon, None);
                }
            });
        }
    });
    on_cleanup(crate::browser::map::close);

    let category = move || {
        if lang.get() == Locale::zh_CN {
            c.category.name.clone()
        } else {
            c.category.name_en.clone()
        }
    };
    let area = c.area.as_ref().map(|a| (a.name.clone(), a.name_en.clone()));
    let state = c.state.as_str();
    let deadline = c
        .deadline
        .as_deref()
        .map(local_time)
        .unwrap_or_else(|| "—".to_owned());
    let reply = c.reply.clone();
    let finding = c.finding.map(|f| f.as_str());
    let reports = c.reports.clone();
    let timeline = c.timeline.clone();
    let allowed = c.allowed_actions.clone();
    let priority = c.priority.clone();
    let channel = c.channel;
    // The department in the reader's language once the names have loaded;
    // the Chinese name the case carries until then.
    let departments = super::use_departments();
    let by_code = move |l: Locale, code: &str| {
        departments.get().and_then(Result::ok).and_then(|list| {
            list.into_iter()
                .find(|d| d.code == code)
                .map(|d| named(l, &d.name, &d.name_en))
        })
    };
    let department_name = {
        let (code, zh) = (c.department.clone(), c.department_name.clone());
        move |l: Locale| {
            let listed = code.as_deref().and_then(|code| by_code(l, code));
            listed.or(zh.clone()).or(code.clone()).unwrap_or_default()
        }
    };
    view! {
        <article class="admin-case" data-state=state data-version=c.version>
            <header class="admin-case-head">
                <h1><span id="case-code">{c.code.clone()}</span> " " <span class="case-state" id="case-state" data-state=state>{move || state_label(lang.get(), state)}</span></h1>
                <p>
                    {category} " · "
                    {move || area.clone().map(|(zh, en)| if lang.get() == Locale::zh_CN { zh } else { en }).unwrap_or_default()}
                    " · " <span class="tag priority" data-priority=c.priority.clone()>{move || priority_label(lang.get(), &priority)}</span>
                    {c.overdue.then(|| view! { " " <span class="tag due overdue">{move || td_string!(lang.get(), adm_overdue)}</span> })}
                    {c.due_soon.then(|| view! { " " <span class="tag due">{move || td_string!(lang.get(), adm_due_soon)}</span> })}
                </p>
            </header>
            {(earlier.count > 0).then(|| {
                let n = earlier.count;
                let cases = earlier.cases.clone();
                view! {
                    // Folded when the list is long, so the case itself stays
                    // near the top of a phone's screen; the warning shows.
                    <details class="notice earlier-here" id="earlier-here" data-count=n.to_string() open=n <= 3>
                        <summary><strong>{move || td!(lang.get(), adm_earlier_here, n = n)}</strong></summary>
                        <ul class="site-cases">
                            {move || {
                                let l = lang.get();
                                cases.clone().into_iter().map(|c| site_case(l, c)).collect_view()
                            }}
                        </ul>
                    </details>
                }
            })}
            <div class="admin-case-grid">
                <section class="card">
                    <dl class="case-facts">
                        <div><dt>{move || td_string!(lang.get(), fact_department)}</dt><dd id="case-department">{move || department_name(lang.get())}</dd></div>
                        {c.co_department.clone().map(|d| view! { <div><dt>{move || td_string!(lang.get(), adm_co_department)}</dt><dd>{move || by_code(lang.get(), &d).unwrap_or_else(|| d.clone())}</dd></div> })}
                        <div><dt>{move || td_string!(lang.get(), adm_assignee)}</dt><dd id="case-assignee">{c.assignee.clone().unwrap_or_else(|| "—".to_owned())}</dd></div>
                        <div><dt>{move || td_string!(lang.get(), adm_deadline)}</dt><dd>{deadline}{(c.extended_days > 0).then(|| format!(" (+{} d)", c.extended_days))}</dd></div>
                        <div><dt>{move || td_string!(lang.get(), fact_submitted)}</dt><dd>{local_time(&c.submitted_at)}</dd></div>
                        <div><dt>{move || td_string!(lang.get(), adm_channel)}</dt><dd id="case-channel" data-channel=channel.as_str()>{move || named(lang.get(), channel.name_zh(), channel.name_en())}</dd></div>
                        {c.occurred_at.clone().map(|t| view! { <div><dt>{move || td_string!(lang.get(), adm_occurred)}</dt><dd>{local_time(&t)}</dd></div> })}
                        <div><dt>{move || td_string!(lang.get(), fact_corroborations)}</dt><dd>{c.corroborations}</dd></div>
                        {c.merged_into.clone().map(|m| view! { <div><dt>{move || td_string!(lang.get(), adm_merged_into)}</dt><dd><a href=format!("/admin/cases/{m}")>{m.clone()}</a></dd></div> })}
                        {c.contested.then(|| view! { <div><dt>{move || td_string!(lang.get(), action_contested)}</dt><dd>"✓"</dd></div> })}
                    </dl>
                    <h2>{move || td_string!(lang.get(), fact_description)}</h2>
                    <p class="case-description">{c.description.clone()}</p>
                    {reply.map(|r| view! {
                        <h2>{move || td_string!(lang.get(), fact_reply)}</h2>
                        {finding.map(|f| view! { <p><strong>{move || finding_label(lang.get(), f)}</strong></p> })}
                        <p class="case-reply" id="case-reply">{r}</p>
                        {c.actions_taken.clone().map(|a| view! { <p class="muted">{a}</p> })}
                        {c.reply_drafted_by.clone().map(|d| view! { <p class="muted">{move || td_string!(lang.get(), adm_drafted_by)} " " {d.clone()}</p> })}
                    })}
                </section>
                <section class="card">
                    <div class="admin-map" node_ref=map_el></div>
                    <p class="case-place">
                        <span class="muted">{format!("{lat:.5}, {lon:.5}")}</span>
                        // Opens the phone's map app at the place (a `geo:` URI).
                        <a class="button small" id="case-navigate" href=geo_uri(lat, lon)>{move || td_string!(lang.get(), adm_navigate)}</a>
                    </p>
                </section>
            </div>
            {(c.reward.is_some() || c.eligibility.is_some()).then(|| {
                let reward = c.reward.clone();
                let eligibility = c.eligibility.clone();
                view! {
                    <section class="card admin-reward" id="reward">
                        <h2>{move || td_string!(lang.get(), adm_reward)}</h2>
                        {reward.map(|r| view! {
                            <p><strong id="reward-state" data-state=r.state.as_str()>{r.state.as_str()}</strong>
                                {r.on_hold.then(|| view! { " " <span class="tag due overdue">{move || td_string!(lang.get(), adm_reward_on_hold)}</span> })}
                                " · " {yuan(r.amount_fen)} " 元 · " {r.tier.clone()}
                                {r.target.clone().map(|t| format!(" · {t}"))}</p>
                            <p class="muted">{r.basis.clone()}</p>
                            {r.proposed_by.clone().map(|p| view! { <p class="muted">{move || td_string!(lang.get(), adm_proposed_by)} " " {p.clone()}</p> })}
                            {r.claim_deadline.clone().map(|d| view! { <p class="muted">{move || td_string!(lang.get(), adm_claim_deadline)} " " {local_time(&d)}</p> })}
                            {r.payment_reference.clone().map(|p| view! { <p>{move || td_string!(lang.get(), adm_payment_reference)} " " {p.clone()}</p> })}
                        })}
                        {eligibility.map(|e| view! {
                            <ul class="eligibility" data-eligible=e.eligible.to_string()>
                                {e.checks.into_iter().map(|c| view! {
                                    <li class:ok=c.ok data-check=c.code.clone()>{if c.ok { "✓ " } else { "✗ " }}{c.message.clone()}</li>
                                }).collect_view()}
                            </ul>
                        })}
                    </section>
                }
            })}
            {c.routing_suggestion.clone().map(|r| {
                let can_transfer = c.allowed_actions.contains(&ActionKind::Transfer);
                view! {
                    <p class="notice routing-suggestion" id="routing-suggestion" data-department=r.department.clone()>
                        {move || {
                            let l = lang.get();
                            td!(l, adm_routing_suggestion, department = named(l, &r.department_name, &r.department_name_en))
                        }}
                        {can_transfer.then(|| view! { " " {move || td_string!(lang.get(), adm_routing_transfer_hint)} })}
                    </p>
                }
            })}
            <Actions code=code.clone() version=c.version template=template allowed=allowed
                reward_fen=c.reward.as_ref().map(|r| r.amount_fen) reload=reload
                public=public
                unpublished=c.penalties.iter().filter(|p| p.published_at.is_none()).map(|p| p.decision_no.clone()).collect() />
            <super::inspection::Inspections code=code.clone() inspections=c.inspections.clone()
                documents=c.documents.clone()
                can_attach=c.allowed_actions.contains(&ActionKind::RecordInspection) reload=reload />
            <super::supervision::CaseFollowup asked=c.info_requests.clone() rating=c.rating.clone()
                came_back_from=c.came_back_from.clone() came_back_as=c.came_back_as.clone() />
            <super::messages::CaseMessages messages=c.messages.clone() />
            {(!c.penalties.is_empty() || c.police_referred_at.is_some()).then(|| {
                let penalties = c.penalties.clone();
                let referred = c.police_referred_at.clone();
                view! {
                    <section class="card penalties" id="penalties">
                        <h2>{move || td_string!(lang.get(), adm_enforcement)}</h2>
                        {referred.map(|t| view! { <p class="notice" id="police-referred">{move || td_string!(lang.get(), adm_police_referred)} " " {local_date(&t)}</p> })}
                        <ul class="penalty-list">
                            {penalties.into_iter().map(|p| {
                                let published = p.published_at.is_some();
                                view! {
                                    <li data-decision=p.decision_no.clone() class:published=published>
                                        <strong>{p.decision_no.clone()}</strong>
                                        " · " {p.enterprise.clone()} " (" <code>{p.credit_code.clone()}</code> ")"
                                        <br />{p.provision.clone()}
                                        <br />{move || td_string!(lang.get(), adm_penalty_fine_yuan)} " " {yuan(p.fine_fen)} " · " {p.decided_on.clone()}
                                        " " <span class="tag">{move || if published { td_string!(lang.get(), adm_penalty_published) } else { td_string!(lang.get(), adm_penalty_unpublished) }}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                }
            })}
            <CaseNotes code=code.clone() notes=notes />
            <section class="card">
                <h2>{move || td_string!(lang.get(), adm_reports)}</h2>
                {c.can_reveal.then(|| view! {
                    <button type="button" class="button small" id="reveal" on:click=move |_| { reveal.dispatch_local(()); }>{move || td_string!(lang.get(), adm_reveal)}</button>
                    <p class="hint">{move || td_string!(lang.get(), adm_reveal_hint)}</p>
                })}
                {move || revealed.get().map(|r| match r {
                    Ok(list) => view! { <ul class="revealed">{list.into_iter().map(|p| view! { <li>{format!("#{} {} {}", p.report_id, p.name, p.phone)}</li> }).collect_view()}</ul> }.into_any(),
                    Err(e) => view! { <p class="field-error">{e}</p> }.into_any(),
                })}
                <ol class="admin-reports">
                    {reports.into_iter().map(|r| view! {
                        <li>
                            <p><strong>{if r.kind == "original" { "★ " } else { "+ " }}{local_time(&r.submitted_at)}</strong>
                                " " {move || if r.named { td_string!(lang.get(), adm_named) } else { td_string!(lang.get(), adm_anonymous) }}</p>
                            <p>{r.description.clone()}</p>
                            {(!r.answered.is_empty()).then(|| {
                                let answered = r.answered.clone();
                                view! {
                                    <dl class="facts answers">
                                        {answered.into_iter().map(|a| {
                                            let (q, q_en, v, v_en) = (a.question, a.question_en, a.answer, a.answer_en);
                                            view! {
                                                <dt>{move || if lang.get() == Locale::zh_CN { q.clone() } else { q_en.clone() }}</dt>
                                                <dd>{move || if lang.get() == Locale::zh_CN { v.clone() } else { v_en.clone() }}</dd>
                                            }
                                        }).collect_view()}
                                    </dl>
                                }
                            })}
                            <ul class="case-photos">
                                {r.photos.into_iter().enumerate().map(|(i, p)| view! {
                                    <li class:from-answer=p.from_answer title=move || p.from_answer.then(|| td_string!(lang.get(), adm_photo_from_answer))>
                                        // The link's name: a picture alone names nothing for a
                                        // screen reader (axe's link-name).
                                        <a href=p.display_url.clone() target="_blank" rel="noopener"><img src=p.thumbnail_url.clone() loading="lazy"
                                            alt=move || format!("{} {}", td_string!(lang.get(), photo), i + 1) /></a>
                                        {p.original_url.clone().map(|u| view! { <a class="original" href=u target="_blank" rel="noopener" title=p.original_sha256.clone()>{move || td_string!(lang.get(), adm_original)}</a> })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        </li>
                    }).collect_view()}
                </ol>
            </section>
            <section class="card">
                <h2>{move || td_string!(lang.get(), fact_timeline)}</h2>
                <ol class="timeline">
                    {move || {
                        let l = lang.get();
                        timeline.iter().map(|e| view! {
                            <li data-action=e.action.clone() class:internal=!e.public>
                                <time datetime=e.at.clone()>{local_time(&e.at)}</time>
                                <strong>{action_label(l, &e.action, e.to.as_deref())}</strong>
                                " " <span class="muted">{e.actor.clone()}</span>
                                {e.note.clone().map(|n| view! { <p>{n}</p> })}
                            </li>
                        }).collect_view()
                    }}
                </ol>
            </section>
        </article>
    }
}

/// What a reply template is filled from: the case's category (which
/// templates fit) and the placeholders the case itself answers
/// (`from_case`). A reply is written to the reporter in Chinese, so the
/// names are the Chinese ones whatever the console's language.
#[derive(Clone)]
struct TemplateFacts {
    category: String,
    group: String,
    values: BTreeMap<String, String>,
}

impl TemplateFacts {
    fn of(c: &CaseDetail) -> Self {
        let mut values = BTreeMap::new();
        values.insert("code".to_owned(), c.code.clone());
        values.insert("category".to_owned(), c.category.name.clone());
        if let Some(a) = &c.area {
            values.insert("area".to_owned(), a.name.clone());
        }
        if let Some(d) = c.department_name.clone().or(c.department.clone()) {
            values.insert("department".to_owned(), d);
        }
        values.insert("submitted_date".to_owned(), chinese_date(&c.submitted_at));
        Self {
            category: c.category.code.clone(),
            group: c.group.clone(),
            values,
        }
    }
}

/// `2026-12-03T02:00:00Z` → `2026年12月3日` (Chongqing time), as a letter
/// writes a date.
fn chinese_date(rfc3339: &str) -> String {
    let day = local_date(rfc3339);
    let mut parts = day.split('-').map(|p| p.trim_start_matches('0'));
    match (parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d)) if !m.is_empty() && !d.is_empty() => format!("{y}年{m}月{d}日"),
        _ => day,
    }
}

/// What the disclose form starts from: the public record as it stands, or
/// (the first time) the approved reply for the reviewer to rewrite for the
/// public, and the case's photos to choose from.
#[derive(Clone)]
struct PublicDraft {
    summary: String,
    investigation: String,
    actions_taken: String,
    precision: String,
    chosen: Vec<i64>,
    photos: Vec<(i64, String)>,
}

impl PublicDraft {
    fn of(c: &CaseDetail) -> Self {
        let photos = c
            .reports
            .iter()
            // A photo sent with an answer (补充材料) is never published.
            .flat_map(|r| r.photos.iter().filter(|p| !p.from_answer))
            .map(|p| (p.id, p.thumbnail_url.clone()))
            .collect();
        match &c.disclosure {
            Some(d) => Self {
                summary: d.summary.clone(),
                investigation: d.investigation.clone().unwrap_or_default(),
                actions_taken: d.actions_taken.clone().unwrap_or_default(),
                precision: d.precision.as_str().to_owned(),
                chosen: d.photos.clone(),
                photos,
            },
            None => Self {
                summary: String::new(),
                investigation: c.reply.clone().unwrap_or_default(),
                actions_taken: c.actions_taken.clone().unwrap_or_default(),
                precision: if c.group == "noise" || c.group == "cooking_fumes" {
                    "area"
                } else {
                    "street"
                }
                .to_owned(),
                chosen: vec![],
                photos,
            },
        }
    }
}

/// `load`, when `needed`; otherwise a list that is never asked for (the form
/// that would show it is not offered).
fn load_if<T>(needed: bool, url: impl Fn() -> String + 'static) -> Loaded<T>
where
    T: serde::de::DeserializeOwned + 'static,
{
    if needed {
        load(url)
    } else {
        LocalResource::new(|| async { Err(String::new()) })
    }
}

/// The lists the forms choose from, loaded when the case is shown.
#[derive(Clone, Copy)]
struct Choices {
    tiers: Loaded<Vec<RewardTier>>,
    departments: Loaded<Vec<Department>>,
    nearby: Loaded<Vec<NearbyCase>>,
    assignees: Loaded<Vec<String>>,
    categories: Loaded<Vec<Category>>,
}

/// Fields kept while the case is shown, as staff move between actions or
/// cancel one: the reply being drafted, the reward's figures, the public
/// record. A note and a target start empty each time a form opens.
#[derive(Clone, Copy)]
struct Drafts {
    finding: RwSignal<String>,
    reply: RwSignal<String>,
    actions_taken: RwSignal<String>,
    days: RwSignal<String>,
    amount: RwSignal<String>,
    fine: RwSignal<String>,
    penalty: RwSignal<String>,
    tier: RwSignal<String>,
    summary: RwSignal<String>,
    investigation: RwSignal<String>,
    public_actions: RwSignal<String>,
    precision: RwSignal<String>,
    chosen: RwSignal<Vec<i64>>,
    photos: StoredValue<Vec<(i64, String)>>,
}

impl Drafts {
    fn new(reward_fen: Option<i64>, public: PublicDraft) -> Self {
        Self {
            finding: RwSignal::new("substantiated".to_owned()),
            reply: RwSignal::new(String::new()),
            actions_taken: RwSignal::new(String::new()),
            days: RwSignal::new("15".to_owned()),
            amount: RwSignal::new(reward_fen.map(yuan).unwrap_or_default()),
            fine: RwSignal::new(String::new()),
            penalty: RwSignal::new(String::new()),
            tier: RwSignal::new(String::new()),
            summary: RwSignal::new(public.summary),
            investigation: RwSignal::new(public.investigation),
            public_actions: RwSignal::new(public.actions_taken),
            precision: RwSignal::new(public.precision),
            chosen: RwSignal::new(public.chosen),
            photos: StoredValue::new(public.photos),
        }
    }
}

/// The case an action is taken on: where it is sent, the version it was
/// read at, the open form, and the reload after it is taken.
#[derive(Clone, Copy)]
pub(super) struct OnCase {
    code: StoredValue<String>,
    version: i32,
    open: RwSignal<Option<ActionKind>>,
    reload: RwSignal<u32>,
}

/// The buttons for the allowed actions, and the open action's form.
#[component]
fn Actions(
    code: String,
    version: i32,
    template: TemplateFacts,
    allowed: Vec<ActionKind>,
    reward_fen: Option<i64>,
    reload: RwSignal<u32>,
    public: PublicDraft,
    /// The decision numbers of the penalties not yet published.
    unpublished: Vec<String>,
) -> impl IntoView {
    let lang = use_lang();
    let open = RwSignal::new(None::<ActionKind>);
    // Publishing needs a recorded, unpublished penalty.
    let allowed: Vec<ActionKind> = allowed
        .into_iter()
        .filter(|a| *a != ActionKind::PublishPenalty || !unpublished.is_empty())
        .collect();
    let unpublished = StoredValue::new(unpublished);
    let drafts = Drafts::new(reward_fen, public);
    let template = StoredValue::new(template);
    // Each list is asked for only when an allowed action's form needs it:
    // a case that cannot be merged, assigned, rewarded or recategorised
    // costs no request for their lists (issue 15: a page's requests).
    let needs = |kind: ActionKind| allowed.contains(&kind);
    let choices = Choices {
        tiers: load_if(needs(ActionKind::ProposeReward), || {
            "/api/v1/reward-tiers".to_owned()
        }),
        departments: super::use_departments(),
        nearby: {
            let code = code.clone();
            load_if(needs(ActionKind::Merge), move || {
                format!("/api/v1/cases/{code}/nearby")
            })
        },
        assignees: {
            let code = code.clone();
            load_if(needs(ActionKind::Assign), move || {
                format!("/api/v1/cases/{code}/assignees")
            })
        },
        categories: load_if(needs(ActionKind::Recategorize), || {
            "/api/v1/categories".to_owned()
        }),
    };
    let case = OnCase {
        code: StoredValue::new(code),
        version,
        open,
        reload,
    };
    // The choices come from fixed lists (a select, radio buttons), so a value
    // that does not parse cannot be sent; numbers that do not parse go as 0,
    // which the server refuses with its own message.
    let form = move || {
        open.get().map(|kind| match kind {
            ActionKind::Accept => view! { <NoteAction kind case make=|note| CaseAction::Accept { note } /> }.into_any(),
            ActionKind::ApproveReply => view! { <NoteAction kind case make=|note| CaseAction::ApproveReply { note } /> }.into_any(),
            ActionKind::ApproveReward => view! { <NoteAction kind case make=|note| CaseAction::ApproveReward { note } /> }.into_any(),
            ActionKind::Reject => view! { <ReasonAction kind case make=|reason| CaseAction::Reject { reason } /> }.into_any(),
            ActionKind::ReturnReply => view! { <ReasonAction kind case make=|reason| CaseAction::ReturnReply { reason } /> }.into_any(),
            ActionKind::RejectReward => view! { <ReasonAction kind case make=|reason| CaseAction::RejectReward { reason } /> }.into_any(),
            ActionKind::Undisclose => view! { <ReasonAction kind case make=|reason| CaseAction::Undisclose { reason } /> }.into_any(),
            ActionKind::Merge => view! { <MergeAction case nearby=choices.nearby /> }.into_any(),
            ActionKind::Assign => view! { <AssignAction case assignees=choices.assignees /> }.into_any(),
            ActionKind::Transfer => view! { <TransferAction case departments=choices.departments /> }.into_any(),
            ActionKind::DraftReply => view! { <DraftReplyAction case drafts template=template.get_value() /> }.into_any(),
            ActionKind::Extend => view! { <ExtendAction case days=drafts.days /> }.into_any(),
            ActionKind::ProposeReward => view! { <ProposeRewardAction case drafts tiers=choices.tiers /> }.into_any(),
            ActionKind::PayReward => view! { <PayRewardAction case amount=drafts.amount /> }.into_any(),
            ActionKind::Disclose => view! { <DiscloseAction case drafts /> }.into_any(),
            ActionKind::Recategorize => view! { <RecategorizeAction case categories=choices.categories /> }.into_any(),
            ActionKind::Relocate => view! { <RelocateAction case /> }.into_any(),
            ActionKind::RecordPenalty => view! { <RecordPenaltyAction case /> }.into_any(),
            ActionKind::ReferToPolice => view! { <ReasonAction kind case make=|reason| CaseAction::ReferToPolice { reason } /> }.into_any(),
            ActionKind::PublishPenalty => view! { <PublishPenaltyAction case unpublished=unpublished.get_value() /> }.into_any(),
            ActionKind::RecordInspection => view! { <super::inspection::RecordInspectionAction case /> }.into_any(),
            ActionKind::RequestInfo => view! { <QuestionAction case /> }.into_any(),
        })
    };
    view! {
        <section class="card admin-actions">
            <h2>{move || td_string!(lang.get(), adm_actions)}</h2>
            {allowed.is_empty().then(|| view! { <p class="muted" id="no-actions">{move || td_string!(lang.get(), adm_no_actions)}</p> })}
            <div class="action-buttons">
                {allowed.into_iter().map(|a| {
                    view! {
                        <button type="button" class="button" data-action=a.as_str()
                            class:primary=move || open.get() == Some(a)
                            on:click=move |_| open.set(Some(a))>
                            {move || action_name(lang.get(), a)}
                        </button>
                    }
                }).collect_view()}
            </div>
            {form}
        </section>
    }
}

/// An action's form: its fields, the server's refusal, send and cancel.
/// `action` makes the request's body from the fields when it is sent.
#[component]
pub(super) fn ActionForm(
    kind: ActionKind,
    case: OnCase,
    action: impl Fn() -> CaseAction + 'static,
    children: Children,
) -> impl IntoView {
    let lang = use_lang();
    let send = Action::new_local(move |body: &ActionRequest| {
        let url = format!("/api/v1/cases/{}/actions", case.code.get_value());
        let body = body.clone();
        async move {
            let got = crate::browser::http::send_json::<CaseDetail>("POST", &url, &[], &body)
                .await
                .map_err(|e| super::say(&e));
            if got.is_ok() {
                case.open.set(None);
                case.reload.update(|n| *n += 1);
            }
            got.map(|_| ())
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send.dispatch_local(ActionRequest {
            action: action(),
            version: Some(case.version),
        });
    };
    let error = move || send.value().get().and_then(Result::err);
    view! {
        <form class="action-form" on:submit=submit>
            {children()}
            {move || error().map(|e| view! { <p class="field-error" role="alert" id="action-error">{e}</p> })}
            <button type="submit" class="button primary" id="action-submit" disabled=move || send.pending().get()>
                {move || action_name(lang.get(), kind)}
            </button>
            " "
            <button type="button" class="button" on:click=move |_| case.open.set(None)>{move || td_string!(lang.get(), adm_cancel)}</button>
        </form>
    }
}

fn text(s: RwSignal<String>) -> String {
    s.get_untracked().trim().to_owned()
}

fn opt(s: RwSignal<String>) -> Option<String> {
    Some(text(s)).filter(|v| !v.is_empty())
}

/// A label in the language shown.
type Label = fn(Locale) -> &'static str;

/// The note (or reason) most actions carry, `#action-note`.
fn note_field(label: Label, note: RwSignal<String>, required: bool) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="field"><label for="action-note">{move || label(lang.get())}</label>
            <textarea id="action-note" rows="3" required=required prop:value=move || note.get()
                on:input=move |ev| note.set(event_target_value(&ev))></textarea></div>
    }
}

fn text_input(
    id: &'static str,
    label: Label,
    signal: RwSignal<String>,
    required: bool,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="field"><label for=id>{move || label(lang.get())}</label>
            <input id=id required=required prop:value=move || signal.get() on:input=move |ev| signal.set(event_target_value(&ev)) /></div>
    }
}

fn text_area(
    id: &'static str,
    label: Label,
    signal: RwSignal<String>,
    required: bool,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="field"><label for=id>{move || label(lang.get())}</label>
            <textarea id=id rows="3" required=required prop:value=move || signal.get()
                on:input=move |ev| signal.set(event_target_value(&ev))></textarea></div>
    }
}

/// Accept, approve a reply or a reward: an optional note.
#[component]
fn NoteAction(
    kind: ActionKind,
    case: OnCase,
    make: fn(Option<String>) -> CaseAction,
) -> impl IntoView {
    let note = RwSignal::new(String::new());
    view! {
        <ActionForm kind case action=move || make(opt(note))>
            {note_field(|l| td_string!(l, adm_note), note, false)}
        </ActionForm>
    }
}

/// Reject, return a reply, reject a reward, undisclose: a reason.
#[component]
fn ReasonAction(kind: ActionKind, case: OnCase, make: fn(String) -> CaseAction) -> impl IntoView {
    let note = RwSignal::new(String::new());
    view! {
        <ActionForm kind case action=move || make(text(note))>
            {note_field(|l| td_string!(l, adm_reason), note, true)}
        </ActionForm>
    }
}

/// 补充材料: a question the reporter reads and answers on `/track`.
#[component]
fn QuestionAction(case: OnCase) -> impl IntoView {
    let lang = use_lang();
    let question = RwSignal::new(String::new());
    view! {
        <ActionForm kind=ActionKind::RequestInfo case action=move || CaseAction::RequestInfo { question: text(question) }>
            {note_field(|l| td_string!(l, adm_question_for_reporter), question, true)}
            <p class="hint">{move || td_string!(lang.get(), adm_question_hint)}</p>
        </ActionForm>
    }
}

/// Merge into another case: typed, or picked from the open cases nearby.
#[component]
fn MergeAction(case: OnCase, nearby: Loaded<Vec<NearbyCase>>) -> impl IntoView {
    let lang = use_lang();
    let target = RwSignal::new(String::new());
    view! {
        <ActionForm kind=ActionKind::Merge case action=move || CaseAction::Merge { into: text(target) }>
            <div class="field"><label for="action-target">{move || td_string!(lang.get(), adm_merge_into)}</label>
                <input id="action-target" required=true placeholder="BN-…" prop:value=move || target.get()
                    on:input=move |ev| target.set(event_target_value(&ev)) /></div>
            <ul class="nearby">
                {move || match nearby.get() {
                    Some(Ok(list)) if !list.is_empty() => list.into_iter().map(|n| {
                        let pick = n.tracking_code.clone();
                        view! { <li><button type="button" class="button small" on:click=move |_| target.set(pick.clone())>
                            {format!("{} · {} m · {}", n.tracking_code, n.distance_m, n.category_name)}</button></li> }
                    }).collect_view().into_any(),
                    Some(Ok(_)) => view! { <li class="muted">{td_string!(lang.get(), adm_no_nearby)}</li> }.into_any(),
                    _ => ().into_any(),
                }}
            </ul>
        </ActionForm>
    }
}

/// Assign to a handler of the case's department.
#[component]
fn AssignAction(case: OnCase, assignees: Loaded<Vec<String>>) -> impl IntoView {
    let lang = use_lang();
    let target = RwSignal::new(String::new());
    view! {
        <ActionForm kind=ActionKind::Assign case action=move || CaseAction::Assign { assignee: text(target) }>
            <div class="field"><label for="action-target">{move || td_string!(lang.get(), adm_assignee)}</label>
                <select id="action-target" required=true on:change=move |ev| target.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {move || match assignees.get() {
                        Some(Ok(list)) => list.into_iter().map(|u| view! { <option value=u.clone()>{u.clone()}</option> }).collect_view().into_any(),
                        _ => ().into_any(),
                    }}
                </select></div>
        </ActionForm>
    }
}

/// Transfer to another department, with a reason.
#[component]
fn TransferAction(case: OnCase, departments: Loaded<Vec<Department>>) -> impl IntoView {
    let lang = use_lang();
    let target = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let action = move || CaseAction::Transfer {
        department: text(target),
        reason: text(note),
    };
    view! {
        <ActionForm kind=ActionKind::Transfer case action>
            <div class="field"><label for="action-target">{move || td_string!(lang.get(), fact_department)}</label>
                <select id="action-target" required=true on:change=move |ev| target.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {move || match departments.get() {
                        Some(Ok(list)) => list.into_iter().map(|d| view! { <option value=d.code.clone()>{d.name.clone()}</option> }).collect_view().into_any(),
                        _ => ().into_any(),
                    }}
                </select></div>
            {note_field(|l| td_string!(l, adm_reason), note, true)}
        </ActionForm>
    }
}

/// 更正类别: another category, by group, with the reason.
#[component]
fn RecategorizeAction(case: OnCase, categories: Loaded<Vec<Category>>) -> impl IntoView {
    let lang = use_lang();
    let target = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let action = move || CaseAction::Recategorize {
        category: text(target),
        reason: text(note),
    };
    view! {
        <ActionForm kind=ActionKind::Recategorize case action>
            <div class="field"><label for="action-target">{move || td_string!(lang.get(), fact_category)}</label>
                <select id="action-target" required=true on:change=move |ev| target.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {move || {
                        let l = lang.get();
                        match categories.get() {
                            Some(Ok(list)) => list.into_iter().map(|c| {
                                let label = format!("{} · {}", named(l, &c.group.name, &c.group.name_en), named(l, &c.name, &c.name_en));
                                view! { <option value=c.code.clone()>{label}</option> }
                            }).collect_view().into_any(),
                            _ => ().into_any(),
                        }
                    }}
                </select></div>
            {note_field(|l| td_string!(l, adm_reason), note, true)}
            <p class="hint">{move || td_string!(lang.get(), adm_recategorize_hint)}</p>
        </ActionForm>
    }
}

/// 更正地点: the corrected place's coordinates (WGS84), with the reason;
/// the reports keep the place they were filed with.
#[component]
fn RelocateAction(case: OnCase) -> impl IntoView {
    let lang = use_lang();
    let lat = RwSignal::new(String::new());
    let lon = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let number = |s: RwSignal<String>| text(s).parse::<f64>().unwrap_or(f64::NAN);
    let action = move || CaseAction::Relocate {
        lat: number(lat),
        lon: number(lon),
        reason: text(note),
    };
    view! {
        <ActionForm kind=ActionKind::Relocate case action>
            <div class="coords">
                <div class="field"><label for="action-lat">{move || td_string!(lang.get(), latitude)}</label>
                    <input id="action-lat" inputmode="decimal" required=true placeholder="29.38" prop:value=move || lat.get()
                        on:input=move |ev| lat.set(event_target_value(&ev)) /></div>
                <div class="field"><label for="action-lon">{move || td_string!(lang.get(), longitude)}</label>
                    <input id="action-lon" inputmode="decimal" required=true placeholder="106.54" prop:value=move || lon.get()
                        on:input=move |ev| lon.set(event_target_value(&ev)) /></div>
            </div>
            {note_field(|l| td_string!(l, adm_reason), note, true)}
            <p class="hint">{move || td_string!(lang.get(), adm_relocate_hint)}</p>
        </ActionForm>
    }
}

/// 查处结果: a penalty decision, with the enterprise's credit code.
#[component]
fn RecordPenaltyAction(case: OnCase) -> impl IntoView {
    let lang = use_lang();
    let decision_no = RwSignal::new(String::new());
    let enterprise = RwSignal::new(String::new());
    let credit_code = RwSignal::new(String::new());
    let provision = RwSignal::new(String::new());
    let fine = RwSignal::new(String::new());
    let decided_on = RwSignal::new(String::new());
    let action = move || {
        CaseAction::RecordPenalty(shared::case::PenaltyInput {
            decision_no: text(decision_no),
            enterprise: text(enterprise),
            credit_code: text(credit_code),
            provision: text(provision),
            // A fine that does not parse goes as -1, which the server refuses.
            fine_fen: yuan_to_fen(&text(fine)).unwrap_or(-1),
            decided_on: text(decided_on),
        })
    };
    view! {
        <ActionForm kind=ActionKind::RecordPenalty case action>
            {text_input("penalty-decision-no", |l| td_string!(l, adm_penalty_decision), decision_no, true)}
            {text_input("penalty-enterprise", |l| td_string!(l, adm_penalty_enterprise), enterprise, true)}
            <div class="field"><label for="penalty-credit-code">{move || td_string!(lang.get(), adm_credit_code)}</label>
                <input id="penalty-credit-code" required=true maxlength="18" autocapitalize="characters" spellcheck="false"
                    placeholder="91500113MA5U12345P" prop:value=move || credit_code.get()
                    on:input=move |ev| credit_code.set(event_target_value(&ev)) />
                {move || {
                    let typed = credit_code.get();
                    (typed.trim().len() == 18 && shared::enterprise::credit_code(&typed).is_err())
                        .then(|| view! { <p class="field-error" id="credit-code-error">{td_string!(lang.get(), adm_credit_code_bad)}</p> })
                }}
            </div>
            {text_area("penalty-provision", |l| td_string!(l, adm_penalty_provision), provision, true)}
            <div class="coords">
                {text_input("penalty-fine", |l| td_string!(l, adm_penalty_fine_yuan), fine, true)}
                <div class="field"><label for="penalty-date">{move || td_string!(lang.get(), adm_penalty_date)}</label>
                    <input id="penalty-date" type="date" required=true prop:value=move || decided_on.get()
                        on:input=move |ev| decided_on.set(event_target_value(&ev)) /></div>
            </div>
        </ActionForm>
    }
}

/// 行政处罚信息公开: a recorded penalty, published on `/info`.
#[component]
fn PublishPenaltyAction(case: OnCase, unpublished: Vec<String>) -> impl IntoView {
    let lang = use_lang();
    let target = RwSignal::new(unpublished.first().cloned().unwrap_or_default());
    view! {
        <ActionForm kind=ActionKind::PublishPenalty case action=move || CaseAction::PublishPenalty { decision_no: text(target) }>
            <div class="field"><label for="action-target">{move || td_string!(lang.get(), adm_penalty_decision)}</label>
                <select id="action-target" required=true on:change=move |ev| target.set(event_target_value(&ev))>
                    {unpublished.into_iter().map(|d| view! { <option value=d.clone()>{d.clone()}</option> }).collect_view()}
                </select></div>
            <p class="hint">{move || td_string!(lang.get(), adm_publish_penalty_hint)}</p>
        </ActionForm>
    }
}

/// The reply (答复) for review: finding, text, actions taken.
#[component]
fn DraftReplyAction(case: OnCase, drafts: Drafts, template: TemplateFacts) -> impl IntoView {
    let lang = use_lang();
    let Drafts {
        finding,
        reply,
        actions_taken,
        ..
    } = drafts;
    let action = move || CaseAction::DraftReply {
        finding: Finding::parse(&text(finding)).unwrap_or(Finding::Substantiated),
        reply: text(reply),
        actions_taken: opt(actions_taken),
    };
    view! {
        <ActionForm kind=ActionKind::DraftReply case action>
            <div class="field"><label for="action-finding">{move || td_string!(lang.get(), adm_finding)}</label>
                <select id="action-finding" on:change=move |ev| finding.set(event_target_value(&ev)) prop:value=move || finding.get()>
                    {move || {
                        let l = lang.get();
                        ["substantiated", "partly_substantiated", "unsubstantiated"].into_iter()
                            .map(|f| view! { <option value=f>{finding_label(l, f)}</option> }).collect_view()
                    }}
                </select></div>
            <TemplatePicker category=template.category group=template.group values=template.values finding reply />
            <div class="field"><label for="action-reply">{move || td_string!(lang.get(), fact_reply)}</label>
                <textarea id="action-reply" rows="5" required=true prop:value=move || reply.get()
                    on:input=move |ev| reply.set(event_target_value(&ev))></textarea></div>
            <div class="field"><label for="action-taken">{move || td_string!(lang.get(), adm_actions_taken)}</label>
                <textarea id="action-taken" rows="3" prop:value=move || actions_taken.get()
                    on:input=move |ev| actions_taken.set(event_target_value(&ev))></textarea></div>
        </ActionForm>
    }
}

/// More days for the deadline, with a reason.
#[component]
fn ExtendAction(case: OnCase, days: RwSignal<String>) -> impl IntoView {
    let lang = use_lang();
    let note = RwSignal::new(String::new());
    let action = move || CaseAction::Extend {
        days: text(days).parse::<i64>().unwrap_or(0),
        reason: text(note),
    };
    view! {
        <ActionForm kind=ActionKind::Extend case action>
            <div class="field"><label for="action-days">{move || td_string!(lang.get(), adm_days)}</label>
                <input id="action-days" type="number" min="1" max="30" prop:value=move || days.get()
                    on:input=move |ev| days.set(event_target_value(&ev)) /></div>
            {note_field(|l| td_string!(l, adm_reason), note, true)}
        </ActionForm>
    }
}

/// A reward proposal: tier, amount, basis, and the penalty it rests on.
#[component]
fn ProposeRewardAction(
    case: OnCase,
    drafts: Drafts,
    tiers: Loaded<Vec<RewardTier>>,
) -> impl IntoView {
    let lang = use_lang();
    let Drafts {
        amount,
        fine,
        penalty,
        tier,
        ..
    } = drafts;
    let note = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let action = move || CaseAction::ProposeReward {
        tier: text(tier),
        amount_fen: yuan_to_fen(&text(amount)).unwrap_or(0),
        basis: text(note),
        penalty_decision: opt(penalty),
        fine_fen: opt(fine).and_then(|f| yuan_to_fen(&f)),
        target: opt(target),
    };
    view! {
        <ActionForm kind=ActionKind::ProposeReward case action>
            <div class="field"><label for="reward-tier">{move || td_string!(lang.get(), adm_tier)}</label>
                <select id="reward-tier" required=true on:change=move |ev| {
                    let code = event_target_value(&ev);
                    // A fixed tier fills in its amount.
                    if let Some(Ok(list)) = tiers.get_untracked()
                        && let Some(fen) = list.iter().find(|t| t.code == code).and_then(|t| t.amount_fen) {
                            amount.set(yuan(fen));
                        }
                    tier.set(code);
                }>
                    <option value="">"—"</option>
                    {move || match tiers.get() {
                        Some(Ok(list)) => list.into_iter().map(|t| {
                            let name = if lang.get() == Locale::zh_CN { t.name.clone() } else { t.name_en.clone() };
                            view! { <option value=t.code.clone()>{name}</option> }
                        }).collect_view().into_any(),
                        _ => ().into_any(),
                    }}
                </select></div>
            {text_input("reward-amount", |l| td_string!(l, adm_amount_yuan), amount, true)}
            {note_field(|l| td_string!(l, adm_basis), note, true)}
            {text_input("reward-penalty", |l| td_string!(l, adm_penalty_decision), penalty, false)}
            {text_input("reward-fine", |l| td_string!(l, adm_fine_yuan), fine, false)}
            {text_input("reward-target", |l| td_string!(l, adm_target), target, false)}
        </ActionForm>
    }
}

/// The payment of an approved reward: its reference and amount.
#[component]
fn PayRewardAction(case: OnCase, amount: RwSignal<String>) -> impl IntoView {
    let target = RwSignal::new(String::new());
    let action = move || CaseAction::PayReward {
        payment_reference: text(target),
        amount_fen: yuan_to_fen(&text(amount)).unwrap_or(0),
    };
    view! {
        <ActionForm kind=ActionKind::PayReward case action>
            {text_input("payment-reference", |l| td_string!(l, adm_payment_reference), target, true)}
            {text_input("reward-amount", |l| td_string!(l, adm_amount_yuan), amount, true)}
        </ActionForm>
    }
}

/// The public record (信息公开): texts rewritten for the public, how
/// precisely the place is shown, which photos.
#[component]
fn DiscloseAction(case: OnCase, drafts: Drafts) -> impl IntoView {
    let lang = use_lang();
    let Drafts {
        summary,
        investigation,
        public_actions,
        precision,
        chosen,
        photos,
        ..
    } = drafts;
    let action = move || {
        CaseAction::Disclose(Disclosure {
            summary: text(summary),
            investigation: opt(investigation),
            actions_taken: opt(public_actions),
            photos: chosen.get_untracked(),
            precision: Precision::parse(&text(precision)).unwrap_or(Precision::Area),
        })
    };
    view! {
        <ActionForm kind=ActionKind::Disclose case action>
            <p class="hint">{move || td_string!(lang.get(), adm_disclose_hint)}</p>
            {text_area("public-summary", |l| td_string!(l, col_summary), summary, true)}
            {text_area("public-investigation", |l| td_string!(l, col_investigation), investigation, false)}
            {text_area("public-actions", |l| td_string!(l, col_actions), public_actions, false)}
            <div class="field"><label for="public-precision">{move || td_string!(lang.get(), adm_precision)}</label>
                <select id="public-precision" prop:value=move || precision.get()
                    on:change=move |ev| precision.set(event_target_value(&ev))>
                    <option value="site">{move || td_string!(lang.get(), precision_site)}</option>
                    <option value="street">{move || td_string!(lang.get(), precision_street)}</option>
                    <option value="area">{move || td_string!(lang.get(), precision_area)}</option>
                </select></div>
            <fieldset class="field photo-choice">
                <legend>{move || td_string!(lang.get(), adm_public_photos)}</legend>
                {photos.get_value().into_iter().map(|(id, thumb)| view! {
                    <label class="photo-pick">
                        <input type="checkbox" value=id.to_string()
                            prop:checked=move || chosen.with(|c| c.contains(&id))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update(|c| { c.retain(|x| *x != id); if on { c.push(id); } });
                            } />
                        <img src=thumb alt="" width="96" height="96" loading="lazy" />
                    </label>
                }).collect_view()}
            </fieldset>
        </ActionForm>
    }
}
