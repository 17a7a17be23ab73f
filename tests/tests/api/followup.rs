//! The reporter's loop (回访, issue 13): staff ask and the reporter answers
//! (补充材料), the reporter rates the closed case, a dissatisfied rating
//! goes to the supervision queue (督办), a problem that came back opens a
//! linked case, and `/stats` publishes satisfaction per department —
//! nothing of it in any public answer.

use serde_json::{Value, json};
use shanshui_tests::{Staff, TestApp, file_report};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);
const NAMED: [(&str, &str); 2] = [("name", "王小明"), ("phone", "13812345678")];
const QUESTION: &str = "请问施工一般持续到几点？能否补充一段录音或照片？";
const ANSWER: &str = "每晚到十二点以后，我家住三楼，正对工地";
const COMMENT: &str = "工地只停了两天，现在又开始夜间施工";

async fn ok(staff: &Staff, code: &str, body: Value) -> Value {
    staff.act_ok(code, body).await
}

async fn reporter_ok(app: &TestApp, code: &str, secret: &str, body: Value) -> Value {
    let (status, view) = app.as_reporter(code, secret, body.clone()).await;
    assert_eq!(status, 200, "{body}: {view}");
    view
}

async fn public_text(app: &TestApp, code: &str) -> String {
    let mut all = String::new();
    for path in [
        format!("/api/v1/public/cases/{code}"),
        format!("/cases/{code}"),
        "/open-data/cases.csv".to_owned(),
        "/api/v1/stats".to_owned(),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        all.push_str(&res.text().await.unwrap());
    }
    all
}

async fn the_reporter_answers_rates_and_the_problem_comes_back(app: &TestApp) {
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let auditor = app.staff("shen.ji", Role::Auditor, None).await;
    let (code, secret) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &NAMED).await;
    let (_, me_too) = file_report(
        app,
        "noise_construction",
        YUDONG.0,
        YUDONG.1,
        &[("corroborates", &code)],
    )
    .await;

    // No question yet: nothing to answer.
    let (status, refused) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "answer_info", "answer": ANSWER }),
        )
        .await;
    assert_eq!(status, 409, "{refused}");

    ok(&handler, &code, json!({ "action": "accept" })).await;
    // Each text has its bound: a question over 1,000 characters is refused.
    let (status, long) = handler
        .act(
            &code,
            json!({ "action": "request_info", "question": "问".repeat(1001) }),
        )
        .await;
    assert_eq!(status, 422, "{long}");
    assert_eq!(long["error"]["fields"]["question"]["code"], "too_long");
    let case = ok(
        &handler,
        &code,
        json!({ "action": "request_info", "question": QUESTION }),
    )
    .await;
    assert_eq!(case["info_requests"][0]["question"], QUESTION);
    assert!(
        !case["allowed_actions"]
            .as_array()
            .unwrap()
            .contains(&json!("request_info")),
        "one question waits at a time"
    );
    let (status, _) = dispatcher
        .act(
            &code,
            json!({ "action": "request_info", "question": "再问一个" }),
        )
        .await;
    assert_eq!(status, 409);

    // The reporter reads it and answers; a "me too" reporter neither.
    let (_, view) = app.track(&code, &secret).await;
    assert_eq!(view["info_requests"][0]["question"], QUESTION, "{view}");
    assert_eq!(view["can_answer"], true);
    let (_, theirs) = app.track(&code, &me_too).await;
    assert!(
        theirs["info_requests"].as_array().unwrap().is_empty(),
        "{theirs}"
    );
    let (status, _) = app
        .as_reporter(
            &code,
            &me_too,
            json!({ "action": "answer_info", "answer": ANSWER }),
        )
        .await;
    assert_eq!(status, 403);
    let (status, empty) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "answer_info", "answer": "  " }),
        )
        .await;
    assert_eq!(status, 422, "{empty}");
    let (status, long) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "answer_info", "answer": "答".repeat(2001) }),
        )
        .await;
    assert_eq!(status, 422, "{long}");
    let view = reporter_ok(
        app,
        &code,
        &secret,
        json!({ "action": "answer_info", "answer": ANSWER }),
    )
    .await;
    assert_eq!(view["info_requests"][0]["answer"], ANSWER);
    assert_eq!(view["can_answer"], false);
    let case = dispatcher.case(&code).await;
    assert_eq!(case["info_requests"][0]["answer"], ANSWER);
    let answered = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "answer_info")
        .expect("the answer is in the staff's timeline");
    assert_eq!(answered["public"], false);

    // Closed; rated once, dissatisfied.
    ok(
        &handler,
        &code,
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    )
    .await;
    ok(
        &handler,
        &code,
        json!({ "action": "draft_reply", "finding": "substantiated",
            "reply": "经查属实，已责令夜间停工。" }),
    )
    .await;
    ok(&reviewer, &code, json!({ "action": "approve_reply" })).await;
    let (_, view) = app.track(&code, &secret).await;
    assert_eq!(
        (view["can_rate"].clone(), view["can_come_back"].clone()),
        (json!(true), json!(true))
    );
    let (status, _) = app
        .as_reporter(&code, &secret, json!({ "action": "rate", "rating": "meh" }))
        .await;
    assert!((400..500).contains(&status), "an unknown rating: {status}");
    let view = reporter_ok(
        app,
        &code,
        &secret,
        json!({ "action": "rate", "rating": "dissatisfied", "comment": COMMENT }),
    )
    .await;
    assert_eq!(view["rating"]["rating"], "dissatisfied");
    assert_eq!(view["can_rate"], false);
    let (status, twice) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "rate", "rating": "satisfied" }),
        )
        .await;
    assert_eq!(status, 409, "{twice}");

    // The supervision queue has it, with the comment and who closed it.
    let (status, queue) = reviewer.get("/api/v1/supervision").await;
    assert_eq!(status, 200, "{queue}");
    let item = &queue[0];
    assert_eq!(item["case"], code.as_str());
    assert_eq!(item["comment"], COMMENT);
    assert_eq!(item["department"], "housing_construction");
    assert_eq!(item["handler"], "cheng.ban");
    assert!(item["handled_at"].is_null());
    assert_eq!(handler.get("/api/v1/supervision").await.0, 403);
    let id = item["id"].as_i64().unwrap();
    // A reviewer of another department neither reads it nor deals with it.
    let water = app.staff("shui.li", Role::Reviewer, Some("water")).await;
    let (_, theirs) = water.get("/api/v1/supervision").await;
    assert!(theirs.as_array().unwrap().is_empty(), "{theirs}");
    let (status, _) = water
        .post(
            &format!("/api/v1/supervision/{id}/handle"),
            json!({ "note": "不是我们的" }),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = reviewer
        .post(
            &format!("/api/v1/supervision/{id}/handle"),
            json!({ "note": "" }),
        )
        .await;
    assert_eq!(status, 422);
    let (status, handled) = reviewer
        .post(
            &format!("/api/v1/supervision/{id}/handle"),
            json!({ "note": "已约谈施工单位并安排夜间巡查" }),
        )
        .await;
    assert_eq!(status, 200, "{handled}");
    assert_eq!(handled["handled_by"], "shen.he");
    let (status, _) = reviewer
        .post(
            &format!("/api/v1/supervision/{id}/handle"),
            json!({ "note": "again" }),
        )
        .await;
    assert_eq!(status, 409);

    // Satisfaction per department: with one rating, nothing but the count
    // of closed cases is published (it would tell this reporter's answer).
    let (_, stats) = auditor.get("/api/v1/stats").await;
    let housing = stats["satisfaction"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["department"] == "housing_construction")
        .unwrap_or_else(|| panic!("{stats}"));
    assert_eq!(housing["withheld"], true, "{housing}");
    assert_eq!(
        (
            housing["closed"].clone(),
            housing["rated"].clone(),
            housing["dissatisfied"].clone()
        ),
        (json!(1), json!(0), json!(0))
    );
    assert!(housing["satisfaction_rate"].is_null());

    // The problem came back: a new case, linked, routed the same way, with
    // its own code and secret; said once.
    let (status, short) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "came_back", "description": "又" }),
        )
        .await;
    assert_eq!(status, 422, "{short}");
    // Sent with an Idempotency-Key, and sent again (the first answer lost
    // on a weak network): one new case, its receipt answered again.
    let came_back = || {
        app.client
            .post(app.url(&format!("/api/v1/track/{code}/actions")))
            .header("x-report-secret", secret.as_str())
            .header("idempotency-key", "came-back-1")
            .json(&json!({ "action": "came_back",
                "description": "停了两天又开始夜间施工，十二点后还在打桩",
                "keep_name": true }))
            .send()
    };
    let first = came_back().await.unwrap();
    assert_eq!(first.status(), 200);
    let view: Value = first.json().await.unwrap();
    let again: Value = came_back().await.unwrap().json().await.unwrap();
    assert_eq!(again["new_case"], view["new_case"], "{again}");
    let new_code = view["new_case"]["tracking_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_secret = view["new_case"]["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_code, code);
    assert_eq!(view["came_back_as"], json!([new_code.clone()]));
    assert_eq!(view["can_come_back"], false);
    let (status, _) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "came_back", "description": "又开始了，还是夜间" }),
        )
        .await;
    assert_eq!(status, 409);
    let (status, new_view) = app.track(&new_code, &new_secret).await;
    assert_eq!(status, 200, "{new_view}");
    assert_eq!(new_view["came_back_from"], code.as_str());
    assert_eq!(new_view["anonymous"], false, "the same named reporter");
    let new_case = dispatcher.case(&new_code).await;
    assert_eq!(new_case["came_back_from"], code.as_str());
    assert_eq!(new_case["department"], "housing_construction");
    assert_eq!(new_case["state"], "submitted");
    assert!(
        new_case["reward"].is_null(),
        "a new case for reward purposes"
    );
    assert_eq!(
        dispatcher.case(&code).await["came_back_as"],
        json!([new_code.clone()])
    );

    // Nothing of it is public, not even that it came back: the two public
    // timelines say nothing of each other.
    for c in [&code, &new_code] {
        let record: Value = app
            .get(&format!("/api/v1/public/cases/{c}"))
            .await
            .json()
            .await
            .unwrap();
        assert!(
            !record["timeline"].to_string().contains("came_back"),
            "{record}"
        );
    }
    let public = public_text(app, &code).await;
    for secret_text in [QUESTION, ANSWER, COMMENT] {
        assert!(!public.contains(secret_text), "{secret_text} leaked");
    }
    let (_, audit) = auditor
        .get(&format!("/api/v1/audit?object_id={code}"))
        .await;
    let text = audit.to_string();
    assert!(
        text.contains("case.request_info")
            && text.contains("case.answer_info")
            && text.contains("case.rate"),
        "{audit}"
    );
    for secret_text in [ANSWER, COMMENT] {
        assert!(
            !text.contains(secret_text),
            "the audit log keeps no reporter's words"
        );
    }
}
shanshui_tests::demo_test!(the_reporter_answers_rates_and_the_problem_comes_back);

async fn close(handler: &Staff, reviewer: &Staff, code: &str) {
    shanshui_tests::close_case(handler, reviewer, code, "unsubstantiated").await;
}

async fn a_problem_that_comes_back_after_thirty_days_is_a_new_report(app: &TestApp) {
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    // A named reporter's problem that came back is anonymous unless they
    // say to keep their name: it may go to another department.
    let (named, named_secret) =
        file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &NAMED).await;
    close(&handler, &reviewer, &named).await;
    let view = reporter_ok(
        app,
        &named,
        &named_secret,
        json!({ "action": "came_back", "description": "又开始夜间施工了" }),
    )
    .await;
    let (_, again) = app
        .track(
            view["new_case"]["tracking_code"].as_str().unwrap(),
            view["new_case"]["secret"].as_str().unwrap(),
        )
        .await;
    assert_eq!(again["anonymous"], true, "{again}");

    let (code, secret) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    close(&handler, &reviewer, &code).await;
    app.clock.advance(chrono::Duration::days(31));
    let (_, view) = app.track(&code, &secret).await;
    assert_eq!(view["can_come_back"], false, "{view}");
    assert_eq!(view["can_rate"], true, "rating has no window");
    let (status, refused) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "came_back", "description": "又开始夜间施工了" }),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    let (_, after) = app.track(&code, &secret).await;
    assert!(after["came_back_as"].as_array().unwrap().is_empty());
    // An anonymous rating is a rating too; too long a comment is refused.
    let long = "很".repeat(501);
    let (status, _) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "rate", "rating": "satisfied", "comment": long }),
        )
        .await;
    assert_eq!(status, 422);
    reporter_ok(
        app,
        &code,
        &secret,
        json!({ "action": "rate", "rating": "basically_satisfied" }),
    )
    .await;
    // A month on, the reviewer signs in again.
    let reviewer = app.sign_in("shen.he").await;
    let (_, queue) = reviewer.get("/api/v1/supervision").await;
    assert!(
        queue.as_array().unwrap().is_empty(),
        "only the dissatisfied are supervised: {queue}"
    );
}
shanshui_tests::demo_test!(a_problem_that_comes_back_after_thirty_days_is_a_new_report);

async fn an_answer_brings_up_to_three_photos_that_are_never_published(app: &TestApp) {
    use shanshui_tests::photos::jpeg;
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let (code, secret) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    ok(&handler, &code, json!({ "action": "accept" })).await;
    ok(
        &handler,
        &code,
        json!({ "action": "request_info", "question": "能否补充夜间施工的照片？" }),
    )
    .await;
    let answer = |photos: usize, action: &str| {
        let mut form = reqwest::multipart::Form::new()
            .text("action", action.to_owned())
            .text("answer", "补充两张夜间照片".to_owned());
        for i in 0..photos {
            let part = reqwest::multipart::Part::bytes(jpeg(320 + i as u32, 240))
                .file_name(format!("night-{i}.jpg"))
                .mime_str("image/jpeg")
                .unwrap();
            form = form.part("photo", part);
        }
        app.client
            .post(app.url(&format!("/api/v1/track/{code}/actions")))
            .header("x-report-secret", secret.as_str())
            .multipart(form)
    };
    // Four photos, or another action as a form, change nothing.
    let res = answer(4, "answer_info").send().await.unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = answer(1, "rate").send().await.unwrap();
    assert_eq!(res.status(), 422);
    let wrong = app
        .client
        .post(app.url(&format!("/api/v1/track/{code}/actions")))
        .header("x-report-secret", "not-the-secret")
        .multipart(
            reqwest::multipart::Form::new()
                .text("action", "answer_info")
                .text("answer", "x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);
    let case = handler.case(&code).await;
    assert!(case["info_requests"][0]["answer"].is_null(), "{case}");

    let res = answer(2, "answer_info").send().await.unwrap();
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let case = handler.case(&code).await;
    assert_eq!(case["info_requests"][0]["answer"], "补充两张夜间照片");
    let photos = case["reports"][0]["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 2, "{case}");
    assert!(photos.iter().all(|p| p["from_answer"] == true));
    // Its original is evidence: staff open it, never cached, never sniffed
    // as something else.
    let original = photos[0]["original_url"].as_str().unwrap();
    let res = handler
        .client
        .get(handler.url(original))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let headers = res.headers();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["cache-control"], "private, no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let (_, view) = app.track(&code, &secret).await;
    assert_eq!(
        view["photos"].as_array().unwrap().len(),
        2,
        "the reporter sees their own"
    );

    // A reviewer cannot publish them.
    let photo_id = photos[0]["id"].as_i64().unwrap();
    let (status, body) = reviewer
        .act(
            &code,
            json!({ "action": "disclose", "summary": "鱼洞街道某工地夜间施工",
                "photos": [photo_id], "precision": "street" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let public: Value = app
        .get(&format!("/api/v1/public/cases/{code}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        public["photos"].as_array().is_none_or(|p| p.is_empty()),
        "{public}"
    );
}
shanshui_tests::demo_test!(an_answer_brings_up_to_three_photos_that_are_never_published);
