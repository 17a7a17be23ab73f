//! 督办: the supervision queue of dissatisfied ratings (`/admin/supervision`),
//! where reviewers record what was done about each; and the reporter's loop
//! as a case page shows it (questions and answers, the rating, the linked
//! cases). The comment and the answers are the reporter's words: staff
//! read them here, the public never.

use super::{load, say, settings::is_admin};
use crate::format::{local_time, named, rating_label};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use leptos_router::components::A;
use shared::Role;
use shared::followup::{InfoRequest, RatingView, SupervisionHandle, SupervisionItem};

/// The reporter's loop on the staff's case page.
#[component]
pub fn CaseFollowup(
    asked: Vec<InfoRequest>,
    rating: Option<RatingView>,
    came_back_from: Option<String>,
    came_back_as: Vec<String>,
) -> impl IntoView {
    let lang = use_lang();
    let any = !asked.is_empty()
        || rating.is_some()
        || came_back_from.is_some()
        || !came_back_as.is_empty();
    let link =
        |code: String| view! { <A href=format!("/admin/cases/{code}")>{code.clone()}</A> " " };
    any.then(|| view! {
        <section class="card followup" id="case-followup">
            <h2>{move || td_string!(lang.get(), adm_followup)}</h2>
            {(!asked.is_empty()).then(|| view! {
                <ol class="question-list" id="case-questions">
                    {asked.into_iter().map(|q| view! {
                        <li class:waiting=q.answer.is_none()>
                            <p class="muted small">{local_time(&q.asked_at)}</p>
                            <p><strong>{move || td_string!(lang.get(), adm_question)}</strong> ": " {q.question.clone()}</p>
                            {match q.answer.clone() {
                                Some(a) => view! { <p class="answer"><strong>{move || td_string!(lang.get(), adm_answer)}</strong> ": " {a}</p> }.into_any(),
                                None => view! { <p class="muted">{move || td_string!(lang.get(), adm_answer_waiting)}</p> }.into_any(),
                            }}
                        </li>
                    }).collect_view()}
                </ol>
            })}
            {rating.map(|r| view! {
                <p id="case-rating" data-rating=r.rating.as_str()>
                    <strong>{move || td_string!(lang.get(), adm_rating)}</strong> ": "
                    {move || rating_label(lang.get(), r.rating)}
                    <span class="muted small">{format!(" · {}", local_time(&r.rated_at))}</span>
                    {r.comment.clone().map(|c| view! { <br /><span>{c}</span> })}
                </p>
            })}
            {came_back_from.map(|c| view! { <p>{move || td_string!(lang.get(), came_back_from_note)} " " {link(c.clone())}</p> })}
            {(!came_back_as.is_empty()).then(|| view! {
                <p>{move || td_string!(lang.get(), came_back_as_note)} " " {came_back_as.into_iter().map(link).collect_view()}</p>
            })}
        </section>
    })
}

/// The supervision queue (督办).
#[component]
pub fn AdminSupervision() -> impl IntoView {
    let lang = use_lang();
    let reload = RwSignal::new(0u32);
    let queue = load::<Vec<SupervisionItem>>(move || {
        reload.track();
        "/api/v1/supervision".to_owned()
    });
    let may_handle = is_admin()
        || super::use_staff()
            .me()
            .is_some_and(|m| m.role == Role::Reviewer);
    let handle = Action::new_local(move |(id, note): &(i64, String)| {
        let (id, body) = (*id, SupervisionHandle { note: note.clone() });
        async move {
            let url = format!("/api/v1/supervision/{id}/handle");
            let sent = crate::browser::http::send_json::<SupervisionItem>("POST", &url, &[], &body)
                .await
                .map(|_| ())
                .map_err(|e| say(&e));
            if sent.is_ok() {
                reload.update(|n| *n += 1);
            }
            sent
        }
    });
    let error = move || handle.value().get().and_then(Result::err);
    let list = move || {
        let l = lang.get();
        match queue.get() {
            None => view! { <p class="muted" role="status">{td_string!(l, loading)}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="field-error" role="alert">{e}</p> }.into_any(),
            Some(Ok(items)) if items.is_empty() => {
                view! { <p class="muted" id="supervision-empty">{td_string!(l, adm_supervision_none)}</p> }.into_any()
            }
            Some(Ok(items)) => view! {
                <ul class="supervision-list" id="supervision-list">
                    {items.into_iter().map(|i| {
                        let note = RwSignal::new(String::new());
                        let id = i.id;
                        let waiting = i.handled_at.is_none();
                        let href = format!("/admin/cases/{}", i.case);
                        let case_text = i.case.clone();
                        view! {
                            <li class="card supervision" class:waiting=waiting data-case=i.case.clone()>
                                <h3><A href=href>{case_text}</A>
                                    " · " {named(l, &i.category_name, &i.category_name_en)}</h3>
                                <p class="muted small">
                                    {i.department_name.clone().unwrap_or_default()}
                                    {i.handler.clone().map(|h| format!(" · {h}"))}
                                    {i.closed_at.as_deref().map(|t| format!(" · {} {}", td_string!(l, state_closed), local_time(t)))}
                                    {format!(" · {} {}", td_string!(l, adm_rating), local_time(&i.rated_at))}
                                </p>
                                {i.comment.clone().map(|c| view! { <blockquote class="supervision-comment">{c}</blockquote> })}
                                {match (i.handled_at.clone(), waiting && may_handle) {
                                    (Some(at), _) => view! {
                                        <p class="notice">{format!("{} · {} · {}", td_string!(l, adm_supervision_done), i.handled_by.clone().unwrap_or_default(), local_time(&at))}
                                            <br />{i.handled_note.clone().unwrap_or_default()}</p>
                                    }.into_any(),
                                    (None, true) => view! {
                                        <form class="supervision-handle" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                            ev.prevent_default();
                                            handle.dispatch_local((id, note.get_untracked()));
                                        }>
                                            <div class="field"><label for=format!("handle-{id}")>{td_string!(l, adm_supervision_what)}</label>
                                                <textarea id=format!("handle-{id}") rows="2" required=true maxlength="1000"
                                                    on:input=move |ev| note.set(event_target_value(&ev))></textarea></div>
                                            <button type="submit" class="button primary" disabled=move || handle.pending().get()>
                                                {td_string!(l, adm_supervision_handle)}
                                            </button>
                                        </form>
                                    }.into_any(),
                                    (None, false) => view! { <p class="muted">{td_string!(l, adm_supervision_waiting)}</p> }.into_any(),
                                }}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
            .into_any(),
        }
    };
    view! {
        <h1>{move || td_string!(lang.get(), adm_supervision)}</h1>
        <p class="lead">{move || td_string!(lang.get(), adm_supervision_lead)}</p>
        {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        {list}
    }
}
