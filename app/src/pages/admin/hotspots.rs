//! Repeat sites (重复投诉): places with several cases close together in
//! recent months, largest first — the places where a one-off inspection has
//! not been enough. Each is a card with its cases as links; the map's pins
//! open the card.

use super::load;
use crate::components::charts::{DistrictAreas, DistrictMap, Pin};
use crate::format::{local_date, named, state_label};
use crate::i18n::*;
use crate::lang::use_lang;
use leptos::prelude::*;
use shared::workbench::{Hotspot, Hotspots, SiteCase};

#[component]
pub fn AdminHotspots() -> impl IntoView {
    let lang = use_lang();
    let hotspots = load::<Hotspots>(|| "/api/v1/cases/hotspots".to_owned());
    let areas = load::<DistrictAreas>(|| "/api/v1/areas".to_owned());
    move || {
        let l = lang.get();
        let body = match hotspots.get() {
            None => {
                view! { <p class="muted" role="status">{td_string!(l, loading)}</p> }.into_any()
            }
            Some(Err(e)) => view! { <p class="field-error" role="alert">{e}</p> }.into_any(),
            Some(Ok(h)) => {
                let lead = td!(
                    l,
                    adm_hotspots_lead,
                    n = h.min_cases,
                    m = h.radius_m,
                    days = h.days
                );
                if h.items.is_empty() {
                    view! {
                        <p class="lead">{lead}</p>
                        <p class="muted" id="hotspots-empty">{td_string!(l, adm_hotspots_none)}</p>
                    }
                    .into_any()
                } else {
                    let pins: Vec<Pin> = h
                        .items
                        .iter()
                        .map(|s| Pin {
                            lat: s.lat,
                            lon: s.lon,
                            href: format!("#hotspot-{}", s.centre),
                            label: format!("{} · {}", s.centre, s.count),
                            closed: s.open == 0,
                        })
                        .collect();
                    let areas =
                        std::sync::Arc::new(areas.get().and_then(Result::ok).unwrap_or_default());
                    view! {
                        <p class="lead">{lead}</p>
                        <section class="card map-card hotspots-map">
                            <DistrictMap title=td_string!(l, adm_hotspots).to_owned() areas=areas pins=pins />
                        </section>
                        <ol class="hotspots" id="hotspots">
                            {h.items.into_iter().map(|s| hotspot(l, s)).collect_view()}
                        </ol>
                    }
                    .into_any()
                }
            }
        };
        view! {
            <h1>{td_string!(l, adm_hotspots)}</h1>
            {body}
        }
    }
}

fn hotspot(l: Locale, s: Hotspot) -> impl IntoView {
    let area = s
        .area
        .as_ref()
        .map(|a| named(l, &a.name, &a.name_en))
        .unwrap_or_else(|| "—".to_owned());
    view! {
        <li class="card hotspot" id=format!("hotspot-{}", s.centre) data-count=s.count.to_string()>
            <h2>{td!(l, adm_hotspot_count, n = s.count)} " · " {area}</h2>
            <p class="hotspot-meta">
                <span class="muted">
                    {format!("{} – {}", local_date(&s.first_at), local_date(&s.last_at))}
                    " · " {td!(l, adm_hotspot_open, n = s.open)}
                </span>
                <a class="button small" href=geo_uri(s.lat, s.lon)>{td_string!(l, adm_navigate)}</a>
            </p>
            <ul class="site-cases">
                {s.cases.into_iter().map(|c| site_case(l, c)).collect_view()}
            </ul>
        </li>
    }
}

/// A case at a repeat site or among the earlier ones here: a link with its
/// state, category, date and distance.
pub fn site_case(l: Locale, c: SiteCase) -> impl IntoView {
    view! {
        <li data-code=c.code.clone()>
            <a href=format!("/admin/cases/{}", c.code)>{c.code.clone()}</a>
            " " <span class="case-state" data-state=c.state.as_str()>{state_label(l, c.state.as_str())}</span>
            // A line of its own under the number, so that the list reads
            // the same on a phone and a desktop.
            <span class="site-case-meta muted small">
                {format!("{} · {} · {} m", named(l, &c.category.name, &c.category.name_en), local_date(&c.submitted_at), c.distance_m)}
            </span>
        </li>
    }
}

/// A `geo:` URI (RFC 5870): a phone opens its map app there, to navigate.
/// The `q` repeats the point so that Android's apps drop a pin on it.
pub fn geo_uri(lat: f64, lon: f64) -> String {
    format!("geo:{lat:.6},{lon:.6}?q={lat:.6},{lon:.6}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_geo_uri_names_the_point_twice() {
        assert_eq!(
            geo_uri(29.3752, 106.5101),
            "geo:29.375200,106.510100?q=29.375200,106.510100"
        );
    }
}
