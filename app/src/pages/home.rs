//! `/`: what Shanshui is for, the two things a resident comes to do, what
//! can be reported and how a case is handled.

use crate::components::icon::Icon;
use crate::i18n::*;
use crate::lang::{head_text, use_lang};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;

#[component]
pub fn Home() -> impl IntoView {
    let lang = use_lang();
    let kinds = move || {
        let l = lang.get();
        [
            (
                "noise",
                td_string!(l, kind_noise),
                td_string!(l, kind_noise_desc),
            ),
            (
                "water",
                td_string!(l, kind_water),
                td_string!(l, kind_water_desc),
            ),
            (
                "dust",
                td_string!(l, kind_dust),
                td_string!(l, kind_dust_desc),
            ),
            (
                "burning",
                td_string!(l, kind_burning),
                td_string!(l, kind_burning_desc),
            ),
            (
                "fumes",
                td_string!(l, kind_fumes),
                td_string!(l, kind_fumes_desc),
            ),
            (
                "odour",
                td_string!(l, kind_odour),
                td_string!(l, kind_odour_desc),
            ),
        ]
    };
    let steps = move || {
        let l = lang.get();
        [
            td_string!(l, step_accept),
            td_string!(l, step_investigate),
            td_string!(l, step_reply_review),
            td_string!(l, step_reward_review),
            td_string!(l, step_reward_pay),
        ]
    };
    view! {
        // The brand alone as the title (the formatter adds nothing to "").
        <Title text="" />
        <Meta name="description" content=head_text(move || td_string!(lang.get(), home_lead).to_owned()) />
        <crate::components::page_meta::Canonical path="/".to_owned() />
        <section class="hero">
            <h1>{move || td_string!(lang.get(), home_title)}</h1>
            <p class="lead">{move || td_string!(lang.get(), home_lead)}</p>
            <div class="cta">
                <A href="/report" attr:class="button primary">{move || td_string!(lang.get(), home_cta_report)}</A>
                <A href="/track" attr:class="button">{move || td_string!(lang.get(), home_cta_track)}</A>
            </div>
            <p class="notice">{move || td_string!(lang.get(), home_emergency)}</p>
        </section>
        <section>
            <h2>{move || td_string!(lang.get(), home_kinds_title)}</h2>
            <ul class="kinds">
                {move || {
                    kinds()
                        .into_iter()
                        .map(|(code, name, desc)| {
                            view! {
                                <li class=format!("kind kind-{code}")>
                                    <span class="kind-icon"><Icon name=code /></span>
                                    <strong>{name}</strong>
                                    <span>{desc}</span>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
        <section>
            <h2>{move || td_string!(lang.get(), home_process_title)}</h2>
            <ol class="process">
                {move || steps().into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
            </ol>
            <p>{move || td_string!(lang.get(), home_process_note)}</p>
        </section>
    }
}
