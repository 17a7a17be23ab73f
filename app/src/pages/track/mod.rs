//! `/track` (查询进度): a resident follows a case with its tracking code and
//! secret, and acts on it (异议, the reward, 补充材料, 回访, 问题反弹, how
//! they are told).
//!
//! A server-only page (see `crate::delivery`): every form on it posts to
//! `/track` with the code and secret in its body, never in a URL. The
//! server does what the form asks through the JSON API and renders the
//! page again with the outcome ([`Posted`], in the request's extensions).
//! So the whole page works without JavaScript, and arrives without the
//! app's WebAssembly: a phone on a weak network downloads about 30 KB, not
//! the 380 KB the hydrated page cost.
//!
//! [`SCRIPT`] (a few KB, inline) adds what needs a browser's own storage
//! or APIs: the receipt's link `/track#code=…&secret=…` (a fragment never
//! reaches a server) looked up at once, the forms sent without leaving the
//! page, the reports saved on this phone, push notifications, and photos
//! made small before they are sent with an answer.

mod case;
mod followup;
mod notify;

use crate::components::page_meta::PageMeta;
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::notify::RecoveredReport;
use shared::report::TrackView;

pub use notify::RecoverStep;

/// What the server did with a form posted to `/track`.
#[derive(Clone, Debug, Default)]
pub struct Posted {
    /// The code and secret the form carried, as sent.
    pub code: String,
    pub secret: String,
    /// The case as its reporter sees it now, when code and secret open it.
    pub case: Option<TrackView>,
    /// Why the case could not be shown, when it could not.
    pub lookup: Option<LookupError>,
    /// A form the API refused: the page shows why beside it, with what was
    /// typed still in it.
    pub refused: Option<Refused>,
    /// A code was texted to the phone given for messages: the request it
    /// belongs to, to be confirmed.
    pub phone_request: Option<String>,
    /// 找回: where finding one's reports by phone stands.
    pub recover: RecoverStep,
    /// The key the "came back" form is sent with, so that sending it again
    /// after a lost answer opens no second case.
    pub came_back_key: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupError {
    /// Unknown code or wrong secret: the same answer for both.
    NotFound,
    /// The code is not shaped like one.
    BadCode,
    TooManyTries,
    Failed,
}

/// A refused form (its `intent`), the API's status and message, and the
/// fields sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub intent: String,
    pub status: u16,
    pub message: String,
    pub fields: Vec<(String, String)>,
}

impl Posted {
    /// Why a form of `intents` was refused, when it was.
    fn refusal(&self, l: Locale, intents: &[&str]) -> Option<String> {
        self.refused
            .as_ref()
            .filter(|r| intents.contains(&r.intent.as_str()))
            .map(|r| match r.status {
                429 => td_string!(l, recover_too_many).to_owned(),
                _ => r.message.clone(),
            })
    }

    /// A refusal whose form the page no longer shows (the case moved on
    /// meanwhile: the reply can no longer be contested, the reward was
    /// withdrawn), said at the top of the case instead.
    fn refusal_without_its_form(&self, l: Locale) -> Option<String> {
        let intent = self.refused.as_ref()?.intent.as_str();
        let shown = match (&self.case, intent) {
            (_, "recover_code" | "recover") => true,
            (None, _) => false,
            (Some(v), _) => shows_form(v, intent),
        };
        if shown {
            None
        } else {
            self.refusal(l, &[intent])
        }
    }

    /// What was typed in `field` of the refused form `intent`, to show again.
    fn typed(&self, intent: &str, field: &str) -> String {
        self.refused
            .as_ref()
            .filter(|r| r.intent == intent)
            .and_then(|r| r.fields.iter().rev().find(|(k, _)| k == field))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// Whether the page shows the case's form `intent` now: the one place that
/// says so, read by the forms and by a refusal whose form is gone.
fn shows_form(v: &TrackView, intent: &str) -> bool {
    match intent {
        "contest" => v.can_contest,
        "claim_reward" | "decline_reward" => v.reward.as_ref().is_some_and(|r| r.can_claim),
        "answer_info" => v.can_answer,
        "rate" => v.can_rate && v.rating.is_none(),
        "came_back" => v.can_come_back,
        // Confirming the phone is the same place, once a code was sent.
        "phone" | "phone_confirm" => v.anonymous && v.notify.phone.is_none(),
        "phone_remove" => v.notify.phone.is_some() && !v.notify.phone_is_identity,
        _ => false,
    }
}

/// The page's script (see the module's documentation), inline under the
/// page's CSP nonce after the page it works on.
pub const SCRIPT: &str = concat!(
    "(() => {\n\"use strict\";\n",
    include_str!("../keep_offline.js"),
    "\n",
    include_str!("track.js"),
    "})();\n"
);

/// The fields every form on a case carries: which case, its secret, and
/// what the form asks (when its buttons do not say).
#[component]
fn Carry(code: String, secret: String, #[prop(optional)] intent: &'static str) -> impl IntoView {
    view! {
        <input type="hidden" name="code" value=code />
        <input type="hidden" name="secret" value=secret />
        {(!intent.is_empty()).then(|| view! { <input type="hidden" name="intent" value=intent /> })}
    }
}

/// Text for a `<textarea>`'s content, given as its inner HTML: a child
/// view could bring the renderer's markers, which a textarea would show.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    crate::markup::escape(text, &mut out);
    out
}

/// A refused form's reason, where the form shows it.
fn refusal_view(message: Option<String>) -> impl IntoView {
    message.map(|e| view! { <p class="field-error" role="alert">{e}</p> })
}

#[component]
pub fn Track() -> impl IntoView {
    let l = use_lang().get_untracked();
    let posted = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Posted>().cloned())
        .unwrap_or_default();
    let lookup_error = posted.lookup.map(|e| {
        let text = match e {
            LookupError::NotFound => td_string!(l, track_not_found),
            LookupError::BadCode => td_string!(l, track_bad_code),
            LookupError::TooManyTries => td_string!(l, recover_too_many),
            LookupError::Failed => td_string!(l, track_failed),
        };
        view! { <p class="field-error lookup-error" role="alert">{text}</p> }
    });
    let case = posted
        .case
        .clone()
        .map(|view| view! { <case::Case view=view posted=posted.clone() /> });
    view! {
        <PageMeta
            title=move || td_string!(l, page_track).to_owned()
            description=move || td_string!(l, track_intro).to_owned()
            path="/track".to_owned() />
        // What the script says in the page's language, kept here so that
        // the script has no words of its own.
        <div class="track-page" data-failed=td_string!(l, track_failed) data-forget=td_string!(l, forget)
            data-photos-chosen=td_string!(l, ask_photos_chosen) data-push-failed=td_string!(l, notify_push_failed)>
            <h1>{td_string!(l, page_track)}</h1>
            <form class="card track-form" id="track-form" method="post" action="/track">
                <p class="hint">{td_string!(l, track_intro)}</p>
                <div class="field">
                    <label for="track-code">{td_string!(l, tracking_code_label)}</label>
                    <input id="track-code" name="code" type="text" autocapitalize="characters" autocomplete="off"
                        spellcheck="false" placeholder="BN-7K3M-Q9TX" required=true value=posted.code.clone() />
                </div>
                <div class="field">
                    <label for="track-secret">{td_string!(l, secret_label)}</label>
                    <input id="track-secret" name="secret" type="password" autocomplete="off" spellcheck="false"
                        required=true value=posted.secret.clone() />
                    <p class="hint">{td_string!(l, secret_hint)}</p>
                </div>
                <button type="submit" class="button primary" id="track-submit">
                    {td_string!(l, track_button)}
                </button>
            </form>
            <div id="track-status" role="status"></div>
            {lookup_error}
            {posted.refusal_without_its_form(l).map(|e| view! {
                <p class="field-error" role="alert" id="track-refused">{e}</p>
            })}
            {case}
            // The reports saved on this phone: only the browser knows them
            // (the script lists them here).
            <section class="card saved-reports" id="saved-reports" hidden=true>
                <h2>{td_string!(l, saved_title)}</h2>
                <p class="hint">{td_string!(l, saved_explain)}</p>
                <ul></ul>
            </section>
            <notify::Recover posted=posted />
        </div>
    }
}

/// The reports 找回 found, as links that open each on this page.
fn recovered_list(l: Locale, reports: Vec<RecoveredReport>) -> impl IntoView {
    if reports.is_empty() {
        return view! { <p class="muted" id="recover-none">{td_string!(l, recover_none)}</p> }
            .into_any();
    }
    view! {
        <p class="notice ok" role="status">{td_string!(l, recover_found)}</p>
        // The script keeps each like a receipt, so the list above shows them.
        <ul class="recovered" id="recovered">
            {reports.into_iter().map(|r| view! {
                <li data-code=r.tracking_code.clone() data-secret=r.secret.clone()>
                    <a href=r.track_url.clone()><strong>{r.tracking_code.clone()}</strong></a>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_form_keeps_its_own_fields_only() {
        let posted = Posted {
            refused: Some(Refused {
                intent: "contest".to_owned(),
                status: 409,
                message: "too late".to_owned(),
                fields: vec![("reason".to_owned(), "<b>还在施工</b>".to_owned())],
            }),
            ..Posted::default()
        };
        let l = Locale::en;
        assert_eq!(posted.refusal(l, &["contest"]).as_deref(), Some("too late"));
        assert_eq!(posted.refusal(l, &["rate"]), None);
        assert_eq!(posted.typed("contest", "reason"), "<b>还在施工</b>");
        assert_eq!(posted.typed("rate", "reason"), "");
    }

    #[test]
    fn the_script_reads_the_names_the_app_keeps() {
        // The receipts the report form keeps on the phone.
        assert!(SCRIPT.contains("\"shanshui.reports.v1\""));
        assert!(crate::pages::report::SCRIPT.contains("\"shanshui.reports.v1\""));
        assert!(!SCRIPT.contains("</script"));
    }
}
