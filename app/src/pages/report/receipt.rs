//! The receipt of a report filed for a caller: the code and the secret,
//! shown only this once, to be read out.

use super::Form;
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::report::SubmitReceipt;

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
