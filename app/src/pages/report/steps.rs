//! The steps of the report form.

use super::{Answer, Form, LocSource, Locating, Phase, PhotoItem};
use crate::browser::photos::{self, Blob};
use crate::components::icon::{Icon, icon_for};
use crate::i18n::*;
use crate::lang::use_lang;
use crate::markup::Markup;
use leptos::prelude::*;
use shared::Role;
use shared::report::{
    Category, CategoryGroup, Channel, Datatype, MAX_DESCRIPTION_CHARS, MAX_PHOTOS,
    MIN_DESCRIPTION_CHARS, NearbyCase, Question,
};

/// Banan District's centre (the district government, 鱼洞), for the map
/// before a position is known.
pub const BANAN_CENTRE: (f64, f64) = (29.3817, 106.5406);

fn zh(l: Locale) -> bool {
    l == Locale::zh_CN
}

/// A problem shown under its field.
#[component]
fn FieldProblem(form: Form, #[prop(into)] field: String) -> impl IntoView {
    let lang = use_lang();
    let slot_id = format!("err-{}", field.replace('.', "-"));
    move || {
        form.problem(&field).map(|p| {
            view! { <p class="field-error" id=slot_id.clone() role="alert">{p.text(lang.get())}</p> }
        })
    }
}

#[component]
pub(super) fn StepTitle(
    n: u8,
    #[prop(into)] title: Signal<String>,
    #[prop(optional, into)] note: Option<Signal<String>>,
) -> impl IntoView {
    view! {
        <h2 class="step-title">
            <span class="step-no" aria-hidden="true">{n}</span>
            <span>{title}</span>
            {note.map(|n| view! { <small class="step-note">{n}</small> })}
        </h2>
    }
}

// ------------------------------------------------------------ 0 channel (staff)

/// The road a report keyed in by staff came by (受理渠道): the hotlines, a
/// letter, a visit, the 12345 platform's work order, or an inspection. A
/// handler has one road, their own inspection.
#[component]
pub fn ChannelStep(form: Form) -> impl IntoView {
    let lang = use_lang();
    let roads: Vec<Channel> = match form.for_caller {
        Role::Handler => vec![Channel::Inspection],
        _ => Channel::FOR_CALLER.to_vec(),
    };
    let title = Signal::derive(move || td_string!(lang.get(), step_channel).to_owned());
    view! {
        <section class="step" id="step-channel" tabindex="-1">
            <StepTitle n=1 title=title />
            <fieldset class="choice-row channels">
                <legend class="visually-hidden">{move || td_string!(lang.get(), step_channel)}</legend>
                {roads.into_iter().map(|c| view! {
                    <label class="choice">
                        <input type="radio" name="channel" value=c.as_str() id=format!("channel-{}", c.as_str())
                            prop:checked=move || form.channel.get() == Some(c)
                            disabled=move || !form.editable()
                            on:change=move |_| {
                                form.channel.set(Some(c));
                                form.clear_problem("channel");
                            } />
                        <span>{move || if zh(lang.get()) { c.name_zh() } else { c.name_en() }}</span>
                    </label>
                }).collect_view()}
            </fieldset>
            <FieldProblem form=form field="channel" />
        </section>
    }
}

// ------------------------------------------------------------ 1 category

fn grouped(list: &[Category]) -> Vec<(CategoryGroup, Vec<Category>)> {
    let mut groups: Vec<(CategoryGroup, Vec<Category>)> = Vec::new();
    for c in list {
        match groups.iter_mut().find(|(g, _)| g.code == c.group.code) {
            Some((_, items)) => items.push(c.clone()),
            None => groups.push((c.group.clone(), vec![c.clone()])),
        }
    }
    groups
}

pub(super) fn choose(form: Form, c: Category) {
    let changed_group = form.category.with_untracked(|old| {
        old.as_ref()
            .map(|o| o.group.code != c.group.code)
            .unwrap_or(true)
    });
    form.answers.set(Default::default());
    if changed_group {
        form.corroborates.set(None);
    }
    form.category.set(Some(c));
    form.clear_problem("category");
    form.problems
        .update(|p| p.retain(|(s, _)| !s.starts_with("answers")));
    crate::browser::scroll_to("step-photos");
}

/// The categories, by group, as one piece of HTML. The server writes it into
/// the page and hydration adopts it whole (an `inner_html` is not walked),
/// with one click listener on the grid: as views, the 33 buttons and their
/// icons were about 190 ms more of one task on Lighthouse's phone (a CPU
/// four times slower), the largest part of the page's blocking time.
pub(super) fn grid_html(l: Locale, list: &[Category]) -> String {
    let mut m = Markup::with_capacity(list.len() * 900);
    for (group, items) in grouped(list) {
        let legend = if zh(l) { &group.name } else { &group.name_en };
        m.open("fieldset", &[("class", "cat-group")])
            .element("legend", &[], legend)
            .open("div", &[("class", "cat-grid")]);
        for c in items {
            let name = if zh(l) { &c.name } else { &c.name_en };
            m.open(
                "button",
                &[
                    ("type", "button"),
                    ("class", "category"),
                    ("data-code", &c.code),
                ],
            )
            .open("span", &[("class", "cat-icon")]);
            crate::components::icon::write_svg(&mut m, icon_for(&c.icon));
            m.close("span")
                .element("span", &[("class", "cat-name")], name);
            if c.rewardable {
                m.element(
                    "span",
                    &[("class", "reward-badge")],
                    td_string!(l, rewardable),
                );
            }
            m.close("button");
        }
        m.close("div").close("fieldset");
    }
    m.into_string()
}

#[component]
pub fn CategoryStep(form: Form) -> impl IntoView {
    let lang = use_lang();
    let title = Signal::derive(move || td_string!(lang.get(), step_category).to_owned());
    let chosen = move || {
        form.category.get().map(|c| {
            let l = lang.get();
            let name = if zh(l) { c.name.clone() } else { c.name_en.clone() };
            let group = if zh(l) { c.group.name.clone() } else { c.group.name_en.clone() };
            view! {
                <div class="chosen-category">
                    <span class="cat-icon"><Icon name=icon_for(&c.icon) /></span>
                    <span class="chosen-text">
                        <small>{group}</small>
                        <strong>{name}</strong>
                        {c.rewardable.then(|| view! { <span class="reward-badge">{td_string!(l, rewardable)}</span> })}
                    </span>
                    <button
                        type="button"
                        class="button small"
                        disabled=move || !form.editable()
                        on:click=move |_| form.category.set(None)
                    >
                        {td_string!(l, change)}
                    </button>
                </div>
            }
        })
    };
    let grid = move || {
        if form.category.with(|c| c.is_some()) {
            return ().into_any();
        }
        let l = lang.get();
        // `None` only while `Suspense` shows its fallback.
        match form.categories.get() {
            None => ().into_any(),
            Some(Err(_)) => view! {
                <p class="field-error">
                    {td_string!(l, categories_failed)} " "
                    <button type="button" class="button small" on:click=move |_| form.categories.refetch()>{td_string!(l, retry)}</button>
                </p>
            }
            .into_any(),
            Some(Ok(list)) => {
                let html = grid_html(l, &list);
                view! {
                    <div
                        class="cat-groups"
                        inner_html=html
                        on:click=move |ev| {
                            let code = crate::browser::clicked_attr(&ev, "button.category", "data-code");
                            if let Some(c) = code.and_then(|code| list.iter().find(|c| c.code == code)) {
                                choose(form, c.clone());
                            }
                        }
                    ></div>
                }
                .into_any()
            }
        }
    };
    view! {
        <section class="step" id="step-category" tabindex="-1">
            <StepTitle n=form.step(1) title=title />
            {chosen}
            <Suspense fallback=move || view! { <p class="muted js-only">{td_string!(lang.get(), loading_categories)}</p> }>
                {grid}
            </Suspense>
            <FieldProblem form=form field="category" />
        </section>
    }
}

// ------------------------------------------------------------ 2 photos

mod photo_store {
    use crate::browser::photos::Blob;
    use std::cell::{Cell, RefCell};

    thread_local! {
        pub static BLOBS: RefCell<Vec<(u32, Blob)>> = const { RefCell::new(Vec::new()) };
        pub static NEXT: Cell<u32> = const { Cell::new(1) };
    }
}

/// The prepared photos, in the order shown.
pub fn photo_blobs(form: &Form) -> Vec<Blob> {
    let ids: Vec<u32> = form
        .photos
        .with_untracked(|p| p.iter().filter(|x| x.ready).map(|x| x.id).collect());
    photo_store::BLOBS.with(|b| {
        let b = b.borrow();
        ids.iter()
            .filter_map(|id| {
                b.iter()
                    .find(|(i, _)| i == id)
                    .map(|(_, blob)| blob.clone())
            })
            .collect()
    })
}

pub fn forget_all_photos() {
    photo_store::BLOBS.with(|b| b.borrow_mut().clear());
}

fn forget_photo(form: Form, id: u32) {
    let url = form
        .photos
        .with_untracked(|p| p.iter().find(|x| x.id == id).map(|x| x.url.clone()));
    if let Some(url) = url {
        photos::revoke(&url);
    }
    photo_store::BLOBS.with(|b| b.borrow_mut().retain(|(i, _)| *i != id));
    form.photos.update(|p| p.retain(|x| x.id != id));
}

/// Takes the photos just chosen (the input is emptied, so that the same
/// photo can be chosen again after a removal) and prepares them.
fn add_photos(form: Form, ev: &leptos::ev::Event) {
    let Some(mut files) = photos::take_chosen(ev) else {
        return;
    };
    let room = MAX_PHOTOS.saturating_sub(form.photos.with_untracked(|p| p.len()));
    if files.len() > room {
        files.truncate(room);
        form.problems.update(|p| {
            p.retain(|(s, _)| s != "photo");
            p.push(("photo".to_owned(), super::Problem::PhotoTooMany));
        });
    } else {
        form.clear_problem("photo");
    }
    let mut queued = Vec::new();
    for file in files {
        let id = photo_store::NEXT.with(|n| {
            let id = n.get();
            n.set(id + 1);
            id
        });
        form.photos.update(|p| {
            p.push(PhotoItem {
                id,
                url: String::new(),
                ready: false,
                preview: false,
                gps: None,
                bytes: 0.0,
            })
        });
        queued.push((id, file));
    }
    // One at a time: decoding six 12-megapixel photos at once can exhaust a
    // cheap phone's memory.
    leptos::task::spawn_local(async move {
        for (id, file) in queued {
            if !form
                .photos
                .try_with_untracked(|p| p.iter().any(|x| x.id == id))
                .unwrap_or(false)
            {
                continue;
            }
            let prepared = photos::prepare(&file).await;
            let still_wanted = form
                .photos
                .try_with_untracked(|p| p.iter().any(|x| x.id == id))
                .unwrap_or(false);
            if !still_wanted {
                continue;
            }
            let url = photos::object_url(&prepared.blob).unwrap_or_default();
            let shown = prepared.decoded;
            let bytes = photos::size(&prepared.blob);
            photo_store::BLOBS.with(|b| b.borrow_mut().push((id, prepared.blob)));
            let _ = form.photos.try_update(|p| {
                if let Some(x) = p.iter_mut().find(|x| x.id == id) {
                    x.url = url;
                    x.ready = true;
                    x.preview = shown;
                    x.gps = prepared.gps;
                    x.bytes = bytes;
                }
            });
            let _ = form.problems.try_update(|p| {
                p.retain(|(s, pr)| !(s == "photo" && *pr == super::Problem::PhotosBusy))
            });
        }
    });
}

fn size_label(bytes: f64) -> String {
    if bytes >= 1024.0 * 1024.0 {
        format!("{:.1} MB", bytes / 1024.0 / 1024.0)
    } else {
        format!("{:.0} KB", (bytes / 1024.0).max(1.0))
    }
}

#[component]
pub fn PhotoStep(form: Form) -> impl IntoView {
    let lang = use_lang();
    let title = Signal::derive(move || td_string!(lang.get(), step_photos).to_owned());
    let note = Signal::derive(move || td_string!(lang.get(), step_photos_note).to_owned());
    let on_change = move |ev: leptos::ev::Event| add_photos(form, &ev);
    // While the report is sent: each sent photo's percentage, worked out
    // once per step of the upload for all the tiles (the photos that go
    // are the ready ones, in order).
    let upload = Memo::new(move |_| {
        let Phase::Sending(share) = form.phase.get() else {
            return None;
        };
        let (ids, sizes): (Vec<u32>, Vec<f64>) = form.photos.with_untracked(|ps| {
            ps.iter()
                .filter(|x| x.ready)
                .map(|x| (x.id, x.bytes))
                .unzip()
        });
        let shares = super::photo_progress(share, super::fields_bytes(&form), &sizes);
        Some(
            ids.into_iter()
                .zip(shares)
                .map(|(id, share)| (id, (share * 100.0).round() as u32))
                .collect::<Vec<(u32, u32)>>(),
        )
    });
    let tiles = move || {
        let l = lang.get();
        form.photos
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let id = p.id;
                let alt = format!("{} {}", td_string!(l, photo), i + 1);
                let body = if !p.ready {
                    view! { <span class="photo-busy">{td_string!(l, photo_preparing)}</span> }.into_any()
                } else if p.preview {
                    view! { <img src=p.url.clone() alt=alt.clone() /> }.into_any()
                } else {
                    view! { <span class="photo-busy">{format!("{alt} · {}", td_string!(l, photo_no_preview))}</span> }.into_any()
                };
                let meta = p.ready.then(|| {
                    let gps = p.gps.map(|_| {
                        view! {
                            <span class="photo-gps" title=td_string!(l, photo_has_location)>
                                <svg viewBox="0 0 24 24" width="12" height="12" aria-hidden="true" fill="none"
                                    stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round">
                                    <path d="M12 21s-6-5.5-6-11a6 6 0 0 1 12 0c0 5.5-6 11-6 11z" />
                                    <circle cx="12" cy="10" r="2" />
                                </svg>
                                <span class="visually-hidden">{td_string!(l, photo_has_location)}</span>
                            </span>
                        }
                    });
                    view! { <span class="photo-meta">{size_label(p.bytes)} {gps}</span> }
                });
                // While the report is sent: how far this photo is.
                let sent = move || {
                    let pct = upload.with(|u| {
                        u.as_ref()?.iter().find(|(x, _)| *x == id).map(|(_, pct)| *pct)
                    })?;
                    let l = lang.get();
                    let label = format!("{} {} · {pct}%", td_string!(l, photo), i + 1);
                    Some(view! {
                        <progress class="photo-progress" max="100" value=pct.to_string() aria-label=label></progress>
                    })
                };
                view! {
                    <li class="photo-tile">
                        {body}
                        {meta}
                        {sent}
                        <button
                            type="button"
                            class="photo-remove"
                            aria-label=format!("{} {alt}", td_string!(l, remove))
                            disabled=move || !form.editable()
                            on:click=move |_| forget_photo(form, id)
                        >
                            "×"
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    let full = move || form.photos.with(|p| p.len() >= MAX_PHOTOS);
    view! {
        <section class="step" id="step-photos" tabindex="-1">
            <StepTitle n=form.step(2) title=title note=note />
            <ul class="photo-grid">
                {tiles}
                <li class="photo-add-tile" hidden=full>
                    <label for="photos" class="photo-add">
                        <span class="plus" aria-hidden="true">"+"</span>
                        <span>{move || td_string!(lang.get(), add_photos)}</span>
                    </label>
                </li>
            </ul>
            <input
                type="file"
                id="photos"
                name="photo"
                class="file-input"
                accept="image/*"
                multiple=true
                capture=move || form.capture.get().then_some("environment")
                disabled=move || full() || !form.editable()
                on:change=on_change
            />
            <label class="check">
                <input
                    type="checkbox"
                    prop:checked=move || form.capture.get()
                    on:change=move |ev| form.capture.set(event_target_checked(&ev))
                />
                <span>{move || td_string!(lang.get(), use_camera)}</span>
            </label>
            <p class="hint">{move || td_string!(lang.get(), photos_hint)}</p>
            <FieldProblem form=form field="photo" />
        </section>
    }
}

// ------------------------------------------------------------ 3 location

fn locate(form: Form) {
    use crate::browser::geo::{self, GeoError};
    form.locating.set(Locating::Busy);
    leptos::task::spawn_local(async move {
        match geo::locate().await {
            Ok(fix) => {
                form.set_coords(fix.lat, fix.lon, Some(fix.accuracy_m), LocSource::Device);
                let _ = form.locating.try_set(Locating::Idle);
            }
            Err(e) => {
                let _ = form.locating.try_set(match e {
                    GeoError::Denied => Locating::Denied,
                    GeoError::Timeout => Locating::Timeout,
                    GeoError::Unsupported => Locating::Unsupported,
                    GeoError::Unavailable => Locating::Unavailable,
                });
            }
        }
    });
}

#[component]
pub fn LocationStep(form: Form) -> impl IntoView {
    let lang = use_lang();
    let title = Signal::derive(move || td_string!(lang.get(), step_location).to_owned());
    let map_el = NodeRef::<leptos::html::Div>::new();

    // Open the map once the page is live and the resident nears it (it is
    // far below the categories: loading Leaflet and drawing the map as the
    // form hydrated was 41 KB and a long task before anyone could see it);
    // close it when leaving.
    Effect::new(move |_| {
        let Some(el) = map_el.get() else {
            return;
        };
        let el: leptos::web_sys::HtmlElement = el.into();
        let near = el.clone();
        crate::browser::when_near(&near, move || {
            leptos::task::spawn_local(async move {
                use crate::browser::map;
                let centre = form.coords_untracked().unwrap_or(BANAN_CENTRE);
                let opened = map::open(
                    el,
                    centre,
                    if form.coords_untracked().is_some() {
                        16.0
                    } else {
                        12.0
                    },
                    move |lat, lon| form.set_coords(lat, lon, None, LocSource::Map),
                    move || {
                        let _ = form.tiles_failed.try_set(true);
                    },
                )
                .await;
                let _ = form.map_ok.try_set(Some(opened));
                if opened && let Some((lat, lon)) = form.coords_untracked() {
                    map::set_pin(lat, lon, form.accuracy.get_untracked());
                }
            })
        });
    });
    on_cleanup(crate::browser::map::close);

    // Keep the pin where the coordinates are (a tap on the map has
    // already moved it); else show the photo's position.
    Effect::new(move |_| {
        use crate::browser::map;
        let opened = form.map_ok.get() == Some(true);
        let coords = form.coords();
        let source = form.source.get();
        let accuracy = form.accuracy.get();
        let from_photo = form.photo_position();
        if !opened {
            return;
        }
        match (coords, from_photo) {
            (Some((lat, lon)), _) if source != LocSource::Map => map::set_pin(lat, lon, accuracy),
            (Some(_), _) => {}
            (None, Some((lat, lon))) => map::set_pin(lat, lon, None),
            (None, None) => map::clear_pin(),
        }
    });

    let status = move || {
        let l = lang.get();
        let text = match form.locating.get() {
            Locating::Busy => Some(td_string!(l, locating).into_any()),
            Locating::Denied => Some(td_string!(l, locate_denied).into_any()),
            Locating::Unavailable => Some(td_string!(l, locate_unavailable).into_any()),
            Locating::Timeout => Some(td_string!(l, locate_timeout).into_any()),
            Locating::Unsupported => Some(td_string!(l, locate_unsupported).into_any()),
            Locating::Idle => match (form.coords(), form.source.get(), form.accuracy.get()) {
                (Some(_), LocSource::Device, Some(a)) => {
                    Some(td!(l, located_accuracy, n = format!("{:.0}", a.max(1.0))).into_any())
                }
                (Some(_), LocSource::Map, _) => Some(td_string!(l, located_map).into_any()),
                (Some(_), _, _) => Some(td_string!(l, located_typed).into_any()),
                (None, _, _) => match (
                    form.photo_position(),
                    form.photos.with(|p| p.iter().any(|x| x.ready)),
                ) {
                    (Some(_), _) => Some(td_string!(l, location_from_photo).into_any()),
                    (None, true) => Some(td_string!(l, location_photo_maybe).into_any()),
                    (None, false) => None,
                },
            },
        };
        let warn = matches!(
            form.locating.get(),
            Locating::Denied | Locating::Unavailable | Locating::Timeout | Locating::Unsupported
        );
        text.map(|text| view! { <p class="loc-status" class:warn=warn role="status">{text}</p> })
    };
    let map_note = move || {
        let l = lang.get();
        match (form.map_ok.get(), form.tiles_failed.get()) {
            (Some(false), _) => td_string!(l, map_unavailable),
            (_, true) => td_string!(l, map_tiles_failed),
            _ => td_string!(l, map_hint),
        }
    };
    let on_coord = move |which: &'static str, value: String| {
        if which == "lat" {
            form.lat.set(value);
        } else {
            form.lon.set(value);
        }
        form.source.set(LocSource::Typed);
        form.accuracy.set(None);
        form.clear_problem("lat");
    };
    view! {
        <section class="step" id="step-location" tabindex="-1">
            <StepTitle n=form.step(3) title=title />
            <button
                type="button"
                id="locate"
                class="button locate"
                disabled=move || !form.hydrated.get() || form.locating.get() == Locating::Busy || !form.editable()
                on:click=move |_| locate(form)
            >
                <svg class="icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
                    <circle cx="12" cy="12" r="4" />
                    <path d="M12 2v3M12 19v3M2 12h3M19 12h3" />
                </svg>
                <span>{move || td_string!(lang.get(), use_my_location)}</span>
            </button>
            {status}
            <div
                class="map"
                node_ref=map_el
                role="application"
                aria-label=move || td_string!(lang.get(), map_label)
            ></div>
            <p class="hint">{map_note}</p>
            <div class="coords">
                <div class="field">
                    <label for="lat">{move || td_string!(lang.get(), latitude)}</label>
                    <input
                        id="lat"
                        name="lat"
                        type="text"
                        inputmode="decimal"
                        autocomplete="off"
                        prop:value=move || form.lat.get()
                        disabled=move || !form.editable()
                        on:input=move |ev| on_coord("lat", event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="lon">{move || td_string!(lang.get(), longitude)}</label>
                    <input
                        id="lon"
                        name="lon"
                        type="text"
                        inputmode="decimal"
                        autocomplete="off"
                        prop:value=move || form.lon.get()
                        disabled=move || !form.editable()
                        on:input=move |ev| on_coord("lon", event_target_value(&ev))
                    />
                </div>
            </div>
            <div class="field">
                <label for="address">{move || td_string!(lang.get(), address_label)}</label>
                <input
                    id="address"
                    type="text"
                    maxlength="200"
                    autocomplete="street-address"
                    placeholder=move || td_string!(lang.get(), address_placeholder)
                    prop:value=move || form.address.get()
                    disabled=move || !form.editable()
                    on:input=move |ev| form.address.set(event_target_value(&ev))
                />
                <p class="hint">{move || td_string!(lang.get(), address_hint)}</p>
            </div>
            <FieldProblem form=form field="lat" />
        </section>
    }
}

// ------------------------------------------------------------ 4 details

fn question_view(form: Form, q: Question, l: Locale) -> impl IntoView {
    let id = format!("q-{}", q.code);
    let label = if zh(l) {
        q.name.clone()
    } else {
        q.name_en.clone()
    };
    let code = q.code.clone();
    let slot = format!("answers.{}", q.code);
    let required = q
        .required
        .then(|| view! { <span class="req" title=td_string!(l, required)>"*"</span> });
    let value = {
        let code = code.clone();
        move || match form.answers.with(|a| a.get(&code).cloned()) {
            Some(Answer::One(s)) => s,
            _ => String::new(),
        }
    };
    let set_one = {
        let code = code.clone();
        let slot = slot.clone();
        move |v: String| {
            form.answers.update(|a| {
                a.insert(code.clone(), Answer::One(v));
            });
            form.clear_problem(&slot);
        }
    };
    let control = match q.datatype {
        Datatype::String => {
            let set_one = set_one.clone();
            view! {
                <input id=id.clone() type="text" maxlength="500" prop:value=value.clone() required=q.required
                    disabled=move || !form.editable()
                    on:input=move |ev| set_one(event_target_value(&ev)) />
            }
            .into_any()
        }
        Datatype::Number => {
            let set_one = set_one.clone();
            view! {
                <input id=id.clone() type="number" inputmode="decimal" step="any" prop:value=value.clone() required=q.required
                    disabled=move || !form.editable()
                    on:input=move |ev| set_one(event_target_value(&ev)) />
            }
            .into_any()
        }
        Datatype::Datetime => {
            let set_one = set_one.clone();
            view! {
                <input id=id.clone() type="datetime-local" prop:value=value.clone() required=q.required
                    disabled=move || !form.editable()
                    on:input=move |ev| set_one(event_target_value(&ev)) />
            }
            .into_any()
        }
        Datatype::Text => {
            let set_one = set_one.clone();
            view! {
                <textarea id=id.clone() rows="3" maxlength="500" prop:value=value.clone() required=q.required
                    disabled=move || !form.editable()
                    on:input=move |ev| set_one(event_target_value(&ev))></textarea>
            }
            .into_any()
        }
        Datatype::Singlevaluelist => {
            let set_one = set_one.clone();
            let options = q
                .values
                .iter()
                .map(|c| {
                    let key = c.key.clone();
                    let name = if zh(l) {
                        c.name.clone()
                    } else {
                        c.name_en.clone()
                    };
                    let value = value.clone();
                    let k2 = key.clone();
                    view! { <option value=key prop:selected=move || value() == k2>{name}</option> }
                })
                .collect_view();
            let value2 = value.clone();
            view! {
                <select id=id.clone() required=q.required disabled=move || !form.editable()
                    on:change=move |ev| set_one(event_target_value(&ev))>
                    <option value="" prop:selected=move || value2().is_empty()>{td_string!(l, choose_one)}</option>
                    {options}
                </select>
            }
            .into_any()
        }
        Datatype::Multivaluelist => {
            let boxes = q
                .values
                .iter()
                .map(|c| {
                    let key = c.key.clone();
                    let name = if zh(l) { c.name.clone() } else { c.name_en.clone() };
                    let code = code.clone();
                    let slot = slot.clone();
                    let k_checked = key.clone();
                    let code_checked = code.clone();
                    let checked = move || {
                        form.answers.with(|a| matches!(a.get(&code_checked), Some(Answer::Many(v)) if v.contains(&k_checked)))
                    };
                    view! {
                        <label class="check">
                            <input type="checkbox" value=key.clone() prop:checked=checked
                                disabled=move || !form.editable()
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    form.answers.update(|a| {
                                        let entry = a.entry(code.clone()).or_insert_with(|| Answer::Many(Vec::new()));
                                        if let Answer::One(_) = entry {
                                            *entry = Answer::Many(Vec::new());
                                        }
                                        if let Answer::Many(v) = entry {
                                            v.retain(|k| k != &key);
                                            if on {
                                                v.push(key.clone());
                                            }
                                        }
                                    });
                                    form.clear_problem(&slot);
                                } />
                            <span>{name}</span>
                        </label>
                    }
                })
                .collect_view();
            view! { <div class="checks" id=id.clone() role="group">{boxes}</div> }.into_any()
        }
    };
    let is_group = q.datatype == Datatype::Multivaluelist;
    let label_view = if is_group {
        view! { <p class="label">{label} {required}</p> }.into_any()
    } else {
        view! { <label for=id.clone()>{label} {required}</label> }.into_any()
    };
    view! {
        <div class="field question">
            {label_view}
            {control}
            <FieldProblem form=form field=slot.clone() />
        </div>
    }
}

#[component]
pub fn DetailsStep(form: Form) -> impl IntoView {
    let lang = use_lang();
    let title = Signal::derive(move || td_string!(lang.get(), step_details).to_owned());
    let count = move || form.description.with(|d| d.trim().chars().count());
    let counter = move || {
        let n = count();
        let l = lang.get();
        let text = format!("{n} / {MAX_DESCRIPTION_CHARS}");
        let hint = if n < MIN_DESCRIPTION_CHARS {
            td_string!(l, description_min)
        } else {
            ""
        };
        view! {
            <p class="counter" class:short=move || count() < MIN_DESCRIPTION_CHARS aria-live="polite">
                <span>{hint}</span>
                <span>{text}</span>
            </p>
        }
    };
    let questions = move || {
        let l = lang.get();
        let Some(c) = form.category.get() else {
            return ().into_any();
        };
        let mut qs = c.questions.clone();
        qs.sort_by_key(|q| q.order);
        qs.into_iter()
            .map(|q| question_view(form, q, l))
            .collect_view()
            .into_any()
    };
    view! {
        <section class="step" id="step-details" tabindex="-1">
            <StepTitle n=form.step(4) title=title />
            <div class="field">
                <label for="description">
                    {move || td_string!(lang.get(), description_label)}
                    <span class="req" title=move || td_string!(lang.get(), required)>"*"</span>
                </label>
                <textarea
                    id="description"
                    name="description"
                    rows="4"
                    maxlength="4000"
                    required=true
                    placeholder=move || td_string!(lang.get(), description_placeholder)
                    aria-describedby="description-counter"
                    prop:value=move || form.description.get()
                    disabled=move || !form.editable()
                    on:input=move |ev| {
                        form.description.set(event_target_value(&ev));
                        if count() >= MIN_DESCRIPTION_CHARS {
                            form.clear_problem("description");
                        }
                    }
                ></textarea>
                <div id="description-counter">{counter}</div>
                <FieldProblem form=form field="description" />
            </div>
            <div class="field">
                <label for="occurred_at">
                    {move || td_string!(lang.get(), occurred_label)}
                    <small class="optional">{move || td_string!(lang.get(), optional)}</small>
                </label>
                <input
                    id="occurred_at"
                    name="occurred_at"
                    type="datetime-local"
                    prop:value=move || form.occurred.get()
                    disabled=move || !form.editable()
                    on:input=move |ev| {
                        form.occurred.set(event_target_value(&ev));
                        form.clear_problem("occurred_at");
                    }
                />
                <p class="hint">{move || td_string!(lang.get(), occurred_hint)}</p>
                <FieldProblem form=form field="occurred_at" />
            </div>
            {questions}
            <FieldProblem form=form field="answers" />
        </section>
    }
}

// ------------------------------------------------------------ 5 identity

#[component]
pub fn IdentityStep(form: Form) -> impl IntoView {
    let lang = use_lang();
    let title = Signal::derive(move || td_string!(lang.get(), step_caller_identity).to_owned());
    view! {
        <section class="step" id="step-identity" tabindex="-1">
            <StepTitle n=form.step(5) title=title />
            <fieldset class="choice-row">
                <legend class="visually-hidden">{move || td_string!(lang.get(), step_identity)}</legend>
                <label class="choice">
                    <input type="radio" name="identity" value="anonymous" id="anonymous"
                        prop:checked=move || !form.real_name.get()
                        disabled=move || !form.editable()
                        on:change=move |_| form.real_name.set(false) />
                    <span>{move || td_string!(lang.get(), caller_anonymous)}</span>
                </label>
                <label class="choice">
                    <input type="radio" name="identity" value="real" id="real-name"
                        prop:checked=move || form.real_name.get()
                        disabled=move || !form.editable()
                        on:change=move |_| form.real_name.set(true) />
                    <span>{move || td_string!(lang.get(), caller_named)}</span>
                </label>
            </fieldset>
            <p class="privacy">{move || td_string!(lang.get(), caller_identity_explain)}</p>
            <div class="identity-fields" hidden=move || !form.real_name.get()>
                <div class="field">
                    <label for="name">{move || td_string!(lang.get(), name_label)}</label>
                    <input id="name" name="name" type="text" maxlength="50" autocomplete="name"
                        prop:value=move || form.name.get()
                        disabled=move || !form.editable()
                        on:input=move |ev| {
                            form.name.set(event_target_value(&ev));
                            form.clear_problem("name");
                        } />
                    <FieldProblem form=form field="name" />
                </div>
                <div class="field">
                    <label for="phone">{move || td_string!(lang.get(), phone_label)}</label>
                    <input id="phone" name="phone" type="tel" inputmode="numeric" maxlength="20" autocomplete="tel"
                        placeholder="13800138000"
                        prop:value=move || form.phone.get()
                        disabled=move || !form.editable()
                        on:input=move |ev| {
                            form.phone.set(event_target_value(&ev));
                            form.clear_problem("phone");
                        } />
                    <FieldProblem form=form field="phone" />
                </div>
            </div>
        </section>
    }
}

// ------------------------------------------------------------ nearby ("me too")

#[component]
pub fn NearbyStep(form: Form) -> impl IntoView {
    let lang = use_lang();

    // Open cases of the same kind nearby, asked again when the category or
    // the position changes (to about ten metres); the resource drops an
    // answer to a question that has since changed.
    let query = Memo::new(move |_| {
        let code = form.category.with(|c| c.as_ref().map(|c| c.code.clone()));
        let at = form.coords().or_else(|| form.photo_position());
        let (Some(code), Some((lat, lon))) = (code, at) else {
            return None;
        };
        Some(format!(
            "/api/v1/reports/nearby?category={}&lat={lat:.4}&lon={lon:.4}",
            crate::browser::encode_component(&code)
        ))
    });
    let nearby = LocalResource::new(move || {
        let query = query.get();
        async move {
            match query {
                Some(q) => crate::browser::http::get_json::<Vec<NearbyCase>>(&q, &[]).await,
                None => Ok(Vec::new()),
            }
        }
    });

    let list = move || {
        let l = lang.get();
        let chosen = form.corroborates.get();
        let cases = nearby.get().and_then(Result::ok).unwrap_or_default();
        cases
            .into_iter()
            .map(|c| {
                let name = if zh(l) { c.category_name.clone() } else { c.category_name_en.clone() };
                let meta = view! {
                    {td!(l, distance_m, n = c.distance_m)}
                    {format!(
                        " · {} · {}",
                        crate::format::local_date(&c.submitted_at),
                        crate::format::state_label(l, &c.state),
                    )}
                };
                // One or more: the plural is chosen here, not by leptos_i18n's
                // plurals, which would bring ICU's plural rules into the wasm.
                let others = match c.corroborations {
                    0 => None,
                    1 => Some(td_string!(l, one_other_reported).into_any()),
                    n => Some(td!(l, others_reported, n = n).into_any()),
                };
                let is_chosen = chosen.as_ref().is_some_and(|x| x.tracking_code == c.tracking_code);
                let code = c.tracking_code.clone();
                view! {
                    <li class="nearby-case" class:chosen=is_chosen>
                        <div>
                            <strong>{name}</strong>
                            <span class="case-no">{code}</span>
                            <small>{meta}</small>
                            {others.map(|o| view! { <small>{o}</small> })}
                        </div>
                        <button
                            type="button"
                            class="button small metoo"
                            aria-pressed=is_chosen.to_string()
                            disabled=move || !form.editable()
                            on:click=move |_| {
                                if is_chosen {
                                    form.corroborates.set(None);
                                } else {
                                    form.corroborates.set(Some(c.clone()));
                                }
                                form.clear_problem("corroborates");
                            }
                        >
                            {if is_chosen { td_string!(l, me_too_undo) } else { td_string!(l, me_too) }}
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    let has_any = move || {
        form.corroborates.with(|c| c.is_some())
            || nearby
                .get()
                .is_some_and(|r| r.is_ok_and(|list| !list.is_empty()))
            || form.problem("corroborates").is_some()
    };
    let chosen_note = move || {
        form.corroborates.get().map(|c| {
            let l = lang.get();
            view! {
                <p class="notice corroborate-note" role="status">
                    {td!(l, me_too_note, code = c.tracking_code.clone())}
                </p>
            }
        })
    };
    view! {
        <section class="step nearby" id="step-nearby" tabindex="-1" hidden=move || !has_any()>
            <h2 class="step-title">
                <span class="step-no" aria-hidden="true">"!"</span>
                <span>{move || td_string!(lang.get(), nearby_title)}</span>
            </h2>
            <p class="hint">{move || td_string!(lang.get(), nearby_explain)}</p>
            <ul class="nearby-list">{list}</ul>
            {chosen_note}
            <FieldProblem form=form field="corroborates" />
        </section>
    }
}

// ------------------------------------------------------------ submit

#[component]
pub fn SubmitStep(form: Form) -> impl IntoView {
    let lang = use_lang();
    let progress = move || match form.phase.get() {
        Phase::Sending(p) => {
            let pct = (p * 100.0).round() as u32;
            let l = lang.get();
            let text = if pct >= 100 {
                td_string!(l, processing).into_any()
            } else {
                td!(l, uploading, n = pct).into_any()
            };
            Some(view! {
                <div class="upload" role="status">
                    <progress max="100" value=pct.to_string()>{format!("{pct}%")}</progress>
                    <span>{text}</span>
                </div>
            })
        }
        _ => None,
    };
    let busy = move || !form.hydrated.get() || !form.editable();
    view! {
        <div class="submit-area" id="submit-area">
            <FieldProblem form=form field="submit" />
            {progress}
            <button type="submit" id="submit" class="button primary big" disabled=busy>
                {move || match form.phase.get() {
                    Phase::Sending(_) => td_string!(lang.get(), sending),
                    _ => td_string!(lang.get(), submit_report),
                }}
            </button>
            <p class="hint">{move || td_string!(lang.get(), submit_hint)}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::report::CategoryGroup;

    fn category(code: &str, group: &str, name: &str, rewardable: bool) -> Category {
        Category {
            code: code.to_owned(),
            group: CategoryGroup {
                code: group.to_owned(),
                name: format!("{group}组"),
                name_en: format!("{group} group"),
            },
            name: name.to_owned(),
            name_en: format!("{name} (en)"),
            icon: "noise".to_owned(),
            rewardable,
            questions: Vec::new(),
        }
    }

    #[test]
    fn the_category_grid_escapes_what_an_administrator_named() {
        let list = [
            category("a\"b", "g1", "<script>alert('x')</script>", true),
            category("c", "g1", "噪声 & 振动", false),
            category("d", "<g2>", "扬尘", false),
        ];
        let html = grid_html(Locale::zh_CN, &list);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"));
        assert!(html.contains(r#"data-code="a&quot;b""#));
        assert!(html.contains("噪声 &amp; 振动"));
        assert!(html.contains("<legend>&lt;g2&gt;组</legend>"));
        // Two groups in the order first met; the reward badge once.
        assert_eq!(html.matches("<fieldset").count(), 2);
        assert_eq!(html.matches("reward-badge").count(), 1);
        assert_eq!(
            html.matches(r#"<button type="button" class="category""#)
                .count(),
            3
        );
        let en = grid_html(Locale::en, &list);
        assert!(en.contains("扬尘 (en)") && en.contains("g1 group"));
    }
}
