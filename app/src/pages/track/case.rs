//! The case as its reporter sees it on `/track`: the facts, the reply, the
//! timeline, and the forms of what the reporter may do now.

use super::{Carry, Posted, escaped, followup, notify, refusal_view, shows_form};
use crate::format::{action_label, local_time, named, state_label};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::report::TrackView;

#[component]
pub fn Case(view: TrackView, posted: Posted) -> impl IntoView {
    let l = use_lang().get_untracked();
    let v = view;
    let (code, secret) = (v.tracking_code.clone(), posted.secret.clone());
    let zh = l == Locale::zh_CN;
    let department = v
        .department
        .as_ref()
        .map(|d| named(l, &d.name, &d.name_en))
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
    let identity = if v.anonymous {
        td_string!(l, anonymous)
    } else {
        td_string!(l, real_name)
    };
    let facts = [
        (
            td_string!(l, fact_category),
            named(l, &v.category_name, &v.category_name_en),
        ),
        (td_string!(l, fact_submitted), local_time(&v.submitted_at)),
        (td_string!(l, fact_updated), local_time(&v.updated_at)),
        (td_string!(l, fact_department), department),
        (td_string!(l, fact_area), area),
        (
            td_string!(l, fact_corroborations),
            v.corroborations.to_string(),
        ),
        (td_string!(l, fact_your_report), kind.to_owned()),
        (td_string!(l, fact_identity), identity.to_owned()),
    ]
    .into_iter()
    .map(|(k, val)| view! { <div><dt>{k}</dt><dd>{val}</dd></div> })
    .collect_view();
    let photos = (!v.photos.is_empty()).then(|| {
        view! {
            <h2>{td_string!(l, fact_photos)}</h2>
            <ul class="case-photos">
                {v.photos.iter().enumerate().map(|(i, p)| view! {
                    <li>
                        <a href=p.display_url.clone() target="_blank" rel="noopener">
                            <img src=p.thumbnail_url.clone() loading="lazy"
                                alt=format!("{} {}", td_string!(l, photo), i + 1) />
                        </a>
                    </li>
                }).collect_view()}
            </ul>
        }
    });
    let reply = v.reply.clone().map(|r| {
        let finding = v.finding.clone().map(|f| {
            let label = match f.as_str() {
                "substantiated" => td_string!(l, finding_substantiated),
                "partly_substantiated" => td_string!(l, finding_partly_substantiated),
                _ => td_string!(l, finding_unsubstantiated),
            };
            view! {
                <p class="case-finding" data-finding=f>
                    {td_string!(l, fact_finding)} ": " <strong>{label}</strong>
                </p>
            }
        });
        view! {
            <h2>{td_string!(l, fact_reply)}</h2>
            {finding}
            <p class="case-reply" id="case-reply">{r}</p>
            {v.actions_taken.clone().map(|a| view! {
                <p><strong>{td_string!(l, fact_actions_taken)}</strong> ": " {a}</p>
            })}
        }
    });
    let timeline = v
        .timeline
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
        .collect_view();
    let reward = v.reward.clone().map(|r| {
        view! { <Reward reward=r claim_open=shows_form(&v, "claim_reward") code=code.clone() secret=secret.clone() posted=posted.clone() /> }
    });
    view! {
        // The code and secret the page was opened with, for the script (the
        // address it keeps, the photos it sends with an answer).
        <article class="card case" id="case" data-code=code.clone()>
            <header class="case-head">
                <div>
                    <p class="muted">{td_string!(l, tracking_code_label)}</p>
                    <p class="case-code">{v.tracking_code.clone()}</p>
                </div>
                <span class=format!("case-state state-{}", v.state) data-state=v.state.clone()>
                    {state_label(l, &v.state)}
                </span>
            </header>
            <dl class="case-facts">{facts}</dl>
            <h2>{td_string!(l, fact_description)}</h2>
            <p class="case-description">{v.description.clone()}</p>
            {photos}
            {v.merged_into.clone().map(|m| view! {
                <p class="notice" id="merged-into">{td_string!(l, merged_into_note)} " " <strong>{m}</strong></p>
            })}
            {v.deadline.clone().map(|d| view! {
                <p class="muted">{td_string!(l, fact_deadline)} " " {local_time(&d)}</p>
            })}
            {reply}
            <followup::Questions asked=v.info_requests.clone() open=shows_form(&v, "answer_info")
                code=code.clone() secret=secret.clone() posted=posted.clone() />
            {reward}
            <followup::Rate given=v.rating.clone() open=shows_form(&v, "rate")
                code=code.clone() secret=secret.clone() posted=posted.clone() />
            <followup::CameBack open=shows_form(&v, "came_back") named=!v.anonymous new_case=v.new_case.clone()
                came_back_as=v.came_back_as.clone() came_back_from=v.came_back_from.clone()
                code=code.clone() secret=secret.clone() posted=posted.clone() />
            {shows_form(&v, "contest").then(|| view! { <Contest code=code.clone() secret=secret.clone() posted=posted.clone() /> })}
            <notify::Notify status=v.notify.clone()
                phone_form=shows_form(&v, "phone") remove_form=shows_form(&v, "phone_remove")
                code=code.clone() secret=secret.clone() posted=posted.clone() />
            <h2>{td_string!(l, fact_timeline)}</h2>
            <ol class="timeline">{timeline}</ol>
        </article>
    }
}

/// The reward (举报奖励) as its reporter sees it: amount, deadline, and the
/// claim form while it can be claimed.
#[component]
fn Reward(
    reward: shared::reward::ReporterReward,
    /// The claim form is shown (`shows_form`).
    claim_open: bool,
    code: String,
    secret: String,
    posted: Posted,
) -> impl IntoView {
    use shared::reward::{RewardState, yuan};
    let l = use_lang().get_untracked();
    let status = match reward.state {
        _ if reward.on_hold => td_string!(l, reward_state_on_hold),
        RewardState::Rejected => td_string!(l, reward_state_withdrawn),
        RewardState::Claimed => td_string!(l, reward_state_claimed),
        RewardState::Paid => td_string!(l, reward_state_paid),
        RewardState::Expired => td_string!(l, reward_state_expired),
        RewardState::Declined => td_string!(l, reward_state_declined),
        _ => td_string!(l, reward_approved_text),
    };
    view! {
        <section class="reward" id="reward" data-state=reward.state.as_str() data-on-hold=reward.on_hold.then_some("true")>
            <h2>{td_string!(l, reward_title)}</h2>
            <p>{status}</p>
            <p class="reward-amount">{td_string!(l, reward_amount)} ": "
                <strong id="reward-amount">{yuan(reward.amount_fen)}</strong> " " {td_string!(l, yuan)}</p>
            {reward.claim_deadline.clone().filter(|_| reward.can_claim).map(|d| view! {
                <p class="muted">{td_string!(l, reward_deadline)} " " {local_time(&d)}</p>
            })}
            {claim_open.then(|| view! {
                // Two answers, one form: the button pressed says which.
                <form id="claim-form" method="post" action="/track">
                    <Carry code=code secret=secret />
                    <div class="field">
                        <label for="payout-account">{td_string!(l, reward_payout_account)}</label>
                        <input id="payout-account" name="payout_account" type="text" autocomplete="off"
                            required=true minlength="4" maxlength="200"
                            value=posted.typed("claim_reward", "payout_account") />
                    </div>
                    {refusal_view(posted.refusal(l, &["claim_reward", "decline_reward"]))}
                    <button type="submit" class="button primary" id="claim-submit" name="intent" value="claim_reward">
                        {td_string!(l, reward_claim)}
                    </button>
                    " "
                    <button type="submit" class="button" id="decline-reward" name="intent" value="decline_reward"
                        formnovalidate=true>
                        {td_string!(l, reward_decline)}
                    </button>
                </form>
            })}
        </section>
    }
}

/// The reporter's one objection to the reply (异议): back to review.
#[component]
fn Contest(code: String, secret: String, posted: Posted) -> impl IntoView {
    let l = use_lang().get_untracked();
    view! {
        <form class="contest" id="contest-form" method="post" action="/track">
            <Carry code=code secret=secret intent="contest" />
            <h2>{td_string!(l, contest_title)}</h2>
            <p class="hint">{td_string!(l, contest_hint)}</p>
            <div class="field">
                <label for="contest-reason">{td_string!(l, contest_reason)}</label>
                <textarea id="contest-reason" name="reason" rows="3" required=true maxlength="2000"
                    inner_html=escaped(&posted.typed("contest", "reason"))></textarea>
            </div>
            {refusal_view(posted.refusal(l, &["contest"]))}
            <button type="submit" class="button" id="contest-submit">
                {td_string!(l, contest_button)}
            </button>
        </form>
    }
}
