//! Evidence staff bring to a case (查处, `POST /api/v1/cases/{code}/evidence`
//! and the `document` fields of 代录): inspection photos through the
//! residents' pipeline, PDFs taken by their content with their pages
//! counted; private (never on the public page, the open data or Open311),
//! downloaded by staff who can see the case, every download audited; a
//! refusal stores nothing.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use shanshui_tests::photos::jpeg;
use shanshui_tests::{Staff, TestApp, file_report, required_answers};
use shared::Role;

/// A PDF of `pages` blank pages, with a correct cross-reference table.
pub fn pdf(pages: usize) -> Vec<u8> {
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", i + 3)).collect();
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        ),
    ];
    for _ in 0..pages {
        objects.push("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>".to_owned());
    }
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn document(bytes: Vec<u8>, name: &str) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("application/pdf")
        .unwrap()
}

fn photo(bytes: Vec<u8>) -> Part {
    Part::bytes(bytes)
        .file_name("site.jpg")
        .mime_str("image/jpeg")
        .unwrap()
}

/// `POST /api/v1/cases/{code}/evidence` → (status, body).
async fn attach(
    app: &TestApp,
    staff: &Staff,
    code: &str,
    form: Form,
    key: Option<&str>,
) -> (u16, Value) {
    let mut request = staff
        .client
        .post(app.url(&format!("/api/v1/cases/{code}/evidence")))
        .multipart(form);
    if let Some(k) = key {
        request = request.header("Idempotency-Key", k);
    }
    let res = request.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// A noise case taken up by `handler`, with one inspection recorded:
/// (code, inspection id).
async fn inspected(app: &TestApp, handler: &Staff) -> (String, i64) {
    let (code, _) = file_report(app, "noise_construction", 29.3752, 106.5101, &[]).await;
    for body in [
        json!({ "action": "accept" }),
        json!({ "action": "assign", "assignee": handler.username }),
        json!({
            "action": "record_inspection",
            "inspected_at": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
            "place": "鱼洞滨江路某工地东侧围挡外",
            "officers": [{ "name": "张伟", "badge": "渝环执 0231" }, { "name": "李娜", "badge": "渝环执 0457" }],
            "found": "23:40 工地仍在使用电锯切割钢筋。",
        }),
    ] {
        let (status, case) = handler.act(&code, body.clone()).await;
        assert_eq!(status, 200, "{body}: {case}");
    }
    let case = handler.case(&code).await;
    let id = case["inspections"][0]["id"].as_i64().unwrap();
    assert!(id > 0, "{case}");
    (code, id)
}

/// Every file under the store's folder of `kind`.
fn stored(app: &TestApp, kind: &str) -> usize {
    let mut n = 0;
    let mut stack = vec![app.data_dir.join("photos").join(kind)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                n += 1;
            }
        }
    }
    n
}

async fn audit(auditor: &Staff, action: &str, code: &str) -> Vec<Value> {
    let (status, log) = auditor
        .get(&format!("/api/v1/audit?action={action}&object_id={code}"))
        .await;
    assert_eq!(status, 200, "{log}");
    log.as_array().unwrap().clone()
}

async fn an_inspection_photo_and_a_pdf_are_kept_for_staff_and_never_published(app: &TestApp) {
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let auditor = app.staff("shen.ji", Role::Auditor, None).await;
    let (code, inspection) = inspected(app, &handler).await;
    let name = "现场检查笔录 <img src=x onerror=alert(1)>.pdf";
    let form = || {
        Form::new()
            .text("inspection", inspection.to_string())
            .part("photo", photo(jpeg(800, 600)))
            .part("document", document(pdf(2), name))
    };

    let (status, receipt) = attach(app, &handler, &code, form(), Some("ev-1")).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["documents"][0]["pages"], 2);
    assert_eq!(receipt["documents"][0]["file_name"], name);
    assert_eq!(receipt["photos"].as_array().unwrap().len(), 1);
    // The offline queue resends: the same answer, nothing attached twice.
    let (status, again) = attach(app, &handler, &code, form(), Some("ev-1")).await;
    assert_eq!((status, &again), (201, &receipt));

    let case = handler.case(&code).await;
    let seen = &case["inspections"][0];
    assert_eq!(seen["photos"].as_array().unwrap().len(), 1, "{seen}");
    assert_eq!(seen["documents"].as_array().unwrap().len(), 1, "{seen}");
    assert_eq!(seen["documents"][0]["bytes"], pdf(2).len());
    assert_eq!(
        case["documents"],
        json!([]),
        "the inspection's, not the case's"
    );
    let entries: Vec<&Value> = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "add_evidence")
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["public"], false);
    let note = entries[0]["note"].as_str().unwrap();
    assert!(note.contains("1 photo, 1 document (2 pages)"), "{note}");
    assert!(!note.contains("现场检查笔录"), "no file name: {note}");

    // The thumbnail is served; the original to staff, audited.
    let thumb = seen["photos"][0]["thumbnail_url"].as_str().unwrap();
    assert_eq!(app.get(thumb).await.status(), 200);
    let original = seen["photos"][0]["original_url"].as_str().unwrap();
    let res = handler.client.get(app.url(original)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    assert_eq!(
        audit(&auditor, "case.inspection_photo_viewed", &code)
            .await
            .len(),
        1
    );

    // The document: to staff who see the case, as a download, audited.
    let url = seen["documents"][0]["download_url"].as_str().unwrap();
    assert_eq!(app.get(url).await.status(), 401, "not to the public");
    let other = app
        .staff("qi.ta", Role::Handler, Some("urban_management"))
        .await;
    let res = other.client.get(app.url(url)).send().await.unwrap();
    assert_eq!(res.status(), 404, "not to another department");
    let (status, _) = attach(
        app,
        &other,
        &code,
        Form::new().part("document", document(pdf(1), "x.pdf")),
        None,
    )
    .await;
    assert_eq!(status, 404, "another department cannot attach either");
    assert_eq!(
        audit(&auditor, "case.document_downloaded", &code)
            .await
            .len(),
        0,
        "a refused download is no download"
    );
    let res = reviewer.client.get(app.url(url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "private, no-store");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment; "), "{disposition}");
    assert!(!disposition.contains('<'), "{disposition}");
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf(2));
    let downloads = audit(&auditor, "case.document_downloaded", &code).await;
    assert_eq!(downloads.len(), 1);
    assert_eq!(downloads[0]["actor"], "shen.he");
    let added = audit(&auditor, "case.evidence_added", &code).await;
    assert_eq!(added.len(), 1, "the retry added nothing");
    assert!(
        !added[0].to_string().contains("现场检查笔录"),
        "{}",
        added[0]
    );

    // Disclosed with everything a reviewer may choose, the public record
    // still has none of it: not the page, the API, the open data, Open311.
    let (status, body) = reviewer
        .act(
            &code,
            json!({ "action": "disclose", "summary": "鱼洞街道某工地夜间施工噪声", "precision": "street" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let thumb_key = thumb
        .trim_start_matches("/photos/thumb/")
        .trim_end_matches(".jpg");
    let display = seen["photos"][0]["display_url"].as_str().unwrap();
    let display_key = display
        .trim_start_matches("/photos/display/")
        .trim_end_matches(".jpg");
    for path in [
        format!("/api/v1/public/cases/{code}"),
        format!("/cases/{code}"),
        "/open-data/cases.geojson".to_owned(),
        "/open-data/cases.csv".to_owned(),
        "/open311/v2/requests.json".to_owned(),
        "/feeds/cases.atom".to_owned(),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        let text = res.text().await.unwrap();
        assert!(text.contains(&code) || path.contains("open"), "{path}");
        for private in [
            thumb_key,
            display_key,
            "现场检查笔录",
            "/documents/",
            "inspection-photos",
        ] {
            assert!(!text.contains(private), "{private} in {path}");
        }
    }
}
shanshui_tests::demo_test!(an_inspection_photo_and_a_pdf_are_kept_for_staff_and_never_published);

async fn a_bad_document_or_photo_is_refused_and_nothing_is_stored(app: &TestApp) {
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let (code, inspection) = inspected(app, &handler).await;
    let (other_case, other_inspection) = inspected(app, &handler).await;
    let before = (stored(app, "documents"), stored(app, "originals"));
    let jpeg_named_pdf = document(jpeg(64, 64), "letter.pdf");
    let text_named_pdf = document(b"%PD-1.4 not really".to_vec(), "letter.pdf");
    let mut oversize = pdf(1);
    oversize.resize(10 * 1024 * 1024 + 1, b' ');
    let with = |part: Part| {
        Form::new()
            .text("inspection", inspection.to_string())
            .part("photo", photo(jpeg(320, 240)))
            .part("document", document(pdf(1), "ok.pdf"))
            .part("document", part)
    };
    let cases: Vec<(Form, u16, &str)> = vec![
        (with(jpeg_named_pdf), 422, "not_a_pdf"),
        (with(text_named_pdf), 422, "not_a_pdf"),
        (with(document(oversize, "big.pdf")), 413, "file_too_large"),
        (with(document(pdf(0), "empty.pdf")), 422, "pdf_no_pages"),
        (
            with(document(b"%PDF-1.4\n%%EOF\n".to_vec(), "torn.pdf")),
            422,
            "pdf_unreadable",
        ),
        (
            Form::new()
                .text("inspection", other_inspection.to_string())
                .part("document", document(pdf(1), "a.pdf")),
            422,
            "validation_failed",
        ),
        (
            Form::new()
                .text("inspection", "not-a-number")
                .part("document", document(pdf(1), "a.pdf")),
            422,
            "validation_failed",
        ),
        (
            Form::new()
                .text("inspection", inspection.to_string())
                .part("document", document(pdf(1), "a.pdf"))
                .part("photo", photo(b"GIF89a not a photo".to_vec())),
            415,
            "unsupported_format",
        ),
        (
            Form::new().part("photo", photo(jpeg(320, 240))),
            422,
            "validation_failed",
        ),
        (
            Form::new().text("inspection", inspection.to_string()),
            422,
            "validation_failed",
        ),
    ];
    for (i, (form, status, error)) in cases.into_iter().enumerate() {
        let (got, body) = attach(app, &handler, &code, form, None).await;
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(error)),
            "case {i}: {body}"
        );
    }
    let (status, body) = attach(
        app,
        &reviewer,
        &code,
        Form::new().part("document", document(pdf(1), "a.pdf")),
        None,
    )
    .await;
    assert_eq!(status, 403, "a reviewer does not inspect: {body}");

    let after = (stored(app, "documents"), stored(app, "originals"));
    assert_eq!(after, before, "no file was stored");
    for c in [&code, &other_case] {
        let case = handler.case(c).await;
        assert_eq!(case["documents"], json!([]));
        assert_eq!(case["inspections"][0]["photos"], json!([]));
        assert_eq!(case["inspections"][0]["documents"], json!([]));
        assert!(
            !case["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "add_evidence"),
            "{c}"
        );
    }

    // A document of the case itself needs no inspection.
    let (status, receipt) = attach(
        app,
        &handler,
        &code,
        Form::new().part("document", document(pdf(1), "来信.pdf")),
        None,
    )
    .await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["documents"][0]["inspection_id"], Value::Null);
    assert_eq!(handler.case(&code).await["documents"][0]["pages"], 1);
    assert_eq!(stored(app, "documents"), before.0 + 1);
}
shanshui_tests::demo_test!(a_bad_document_or_photo_is_refused_and_nothing_is_stored);

async fn a_letter_keyed_in_keeps_its_pdf_and_a_false_one_files_nothing(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let auditor = app.staff("shen.ji", Role::Auditor, None).await;
    let form = async |doc: Part| {
        Form::new()
            .text("channel", "letter")
            .text("category", "noise_construction")
            .text("description", "来信反映工地夜间施工，电锯声一直到凌晨两点")
            .text("lat", "29.3752")
            .text("lon", "106.5101")
            .text(
                "answers",
                required_answers(app, "noise_construction")
                    .await
                    .to_string(),
            )
            .part("document", doc)
    };
    let intake = async |form: Form| {
        let res = dispatcher
            .client
            .post(app.url("/api/v1/cases/intake"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    };
    let count = async || {
        let (_, queue) = dispatcher
            .get("/api/v1/cases?state=all&page_size=200")
            .await;
        queue["items"].as_array().unwrap().len()
    };
    let cases_before = count().await;
    let (status, body) = intake(form(document(jpeg(64, 64), "来信.pdf")).await).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("not_a_pdf")),
        "{body}"
    );
    assert_eq!(count().await, cases_before, "nothing filed");
    assert_eq!(stored(app, "documents"), 0);

    let (status, receipt) = intake(form(document(pdf(3), "来信.pdf")).await).await;
    assert_eq!(status, 201, "{receipt}");
    let code = receipt["tracking_code"].as_str().unwrap();
    let case = dispatcher.case(code).await;
    assert_eq!(case["documents"][0]["pages"], 3, "{case}");
    assert_eq!(case["documents"][0]["file_name"], "来信.pdf");
    let filed = audit(&auditor, "report.filed_for_caller", code).await;
    assert!(
        filed[0]["detail"]
            .as_str()
            .unwrap()
            .ends_with("1 document (3 pages)"),
        "{}",
        filed[0]
    );
    // The caller following the case with the secret never sees the letter.
    let (status, track) = app.track(code, receipt["secret"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(!track.to_string().contains("来信.pdf"), "{track}");
    assert!(!track.to_string().contains("documents/"), "{track}");
}
shanshui_tests::demo_test!(a_letter_keyed_in_keeps_its_pdf_and_a_false_one_files_nothing);
