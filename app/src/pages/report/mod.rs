//! The report form (举报表).
//!
//! The resident's `/report` is rendered on the server and worked by a
//! script of its own ([`page`]): no WebAssembly on a resident's phone.
//!
//! Staff keying in a report that came by phone, letter, visit or
//! inspection (代录, `/admin/intake`) use [`Report`], the same steps in the
//! console's app: the road it came by first, then category, photos,
//! documents, location, details and the caller's identity, open cases
//! nearby to say "me too" to, then the receipt to read out.

mod documents;
#[cfg(feature = "ssr")]
mod page;
mod problems;
mod receipt;
mod steps;

use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
pub use page::{ReportPage, SCRIPT};
pub use problems::Problem;
use shared::Role;
use shared::report::{
    Category, Channel, MAX_DESCRIPTION_CHARS, MIN_DESCRIPTION_CHARS, NearbyCase, Phone,
    SubmitReceipt,
};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocSource {
    /// The Geolocation API (with its accuracy).
    Device,
    /// A tap on the map or the pin dragged.
    Map,
    /// Typed into the coordinate fields.
    Typed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locating {
    Idle,
    Busy,
    Denied,
    Unavailable,
    Timeout,
    Unsupported,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PhotoItem {
    pub id: u32,
    /// An object URL of what will be uploaded; empty while it is prepared.
    pub url: String,
    pub ready: bool,
    /// The browser can show it (it could not decode some formats).
    pub preview: bool,
    pub gps: Option<(f64, f64)>,
    pub bytes: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Editing,
    /// Uploading; the fraction sent.
    Sending(f64),
    Done(Box<SubmitReceipt>),
}

/// The form's state, all signals (so it is `Copy` and can go anywhere).
#[derive(Clone, Copy)]
pub struct Form {
    /// The role of the member of staff filing it for a caller.
    pub for_caller: Role,
    /// The road it came in by (受理渠道).
    pub channel: RwSignal<Option<Channel>>,
    pub hydrated: RwSignal<bool>,
    /// Read by the server as it renders the page and sent inside it, so the
    /// list is there at the first paint and hydration finds it in place;
    /// fetched in the browser where the form first renders there (a link
    /// followed inside the console); `refetch` retries.
    pub categories: Resource<crate::public_api::Loaded<Vec<Category>>>,
    pub category: RwSignal<Option<Category>>,
    pub photos: RwSignal<Vec<PhotoItem>>,
    pub capture: RwSignal<bool>,
    pub lat: RwSignal<String>,
    pub lon: RwSignal<String>,
    pub accuracy: RwSignal<Option<f64>>,
    pub source: RwSignal<LocSource>,
    pub locating: RwSignal<Locating>,
    pub map_ok: RwSignal<Option<bool>>,
    pub tiles_failed: RwSignal<bool>,
    pub address: RwSignal<String>,
    pub description: RwSignal<String>,
    pub occurred: RwSignal<String>,
    pub answers: RwSignal<BTreeMap<String, Answer>>,
    pub real_name: RwSignal<bool>,
    pub name: RwSignal<String>,
    pub phone: RwSignal<String>,
    pub corroborates: RwSignal<Option<NearbyCase>>,
    pub problems: RwSignal<Vec<(String, Problem)>>,
    pub phase: RwSignal<Phase>,
    /// The idempotency key of this report (a new one after each receipt).
    pub key: RwSignal<String>,
    /// Documents brought in (staff only): (id, name, bytes).
    pub documents: RwSignal<Vec<(u32, String, f64)>>,
}

impl Form {
    fn new(for_caller: Role) -> Self {
        Form {
            for_caller,
            // A handler files only what they found on an inspection.
            channel: RwSignal::new((for_caller == Role::Handler).then_some(Channel::Inspection)),
            hydrated: RwSignal::new(false),
            categories: Resource::new(
                || (),
                |_| crate::public_api::get::<Vec<Category>>("/api/v1/categories".to_owned()),
            ),
            category: RwSignal::new(None),
            photos: RwSignal::new(Vec::new()),
            capture: RwSignal::new(false),
            lat: RwSignal::new(String::new()),
            lon: RwSignal::new(String::new()),
            accuracy: RwSignal::new(None),
            source: RwSignal::new(LocSource::Typed),
            locating: RwSignal::new(Locating::Idle),
            map_ok: RwSignal::new(None),
            tiles_failed: RwSignal::new(false),
            address: RwSignal::new(String::new()),
            description: RwSignal::new(String::new()),
            occurred: RwSignal::new(String::new()),
            answers: RwSignal::new(BTreeMap::new()),
            real_name: RwSignal::new(false),
            name: RwSignal::new(String::new()),
            phone: RwSignal::new(String::new()),
            corroborates: RwSignal::new(None),
            problems: RwSignal::new(Vec::new()),
            phase: RwSignal::new(Phase::Editing),
            key: RwSignal::new(String::new()),
            documents: RwSignal::new(Vec::new()),
        }
    }

    /// The number shown on the resident's step `n`: one more, since the
    /// first step is the road the report came by.
    pub fn step(&self, n: u8) -> u8 {
        n + 1
    }

    /// The coordinates typed, located or picked, if both parse and are in range.
    pub fn coords(&self) -> Option<(f64, f64)> {
        parse_coords(&self.lat.get(), &self.lon.get())
    }

    pub fn coords_untracked(&self) -> Option<(f64, f64)> {
        parse_coords(&self.lat.get_untracked(), &self.lon.get_untracked())
    }

    /// The first position found in a photo's EXIF.
    pub fn photo_position(&self) -> Option<(f64, f64)> {
        self.photos.with(|p| p.iter().find_map(|x| x.gps))
    }

    pub fn set_coords(&self, lat: f64, lon: f64, accuracy: Option<f64>, source: LocSource) {
        let _ = self.source.try_set(source);
        let _ = self.accuracy.try_set(accuracy);
        let _ = self.lat.try_set(format!("{lat:.6}"));
        let _ = self.lon.try_set(format!("{lon:.6}"));
        self.clear_problem("lat");
    }

    pub fn problem(&self, slot: &str) -> Option<Problem> {
        self.problems
            .with(|p| p.iter().find(|(s, _)| s == slot).map(|(_, p)| p.clone()))
    }

    pub fn clear_problem(&self, slot: &str) {
        if self
            .problems
            .with_untracked(|p| p.iter().any(|(s, _)| s == slot))
        {
            let _ = self.problems.try_update(|p| p.retain(|(s, _)| s != slot));
        }
    }

    pub fn editable(&self) -> bool {
        matches!(self.phase.get(), Phase::Editing)
    }

    /// Empties the form for the next report.
    fn reset(&self) {
        steps::forget_all_photos();
        documents::forget_all();
        self.documents.set(Vec::new());
        self.category.set(None);
        self.photos.set(Vec::new());
        self.lat.set(String::new());
        self.lon.set(String::new());
        self.accuracy.set(None);
        self.source.set(LocSource::Typed);
        self.locating.set(Locating::Idle);
        self.address.set(String::new());
        self.description.set(String::new());
        self.occurred.set(String::new());
        self.answers.set(BTreeMap::new());
        self.real_name.set(false);
        self.name.set(String::new());
        self.phone.set(String::new());
        self.corroborates.set(None);
        self.problems.set(Vec::new());
        self.phase.set(Phase::Editing);
        self.key.set(crate::browser::random_key());
        crate::browser::map::clear_pin();
    }
}

pub fn parse_coords(lat: &str, lon: &str) -> Option<(f64, f64)> {
    let lat: f64 = lat.trim().parse().ok()?;
    let lon: f64 = lon.trim().parse().ok()?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

/// The checks the browser can make before sending; the server makes them
/// all again.
fn validate(form: &Form) -> Vec<(String, Problem)> {
    let mut out = Vec::new();
    if form.channel.get_untracked().is_none() {
        out.push(("channel".to_owned(), Problem::Channel));
    }
    let category = form.category.get_untracked();
    if category.is_none() {
        out.push(("category".to_owned(), Problem::Category));
    }
    if form.photos.with_untracked(|p| p.iter().any(|x| !x.ready)) {
        out.push(("photo".to_owned(), Problem::PhotosBusy));
    }
    let has_coords = form.coords_untracked().is_some();
    let typed_half =
        !form.lat.get_untracked().trim().is_empty() || !form.lon.get_untracked().trim().is_empty();
    if !has_coords && typed_half {
        out.push(("lat".to_owned(), Problem::Coordinates));
    } else if !has_coords && form.photos.with_untracked(|p| p.is_empty()) {
        out.push(("lat".to_owned(), Problem::Location));
    }
    let chars = description_text(form).chars().count();
    if chars < MIN_DESCRIPTION_CHARS {
        out.push(("description".to_owned(), Problem::DescriptionShort));
    } else if chars > MAX_DESCRIPTION_CHARS {
        out.push(("description".to_owned(), Problem::DescriptionLong));
    }
    if !form.occurred.get_untracked().trim().is_empty()
        && crate::format::datetime_local_to_rfc3339(&form.occurred.get_untracked()).is_none()
    {
        out.push(("occurred_at".to_owned(), Problem::OccurredInvalid));
    }
    if let Some(c) = &category {
        let answers = form.answers.get_untracked();
        for q in c.questions.iter().filter(|q| q.required) {
            let answered = match answers.get(&q.code) {
                Some(Answer::One(s)) => !s.trim().is_empty(),
                Some(Answer::Many(v)) => !v.is_empty(),
                None => false,
            };
            if !answered {
                out.push((format!("answers.{}", q.code), Problem::AnswerRequired));
            }
        }
    }
    if form.real_name.get_untracked() {
        let name = form.name.get_untracked();
        if name.trim().is_empty() {
            out.push(("name".to_owned(), Problem::NameMissing));
        } else if name.trim().chars().count() > 50 {
            out.push(("name".to_owned(), Problem::NameLong));
        }
        if Phone::parse(&form.phone.get_untracked()).is_none() {
            out.push(("phone".to_owned(), Problem::Phone));
        }
    }
    out
}

/// The description as sent: with "地点：…" in front when a typed address
/// stands in for coordinates.
fn description_text(form: &Form) -> String {
    let description = form.description.get_untracked().trim().to_owned();
    let address = form.address.get_untracked().trim().to_owned();
    if !address.is_empty() && form.coords_untracked().is_none() {
        format!("地点：{address}\n{description}")
    } else {
        description
    }
}

/// The multipart text fields, in a fixed order (a retry must send the same).
fn fields(form: &Form) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: String| f.push((k.to_owned(), v));
    if let Some(c) = form.channel.get_untracked() {
        push("channel", c.as_str().to_owned());
    }
    if let Some(c) = form.category.get_untracked() {
        push("category", c.code.clone());
    }
    push("description", description_text(form));
    if let Some((lat, lon)) = form.coords_untracked() {
        push("lat", format!("{lat:.6}"));
        push("lon", format!("{lon:.6}"));
        if let (LocSource::Device, Some(a)) =
            (form.source.get_untracked(), form.accuracy.get_untracked())
        {
            push("accuracy", format!("{:.0}", a.clamp(0.0, 100_000.0)));
        }
    }
    if let Some(t) = crate::format::datetime_local_to_rfc3339(&form.occurred.get_untracked()) {
        push("occurred_at", t);
    }
    let questions = form
        .category
        .get_untracked()
        .map(|c| c.questions)
        .unwrap_or_default();
    let mut answers = serde_json::Map::new();
    for (code, answer) in form.answers.get_untracked() {
        let Some(q) = questions.iter().find(|q| q.code == code) else {
            continue;
        };
        let value = match answer {
            Answer::One(s) if s.trim().is_empty() => continue,
            Answer::One(s) if q.datatype == shared::report::Datatype::Datetime => {
                match crate::format::datetime_local_to_rfc3339(&s) {
                    Some(t) => serde_json::Value::String(t),
                    None => serde_json::Value::String(s),
                }
            }
            Answer::One(s) => serde_json::Value::String(s.trim().to_owned()),
            Answer::Many(v) if v.is_empty() => continue,
            Answer::Many(v) => {
                serde_json::Value::Array(v.into_iter().map(serde_json::Value::String).collect())
            }
        };
        answers.insert(code, value);
    }
    if !answers.is_empty() {
        push("answers", serde_json::Value::Object(answers).to_string());
    }
    if form.real_name.get_untracked() {
        push("name", form.name.get_untracked().trim().to_owned());
        push("phone", form.phone.get_untracked().trim().to_owned());
    }
    if let Some(c) = form.corroborates.get_untracked() {
        push("corroborates", c.tracking_code);
    }
    f
}

/// How far each photo is through an upload, from the share of the whole
/// request sent so far (the browser reports only that). The multipart
/// body carries the form's fields (`ahead` bytes) and then the photos in
/// order, so a photo has begun once the bytes before it have left.
/// Multipart's few hundred bytes of boundaries are left out: a photo's bar
/// may run a fraction of a percent ahead.
pub fn photo_progress(sent: f64, ahead: f64, sizes: &[f64]) -> Vec<f64> {
    let total = ahead + sizes.iter().sum::<f64>();
    let mut done = sent.clamp(0.0, 1.0) * total - ahead;
    sizes
        .iter()
        .map(|&size| {
            let share = if size > 0.0 {
                (done / size).clamp(0.0, 1.0)
            } else {
                1.0
            };
            done -= size;
            share
        })
        .collect()
}

/// The bytes the form's fields take in the upload, ahead of the photos.
fn fields_bytes(form: &Form) -> f64 {
    fields(form)
        .iter()
        .map(|(k, v)| (k.len() + v.len()) as f64)
        .sum()
}

/// `/admin/intake` as a lazy route: with the `hydrate` feature its view is
/// a wasm-split point, so the form's code is its own WebAssembly chunk that
/// the browser loads when the page is opened, not with the console.
pub struct ReportRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for ReportRoute {
    fn data() -> Self {
        ReportRoute
    }

    fn view(_route: Self) -> AnyView {
        match crate::pages::admin::use_staff().me().map(|me| me.role) {
            Some(role @ (Role::Admin | Role::Dispatcher | Role::Handler)) => {
                view! { <Report for_caller=role /> }.into_any()
            }
            _ => view! { <crate::pages::admin::AdminIntakeRefused /> }.into_any(),
        }
    }
}

/// Staff keying in a report that came by phone, letter, visit or
/// inspection (代录), with the filer's role: the resident's steps with the
/// road it came by first, sent to `/api/v1/cases/intake`; nothing is kept
/// on the device, and the receipt shows the secret to read out.
#[component]
pub fn Report(for_caller: Role) -> impl IntoView {
    let lang = use_lang();
    let form = Form::new(for_caller);

    // After hydration: a key for this report.
    Effect::new(move |_| {
        form.hydrated.set(true);
        if form.key.get_untracked().is_empty() {
            form.key.set(crate::browser::random_key());
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !matches!(form.phase.get_untracked(), Phase::Editing) || !form.hydrated.get_untracked() {
            return;
        }
        let found = validate(&form);
        if let Some((slot, _)) = found.first() {
            let target = problems::anchor(slot);
            form.problems.set(found);
            crate::browser::scroll_to(&target);
            return;
        }
        form.problems.set(Vec::new());
        send_for_caller(form);
    };
    let title = move || {
        let l = lang.get();
        match for_caller {
            Role::Handler => td_string!(l, page_inspection_found),
            _ => td_string!(l, page_intake),
        }
    };
    let lead = move || td_string!(lang.get(), intake_lead);

    let done = move || matches!(form.phase.get(), Phase::Done(_));

    view! {
        <crate::components::page_meta::PageMeta
            title=move || title().to_owned()
            description=move || lead().to_owned()
            path="/admin/intake".to_owned() />
        <div class="report-page intake-page">
            <h1>{title}</h1>
            <p class="lead" hidden=done>{lead}</p>
            <p class="notice nojs-only">{move || td_string!(lang.get(), report_nojs)}</p>
            <p class="notice js-loading" role="status" hidden=move || form.hydrated.get()>
                {move || td_string!(lang.get(), loading_app)}
            </p>
            {move || match form.phase.get() {
                Phase::Done(receipt) => view! { <receipt::CallerReceipt form=form receipt=*receipt /> }.into_any(),
                _ => ().into_any(),
            }}
            <form class="report-form" method="post" novalidate=true hidden=done on:submit=on_submit>
                <steps::ChannelStep form=form />
                <steps::CategoryStep form=form />
                <steps::PhotoStep form=form />
                <documents::IntakeDocuments form=form />
                <steps::LocationStep form=form />
                <steps::DetailsStep form=form />
                <steps::IdentityStep form=form />
                <steps::NearbyStep form=form />
                <steps::SubmitStep form=form />
            </form>
        </div>
    }
}

/// Sends a report keyed in by staff: at once or not at all. Nothing is kept
/// on a shared desk's browser (not the report, not the receipt): with no
/// answer the form stays as it was, to be sent again with the same key.
fn send_for_caller(form: Form) {
    use crate::send_queue::{self, Outcome};
    let key = form.key.get_untracked();
    let fields = fields(&form);
    let mut files: Vec<(String, crate::browser::photos::Blob, String)> = steps::photo_blobs(&form)
        .into_iter()
        .enumerate()
        .map(|(i, b)| ("photo".to_owned(), b, format!("photo-{}.jpg", i + 1)))
        .collect();
    files.extend(documents::files());
    form.phase.set(Phase::Sending(0.0));
    leptos::task::spawn_local(async move {
        let progress = move |p| {
            let _ = form.phase.try_set(Phase::Sending(p));
        };
        let outcome =
            send_queue::send_files_to("/api/v1/cases/intake", &key, &fields, &files, progress)
                .await;
        match outcome {
            Outcome::Done(receipt) => {
                let _ = form.phase.try_set(Phase::Done(Box::new(receipt)));
                crate::browser::scroll_to("main");
            }
            Outcome::Refused(status, error) => {
                let found = problems::from_api(status, &error);
                if let Some((slot, _)) = found.first() {
                    crate::browser::scroll_to(&problems::anchor(slot));
                }
                if found.iter().any(|(_, p)| *p == Problem::CorroboratesClosed) {
                    let _ = form.corroborates.try_set(None);
                }
                let _ = form.problems.try_set(found);
                let _ = form.phase.try_set(Phase::Editing);
            }
            Outcome::Retry => {
                let _ = form
                    .problems
                    .try_set(vec![("submit".to_owned(), Problem::NotSent)]);
                let _ = form.phase.try_set(Phase::Editing);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::photo_progress;

    #[test]
    fn each_photo_fills_once_the_bytes_before_it_have_left() {
        let sizes = [100.0, 300.0, 100.0];
        assert_eq!(photo_progress(0.0, 20.0, &sizes), vec![0.0, 0.0, 0.0]);
        // 20 bytes of fields, then 100 of the first photo and 30 of the second.
        let got = photo_progress(150.0 / 520.0, 20.0, &sizes);
        assert_eq!(got[0], 1.0);
        assert!((got[1] - 0.1).abs() < 1e-9, "{got:?}");
        assert_eq!(got[2], 0.0);
        assert_eq!(photo_progress(1.0, 20.0, &sizes), vec![1.0, 1.0, 1.0]);
        // The browser's share can overshoot or be missing; nothing overflows.
        assert_eq!(photo_progress(1.7, 0.0, &sizes), vec![1.0, 1.0, 1.0]);
        assert_eq!(photo_progress(-1.0, 0.0, &sizes), vec![0.0, 0.0, 0.0]);
        assert_eq!(photo_progress(0.5, 0.0, &[]), Vec::<f64>::new());
    }
}
