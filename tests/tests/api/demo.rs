//! The living demo (演示数据): a year of invented cases played through the
//! real workflow, so every page has something to show and every rule holds.

use serde_json::Value;
use shanshui_tests::{TestApp, demo_cases as generate};
use shared::Role;

async fn a_year_of_demo_cases_goes_through_the_real_workflow(app: &TestApp) {
    // The opening `<html …>` tag of a page.
    let html_tag = |path: &'static str| async move {
        let page = app.get(path).await.text().await.unwrap();
        let start = page.find("<html").unwrap();
        page[start..].split('>').next().unwrap().to_owned()
    };
    let banner = r#"class="demo""#;
    assert!(
        !html_tag("/").await.contains(banner),
        "no demo cases, no banner"
    );

    let summary = generate(app, 300, 7).await;
    assert_eq!(summary.cases, 300, "{summary}");
    // Run again: a database with cases is left alone.
    let again = generate(app, 300, 7).await;
    assert_eq!(again.cases, 0);
    // Invented reporters are told nothing: no message is queued or sent.
    {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let sent = server::db::entities::message_outbox::Entity::find()
            .filter(server::db::entities::message_outbox::Column::Status.ne("dropped"))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(sent, 0, "messages for demo cases");
        let texts = server::db::entities::sms_log::Entity::find()
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(texts, 0);
    }

    // Every page says the cases are invented, within a minute.
    app.clock.advance(chrono::Duration::seconds(61));
    for path in ["/stats", "/cases", "/report", "/admin"] {
        assert!(
            html_tag(path).await.contains(banner),
            "{path} has no demo banner"
        );
    }

    let stats: Value = app.get("/api/v1/stats").await.json().await.unwrap();
    assert_eq!(stats["total"], 300, "{stats}");
    let closed = stats["closed"].as_u64().unwrap();
    let open = stats["open"].as_u64().unwrap();
    assert!(closed > 200 && open > 5, "closed {closed}, open {open}");
    assert!(stats["rewards_paid"].as_u64().unwrap() > 0, "{stats}");
    let months = stats["by_month"].as_array().unwrap();
    assert!(
        months
            .iter()
            .filter(|m| m["value"].as_u64() > Some(0))
            .count()
            >= 11,
        "the cases spread over the year: {months:?}"
    );

    // Every state of the workflow is reached, each case by allowed steps.
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let (_, counts) = dispatcher.get("/api/v1/cases/counts").await;
    for pair in counts["by_state"].as_array().unwrap() {
        let (state, n) = (pair[0].as_str().unwrap(), pair[1].as_u64().unwrap());
        // Merging is not played; `accepted` lasts hours before a handler
        // is assigned, so a small year may end with none.
        if !matches!(state, "merged" | "accepted") {
            assert!(n > 0, "no demo case is {state}: {counts}");
        }
    }
    let (_, page) = dispatcher
        .get("/api/v1/cases?state=closed&page_size=20")
        .await;
    for item in page["items"].as_array().unwrap() {
        let case = dispatcher.case(item["code"].as_str().unwrap()).await;
        assert!(
            case["reply"].is_string() && case["finding"].is_string(),
            "{case}"
        );
        let times: Vec<&str> = case["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["at"].as_str().unwrap())
            .collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted, "the steps happened in order");
    }

    // Disclosed cases are public with the reviewer's words and nothing
    // else; the public list shows them.
    let public: Value = app
        .get("/api/v1/public/cases?disclosed=true")
        .await
        .json()
        .await
        .unwrap();
    assert!(!public["items"].as_array().unwrap().is_empty(), "{public}");
    let text = public.to_string();
    let phone = text
        .as_bytes()
        .windows(11)
        .any(|w| w.starts_with(b"139") && w.iter().all(u8::is_ascii_digit));
    assert!(!text.contains("先生") && !phone, "{text}");
}
shanshui_tests::demo_test!(a_year_of_demo_cases_goes_through_the_real_workflow);

/// `/cases` pages by its own links (issue 16): forward by the case a page
/// follows, back by the case it comes before, so a deep page costs what the
/// first does; each lands on the page its number gives, and the page before
/// the second is the first at its own address.
async fn the_list_of_cases_pages_forward_and_back_by_its_links(app: &TestApp) {
    generate(app, 70, 11).await;
    let page = |path: String| async move {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        res.text().await.unwrap()
    };
    // The cases in the table, in order.
    let rows = |html: &str| -> Vec<String> {
        let body = html
            .split("<tbody>")
            .nth(1)
            .unwrap()
            .split("</tbody>")
            .next()
            .unwrap();
        body.split("href=\"/cases/")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_owned())
            .fold(Vec::new(), |mut codes, c| {
                if !codes.contains(&c) {
                    codes.push(c);
                }
                codes
            })
    };
    let link = |html: &str, rel: &str| -> Option<String> {
        let tail = html.split(&format!("rel=\"{rel}\" href=\"")).nth(1)?;
        Some(tail.split('"').next()?.replace("&amp;", "&"))
    };
    let numbered = |n: u32| async move {
        let page: Value = app
            .get(&format!("/api/v1/public/cases?page={n}"))
            .await
            .json()
            .await
            .unwrap();
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };

    let first = page("/cases".to_owned()).await;
    assert_eq!(rows(&first), numbered(1).await);
    assert!(link(&first, "prev").is_none());
    let to_second = link(&first, "next").expect("a next link");
    let second = page(to_second.clone()).await;
    assert_eq!(rows(&second), numbered(2).await, "{to_second}");
    let to_third = link(&second, "next").expect("a next link");
    assert!(to_third.contains("page=3&after="), "{to_third}");
    let third = page(to_third).await;
    assert_eq!(rows(&third), numbered(3).await);

    let back = link(&third, "prev").expect("a prev link");
    assert!(back.contains("page=2&before="), "{back}");
    assert_eq!(rows(&page(back).await), rows(&second));
    assert_eq!(link(&second, "prev").as_deref(), Some("/cases"));
}
shanshui_tests::demo_test!(the_list_of_cases_pages_forward_and_back_by_its_links);
