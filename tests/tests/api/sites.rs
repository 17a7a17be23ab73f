//! Repeat sites (重复投诉): hotspots (`GET /api/v1/cases/hotspots`) computed
//! as `server/src/cases/sites.rs` documents them, and the earlier cases at a
//! case's place on its page (`earlier_here`).

use serde_json::{Value, json};
use shanshui_tests::{Staff, TestApp, file_report};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);
/// Degrees of latitude in 100 m (and of longitude, at 29.4°N).
const LAT_100M: f64 = 100.0 / 111_195.0;
const LON_100M: f64 = 100.0 / (111_195.0 * 0.8712);

/// A construction-noise report (→ housing and construction) `north` and
/// `east` metres from the point in Yudong.
async fn noise_at(app: &TestApp, north: f64, east: f64) -> String {
    report_at(app, "noise_construction", north, east).await
}

async fn report_at(app: &TestApp, category: &str, north: f64, east: f64) -> String {
    let lat = YUDONG.0 + north / 100.0 * LAT_100M;
    let lon = YUDONG.1 + east / 100.0 * LON_100M;
    file_report(app, category, lat, lon, &[]).await.0
}

async fn hotspots(staff: &Staff) -> Value {
    let (status, body) = staff.get("/api/v1/cases/hotspots").await;
    assert_eq!(status, 200, "{}: {body}", staff.username);
    assert_eq!(
        (&body["radius_m"], &body["min_cases"], &body["days"]),
        (&json!(200), &json!(3), &json!(90))
    );
    body
}

/// (centre, count, the cases' codes) of each hotspot, in order.
fn summary(body: &Value) -> Vec<(String, u64, Vec<String>)> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let mut codes: Vec<String> = h["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["code"].as_str().unwrap().to_owned())
                .collect();
            codes.sort();
            (
                h["centre"].as_str().unwrap().to_owned(),
                h["count"].as_u64().unwrap(),
                codes,
            )
        })
        .collect()
}

fn sorted(codes: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = codes.iter().map(|c| (*c).clone()).collect();
    v.sort();
    v
}

async fn three_cases_within_200_m_over_90_days_make_a_hotspot_in_the_viewer_s_scope(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let other = app
        .staff("bie.ren", Role::Handler, Some("urban_management"))
        .await;

    let a = noise_at(app, 0.0, 0.0).await;
    let b = noise_at(app, 100.0, 0.0).await;
    assert_eq!(hotspots(&dispatcher).await["items"], json!([]), "two: none");
    let c = noise_at(app, 0.0, 90.0).await;
    // 300 m south of the first: within 200 m of none of them.
    let far = noise_at(app, -300.0, 0.0).await;
    let found = hotspots(&dispatcher).await;
    assert_eq!(
        summary(&found),
        [(a.clone(), 3, sorted(&[&a, &b, &c]))],
        "the first case reaches both others; the one 300 m away is left out"
    );
    let spot = &found["items"][0];
    assert_eq!(spot["open"], 3);
    assert_eq!(
        spot["area"]["code"],
        dispatcher.case(&a).await["area"]["code"]
    );
    assert_eq!(
        spot["first_at"], spot["cases"][2]["submitted_at"],
        "newest first"
    );
    let distances: Vec<u64> = spot["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["distance_m"].as_u64().unwrap())
        .collect();
    assert_eq!(distances[2], 0, "the centre");
    assert!(distances.iter().all(|d| *d <= 200), "{distances:?}");
    assert!(!summary(&found)[0].2.contains(&far));

    // Another department's case 50 m away: a fourth case for whoever sees
    // it, invisible to a handler of housing and construction.
    let rubbish = report_at(app, "burning_rubbish", 50.0, 0.0).await;
    assert_eq!(hotspots(&dispatcher).await["items"][0]["count"], 4);
    let theirs = hotspots(&handler).await;
    assert_eq!(summary(&theirs), [(a.clone(), 3, sorted(&[&a, &b, &c]))]);
    assert!(!theirs.to_string().contains(&rubbish));
    assert_eq!(
        hotspots(&other).await["items"],
        json!([]),
        "one case of theirs there"
    );

    // The window is the last 90 days, by the server's clock.
    app.clock.advance(chrono::Duration::days(89));
    let dispatcher = app.sign_in("diao.du").await;
    assert_eq!(hotspots(&dispatcher).await["items"][0]["count"], 4);
    app.clock.advance(chrono::Duration::days(2));
    let dispatcher = app.sign_in("diao.du").await;
    assert_eq!(
        hotspots(&dispatcher).await["items"],
        json!([]),
        "older than 90 days"
    );
    noise_at(app, 10.0, 10.0).await;
    noise_at(app, 20.0, 10.0).await;
    assert_eq!(
        hotspots(&dispatcher).await["items"],
        json!([]),
        "two new cases and four old ones are not a hotspot"
    );
    let newest = noise_at(app, 30.0, 10.0).await;
    assert_eq!(summary(&hotspots(&dispatcher).await)[0].1, 3);
    assert!(hotspots(&dispatcher).await.to_string().contains(&newest));
}
shanshui_tests::demo_test!(
    three_cases_within_200_m_over_90_days_make_a_hotspot_in_the_viewer_s_scope
);

async fn the_busiest_place_comes_first_and_no_case_counts_twice(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    // Three cases at one place, and four 1 km east.
    let mut small = Vec::new();
    for north in [0.0, 40.0, 80.0] {
        small.push(noise_at(app, north, 0.0).await);
    }
    let mut large = Vec::new();
    for north in [0.0, 40.0, 80.0, 120.0] {
        large.push(noise_at(app, north, 1000.0).await);
    }
    let found = summary(&hotspots(&dispatcher).await);
    assert_eq!(
        found.iter().map(|h| h.1).collect::<Vec<_>>(),
        [4, 3],
        "{found:?}"
    );
    assert_eq!(found[0].2, sorted(&large.iter().collect::<Vec<_>>()));
    assert_eq!(found[1].2, sorted(&small.iter().collect::<Vec<_>>()));
}
shanshui_tests::demo_test!(the_busiest_place_comes_first_and_no_case_counts_twice);

async fn a_case_page_counts_the_earlier_cases_within_200_m_and_lists_the_latest_ten(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let first = noise_at(app, 0.0, 0.0).await;
    let here = |case: &Value| case["earlier_here"].clone();
    assert_eq!(
        here(&dispatcher.case(&first).await),
        json!({ "count": 0, "cases": [] })
    );

    let mut earlier = vec![first.clone()];
    for k in 1..11 {
        earlier.push(noise_at(app, f64::from(k) * 10.0, 0.0).await);
    }
    // Not counted: one 300 m away, and a duplicate merged into another case.
    noise_at(app, -300.0, 0.0).await;
    let duplicate = noise_at(app, 5.0, 5.0).await;
    let (status, body) = dispatcher
        .act(&duplicate, json!({ "action": "merge", "into": first }))
        .await;
    assert_eq!(status, 200, "{body}");
    // Another department's case: seen by the dispatcher, not the handler.
    let rubbish = report_at(app, "burning_rubbish", 20.0, 20.0).await;

    let latest = noise_at(app, 50.0, 50.0).await;
    let page = dispatcher.case(&latest).await;
    assert_eq!(
        page["earlier_here"]["count"], 12,
        "{}",
        page["earlier_here"]
    );
    let listed: Vec<&str> = page["earlier_here"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = vec![rubbish.as_str()];
    expected.extend(earlier.iter().rev().take(9).map(String::as_str));
    assert_eq!(listed, expected, "the ten latest, newest first");
    let one = &page["earlier_here"]["cases"][1];
    assert_eq!(one["category"]["code"], "noise_construction");
    assert_eq!(one["state"], "submitted");
    assert!(one["distance_m"].as_u64().unwrap() <= 200);
    // Each listed case opens (the console links to it).
    for code in &listed {
        dispatcher.case(code).await;
    }

    let theirs = handler.case(&latest).await;
    assert_eq!(theirs["earlier_here"]["count"], 11);
    assert!(!theirs["earlier_here"].to_string().contains(&rubbish));

    // Later cases are not earlier: the first case still has none.
    assert_eq!(dispatcher.case(&first).await["earlier_here"]["count"], 0);
    assert_eq!(
        dispatcher.case(&earlier[5]).await["earlier_here"]["count"],
        5
    );
}
shanshui_tests::demo_test!(
    a_case_page_counts_the_earlier_cases_within_200_m_and_lists_the_latest_ten
);
