//! `/report` as the resident gets it: finished HTML and one inline script,
//! no WebAssembly (see `crate::delivery`).
//!
//! The hydrated form cost a phone about 450 KB of WebAssembly before its
//! first tap could do anything; this page is the same form, written whole
//! by the server (every category, and every category's questions, each
//! shown when its category is chosen), and [`SCRIPT`] does what needs the
//! browser: the photos made small, the location and the map, the open
//! cases nearby, the checks before sending, the upload with each photo's
//! progress, the reports kept on the phone while there is no network, and
//! the receipt. It sends to the same API as the hydrated form did, with the
//! same fields and idempotency key, and keeps its waiting reports in the
//! same place, so a phone that queued a report before this page still
//! sends it.
//!
//! The staff's form (代录, `/admin/intake`) stays in the console's app
//! ([`super::Report`] with `for_caller`).

use super::steps::{StepTitle, grid_html};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::report::{
    Category, Datatype, MAX_DESCRIPTION_CHARS, MAX_PHOTOS, MIN_DESCRIPTION_CHARS, Question,
};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// The page's script: its parts, in one scope, inline under the page's CSP
/// nonce after the form it works on.
pub const SCRIPT: &str = concat!(
    "(() => {\n\"use strict\";\n",
    include_str!("../keep_offline.js"),
    "\n",
    include_str!("script/photos.js"),
    "\n",
    include_str!("script/outbox.js"),
    "\n",
    include_str!("script/map.js"),
    "\n",
    include_str!("script/form.js"),
    "\n})();\n"
);

/// The words the script shows, by their keys in `locales/*.json`: sent in
/// the page, in its language, so that the script has none of its own.
pub const SCRIPT_TEXTS: &[&str] = &[
    "add_photos",
    "cancel_sending",
    "change",
    "copied",
    "copy_failed",
    "copy_link",
    "description_min",
    "dismiss",
    "distance_m",
    "err_answer_invalid",
    "err_answer_required",
    "err_category",
    "err_coordinates",
    "err_corroborates",
    "err_corroborates_closed",
    "err_description_long",
    "err_description_short",
    "err_location",
    "err_location_outside",
    "err_name_long",
    "err_name_missing",
    "err_occurred_future",
    "err_occurred_invalid",
    "err_occurred_old",
    "err_phone",
    "err_phone_missing",
    "err_photo_invalid",
    "err_photo_too_large",
    "err_photo_too_many",
    "err_photo_unsupported",
    "err_photos_busy",
    "err_rate_limited",
    "err_server",
    "locate_denied",
    "locate_timeout",
    "locate_unavailable",
    "locate_unsupported",
    "located_accuracy",
    "located_map",
    "located_typed",
    "locating",
    "location_from_photo",
    "location_photo_maybe",
    "map_hint",
    "map_tiles_failed",
    "map_unavailable",
    "me_too",
    "me_too_note",
    "me_too_undo",
    "not_stored",
    "one_other_reported",
    "others_reported",
    "pending_count",
    "photo",
    "photo_has_location",
    "photo_no_preview",
    "photo_preparing",
    "processing",
    "queued_explain",
    "receipt_corroborated",
    "receipt_location_from_photo",
    "receipt_notify_on_track",
    "receipt_saved_here",
    "receipt_secret_once",
    "receipt_title",
    "receipt_track",
    "refused_title",
    "remove",
    "report_another",
    "rewardable",
    "sending",
    "sent_in_background",
    // The states of the open cases nearby, by their names in the API.
    "state_accepted",
    "state_closed",
    "state_investigating",
    "state_merged",
    "state_rejected",
    "state_reply_review",
    "state_submitted",
    "submit_report",
    "tracking_code_label",
    "uploading",
    "waiting_network",
];

/// Every text of a locale, by key.
fn locale_texts(l: Locale) -> &'static BTreeMap<String, String> {
    static ZH: LazyLock<BTreeMap<String, String>> =
        LazyLock::new(|| parse_locale(include_str!("../../../locales/zh-CN.json")));
    static EN: LazyLock<BTreeMap<String, String>> =
        LazyLock::new(|| parse_locale(include_str!("../../../locales/en.json")));
    if l == Locale::zh_CN { &ZH } else { &EN }
}

fn parse_locale(json: &str) -> BTreeMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The script's words as JSON, for an attribute of the page (escaped as
/// any attribute is): made once per language, not on every render.
pub fn script_texts(l: Locale) -> &'static str {
    fn made(l: Locale) -> String {
        let all = locale_texts(l);
        let chosen: BTreeMap<&str, &str> = SCRIPT_TEXTS
            .iter()
            .map(|k| (*k, all.get(*k).map(String::as_str).unwrap_or_default()))
            .collect();
        serde_json::to_string(&chosen).unwrap_or_else(|_| "{}".to_owned())
    }
    static ZH: LazyLock<String> = LazyLock::new(|| made(Locale::zh_CN));
    static EN: LazyLock<String> = LazyLock::new(|| made(Locale::en));
    if l == Locale::zh_CN { &ZH } else { &EN }
}

/// The categories, as the API lists them to the public.
async fn categories() -> Arc<Vec<Category>> {
    crate::public_api::get_shared::<Vec<Category>>("/api/v1/categories".to_owned())
        .await
        .unwrap_or_default()
}

fn zh(l: Locale) -> bool {
    l == Locale::zh_CN
}

/// The resident's report form, for the server to render.
#[component]
pub fn ReportPage() -> impl IntoView {
    let l = use_lang().get_untracked();
    // The category grid and the questions draw the same catalogue: read once.
    let categories = AsyncDerived::new(categories);
    view! {
        <crate::components::page_meta::PageMeta
            title=move || td_string!(l, page_report).to_owned()
            description=move || td_string!(l, report_lead).to_owned()
            path="/report".to_owned() />
        // The words the script shows, in the page's language (see
        // `SCRIPT_TEXTS`), so that the script has none of its own.
        <div class="report-page" id="report-page" data-texts=script_texts(l)>
            // The reports kept on this phone: waiting, refused when they
            // were sent again, or sent in the background (the script).
            <div id="outbox-notes"></div>
            <h1>{td_string!(l, page_report)}</h1>
            <p class="lead">{td_string!(l, report_lead)}</p>
            <p class="notice nojs-only">{td_string!(l, report_nojs)}</p>
            // The receipt, written here by the script.
            <div id="receipt-slot"></div>
            <form class="report-form" id="report-form" method="post" novalidate=true>
                <section class="step" id="step-category" tabindex="-1">
                    <StepTitle n=1 title=td_string!(l, step_category).to_owned() />
                    <div class="chosen-slot"></div>
                    <Suspense>{Suspend::new(async move {
                        let list = categories.await;
                        if list.is_empty() {
                            // The catalogue could not be read: said, with the
                            // way to try again, rather than an empty step.
                            return view! {
                                <p class="field-error" role="alert">
                                    {td_string!(l, categories_failed)} " "
                                    <a href="/report">{td_string!(l, retry)}</a>
                                </p>
                            }
                            .into_any();
                        }
                        view! { <div class="cat-groups" inner_html=grid_html(l, &list)></div> }.into_any()
                    })}</Suspense>
                </section>
                <PhotoStep l=l />
                <LocationStep l=l />
                <section class="step" id="step-details" tabindex="-1">
                    <StepTitle n=4 title=td_string!(l, step_details).to_owned() />
                    <div class="field">
                        <label for="description">
                            {td_string!(l, description_label)}
                            <span class="req" title=td_string!(l, required)>"*"</span>
                        </label>
                        <textarea id="description" name="description" rows="4" maxlength="4000" required=true
                            data-min=MIN_DESCRIPTION_CHARS.to_string() data-max=MAX_DESCRIPTION_CHARS.to_string()
                            placeholder=td_string!(l, description_placeholder)
                            aria-describedby="description-counter"></textarea>
                        <div id="description-counter">
                            <p class="counter short" aria-live="polite">
                                <span>{td_string!(l, description_min)}</span>
                                <span>{format!("0 / {MAX_DESCRIPTION_CHARS}")}</span>
                            </p>
                        </div>
                    </div>
                    <div class="field">
                        <label for="occurred_at">
                            {td_string!(l, occurred_label)}
                            <small class="optional">{td_string!(l, optional)}</small>
                        </label>
                        <input id="occurred_at" name="occurred_at" type="datetime-local" />
                        <p class="hint">{td_string!(l, occurred_hint)}</p>
                    </div>
                    <Suspense>{Suspend::new(async move {
                        let list = categories.await;
                        questions(l, &list)
                    })}</Suspense>
                </section>
                <IdentityStep l=l />
                <section class="step nearby" id="step-nearby" tabindex="-1" hidden=true>
                    <h2 class="step-title">
                        <span class="step-no" aria-hidden="true">"!"</span>
                        <span>{td_string!(l, nearby_title)}</span>
                    </h2>
                    <p class="hint">{td_string!(l, nearby_explain)}</p>
                    <ul class="nearby-list"></ul>
                    <div class="nearby-note"></div>
                </section>
                <div class="submit-area" id="submit-area">
                    <div class="send-status"></div>
                    // Live once the script is: without it nothing could send
                    // the photos made small, nor keep a report offline.
                    <button type="submit" id="submit" class="button primary big" disabled=true>
                        {td_string!(l, submit_report)}
                    </button>
                    <p class="hint">{td_string!(l, submit_hint)}</p>
                </div>
            </form>
        </div>
    }
}

#[component]
fn PhotoStep(l: Locale) -> impl IntoView {
    view! {
        <section class="step" id="step-photos" tabindex="-1" data-max=MAX_PHOTOS.to_string()>
            <StepTitle n=2 title=td_string!(l, step_photos).to_owned() note=td_string!(l, step_photos_note).to_owned() />
            <ul class="photo-grid">
                <li class="photo-add-tile">
                    <label for="photos" class="photo-add">
                        <span class="plus" aria-hidden="true">"+"</span>
                        <span>{td_string!(l, add_photos)}</span>
                    </label>
                </li>
            </ul>
            <input type="file" id="photos" name="photo" class="file-input" accept="image/*" multiple=true />
            <label class="check">
                <input type="checkbox" id="use-camera" />
                <span>{td_string!(l, use_camera)}</span>
            </label>
            <p class="hint">{td_string!(l, photos_hint)}</p>
        </section>
    }
}

#[component]
fn LocationStep(l: Locale) -> impl IntoView {
    view! {
        <section class="step" id="step-location" tabindex="-1">
            <StepTitle n=3 title=td_string!(l, step_location).to_owned() />
            <button type="button" id="locate" class="button locate" disabled=true>
                <svg class="icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
                    <circle cx="12" cy="12" r="4" />
                    <path d="M12 2v3M12 19v3M2 12h3M19 12h3" />
                </svg>
                <span>{td_string!(l, use_my_location)}</span>
            </button>
            <p class="loc-status" role="status" hidden=true></p>
            <div class="map" id="report-map" role="application" aria-label=td_string!(l, map_label)></div>
            <p class="hint map-note">{td_string!(l, map_hint)}</p>
            <div class="coords">
                <div class="field">
                    <label for="lat">{td_string!(l, latitude)}</label>
                    <input id="lat" name="lat" type="text" inputmode="decimal" autocomplete="off" />
                </div>
                <div class="field">
                    <label for="lon">{td_string!(l, longitude)}</label>
                    <input id="lon" name="lon" type="text" inputmode="decimal" autocomplete="off" />
                </div>
            </div>
            <div class="field">
                <label for="address">{td_string!(l, address_label)}</label>
                <input id="address" type="text" maxlength="200" autocomplete="street-address"
                    placeholder=td_string!(l, address_placeholder) />
                <p class="hint">{td_string!(l, address_hint)}</p>
            </div>
        </section>
    }
}

#[component]
fn IdentityStep(l: Locale) -> impl IntoView {
    view! {
        <section class="step" id="step-identity" tabindex="-1">
            <StepTitle n=5 title=td_string!(l, step_identity).to_owned() />
            <fieldset class="choice-row">
                <legend class="visually-hidden">{td_string!(l, step_identity)}</legend>
                <label class="choice">
                    <input type="radio" name="identity" value="anonymous" id="anonymous" checked=true />
                    <span>{td_string!(l, anonymous)}</span>
                </label>
                <label class="choice">
                    <input type="radio" name="identity" value="real" id="real-name" />
                    <span>{td_string!(l, real_name)}</span>
                </label>
            </fieldset>
            <p class="privacy">{td_string!(l, identity_explain)}</p>
            <div class="identity-fields" hidden=true>
                <div class="field">
                    <label for="name">{td_string!(l, name_label)}</label>
                    <input id="name" name="name" type="text" maxlength="50" autocomplete="name" />
                </div>
                <div class="field">
                    <label for="phone">{td_string!(l, phone_label)}</label>
                    <input id="phone" name="phone" type="tel" inputmode="numeric" maxlength="20" autocomplete="tel"
                        placeholder="13800138000" />
                </div>
            </div>
        </section>
    }
}

/// Every category's questions, each category's in a group the script
/// shows when that category is chosen. A control's `data-code` is the
/// question's code, its `data-type` how its answer is sent.
fn questions(l: Locale, list: &Arc<Vec<Category>>) -> impl IntoView + use<> {
    list.iter()
        .filter(|c| !c.questions.is_empty())
        .map(|c| {
            let mut qs = c.questions.clone();
            qs.sort_by_key(|q| q.order);
            view! {
                <div class="questions" data-category=c.code.clone() hidden=true>
                    {qs.into_iter().map(|q| question(l, &c.code, q)).collect_view()}
                </div>
            }
        })
        .collect_view()
}

/// A question's control is `q-{category}-{code}`: two categories may ask
/// a question of the same code, and every category's are in the page.
fn question(l: Locale, category: &str, q: Question) -> impl IntoView + use<> {
    let id = format!("q-{category}-{}", q.code);
    let label = if zh(l) {
        q.name.clone()
    } else {
        q.name_en.clone()
    };
    let required = q
        .required
        .then(|| view! { <span class="req" title=td_string!(l, required)>"*"</span> });
    let kind = q.datatype.as_str();
    let named = |name: &str, name_en: &str| {
        if zh(l) {
            name.to_owned()
        } else {
            name_en.to_owned()
        }
    };
    let control = match q.datatype {
        Datatype::String => view! {
            <input id=id.clone() type="text" maxlength="500" required=q.required />
        }
        .into_any(),
        Datatype::Number => view! {
            <input id=id.clone() type="number" inputmode="decimal" step="any" required=q.required />
        }
        .into_any(),
        Datatype::Datetime => view! {
            <input id=id.clone() type="datetime-local" required=q.required />
        }
        .into_any(),
        Datatype::Text => view! {
            <textarea id=id.clone() rows="3" maxlength="500" required=q.required></textarea>
        }
        .into_any(),
        Datatype::Singlevaluelist => view! {
            <select id=id.clone() required=q.required>
                <option value="">{td_string!(l, choose_one)}</option>
                {q.values.iter().map(|c| view! { <option value=c.key.clone()>{named(&c.name, &c.name_en)}</option> }).collect_view()}
            </select>
        }
        .into_any(),
        Datatype::Multivaluelist => view! {
            <div class="checks" id=id.clone() role="group">
                {q.values.iter().map(|c| view! {
                    <label class="check">
                        <input type="checkbox" value=c.key.clone() />
                        <span>{named(&c.name, &c.name_en)}</span>
                    </label>
                }).collect_view()}
            </div>
        }
        .into_any(),
    };
    let label_view = if q.datatype == Datatype::Multivaluelist {
        view! { <p class="label">{label} {required}</p> }.into_any()
    } else {
        view! { <label for=id.clone()>{label} {required}</label> }.into_any()
    };
    view! {
        <div class="field question" data-code=q.code.clone() data-type=kind data-required=q.required.to_string()>
            {label_view}
            {control}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_the_script_shows_is_sent_in_both_languages() {
        for key in SCRIPT_TEXTS {
            for l in [Locale::zh_CN, Locale::en] {
                assert!(
                    locale_texts(l).get(*key).is_some_and(|t| !t.is_empty()),
                    "{key} missing in {l:?}"
                );
            }
        }
        // And nothing the script asks for is left out (it names each text
        // whole, `T("…")`, so that this finds them all).
        let asked: Vec<&str> = SCRIPT
            .split("T(\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(!asked.is_empty());
        for key in asked {
            assert!(SCRIPT_TEXTS.contains(&key), "the script asks for {key}");
        }
    }

    #[test]
    fn the_texts_are_json_and_the_script_cannot_end_its_element() {
        let json = script_texts(Locale::en);
        let parsed: BTreeMap<String, String> = serde_json::from_str(json).unwrap();
        assert_eq!(parsed.len(), SCRIPT_TEXTS.len());
        // Nothing that would end or unbalance the inline script's element.
        let lower = SCRIPT.to_ascii_lowercase();
        assert!(!lower.contains("</script") && !lower.contains("<!--"));
    }
}
