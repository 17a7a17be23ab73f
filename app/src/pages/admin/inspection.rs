//! 现场检查 on the case page: the form a handler fills on site from a phone
//! (officers, time, place, what was found, measurements against a
//! standard), and the inspections recorded, each measurement with its limit
//! and how far over it is, with the photos and PDFs attached to each (taken
//! on the phone, sent through the evidence queue when the network is poor).

use super::case::{ActionForm, OnCase};
use crate::browser::photos;
use crate::format::{local_time, named};
use crate::i18n::*;
use crate::lang::use_lang;
use crate::send_queue::{self, use_send_queue};
use leptos::prelude::*;
use shared::case::{ActionKind, CaseAction};
use shared::evidence::{EvidenceDocument, human_size};
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

/// The inspections recorded on the case, each with its photos and
/// documents (and, for who may record inspections, a form to add more),
/// and the case's own documents.
#[component]
pub fn Inspections(
    code: String,
    inspections: Vec<Inspection>,
    documents: Vec<EvidenceDocument>,
    can_attach: bool,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let lang = use_lang();
    let code = StoredValue::new(code);
    let case_documents = (!documents.is_empty()).then(|| {
        view! {
            <section class="card case-documents" id="case-documents">
                <h2>{move || td_string!(lang.get(), adm_case_documents)}</h2>
                <DocumentList documents=documents />
            </section>
        }
    });
    let inspections = (!inspections.is_empty()).then(|| view! {
        <section class="card inspections" id="inspections">
            <h2>{move || td_string!(lang.get(), adm_inspections)}</h2>
            {inspections.into_iter().map(|x| {
                let officers = x.officers.iter().map(|o| format!("{}（{}）", o.name, o.badge)).collect::<Vec<_>>().join("、");
                let id = x.id;
                let photos = x.photos.clone();
                let documents = x.documents.clone();
                view! {
                    <article class="inspection" data-inspection=id.to_string()>
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
                        {(!photos.is_empty()).then(|| view! {
                            <ul class="evidence-photos">
                                {photos.into_iter().map(|p| {
                                    let href = p.original_url.clone().unwrap_or_else(|| p.display_url.clone());
                                    view! {
                                        <li><a href=href target="_blank" rel="noopener">
                                            <img src=p.thumbnail_url.clone() alt=move || td_string!(lang.get(), adm_evidence)
                                                loading="lazy" width="96" height="96" />
                                        </a></li>
                                    }
                                }).collect_view()}
                            </ul>
                        })}
                        {(!documents.is_empty()).then(|| view! { <DocumentList documents=documents /> })}
                        {can_attach.then(|| view! { <AttachEvidence code=code.get_value() inspection=id reload /> })}
                    </article>
                }
            }).collect_view()}
        </section>
    });
    view! { {inspections} {case_documents} }
}

/// Documents: name (escaped, as every text), size and pages, each a
/// download (audited by the server).
#[component]
fn DocumentList(documents: Vec<EvidenceDocument>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <ul class="evidence-documents">
            {documents.into_iter().map(|d| {
                let size = human_size(d.bytes);
                let pages = d.pages;
                view! {
                    <li data-document=d.id.to_string()>
                        <a href=d.download_url.clone() download=d.file_name.clone()>{d.file_name.clone()}</a>
                        " " <span class="muted">{size} " · " {pages} " " {move || td_string!(lang.get(), adm_pages)}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// What the handler chose to attach, before it is sent: the files live in
/// the browser's memory, the list in a signal.
mod chosen {
    use crate::browser::photos::Blob;
    use std::cell::{Cell, RefCell};

    /// (id, inspection, field, bytes, name)
    type Chosen = (u32, i64, &'static str, Blob, String);

    thread_local! {
        static NEXT: Cell<u32> = const { Cell::new(1) };
        static FILES: RefCell<Vec<Chosen>> = const { RefCell::new(Vec::new()) };
    }

    pub fn add(inspection: i64, field: &'static str, blob: Blob, name: String) -> u32 {
        let id = NEXT.with(|n| n.replace(n.get() + 1));
        FILES.with(|f| f.borrow_mut().push((id, inspection, field, blob, name)));
        id
    }

    pub fn remove(id: u32) {
        FILES.with(|f| f.borrow_mut().retain(|x| x.0 != id));
    }

    /// The files chosen for `inspection`: (field, bytes, name).
    pub fn take(inspection: i64) -> Vec<(String, Blob, String)> {
        FILES.with(|f| {
            let mut f = f.borrow_mut();
            let (mine, rest): (Vec<_>, Vec<_>) = f.drain(..).partition(|x| x.1 == inspection);
            *f = rest;
            mine.into_iter()
                .map(|(_, _, field, blob, name)| (field.to_owned(), blob, name))
                .collect()
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Upload {
    Idle,
    Preparing,
    Sending(f64),
    Sent,
    Queued,
    Refused(String),
}

/// Photos (taken with the phone's camera or chosen) and PDFs for one
/// inspection, sent at once or, with no network, kept on the phone and
/// sent by the evidence queue with the same key.
#[component]
fn AttachEvidence(code: String, inspection: i64, reload: RwSignal<u32>) -> impl IntoView {
    let lang = use_lang();
    let sending = use_send_queue();
    // (id, field, name, bytes)
    let list: RwSignal<Vec<(u32, &'static str, String, f64)>> = RwSignal::new(Vec::new());
    let state = RwSignal::new(Upload::Idle);
    Effect::new(move |_| send_queue::start_evidence(sending));
    // A waiting upload that went through in the background shows on reload.
    Effect::new(move |before: Option<u32>| {
        let now = sending.evidence_sent.get();
        if before.is_some_and(|b| b != now) {
            reload.update(|n| *n += 1);
        }
        now
    });
    let url = format!("/api/v1/cases/{code}/evidence");
    let url = StoredValue::new(url);
    let photos_id = format!("evidence-photo-{inspection}");
    let documents_id = format!("evidence-document-{inspection}");
    let on_photos = move |ev: leptos::ev::Event| {
        let Some(files) = photos::take_chosen(&ev) else {
            return;
        };
        state.set(Upload::Preparing);
        leptos::task::spawn_local(async move {
            for file in files {
                let name = photos::file_name(&file);
                // The same resizing as a resident's photo: a phone's 12
                // megapixels become ~2048 px before they leave.
                let prepared = photos::prepare(&file).await;
                let size = photos::size(&prepared.blob);
                let id = chosen::add(inspection, "photo", prepared.blob, name.clone());
                let _ = list.try_update(|l| l.push((id, "photo", name, size)));
            }
            let _ = state.try_set(Upload::Idle);
        });
    };
    let on_documents = move |ev: leptos::ev::Event| {
        let Some(files) = photos::take_chosen(&ev) else {
            return;
        };
        for file in files {
            let name = photos::file_name(&file);
            let Some(blob) = photos::file_blob(&file) else {
                continue;
            };
            let size = photos::size(&blob);
            let id = chosen::add(inspection, "document", blob, name.clone());
            list.update(|l| l.push((id, "document", name, size)));
        }
    };
    let send = move |_| {
        let files = chosen::take(inspection);
        if files.is_empty() {
            return;
        }
        list.set(Vec::new());
        state.set(Upload::Sending(0.0));
        let key = crate::browser::random_key();
        let fields = vec![("inspection".to_owned(), inspection.to_string())];
        leptos::task::spawn_local(async move {
            let url = url.get_value();
            let progress = move |p| {
                let _ = state.try_set(Upload::Sending(p));
            };
            match send_queue::send_evidence(&url, &key, &fields, &files, progress).await {
                send_queue::Sent::Done => {
                    let _ = state.try_set(Upload::Sent);
                    let _ = reload.try_update(|n| *n += 1);
                }
                send_queue::Sent::Refused(error) => {
                    let _ = state.try_set(Upload::Refused(error.message));
                }
                send_queue::Sent::Retry(after) => {
                    send_queue::enqueue_evidence(sending, &url, &key, fields, &files, after).await;
                    let _ = state.try_set(Upload::Queued);
                }
            }
        });
    };
    let busy = move || matches!(state.get(), Upload::Preparing | Upload::Sending(_));
    view! {
        <div class="attach-evidence" id=format!("attach-evidence-{inspection}")>
            <h4>{move || td_string!(lang.get(), adm_evidence)}</h4>
            <p class="hint">{move || td_string!(lang.get(), adm_evidence_limits)}</p>
            <label class="button small file-button" for=photos_id.clone()>{move || td_string!(lang.get(), adm_evidence_photos)}</label>
            <input id=photos_id class="file-input evidence-photo-input" type="file" accept="image/*" capture="environment" multiple=true
                on:change=on_photos />
            <label class="button small file-button" for=documents_id.clone()>{move || td_string!(lang.get(), adm_evidence_documents)}</label>
            <input id=documents_id class="file-input evidence-document-input" type="file" accept="application/pdf,.pdf" multiple=true
                on:change=on_documents />
            <ul class="chosen-files">
                {move || list.get().into_iter().map(|(id, field, name, size)| view! {
                    <li data-field=field>
                        {name} " " <span class="muted">{human_size(size as u64)}</span> " "
                        <button type="button" class="link" on:click=move |_| {
                            chosen::remove(id);
                            list.update(|l| l.retain(|x| x.0 != id));
                        }>{move || td_string!(lang.get(), adm_evidence_remove)}</button>
                    </li>
                }).collect_view()}
            </ul>
            <button type="button" class="button primary send-evidence" disabled=move || busy() || list.with(Vec::is_empty)
                on:click=send>{move || td_string!(lang.get(), adm_evidence_send)}</button>
            <p class="evidence-status" role="status">{move || match state.get() {
                Upload::Idle | Upload::Preparing => String::new(),
                Upload::Sending(p) => format!("{} {:.0}%", td_string!(lang.get(), adm_evidence_sending), p * 100.0),
                Upload::Sent => td_string!(lang.get(), adm_evidence_sent).to_owned(),
                Upload::Queued => td_string!(lang.get(), adm_evidence_queued).to_owned(),
                Upload::Refused(why) => format!("{} {why}", td_string!(lang.get(), adm_evidence_refused)),
            }}</p>
            {move || {
                let n = sending.evidence_pending.get();
                (n > 0).then(|| view! {
                    <p class="notice evidence-waiting">{move || td!(lang.get(), adm_evidence_waiting, count = n.to_string())}</p>
                })
            }}
            {move || sending.evidence_refused.get().into_iter().map(|p| {
                let key = p.key.clone();
                view! {
                    <p class="field-error evidence-refused" role="alert">
                        {move || td_string!(lang.get(), adm_evidence_refused)} " " {p.refused.clone().unwrap_or_default()} " "
                        <button type="button" class="link" on:click=move |_| send_queue::drop_evidence(sending, &key)>
                            {move || td_string!(lang.get(), adm_evidence_dismiss)}</button>
                    </p>
                }
            }).collect_view()}
        </div>
    }
}
