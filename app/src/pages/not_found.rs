//! The page for an unknown address; the server answers it with 404.

use crate::i18n::*;
use crate::lang::{head_text, use_lang};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let lang = use_lang();
    view! {
        <Title text=head_text(move || td_string!(lang.get(), not_found_title).to_owned()) />
        <section class="not-found">
            <h1>{move || td_string!(lang.get(), not_found_title)}</h1>
            <p>{move || td_string!(lang.get(), not_found_body)}</p>
            <A href="/" attr:class="button">{move || td_string!(lang.get(), back_home)}</A>
        </section>
    }
}
