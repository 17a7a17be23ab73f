//! The page language (界面语言): zh-CN first, English second.
//!
//! Translations are leptos_i18n's compile-checked tables (`td_string!`); the
//! language itself lives in this small context instead of leptos_i18n's
//! provider, whose server-side effect reads a signal after the request may
//! have ended and panicked under load (seen in the benchmark).
//!
//! Chinese unless the visitor chose English, remembered in the `lang`
//! cookie. A browser's Accept-Language is ignored on purpose: the district's
//! site reads the same for everyone until asked.

use crate::i18n::Locale;
use leptos::prelude::*;
use leptos_i18n::Locale as _;
use leptos_meta::Html;

pub const COOKIE: &str = "lang";

#[derive(Clone, Copy)]
pub struct Lang(RwSignal<Locale>);

impl Lang {
    pub fn get(self) -> Locale {
        self.0.get()
    }

    pub fn get_untracked(self) -> Locale {
        self.0.get_untracked()
    }

    pub fn set(self, locale: Locale) {
        self.0.set(locale);
        remember(locale);
    }

    pub fn toggle(self) {
        self.set(match self.0.get_untracked() {
            Locale::zh_CN => Locale::en,
            Locale::en => Locale::zh_CN,
        });
    }
}

/// Provides the language for the page and keeps `<html lang>` in step.
#[component]
pub fn LangProvider(children: Children) -> impl IntoView {
    let lang = Lang(RwSignal::new(initial()));
    provide_context(lang);
    view! {
        <Html attr:lang=move || lang.get().as_str() />
        {children()}
    }
}

/// Text for leptos_meta's `<Title>` and `<Meta>`. leptos_meta writes the
/// page's `<head>` after the body, outside the request's reactive arena,
/// where reading a signal can panic (seen on CI: "no Arena is active"). On
/// the server the text is therefore worked out now, while the component is
/// created; in the browser it stays reactive to the language switch.
pub fn head_text(text: impl Fn() -> String + Send + Sync + 'static) -> leptos::text_prop::TextProp {
    #[cfg(feature = "ssr")]
    {
        leptos::text_prop::TextProp::from(text())
    }
    #[cfg(not(feature = "ssr"))]
    {
        leptos::text_prop::TextProp::from(text)
    }
}

pub fn use_lang() -> Lang {
    // Outside the provider (never in this app) fall back to Chinese rather
    // than panic.
    use_context::<Lang>().unwrap_or_else(|| Lang(RwSignal::new(Locale::zh_CN)))
}

/// The cookie's value, if it names a language we have.
pub fn from_cookie_header(header: &str) -> Option<Locale> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| match value {
            "en" => Some(Locale::en),
            "zh-CN" => Some(Locale::zh_CN),
            _ => None,
        })
}

#[cfg(feature = "ssr")]
fn initial() -> Locale {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(from_cookie_header)
        })
        .unwrap_or(Locale::zh_CN)
}

/// In the browser, the language the server rendered: hydration must match it.
#[cfg(not(feature = "ssr"))]
fn initial() -> Locale {
    if crate::browser::rendered_lang().as_deref() == Some("en") {
        return Locale::en;
    }
    Locale::zh_CN
}

/// Keeps the choice for a year, for the server to render the next page in it.
fn remember(locale: Locale) {
    crate::browser::set_cookie(&format!(
        "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        locale.as_str()
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_cookie_is_found_among_others() {
        assert_eq!(from_cookie_header("a=1; lang=en; b=2"), Some(Locale::en));
        assert_eq!(from_cookie_header("lang=zh-CN"), Some(Locale::zh_CN));
        assert_eq!(from_cookie_header("lang=fr"), None);
        assert_eq!(from_cookie_header("xlang=en"), None);
    }
}
