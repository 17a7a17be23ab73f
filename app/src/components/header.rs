//! The site header: brand, the navigation (collapsed behind a menu button on
//! phones) and the language switch.

use crate::components::app::Page;
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

#[component]
pub fn Header() -> impl IntoView {
    let lang = use_lang();
    let (open, set_open) = signal(false);
    // Close the menu after a navigation, so the new page is visible.
    let location = use_location();
    Effect::new(move |_| {
        location.pathname.track();
        set_open.set(false);
    });

    let switch_language = move |_| lang.toggle();

    view! {
        <header class="site-header">
            <div class="bar">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"山"</span>
                    <span class="brand-text">
                        <strong>{move || td_string!(lang.get(), brand)}</strong>
                        <small>{move || td_string!(lang.get(), brand_sub)}</small>
                    </span>
                </A>
                <button
                    type="button"
                    class="lang-switch"
                    lang=move || if lang.get() == Locale::en { "zh-CN" } else { "en" }
                    // Its name is its text ("English", "中文"), in that
                    // language: a name that differs from the text it shows
                    // fails speech control (label-content-name-mismatch).
                    title=move || td_string!(lang.get(), switch_language_label)
                    on:click=switch_language
                >
                    {move || td_string!(lang.get(), switch_language)}
                </button>
                <button
                    type="button"
                    class="menu-toggle"
                    aria-controls="site-nav"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| set_open.update(|o| *o = !*o)
                >
                    <span class="menu-icon" aria-hidden="true"></span>
                    // The two labels, for a server-only page's script
                    // (`delivery::SERVER_ONLY_SCRIPT`) to swap.
                    <span
                        class="menu-label"
                        data-menu=move || td_string!(lang.get(), menu)
                        data-close=move || td_string!(lang.get(), close_menu)
                    >
                        {move || if open.get() {
                            td_string!(lang.get(), close_menu)
                        } else {
                            td_string!(lang.get(), menu)
                        }}
                    </span>
                </button>
            </div>
            <nav id="site-nav" class="site-nav" class:open=open>
                <ul>
                    {Page::NAV
                        .into_iter()
                        .map(|page| {
                            view! {
                                <li>
                                    <A href=page.href()>
                                        {move || page.nav_label(lang.get())}
                                    </A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
        </header>
    }
}
