//! `/stats`: what the district receives and how it handles it, drawn as SVG
//! on the server (so the charts show without JavaScript), and the plan's
//! 2025 targets (主要目标) beside the values staff have entered.

use crate::components::charts::{Bar, Columns, HBars};
use crate::components::page_meta::PageMeta;
use crate::format::{local_date, named};
use crate::i18n::*;
use crate::lang::use_lang;
use crate::public_api;
use leptos::prelude::*;
use shared::info::{Count, Stats};

fn bars(l: Locale, counts: &[Count], top: usize) -> Vec<Bar> {
    counts
        .iter()
        .take(top)
        .map(|c| Bar {
            label: named(l, &c.label, &c.label_en),
            value: c.value as f64,
            shown: c.value.to_string(),
        })
        .collect()
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

#[component]
pub fn StatsPage() -> impl IntoView {
    let lang = use_lang();
    let stats = Resource::new(
        || (),
        |_| public_api::get::<Stats>("/api/v1/stats".to_owned()),
    );
    view! {
        <PageMeta
            title=move || td_string!(lang.get(), stats_title).to_owned()
            description=move || td_string!(lang.get(), stats_lead).to_owned()
            path="/stats".to_owned() />
        <h1>{move || td_string!(lang.get(), stats_title)}</h1>
        <p class="lead">{move || td_string!(lang.get(), stats_lead)}</p>
        <Suspense fallback=move || view! { <p class="muted" role="status">{td_string!(lang.get(), loading)}</p> }>
            {move || Suspend::new(async move {
                let l = lang.get();
                match stats.await {
                    Err(e) => view! { <p class="field-error" role="alert">{e}</p> }.into_any(),
                    Ok(s) => body(l, s).into_any(),
                }
            })}
        </Suspense>
    }
}

fn body(l: Locale, s: Stats) -> impl IntoView {
    let days = |d: Option<f64>| {
        d.map(|d| format!("{d} {}", td_string!(l, stats_days)))
            .unwrap_or_else(|| "—".to_owned())
    };
    let substantiated = percent(s.substantiated, s.with_finding)
        .map(|p| format!("{p}%"))
        .unwrap_or_else(|| "—".to_owned());
    let timeliness: Vec<Bar> = s
        .departments
        .iter()
        .filter(|d| d.closed > 0)
        .map(|d| {
            let p = percent(d.on_time, d.closed).unwrap_or(0.0);
            Bar {
                label: named(l, &d.name, &d.name_en),
                value: p,
                shown: format!("{p}% ({}/{})", d.on_time, d.closed),
            }
        })
        .collect();
    let overdue: Vec<(String, u64)> = s
        .departments
        .iter()
        .filter(|d| d.overdue_open > 0)
        .map(|d| (named(l, &d.name, &d.name_en), d.overdue_open))
        .collect();
    // 回访: the share of rated cases whose reporters were satisfied, and of
    // closed cases whose reporters answered at all, per department.
    let satisfaction: Vec<(String, String, String)> = s
        .satisfaction
        .iter()
        .filter(|d| d.closed > 0)
        .map(|d| {
            if d.withheld {
                let few = td_string!(l, stats_too_few_ratings).to_owned();
                return (
                    named(l, &d.department_name, &d.department_name_en),
                    few,
                    "—".to_owned(),
                );
            }
            let rate = |r: Option<f64>| {
                r.map(|r| format!("{}%", (r * 1000.0).round() / 10.0))
                    .unwrap_or_else(|| "—".to_owned())
            };
            (
                named(l, &d.department_name, &d.department_name_en),
                format!(
                    "{} ({}/{})",
                    rate(d.satisfaction_rate),
                    d.satisfied + d.basically_satisfied,
                    d.rated
                ),
                format!("{} ({}/{})", rate(d.response_rate), d.rated, d.closed),
            )
        })
        .collect();
    let months: Vec<Bar> = s
        .by_month
        .iter()
        .map(|c| Bar {
            label: c.key.get(5..).unwrap_or(&c.key).to_owned(),
            value: c.value as f64,
            shown: c.value.to_string(),
        })
        .collect();
    view! {
        <section class="figures" id="stats-figures">
            <div class="figure"><strong id="stat-total">{s.total}</strong><span>{td_string!(l, stats_total)}</span></div>
            <div class="figure"><strong>{s.open}</strong><span>{td_string!(l, stats_open)}</span></div>
            <div class="figure"><strong>{s.closed}</strong><span>{td_string!(l, stats_closed)}</span></div>
            <div class="figure"><strong>{days(s.median_days_to_accept)}</strong><span>{td_string!(l, stats_to_accept)}</span></div>
            <div class="figure"><strong>{days(s.median_days_to_close)}</strong><span>{td_string!(l, stats_to_close)}</span></div>
            <div class="figure"><strong>{substantiated}</strong><span>{td_string!(l, stats_substantiated)}</span></div>
            <div class="figure"><strong>{s.rewards_paid}</strong><span>{td_string!(l, stats_rewards_paid)}</span></div>
            <div class="figure"><strong>{format!("¥{}", shared::reward::yuan(s.rewards_paid_fen))}</strong><span>{td_string!(l, stats_rewards_amount)}</span></div>
        </section>
        <section class="card">
            <h2>{td_string!(l, stats_by_month)}</h2>
            <Columns title=td_string!(l, stats_by_month).to_owned() bars=months />
        </section>
        <section class="card">
            <h2>{td_string!(l, stats_by_category)}</h2>
            <HBars title=td_string!(l, stats_by_category).to_owned() bars=bars(l, &s.by_category, 12) />
        </section>
        <section class="card">
            <h2>{td_string!(l, stats_by_area)}</h2>
            <HBars title=td_string!(l, stats_by_area).to_owned() bars=bars(l, &s.by_area, 25) />
        </section>
        <section class="card">
            <h2>{td_string!(l, stats_on_time)}</h2>
            <p class="hint">{td_string!(l, stats_on_time_hint)}</p>
            {if timeliness.is_empty() {
                view! { <p class="muted">{td_string!(l, stats_none_closed)}</p> }.into_any()
            } else {
                view! { <HBars title=td_string!(l, stats_on_time).to_owned() bars=timeliness max=Some(100.0) /> }.into_any()
            }}
            {(!overdue.is_empty()).then(|| view! {
                <h3>{td_string!(l, stats_overdue_open)}</h3>
                <ul>{overdue.into_iter().map(|(name, n)| view! { <li>{name} ": " {n}</li> }).collect_view()}</ul>
            })}
        </section>
        <section class="card" id="satisfaction">
            <h2>{td_string!(l, stats_satisfaction)}</h2>
            <p class="hint">{td_string!(l, stats_satisfaction_hint)}</p>
            {if satisfaction.is_empty() {
                view! { <p class="muted">{td_string!(l, stats_none_closed)}</p> }.into_any()
            } else {
                view! {
                    <table class="targets">
                        <thead><tr>
                            <th scope="col">{td_string!(l, fact_department)}</th>
                            <th scope="col">{td_string!(l, stats_satisfied_rate)}</th>
                            <th scope="col">{td_string!(l, stats_response_rate)}</th>
                        </tr></thead>
                        <tbody>
                            {satisfaction.into_iter().map(|(d, sat, resp)| view! {
                                <tr>
                                    <th scope="row">{d}</th>
                                    <td data-label=td_string!(l, stats_satisfied_rate)>{sat}</td>
                                    <td data-label=td_string!(l, stats_response_rate)>{resp}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section class="card" id="targets">
            <h2>{td_string!(l, stats_targets)}</h2>
            <p class="hint">{td_string!(l, stats_targets_hint)}</p>
            <table class="targets">
                <thead><tr>
                    <th scope="col">{td_string!(l, stats_indicator)}</th>
                    <th scope="col">{td_string!(l, stats_target)}</th>
                    <th scope="col">{td_string!(l, stats_value)}</th>
                </tr></thead>
                <tbody>
                    {s.indicators.into_iter().map(|i| {
                        let op = if i.comparison == "at_most" { "≤" } else { "≥" };
                        let (mark, class) = match i.met {
                            Some(true) => ("✓", "met"),
                            Some(false) => ("✗", "missed"),
                            None => ("", "pending"),
                        };
                        view! {
                            <tr data-code=i.code.clone() class=class>
                                <td data-label=td_string!(l, stats_indicator)>{named(l, &i.name, &i.name_en)}</td>
                                <td data-label=td_string!(l, stats_target)>{format!("{op} {} {}", number(i.target), i.unit)}</td>
                                <td data-label=td_string!(l, stats_value)>
                                    {match i.value {
                                        Some(v) => format!("{mark} {} {}", number(v), i.unit),
                                        None => td_string!(l, stats_no_value).to_owned(),
                                    }}
                                    {i.updated_at.map(|t| view! { <span class="muted small">" (" {local_date(&t)} ")"</span> })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <p class="muted small">{td_string!(l, stats_generated)} " " {crate::format::local_time(&s.generated_at)}</p>
    }
}
