//! `/cases` and `/cases/{code}`: disclosed cases (公开案件) in the columns of
//! the district's disclosure tables (公示表), on a map of the 街道/镇, with
//! filters that work as a plain form; and a page per case with its public
//! timeline, reply and photos. Rendered on the server; nothing personal is
//! ever in the data (see `server::disclosure`).

use crate::components::charts::{DistrictAreas, DistrictMap, Pin};
use crate::components::page_meta::PageMeta;
use crate::format::{action_label, finding_label, local_date, local_time, named, state_label};
use crate::i18n::*;
use crate::lang::use_lang;
use crate::markup::{Attr, Markup};
use crate::public_api::{self, query};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use shared::disclosure::{PublicCase, PublicCaseDetail, PublicCasePage};
use shared::report::Category;
use std::sync::Arc;

const FILTERS: [&str; 6] = ["category", "area", "state", "from", "to", "disclosed"];

/// The catalogue, for the category filter.
async fn categories() -> Arc<Vec<Category>> {
    public_api::get_shared::<Vec<Category>>("/api/v1/categories".to_owned())
        .await
        .unwrap_or_default()
}

/// The district's 街道/镇, for the area filter and the map: parsed and
/// projected once while they stay the same (`public_api::get_shared`).
async fn areas() -> Arc<DistrictAreas> {
    public_api::get_shared::<DistrictAreas>("/api/v1/areas".to_owned())
        .await
        .unwrap_or_default()
}

fn pin(c: &PublicCase, l: Locale) -> Pin {
    Pin {
        lat: c.lat,
        lon: c.lon,
        href: format!("/cases/{}", c.code),
        label: format!(
            "{} · {}",
            c.code,
            named(l, &c.category.name, &c.category.name_en)
        ),
        closed: c.closed,
    }
}

#[component]
pub fn Cases() -> impl IntoView {
    let lang = use_lang();
    let q = use_query_map();
    let value = move |k: &str| q.with(|q| q.get(k).unwrap_or_default());
    let page_no = move || {
        value("page")
            .parse::<u32>()
            .ok()
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    };
    let filters = move || FILTERS.iter().map(|k| (*k, value(k))).collect::<Vec<_>>();
    let api_url = move || {
        let mut f = filters();
        f.push(("page", page_no().to_string()));
        // The next page's link says which case it follows, the previous
        // page's which case it comes before (keyset), so the hundredth page
        // costs the server what the first does.
        f.push(("after", value("after")));
        f.push(("before", value("before")));
        format!("/api/v1/public/cases{}", query(&f))
    };
    // Server-only: each part is read once while the page renders, and
    // owned by what draws it (a resource would keep and copy its value for
    // hydration that never comes).
    let cases = public_api::get::<PublicCasePage>(api_url());
    // The filter's list and the map draw the same areas: read once.
    let areas = AsyncDerived::new(areas);
    let path = {
        let f = filters();
        format!("/cases{}", query(&f))
    };
    let export = move |file: &str| format!("/open-data/{file}{}", query(&filters()));
    let feed = move || {
        format!(
            "/feeds/cases.atom{}",
            query(&[("area", value("area")), ("category", value("category"))])
        )
    };

    view! {
        <PageMeta
            title=move || td_string!(lang.get(), cases_title).to_owned()
            description=move || td_string!(lang.get(), cases_lead).to_owned()
            path=path />
        <h1>{move || td_string!(lang.get(), cases_title)}</h1>
        <p class="lead">{move || td_string!(lang.get(), cases_lead)}</p>
        // Folded on a phone so the cases come first; open while filtering.
        <details class="filters-wrap" open=FILTERS.iter().any(|k| !value(k).is_empty())>
        <summary>{move || td_string!(lang.get(), filter_title)}</summary>
        <form method="get" action="/cases" class="filters card" id="case-filters">
            <div class="field">
                <label for="f-category">{move || td_string!(lang.get(), col_category)}</label>
                <Suspense>{Suspend::new(async move {
                    let l = lang.get();
                    let list = categories().await;
                    let choices = list.iter().map(|c| (c.code.as_str(), named(l, &c.name, &c.name_en)));
                    let options = options(td_string!(l, filter_all), choices, &value("category"));
                    view! { <select id="f-category" name="category" inner_html=options></select> }
                })}</Suspense>
            </div>
            <div class="field">
                <label for="f-area">{move || td_string!(lang.get(), col_area)}</label>
                <Suspense>{Suspend::new(async move {
                    let l = lang.get();
                    let list = areas.await;
                    let choices = list.areas.iter().map(|a| (a.code.as_str(), named(l, &a.name, &a.name_en)));
                    let options = options(td_string!(l, filter_all), choices, &value("area"));
                    view! { <select id="f-area" name="area" inner_html=options></select> }
                })}</Suspense>
            </div>
            <div class="field">
                <label for="f-state">{move || td_string!(lang.get(), col_closed)}</label>
                <select id="f-state" name="state">
                    {move || {
                        let l = lang.get();
                        let chosen = value("state");
                        [("", td_string!(l, filter_all)), ("open", td_string!(l, filter_open)), ("closed", td_string!(l, filter_closed))]
                            .into_iter()
                            .map(|(v, label)| view! { <option value=v selected=chosen == v>{label}</option> })
                            .collect_view()
                    }}
                </select>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="f-from">{move || td_string!(lang.get(), filter_from)}</label>
                    <input id="f-from" name="from" type="date" value=value("from") />
                </div>
                <div class="field">
                    <label for="f-to">{move || td_string!(lang.get(), filter_to)}</label>
                    <input id="f-to" name="to" type="date" value=value("to") />
                </div>
            </div>
            <label class="check">
                <input type="checkbox" name="disclosed" value="true" checked=value("disclosed") == "true" />
                " " {move || td_string!(lang.get(), filter_disclosed)}
            </label>
            <button type="submit" class="button primary">{move || td_string!(lang.get(), filter_apply)}</button>
            " "
            <a href="/cases" class="button">{move || td_string!(lang.get(), filter_clear)}</a>
        </form>
        </details>

        <Suspense fallback=move || view! { <p class="muted" role="status">{td_string!(lang.get(), loading)}</p> }>
            {Suspend::new(async move {
                let l = lang.get();
                let areas = areas.await;
                match cases.await {
                    Err(e) => view! { <p class="field-error" role="alert" id="cases-error">{e}</p> }.into_any(),
                    Ok(page) if page.items.is_empty() => view! {
                        <p class="empty" id="cases-empty">{td_string!(l, cases_none)}</p>
                    }.into_any(),
                    Ok(page) => {
                        let pins: Vec<Pin> = page.items.iter().map(|c| pin(c, l)).collect();
                        let prev = page.prev.clone().map(|before| {
                            let mut f = filters();
                            // The page before the second is the first, at its
                            // own address.
                            if page.page > 2 {
                                f.push(("page", (page.page - 1).to_string()));
                                f.push(("before", before));
                            }
                            format!("/cases{}", query(&f))
                        });
                        let next = page.next.clone().map(|after| {
                            let mut f = filters();
                            f.push(("page", (page.page + 1).to_string()));
                            f.push(("after", after));
                            format!("/cases{}", query(&f))
                        });
                        view! {
                            <section class="card map-card">
                                <h2 class="visually-hidden">{td_string!(l, cases_map)}</h2>
                                <DistrictMap title=td_string!(l, cases_map).to_owned() areas=areas pins=pins />
                                <p class="hint">{td_string!(l, cases_map_hint)}</p>
                            </section>
                            <table class="disclosure-table" id="cases-table">
                                <thead><tr>
                                    <th scope="col">{td_string!(l, col_code)}</th>
                                    <th scope="col">{td_string!(l, col_summary)}</th>
                                    <th scope="col">{td_string!(l, col_area)}</th>
                                    <th scope="col">{td_string!(l, col_category)}</th>
                                    <th scope="col">{td_string!(l, col_investigation)}</th>
                                    <th scope="col">{td_string!(l, col_finding)}</th>
                                    <th scope="col">{td_string!(l, col_actions)}</th>
                                    <th scope="col">{td_string!(l, col_closed)}</th>
                                </tr></thead>
                                <tbody inner_html=rows(&page.items, l)></tbody>
                            </table>
                            <nav class="pager" aria-label=td_string!(l, pager)>
                                {prev.map(|href| view! { <a class="button" rel="prev" href=href>{td_string!(l, pager_prev)}</a> })}
                                <span class="muted">{format!("{} {}", td_string!(l, pager_page), page.page)}</span>
                                {next.map(|href| view! { <a class="button" rel="next" href=href id="next-page">{td_string!(l, pager_next)}</a> })}
                            </nav>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
        <section class="card open-data">
            <h2>{move || td_string!(lang.get(), open_data_title)}</h2>
            <p>{move || td_string!(lang.get(), open_data_lead)}</p>
            <ul class="links">
                <li><a href=move || export("cases.csv")>"CSV"</a></li>
                <li><a href=move || export("cases.geojson")>"GeoJSON"</a></li>
                <li><a href=feed>{move || td_string!(lang.get(), open_data_feed)}</a></li>
                <li><a href="/open311/discovery.json">"Open311 GeoReport v2"</a></li>
                <li><a href="/api/docs">"API (OpenAPI)"</a></li>
            </ul>
        </section>
    }
}

/// A filter's choices, "all" first, the chosen one selected, written as text
/// (`crate::markup`) like the rows: the catalogue and the areas are about 50
/// options on every page.
fn options<'a>(
    all: &str,
    choices: impl Iterator<Item = (&'a str, String)>,
    chosen: &str,
) -> String {
    let mut m = Markup::with_capacity(4096);
    m.element("option", &[("value", "")], all);
    for (code, name) in choices {
        let attrs: &[Attr] = if code == chosen {
            &[("value", code), ("selected", "")]
        } else {
            &[("value", code)]
        };
        m.element("option", attrs, &name);
    }
    m.into_string()
}

fn dash(v: Option<String>) -> String {
    v.filter(|s| !s.is_empty())
        .unwrap_or_else(|| "—".to_owned())
}

/// The disclosure table's rows, written as text (see `crate::markup`): as
/// views they were the largest part of the page's rendering. On a phone
/// each row is a card whose cells carry their column's name.
fn rows(cases: &[PublicCase], l: Locale) -> String {
    let pending = td_string!(l, cases_not_yet_disclosed);
    let label = |column| [("data-label", column)];
    let mut m = Markup::with_capacity(cases.len() * 700);
    for c in cases {
        let href = format!("/cases/{}", c.code);
        let row_attrs: &[Attr] = if c.disclosed {
            &[("data-code", &c.code)]
        } else {
            &[("data-code", &c.code), ("class", "undisclosed")]
        };
        m.open("tr", row_attrs);
        // One cell value: on a phone the date stays beside the number, not
        // in the label column.
        m.open("td", &label(td_string!(l, col_code)))
            .open("span", &[])
            .element("a", &[("href", &href)], &c.code)
            .open("span", &[("class", "muted small")])
            .text(" ")
            .text(&local_date(&c.submitted_at))
            .close("span")
            .close("span")
            .close("td");
        let summary = c.summary.as_deref().unwrap_or(pending);
        m.element("td", &label(td_string!(l, col_summary)), summary);
        let area = c.area.as_ref().map(|a| named(l, &a.name, &a.name_en));
        m.element("td", &label(td_string!(l, col_area)), &dash(area));
        m.element(
            "td",
            &label(td_string!(l, col_category)),
            &named(l, &c.category.name, &c.category.name_en),
        );
        m.element(
            "td",
            &label(td_string!(l, col_investigation)),
            &dash(c.investigation.clone()),
        );
        let finding = c.finding.map(|f| finding_label(l, f).to_owned());
        m.element("td", &label(td_string!(l, col_finding)), &dash(finding));
        m.element(
            "td",
            &label(td_string!(l, col_actions)),
            &dash(c.actions_taken.clone()),
        );
        let closed = if c.closed {
            td_string!(l, yes)
        } else {
            td_string!(l, no)
        };
        m.open("td", &label(td_string!(l, col_closed)))
            .element(
                "span",
                &[("class", "case-state"), ("data-state", c.state.as_str())],
                &format!("{closed} · {}", state_label(l, c.state.as_str())),
            )
            .close("td");
        m.close("tr");
    }
    m.into_string()
}

#[component]
pub fn CasePage() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let case = public_api::get::<PublicCaseDetail>(format!(
        "/api/v1/public/cases/{}",
        public_api::encode(&code())
    ));
    let path = format!("/cases/{}", code());
    let title = move || format!("{} {}", td_string!(lang.get(), col_code), code());
    view! {
        <Suspense fallback=move || view! { <p class="muted" role="status">{td_string!(lang.get(), loading)}</p> }>
            {Suspend::new(async move {
                let l = lang.get();
                let areas = areas().await;
                match case.await {
                    Err(e) => view! {
                        <PageMeta title=title description=move || td_string!(lang.get(), cases_lead).to_owned() path=path />
                        <h1>{title()}</h1>
                        <p class="field-error" role="alert" id="case-error">{e}</p>
                        <p><a href="/cases">{td_string!(l, cases_back)}</a></p>
                    }.into_any(),
                    Ok(detail) => {
                        let c = detail.case;
                        let description = {
                            let text = format!("{} · {} · {}", named(l, &c.category.name, &c.category.name_en),
                                c.area.as_ref().map(|a| named(l, &a.name, &a.name_en)).unwrap_or_default(),
                                c.summary.clone().unwrap_or_else(|| state_label(l, c.state.as_str())));
                            move || text.clone()
                        };
                        let pins = vec![pin(&c, l)];
                        let highlight = c.area.as_ref().map(|a| a.code.clone());
                        view! {
                            <PageMeta title=title description=description path=path />
                            <p><a href="/cases">{td_string!(l, cases_back)}</a></p>
                            <article class="public-case" id="public-case">
                                <h1>{td_string!(l, col_code)} " " <span id="case-code">{c.code.clone()}</span></h1>
                                <p class="case-state" data-state=c.state.as_str()>{state_label(l, c.state.as_str())}</p>
                                <dl class="facts">
                                    <dt>{td_string!(l, col_category)}</dt><dd>{named(l, &c.category.name, &c.category.name_en)}</dd>
                                    <dt>{td_string!(l, col_area)}</dt><dd>{dash(c.area.as_ref().map(|a| named(l, &a.name, &a.name_en)))}</dd>
                                    <dt>{td_string!(l, fact_department)}</dt><dd>{dash(c.department.as_ref().map(|d| named(l, &d.name, &d.name_en)))}</dd>
                                    <dt>{td_string!(l, fact_submitted)}</dt><dd>{local_time(&c.submitted_at)}</dd>
                                    {c.closed_at.clone().map(|t| view! { <dt>{td_string!(l, fact_closed_at)}</dt><dd>{local_time(&t)}</dd> })}
                                    {(c.corroborations > 0).then(|| view! { <dt>{td_string!(l, fact_corroborations)}</dt><dd>{c.corroborations}</dd> })}
                                    {c.merged_into.clone().map(|m| view! { <dt>{td_string!(l, fact_merged_into)}</dt><dd><a href=format!("/cases/{m}")>{m.clone()}</a></dd> })}
                                </dl>
                                {if c.disclosed {
                                    view! {
                                        <section class="card">
                                            <h2>{td_string!(l, col_summary)}</h2>
                                            <p id="case-summary">{c.summary.clone().unwrap_or_default()}</p>
                                            {c.investigation.clone().map(|t| view! { <h2>{td_string!(l, col_investigation)}</h2><p>{t}</p> })}
                                            {c.finding.map(|f| view! { <h2>{td_string!(l, col_finding)}</h2><p id="case-finding">{finding_label(l, f)}</p> })}
                                            {c.actions_taken.clone().map(|t| view! { <h2>{td_string!(l, col_actions)}</h2><p>{t}</p> })}
                                        </section>
                                    }.into_any()
                                } else {
                                    view! { <p class="notice" id="case-pending">{td_string!(l, cases_pending_note)}</p> }.into_any()
                                }}
                                {(!c.penalties.is_empty()).then(|| view! {
                                    <section class="card" id="case-penalties">
                                        <h2>{td_string!(l, info_penalty_decisions)}</h2>
                                        <ul class="penalty-list">
                                            {c.penalties.iter().map(|p| view! {
                                                <li data-decision=p.decision_no.clone()>
                                                    {p.decision_no.clone()} " · "
                                                    <a href=format!("/info/enterprises/{}", p.credit_code)>{p.enterprise.clone()}</a>
                                                    " · " {td_string!(l, info_fine)} " " {shared::reward::yuan(p.fine_fen)} " " {td_string!(l, info_yuan)}
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                    </section>
                                })}
                                {(!c.photos.is_empty()).then(|| view! {
                                    <section class="photos">
                                        {c.photos.iter().map(|p| view! {
                                            <a href=p.display_url.clone()><img src=p.thumbnail_url.clone() alt=td_string!(l, cases_photo_alt) loading="lazy" width="160" height="120" /></a>
                                        }).collect_view()}
                                    </section>
                                })}
                                <section class="card map-card">
                                    <DistrictMap title=td_string!(l, cases_map).to_owned() areas=areas pins=pins highlight=highlight />
                                    <p class="hint">{td_string!(l, cases_place_note)}</p>
                                </section>
                                <section class="card">
                                    <h2>{td_string!(l, fact_timeline)}</h2>
                                    <ol class="timeline">
                                        {detail.timeline.into_iter().map(|e| view! {
                                            <li data-action=e.action.clone()>
                                                <time datetime=e.at.clone()>{local_time(&e.at)}</time>
                                                <strong>{action_label(l, &e.action, e.state.as_deref())}</strong>
                                                {e.note.map(|n| view! { <p>{n}</p> })}
                                            </li>
                                        }).collect_view()}
                                    </ol>
                                </section>
                            </article>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_offers_all_first_selects_the_chosen_and_escapes_names() {
        let choices = [("a", "甲".to_owned()), ("b\"", "<b>乙</b>".to_owned())];
        let html = options("全部", choices.iter().map(|(c, n)| (*c, n.clone())), "b\"");
        assert_eq!(
            html,
            r#"<option value="">全部</option><option value="a">甲</option><option value="b&quot;" selected="">&lt;b&gt;乙&lt;/b&gt;</option>"#
        );
        let none = options("全部", choices.iter().map(|(c, n)| (*c, n.clone())), "");
        assert!(!none.contains("selected"), "{none}");
    }

    #[test]
    fn a_row_escapes_what_the_record_says_and_marks_an_undisclosed_case() {
        let mut case: PublicCase = serde_json::from_value(serde_json::json!({
            "code": "BN-7K3M-Q9TX", "category": {"code": "noise", "name": "噪声", "name_en": "Noise"},
            "group": "noise", "area": null, "department": null, "state": "closed", "closed": true,
            "submitted_at": "2026-11-28T13:30:00Z", "updated_at": "2026-11-28T13:30:00Z",
            "accepted_at": null, "closed_at": null, "expected_at": null,
            "lat": 29.4, "lon": 106.5, "precision": "street",
            "disclosed": true, "summary": "<script>alert(1)</script>", "investigation": null,
            "finding": null, "actions_taken": null, "corroborations": 0, "merged_into": null,
            "photos": [], "penalties": []
        }))
        .unwrap();
        let html = rows(std::slice::from_ref(&case), Locale::zh_CN);
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.starts_with(r#"<tr data-code="BN-7K3M-Q9TX"><td data-label="#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="/cases/BN-7K3M-Q9TX">BN-7K3M-Q9TX</a>"#),
            "{html}"
        );
        assert!(html.contains("2026-11-28"), "{html}");
        case.disclosed = false;
        let html = rows(&[case], Locale::zh_CN);
        assert!(
            html.starts_with(r#"<tr data-code="BN-7K3M-Q9TX" class="undisclosed">"#),
            "{html}"
        );
    }
}
