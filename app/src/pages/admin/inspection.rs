//! 现场检查 on the case page: the form a handler fills on site from a phone
//! (officers, time, place, what was found, measurements against a
//! standard), and the inspections recorded, each measurement with its limit
//! and how far over it is.

use super::case::{ActionForm, OnCase};
use crate::format::{local_time, named};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::case::{ActionKind, CaseAction};
use shared::inspection::{
    Inspection, InspectionInput, MeasurementInput, MeasurementKind, Officer, Period, Standard,
};

/// One measurement row as typed.
#[derive(Clone, Copy)]
struct Row {
    kind: RwSignal<MeasurementKind>,
    value: RwSignal<String>,
    standard: RwSignal<Standard>,
    zone: RwSignal<String>,
    period: RwSignal<String>,
}

impl Row {
    fn new() -> Self {
        Row {
            kind: RwSignal::new(MeasurementKind::NoiseLeq),
            value: RwSignal::new(String::new()),
            standard: RwSignal::new(Standard::Gb12523),
            zone: RwSignal::new(String::new()),
            period: RwSignal::new("night".to_owned()),
        }
    }

    fn input(&self) -> MeasurementInput {
        let kind = self.kind.get_untracked();
        MeasurementInput {
            kind,
            // A value that does not parse goes as NaN, which the server refuses.
            value: self
                .value
                .get_untracked()
                .trim()
                .parse()
                .unwrap_or(f64::NAN),
            unit: kind.unit().to_owned(),
            standard: self.standard.get_untracked(),
            zone: Some(self.zone.get_untracked()).filter(|z| !z.trim().is_empty()),
            period: match self.period.get_untracked().as_str() {
                "day" => Some(Period::Day),
                "night" => Some(Period::Night),
                _ => None,
            },
        }
    }
}

fn kind_by_name(s: &str) -> MeasurementKind {
    MeasurementKind::ALL
        .into_iter()
        .find(|k| {
            serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .as_deref()
                == Some(s)
        })
        .unwrap_or(MeasurementKind::NoiseLeq)
}

fn kind_name(k: MeasurementKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The form: two officers to start with (the law's minimum), more on a tap.
#[component]
pub fn RecordInspectionAction(case: OnCase) -> impl IntoView {
    let lang = use_lang();
    let officers: RwSignal<Vec<(RwSignal<String>, RwSignal<String>)>> = RwSignal::new(
        (0..2)
            .map(|_| (RwSignal::new(String::new()), RwSignal::new(String::new())))
            .collect(),
    );
    let when = RwSignal::new(String::new());
    let place = RwSignal::new(String::new());
    let found = RwSignal::new(String::new());
    let rows: RwSignal<Vec<Row>> = RwSignal::new(Vec::new());
    let action = move || {
        CaseAction::RecordInspection(InspectionInput {
            inspected_at: crate::format::datetime_local_to_rfc3339(&when.get_untracked())
                .unwrap_or_default(),
            place: place.get_untracked().trim().to_owned(),
            officers: officers
                .get_untracked()
                .iter()
                .map(|(n, b)| Officer {
                    name: n.get_untracked().trim().to_owned(),
                    badge: b.get_untracked().trim().to_owned(),
                })
                .filter(|o| !o.name.is_empty() || !o.badge.is_empty())
                .collect(),
            found: found.get_untracked().trim().to_owned(),
            measurements: rows.get_untracked().iter().map(Row::input).collect(),
        })
    };
    view! {
        <ActionForm kind=ActionKind::RecordInspection case action>
            <div class="field"><label for="inspection-when">{move || td_string!(lang.get(), adm_inspection_when)}</label>
                <input id="inspection-when" type="datetime-local" required=true prop:value=move || when.get()
                    on:input=move |ev| when.set(event_target_value(&ev)) /></div>
            <div class="field"><label for="inspection-place">{move || td_string!(lang.get(), adm_inspection_place)}</label>
                <input id="inspection-place" required=true maxlength="200" prop:value=move || place.get()
                    on:input=move |ev| place.set(event_target_value(&ev)) /></div>
            <fieldset class="officers">
                <legend>{move || td_string!(lang.get(), adm_inspection_officers)}</legend>
                {move || officers.get().into_iter().enumerate().map(|(i, (name, badge))| view! {
                    <div class="coords officer">
                        <div class="field"><label for=format!("officer-{i}-name")>{move || td_string!(lang.get(), adm_officer_name)}</label>
                            <input id=format!("officer-{i}-name") maxlength="50" prop:value=move || name.get()
                                on:input=move |ev| name.set(event_target_value(&ev)) /></div>
                        <div class="field"><label for=format!("officer-{i}-badge")>{move || td_string!(lang.get(), adm_officer_badge)}</label>
                            <input id=format!("officer-{i}-badge") maxlength="30" prop:value=move || badge.get()
                                on:input=move |ev| badge.set(event_target_value(&ev)) /></div>
                    </div>
                }).collect_view()}
                <button type="button" class="button small" id="add-officer" on:click=move |_| {
                    officers.update(|o| o.push((RwSignal::new(String::new()), RwSignal::new(String::new()))));
                }>{move || td_string!(lang.get(), adm_add_officer)}</button>
            </fieldset>
            <div class="field"><label for="inspection-found">{move || td_string!(lang.get(), adm_inspection_found)}</label>
                <textarea id="inspection-found" rows="4" required=true prop:value=move || found.get()
                    on:input=move |ev| found.set(event_target_value(&ev))></textarea></div>
            <fieldset class="measurements">
                <legend>{move || td_string!(lang.get(), adm_measurements)}</legend>
                {move || rows.get().into_iter().enumerate().map(|(i, r)| view! {
                    <div class="measurement" data-row=i.to_string()>
                        <div class="coords">
                            <div class="field"><label for=format!("m-{i}-kind")>{move || td_string!(lang.get(), adm_measurement_kind)}</label>
                                <select id=format!("m-{i}-kind") on:change=move |ev| r.kind.set(kind_by_name(&event_target_value(&ev)))>
                                    {MeasurementKind::ALL.map(|k| {
                                        let selected = r.kind.get_untracked() == k;
                                        view! { <option value=kind_name(k) selected=selected>{move || named(lang.get(), k.name_zh(), k.name_en())}</option> }
                                    }).collect_view()}
                                </select></div>
                            <div class="field"><label for=format!("m-{i}-value")>{move || format!("{} ({})", td_string!(lang.get(), adm_measurement_value), r.kind.get().unit())}</label>
                                <input id=format!("m-{i}-value") inputmode="decimal" prop:value=move || r.value.get()
                                    on:input=move |ev| r.value.set(event_target_value(&ev)) /></div>
                        </div>
                        <div class="coords">
                            <div class="field"><label for=format!("m-{i}-standard")>{move || td_string!(lang.get(), adm_measurement_standard)}</label>
                                <select id=format!("m-{i}-standard") on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    if let Some(s) = Standard::ALL.into_iter().find(|s| s.as_str() == v) { r.standard.set(s); }
                                }>
                                    {Standard::ALL.map(|s| {
                                        let selected = r.standard.get_untracked() == s;
                                        view! { <option value=s.as_str() selected=selected>{s.as_str()}</option> }
                                    }).collect_view()}
                                </select></div>
                            <div class="field"><label for=format!("m-{i}-zone")>{move || td_string!(lang.get(), adm_measurement_zone)}</label>
                                <input id=format!("m-{i}-zone") maxlength="4" placeholder="2" prop:value=move || r.zone.get()
                                    on:input=move |ev| r.zone.set(event_target_value(&ev)) /></div>
                        </div>
                        <div class="field"><label for=format!("m-{i}-period")>{move || td_string!(lang.get(), adm_measurement_period)}</label>
                            <select id=format!("m-{i}-period") on:change=move |ev| r.period.set(event_target_value(&ev))>
                                <option value="night" selected=true>{move || td_string!(lang.get(), adm_period_night)}</option>
                                <option value="day">{move || td_string!(lang.get(), adm_period_day)}</option>
                                <option value="">"—"</option>
                            </select></div>
                    </div>
                }).collect_view()}
                <button type="button" class="button small" id="add-measurement" on:click=move |_| rows.update(|r| r.push(Row::new()))>
                    {move || td_string!(lang.get(), adm_add_measurement)}
                </button>
            </fieldset>
        </ActionForm>
    }
}

/// The inspections recorded on the case.
#[component]
pub fn Inspections(inspections: Vec<Inspection>) -> impl IntoView {
    let lang = use_lang();
    (!inspections.is_empty()).then(|| view! {
        <section class="card inspections" id="inspections">
            <h2>{move || td_string!(lang.get(), adm_inspections)}</h2>
            {inspections.into_iter().map(|x| {
                let officers = x.officers.iter().map(|o| format!("{}（{}）", o.name, o.badge)).collect::<Vec<_>>().join("、");
                view! {
                    <article class="inspection">
                        <h3>{local_time(&x.inspected_at)} " · " {x.place.clone()}</h3>
                        <p class="muted">{officers}</p>
                        <p>{x.found.clone()}</p>
                        <ul class="measured">
                            {x.measurements.into_iter().map(|m| {
                                let over = m.over_by;
                                view! {
                                    <li class:over=over.is_some() data-kind=kind_name(m.kind)>
                                        {move || named(lang.get(), m.kind.name_zh(), m.kind.name_en())} " "
                                        <strong>{format!("{} {}", m.value, m.unit)}</strong>
                                        " · " {m.standard.as_str()} " " {move || td_string!(lang.get(), adm_limit)} " "
                                        {match m.limit.min { Some(min) => format!("{min}–{}", m.limit.max), None => format!("{}", m.limit.max) }}
                                        {over.map(|by| view! { " " <span class="tag over-limit">{move || td_string!(lang.get(), adm_over_by)} " " {format!("{by}")}</span> })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </article>
                }
            }).collect_view()}
        </section>
    })
}
