//! A page whose feature is not built yet says so plainly, with the hotline to
//! use meanwhile, instead of showing a form that goes nowhere.

use crate::components::app::Page;
use crate::i18n::*;
use crate::lang::{head_text, use_lang};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Building(page: Page) -> impl IntoView {
    let lang = use_lang();
    view! {
        <Title text=head_text(move || page.title(lang.get()).to_owned()) />
        <section class="building">
            <h1>{move || page.title(lang.get())}</h1>
            <p class="badge">{move || td_string!(lang.get(), building_title)}</p>
            <p>{move || td_string!(lang.get(), building_body)}</p>
        </section>
    }
}
