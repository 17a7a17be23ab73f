//! The reporter's loop on `/track` (回访): the question staff asked and the
//! answer form (补充材料), the rating of a closed case (满意度回访), and
//! "the problem came back" (问题反弹) with the new case's code and secret.

use super::{Carry, Posted, escaped, refusal_view};
use crate::format::{local_time, rating_label};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::followup::{
    ANSWER_MAX_CHARS, COMMENT_MAX_CHARS, InfoRequest, MAX_ANSWER_PHOTOS, Rating, RatingView,
};
use shared::report::SubmitReceipt;

/// What staff asked, what was answered, and the form while a question waits.
#[component]
pub fn Questions(
    asked: Vec<InfoRequest>,
    open: bool,
    code: String,
    secret: String,
    posted: Posted,
) -> impl IntoView {
    let l = use_lang().get_untracked();
    (!asked.is_empty()).then(|| view! {
        <section class="followup questions" id="questions">
            <h2>{td_string!(l, ask_title)}</h2>
            <ol class="question-list">
                {asked.into_iter().map(|q| view! {
                    <li class="question" class:waiting=q.answer.is_none()>
                        <p class="muted small">{local_time(&q.asked_at)}</p>
                        <p class="question-text">{q.question.clone()}</p>
                        {q.answer.clone().map(|a| view! {
                            <p class="answer"><strong>{td_string!(l, ask_your_answer)}</strong> ": " {a}</p>
                        })}
                    </li>
                }).collect_view()}
            </ol>
            {open.then(|| view! {
                <form id="answer-form" method="post" action="/track">
                    <Carry code=code secret=secret intent="answer_info" />
                    <p class="hint">{td_string!(l, ask_hint)}</p>
                    <div class="field">
                        <label for="answer-text">{td_string!(l, ask_answer)}</label>
                        <textarea id="answer-text" name="answer" rows="4" required=true
                            maxlength=ANSWER_MAX_CHARS.to_string()
                            inner_html=escaped(&posted.typed("answer_info", "answer"))></textarea>
                    </div>
                    // Photos go with the answer when the page's script can
                    // make them small first (see `track.js`).
                    <div class="field js-only">
                        <label class="button small file-button" for="answer-photos">{td_string!(l, ask_photos)}</label>
                        <input id="answer-photos" class="file-input" type="file" accept="image/*" multiple=true
                            data-max=MAX_ANSWER_PHOTOS.to_string() />
                        <p class="hint" id="answer-photo-count">
                            {format!("{} 0/{MAX_ANSWER_PHOTOS}", td_string!(l, ask_photos_chosen))}
                        </p>
                    </div>
                    {refusal_view(posted.refusal(l, &["answer_info"]))}
                    <button type="submit" class="button primary" id="answer-submit">
                        {td_string!(l, ask_send)}
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
    posted: Posted,
) -> impl IntoView {
    let l = use_lang().get_untracked();
    match given {
        Some(r) => Some(
            view! {
                <section class="followup rating" id="rating" data-rating=r.rating.as_str()>
                    <h2>{td_string!(l, rating_title)}</h2>
                    <p>{td_string!(l, rating_given)} " "
                        <strong>{rating_label(l, r.rating)}</strong>
                        <span class="muted small">{format!(" · {}", local_time(&r.rated_at))}</span></p>
                    {r.comment.clone().map(|c| view! { <p class="muted">{c}</p> })}
                </section>
            }
            .into_any(),
        ),
        None if open => {
            let was = posted.typed("rate", "rating");
            Some(
                view! {
                    <form class="followup rating" id="rating-form" method="post" action="/track">
                        <Carry code=code secret=secret intent="rate" />
                        <h2>{td_string!(l, rating_title)}</h2>
                        <fieldset class="rating-choices">
                            <legend>{td_string!(l, rating_question)}</legend>
                            {Rating::ALL.into_iter().map(|r| view! {
                                <label class="choice">
                                    <input type="radio" name="rating" value=r.as_str() required=true
                                        checked=was == r.as_str() />
                                    " " {rating_label(l, r)}
                                </label>
                            }).collect_view()}
                        </fieldset>
                        <div class="field">
                            <label for="rating-comment">{td_string!(l, rating_comment)}</label>
                            <textarea id="rating-comment" name="comment" rows="3"
                                maxlength=COMMENT_MAX_CHARS.to_string()
                                inner_html=escaped(&posted.typed("rate", "comment"))></textarea>
                            <p class="hint">{td_string!(l, rating_private)}</p>
                        </div>
                        {refusal_view(posted.refusal(l, &["rate"]))}
                        <button type="submit" class="button primary" id="rating-submit">
                            {td_string!(l, rating_send)}
                        </button>
                    </form>
                }
                .into_any(),
            )
        }
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
    posted: Posted,
) -> impl IntoView {
    let l = use_lang().get_untracked();
    // A form sent again after its answer was lost carries the same key.
    let key = Some(posted.typed("came_back", "key"))
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| posted.came_back_key.clone());
    view! {
        {came_back_from.map(|from| view! {
            <p class="notice" id="came-back-from">{td_string!(l, came_back_from_note)} " " <strong>{from}</strong></p>
        })}
        {new_case.map(|r| view! {
            <section class="notice receipt-secret" id="came-back-receipt" role="status"
                data-code=r.tracking_code.clone() data-secret=r.secret.clone() data-url=r.track_url.clone()>
                <p>{td_string!(l, came_back_opened)}</p>
                <p>{td_string!(l, tracking_code_label)} " " <strong id="came-back-code">{r.tracking_code.clone()}</strong></p>
                <p>{td_string!(l, secret_label)} " " <code id="came-back-secret">{r.secret.clone()}</code></p>
                <p class="hint">{td_string!(l, secret_keep)}</p>
                <a class="button" href=r.track_url.clone()>{td_string!(l, came_back_follow)}</a>
            </section>
        })}
        {(!came_back_as.is_empty()).then(|| view! {
            <p class="muted" id="came-back-as">{td_string!(l, came_back_as_note)} " " {came_back_as.join(", ")}</p>
        })}
        {open.then(|| view! {
            <form class="followup came-back" id="came-back-form" method="post" action="/track">
                <Carry code=code secret=secret intent="came_back" />
                <input type="hidden" name="key" value=key />
                <h2>{td_string!(l, came_back_title)}</h2>
                <p class="hint">{td_string!(l, came_back_hint)}</p>
                <div class="field">
                    <label for="came-back-text">{td_string!(l, came_back_what)}</label>
                    <textarea id="came-back-text" name="description" rows="3" required=true minlength="5" maxlength="4000"
                        inner_html=escaped(&posted.typed("came_back", "description"))></textarea>
                </div>
                {named.then(|| view! {
                    <label class="check"><input type="checkbox" id="came-back-keep-name" name="keep_name" value="true"
                        checked=posted.typed("came_back", "keep_name") == "true" />
                        " " {td_string!(l, came_back_keep_name)}</label>
                })}
                {refusal_view(posted.refusal(l, &["came_back"]))}
                <button type="submit" class="button" id="came-back-submit">
                    {td_string!(l, came_back_button)}
                </button>
            </form>
        })}
    }
}
