//! A page whose feature is not built yet says so plainly, with the hotline to
//! use meanwhile, instead of showing a form that goes nowhere.

use crate::components::app::Page;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Building(page: Page) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=move || page.title(i18n.get_locale()) />
        <section class="building">
            <h1>{move || page.title(i18n.get_locale())}</h1>
            <p class="badge">{t!(i18n, building_title)}</p>
            <p>{t!(i18n, building_body)}</p>
        </section>
    }
}
