//! Being told, on the receipt (通知): "notify me" by push on this browser,
//! and "text me" with a phone kept for messages only. `/track`, rendered on
//! the server, has its own forms of both (`pages::track::notify`).

use crate::browser::http::send_json;
use crate::browser::push::{self, Support};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::notify::{CodeSent, NotifyStatus, PushKey};
use shared::report::TrackView;

fn track_url(code: &str, tail: &str) -> String {
    format!(
        "/api/v1/track/{}/{tail}",
        crate::browser::encode_component(code)
    )
}

/// Reloads the section's status after a change of how the reporter is told.
async fn reload(code: &str, secret: &str, status: RwSignal<NotifyStatus>) {
    let url = format!("/api/v1/track/{}", crate::browser::encode_component(code));
    if let Ok(view) =
        crate::browser::http::get_json::<TrackView>(&url, &[("X-Report-Secret", secret)]).await
    {
        let _ = status.try_set(view.notify.clone());
    }
}

/// Subscribes this browser to push for the report: the server's key, the
/// browser's permission and subscription, then the server.
async fn subscribe_here(code: &str, secret: &str, lang: &str) -> Result<(), String> {
    let key = crate::browser::http::get_json::<PushKey>("/api/v1/push/key", &[])
        .await
        .map_err(|e| e.message())?;
    let subscription = push::subscribe(&key.public_key).await?;
    let mut body: serde_json::Value =
        serde_json::from_str(&subscription).map_err(|_| "unexpected subscription".to_owned())?;
    body["lang"] = serde_json::Value::String(lang.to_owned());
    send_json::<()>(
        "POST",
        &track_url(code, "push"),
        &[("X-Report-Secret", secret)],
        &body,
    )
    .await
    .map_err(|e| e.message())
}

/// "Notify me" and "text me" for one report.
#[component]
pub fn Notify(
    status: NotifyStatus,
    anonymous: bool,
    code: String,
    secret: String,
) -> impl IntoView {
    let lang = use_lang();
    let status = RwSignal::new(status);
    let support = RwSignal::new(None::<Support>);
    let push_state = RwSignal::new(None::<Result<(), String>>);
    let busy = RwSignal::new(false);
    let phone = RwSignal::new(String::new());
    let phone_error = RwSignal::new(None::<String>);
    // Once a code was texted: the request it belongs to, and what is typed.
    let phone_request = RwSignal::new(None::<String>);
    let phone_code = RwSignal::new(String::new());
    Effect::new(move |_| support.set(Some(push::support())));

    let (c1, s1) = (code.clone(), secret.clone());
    let on_push = move |_| {
        let (code, secret) = (c1.clone(), s1.clone());
        let l = if lang.get_untracked() == Locale::en {
            "en"
        } else {
            "zh-CN"
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let done = subscribe_here(&code, &secret, l).await;
            let _ = push_state.try_set(Some(done.clone()));
            let _ = busy.try_set(false);
            if done.is_ok() {
                reload(&code, &secret, status).await;
            }
        });
    };
    let (c2, s2) = (code.clone(), secret.clone());
    let on_phone = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (code, secret) = (c2.clone(), s2.clone());
        let number = phone.get_untracked();
        if shared::report::Phone::parse(&number).is_none() {
            phone_error.set(Some(
                td_string!(lang.get_untracked(), notify_phone_invalid).to_owned(),
            ));
            return;
        }
        busy.set(true);
        phone_error.set(None);
        leptos::task::spawn_local(async move {
            let sent = send_json::<CodeSent>(
                "PUT",
                &track_url(&code, "phone"),
                &[("X-Report-Secret", secret.as_str())],
                &serde_json::json!({ "phone": number }),
            )
            .await;
            let _ = busy.try_set(false);
            match sent {
                Ok(answer) => {
                    let _ = phone_request.try_set(Some(answer.request));
                }
                Err(e) => {
                    let _ = phone_error.try_set(Some(e.message()));
                }
            }
        });
    };
    let (c4, s4) = (code.clone(), secret.clone());
    let on_confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (code, secret) = (c4.clone(), s4.clone());
        let body = serde_json::json!({
            "request": phone_request.get_untracked().unwrap_or_default(),
            "code": phone_code.get_untracked().trim(),
        });
        busy.set(true);
        phone_error.set(None);
        leptos::task::spawn_local(async move {
            let sent = send_json::<()>(
                "POST",
                &track_url(&code, "phone/confirm"),
                &[("X-Report-Secret", secret.as_str())],
                &body,
            )
            .await;
            let _ = busy.try_set(false);
            match sent {
                Ok(()) => {
                    let _ = phone_request.try_set(None);
                    reload(&code, &secret, status).await;
                }
                Err(e) => {
                    let _ = phone_error.try_set(Some(e.message()));
                }
            }
        });
    };
    let (c3, s3) = (code.clone(), secret.clone());
    let on_remove = move |_| {
        let (code, secret) = (c3.clone(), s3.clone());
        busy.set(true);
        leptos::task::spawn_local(async move {
            let url = track_url(&code, "phone");
            let _ = send_json::<()>(
                "DELETE",
                &url,
                &[("X-Report-Secret", secret.as_str())],
                &serde_json::Value::Null,
            )
            .await;
            let _ = busy.try_set(false);
            reload(&code, &secret, status).await;
        });
    };
    view! {
        <section class="card notify" id="notify">
            <h2>{move || td_string!(lang.get(), notify_title)}</h2>
            <p class="hint">{move || td_string!(lang.get(), notify_explain)}</p>
            <div class="notify-push">
                {move || {
                    let l = lang.get();
                    match (support.get(), push_state.get()) {
                        (_, Some(Ok(()))) => view! {
                            <p class="notice ok" role="status" id="push-on">{td_string!(l, notify_push_on)}</p>
                        }.into_any(),
                        (Some(Support::Unsupported), _) => view! {
                            <p class="muted" id="push-unsupported">{td_string!(l, notify_push_unsupported)}</p>
                        }.into_any(),
                        (Some(Support::Denied), _) => view! {
                            <p class="muted" id="push-denied">{td_string!(l, notify_push_denied)}</p>
                        }.into_any(),
                        (_, failed) => view! {
                            {(status.get().push_subscriptions > 0).then(|| view! { <p class="muted">{td_string!(l, notify_push_some)}</p> })}
                            <button type="button" class="button" id="push-subscribe"
                                disabled=move || busy.get() || support.get().is_none()
                                on:click=on_push.clone()>
                                {td_string!(l, notify_push_button)}
                            </button>
                            {failed.and_then(Result::err).map(|e| view! {
                                <p class="field-error" role="alert">
                                    {if e == "NotAllowedError" { td_string!(l, notify_push_denied).to_owned() } else { format!("{} ({e})", td_string!(l, notify_push_failed)) }}
                                </p>
                            })}
                        }.into_any(),
                    }
                }}
            </div>
            <div class="notify-phone">
                {move || match (status.get().phone, status.get().phone_is_identity) {
                    (Some(m), true) => view! {
                        <p id="phone-identity">{move || td_string!(lang.get(), notify_phone_identity)} " " <strong>{m.clone()}</strong></p>
                    }.into_any(),
                    (Some(m), false) => view! {
                        <p id="phone-set">{move || td_string!(lang.get(), notify_phone_set)} " " <strong>{m.clone()}</strong></p>
                        <button type="button" class="button small" id="phone-remove" disabled=move || busy.get() on:click=on_remove.clone()>
                            {move || td_string!(lang.get(), notify_phone_remove)}
                        </button>
                    }.into_any(),
                    (None, _) if anonymous && phone_request.get().is_some() => view! {
                        <form id="phone-confirm-form" on:submit=on_confirm.clone()>
                            <p class="notice" role="status">{move || td_string!(lang.get(), notify_phone_code_sent)}</p>
                            <div class="field">
                                <label for="notify-phone-code">{move || td_string!(lang.get(), recover_code_label)}</label>
                                <input id="notify-phone-code" type="text" inputmode="numeric" autocomplete="one-time-code"
                                    maxlength="6" pattern="[0-9]{6}" required=true
                                    on:input=move |ev| phone_code.set(event_target_value(&ev)) />
                            </div>
                            {move || phone_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                            <button type="submit" class="button primary" id="phone-confirm" disabled=move || busy.get()>
                                {move || td_string!(lang.get(), notify_phone_confirm)}
                            </button>
                        </form>
                    }.into_any(),
                    (None, _) if anonymous => view! {
                        <form id="phone-form" on:submit=on_phone.clone()>
                            <div class="field">
                                <label for="notify-phone">{move || td_string!(lang.get(), notify_phone_label)}</label>
                                <input id="notify-phone" type="tel" inputmode="tel" autocomplete="tel" maxlength="20"
                                    on:input=move |ev| phone.set(event_target_value(&ev)) />
                                <p class="hint">{move || td_string!(lang.get(), notify_phone_hint)}</p>
                            </div>
                            {move || phone_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                            <button type="submit" class="button" id="phone-submit" disabled=move || busy.get()>
                                {move || td_string!(lang.get(), notify_phone_button)}
                            </button>
                        </form>
                    }.into_any(),
                    (None, _) => ().into_any(),
                }}
            </div>
        </section>
    }
}
