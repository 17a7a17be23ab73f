//! `/track`: a resident follows a case with its tracking code and secret.
//!
//! They come from the receipt's link, `/track#code=…&secret=…` (a fragment
//! never reaches a server), or are typed into the form. The secret is sent
//! only in the `X-Report-Secret` header, never in a URL query.

use crate::format::{action_label, local_time, state_label};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::report::TrackView;

#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Idle,
    Loading,
    Found(Box<TrackView>),
    /// Unknown code or wrong secret: the same answer for both.
    NotFound,
    /// The code is not shaped like one.
    BadCode,
    Failed,
}

/// `code=…&secret=…` from a URL fragment.
pub fn parse_fragment(fragment: &str) -> (Option<String>, Option<String>) {
    let mut code = None;
    let mut secret = None;
    for pair in fragment.trim_start_matches('#').split('&') {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        let v = crate::browser::decode_component(v);
        match k {
            "code" if !v.trim().is_empty() => code = Some(v.trim().to_owned()),
            "secret" if !v.trim().is_empty() => secret = Some(v.trim().to_owned()),
            _ => {}
        }
    }
    (code, secret)
}

fn fetch(code: String, secret: String, result: RwSignal<Lookup>, remember_in_url: bool) {
    use crate::browser::http::{HttpError, get_json};
    let Some(code) = shared::report::tracking_code::normalize(&code) else {
        result.set(Lookup::BadCode);
        return;
    };
    result.set(Lookup::Loading);
    leptos::task::spawn_local(async move {
        let url = format!("/api/v1/track/{}", crate::browser::encode_component(&code));
        let got = get_json::<TrackView>(&url, &[("X-Report-Secret", secret.as_str())]).await;
        let _ = result.try_set(match got {
            Ok(view) => {
                if remember_in_url {
                    crate::browser::replace_fragment(&format!(
                        "code={}&secret={}",
                        crate::browser::encode_component(&code),
                        crate::browser::encode_component(&secret)
                    ));
                }
                Lookup::Found(Box::new(view))
            }
            Err(HttpError::Status { status: 404, .. }) => Lookup::NotFound,
            Err(_) => Lookup::Failed,
        });
    });
}

/// `/track` as a lazy route, its own WebAssembly chunk like the report
/// form (see `ReportRoute`).
pub struct TrackRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for TrackRoute {
    fn data() -> Self {
        TrackRoute
    }

    fn view(_route: Self) -> AnyView {
        view! { <Track /> }.into_any()
    }
}

#[component]
pub fn Track() -> impl IntoView {
    let lang = use_lang();
    let hydrated = RwSignal::new(false);
    let code = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let result = RwSignal::new(Lookup::Idle);
    let saved = RwSignal::new(Vec::<crate::send_queue::Saved>::new());
    let sending = crate::send_queue::use_send_queue();

    // The fragment, read in the browser only (and again when it changes).
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        crate::pages::keep_offline(
            <crate::pages::report::ReportRoute as leptos_router::LazyRoute>::preload,
        );
    });
    Effect::new(move |_| {
        let hash = location.hash.get();
        hydrated.set(true);
        // The router's hash can lag the address bar on first load.
        let hash = if hash.is_empty() {
            crate::browser::location_hash()
        } else {
            hash
        };
        saved.set(crate::send_queue::load_saved());
        crate::send_queue::mark_seen(sending);
        match parse_fragment(&hash) {
            (Some(c), Some(s)) => {
                code.set(c.clone());
                secret.set(s.clone());
                fetch(c, s, result, false);
            }
            // A notification opens `/track#code=…` without the secret: it
            // is among the reports this browser saved, or typed in.
            (Some(c), None) => {
                code.set(c.clone());
                let known = shared::report::tracking_code::normalize(&c).and_then(|n| {
                    saved
                        .get_untracked()
                        .into_iter()
                        .find(|s| s.tracking_code == n)
                        .map(|s| s.secret)
                });
                if let Some(s) = known {
                    secret.set(s.clone());
                    fetch(c, s, result, false);
                }
            }
            _ => {}
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        fetch(code.get_untracked(), secret.get_untracked(), result, true);
    };

    let forget = move |tracking_code: String, s: String| {
        crate::send_queue::forget(&tracking_code, &s);
        saved.set(crate::send_queue::load_saved());
    };

    let saved_list = move || {
        let list = saved.get();
        (!list.is_empty()).then(|| {
            let l = lang.get();
            view! {
                <section class="card saved-reports">
                    <h2>{td_string!(l, saved_title)}</h2>
                    <p class="hint">{td_string!(l, saved_explain)}</p>
                    <ul>
                        {list
                            .into_iter()
                            .map(|s| {
                                let tc = s.tracking_code.clone();
                                let sec = s.secret.clone();
                                view! {
                                    <li>
                                        <a href=s.track_url.clone()>
                                            <strong>{s.tracking_code.clone()}</strong>
                                            <small>{s.summary.clone()}</small>
                                        </a>
                                        <button type="button" class="button small"
                                            aria-label=format!("{} {}", td_string!(l, forget), s.tracking_code)
                                            on:click=move |_| forget(tc.clone(), sec.clone())>
                                            {td_string!(l, forget)}
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </section>
            }
        })
    };

    view! {
        <crate::components::page_meta::PageMeta
            title=move || td_string!(lang.get(), page_track).to_owned()
            description=move || td_string!(lang.get(), track_intro).to_owned()
            path="/track".to_owned() />
        <div class="track-page">
            <h1>{move || td_string!(lang.get(), page_track)}</h1>
            <form class="card track-form" method="post" on:submit=on_submit>
                <p class="hint">{move || td_string!(lang.get(), track_intro)}</p>
                <div class="field">
                    <label for="track-code">{move || td_string!(lang.get(), tracking_code_label)}</label>
                    <input id="track-code" name="code" type="text" autocapitalize="characters" autocomplete="off"
                        spellcheck="false" placeholder="BN-7K3M-Q9TX" required=true
                        prop:value=move || code.get()
                        on:input=move |ev| code.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="track-secret">{move || td_string!(lang.get(), secret_label)}</label>
                    <input id="track-secret" name="secret" type="password" autocomplete="off" spellcheck="false"
                        required=true
                        prop:value=move || secret.get()
                        on:input=move |ev| secret.set(event_target_value(&ev)) />
                    <p class="hint">{move || td_string!(lang.get(), secret_hint)}</p>
                </div>
                <p class="notice nojs-only">{move || td_string!(lang.get(), track_nojs)}</p>
                <button type="submit" class="button primary" id="track-submit"
                    disabled=move || !hydrated.get() || result.get() == Lookup::Loading>
                    {move || td_string!(lang.get(), track_button)}
                </button>
            </form>
            {move || {
                let l = lang.get();
                match result.get() {
                    Lookup::Idle => ().into_any(),
                    Lookup::Loading => view! { <p class="muted" role="status">{td_string!(l, loading)}</p> }.into_any(),
                    Lookup::NotFound => view! { <p class="field-error lookup-error" role="alert">{td_string!(l, track_not_found)}</p> }.into_any(),
                    Lookup::BadCode => view! { <p class="field-error lookup-error" role="alert">{td_string!(l, track_bad_code)}</p> }.into_any(),
                    Lookup::Failed => view! { <p class="field-error lookup-error" role="alert">{td_string!(l, track_failed)}</p> }.into_any(),
                    Lookup::Found(view) => view! { <Case view=*view secret=secret.get_untracked() result=result /> }.into_any(),
                }
            }}
            {saved_list}
            <super::notify::Recover />
        </div>
    }
}

#[component]
fn Case(view: TrackView, secret: String, result: RwSignal<Lookup>) -> impl IntoView {
    let lang = use_lang();
    let v = view;
    let contest = view! { <Contest code=v.tracking_code.clone() secret=secret.clone() result=result open=v.can_contest /> };
    let code = v.tracking_code.clone();
    let questions = view! {
        <super::followup::Questions asked=v.info_requests.clone() open=v.can_answer
            code=code.clone() secret=secret.clone() result=result />
    };
    let rate = view! {
        <super::followup::Rate given=v.rating.clone() open=v.can_rate
            code=code.clone() secret=secret.clone() result=result />
    };
    let came_back = view! {
        <super::followup::CameBack open=v.can_come_back named=!v.anonymous new_case=v.new_case.clone()
            came_back_as=v.came_back_as.clone() came_back_from=v.came_back_from.clone()
            code=code secret=secret.clone() result=result />
    };
    let notify = view! {
        <super::notify::Notify status=v.notify.clone() anonymous=v.anonymous
            code=v.tracking_code.clone() secret=secret.clone() result=result />
    };
    let reward = v.reward.clone().map(
        |r| view! { <Reward reward=r code=v.tracking_code.clone() secret=secret result=result /> },
    );
    let state = v.state.clone();
    let state_class = format!("case-state state-{}", v.state);
    let photos = v.photos.clone();
    let timeline = v.timeline.clone();
    let facts = {
        let v = v.clone();
        move || {
            let l = lang.get();
            let zh = l == Locale::zh_CN;
            let category = if zh {
                v.category_name.clone()
            } else {
                v.category_name_en.clone()
            };
            let department = v
                .department
                .as_ref()
                .map(|d| {
                    if zh {
                        d.name.clone()
                    } else {
                        d.name_en.clone()
                    }
                })
                .unwrap_or_else(|| td_string!(l, not_yet_assigned).to_owned());
            let area = if zh {
                v.area.clone()
            } else {
                v.area_en.clone().or_else(|| v.area.clone())
            }
            .unwrap_or_else(|| "—".to_owned());
            let kind = if v.your_report == "corroboration" {
                td_string!(l, your_report_corroboration)
            } else {
                td_string!(l, your_report_original)
            };
            let rows = [
                (td_string!(l, fact_category), category),
                (td_string!(l, fact_submitted), local_time(&v.submitted_at)),
                (td_string!(l, fact_updated), local_time(&v.updated_at)),
                (td_string!(l, fact_department), department),
                (td_string!(l, fact_area), area),
                (
                    td_string!(l, fact_corroborations),
                    v.corroborations.to_string(),
                ),
                (td_string!(l, fact_your_report), kind.to_owned()),
                (
                    td_string!(l, fact_identity),
                    if v.anonymous {
                        td_string!(l, anonymous)
                    } else {
                        td_string!(l, real_name)
                    }
                    .to_owned(),
                ),
            ];
            rows.into_iter()
                .map(|(k, val)| view! { <div><dt>{k}</dt><dd>{val}</dd></div> })
                .collect_view()
        }
    };
    view! {
        <article class="card case">
            <header class="case-head">
                <div>
                    <p class="muted">{move || td_string!(lang.get(), tracking_code_label)}</p>
                    <p class="case-code">{v.tracking_code.clone()}</p>
                </div>
                <span class=state_class data-state=v.state.clone()>{move || state_label(lang.get(), &state)}</span>
            </header>
            <dl class="case-facts">{facts}</dl>
            <h2>{move || td_string!(lang.get(), fact_description)}</h2>
            <p class="case-description">{v.description.clone()}</p>
            {(!photos.is_empty()).then(|| view! {
                <h2>{move || td_string!(lang.get(), fact_photos)}</h2>
                <ul class="case-photos">
                    {photos
                        .into_iter()
                        .enumerate()
                        .map(|(i, p)| view! {
                            <li>
                                <a href=p.display_url.clone() target="_blank" rel="noopener">
                                    <img src=p.thumbnail_url.clone() loading="lazy"
                                        alt=move || format!("{} {}", td_string!(lang.get(), photo), i + 1) />
                                </a>
                            </li>
                        })
                        .collect_view()}
                </ul>
            })}
            {v.merged_into.clone().map(|m| view! {
                <p class="notice" id="merged-into">{move || td_string!(lang.get(), merged_into_note)} " " <strong>{m.clone()}</strong></p>
            })}
            {v.deadline.clone().map(|d| view! {
                <p class="muted">{move || td_string!(lang.get(), fact_deadline)} " " {local_time(&d)}</p>
            })}
            {v.reply.clone().map(|r| {
                let finding = v.finding.clone();
                view! {
                    <h2>{move || td_string!(lang.get(), fact_reply)}</h2>
                    {finding.map(|f| view! {
                        <p class="case-finding" data-finding={f.clone()}>
                            {move || td_string!(lang.get(), fact_finding)} ": "
                            <strong>{let f = f.clone(); move || match f.as_str() {
                                "substantiated" => td_string!(lang.get(), finding_substantiated),
                                "partly_substantiated" => td_string!(lang.get(), finding_partly_substantiated),
                                _ => td_string!(lang.get(), finding_unsubstantiated),
                            }}</strong>
                        </p>
                    })}
                    <p class="case-reply" id="case-reply">{r}</p>
                    {v.actions_taken.clone().map(|a| view! {
                        <p><strong>{move || td_string!(lang.get(), fact_actions_taken)}</strong> ": " {a}</p>
                    })}
                }
            })}
            {questions}
            {reward}
            {rate}
            {came_back}
            {contest}
            {notify}
            <h2>{move || td_string!(lang.get(), fact_timeline)}</h2>
            <ol class="timeline">
                {move || {
                    let l = lang.get();
                    timeline
                        .iter()
                        .map(|e| {
                            let label = action_label(l, &e.action, e.state.as_deref());
                            // The server's note for a corroboration repeats the label in English.
                            let note = e.note.clone().filter(|_| e.action != "corroborated");
                            view! {
                                <li data-action=e.action.clone()>
                                    <time datetime=e.at.clone()>{local_time(&e.at)}</time>
                                    <strong>{label}</strong>
                                    {note.map(|n| view! { <p>{n}</p> })}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
        </article>
    }
}

/// A reporter's action (claim, decline, contest), posted with the secret;
/// the case is then shown as it is after it, or the refusal is the value.
pub(crate) fn reporter_action(
    code: String,
    secret: String,
    result: RwSignal<Lookup>,
) -> Action<serde_json::Value, Result<(), String>> {
    reporter_action_keyed(code, secret, result, None)
}

/// The same, sent with an `Idempotency-Key` (kept for the form's life, so a
/// retry after a lost answer gets the first answer again).
pub(crate) fn reporter_action_keyed(
    code: String,
    secret: String,
    result: RwSignal<Lookup>,
    key: Option<String>,
) -> Action<serde_json::Value, Result<(), String>> {
    Action::new_local(move |body: &serde_json::Value| {
        let url = format!(
            "/api/v1/track/{}/actions",
            crate::browser::encode_component(&code)
        );
        let (secret, body, key) = (secret.clone(), body.clone(), key.clone());
        async move {
            let mut headers = vec![("X-Report-Secret", secret.as_str())];
            if let Some(key) = key.as_deref() {
                headers.push(("Idempotency-Key", key));
            }
            match crate::browser::http::send_json::<TrackView>("POST", &url, &headers, &body).await
            {
                Ok(view) => {
                    result.set(Lookup::Found(Box::new(view)));
                    Ok(())
                }
                Err(e) => Err(e.message()),
            }
        }
    })
}

/// The reward (举报奖励) as its reporter sees it: amount, deadline, and the
/// claim form while it can be claimed.
#[component]
fn Reward(
    reward: shared::reward::ReporterReward,
    code: String,
    secret: String,
    result: RwSignal<Lookup>,
) -> impl IntoView {
    use shared::reward::{RewardState, yuan};
    let lang = use_lang();
    let account = RwSignal::new(String::new());
    let send = reporter_action(code, secret, result);
    let error = move || send.value().get().and_then(Result::err);
    let busy = send.pending();
    let claim = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send.dispatch_local(
            serde_json::json!({ "action": "claim_reward", "payout_account": account.get_untracked() }),
        );
    };
    let decline = move |_| {
        send.dispatch_local(serde_json::json!({ "action": "decline_reward" }));
    };
    let state = reward.state;
    let on_hold = reward.on_hold;
    let status = move || {
        let l = lang.get();
        match state {
            _ if on_hold => td_string!(l, reward_state_on_hold),
            RewardState::Rejected => td_string!(l, reward_state_withdrawn),
            RewardState::Claimed => td_string!(l, reward_state_claimed),
            RewardState::Paid => td_string!(l, reward_state_paid),
            RewardState::Expired => td_string!(l, reward_state_expired),
            RewardState::Declined => td_string!(l, reward_state_declined),
            _ => td_string!(l, reward_approved_text),
        }
    };
    view! {
        <section class="reward" id="reward" data-state=state.as_str() data-on-hold=on_hold.then_some("true")>
            <h2>{move || td_string!(lang.get(), reward_title)}</h2>
            <p>{status}</p>
            <p class="reward-amount">{move || td_string!(lang.get(), reward_amount)} ": "
                <strong id="reward-amount">{yuan(reward.amount_fen)}</strong> " " {move || td_string!(lang.get(), yuan)}</p>
            {reward.claim_deadline.clone().filter(|_| reward.can_claim).map(|d| view! {
                <p class="muted">{move || td_string!(lang.get(), reward_deadline)} " " {local_time(&d)}</p>
            })}
            {reward.can_claim.then(|| view! {
                <form id="claim-form" on:submit=claim>
                    <div class="field">
                        <label for="payout-account">{move || td_string!(lang.get(), reward_payout_account)}</label>
                        <input id="payout-account" type="text" autocomplete="off" required=true minlength="4" maxlength="200"
                            on:input=move |ev| account.set(event_target_value(&ev)) />
                    </div>
                    {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    <button type="submit" class="button primary" id="claim-submit" disabled=move || busy.get()>
                        {move || td_string!(lang.get(), reward_claim)}
                    </button>
                    " "
                    <button type="button" class="button" id="decline-reward" disabled=move || busy.get() on:click=decline>
                        {move || td_string!(lang.get(), reward_decline)}
                    </button>
                </form>
            })}
        </section>
    }
}

/// The reporter's one objection to the reply (异议): back to review.
#[component]
fn Contest(code: String, secret: String, result: RwSignal<Lookup>, open: bool) -> impl IntoView {
    let lang = use_lang();
    let reason = RwSignal::new(String::new());
    let send = reporter_action(code, secret, result);
    let error = move || send.value().get().and_then(Result::err);
    let busy = send.pending();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send.dispatch_local(
            serde_json::json!({ "action": "contest", "reason": reason.get_untracked() }),
        );
    };
    open.then(|| view! {
        <form class="contest" id="contest-form" on:submit=submit>
            <h2>{move || td_string!(lang.get(), contest_title)}</h2>
            <p class="hint">{move || td_string!(lang.get(), contest_hint)}</p>
            <div class="field">
                <label for="contest-reason">{move || td_string!(lang.get(), contest_reason)}</label>
                <textarea id="contest-reason" rows="3" required=true maxlength="2000"
                    on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
            </div>
            {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <button type="submit" class="button" id="contest-submit" disabled=move || busy.get()>
                {move || td_string!(lang.get(), contest_button)}
            </button>
        </form>
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fragment_gives_code_and_secret() {
        assert_eq!(
            parse_fragment("#code=BN-2345-678Z&secret=abc_DEF-1"),
            (
                Some("BN-2345-678Z".to_owned()),
                Some("abc_DEF-1".to_owned())
            )
        );
        assert_eq!(parse_fragment(""), (None, None));
        assert_eq!(
            parse_fragment("#code=&secret=x"),
            (None, Some("x".to_owned()))
        );
    }
}
