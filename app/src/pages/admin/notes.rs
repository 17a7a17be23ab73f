//! Internal notes (内部备注) on a case: staff write to each other here, and
//! an `@username` tells a colleague, who finds the note in their day. A
//! note never reaches the reporter or the public (the server keeps it out
//! of every answer they read); the section says so, so nobody writes one
//! thinking the reporter will read it.

use super::say;
use crate::format::local_time;
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::workbench::{CaseNote, NOTE_MAX_CHARS, NewNote};

/// A note's text in pieces: plain text, and the `@username`s it mentions
/// (`true`), so those can stand out. Both are shown as text, never parsed
/// as HTML. Only names the server recognised as mentions are marked, by
/// the same rule `shared::workbench::mentions` reads them.
pub fn pieces(body: &str, mentions: &[String]) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    let mut text = String::new();
    let mut prev: Option<char> = None;
    let mut rest = body;
    while let Some(c) = rest.chars().next() {
        let starts = c == '@' && !prev.is_some_and(|p| p.is_alphanumeric() || p == '_');
        if starts {
            let name: String = rest[1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                .collect();
            let name = name.trim_end_matches('.');
            if !name.is_empty() && mentions.iter().any(|m| m == name) {
                if !text.is_empty() {
                    out.push((false, std::mem::take(&mut text)));
                }
                out.push((true, format!("@{name}")));
                rest = &rest[1 + name.len()..];
                prev = name.chars().last();
                continue;
            }
        }
        text.push(c);
        prev = Some(c);
        rest = &rest[c.len_utf8()..];
    }
    if !text.is_empty() {
        out.push((false, text));
    }
    out
}

/// The notes of a case, oldest first, and the form to add one. A note
/// added is shown at once (the server's answer), without loading the case
/// again, so a reply being drafted beside it is not lost.
#[component]
pub fn CaseNotes(code: String, notes: Vec<CaseNote>) -> impl IntoView {
    let lang = use_lang();
    let notes = RwSignal::new(notes);
    let body = RwSignal::new(String::new());
    let code = StoredValue::new(code);
    let send = Action::new_local(move |text: &String| {
        let url = format!("/api/v1/cases/{}/notes", code.get_value());
        let note = NewNote { body: text.clone() };
        async move {
            let got = crate::browser::http::send_json::<CaseNote>("POST", &url, &[], &note)
                .await
                .map_err(|e| say(&e));
            if let Ok(n) = &got {
                notes.update(|list| list.push(n.clone()));
                body.set(String::new());
            }
            got.map(|_| ())
        }
    });
    let length = move || body.with(|b| b.chars().count());
    let too_long = move || length() > NOTE_MAX_CHARS;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = body.get_untracked().trim().to_owned();
        if !text.is_empty() && !too_long() {
            send.dispatch_local(text);
        }
    };
    let error = move || send.value().get().and_then(Result::err);
    view! {
        <section class="card case-notes" id="notes" aria-labelledby="notes-title">
            <h2 id="notes-title">{move || td_string!(lang.get(), adm_notes)}
                " " <span class="tag internal">{move || td_string!(lang.get(), adm_notes_internal)}</span></h2>
            <p class="hint">{move || td_string!(lang.get(), adm_notes_hint)}</p>
            <ol class="notes-list" id="notes-list">
                {move || {
                    let list = notes.get();
                    if list.is_empty() {
                        return view! { <li class="muted" id="notes-empty">{td_string!(lang.get(), adm_notes_none)}</li> }.into_any();
                    }
                    list.into_iter().map(|n| view! {
                        <li class="note" id=format!("note-{}", n.id) data-author=n.author.clone()>
                            <p class="note-meta"><strong>{n.author.clone()}</strong>
                                " · " <time datetime=n.at.clone()>{local_time(&n.at)}</time></p>
                            <p class="note-body">
                                {pieces(&n.body, &n.mentions).into_iter().map(|(mention, text)| if mention {
                                    view! { <span class="mention">{text}</span> }.into_any()
                                } else {
                                    text.into_any()
                                }).collect_view()}
                            </p>
                        </li>
                    }).collect_view().into_any()
                }}
            </ol>
            <form class="note-form" id="note-form" on:submit=submit>
                <div class="field">
                    <label for="note-body">{move || td_string!(lang.get(), adm_note_new)}</label>
                    <textarea id="note-body" rows="3" required=true prop:value=move || body.get()
                        aria-describedby="note-counter"
                        on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                    <p class="counter" id="note-counter" class:over=too_long>
                        <span>{move || td_string!(lang.get(), adm_notes_internal)}</span>
                        <span>{move || format!("{} / {NOTE_MAX_CHARS}", length())}</span>
                    </p>
                </div>
                {move || error().map(|e| view! { <p class="field-error" role="alert" id="note-error">{e}</p> })}
                <button type="submit" class="button" id="note-submit"
                    disabled=move || send.pending().get() || too_long() || body.with(|b| b.trim().is_empty())>
                    {move || td_string!(lang.get(), adm_note_add)}
                </button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_stand_apart_and_the_rest_stays_text() {
        let m = vec!["cheng.ban".to_owned()];
        assert_eq!(
            pieces("请 @cheng.ban. 复查 <b>x</b>, a@cheng.ban", &m),
            vec![
                (false, "请 ".to_owned()),
                (true, "@cheng.ban".to_owned()),
                (false, ". 复查 <b>x</b>, a@cheng.ban".to_owned()),
            ]
        );
        assert_eq!(
            pieces("@nobody hi", &m),
            vec![(false, "@nobody hi".to_owned())]
        );
        assert_eq!(pieces("", &m), vec![]);
    }
}
