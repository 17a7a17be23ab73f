//! Being told, on `/track` (通知): "notify me" by push on this browser (the
//! page's script: only a browser can subscribe itself), "text me" with a
//! phone kept for messages only, and 找回 — finding one's reports again by
//! a code sent to the phone. The receipt on `/report` leads here for both.

use super::{Carry, Posted, recovered_list, refusal_view};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::notify::{NotifyStatus, RecoveredReport};

/// Where 找回 stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum RecoverStep {
    /// The phone to send a code to.
    #[default]
    Start,
    /// A code was sent: the request it belongs to.
    CodeSent { phone: String, request: String },
    /// The code was right: the reports, each with a new secret.
    Found(Vec<RecoveredReport>),
}

/// "Notify me" and "text me" for one report.
#[component]
pub fn Notify(
    status: NotifyStatus,
    /// "Text me" (or its code) is shown, and removing that phone
    /// (`shows_form`).
    phone_form: bool,
    remove_form: bool,
    code: String,
    secret: String,
    posted: Posted,
) -> impl IntoView {
    let l = use_lang().get_untracked();
    let push_secret = secret.clone();
    let refused = posted.refusal(l, &["phone", "phone_confirm", "phone_remove"]);
    let phone = match status.phone {
        Some(m) if !remove_form => view! {
            <p id="phone-identity">{td_string!(l, notify_phone_identity)} " " <strong>{m}</strong></p>
        }
        .into_any(),
        Some(m) => view! {
            <form id="phone-remove-form" method="post" action="/track">
                <Carry code=code secret=secret intent="phone_remove" />
                <p id="phone-set">{td_string!(l, notify_phone_set)} " " <strong>{m}</strong></p>
                {refusal_view(refused)}
                <button type="submit" class="button small" id="phone-remove">
                    {td_string!(l, notify_phone_remove)}
                </button>
            </form>
        }
        .into_any(),
        None if phone_form && posted.phone_request.is_some() => view! {
            <form id="phone-confirm-form" method="post" action="/track">
                <Carry code=code secret=secret intent="phone_confirm" />
                <input type="hidden" name="request" value=posted.phone_request.clone() />
                <p class="notice" role="status">{td_string!(l, notify_phone_code_sent)}</p>
                <div class="field">
                    <label for="notify-phone-code">{td_string!(l, recover_code_label)}</label>
                    <input id="notify-phone-code" name="phone_code" type="text" inputmode="numeric"
                        autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}" required=true />
                </div>
                {refusal_view(refused)}
                <button type="submit" class="button primary" id="phone-confirm">
                    {td_string!(l, notify_phone_confirm)}
                </button>
            </form>
        }
        .into_any(),
        None if phone_form => view! {
            <form id="phone-form" method="post" action="/track">
                <Carry code=code secret=secret intent="phone" />
                <div class="field">
                    <label for="notify-phone">{td_string!(l, notify_phone_label)}</label>
                    <input id="notify-phone" name="phone" type="tel" inputmode="tel" autocomplete="tel"
                        maxlength="20" required=true value=posted.typed("phone", "phone") />
                    <p class="hint">{td_string!(l, notify_phone_hint)}</p>
                </div>
                {refusal_view(refused)}
                <button type="submit" class="button" id="phone-submit">
                    {td_string!(l, notify_phone_button)}
                </button>
            </form>
        }
        .into_any(),
        None => ().into_any(),
    };
    view! {
        <section class="card notify" id="notify">
            <h2>{td_string!(l, notify_title)}</h2>
            <p class="hint">{td_string!(l, notify_explain)}</p>
            // The script enables the button where this browser can take
            // push, or shows why it cannot.
            <div class="notify-push" id="notify-push">
                // The secret the subscription is sent with: every reporter may
                // subscribe, whatever forms the case shows.
                <input type="hidden" name="secret" value=push_secret />
                {(status.push_subscriptions > 0).then(|| view! { <p class="muted">{td_string!(l, notify_push_some)}</p> })}
                <button type="button" class="button" id="push-subscribe" disabled=true>
                    {td_string!(l, notify_push_button)}
                </button>
                <p class="notice ok" role="status" id="push-on" hidden=true>{td_string!(l, notify_push_on)}</p>
                <p class="muted" id="push-unsupported" hidden=true>{td_string!(l, notify_push_unsupported)}</p>
                <p class="muted" id="push-denied" hidden=true>{td_string!(l, notify_push_denied)}</p>
                <p class="field-error" role="alert" id="push-failed" hidden=true></p>
                <p class="hint nojs-only">{td_string!(l, track_nojs)}</p>
            </div>
            <div class="notify-phone">{phone}</div>
        </section>
    }
}

/// 找回: a phone, a code sent to it, then the reports with new secrets,
/// which the script keeps on this phone like receipts.
#[component]
pub fn Recover(posted: Posted) -> impl IntoView {
    let l = use_lang().get_untracked();
    let refused = posted.refusal(l, &["recover_code", "recover"]);
    let open = posted.recover != RecoverStep::Start || refused.is_some();
    // The case the page shows, carried only to be shown again after.
    let shown = || {
        posted.case.as_ref().map(|_| {
            view! {
                <input type="hidden" name="code" value=posted.code.clone() />
                <input type="hidden" name="secret" value=posted.secret.clone() />
            }
        })
    };
    let step = match posted.recover.clone() {
        RecoverStep::Found(reports) => recovered_list(l, reports).into_any(),
        RecoverStep::CodeSent { phone, request } => view! {
            <form id="recover-code-form" method="post" action="/track">
                <input type="hidden" name="intent" value="recover" />
                {shown()}
                <input type="hidden" name="phone" value=phone />
                <input type="hidden" name="request" value=request />
                <p class="notice" role="status">{td_string!(l, recover_sent)}</p>
                <div class="field">
                    <label for="recover-code">{td_string!(l, recover_code_label)}</label>
                    <input id="recover-code" name="recover_code" type="text" inputmode="numeric"
                        autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}" required=true />
                </div>
                {refusal_view(refused)}
                <button type="submit" class="button primary" id="recover-submit">
                    {td_string!(l, recover_button)}
                </button>
            </form>
        }
        .into_any(),
        RecoverStep::Start => view! {
            <form id="recover-phone-form" method="post" action="/track">
                <input type="hidden" name="intent" value="recover_code" />
                {shown()}
                <div class="field">
                    <label for="recover-phone">{td_string!(l, recover_phone_label)}</label>
                    <input id="recover-phone" name="phone" type="tel" inputmode="tel" autocomplete="tel"
                        maxlength="20" required=true value=posted.typed("recover_code", "phone") />
                </div>
                {refusal_view(refused)}
                <button type="submit" class="button" id="recover-send">
                    {td_string!(l, recover_send)}
                </button>
            </form>
        }
        .into_any(),
    };
    view! {
        <details class="card recover" id="recover" open=open>
            <summary>{td_string!(l, recover_title)}</summary>
            <p class="hint">{td_string!(l, recover_explain)}</p>
            {step}
        </details>
    }
}
