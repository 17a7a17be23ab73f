use reqwest::multipart::{Form, Part};
use sea_orm::{EntityTrait, PaginatorTrait};
use server::db::entities::{case, photo, report, reporter_identity};
use shanshui_tests::{Backend, TestApp, photos};
use shared::geo::{LatLon, distance_m, gcj02_to_wgs84};

// Yudong (鱼洞), inside Banan.
const LAT: &str = "29.3752";
const LON: &str = "106.5101";

fn form(category: &str, description: &str) -> Form {
    Form::new()
        .text("category", category.to_owned())
        .text("description", description.to_owned())
        .text("lat", LAT)
        .text("lon", LON)
}

fn photo_part(bytes: Vec<u8>, filename: &str, mime: &str) -> Part {
    Part::bytes(bytes)
        .file_name(filename.to_owned())
        .mime_str(mime)
        .unwrap()
}

async fn submit(app: &TestApp, form: Form) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/reports"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn json(res: reqwest::Response) -> serde_json::Value {
    res.json().await.unwrap()
}

async fn track(app: &TestApp, code: &str, secret: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/track/{code}")))
        .header("x-report-secret", secret)
        .send()
        .await
        .unwrap()
}

async fn counts(app: &TestApp) -> (u64, u64, u64) {
    (
        case::Entity::find().count(&app.db).await.unwrap(),
        report::Entity::find().count(&app.db).await.unwrap(),
        photo::Entity::find().count(&app.db).await.unwrap(),
    )
}

async fn the_catalogue_lists_the_plan_s_categories_with_their_questions(app: &TestApp) {
    let list: Vec<shared::report::Category> =
        app.get("/api/v1/categories").await.json().await.unwrap();
    assert!(list.len() >= 19, "{}", list.len());
    for code in [
        "noise_construction",
        "noise_construction_night",
        "noise_traffic",
        "noise_industrial",
        "noise_social",
        "noise_ship",
        "water_black_odorous",
        "water_sewage_storm",
        "water_outfall",
        "dust_construction",
        "dust_road",
        "dust_stockpile",
        "burning_straw",
        "burning_rubbish",
        "burning_bbq",
        "burning_fireworks",
        "cooking_fumes",
        "odour",
        "other",
    ] {
        assert!(list.iter().any(|c| c.code == code), "{code}");
    }
    let night = list
        .iter()
        .find(|c| c.code == "noise_construction_night")
        .unwrap();
    assert_eq!(night.group.code, "noise");
    assert_eq!(night.group.name, "噪声");
    let q = night
        .questions
        .iter()
        .find(|q| q.code == "every_night")
        .unwrap();
    assert!(q.required);
    assert_eq!(q.datatype, shared::report::Datatype::Singlevaluelist);
    assert!(q.values.iter().any(|v| v.key == "yes"));
    assert!(
        list.iter()
            .all(|c| !c.name_en.is_empty() && !c.icon.is_empty())
    );
}
shanshui_tests::db_test!(the_catalogue_lists_the_plan_s_categories_with_their_questions);

async fn an_anonymous_report_gets_a_code_and_a_secret_and_can_be_followed(app: &TestApp) {
    let res = submit(
        app,
        form("odour", "河边一直有刺鼻的化学品气味").text("answers", r#"{"smell":"chemical"}"#),
    )
    .await;
    assert_eq!(res.status(), 201);
    let receipt = json(res).await;
    let code = receipt["tracking_code"].as_str().unwrap();
    let secret = receipt["secret"].as_str().unwrap();
    assert!(
        shared::report::tracking_code::normalize(code).as_deref() == Some(code),
        "{code}"
    );
    assert!(secret.len() >= 22, "at least 128 bits: {secret}");
    assert_eq!(receipt["state"], "submitted");
    assert_eq!(
        receipt["track_url"],
        format!("/track#code={code}&secret={secret}")
    );

    let view = json(track(app, code, secret).await).await;
    assert_eq!(view["tracking_code"], code);
    assert_eq!(view["state"], "submitted");
    assert_eq!(view["category"], "odour");
    assert_eq!(view["anonymous"], true);
    assert_eq!(view["department"]["code"], "environment");
    assert_eq!(view["area"], "鱼洞街道");
    assert_eq!(view["area_en"], "Yudong Subdistrict");
    assert_eq!(view["timeline"][0]["action"], "submitted");
    // The code is accepted as people type it.
    let typed = code.to_lowercase().replace('-', " ");
    assert_eq!(track(app, &typed, secret).await.status(), 200);
}
shanshui_tests::demo_test!(an_anonymous_report_gets_a_code_and_a_secret_and_can_be_followed);

async fn a_wrong_secret_answers_exactly_like_an_unknown_code(app: &TestApp) {
    let receipt = json(submit(app, form("other", "路边有人倾倒不明液体")).await).await;
    let code = receipt["tracking_code"].as_str().unwrap();
    let wrong = track(app, code, "AAAAAAAAAAAAAAAAAAAAAA").await;
    let unknown = track(app, "BN-2345-6789", receipt["secret"].as_str().unwrap()).await;
    let missing = app.get(&format!("/api/v1/track/{code}")).await;
    assert_eq!(
        (
            wrong.status().as_u16(),
            unknown.status().as_u16(),
            missing.status().as_u16()
        ),
        (404, 404, 404)
    );
    let (a, b, c) = (
        wrong.text().await.unwrap(),
        unknown.text().await.unwrap(),
        missing.text().await.unwrap(),
    );
    assert_eq!(a, b);
    assert_eq!(b, c);
}
shanshui_tests::demo_test!(a_wrong_secret_answers_exactly_like_an_unknown_code);

async fn bad_reports_are_refused_field_by_field_and_store_nothing(app: &TestApp) {
    let cases: Vec<(Form, &str, &str)> = vec![
        (
            Form::new().text("description", "只有描述没有别的"),
            "category",
            "required",
        ),
        (
            form("no_such_category", "描述足够长了吧"),
            "category",
            "not_found",
        ),
        (form("odour", "短"), "description", "too_short"),
        (form("odour", &"很".repeat(4001)), "description", "too_long"),
        (
            form("odour", "描述足够长了吧").text("answers", "not json"),
            "answers",
            "invalid",
        ),
        (
            form("noise_construction_night", "夜里工地一直在打桩"),
            "answers.every_night",
            "required",
        ),
        (
            form("odour", "描述足够长了吧").text("answers", r#"{"smell":"roses"}"#),
            "answers.smell",
            "invalid",
        ),
        (
            form("odour", "描述足够长了吧").text("name", "王小明"),
            "phone",
            "required",
        ),
        (
            form("odour", "描述足够长了吧")
                .text("name", "王小明")
                .text("phone", "12345"),
            "phone",
            "invalid",
        ),
        (
            form("odour", "描述足够长了吧").text("shoe_size", "42"),
            "shoe_size",
            "unknown_field",
        ),
        (
            Form::new()
                .text("category", "other")
                .text("description", "北京的问题不归巴南")
                .text("lat", "39.9")
                .text("lon", "116.4"),
            "lat",
            "out_of_area",
        ),
        (
            Form::new()
                .text("category", "other")
                .text("description", "没有位置的举报"),
            "lat",
            "required",
        ),
        (
            form("odour", "描述足够长了吧").text("occurred_at", "2099-01-01T00:00:00Z"),
            "occurred_at",
            "in_future",
        ),
    ];
    for (form, field, code) in cases {
        let res = submit(app, form).await;
        assert_eq!(res.status(), 422, "{field}");
        let body = json(res).await;
        assert_eq!(
            body["error"]["code"], "validation_failed",
            "{field}: {body}"
        );
        assert_eq!(
            body["error"]["fields"][field]["code"], code,
            "{field}: {body}"
        );
        assert!(
            body["error"]["fields"][field]["message"].is_string(),
            "{field}: {body}"
        );
    }
    let not_multipart = app
        .client
        .post(app.url("/api/v1/reports"))
        .json(&serde_json::json!({"category": "odour"}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_multipart.status(), 415);
    assert_eq!(counts(app).await, (0, 0, 0));
}
shanshui_tests::demo_test!(bad_reports_are_refused_field_by_field_and_store_nothing);

async fn gcj02_coordinates_are_stored_as_wgs84(app: &TestApp) {
    let f = form("dust_road", "渣土车遗撒，道路扬尘很大").text("coord_system", "gcj02");
    let receipt = json(submit(app, f).await).await;
    let view = json(
        track(
            app,
            receipt["tracking_code"].as_str().unwrap(),
            receipt["secret"].as_str().unwrap(),
        )
        .await,
    )
    .await;
    let stored = LatLon {
        lat: view["lat"].as_f64().unwrap(),
        lon: view["lon"].as_f64().unwrap(),
    };
    let sent = LatLon {
        lat: LAT.parse().unwrap(),
        lon: LON.parse().unwrap(),
    };
    let expected = gcj02_to_wgs84(sent);
    assert!(
        distance_m(stored, expected) < 0.01,
        "{stored:?} vs {expected:?}"
    );
    assert!(
        distance_m(stored, sent) > 200.0,
        "the GCJ-02 offset was removed"
    );
}
shanshui_tests::demo_test!(gcj02_coordinates_are_stored_as_wgs84);

async fn a_retried_submission_with_the_same_key_creates_one_case(app: &TestApp) {
    let send = |desc: &'static str| {
        app.client
            .post(app.url("/api/v1/reports"))
            .header("idempotency-key", "phone-7f3a-0001")
            .multipart(form("cooking_fumes", desc).text("answers", r#"{"shop_name":"老张烧烤"}"#))
            .send()
    };
    let first = send("楼下餐馆油烟直排进窗户").await.unwrap();
    assert_eq!(first.status(), 201);
    let first = json(first).await;
    let again = send("楼下餐馆油烟直排进窗户").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(
        json(again).await,
        first,
        "the same receipt, secret included"
    );
    assert_eq!(counts(app).await.0, 1);

    let other = send("另一份完全不同的举报内容").await.unwrap();
    assert_eq!(other.status(), 422);
    assert_eq!(json(other).await["error"]["code"], "idempotency_key_reused");
    assert_eq!(counts(app).await.0, 1);
}
shanshui_tests::demo_test!(a_retried_submission_with_the_same_key_creates_one_case);

async fn a_real_name_is_encrypted_at_rest_and_never_shown(app: &TestApp) {
    let f = form("noise_industrial", "工厂夜里机器轰鸣")
        .text("answers", r#"{"enterprise_name":"某某机械厂"}"#)
        .text("name", "王小明")
        .text("phone", "+86 138-0013-8000");
    let receipt = json(submit(app, f).await).await;
    let text = track(
        app,
        receipt["tracking_code"].as_str().unwrap(),
        receipt["secret"].as_str().unwrap(),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        !text.contains("王小明") && !text.contains("13800138000"),
        "{text}"
    );
    assert!(text.contains("\"anonymous\":false"));

    let rows = reporter_identity::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].name_enc.contains("王小明") && !rows[0].phone_enc.contains("138"));
    let cipher = server::privacy::PiiCipher::load_or_create(&app.data_dir).unwrap();
    assert_eq!(cipher.decrypt(&rows[0].name_enc).unwrap(), "王小明");
    assert_eq!(cipher.decrypt(&rows[0].phone_enc).unwrap(), "13800138000");
    assert_eq!(rows[0].phone_index, cipher.blind_index("13800138000"));
}
shanshui_tests::demo_test!(a_real_name_is_encrypted_at_rest_and_never_shown);

async fn a_photo_is_stored_and_served_re_encoded_with_long_cache_headers(app: &TestApp) {
    let f = form("burning_rubbish", "空地上有人焚烧垃圾，浓烟很大")
        .text("answers", r#"{"still_burning":"yes"}"#)
        .part(
            "photo",
            photo_part(photos::jpeg(2400, 1800), "IMG_0001.JPG", "image/jpeg"),
        );
    let res = submit(app, f).await;
    assert_eq!(res.status(), 201);
    let receipt = json(res).await;
    assert_eq!(receipt["photos"], 1);
    let view = json(
        track(
            app,
            receipt["tracking_code"].as_str().unwrap(),
            receipt["secret"].as_str().unwrap(),
        )
        .await,
    )
    .await;
    let photo = &view["photos"][0];
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(2400), Some(1800))
    );
    for (url, long_edge) in [
        (photo["display_url"].as_str().unwrap(), 1600),
        (photo["thumbnail_url"].as_str().unwrap(), 320),
    ] {
        let res = app.get(url).await;
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert!(
            res.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age=31536000")
        );
        let bytes = res.bytes().await.unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!(img.width().max(img.height()), long_edge, "{url}");
        assert!(
            !bytes.windows(4).any(|w| w == b"Exif"),
            "no metadata in {url}"
        );
    }
    let rows = photo::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].original_sha256.len(), 64);
    assert!(!rows[0].public, "not public until staff review it");
    assert_eq!(app.get("/photos/display/../../pii.key").await.status(), 404);
    assert_eq!(
        app.get(&format!("/photos/original/{}.jpg", rows[0].original_key))
            .await
            .status(),
        404,
        "originals are never served here"
    );
}
shanshui_tests::demo_test!(a_photo_is_stored_and_served_re_encoded_with_long_cache_headers);

async fn hostile_uploads_get_a_clear_4xx_and_store_nothing(app: &TestApp) {
    let mut truncated = photos::jpeg(800, 600);
    truncated.truncate(truncated.len() / 3);
    let cases: Vec<(Vec<u8>, &str, &str, u16, &str)> = vec![
        (
            photos::png_claiming(60_000, 60_000),
            "bomb.png",
            "image/png",
            422,
            "too_many_pixels",
        ),
        (truncated, "cut.jpg", "image/jpeg", 422, "corrupt_image"),
        (
            b"<html><script>alert(1)</script></html>".to_vec(),
            "page.jpg",
            "image/jpeg",
            415,
            "unsupported_format",
        ),
        (
            br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec(),
            "x.svg",
            "image/svg+xml",
            415,
            "unsupported_format",
        ),
        (Vec::new(), "empty.jpg", "image/jpeg", 422, "empty_file"),
    ];
    for (bytes, name, mime, status, code) in cases {
        let started = std::time::Instant::now();
        let res = submit(
            app,
            form("other", "附上的照片有问题").part("photo", photo_part(bytes, name, mime)),
        )
        .await;
        assert_eq!(res.status(), status, "{name}");
        let body = json(res).await;
        assert_eq!(body["error"]["code"], code, "{name}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("photo 1"),
            "{body}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{name} took {:?}",
            started.elapsed()
        );
    }
    let formats = json(
        submit(
            app,
            form("other", "附上的照片有问题").part(
                "photo",
                photo_part(b"GIF89a....".to_vec(), "a.gif", "image/gif"),
            ),
        )
        .await,
    )
    .await;
    assert!(
        formats["error"]["message"]
            .as_str()
            .unwrap()
            .contains("JPEG, PNG"),
        "says which formats work: {formats}"
    );

    // 64 MiB declared: answered 413 before the body is read. (A raw socket,
    // so the client reads the answer instead of racing to write 64 MiB into
    // a connection the server has finished with.)
    let (status, body) = declare_huge_body(app).await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    assert!(body.contains("payload_too_large"), "{body}");
    // 64 MiB streamed without a length: stopped by the body limit as it
    // arrives. The server may close the connection before the client has
    // written everything, so a broken pipe is also a refusal.
    let huge = form("other", "一个巨大的请求").part(
        "photo",
        photo_part(vec![0xff; 64 * 1024 * 1024], "big.jpg", "image/jpeg"),
    );
    match app
        .client
        .post(app.url("/api/v1/reports"))
        .multipart(huge)
        .send()
        .await
    {
        Ok(res) => {
            assert_eq!(res.status(), 413);
            assert_eq!(json(res).await["error"]["code"], "payload_too_large");
        }
        Err(e) => assert!(e.is_request(), "refused mid-upload: {e}"),
    }

    assert_eq!(counts(app).await, (0, 0, 0));
    let stored = walk(&app.data_dir.join("photos"));
    assert!(
        stored.iter().all(|p| !p.contains("originals")),
        "no original kept: {stored:?}"
    );
}
shanshui_tests::demo_test!(hostile_uploads_get_a_clear_4xx_and_store_nothing);

/// Sends headers declaring a 64 MiB multipart body and only its first
/// bytes; returns the status line and the body of the answer.
async fn declare_huge_body(app: &TestApp) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/reports HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary=x\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n--x\r\n",
        app.addr,
        64 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.lines().next().unwrap_or_default().to_owned();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

async fn concurrent_submissions_with_photos_are_each_stored_once(app: &TestApp) {
    let sends = (0..8).map(|i| {
        let f = form("dust_construction", &format!("工地扬尘严重，第{i}份举报")).part(
            "photo",
            photo_part(photos::jpeg(1200 + i, 900), "p.jpg", "image/jpeg"),
        );
        app.client
            .post(app.url("/api/v1/reports"))
            .multipart(f)
            .send()
    });
    let results = futures::future::join_all(sends).await;
    let mut codes = std::collections::HashSet::new();
    for r in results {
        let r = r.unwrap();
        assert_eq!(r.status(), 201);
        codes.insert(json(r).await["tracking_code"].as_str().unwrap().to_owned());
    }
    assert_eq!(codes.len(), 8);
    assert_eq!(counts(app).await, (8, 8, 8));

    // Without photos the writes really overlap: on SQLite a transaction
    // that read first could not take the write lock and failed at once
    // ("database is locked") until writes began with BEGIN IMMEDIATE.
    let sends = (0..32).map(|i| {
        app.client
            .post(app.url("/api/v1/reports"))
            .multipart(form("other", &format!("并发举报第{i}份")))
            .send()
    });
    for r in futures::future::join_all(sends).await {
        let r = r.unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }
    assert_eq!(counts(app).await, (40, 40, 8));
}
shanshui_tests::demo_test!(concurrent_submissions_with_photos_are_each_stored_once);

async fn a_neighbour_sees_the_open_case_nearby_and_says_me_too(app: &TestApp) {
    let first = json(
        submit(
            app,
            form("noise_construction_night", "凌晨两点工地还在打桩")
                .text("answers", r#"{"every_night":"yes"}"#),
        )
        .await,
    )
    .await;
    let code = first["tracking_code"].as_str().unwrap().to_owned();
    let code = code.as_str();

    // 100 m north, same group (noise), another category of it.
    let nearby: Vec<shared::report::NearbyCase> = app
        .get("/api/v1/reports/nearby?category=noise_construction&lat=29.3761&lon=106.5101")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(nearby.len(), 1);
    assert_eq!(nearby[0].tracking_code, code);
    // Measured to the place the public record shows, not to the report's.
    let public: serde_json::Value = app
        .get(&format!("/api/v1/public/cases/{code}"))
        .await
        .json()
        .await
        .unwrap();
    let shown = shared::geo::LatLon {
        lat: public["lat"].as_f64().unwrap(),
        lon: public["lon"].as_f64().unwrap(),
    };
    let expected = shared::geo::distance_m(
        shared::geo::LatLon {
            lat: 29.3761,
            lon: 106.5101,
        },
        shown,
    )
    .round() as u32;
    assert_eq!(nearby[0].distance_m, expected);
    let other_group: Vec<serde_json::Value> = app
        .get("/api/v1/reports/nearby?category=odour&lat=29.3761&lon=106.5101")
        .await
        .json()
        .await
        .unwrap();
    assert!(other_group.is_empty());
    let far: Vec<serde_json::Value> = app
        .get("/api/v1/reports/nearby?category=noise_construction&lat=29.40&lon=106.5101")
        .await
        .json()
        .await
        .unwrap();
    assert!(far.is_empty(), "2.7 km away is not nearby");
    assert_eq!(
        app.get("/api/v1/reports/nearby?category=odour&lat=north&lon=1")
            .await
            .status(),
        400
    );
    assert_eq!(
        app.get("/api/v1/reports/nearby?category=odour&lat=29.37&lon=106.5&radius_m=99999")
            .await
            .status(),
        422
    );

    for i in 0..2 {
        let me_too = form("noise_construction_night", &format!("我也被吵醒了（{i}）"))
            .text("answers", r#"{"every_night":"yes"}"#)
            .text("corroborates", code.to_lowercase());
        let res = submit(app, me_too).await;
        assert_eq!(res.status(), 201);
        let receipt = json(res).await;
        assert_eq!(receipt["tracking_code"], code, "the same case");
        assert_eq!(receipt["corroborated"], true);
        let mine = json(track(app, code, receipt["secret"].as_str().unwrap()).await).await;
        assert_eq!(mine["your_report"], "corroboration");
        assert_eq!(mine["corroborations"], i + 1);
    }
    assert_eq!(counts(app).await.0, 1, "corroborations open no case");
    let row = case::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(
        row.priority, "high",
        "two corroborations raise the priority"
    );

    let wrong_group = submit(
        app,
        form("odour", "这里也有臭味")
            .text("answers", r#"{"smell":"rotten"}"#)
            .text("corroborates", code.to_owned()),
    )
    .await;
    assert_eq!(wrong_group.status(), 422);
}
shanshui_tests::demo_test!(a_neighbour_sees_the_open_case_nearby_and_says_me_too);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submissions_and_tracking_are_rate_limited_per_client_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.limits.submit_burst = 2;
        s.limits.submit_every = std::time::Duration::from_secs(3600);
        s.limits.track_burst = 3;
        s.limits.track_every = std::time::Duration::from_secs(3600);
    })
    .await
    .unwrap();
    app.load_demo().await;
    for _ in 0..2 {
        assert_eq!(
            submit(&app, form("other", "第一份和第二份举报"))
                .await
                .status(),
            201
        );
    }
    let limited = submit(&app, form("other", "第三份举报被限流")).await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0);
    assert_eq!(json(limited).await["error"]["code"], "rate_limited");
    for _ in 0..3 {
        assert_eq!(track(&app, "BN-2345-6789", "x").await.status(), 404);
    }
    assert_eq!(track(&app, "BN-2345-6789", "x").await.status(), 429);
    // Other routes are not limited.
    assert_eq!(app.get("/api/v1/categories").await.status(), 200);
    app.shutdown().await;
}

/// Tracking lookups as `client` through a balancer at 127.0.0.1: statuses.
async fn track_via_balancer(app: &TestApp, client: &str, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        let res = app
            .client
            .get(app.url("/api/v1/track/BN-2345-6789"))
            .header("x-report-secret", "x")
            .header("x-forwarded-for", client)
            .send()
            .await
            .unwrap();
        out.push(res.status().as_u16());
    }
    out
}

#[tokio::test]
async fn behind_a_trusted_balancer_each_client_has_its_own_budget_and_cannot_forge_one() {
    let limited = |s: &mut server::config::Settings| {
        s.limits.track_burst = 2;
        s.limits.track_every = std::time::Duration::from_secs(3600);
    };
    // The balancer (this test, at 127.0.0.1) is trusted: two residents
    // behind it are counted apart.
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        limited(s);
        s.trusted_proxies =
            server::middleware::client_addr::TrustedProxies::parse(&["127.0.0.1"]).unwrap();
    })
    .await
    .unwrap();
    assert_eq!(
        track_via_balancer(&app, "203.0.113.7", 3).await,
        [404, 404, 429]
    );
    assert_eq!(
        track_via_balancer(&app, "198.51.100.4", 2).await,
        [404, 404]
    );
    // A client that writes its own header before the balancer's gains nothing.
    assert_eq!(
        track_via_balancer(&app, "192.0.2.1, 203.0.113.7", 1).await,
        [429]
    );
    app.shutdown().await;
    // Not trusted (the default): the header is ignored, one budget for all.
    let app = TestApp::spawn_with(Backend::Sqlite, limited).await.unwrap();
    assert_eq!(track_via_balancer(&app, "203.0.113.7", 2).await, [404, 404]);
    assert_eq!(track_via_balancer(&app, "198.51.100.4", 1).await, [429]);
    app.shutdown().await;
}

async fn a_photo_s_gps_fills_in_a_missing_location_and_is_stripped_from_the_copies(app: &TestApp) {
    let f = Form::new()
        .text("category", "water_outfall")
        .text("description", "排污口正在往河里排黑水")
        .text("answers", r#"{"discharging_now":"yes"}"#)
        .part(
            "photo",
            photo_part(
                photos::jpeg_with_gps(1600, 1200, 29.4012, 106.5503),
                "IMG.jpg",
                "image/jpeg",
            ),
        );
    let res = submit(app, f).await;
    assert_eq!(res.status(), 201);
    let receipt = json(res).await;
    assert_eq!(receipt["location_source"], "exif");
    let view = json(
        track(
            app,
            receipt["tracking_code"].as_str().unwrap(),
            receipt["secret"].as_str().unwrap(),
        )
        .await,
    )
    .await;
    assert!(
        (view["lat"].as_f64().unwrap() - 29.4012).abs() < 1e-4,
        "{}",
        view["lat"]
    );
    assert!(
        (view["lon"].as_f64().unwrap() - 106.5503).abs() < 1e-4,
        "{}",
        view["lon"]
    );

    let display = app
        .get(view["photos"][0]["display_url"].as_str().unwrap())
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        !display.windows(4).any(|w| w == b"Exif"),
        "the served copy carries no EXIF"
    );
    let row = photo::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert!((row.exif_lat.unwrap() - 29.4012).abs() < 1e-4);
    let original = std::fs::read(
        app.data_dir
            .join("photos/originals")
            .join(&row.original_key[..2])
            .join(&row.original_key),
    )
    .unwrap();
    assert!(
        original.windows(4).any(|w| w == b"Exif"),
        "the evidence original is kept as received"
    );
}
shanshui_tests::demo_test!(
    a_photo_s_gps_fills_in_a_missing_location_and_is_stripped_from_the_copies
);
