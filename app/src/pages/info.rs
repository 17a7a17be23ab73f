//! `/info`: notices, documents and enforcement results published by staff,
//! and enterprises' environmental disclosures (企业环境信息依法披露), with a
//! search that works as a plain form; `/info/notices/{id}` shows one notice
//! and `/info/enterprises/{credit_code}` one enterprise's public record.

use crate::components::page_meta::PageMeta;
use crate::format::local_date;
use crate::i18n::*;
use crate::lang::use_lang;
use crate::public_api::{self, query};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use shared::info::{EnterpriseRecord, InfoPage, Notice, NoticeKind, PublishedPenalty};

fn kind_label(l: Locale, k: NoticeKind) -> &'static str {
    match k {
        NoticeKind::Notice => td_string!(l, info_kind_notice),
        NoticeKind::Document => td_string!(l, info_kind_document),
        NoticeKind::Enforcement => td_string!(l, info_kind_enforcement),
    }
}

#[component]
pub fn Info() -> impl IntoView {
    let lang = use_lang();
    let q = use_query_map();
    let value = move |k: &str| q.with(|q| q.get(k).unwrap_or_default());
    let params = move || vec![("q", value("q")), ("kind", value("kind"))];
    let page = Resource::new(
        move || format!("/api/v1/info{}", query(&params())),
        public_api::get::<InfoPage>,
    );
    let path = format!("/info{}", query(&params()));
    view! {
        <PageMeta
            title=move || td_string!(lang.get(), info_title).to_owned()
            description=move || td_string!(lang.get(), info_lead).to_owned()
            path=path />
        <h1>{move || td_string!(lang.get(), info_title)}</h1>
        <p class="lead">{move || td_string!(lang.get(), info_lead)}</p>
        <form method="get" action="/info" class="filters card" role="search" id="info-search">
            <div class="field">
                <label for="info-q">{move || td_string!(lang.get(), info_search)}</label>
                <input id="info-q" name="q" type="search" value=value("q") placeholder=move || td_string!(lang.get(), info_search_hint) />
            </div>
            <div class="field">
                <label for="info-kind">{move || td_string!(lang.get(), info_kind)}</label>
                <select id="info-kind" name="kind">
                    {move || {
                        let l = lang.get();
                        let chosen = value("kind");
                        let mut options = vec![view! { <option value="" selected=chosen.is_empty()>{td_string!(l, filter_all)}</option> }.into_any()];
                        for k in NoticeKind::ALL {
                            let selected = chosen == k.as_str();
                            options.push(view! { <option value=k.as_str() selected=selected>{kind_label(l, k)}</option> }.into_any());
                        }
                        options
                    }}
                </select>
            </div>
            <button type="submit" class="button primary">{move || td_string!(lang.get(), info_search_button)}</button>
        </form>
        <Suspense fallback=move || view! { <p class="muted" role="status">{td_string!(lang.get(), loading)}</p> }>
            {move || Suspend::new(async move {
                let l = lang.get();
                match page.await {
                    Err(e) => view! { <p class="field-error" role="alert">{e}</p> }.into_any(),
                    Ok(p) => view! {
                        <section>
                            <h2>{td_string!(l, info_notices)}</h2>
                            {if p.notices.is_empty() {
                                view! { <p class="empty">{td_string!(l, info_none)}</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="notices" id="notices">
                                        {p.notices.into_iter().map(|n| view! {
                                            <li class="card">
                                                <span class="tag">{kind_label(l, n.kind)}</span>
                                                " " <span class="muted small">{n.published_at.as_deref().map(local_date).unwrap_or_default()}</span>
                                                <h3><a href=format!("/info/notices/{}", n.id)>{n.title.clone()}</a></h3>
                                                <p>{n.summary.clone()}</p>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        </section>
                        {(value("kind").is_empty() || value("kind") == "enforcement").then(|| {
                            let penalties = p.penalties.clone();
                            view! {
                            <section id="penalties">
                                <h2>{td_string!(l, info_penalty_decisions)}</h2>
                                {if penalties.is_empty() {
                                    view! { <p class="empty">{td_string!(l, info_none)}</p> }.into_any()
                                } else {
                                    penalties.into_iter().map(|x| view! { <PenaltyCard penalty=x named=true /> }).collect_view().into_any()
                                }}
                            </section>
                        }})}
                        {(value("kind").is_empty()).then(|| view! {
                            <section id="enterprises">
                                <h2>{td_string!(l, info_enterprises)}</h2>
                                <p class="hint">{td_string!(l, info_enterprises_hint)}</p>
                                {if p.enterprises.is_empty() {
                                    view! { <p class="empty">{td_string!(l, info_none)}</p> }.into_any()
                                } else {
                                    p.enterprises.into_iter().map(|e| view! {
                                        <article class="card enterprise">
                                            <h3>{e.enterprise.clone()} " " <span class="muted small">{e.year}</span></h3>
                                            <dl class="facts">
                                                <dt>{td_string!(l, info_credit_code)}</dt><dd>{e.credit_code.clone()}</dd>
                                                {e.permit_no.clone().map(|p| view! { <dt>{td_string!(l, info_permit)}</dt><dd>{p}</dd> })}
                                                {e.industry.clone().map(|i| view! { <dt>{td_string!(l, info_industry)}</dt><dd>{i}</dd> })}
                                                <dt>{td_string!(l, info_disclosed)}</dt><dd>{e.disclosed.clone()}</dd>
                                                <dt>{td_string!(l, info_penalties)}</dt><dd>{e.penalties.clone().unwrap_or_else(|| td_string!(l, info_no_penalties).to_owned())}</dd>
                                            </dl>
                                            {e.url.clone().map(|u| view! { <p><a href=u rel="noopener noreferrer">{td_string!(l, info_full_report)}</a></p> })}
                                        </article>
                                    }).collect_view().into_any()
                                }}
                            </section>
                        })}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn NoticePage() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let notice = Resource::new(
        move || format!("/api/v1/notices/{}", public_api::encode(&id())),
        public_api::get::<Notice>,
    );
    let path = format!("/info/notices/{}", id());
    view! {
        <p><a href="/info">{move || td_string!(lang.get(), info_back)}</a></p>
        <Suspense fallback=move || view! { <p class="muted" role="status">{td_string!(lang.get(), loading)}</p> }>
            {move || {
                let path = path.clone();
                Suspend::new(async move {
                    let l = lang.get();
                    match notice.await {
                        Err(e) => view! {
                            <PageMeta title=move || td_string!(lang.get(), info_title).to_owned() description=move || td_string!(lang.get(), info_lead).to_owned() path=path />
                            <p class="field-error" role="alert">{e}</p>
                        }.into_any(),
                        Ok(n) => {
                            let (title, summary) = (n.title.clone(), n.summary.clone());
                            view! {
                                <PageMeta title=move || title.clone() description=move || summary.clone() path=path />
                                <article class="notice-page" id="notice">
                                    <span class="tag">{kind_label(l, n.kind)}</span>
                                    <h1>{n.title.clone()}</h1>
                                    <p class="muted">{n.published_at.as_deref().map(local_date).unwrap_or_default()}</p>
                                    // Rendered from Markdown and sanitised with an allow-list on the server when saved.
                                    <div class="prose" inner_html=n.body_html.clone()></div>
                                </article>
                            }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

/// `/info/enterprises/{credit_code}`: one enterprise's public record — its
/// published penalties, the cases they came from, its disclosures.
#[component]
pub fn EnterprisePage() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let record = Resource::new(
        move || format!("/api/v1/enterprises/{}", public_api::encode(&code())),
        public_api::get::<EnterpriseRecord>,
    );
    let path = format!("/info/enterprises/{}", code());
    view! {
        <p><a href="/info">{move || td_string!(lang.get(), info_back)}</a></p>
        <Suspense fallback=move || view! { <p class="muted" role="status">{td_string!(lang.get(), loading)}</p> }>
            {move || {
                let path = path.clone();
                Suspend::new(async move {
                    let l = lang.get();
                    match record.await {
                        Err(e) => view! {
                            <PageMeta title=move || td_string!(lang.get(), info_title).to_owned() description=move || td_string!(lang.get(), info_lead).to_owned() path=path />
                            <p class="field-error" role="alert">{e}</p>
                        }.into_any(),
                        Ok(r) => {
                            let name = r.names.first().cloned().unwrap_or_else(|| r.credit_code.clone());
                            let title = name.clone();
                            let description = format!("{} · {}", td_string!(l, info_credit_code), r.credit_code);
                            view! {
                                <PageMeta title=move || title.clone() description=move || description.clone() path=path />
                                <article class="enterprise-page" id="enterprise" data-code=r.credit_code.clone()>
                                    <h1>{name}</h1>
                                    <dl class="facts">
                                        <dt>{td_string!(l, info_credit_code)}</dt><dd>{r.credit_code.clone()}</dd>
                                        {(r.names.len() > 1).then(|| view! { <dt>{td_string!(l, info_also_named)}</dt><dd>{r.names[1..].join("；")}</dd> })}
                                        <dt>{td_string!(l, info_total_fine)}</dt><dd>{format!("{} {}", shared::reward::yuan(r.total_fine_fen), td_string!(l, info_yuan))}</dd>
                                        <dt>{td_string!(l, info_cases)}</dt>
                                        <dd>{r.cases.iter().map(|c| view! { <a href=format!("/cases/{c}")>{c.clone()}</a> " " }).collect_view()}</dd>
                                    </dl>
                                    <section id="enterprise-penalties">
                                        <h2>{td_string!(l, info_penalty_decisions)}</h2>
                                        {if r.penalties.is_empty() {
                                            view! { <p class="empty">{td_string!(l, info_none)}</p> }.into_any()
                                        } else {
                                            r.penalties.into_iter().map(|x| view! { <PenaltyCard penalty=x named=false /> }).collect_view().into_any()
                                        }}
                                    </section>
                                    <section id="enterprise-disclosures">
                                        <h2>{td_string!(l, info_enterprises)}</h2>
                                        {if r.disclosures.is_empty() {
                                            view! { <p class="empty">{td_string!(l, info_none)}</p> }.into_any()
                                        } else {
                                            r.disclosures.into_iter().map(|e| view! {
                                                <article class="card enterprise">
                                                    <h3>{e.year}</h3>
                                                    <p>{e.disclosed.clone()}</p>
                                                </article>
                                            }).collect_view().into_any()
                                        }}
                                    </section>
                                </article>
                            }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

/// A published penalty decision (行政处罚信息公开): on `/info` with the
/// enterprise's name and a link to its page, on the enterprise's own page
/// without them.
#[component]
fn PenaltyCard(penalty: PublishedPenalty, named: bool) -> impl IntoView {
    let lang = use_lang();
    let x = penalty;
    move || {
        let l = lang.get();
        let x = x.clone();
        view! {
            <article class="card penalty" data-decision=x.decision_no.clone()>
                {named.then(|| view! { <h3>{x.enterprise.clone()}</h3> })}
                <dl class="facts">
                    <dt>{td_string!(l, info_decision_no)}</dt><dd>{x.decision_no.clone()}</dd>
                    {named.then(|| view! {
                        <dt>{td_string!(l, info_credit_code)}</dt>
                        <dd><a href=format!("/info/enterprises/{}", x.credit_code)>{x.credit_code.clone()}</a></dd>
                    })}
                    <dt>{td_string!(l, info_violation)}</dt><dd>{x.provision.clone()}</dd>
                    <dt>{td_string!(l, info_fine)}</dt><dd>{format!("{} {}", shared::reward::yuan(x.fine_fen), td_string!(l, info_yuan))}</dd>
                    <dt>{td_string!(l, info_decided_on)}</dt><dd>{x.decided_on.clone()}</dd>
                    <dt>{td_string!(l, info_from_case)}</dt><dd><a href=format!("/cases/{}", x.case)>{x.case.clone()}</a></dd>
                </dl>
            </article>
        }
    }
}
