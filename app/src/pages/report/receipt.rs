//! The receipt: the tracking code, big, and the link with the secret, which
//! is shown only this once.

use super::Form;
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::report::SubmitReceipt;

#[component]
pub fn Receipt(form: Form, receipt: SubmitReceipt) -> impl IntoView {
    let lang = use_lang();
    let copied = RwSignal::new(None::<bool>);
    let track_url = receipt.track_url.clone();
    let copy = {
        let track_url = track_url.clone();
        move |_| {
            let url = format!("{}{track_url}", crate::browser::origin());
            leptos::task::spawn_local(async move {
                let ok = crate::browser::copy_text(&url).await;
                let _ = copied.try_set(Some(ok));
            });
        }
    };
    let code = receipt.tracking_code.clone();
    let corroborated = receipt.corroborated;
    let from_photo = receipt.location_source == "exif";
    // A real-name report is texted at its phone already; an anonymous one
    // may leave a phone for messages, or be told by push.
    let notify = view! {
        <crate::pages::notify::Notify status=shared::notify::NotifyStatus::default()
            anonymous=!form.real_name.get_untracked()
            code=receipt.tracking_code.clone() secret=receipt.secret.clone() />
    };
    view! {
        <section class="receipt" role="status" aria-live="polite">
            <h2>{move || td_string!(lang.get(), receipt_title)}</h2>
            <p class="muted">{move || td_string!(lang.get(), tracking_code_label)}</p>
            <p class="tracking-code">{code}</p>
            {corroborated.then(|| view! { <p class="notice">{move || td_string!(lang.get(), receipt_corroborated)}</p> })}
            {from_photo.then(|| view! { <p class="hint">{move || td_string!(lang.get(), receipt_location_from_photo)}</p> })}
            <p class="secret-warning">{move || td_string!(lang.get(), receipt_secret_once)}</p>
            <div class="receipt-actions">
                <a class="button primary track-link" href=track_url.clone()>{move || td_string!(lang.get(), receipt_track)}</a>
                <button type="button" class="button copy-link" on:click=copy>
                    {move || td_string!(lang.get(), copy_link)}
                </button>
            </div>
            {move || copied.get().map(|ok| {
                let l = lang.get();
                view! {
                    <p class="hint" role="status">
                        {if ok { td_string!(l, copied) } else { td_string!(l, copy_failed) }}
                    </p>
                }
            })}
            <p class="hint">{move || td_string!(lang.get(), receipt_saved_here)}</p>
            {notify}
            <button type="button" class="button" on:click=move |_| form.reset()>
                {move || td_string!(lang.get(), report_another)}
            </button>
        </section>
    }
}

/// The receipt of a report filed for a caller: the code and the secret in
/// full, to be read out (or written in the reply to a letter). Shown once:
/// the server keeps only the secret's hash and this page keeps nothing.
#[component]
pub fn CallerReceipt(form: Form, receipt: SubmitReceipt) -> impl IntoView {
    let lang = use_lang();
    let corroborated = receipt.corroborated;
    view! {
        <section class="receipt caller-receipt" role="status" aria-live="polite">
            <h2>{move || td_string!(lang.get(), caller_receipt_title)}</h2>
            <dl class="read-out">
                <dt>{move || td_string!(lang.get(), tracking_code_label)}</dt>
                <dd class="tracking-code" id="caller-code">{receipt.tracking_code.clone()}</dd>
                <dt>{move || td_string!(lang.get(), secret_label)}</dt>
                <dd class="secret" id="caller-secret" translate="no">{receipt.secret.clone()}</dd>
            </dl>
            {corroborated.then(|| view! { <p class="notice">{move || td_string!(lang.get(), caller_receipt_corroborated)}</p> })}
            <p class="secret-warning">{move || td_string!(lang.get(), caller_receipt_read_out)}</p>
            <button type="button" class="button primary" id="file-another" on:click=move |_| form.reset()>
                {move || td_string!(lang.get(), file_another)}
            </button>
        </section>
    }
}
