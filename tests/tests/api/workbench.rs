//! The handlers' workbench (工作台): internal notes and mentions, My day and
//! the team's loads, reply templates, bulk work.

use serde_json::{Value, json};
use shanshui_tests::{Staff, TestApp, file_report};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);

async fn noise_case(app: &TestApp) -> (String, String) {
    file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await
}

struct Team {
    dispatcher: Staff,
    handler: Staff,
    colleague: Staff,
    other_handler: Staff,
    reviewer: Staff,
    admin: Staff,
}

async fn team(app: &TestApp) -> Team {
    Team {
        dispatcher: app.staff("diao.du", Role::Dispatcher, None).await,
        handler: app
            .staff("cheng.ban", Role::Handler, Some("housing_construction"))
            .await,
        colleague: app
            .staff("tong.shi", Role::Handler, Some("housing_construction"))
            .await,
        other_handler: app
            .staff("bie.ren", Role::Handler, Some("urban_management"))
            .await,
        reviewer: app.staff("shen.he", Role::Reviewer, None).await,
        admin: app.staff("guan.li", Role::Admin, None).await,
    }
}

async fn ok(staff: &Staff, code: &str, body: Value) -> Value {
    let (status, case) = staff.act(code, body.clone()).await;
    assert_eq!(status, 200, "{} {body}: {case}", staff.username);
    case
}

/// Accepted and assigned to `cheng.ban`.
async fn investigating(app: &TestApp, t: &Team) -> String {
    let (code, _) = noise_case(app).await;
    ok(&t.handler, &code, json!({ "action": "accept" })).await;
    ok(
        &t.dispatcher,
        &code,
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    )
    .await;
    code
}

async fn notes_stay_on_the_staff_side_and_mentions_reach_a_colleague_s_day(app: &TestApp) {
    let t = team(app).await;
    let (code, secret) = noise_case(app).await;
    ok(&t.handler, &code, json!({ "action": "accept" })).await;
    ok(
        &t.dispatcher,
        &code,
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    )
    .await;
    let secret_text = "内部：业主是区人大代表的亲戚，注意回避";
    let path = format!("/api/v1/cases/{code}/notes");

    // Bad notes change nothing.
    for (body, why) in [
        (json!({ "body": "x".repeat(4001) }), "over 4,000 characters"),
        (json!({ "body": "   " }), "empty"),
        (
            json!({ "body": "请 @nobody 看一下" }),
            "an unknown colleague",
        ),
        (
            json!({ "body": "请 @bie.ren 看一下" }),
            "a colleague who cannot see the case",
        ),
    ] {
        let (status, answer) = t.handler.post(&path, body).await;
        assert_eq!(status, 422, "{why}: {answer}");
        assert!(answer["error"]["message"].is_string(), "{answer}");
    }
    assert_eq!(t.handler.case(&code).await["notes"], json!([]));
    let (status, _) = t
        .other_handler
        .post(&path, json!({ "body": "not my department" }))
        .await;
    assert_eq!(status, 404, "another department's case does not exist");

    let (status, note) = t
        .handler
        .post(
            &path,
            json!({ "body": format!("{secret_text}。@tong.shi 明早一起去现场") }),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    assert_eq!(note["author"], "cheng.ban");
    assert_eq!(note["mentions"], json!(["tong.shi"]));
    let case = t.dispatcher.case(&code).await;
    assert_eq!(case["notes"].as_array().unwrap().len(), 1);
    // The report's answers read by name, not as stored codes.
    let stored: Value =
        serde_json::from_str(case["reports"][0]["answers"].as_str().unwrap()).unwrap();
    let answered = case["reports"][0]["answered"].as_array().unwrap();
    assert_eq!(answered.len(), stored.as_object().unwrap().len(), "{case}");
    assert!(
        answered
            .iter()
            .all(|a| !a["question"].as_str().unwrap().is_ascii()
                && !a["answer"].as_str().unwrap().is_empty()),
        "{answered:?}"
    );
    assert!(
        case["notes"][0]["body"]
            .as_str()
            .unwrap()
            .contains(secret_text)
    );

    // The mentioned colleague sees it in their day until they open the case.
    let (status, day) = t.colleague.get("/api/v1/cases/day").await;
    assert_eq!(status, 200, "{day}");
    assert_eq!(day["counts"]["mentions"], 1);
    assert_eq!(day["mentions"][0]["case_code"], code.as_str());
    assert_eq!(day["mentions"][0]["author"], "cheng.ban");
    t.colleague.case(&code).await;
    let (_, day) = t.colleague.get("/api/v1/cases/day").await;
    assert_eq!(day["counts"]["mentions"], 0, "{day}");
    assert_eq!(day["mentions"], json!([]));

    // Audited, without the text.
    let (_, audit) = t
        .admin
        .get(&format!("/api/v1/audit?action=case.note&object_id={code}"))
        .await;
    let entries = audit.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert!(!audit.to_string().contains(secret_text), "{audit}");

    // Close and disclose the case: neither the reporter nor the public
    // ever reads the note.
    ok(&t.handler, &code, json!({ "action": "draft_reply", "finding": "substantiated", "reply": "属实，已责令停工。" })).await;
    ok(&t.reviewer, &code, json!({ "action": "approve_reply" })).await;
    ok(
        &t.reviewer,
        &code,
        json!({ "action": "disclose", "summary": "鱼洞街道某工地夜间施工噪声扰民", "precision": "street" }),
    )
    .await;
    let (_, track) = app.track(&code, &secret).await;
    let public: Value = app
        .get(&format!("/api/v1/public/cases/{code}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["disclosed"], true);
    let page = app
        .get(&format!("/cases/{code}"))
        .await
        .text()
        .await
        .unwrap();
    let open311 = app
        .get(&format!("/open311/v2/requests/{code}.json"))
        .await
        .text()
        .await
        .unwrap();
    for (what, text) in [
        ("the reporter's view", track.to_string()),
        ("the public API", public.to_string()),
        ("the public page", page),
        ("Open311", open311),
    ] {
        assert!(!text.contains(secret_text), "{what} shows the note");
        assert!(!text.contains("明早一起去现场"), "{what} shows the note");
    }
}
shanshui_tests::demo_test!(notes_stay_on_the_staff_side_and_mentions_reach_a_colleague_s_day);

async fn set_due(app: &TestApp, code: &str, due: chrono::DateTime<chrono::Utc>) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    use server::db::entities::case;
    case::Entity::update_many()
        .col_expr(case::Column::DueAt, Expr::value(Some(due)))
        .filter(case::Column::Code.eq(code))
        .exec(&app.db)
        .await
        .unwrap();
}

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_handler_s_day_and_the_team_s_loads(app: &TestApp) {
    let t = team(app).await;
    let now = app.clock.now();
    let mine_late = investigating(app, &t).await;
    let mine_soon = investigating(app, &t).await;
    let mine_later = investigating(app, &t).await;
    // The department's, not assigned to anyone: due tomorrow.
    let (unassigned_soon, _) = noise_case(app).await;
    // Another department's, overdue: not in this day.
    let (theirs, _) = file_report(app, "burning_rubbish", YUDONG.0, YUDONG.1, &[]).await;
    set_due(app, &mine_late, now - chrono::Duration::days(2)).await;
    set_due(app, &mine_soon, now + chrono::Duration::days(1)).await;
    set_due(app, &mine_later, now + chrono::Duration::days(20)).await;
    set_due(app, &unassigned_soon, now + chrono::Duration::hours(30)).await;
    set_due(app, &theirs, now - chrono::Duration::days(1)).await;

    let (status, day) = t.handler.get("/api/v1/cases/day").await;
    assert_eq!(status, 200, "{day}");
    assert_eq!(day["handler"], "cheng.ban");
    assert_eq!(day["department"]["code"], "housing_construction");
    assert_eq!(
        codes(&day["assigned"]),
        [mine_late.clone(), mine_soon.clone(), mine_later.clone()],
        "most urgent first"
    );
    assert_eq!(codes(&day["overdue"]), std::slice::from_ref(&mine_late));
    assert_eq!(
        codes(&day["due_soon"]),
        [mine_soon.clone(), unassigned_soon.clone()]
    );
    assert_eq!(
        day["counts"],
        json!({ "assigned": 3, "due_soon": 2, "overdue": 1, "mentions": 0 })
    );
    assert_eq!(day["map"].as_array().unwrap().len(), 3);
    assert_eq!(day["map"][0]["overdue"], true);

    // A supervisor reads the same day, and the team's counts.
    let (status, same) = t
        .dispatcher
        .get("/api/v1/cases/day?handler=cheng.ban")
        .await;
    assert_eq!(status, 200);
    assert_eq!(same["counts"], day["counts"]);
    let (status, loads) = t.reviewer.get("/api/v1/cases/team").await;
    assert_eq!(status, 200, "{loads}");
    let row = loads
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["username"] == "cheng.ban")
        .unwrap();
    assert_eq!(
        (
            row["open"].as_u64(),
            row["due_soon"].as_u64(),
            row["overdue"].as_u64()
        ),
        (Some(3), Some(1), Some(1))
    );
    assert_eq!(row["department"]["code"], "housing_construction");
    let idle = loads
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["username"] == "tong.shi")
        .unwrap();
    assert_eq!(idle["open"], 0);

    // A handler reads their own day only; a name must be a handler.
    assert_eq!(t.handler.get("/api/v1/cases/team").await.0, 403);
    assert_eq!(
        t.handler.get("/api/v1/cases/day?handler=tong.shi").await.0,
        403
    );
    let (status, body) = t.dispatcher.get("/api/v1/cases/day?handler=nobody").await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = t.dispatcher.get("/api/v1/cases/day?handler=shen.he").await;
    assert_eq!(status, 422, "a reviewer has no handler's day");
}
shanshui_tests::demo_test!(a_handler_s_day_and_the_team_s_loads);

async fn bulk_work_applies_to_each_allowed_case_and_says_why_the_others_were_refused(
    app: &TestApp,
) {
    let t = team(app).await;
    let (a, _) = noise_case(app).await;
    let (b, _) = noise_case(app).await;
    let (submitted, _) = noise_case(app).await;
    let (stale, _) = noise_case(app).await;
    for code in [&a, &b, &stale] {
        ok(&t.handler, code, json!({ "action": "accept" })).await;
    }
    let stale_version = t.dispatcher.case(&stale).await["version"].as_i64().unwrap();
    ok(
        &t.handler,
        &stale,
        json!({ "action": "extend", "days": 5, "reason": "等待监测报告" }),
    )
    .await;

    // The case as it stands; `earlier_here` shows the states of the other
    // cases at its place, which the bulk work does change.
    let before = |code: &str| {
        let code = code.to_owned();
        let dispatcher = &t.dispatcher;
        async move {
            let mut case = dispatcher.case(&code).await;
            case.as_object_mut().unwrap().remove("earlier_here");
            case
        }
    };
    let submitted_before = before(&submitted).await;
    let stale_before = before(&stale).await;

    // Too many, twice named, or none: refused whole, nothing changes.
    let many: Vec<String> = (0..201).map(|_| a.clone()).collect();
    for (body, why) in [
        (
            json!({ "action": "assign", "assignee": "cheng.ban", "codes": many }),
            "over 200",
        ),
        (
            json!({ "action": "assign", "assignee": "cheng.ban", "codes": [a, a] }),
            "named twice",
        ),
        (
            json!({ "action": "assign", "assignee": "cheng.ban", "codes": [] }),
            "none",
        ),
    ] {
        let (status, answer) = t.dispatcher.post("/api/v1/cases/bulk", body).await;
        assert_eq!(status, 422, "{why}: {answer}");
    }
    assert!(t.dispatcher.case(&a).await["assignee"].is_null());

    let (status, result) = t
        .dispatcher
        .post(
            "/api/v1/cases/bulk",
            json!({
                "action": "assign",
                "assignee": "cheng.ban",
                "codes": [a, submitted, b, stale, "BN-0000-0000"],
                "versions": { stale.clone(): stale_version },
            }),
        )
        .await;
    assert_eq!(status, 200, "{result}");
    let done: Vec<&str> = result["done"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(done, [a.as_str(), b.as_str()], "{result}");
    assert_eq!(result["done"][0]["state"], "investigating");
    let refused: Vec<(String, u64)> = result["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()), "{r}");
            (
                r["code"].as_str().unwrap().to_owned(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            (submitted.clone(), 409),
            (stale.clone(), 409),
            ("BN-0000-0000".to_owned(), 404)
        ],
        "{result}"
    );
    for code in [&a, &b] {
        assert_eq!(t.dispatcher.case(code).await["assignee"], "cheng.ban");
    }
    // The refused cases are exactly as they were.
    assert_eq!(before(&submitted).await, submitted_before);
    assert_eq!(before(&stale).await, stale_before);

    // A handler's bulk extension: their own cases only.
    let (status, result) = t
        .other_handler
        .post(
            "/api/v1/cases/bulk",
            json!({ "action": "extend", "days": 10, "reason": "雨季", "codes": [a] }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(result["refused"][0]["status"], 404, "{result}");
    let (_, result) = t
        .handler
        .post(
            "/api/v1/cases/bulk",
            json!({ "action": "extend", "days": 10, "reason": "雨季", "codes": [a, b] }),
        )
        .await;
    assert_eq!(result["done"].as_array().unwrap().len(), 2, "{result}");
    assert_eq!(t.handler.case(&b).await["extended_days"], 10);
}
shanshui_tests::demo_test!(
    bulk_work_applies_to_each_allowed_case_and_says_why_the_others_were_refused
);

async fn admins_keep_the_reply_templates_and_a_bad_one_is_refused(app: &TestApp) {
    let t = team(app).await;
    let (status, seeded) = t.handler.get("/api/v1/reply-templates").await;
    assert_eq!(status, 200);
    let seeded = seeded.as_array().unwrap().clone();
    assert!(
        seeded
            .iter()
            .any(|s| s["category"] == "noise"
                && s["body"].as_str().unwrap().contains("{{measurement}}")),
        "the console's old texts are seeded: {seeded:?}"
    );
    for s in &seeded {
        shared::workbench::parse_template(s["body"].as_str().unwrap()).unwrap();
    }

    let good = json!({ "category": "noise_construction", "finding": "substantiated",
        "title": "夜间施工", "body": "经{{inspection_date}}夜间核查，{{site}}噪声{{measurement}}，超过GB 12523限值。" });
    for (body, field, why) in [
        (
            json!({ "title": "x", "body": "罚款{{fine}}元" }),
            "body",
            "an unknown placeholder",
        ),
        (
            json!({ "title": "x", "body": "未闭合 {{code" }),
            "body",
            "an unclosed placeholder",
        ),
        (
            json!({ "category": "nuclear", "title": "x", "body": "y" }),
            "category",
            "an unknown category",
        ),
        (json!({ "title": " ", "body": "y" }), "title", "no title"),
        (
            json!({ "title": "x", "body": "字".repeat(4001) }),
            "body",
            "too long",
        ),
    ] {
        let (status, answer) = t.admin.post("/api/v1/reply-templates", body).await;
        assert_eq!(status, 422, "{why}: {answer}");
        assert!(
            answer["error"]["fields"][field].is_object(),
            "{why}: {answer}"
        );
    }
    let (status, answer) = t
        .admin
        .post(
            "/api/v1/reply-templates",
            json!({ "title": "x", "body": "罚款{{fine}}元" }),
        )
        .await;
    assert!(
        answer["error"]["fields"]["body"]["message"]
            .as_str()
            .unwrap()
            .contains("fine"),
        "{status} {answer}"
    );
    assert_eq!(
        t.handler
            .post("/api/v1/reply-templates", good.clone())
            .await
            .0,
        403
    );
    assert_eq!(
        t.handler
            .get("/api/v1/reply-templates")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        seeded.len(),
        "nothing was added"
    );

    let (status, made) = t.admin.post("/api/v1/reply-templates", good).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["updated_by"], "guan.li");
    let id = made["id"].as_i64().unwrap();
    let (status, changed) = t
        .admin
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/reply-templates/{id}"),
            json!({ "category": "noise", "title": "夜间施工噪声", "body": "{{code}}：{{measures}}" }),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["category"], "noise");
    assert!(changed["finding"].is_null());
    let (status, _) = t
        .admin
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/reply-templates/{id}"),
            json!({ "title": "x", "body": "{{nope}}" }),
        )
        .await;
    assert_eq!(status, 422);
    let (_, list) = t.handler.get("/api/v1/reply-templates").await;
    let kept = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .unwrap();
    assert_eq!(
        kept["title"], "夜间施工噪声",
        "a refused change leaves it as it was"
    );

    let (status, _) = t
        .admin
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/reply-templates/{id}"),
            json!(null),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = t
        .admin
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/reply-templates/{id}"),
            json!(null),
        )
        .await;
    assert_eq!(status, 404);
    let (_, audit) = t
        .admin
        .get(&format!(
            "/api/v1/audit?object_type=reply_template&object_id={id}"
        ))
        .await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), 3, "{audit}");
    for a in [
        "reply_template.create",
        "reply_template.update",
        "reply_template.delete",
    ] {
        assert!(actions.contains(&a), "{audit}");
    }
}
shanshui_tests::demo_test!(admins_keep_the_reply_templates_and_a_bad_one_is_refused);
