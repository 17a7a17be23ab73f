//! Papers brought in with a report keyed in by staff (代录: a letter, a
//! visitor's documents), as PDFs. Held in the browser's memory until the
//! report is sent, and never kept on the desk's browser after it.

use super::Form;
use crate::browser::photos::{self, Blob};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::evidence::{MAX_DOCUMENTS, human_size};
use std::cell::{Cell, RefCell};

thread_local! {
    static NEXT: Cell<u32> = const { Cell::new(1) };
    static FILES: RefCell<Vec<(u32, Blob, String)>> = const { RefCell::new(Vec::new()) };
}

/// The chosen documents as form files: (`document`, bytes, name).
pub fn files() -> Vec<(String, Blob, String)> {
    let names: Vec<String> = FILES.with(|f| f.borrow().iter().map(|x| x.2.clone()).collect());
    let blobs: Vec<Blob> = FILES.with(|f| f.borrow().iter().map(|x| x.1.clone()).collect());
    blobs
        .into_iter()
        .zip(names)
        .map(|(blob, name)| ("document".to_owned(), blob, name))
        .collect()
}

pub fn forget_all() {
    FILES.with(|f| f.borrow_mut().clear());
}

/// The document picker of the staff form.
#[component]
pub fn IntakeDocuments(form: Form) -> impl IntoView {
    let lang = use_lang();
    let on_change = move |ev: leptos::ev::Event| {
        let Some(chosen) = photos::take_chosen(&ev) else {
            return;
        };
        for file in chosen {
            if form.documents.with_untracked(Vec::len) >= MAX_DOCUMENTS {
                break;
            }
            let name = photos::file_name(&file);
            let Some(blob) = photos::file_blob(&file) else {
                continue;
            };
            let size = photos::size(&blob);
            let id = NEXT.with(|n| n.replace(n.get() + 1));
            FILES.with(|f| f.borrow_mut().push((id, blob, name.clone())));
            form.documents.update(|d| d.push((id, name, size)));
        }
        form.clear_problem("document");
    };
    view! {
        <section class="step" id="step-documents" tabindex="-1">
            <div class="field">
                <label for="intake-document">{move || td_string!(lang.get(), intake_documents)}</label>
                <input id="intake-document" type="file" accept="application/pdf,.pdf" multiple=true
                    disabled=move || !form.editable() on:change=on_change />
                <p class="hint">{move || td_string!(lang.get(), adm_evidence_limits)}</p>
                <ul class="chosen-files">
                    {move || form.documents.get().into_iter().map(|(id, name, size)| view! {
                        <li>{name} " " <span class="muted">{human_size(size as u64)}</span> " "
                            <button type="button" class="link" disabled=move || !form.editable() on:click=move |_| {
                                FILES.with(|f| f.borrow_mut().retain(|x| x.0 != id));
                                form.documents.update(|d| d.retain(|x| x.0 != id));
                            }>{move || td_string!(lang.get(), adm_evidence_remove)}</button>
                        </li>
                    }).collect_view()}
                </ul>
                {move || form.problem("document").map(|p| view! {
                    <p class="field-error" id="err-document" role="alert">{p.text(lang.get())}</p>
                })}
            </div>
        </section>
    }
}
