//! Open311 GeoReport v2, field by field as the specification lists them,
//! in both formats: discovery, services, service definitions, requests
//! (list, filters, paging, one), POST with an api_key (form fields and a
//! multipart `media` photo), tokens, and errors as `{code, description}`.

use serde_json::{Value, json};
use shanshui_tests::{TestApp, file_report, photos};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);

/// Every field a service request carries, in the specification's order.
const REQUEST_FIELDS: [&str; 17] = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];

async fn json(app: &TestApp, path: &str) -> (u16, Value) {
    let res = app.get(path).await;
    let status = res.status().as_u16();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{path}: {:?}",
        res.headers().get("content-type")
    );
    (status, res.json().await.expect("JSON"))
}

async fn xml(app: &TestApp, path: &str) -> (u16, String) {
    let res = app.get(path).await;
    let status = res.status().as_u16();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml"),
        "{path}"
    );
    (status, res.text().await.unwrap())
}

/// The children of `parent` named `tag`, as (name → text) maps.
fn xml_items(doc: &str, root: &str, item: &str) -> Vec<Vec<(String, String)>> {
    let doc =
        roxmltree::Document::parse(doc).unwrap_or_else(|e| panic!("well-formed XML: {e}\n{doc}"));
    assert_eq!(
        doc.root_element().tag_name().name(),
        root,
        "{}",
        doc.input_text()
    );
    doc.root_element()
        .children()
        .filter(|n| n.has_tag_name(item))
        .map(|n| {
            n.children()
                .filter(|c| c.is_element())
                .map(|c| {
                    (
                        c.tag_name().name().to_owned(),
                        c.text().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .collect()
}

/// Errors: a JSON array of {code, description}, or <errors><error>.
async fn assert_error(app: &TestApp, path: &str, status: u16) {
    let (s, body) = json(app, &format!("{path}.json")).await;
    assert_eq!(s, status, "{path}.json: {body}");
    let list = body
        .as_array()
        .unwrap_or_else(|| panic!("{path}: an array: {body}"));
    assert!(!list.is_empty());
    assert_eq!(list[0]["code"], status);
    assert!(
        list[0]["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    let (s, body) = xml(app, &format!("{path}.xml")).await;
    assert_eq!(s, status, "{path}.xml: {body}");
    let errors = xml_items(&body, "errors", "error");
    assert_eq!(errors[0][0], ("code".to_owned(), status.to_string()));
    assert_eq!(errors[0][1].0, "description");
}

async fn discovery_lists_the_v2_endpoint_in_both_formats(app: &TestApp) {
    let (status, d) = json(app, "/open311/discovery.json").await;
    assert_eq!(status, 200);
    for field in ["changeset", "contact", "key_service"] {
        assert!(d[field].is_string(), "{field}: {d}");
    }
    let endpoint = &d["endpoints"][0];
    assert_eq!(
        endpoint["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert_eq!(endpoint["url"], format!("{}/open311/v2", app.base));
    assert_eq!(endpoint["type"], "production");
    assert_eq!(endpoint["formats"], json!(["text/xml", "application/json"]));

    let (status, body) = xml(app, "/open311/discovery.xml").await;
    assert_eq!(status, 200);
    let doc = roxmltree::Document::parse(&body).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "discovery");
    let formats: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("format"))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(formats, ["text/xml", "application/json"]);
    assert!(doc.descendants().any(|n| n.has_tag_name("url") && n.text() == Some(&format!("{}/open311/v2", app.base))));
}
shanshui_tests::demo_test!(discovery_lists_the_v2_endpoint_in_both_formats);

async fn services_are_the_categories_and_definitions_their_questions(app: &TestApp) {
    let categories: Value = app.get("/api/v1/categories").await.json().await.unwrap();
    let (status, services) = json(app, "/open311/v2/services.json").await;
    assert_eq!(status, 200);
    let services = services.as_array().unwrap();
    assert_eq!(services.len(), categories.as_array().unwrap().len());
    let s = services
        .iter()
        .find(|s| s["service_code"] == "noise_construction_night")
        .expect("night construction noise");
    for field in [
        "service_code",
        "service_name",
        "description",
        "keywords",
        "group",
    ] {
        assert!(s[field].is_string(), "{field}: {s}");
    }
    assert_eq!(s["type"], "realtime");
    assert_eq!(s["metadata"], true);

    let (_, body) = xml(app, "/open311/v2/services.xml").await;
    let items = xml_items(&body, "services", "service");
    assert_eq!(items.len(), services.len());
    let names: Vec<&str> = items[0].iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group"
        ]
    );

    // The definition: every question an attribute, with its values.
    let (status, def) = json(app, "/open311/v2/services/noise_construction_night.json").await;
    assert_eq!(status, 200, "{def}");
    assert_eq!(def["service_code"], "noise_construction_night");
    let category = categories
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "noise_construction_night")
        .unwrap();
    let questions = category["questions"].as_array().unwrap();
    let attributes = def["attributes"].as_array().unwrap();
    assert_eq!(attributes.len(), questions.len());
    for (a, q) in attributes.iter().zip(questions) {
        assert_eq!(a["variable"], true);
        assert_eq!(a["code"], q["code"]);
        assert_eq!(a["datatype"], q["datatype"]);
        assert_eq!(a["required"], q["required"]);
        assert!(a["datatype_description"].is_string() && a["description"].is_string());
        assert_eq!(a["order"], q["order"]);
        let keys: Vec<&Value> = a["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| &v["key"])
            .collect();
        let expected: Vec<&Value> = q["values"]
            .as_array()
            .map(|v| v.iter().map(|v| &v["key"]).collect())
            .unwrap_or_default();
        assert_eq!(keys, expected);
    }
    let (_, body) = xml(app, "/open311/v2/services/noise_construction_night.xml").await;
    let doc = roxmltree::Document::parse(&body).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "service_definition");
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("attribute"))
            .count(),
        questions.len()
    );

    assert_error(app, "/open311/v2/services/no_such_service", 404).await;
}
shanshui_tests::demo_test!(services_are_the_categories_and_definitions_their_questions);

async fn requests_carry_every_field_and_follow_the_filters(app: &TestApp) {
    let (noise, _) = file_report(app, "noise_construction_night", YUDONG.0, YUDONG.1, &[]).await;
    let (water, _) = file_report(app, "water_black_odorous", YUDONG.0 + 0.01, YUDONG.1, &[]).await;
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    assert_eq!(
        dispatcher
            .act(&water, json!({ "action": "reject", "reason": "不在本区" }))
            .await
            .0,
        200
    );

    let (status, list) = json(app, "/open311/v2/requests.json").await;
    assert_eq!(status, 200, "{list}");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    // Newest first.
    assert_eq!(list[0]["service_request_id"], water);
    let r = &list[1];
    let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    for field in REQUEST_FIELDS {
        assert!(keys.contains(&field), "{field} missing: {r}");
    }
    assert_eq!(r["service_request_id"], noise);
    assert_eq!(r["status"], "open");
    assert_eq!(r["service_code"], "noise_construction_night");
    assert_eq!(
        r["agency_responsible"].as_str().map(|s| !s.is_empty()),
        Some(true),
        "{r}"
    );
    // W3C datetimes with a zone.
    for field in [
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
    ] {
        let t = r[field].as_str().unwrap_or_default();
        assert!(
            chrono::DateTime::parse_from_rfc3339(t).is_ok(),
            "{field}: {t}"
        );
    }
    // WGS84, coarsened: not the reported point.
    let (lat, lon) = (r["lat"].as_f64().unwrap(), r["long"].as_f64().unwrap());
    assert!((lat - YUDONG.0).abs() < 0.01 && (lon - YUDONG.1).abs() < 0.01);
    assert!((lat, lon) != YUDONG);
    assert_eq!(list[0]["status"], "closed");
    assert!(
        list[0]["status_notes"]
            .as_str()
            .unwrap()
            .contains("不予受理")
    );

    // The same in XML, fields in the specification's order.
    let (_, body) = xml(app, "/open311/v2/requests.xml").await;
    let items = xml_items(&body, "service_requests", "request");
    assert_eq!(items.len(), 2);
    let names: Vec<&str> = items[1].iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, REQUEST_FIELDS);
    assert_eq!(items[1][0].1, noise);

    // Filters.
    let ids = |v: Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(json(app, "/open311/v2/requests.json?status=open").await.1),
        [noise.as_str()]
    );
    assert_eq!(
        ids(json(app, "/open311/v2/requests.json?status=closed").await.1),
        [water.as_str()]
    );
    assert_eq!(
        ids(json(app, "/open311/v2/requests.json?status=open,closed")
            .await
            .1)
        .len(),
        2
    );
    assert_eq!(
        ids(json(
            app,
            "/open311/v2/requests.json?service_code=water_black_odorous"
        )
        .await
        .1),
        [water.as_str()]
    );
    // service_request_id overrides the other filters.
    assert_eq!(
        ids(json(
            app,
            &format!("/open311/v2/requests.json?service_request_id={noise}&status=closed")
        )
        .await
        .1),
        [noise.as_str()]
    );
    assert_eq!(
        ids(json(
            app,
            &format!("/open311/v2/requests.json?service_request_id={noise},{water}")
        )
        .await
        .1)
        .len(),
        2
    );
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ");
    assert!(
        ids(json(
            app,
            &format!("/open311/v2/requests.json?start_date={tomorrow}")
        )
        .await
        .1)
        .is_empty()
    );
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S+08:00")
        .to_string()
        .replace('+', "%2B");
    assert_eq!(
        ids(json(
            app,
            &format!("/open311/v2/requests.json?start_date={yesterday}&end_date={tomorrow}")
        )
        .await
        .1)
        .len(),
        2
    );
    // An empty parameter counts as absent.
    assert_eq!(
        ids(json(app, "/open311/v2/requests.json?status=&service_code=")
            .await
            .1)
        .len(),
        2
    );
    // Paging.
    assert_eq!(
        ids(json(app, "/open311/v2/requests.json?page_size=1").await.1),
        [water.as_str()]
    );
    assert_eq!(
        ids(json(app, "/open311/v2/requests.json?page_size=1&page=2")
            .await
            .1),
        [noise.as_str()]
    );
    assert!(
        ids(json(app, "/open311/v2/requests.json?page_size=1&page=3")
            .await
            .1)
        .is_empty()
    );

    // One request: an array of one, in both formats.
    let (status, one) = json(app, &format!("/open311/v2/requests/{noise}.json")).await;
    assert_eq!(status, 200);
    assert_eq!(one.as_array().map(Vec::len), Some(1));
    assert_eq!(one[0], list[1]);
    let (_, body) = xml(app, &format!("/open311/v2/requests/{noise}.xml")).await;
    assert_eq!(xml_items(&body, "service_requests", "request").len(), 1);

    // Errors, in both formats.
    assert_error(app, "/open311/v2/requests/BN-ZZZZ-ZZZZ", 404).await;
    for bad in [
        "status=fixed",
        "start_date=yesterday",
        "page_size=0",
        "page_size=5000",
        "jurisdiction_id=elsewhere",
    ] {
        let (s, body) = json(app, &format!("/open311/v2/requests.json?{bad}")).await;
        assert!(s == 400 || s == 404, "{bad}: {s} {body}");
        assert!(body[0]["description"].is_string(), "{bad}: {body}");
    }
    assert_eq!(
        json(app, "/open311/v2/requests.json?jurisdiction_id=cq-banan")
            .await
            .0,
        200
    );
    assert_error(app, "/open311/v2/tokens/abc", 404).await;
    assert_error(app, "/open311/v2/nothing_here", 404).await;
    assert_eq!(app.get("/open311/v2/requests.html").await.status(), 404);
}
shanshui_tests::demo_test!(requests_carry_every_field_and_follow_the_filters);

async fn a_request_is_filed_with_an_api_key_and_a_media_photo(app: &TestApp) {
    let key = server::api_keys::create(&app.db, "city app", "test", app.clock.now())
        .await
        .unwrap();
    let definition: Value = app
        .get("/open311/v2/services/noise_construction_night.json")
        .await
        .json()
        .await
        .unwrap();
    let mut fields: Vec<(String, String)> = vec![
        ("service_code".into(), "noise_construction_night".into()),
        ("lat".into(), YUDONG.0.to_string()),
        ("long".into(), YUDONG.1.to_string()),
        ("description".into(), "工地深夜还在打桩,已经持续一周".into()),
        ("first_name".into(), "小明".into()),
        ("last_name".into(), "王".into()),
        ("phone".into(), "13812345678".into()),
        ("email".into(), "wang@example.com".into()),
        // A client's own attribute is ignored, not refused.
        ("attribute[fixmystreet_id]".into(), "42".into()),
    ];
    for a in definition["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["required"] == true)
    {
        let code = a["code"].as_str().unwrap();
        match a["datatype"].as_str() {
            Some("multivaluelist") => fields.push((
                format!("attribute[{code}][]"),
                a["values"][0]["key"].as_str().unwrap().into(),
            )),
            Some("singlevaluelist") => fields.push((
                format!("attribute[{code}]"),
                a["values"][0]["key"].as_str().unwrap().into(),
            )),
            Some("number") => fields.push((format!("attribute[{code}]"), "1".into())),
            Some("datetime") => fields.push((
                format!("attribute[{code}]"),
                chrono::Utc::now().to_rfc3339(),
            )),
            _ => fields.push((format!("attribute[{code}]"), "某工地".into())),
        }
    }

    // No key, a wrong key: 403 and nothing filed, in both formats.
    for (path, key) in [
        ("/open311/v2/requests.json", None),
        ("/open311/v2/requests.xml", Some("ss_wrongkey_0000")),
    ] {
        let mut form = fields.clone();
        if let Some(k) = key {
            form.push(("api_key".into(), k.into()));
        }
        let res = app
            .client
            .post(app.url(path))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.contains("api_key"), "{body}");
    }
    assert_eq!(
        json(app, "/open311/v2/requests.json")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // Form fields (urlencoded), JSON answer.
    let mut form = fields.clone();
    form.push(("api_key".into(), key.clone()));
    let res = app
        .client
        .post(app.url("/open311/v2/requests.json"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let first = &created[0];
    let id = first["service_request_id"].as_str().unwrap().to_owned();
    assert!(
        first.get("token").is_none(),
        "never both an id and a token: {first}"
    );
    assert!(first["service_notice"].is_string() && first.get("account_id").is_some());
    let secret = first["report_secret"].as_str().unwrap();
    let (status, view) = app.track(&id, secret).await;
    assert_eq!(status, 200, "{view}");
    let (_, listed) = json(app, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(listed[0]["service_code"], "noise_construction_night");

    // Multipart with a photo in `media`, XML answer.
    let mut multipart = reqwest::multipart::Form::new();
    for (k, v) in &form {
        multipart = multipart.text(k.clone(), v.clone());
    }
    multipart = multipart.part(
        "media",
        reqwest::multipart::Part::bytes(photos::jpeg(800, 600))
            .file_name("p.jpg")
            .mime_str("image/jpeg")
            .unwrap(),
    );
    let res = app
        .client
        .post(app.url("/open311/v2/requests.xml"))
        .multipart(multipart)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body = res.text().await.unwrap();
    let items = xml_items(&body, "service_requests", "request");
    let id2 = items[0]
        .iter()
        .find(|(k, _)| k == "service_request_id")
        .unwrap()
        .1
        .clone();
    assert_ne!(id2, id);
    let staff = app.staff("diao.du", Role::Dispatcher, None).await;
    let case = staff.case(&id2).await;
    assert_eq!(
        case["reports"][0]["photos"].as_array().map(Vec::len),
        Some(1),
        "{case}"
    );

    // A missing service code, a missing location, an unknown service: 400.
    for (drop, add) in [
        ("service_code", None),
        ("lat", Some(("address_string", "鱼洞街道"))),
        ("service_code", Some(("service_code", "nope"))),
    ] {
        let mut bad: Vec<(String, String)> =
            form.iter().filter(|(k, _)| k != drop).cloned().collect();
        if let Some((k, v)) = add {
            bad.push((k.into(), v.into()));
        }
        let res = app
            .client
            .post(app.url("/open311/v2/requests.json"))
            .form(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "without {drop}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body[0]["code"], 400);
    }
    // Not a form at all.
    let res = app
        .client
        .post(app.url("/open311/v2/requests.json"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        json(app, "/open311/v2/requests.json")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Staff see the road it came in by (受理渠道), beside a form report's.
    let dispatcher = app.staff("qu.dao", shared::Role::Dispatcher, None).await;
    assert_eq!(dispatcher.case(&id).await["channel"], "open311");
    let (form_code, _) =
        shanshui_tests::file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    assert_eq!(dispatcher.case(&form_code).await["channel"], "web");
}
shanshui_tests::demo_test!(a_request_is_filed_with_an_api_key_and_a_media_photo);
