//! Messages to reporters (`/admin/messages`, admins): what was sent by push
//! and SMS, what waits and what failed, with a retry; and, with the `log`
//! SMS provider, what the phones would have received. A case's page shows
//! its own messages ([`CaseMessages`]), without the recipients.

use super::{load, say};
use crate::format::local_time;
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use leptos_router::components::A;
use shared::notify::{MessageView, MessagesView};

/// A template's name, for people.
pub fn event_label(l: Locale, event: &str) -> String {
    match event {
        "accepted" => td_string!(l, msg_accepted),
        "rejected" => td_string!(l, msg_rejected),
        "info_requested" => td_string!(l, msg_info_requested),
        "reply_approved" => td_string!(l, msg_reply_approved),
        "reward_approved" => td_string!(l, msg_reward_approved),
        "reward_expiring" => td_string!(l, msg_reward_expiring),
        "rate_question" => td_string!(l, msg_rate_question),
        "recovery_code" => td_string!(l, msg_recovery_code),
        "receipt" => td_string!(l, msg_receipt),
        other => return other.to_owned(),
    }
    .to_owned()
}

fn status_label(l: Locale, status: &str) -> String {
    match status {
        "queued" => td_string!(l, msg_queued),
        "sent" => td_string!(l, msg_sent),
        "failed" => td_string!(l, msg_failed),
        "dropped" => td_string!(l, msg_dropped),
        other => return other.to_owned(),
    }
    .to_owned()
}

fn channel_label(l: Locale, channel: &str) -> &'static str {
    if channel == "push" {
        td_string!(l, msg_push)
    } else {
        td_string!(l, msg_sms)
    }
}

/// What the reporters of a case were told, on its page.
#[component]
pub fn CaseMessages(messages: Vec<MessageView>) -> impl IntoView {
    let lang = use_lang();
    (!messages.is_empty()).then(|| view! {
        <section class="card case-messages" id="case-messages">
            <h2>{move || td_string!(lang.get(), adm_messages_case)}</h2>
            <ol class="timeline">
                {move || {
                    let l = lang.get();
                    messages.iter().map(|m| view! {
                        <li data-event=m.event.clone() data-status=m.status.clone()>
                            <time datetime=m.created_at.clone()>{local_time(m.sent_at.as_deref().unwrap_or(&m.created_at))}</time>
                            <strong>{event_label(l, &m.event)}</strong>
                            <span class="muted small">{format!(" · {} · {}", channel_label(l, &m.channel), status_label(l, &m.status))}</span>
                        </li>
                    }).collect_view()
                }}
            </ol>
        </section>
    })
}

#[component]
pub fn AdminMessages() -> impl IntoView {
    let lang = use_lang();
    let reload = RwSignal::new(0u32);
    let data = load::<MessagesView>(move || {
        reload.track();
        "/api/v1/admin/messages".to_owned()
    });
    let retry = Action::new_local(move |id: &i64| {
        let url = format!("/api/v1/admin/messages/{id}/retry");
        async move {
            let sent =
                crate::browser::http::send_json::<()>("POST", &url, &[], &serde_json::Value::Null)
                    .await
                    .map_err(|e| say(&e));
            if sent.is_ok() {
                reload.update(|n| *n += 1);
            }
            sent
        }
    });
    let error = move || retry.value().get().and_then(Result::err);
    let body = move || {
        let l = lang.get();
        match data.get() {
            None => {
                view! { <p class="muted" role="status">{td_string!(l, loading)}</p> }.into_any()
            }
            Some(Err(e)) => view! { <p class="field-error" role="alert">{e}</p> }.into_any(),
            Some(Ok(v)) => {
                let log = v.sms_log.clone();
                view! {
                    <p id="messages-summary">{format!(
                        "{}: {} · {}: {} · {}: {}",
                        td_string!(l, adm_messages_provider), v.sms_provider,
                        td_string!(l, msg_queued), v.queued,
                        td_string!(l, msg_failed), v.failed
                    )}</p>
                    {v.messages.is_empty().then(|| view! { <p class="muted" id="messages-none">{td_string!(l, adm_messages_none)}</p> })}
                    <ul class="message-list" id="message-list">
                        {v.messages.into_iter().map(|m| {
                            let id = m.id;
                            let failed = m.status == "failed" && m.channel == "push";
                            view! {
                                <li class="card message" data-status=m.status.clone() data-event=m.event.clone()>
                                    <p><strong>{event_label(l, &m.event)}</strong>
                                        {m.case.clone().map(|c| view! { " · " <A href=format!("/admin/cases/{c}")>{c.clone()}</A> })}</p>
                                    <p class="muted small">{format!(
                                        "{} {} · {} · {} {}",
                                        channel_label(l, &m.channel),
                                        m.recipient.clone().unwrap_or_default(),
                                        status_label(l, &m.status),
                                        td_string!(l, adm_messages_attempts),
                                        m.attempts
                                    )}
                                    " · " {local_time(m.sent_at.as_deref().unwrap_or(&m.created_at))}</p>
                                    {m.last_error.clone().map(|e| view! { <p class="muted small">{e}</p> })}
                                    {failed.then(|| view! {
                                        <button type="button" class="button small" on:click=move |_| { retry.dispatch_local(id); }
                                            disabled=move || retry.pending().get()>
                                            {td_string!(l, adm_messages_retry)}
                                        </button>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    {(!log.is_empty()).then(|| view! {
                        <h2>{td_string!(l, adm_messages_log)}</h2>
                        <p class="hint">{td_string!(l, adm_messages_log_hint)}</p>
                        <ul class="sms-log" id="sms-log">
                            {log.into_iter().map(|e| view! {
                                <li class="card" data-template=e.template.clone()>
                                    <p class="muted small">{format!("{} · {}", e.phone, local_time(&e.created_at))}</p>
                                    <p class="sms-body">{e.body.clone()}</p>
                                </li>
                            }).collect_view()}
                        </ul>
                    })}
                }.into_any()
            }
        }
    };
    view! {
        <h1>{move || td_string!(lang.get(), adm_messages)}</h1>
        <p class="lead">{move || td_string!(lang.get(), adm_messages_lead)}</p>
        {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        {body}
    }
}
