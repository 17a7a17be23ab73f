//! Class 3: a report's place cannot be located more precisely than the
//! public record shows.
//!
//! A neighbour who wants to know which flat reported them asks
//! `/api/v1/reports/nearby` from three places and trilaterates the
//! distances, or narrows the radius from each place until the case drops
//! out. Either way the best they may find is the public record's point —
//! about 1 km for a case not yet disclosed — never the reporter's door.

use serde_json::Value;
use shanshui_tests::{TestApp, demo_test, demo_test_with, file_report};

/// A home-noise report's true place, chosen well away from the centre of
/// its 0.01° grid cell (so the public point is about 500 m off).
const HOME: (f64, f64) = (29.3715, 106.5112);
const METRES_PER_DEGREE: f64 = 111_320.0;

fn to_local(p: (f64, f64)) -> (f64, f64) {
    (
        (p.1 - HOME.1) * METRES_PER_DEGREE * HOME.0.to_radians().cos(),
        (p.0 - HOME.0) * METRES_PER_DEGREE,
    )
}

fn from_local(x: f64, y: f64) -> (f64, f64) {
    (
        HOME.0 + y / METRES_PER_DEGREE,
        HOME.1 + x / (METRES_PER_DEGREE * HOME.0.to_radians().cos()),
    )
}

fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (ax, ay) = to_local(a);
    let (bx, by) = to_local(b);
    ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt()
}

/// The point at distances `r` from the three observers (metres, planar).
fn trilaterate(observers: [(f64, f64); 3], r: [f64; 3]) -> (f64, f64) {
    let [p1, p2, p3] = observers.map(to_local);
    let (a1, b1) = (2.0 * (p2.0 - p1.0), 2.0 * (p2.1 - p1.1));
    let (a2, b2) = (2.0 * (p3.0 - p1.0), 2.0 * (p3.1 - p1.1));
    let c1 =
        r[0].powi(2) - r[1].powi(2) - p1.0.powi(2) + p2.0.powi(2) - p1.1.powi(2) + p2.1.powi(2);
    let c2 =
        r[0].powi(2) - r[2].powi(2) - p1.0.powi(2) + p3.0.powi(2) - p1.1.powi(2) + p3.1.powi(2);
    let det = a1 * b2 - a2 * b1;
    from_local((c1 * b2 - c2 * b1) / det, (a1 * c2 - a2 * c1) / det)
}

/// Where the public record puts a point: the centre of its 0.01° cell.
fn published(p: (f64, f64)) -> (f64, f64) {
    let snap = |v: f64| ((v / 0.01).floor() + 0.5) * 0.01;
    (snap(p.0), snap(p.1))
}

fn observers() -> [(f64, f64); 3] {
    [
        from_local(0.0, 800.0),
        from_local(800.0, 0.0),
        from_local(-600.0, -600.0),
    ]
}

async fn nearby(app: &TestApp, at: (f64, f64), radius: f64) -> Vec<Value> {
    let path = format!(
        "/api/v1/reports/nearby?category=noise_social&lat={}&lon={}&radius_m={radius}",
        at.0, at.1
    );
    let res = app.get(&path).await;
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.expect("a list")
}

fn no_limit(settings: &mut server::config::Settings) {
    settings.limits.nearby_burst = 100_000;
}

/// The attacker's estimate must be no closer to the home than the public
/// record's point is.
fn assert_not_located(estimate: (f64, f64), how: &str) {
    let public = published(HOME);
    let error = metres(estimate, HOME);
    let floor = metres(public, HOME);
    assert!(
        floor > 400.0,
        "the test's home sits well inside its cell: {floor}"
    );
    assert!(
        error >= floor - 5.0,
        "{how} located the reporter within {error:.1} m; the public record shows the place to {floor:.0} m"
    );
}

async fn distances_from_three_places_do_not_locate_a_home(app: &TestApp) {
    file_report(app, "noise_social", HOME.0, HOME.1, &[]).await;
    let obs = observers();
    let mut r = [0.0; 3];
    for (i, o) in obs.iter().enumerate() {
        let found = nearby(app, *o, 2000.0).await;
        assert_eq!(found.len(), 1, "the case is offered from {o:?}");
        r[i] = found[0]["distance_m"].as_f64().expect("a distance");
    }
    assert_not_located(trilaterate(obs, r), "trilaterating nearby's distances");
}
demo_test_with!(distances_from_three_places_do_not_locate_a_home, no_limit);

async fn narrowing_the_radius_does_not_locate_a_home(app: &TestApp) {
    file_report(app, "noise_social", HOME.0, HOME.1, &[]).await;
    let obs = observers();
    let mut r = [0.0; 3];
    for (i, o) in obs.iter().enumerate() {
        // The smallest radius that still finds the case, to a metre.
        let (mut lo, mut hi) = (10.0_f64, 2000.0_f64);
        while hi - lo > 1.0 {
            let mid = (lo + hi) / 2.0;
            if nearby(app, *o, mid).await.is_empty() {
                lo = mid
            } else {
                hi = mid
            }
        }
        r[i] = hi;
    }
    assert_not_located(trilaterate(obs, r), "narrowing the radius");
}
demo_test_with!(narrowing_the_radius_does_not_locate_a_home, no_limit);

async fn nearby_is_rate_limited_per_client(app: &TestApp) {
    let mut limited = None;
    for i in 0..200 {
        let res = app
            .get(&format!(
                "/api/v1/reports/nearby?category=noise_social&lat={}&lon={}",
                HOME.0, HOME.1
            ))
            .await;
        if res.status() == 429 {
            assert!(res.headers().contains_key("retry-after"));
            limited = Some(i);
            break;
        }
    }
    assert!(
        limited.is_some_and(|i| i <= 60),
        "a stranger mapping cases is slowed down: {limited:?}"
    );
}
demo_test!(nearby_is_rate_limited_per_client);

async fn a_me_too_must_be_near_the_case_it_joins(app: &TestApp) {
    let (code, _) = file_report(app, "noise_social", HOME.0, HOME.1, &[]).await;
    let far = from_local(0.0, 3000.0);
    let answers = shanshui_tests::required_answers(app, "noise_social")
        .await
        .to_string();
    let form = |at: (f64, f64)| {
        reqwest::multipart::Form::new()
            .text("category", "noise_social")
            .text("description", "我也听到了，每天晚上")
            .text("lat", at.0.to_string())
            .text("lon", at.1.to_string())
            .text("answers", answers.clone())
            .text("corroborates", code.clone())
    };
    let res = app
        .client
        .post(app.url("/api/v1/reports"))
        .multipart(form(far))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "a \"me too\" from 3 km away");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["error"]["fields"]["corroborates"]["code"], "invalid",
        "{body}"
    );
    let near = from_local(100.0, 50.0);
    let res = app
        .client
        .post(app.url("/api/v1/reports"))
        .multipart(form(near))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        201,
        "a \"me too\" from next door: {}",
        res.text().await.unwrap_or_default()
    );
}
demo_test!(a_me_too_must_be_near_the_case_it_joins);
