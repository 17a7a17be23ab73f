//! The reward queue (奖励审核 / 奖金发放): proposals for reward reviewers,
//! claims for finance, each with the eligibility reasons; and the ledger.
//! Finance reads a claimed reward's payout account here, one at a time,
//! each look written to the audit log.

use super::{load, use_staff};
use crate::format::local_date;
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use leptos_router::components::A;
use shared::Role;
use shared::reward::{RewardQueueItem, RewardState, yuan};

#[component]
pub fn AdminRewards() -> impl IntoView {
    let lang = use_lang();
    let finance = use_staff().me().is_some_and(|me| me.role == Role::Finance);
    let state = RwSignal::new(String::new());
    let items = load::<Vec<RewardQueueItem>>(move || {
        let s = state.get();
        if s.is_empty() {
            "/api/v1/rewards".to_owned()
        } else {
            format!("/api/v1/rewards?state={s}")
        }
    });
    view! {
        <h1>{move || td_string!(lang.get(), adm_rewards)}</h1>
        <p>
            <a href="/api/v1/rewards/ledger.csv" download="">{move || td_string!(lang.get(), adm_ledger)}</a>
            " · "
            <a href="/api/v1/rewards/ledger.csv?detail=true" download="">{move || td_string!(lang.get(), adm_ledger_detail)}</a>
        </p>
        <div class="admin-filters">
            <label>{move || td_string!(lang.get(), adm_state)}
                <select on:change=move |ev| state.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {["proposed", "approved", "claimed", "paid", "rejected", "expired", "declined", "all"]
                        .into_iter().map(|s| view! { <option value=s>{s}</option> }).collect_view()}
                </select>
            </label>
        </div>
        {move || {
            let l = lang.get();
            match items.get() {
                None => view! { <p class="muted">{td_string!(l, loading)}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="field-error">{e}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="muted">{td_string!(l, adm_rewards_empty)}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <table class="admin-table rewards">
                        <tbody>{list.into_iter().map(|i| {
                            let code = i.case.clone();
                            view! {
                            <tr data-code=i.case.clone()>
                                <td><A href=format!("/admin/cases/{}", i.case)>{code}</A></td>
                                <td>{i.department.clone().unwrap_or_default()}</td>
                                <td data-state=i.reward.state.as_str()>{i.reward.state.as_str()}</td>
                                <td>{yuan(i.reward.amount_fen)} " " {td_string!(l, yuan)}</td>
                                <td>{local_date(&i.reward.proposed_at)}</td>
                                <td><ul class="eligibility">{i.eligibility.checks.into_iter().filter(|c| !c.ok).map(|c| view! { <li>{"✗ "}{c.message}</li> }).collect_view()}</ul></td>
                                <td>{(finance && i.reward.state == RewardState::Claimed && !i.reward.on_hold)
                                    .then(|| view! { <PayoutAccount code=i.case.clone() /> })}</td>
                            </tr>
                        }}).collect_view()}</tbody>
                    </table>
                }.into_any(),
            }
        }}
    }
}

/// "Where to pay": the claimed reward's payout account, fetched only when
/// asked for (the server audits each look).
#[component]
fn PayoutAccount(code: String) -> impl IntoView {
    let lang = use_lang();
    let shown = RwSignal::new(None::<Result<String, String>>);
    let reveal = move |_| {
        let code = code.clone();
        leptos::task::spawn_local(async move {
            let got = crate::browser::http::send_json::<shared::reward::PayoutAccount>(
                "POST",
                &format!("/api/v1/rewards/{code}/payout-account"),
                &[],
                &serde_json::json!({}),
            )
            .await
            .map(|p| p.payout_account)
            .map_err(|e| super::say(&e));
            shown.set(Some(got));
        });
    };
    view! {
        {move || match shown.get() {
            None => view! {
                <button type="button" class="button small payout-reveal" on:click=reveal.clone()
                    title=move || td_string!(lang.get(), adm_payout_hint)>
                    {move || td_string!(lang.get(), adm_payout_reveal)}
                </button>
            }.into_any(),
            Some(Ok(account)) => view! { <span class="payout-account">{account}</span> }.into_any(),
            Some(Err(e)) => view! { <span class="field-error">{e}</span> }.into_any(),
        }}
    }
}
