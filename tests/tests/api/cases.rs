//! The case workflow (受理 → 查处 → 回复审核): transitions, roles and
//! department scope, four-eyes, concurrency, deadlines, merging, revealing
//! identities, the reporter's contest, and the queue.

use serde_json::{Value, json};
use shanshui_tests::{Staff, TestApp, file_report};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);

/// A construction-noise case (→ housing and construction commission).
async fn noise_case(app: &TestApp) -> (String, String) {
    file_report(
        app,
        "noise_construction",
        YUDONG.0,
        YUDONG.1,
        &[("occurred_at", "2026-11-20T10:00:00+08:00")],
    )
    .await
}

struct Team {
    dispatcher: Staff,
    handler: Staff,
    other_handler: Staff,
    reviewer: Staff,
    auditor: Staff,
}

async fn team(app: &TestApp) -> Team {
    Team {
        dispatcher: app.staff("diao.du", Role::Dispatcher, None).await,
        handler: app
            .staff("cheng.ban", Role::Handler, Some("housing_construction"))
            .await,
        other_handler: app
            .staff("bie.ren", Role::Handler, Some("urban_management"))
            .await,
        reviewer: app.staff("shen.he", Role::Reviewer, None).await,
        auditor: app.staff("shen.ji", Role::Auditor, None).await,
    }
}

fn actions(case: &Value) -> Vec<String> {
    case["allowed_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

async fn ok(staff: &Staff, code: &str, body: Value) -> Value {
    let (status, case) = staff.act(code, body.clone()).await;
    assert_eq!(status, 200, "{} {body}: {case}", staff.username);
    case
}

async fn a_case_goes_from_report_to_approved_reply_and_the_reporter_sees_each_public_step(
    app: &TestApp,
) {
    let t = team(app).await;
    let (code, secret) = noise_case(app).await;

    let case = t.dispatcher.case(&code).await;
    assert_eq!(
        actions(&case),
        [
            "accept",
            "reject",
            "merge",
            "transfer",
            "recategorize",
            "relocate"
        ]
    );
    assert_eq!(case["deadline"], case["accept_due_at"]);
    let case = ok(
        &t.handler,
        &code,
        json!({ "action": "accept", "note": "site known to us" }),
    )
    .await;
    assert_eq!(case["state"], "accepted");
    assert_eq!(
        case["deadline"], case["close_due_at"],
        "after acceptance the closing deadline counts"
    );

    let case = ok(
        &t.dispatcher,
        &code,
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    )
    .await;
    assert_eq!(
        (case["state"].as_str(), case["assignee"].as_str()),
        (Some("investigating"), Some("cheng.ban"))
    );
    let (status, body) = t
        .dispatcher
        .act(&code, json!({ "action": "assign", "assignee": "bie.ren" }))
        .await;
    assert_eq!(
        status, 422,
        "only a handler of the case's department: {body}"
    );

    let draft = json!({ "action": "draft_reply", "finding": "partly_substantiated", "reply": "工地夜间施工属实，已责令停工。", "actions_taken": "责令整改，罚款2000元" });
    let (status, _) = t.dispatcher.act(&code, draft.clone()).await;
    assert_eq!(status, 403, "dispatchers do not draft replies");
    let case = ok(&t.handler, &code, draft).await;
    assert_eq!(case["state"], "reply_review");
    assert_eq!(case["reply_drafted_by"], "cheng.ban");

    // The reporter does not see a draft.
    let (_, view) = app.track(&code, &secret).await;
    assert_eq!(view["state"], "reply_review");
    assert!(view["reply"].is_null(), "{view}");

    let case = ok(
        &t.reviewer,
        &code,
        json!({ "action": "return_reply", "reason": "name the fine's decision number" }),
    )
    .await;
    assert_eq!(case["state"], "investigating");
    ok(&t.handler, &code, json!({ "action": "draft_reply", "finding": "substantiated", "reply": "属实，已停工整改。" })).await;
    let case = ok(&t.reviewer, &code, json!({ "action": "approve_reply" })).await;
    assert_eq!(case["state"], "closed");
    assert!(case["deadline"].is_null());
    assert_eq!(
        actions(&case),
        ["disclose"],
        "nothing more to do but publish it: {case}"
    );

    let (_, view) = app.track(&code, &secret).await;
    assert_eq!(view["state"], "closed");
    assert_eq!(view["reply"], "属实，已停工整改。");
    assert_eq!(view["finding"], "substantiated");
    assert_eq!(view["can_contest"], true);
    let steps: Vec<&str> = view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["submitted", "accept", "assign", "approve_reply"],
        "drafts and returns are internal"
    );
    let text = view.to_string();
    assert!(
        !text.contains("cheng.ban") && !text.contains("shen.he"),
        "staff names stay internal: {text}"
    );

    // The audit log has every action, by whom.
    let (_, log) = t
        .auditor
        .get(&format!("/api/v1/audit?object_type=case&object_id={code}"))
        .await;
    let logged: Vec<(&str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        logged,
        [
            ("case.accept", "cheng.ban"),
            ("case.assign", "diao.du"),
            ("case.draft_reply", "cheng.ban"),
            ("case.return_reply", "shen.he"),
            ("case.draft_reply", "cheng.ban"),
            ("case.approve_reply", "shen.he"),
        ]
    );
}
shanshui_tests::demo_test!(
    a_case_goes_from_report_to_approved_reply_and_the_reporter_sees_each_public_step
);

async fn the_reporter_contests_the_reply_once_and_it_goes_back_to_review(app: &TestApp) {
    let t = team(app).await;
    let (code, secret) = noise_case(app).await;
    let contest = |reason: &str| {
        app.client
            .post(app.url(&format!("/api/v1/track/{code}/actions")))
            .header("x-report-secret", secret.as_str())
            .json(&json!({ "action": "contest", "reason": reason }))
            .send()
    };
    assert_eq!(
        contest("too early").await.unwrap().status(),
        409,
        "nothing to contest before the reply"
    );

    ok(&t.handler, &code, json!({ "action": "accept" })).await;
    ok(
        &t.handler,
        &code,
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    )
    .await;
    ok(&t.handler, &code, json!({ "action": "draft_reply", "finding": "unsubstantiated", "reply": "现场未发现施工。" })).await;
    ok(&t.reviewer, &code, json!({ "action": "approve_reply" })).await;

    let wrong_secret = app
        .client
        .post(app.url(&format!("/api/v1/track/{code}/actions")))
        .header("x-report-secret", "not-the-secret")
        .json(&json!({ "action": "contest", "reason": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_secret.status(), 404);
    assert_eq!(contest("  ").await.unwrap().status(), 422);
    let res = contest("施工每晚23点后仍在进行，有录音。").await.unwrap();
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(
        (
            view["state"].as_str(),
            view["contested"].as_bool(),
            view["can_contest"].as_bool()
        ),
        (Some("reply_review"), Some(true), Some(false))
    );

    let case = t.reviewer.case(&code).await;
    assert_eq!(case["contested"], true);
    assert!(
        case["deadline"].is_string(),
        "the review has a deadline again"
    );
    ok(
        &t.reviewer,
        &code,
        json!({ "action": "return_reply", "reason": "visit at night" }),
    )
    .await;
    ok(&t.handler, &code, json!({ "action": "draft_reply", "finding": "substantiated", "reply": "夜查属实，已处罚。" })).await;
    ok(&t.reviewer, &code, json!({ "action": "approve_reply" })).await;
    assert_eq!(
        contest("again").await.unwrap().status(),
        409,
        "a reply is contested once"
    );
    let (_, view) = app.track(&code, &secret).await;
    assert_eq!(view["reply"], "夜查属实，已处罚。");
}
shanshui_tests::demo_test!(the_reporter_contests_the_reply_once_and_it_goes_back_to_review);

/// Each role, on a submitted case of the housing commission, for each
/// action it might try: the status the API answers.
async fn roles_and_departments_are_a_matrix_of_allowed_and_refused(app: &TestApp) {
    let t = team(app).await;
    let co_handler = app.staff("shui.li", Role::Handler, Some("water")).await;
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let finance = app.staff("cai.wu", Role::Finance, None).await;
    let dept_reviewer = app
        .staff("bu.men", Role::Reviewer, Some("urban_management"))
        .await;
    let (code, _) = noise_case(app).await;
    let (water, _) = file_report(app, "water_black_odorous", YUDONG.0, YUDONG.1, &[]).await;

    // Seeing: other department → 404 (its existence is not revealed).
    assert_eq!(
        t.other_handler
            .get(&format!("/api/v1/cases/{code}"))
            .await
            .0,
        404
    );
    assert_eq!(
        dept_reviewer.get(&format!("/api/v1/cases/{code}")).await.0,
        404
    );
    for s in [
        &t.dispatcher,
        &t.handler,
        &t.reviewer,
        &t.auditor,
        &admin,
        &finance,
    ] {
        assert_eq!(
            s.get(&format!("/api/v1/cases/{code}")).await.0,
            200,
            "{}",
            s.username
        );
    }
    // A co-department reads but does not act.
    let shared_case = co_handler.case(&water).await;
    assert!(actions(&shared_case).is_empty());
    assert_eq!(
        co_handler
            .act(&water, json!({ "action": "accept" }))
            .await
            .0,
        403
    );
    let (_, queue) = co_handler.get("/api/v1/cases").await;
    let listed: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        [water.as_str()],
        "a co-department's queue holds the shared case only"
    );

    let before = t.dispatcher.case(&code).await["version"].clone();
    let tries = [
        (&t.auditor, json!({ "action": "accept" }), 403),
        (&admin, json!({ "action": "accept" }), 403),
        (&finance, json!({ "action": "reject", "reason": "x" }), 403),
        (&t.reviewer, json!({ "action": "accept" }), 403),
        (&t.other_handler, json!({ "action": "accept" }), 404),
        (
            &t.handler,
            json!({ "action": "draft_reply", "finding": "substantiated", "reply": "x" }),
            409,
        ),
        (&t.reviewer, json!({ "action": "approve_reply" }), 409),
        (
            &t.dispatcher,
            json!({ "action": "extend", "days": 5, "reason": "x" }),
            409,
        ),
        (
            &t.dispatcher,
            json!({ "action": "assign", "assignee": "cheng.ban" }),
            409,
        ),
        (
            &t.dispatcher,
            json!({ "action": "reject", "reason": "" }),
            422,
        ),
        (&t.dispatcher, json!({ "action": "fly_away" }), 422),
        (
            &t.dispatcher,
            json!({ "action": "merge", "into": code.clone() }),
            422,
        ),
        (
            &t.dispatcher,
            json!({ "action": "transfer", "department": "housing_construction", "reason": "x" }),
            422,
        ),
        (
            &t.dispatcher,
            json!({ "action": "transfer", "department": "mars", "reason": "x" }),
            422,
        ),
    ];
    for (who, body, expected) in tries {
        let (status, answer) = who.act(&code, body.clone()).await;
        assert_eq!(status, expected, "{} {body}: {answer}", who.username);
        assert!(
            answer["error"]["code"].is_string() && answer["error"]["message"].is_string(),
            "{answer}"
        );
    }
    let after = t.dispatcher.case(&code).await;
    assert_eq!(after["version"], before, "refused actions changed nothing");
    assert_eq!(after["state"], "submitted");

    let anonymous = reqwest::Client::new();
    let res = anonymous
        .get(app.url(&format!("/api/v1/cases/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = anonymous
        .post(app.url(&format!("/api/v1/cases/{code}/actions")))
        .json(&json!({ "action": "accept" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
shanshui_tests::demo_test!(roles_and_departments_are_a_matrix_of_allowed_and_refused);

async fn the_drafter_can_never_approve_their_own_reply(app: &TestApp) {
    let t = team(app).await;
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let (code, _) = noise_case(app).await;
    ok(&t.handler, &code, json!({ "action": "accept" })).await;
    ok(
        &t.handler,
        &code,
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    )
    .await;
    ok(
        &t.handler,
        &code,
        json!({ "action": "draft_reply", "finding": "substantiated", "reply": "属实" }),
    )
    .await;
    // The drafter becomes a reviewer: still not the one to approve it.
    let (status, _) = admin
        .send(
            reqwest::Method::PATCH,
            "/api/v1/users/cheng.ban",
            json!({ "role": "reviewer" }),
        )
        .await;
    assert_eq!(status, 200);
    let drafter = app.sign_in("cheng.ban").await;
    let case = drafter.case(&code).await;
    assert!(
        !actions(&case).contains(&"approve_reply".to_owned()),
        "{case}"
    );
    let (status, body) = drafter
        .act(&code, json!({ "action": "approve_reply" }))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("四眼"),
        "{body}"
    );
    assert_eq!(
        ok(&t.reviewer, &code, json!({ "action": "approve_reply" })).await["state"],
        "closed"
    );
}
shanshui_tests::demo_test!(the_drafter_can_never_approve_their_own_reply);

async fn two_reviewers_approving_at_once_one_wins(app: &TestApp) {
    let t = team(app).await;
    let second = app.staff("er.hao", Role::Reviewer, None).await;
    for _ in 0..3 {
        let (code, _) = noise_case(app).await;
        ok(&t.handler, &code, json!({ "action": "accept" })).await;
        ok(
            &t.handler,
            &code,
            json!({ "action": "assign", "assignee": "cheng.ban" }),
        )
        .await;
        ok(
            &t.handler,
            &code,
            json!({ "action": "draft_reply", "finding": "substantiated", "reply": "属实" }),
        )
        .await;
        let version = t.reviewer.case(&code).await["version"].clone();
        let approve = json!({ "action": "approve_reply", "version": version });
        let (a, b) = tokio::join!(
            t.reviewer.act(&code, approve.clone()),
            second.act(&code, approve.clone())
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
        let timeline = t.auditor.case(&code).await["timeline"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(
            timeline, 5,
            "submitted, accept, assign, draft and exactly one review"
        );
    }
    // A stale screen is refused too.
    let (code, _) = noise_case(app).await;
    let (status, body) = t
        .dispatcher
        .act(&code, json!({ "action": "accept", "version": 99 }))
        .await;
    assert_eq!(status, 409, "{body}");
}
shanshui_tests::demo_test!(two_reviewers_approving_at_once_one_wins);

async fn a_deadline_is_extended_once_and_a_transfer_keeps_the_clock(app: &TestApp) {
    let t = team(app).await;
    let (code, _) = noise_case(app).await;
    ok(&t.handler, &code, json!({ "action": "accept" })).await;
    let due = t.handler.case(&code).await["close_due_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = t
        .handler
        .act(
            &code,
            json!({ "action": "extend", "days": 31, "reason": "x" }),
        )
        .await;
    assert_eq!(status, 422, "at most 30 days");
    let case = ok(
        &t.handler,
        &code,
        json!({ "action": "extend", "days": 10, "reason": "等待检测报告" }),
    )
    .await;
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    assert_eq!(
        parse(case["close_due_at"].as_str().unwrap()) - parse(&due),
        chrono::Duration::days(10)
    );
    assert_eq!(case["extended_days"], 10);
    assert!(!actions(&case).contains(&"extend".to_owned()));
    let (status, _) = t
        .handler
        .act(
            &code,
            json!({ "action": "extend", "days": 5, "reason": "again" }),
        )
        .await;
    assert_eq!(status, 409);

    let case = ok(&t.handler, &code, json!({ "action": "transfer", "department": "urban_management", "reason": "是道路施工，归城管" })).await;
    assert_eq!(
        (case["state"].as_str(), case["department"].as_str()),
        (Some("accepted"), Some("urban_management"))
    );
    assert_eq!(
        case["close_due_at"].as_str().map(parse),
        Some(parse(&due) + chrono::Duration::days(10)),
        "the clock runs on"
    );
    assert!(case["assignee"].is_null());
    assert_eq!(
        t.handler.get(&format!("/api/v1/cases/{code}")).await.0,
        404,
        "out of the old department's sight"
    );
    let case = t.other_handler.case(&code).await;
    assert_eq!(
        actions(&case),
        [
            "merge",
            "assign",
            "transfer",
            "recategorize",
            "relocate",
            "record_inspection",
            "request_info"
        ]
    );
}
shanshui_tests::demo_test!(a_deadline_is_extended_once_and_a_transfer_keeps_the_clock);

/// Merge candidates are filtered by who may see them: a handler is not
/// told that another department has a case next door.
async fn nearby_cases_are_only_those_the_reader_may_see(app: &TestApp) {
    let t = team(app).await;
    let (mine, _) = noise_case(app).await;
    let (theirs, _) = noise_case(app).await;
    ok(
        &t.dispatcher,
        &theirs,
        json!({ "action": "transfer", "department": "urban_management", "reason": "归城管" }),
    )
    .await;
    let nearby = async |staff: &Staff, code: &str| {
        let (status, found) = staff.get(&format!("/api/v1/cases/{code}/nearby")).await;
        assert_eq!(status, 200, "{found}");
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["tracking_code"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(nearby(&t.dispatcher, &mine).await, [theirs.as_str()]);
    assert_eq!(nearby(&t.dispatcher, &theirs).await, [mine.as_str()]);
    assert!(nearby(&t.handler, &mine).await.is_empty());
    assert!(nearby(&t.other_handler, &theirs).await.is_empty());
}
shanshui_tests::demo_test!(nearby_cases_are_only_those_the_reader_may_see);

async fn a_duplicate_is_merged_into_a_nearby_case_and_its_reporter_is_told(app: &TestApp) {
    let t = team(app).await;
    let (first, _) = noise_case(app).await;
    let (second, secret) = noise_case(app).await;
    let (_, nearby) = t
        .dispatcher
        .get(&format!("/api/v1/cases/{second}/nearby"))
        .await;
    let codes: Vec<&str> = nearby
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["tracking_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, [first.as_str()], "itself is not a candidate");
    let case = ok(
        &t.dispatcher,
        &second,
        json!({ "action": "merge", "into": first }),
    )
    .await;
    assert_eq!(
        (case["state"].as_str(), case["merged_into"].as_str()),
        (Some("merged"), Some(first.as_str()))
    );
    assert_eq!(t.dispatcher.case(&first).await["corroborations"], 1);
    let (_, view) = app.track(&second, &secret).await;
    assert_eq!(view["merged_into"], first.as_str());
    let (status, _) = t
        .dispatcher
        .act(&first, json!({ "action": "merge", "into": second }))
        .await;
    assert_eq!(status, 422, "not into a case that is no longer open");
}
shanshui_tests::demo_test!(a_duplicate_is_merged_into_a_nearby_case_and_its_reporter_is_told);

async fn a_reporter_s_identity_is_hidden_until_revealed_with_an_audited_action(app: &TestApp) {
    let t = team(app).await;
    let (code, _) = file_report(
        app,
        "noise_construction",
        YUDONG.0,
        YUDONG.1,
        &[("name", "王小明"), ("phone", "13812345678")],
    )
    .await;
    let case = t.handler.case(&code).await;
    let text = case.to_string();
    assert!(
        !text.contains("王小明") && !text.contains("13812345678"),
        "{text}"
    );
    assert_eq!(case["reports"][0]["named"], true);
    assert_eq!(case["can_reveal"], true);
    assert_eq!(t.auditor.case(&code).await["can_reveal"], false);
    assert_eq!(
        t.auditor
            .post(&format!("/api/v1/cases/{code}/reveal"), json!({}))
            .await
            .0,
        403
    );
    assert_eq!(
        t.other_handler
            .post(&format!("/api/v1/cases/{code}/reveal"), json!({}))
            .await
            .0,
        404
    );

    let (status, who) = t
        .handler
        .post(&format!("/api/v1/cases/{code}/reveal"), json!({}))
        .await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(
        (who[0]["name"].as_str(), who[0]["phone"].as_str()),
        (Some("王小明"), Some("13812345678"))
    );
    let (_, log) = t
        .auditor
        .get(&format!(
            "/api/v1/audit?action=case.reveal_identity&object_id={code}"
        ))
        .await;
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["actor"], "cheng.ban");
    assert!(
        !log.to_string().contains("王小明"),
        "the audit log holds no personal data"
    );
}
shanshui_tests::demo_test!(a_reporter_s_identity_is_hidden_until_revealed_with_an_audited_action);

async fn the_queue_is_scoped_filtered_and_sorted_by_deadline(app: &TestApp) {
    let t = team(app).await;
    let (noise1, _) = noise_case(app).await;
    let (noise2, _) = noise_case(app).await;
    let (dust, _) = file_report(app, "dust_road", YUDONG.0, YUDONG.1, &[]).await;
    // Accepting moves a case's deadline from 15 to 60 days: it sorts last.
    ok(&t.handler, &noise1, json!({ "action": "accept" })).await;

    let (_, q) = t.dispatcher.get("/api/v1/cases").await;
    let codes: Vec<&str> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [noise2.as_str(), dust.as_str(), noise1.as_str()],
        "{q}"
    );
    assert_eq!(q["has_more"], false);

    let (_, q) = t.handler.get("/api/v1/cases").await;
    let codes: Vec<&str> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [noise2.as_str(), noise1.as_str()],
        "a handler's queue is their department's"
    );

    let (_, q) = t.dispatcher.get("/api/v1/cases?state=accepted").await;
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    let (_, q) = t
        .dispatcher
        .get("/api/v1/cases?category=dust_road&area=yudong")
        .await;
    assert_eq!(q["items"][0]["code"], dust.as_str());
    assert_eq!(q["items"][0]["department"], "urban_management");
    let (_, q) = t
        .dispatcher
        .get("/api/v1/cases?department=housing_construction&page_size=1")
        .await;
    assert_eq!(
        (
            q["items"].as_array().unwrap().len(),
            q["has_more"].as_bool()
        ),
        (1, Some(true))
    );
    let (_, q) = t.dispatcher.get("/api/v1/cases?overdue=true").await;
    assert!(q["items"].as_array().unwrap().is_empty());
    // Dates are Chongqing's (UTC+8).
    let today = (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y-%m-%d")
        .to_string();
    let (_, q) = t
        .dispatcher
        .get(&format!(
            "/api/v1/cases?from=2020-01-01&to={today}&state=all"
        ))
        .await;
    assert_eq!(q["items"].as_array().unwrap().len(), 3);

    for bad in [
        "state=lost",
        "from=yesterday",
        "category=nope",
        "page_size=abc",
    ] {
        let (status, body) = t.dispatcher.get(&format!("/api/v1/cases?{bad}")).await;
        assert!(status == 400 || status == 422, "{bad}: {status} {body}");
        assert!(body["error"]["message"].is_string());
    }

    let (_, counts) = t.dispatcher.get("/api/v1/cases/counts").await;
    let by_state: std::collections::BTreeMap<String, u64> = counts["by_state"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_u64().unwrap()))
        .collect();
    assert_eq!(
        (
            by_state["submitted"],
            by_state["accepted"],
            by_state["closed"]
        ),
        (2, 1, 0)
    );
}
shanshui_tests::demo_test!(the_queue_is_scoped_filtered_and_sorted_by_deadline);

async fn overdue_cases_stand_out(app: &TestApp) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let t = team(app).await;
    let (late, _) = noise_case(app).await;
    let (soon, _) = noise_case(app).await;
    let now = chrono::Utc::now();
    for (code, due) in [
        (&late, now - chrono::Duration::days(1)),
        (&soon, now + chrono::Duration::days(1)),
    ] {
        server::db::entities::case::Entity::update_many()
            .col_expr(
                server::db::entities::case::Column::DueAt,
                Expr::value(Some(due)),
            )
            .filter(server::db::entities::case::Column::Code.eq(code.as_str()))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let (_, q) = t.dispatcher.get("/api/v1/cases").await;
    assert_eq!(q["items"][0]["code"], late.as_str());
    assert_eq!(
        (
            q["items"][0]["overdue"].as_bool(),
            q["items"][1]["due_soon"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let (_, q) = t.dispatcher.get("/api/v1/cases?overdue=true").await;
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    let (_, counts) = t.dispatcher.get("/api/v1/cases/counts").await;
    assert_eq!(counts["overdue"], 1);
}
shanshui_tests::demo_test!(overdue_cases_stand_out);
