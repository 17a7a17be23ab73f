//! The reporter's loop on `/track` (回访): the question staff asked and the
//! answer form (补充材料), the rating of a closed case (满意度回访), and
//! "the problem came back" (问题反弹) with the new case's code and secret.
//! Each posts a reporter action with the secret (`track::reporter_action`).

use super::track::{Lookup, reporter_action};
use crate::browser::photos::{self, Blob};
use crate::format::local_time;
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::followup::{
    ANSWER_MAX_CHARS, COMMENT_MAX_CHARS, InfoRequest, MAX_ANSWER_PHOTOS, Rating, RatingView,
};
use shared::report::SubmitReceipt;

pub fn rating_label(l: Locale, r: Rating) -> &'static str {
    match r {
        Rating::Satisfied => td_string!(l, rating_satisfied),
        Rating::BasicallySatisfied => td_string!(l, rating_basically_satisfied),
        Rating::Dissatisfied => td_string!(l, rating_dissatisfied),
    }
}

/// What staff asked, what was answered, and the form while a question waits.
#[component]
pub fn Questions(
    asked: Vec<InfoRequest>,
    open: bool,
    code: String,
    secret: String,
    result: RwSignal<Lookup>,
) -> impl IntoView {
    let lang = use_lang();
    let answer = RwSignal::new(String::new());
    // Photos prepared like a report's (resized before they leave), held in
    // the page's memory until sent.
    let chosen: StoredValue<Vec<Blob>, LocalStorage> = StoredValue::new_local(Vec::new());
    let count = RwSignal::new(0usize);
    let preparing = RwSignal::new(false);
    let upload_error = RwSignal::new(None::<String>);
    let uploading = RwSignal::new(false);
    let url = format!(
        "/api/v1/track/{}/actions",
        crate::browser::encode_component(&code)
    );
    let secret_kept = secret.clone();
    let send = reporter_action(code, secret, result);
    let error = move || {
        upload_error
            .get()
            .or_else(|| send.value().get().and_then(Result::err))
    };
    let busy = move || send.pending().get() || preparing.get() || uploading.get();
    let on_photos = move |ev: leptos::ev::Event| {
        let Some(files) = photos::take_chosen(&ev) else {
            return;
        };
        preparing.set(true);
        leptos::task::spawn_local(async move {
            for file in files.into_iter().take(MAX_ANSWER_PHOTOS) {
                let prepared = photos::prepare(&file).await;
                if chosen.with_value(Vec::len) < MAX_ANSWER_PHOTOS {
                    chosen.update_value(|c| c.push(prepared.blob));
                }
            }
            let _ = count.try_set(chosen.with_value(Vec::len));
            let _ = preparing.try_set(false);
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = answer.get_untracked();
        if chosen.with_value(Vec::is_empty) {
            send.dispatch_local(serde_json::json!({ "action": "answer_info", "answer": text }));
            return;
        }
        // With photos: a multipart form to the same action.
        let blobs = chosen.get_value();
        let (url, secret) = (url.clone(), secret_kept.clone());
        uploading.set(true);
        upload_error.set(None);
        leptos::task::spawn_local(async move {
            let fields = vec![
                ("action".to_owned(), "answer_info".to_owned()),
                ("answer".to_owned(), text),
            ];
            let sent = crate::browser::http::post_form(
                &url,
                &fields,
                &blobs,
                &[("X-Report-Secret", secret.as_str())],
                |_| {},
            )
            .await;
            let _ = uploading.try_set(false);
            match (
                sent.status,
                serde_json::from_str::<shared::report::TrackView>(&sent.body),
            ) {
                (200, Ok(view)) => {
                    chosen.set_value(Vec::new());
                    let _ = result.try_set(Lookup::Found(Box::new(view)));
                }
                _ => {
                    let message = sent
                        .error()
                        .map(|e| e.message)
                        .unwrap_or_else(|| td_string!(lang.get_untracked(), ask_failed).to_owned());
                    let _ = upload_error.try_set(Some(message));
                }
            }
        });
    };
    (!asked.is_empty()).then(|| view! {
        <section class="followup questions" id="questions">
            <h2>{move || td_string!(lang.get(), ask_title)}</h2>
            <ol class="question-list">
                {asked.into_iter().map(|q| view! {
                    <li class="question" class:waiting=q.answer.is_none()>
                        <p class="muted small">{local_time(&q.asked_at)}</p>
                        <p class="question-text">{q.question.clone()}</p>
                        {q.answer.clone().map(|a| view! {
                            <p class="answer"><strong>{move || td_string!(lang.get(), ask_your_answer)}</strong> ": " {a}</p>
                        })}
                    </li>
                }).collect_view()}
            </ol>
            {open.then(|| view! {
                <form id="answer-form" on:submit=submit>
                    <p class="hint">{move || td_string!(lang.get(), ask_hint)}</p>
                    <div class="field">
                        <label for="answer-text">{move || td_string!(lang.get(), ask_answer)}</label>
                        <textarea id="answer-text" rows="4" required=true maxlength=ANSWER_MAX_CHARS.to_string()
                            on:input=move |ev| answer.set(event_target_value(&ev))></textarea>
                    </div>
                    <div class="field">
                        <label class="button small file-button" for="answer-photos">{move || td_string!(lang.get(), ask_photos)}</label>
                        <input id="answer-photos" class="file-input" type="file" accept="image/*" multiple=true on:change=on_photos />
                        <p class="hint" id="answer-photo-count">{move || {
                            let l = lang.get();
                            format!("{} {}/{MAX_ANSWER_PHOTOS}", td_string!(l, ask_photos_chosen), count.get())
                        }}</p>
                    </div>
                    {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    <button type="submit" class="button primary" id="answer-submit" disabled=busy>
                        {move || td_string!(lang.get(), ask_send)}
                    </button>
                </form>
            })}
        </section>
    })
}

/// 回访: was the problem solved? The rating once given, or the form.
#[component]
pub fn Rate(
    given: Option<RatingView>,
    open: bool,
    code: String,
    secret: String,
    result: RwSignal<Lookup>,
) -> impl IntoView {
    let lang = use_lang();
    let chosen = RwSignal::new(None::<Rating>);
    let comment = RwSignal::new(String::new());
    let send = reporter_action(code, secret, result);
    let error = move || send.value().get().and_then(Result::err);
    let busy = send.pending();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(rating) = chosen.get_untracked() else {
            return;
        };
        let comment = Some(comment.get_untracked()).filter(|c| !c.trim().is_empty());
        send.dispatch_local(
            serde_json::json!({ "action": "rate", "rating": rating.as_str(), "comment": comment }),
        );
    };
    match given {
        Some(r) => Some(view! {
            <section class="followup rating" id="rating" data-rating=r.rating.as_str()>
                <h2>{move || td_string!(lang.get(), rating_title)}</h2>
                <p>{move || td_string!(lang.get(), rating_given)} " "
                    <strong>{move || rating_label(lang.get(), r.rating)}</strong>
                    <span class="muted small">{format!(" · {}", local_time(&r.rated_at))}</span></p>
                {r.comment.clone().map(|c| view! { <p class="muted">{c}</p> })}
            </section>
        }
        .into_any()),
        None if open => Some(view! {
            <form class="followup rating" id="rating-form" on:submit=submit>
                <h2>{move || td_string!(lang.get(), rating_title)}</h2>
                <fieldset class="rating-choices">
                    <legend>{move || td_string!(lang.get(), rating_question)}</legend>
                    {Rating::ALL.into_iter().map(|r| view! {
                        <label class="choice">
                            <input type="radio" name="rating" value=r.as_str() required=true
                                on:change=move |_| chosen.set(Some(r)) />
                            " " {move || rating_label(lang.get(), r)}
                        </label>
                    }).collect_view()}
                </fieldset>
                <div class="field">
                    <label for="rating-comment">{move || td_string!(lang.get(), rating_comment)}</label>
                    <textarea id="rating-comment" rows="3" maxlength=COMMENT_MAX_CHARS.to_string()
                        on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                    <p class="hint">{move || td_string!(lang.get(), rating_private)}</p>
                </div>
                {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                <button type="submit" class="button primary" id="rating-submit"
                    disabled=move || busy.get() || chosen.get().is_none()>
                    {move || td_string!(lang.get(), rating_send)}
                </button>
            </form>
        }
        .into_any()),
        None => None,
    }
}

/// 问题反弹: within 30 days of closing, the problem came back — a new case,
/// linked; its code and secret shown once, as on the receipt.
#[component]
pub fn CameBack(
    open: bool,
    /// The first report gave a name: the reporter may keep it on the new
    /// case (for a reward); anonymous otherwise.
    named: bool,
    new_case: Option<SubmitReceipt>,
    came_back_as: Vec<String>,
    came_back_from: Option<String>,
    code: String,
    secret: String,
    result: RwSignal<Lookup>,
) -> impl IntoView {
    let lang = use_lang();
    let description = RwSignal::new(String::new());
    let keep_name = RwSignal::new(false);
    // One key for this form: a retry after a lost answer opens no second case.
    let key = crate::browser::random_key();
    let send = super::track::reporter_action_keyed(code, secret, result, Some(key));
    let error = move || send.value().get().and_then(Result::err);
    let busy = send.pending();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send.dispatch_local(serde_json::json!({
            "action": "came_back", "description": description.get_untracked(),
            "keep_name": keep_name.get_untracked(),
        }));
    };
    view! {
        {came_back_from.map(|from| view! {
            <p class="notice" id="came-back-from">{move || td_string!(lang.get(), came_back_from_note)} " " <strong>{from.clone()}</strong></p>
        })}
        {new_case.map(|r| view! {
            <section class="notice receipt-secret" id="came-back-receipt" role="status">
                <p>{move || td_string!(lang.get(), came_back_opened)}</p>
                <p>{move || td_string!(lang.get(), tracking_code_label)} " " <strong id="came-back-code">{r.tracking_code.clone()}</strong></p>
                <p>{move || td_string!(lang.get(), secret_label)} " " <code id="came-back-secret">{r.secret.clone()}</code></p>
                <p class="hint">{move || td_string!(lang.get(), secret_keep)}</p>
                <a class="button" href=r.track_url.clone()>{move || td_string!(lang.get(), came_back_follow)}</a>
            </section>
        })}
        {(!came_back_as.is_empty()).then(|| view! {
            <p class="muted" id="came-back-as">{move || td_string!(lang.get(), came_back_as_note)} " " {came_back_as.join(", ")}</p>
        })}
        {open.then(|| view! {
            <form class="followup came-back" id="came-back-form" on:submit=submit>
                <h2>{move || td_string!(lang.get(), came_back_title)}</h2>
                <p class="hint">{move || td_string!(lang.get(), came_back_hint)}</p>
                <div class="field">
                    <label for="came-back-text">{move || td_string!(lang.get(), came_back_what)}</label>
                    <textarea id="came-back-text" rows="3" required=true minlength="5" maxlength="4000"
                        on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                </div>
                {named.then(|| view! {
                    <label class="check"><input type="checkbox" id="came-back-keep-name"
                        on:change=move |ev| keep_name.set(event_target_checked(&ev)) />
                        " " {move || td_string!(lang.get(), came_back_keep_name)}</label>
                })}
                {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                <button type="submit" class="button" id="came-back-submit" disabled=move || busy.get()>
                    {move || td_string!(lang.get(), came_back_button)}
                </button>
            </form>
        })}
    }
}
