//! Line icons drawn as inline SVG, so they look the same on every phone
//! (emoji depend on the phone's fonts, and some show as empty boxes).

use leptos::prelude::*;

/// The path data of each icon, on a 24×24 grid, stroked.
fn paths(name: &str) -> &'static [&'static str] {
    match name {
        // A speaker with sound waves.
        "noise" => &[
            "M4 9h4l5-4v14l-5-4H4z",
            "M16 9a4 4 0 0 1 0 6",
            "M18.5 6.5a8 8 0 0 1 0 11",
        ],
        // A drop over a wave.
        "water" => &[
            "M12 3c3 4 5 6.5 5 9a5 5 0 0 1-10 0c0-2.5 2-5 5-9z",
            "M3 20c2-1.5 4-1.5 6 0s4 1.5 6 0 4-1.5 6 0",
        ],
        // Drifting dust.
        "dust" => &["M3 8h10a3 3 0 1 0-3-3", "M3 12h15a3 3 0 1 1-3 3", "M3 16h7"],
        // A flame.
        "burning" => &["M12 3c1 3 5 5 5 10a5 5 0 0 1-10 0c0-3 2-4 2-7 1.5 1 2 2 2 3 1-2 1-4 1-6z"],
        // A pot with steam.
        "fumes" => &[
            "M4 12h16v3a5 5 0 0 1-5 5H9a5 5 0 0 1-5-5z",
            "M9 8c0-1.5 1-1.5 1-3",
            "M14 8c0-1.5 1-1.5 1-3",
        ],
        // Wavy smell lines.
        "odour" => &[
            "M6 20c-2-3 2-5 0-8s2-5 0-8",
            "M12 20c-2-3 2-5 0-8s2-5 0-8",
            "M18 20c-2-3 2-5 0-8s2-5 0-8",
        ],
        // A chimney with smoke.
        "air" => &["M4 21V11l5 3V11l5 3V5h4v16z", "M16 3c1-1 3-1 4 0"],
        // A bin with a lid.
        "waste" => &[
            "M4 7h16",
            "M9 7V4h6v3",
            "M6 7l1 14h10l1-14",
            "M10 11v6",
            "M14 11v6",
        ],
        // A leaf.
        "ecology" => &["M5 19C5 9 11 4 20 4c0 9-5 15-15 15z", "M5 19l8-8"],
        // Layers of ground under a sprout.
        "soil" => &[
            "M3 16h18",
            "M3 20h18",
            "M12 16V9",
            "M12 11c-3 0-4-2-4-4 3 0 4 2 4 4z",
            "M12 10c3 0 4-2 4-4-3 0-4 2-4 4z",
        ],
        // The trefoil.
        "radiation" => &[
            "M12 12m-1.5 0a1.5 1.5 0 1 0 3 0 1.5 1.5 0 1 0-3 0",
            "M12 10.5 9 5.3A8 8 0 0 0 4 12h6",
            "M12 10.5 15 5.3A8 8 0 0 1 20 12h-6",
            "M10.7 13.2 7.7 18.4a8 8 0 0 0 8.6 0l-3-5.2",
        ],
        // A paper with a warning mark.
        "violation" => &["M6 3h9l4 4v14H6z", "M12 9v5", "M12 17h.01"],
        // Three dots in a circle: anything else.
        "other" => &[
            "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z",
            "M8 12h.01",
            "M12 12h.01",
            "M16 12h.01",
        ],
        _ => &["M12 4a8 8 0 1 0 0 16 8 8 0 0 0 0-16z"],
    }
}

/// The icon for a name the API gives (a category's `icon`); "other" for
/// any name we do not draw.
pub fn icon_for(name: &str) -> &'static str {
    match name {
        "noise" => "noise",
        "water" => "water",
        "dust" => "dust",
        "burning" => "burning",
        "fumes" => "fumes",
        "odour" => "odour",
        "air" => "air",
        "waste" => "waste",
        "ecology" => "ecology",
        "soil" => "soil",
        "radiation" => "radiation",
        "violation" => "violation",
        _ => "other",
    }
}

/// (Its `<svg>` attributes are written again in `write_svg` below: change both.)
#[component]
pub fn Icon(name: &'static str) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"
            fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">
            {paths(name).iter().map(|d| view! { <path d=*d /> }).collect_view()}
        </svg>
    }
}

/// The same drawing written into HTML a page writes as text (the report
/// form's category grid, `steps::grid_html`; see `crate::markup`). The paths
/// are the constants above.
pub fn write_svg(m: &mut crate::markup::Markup, name: &str) {
    m.open(
        "svg",
        &[
            ("class", "icon"),
            ("viewBox", "0 0 24 24"),
            ("width", "28"),
            ("height", "28"),
            ("aria-hidden", "true"),
            ("fill", "none"),
            ("stroke", "currentColor"),
            ("stroke-width", "1.8"),
            ("stroke-linecap", "round"),
            ("stroke-linejoin", "round"),
        ],
    );
    for d in paths(name) {
        m.element("path", &[("d", d)], "");
    }
    m.close("svg");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_icon_an_admin_may_choose_is_drawn() {
        let fallback = paths("");
        for name in shared::catalogue::ICONS {
            assert_eq!(icon_for(name), name);
            assert_ne!(paths(name), fallback, "{name} has its own drawing");
        }
    }
}
