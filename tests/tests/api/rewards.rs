//! Reward for reporting (奖励审核 → 奖金发放): eligibility, four-eyes, the
//! reporter's claim, the claim window, paying once, the ledger.

use serde_json::{Value, json};
use shanshui_tests::{Staff, TestApp, file_report};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);
const NAMED: [(&str, &str); 2] = [("name", "王小明"), ("phone", "13812345678")];

struct Team {
    handler: Staff,
    reviewer: Staff,
    reward_reviewer: Staff,
    finance: Staff,
}

async fn team(app: &TestApp) -> Team {
    Team {
        handler: app
            .staff("cheng.ban", Role::Handler, Some("housing_construction"))
            .await,
        reviewer: app.staff("shen.he", Role::Reviewer, None).await,
        reward_reviewer: app.staff("jiang.li", Role::RewardReviewer, None).await,
        finance: app.staff("cai.wu", Role::Finance, None).await,
    }
}

async fn ok(staff: &Staff, code: &str, body: Value) -> Value {
    let (status, case) = staff.act(code, body.clone()).await;
    assert_eq!(status, 200, "{} {body}: {case}", staff.username);
    case
}

/// A construction-noise case (rewardable) taken to closed with `finding`.
async fn closed_case(
    app: &TestApp,
    t: &Team,
    fields: &[(&str, &str)],
    finding: &str,
) -> (String, String) {
    let (code, secret) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, fields).await;
    close(t, &code, finding).await;
    (code, secret)
}

async fn close(t: &Team, code: &str, finding: &str) {
    let code = code.to_owned();
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
        json!({ "action": "draft_reply", "finding": finding, "reply": "核查情况如下。" }),
    )
    .await;
    ok(&t.reviewer, &code, json!({ "action": "approve_reply" })).await;
}

fn propose(amount_fen: i64, target: Option<&str>) -> Value {
    json!({ "action": "propose_reward", "tier": match amount_fen { 50_000 => "tier_500", 100_000 => "tier_1000", _ => "tier_2000" },
            "amount_fen": amount_fen, "basis": "夜间施工，证据充分", "target": target })
}

async fn the_tiers_are_public_and_follow_the_chongqing_rules(app: &TestApp) {
    let tiers: Value = app.get("/api/v1/reward-tiers").await.json().await.unwrap();
    let fixed: Vec<i64> = tiers
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["amount_fen"].as_i64())
        .collect();
    assert_eq!(fixed, [50_000, 100_000, 200_000]);
    assert!(
        tiers
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["percent_of_fine"] == 5)
    );
}
shanshui_tests::demo_test!(the_tiers_are_public_and_follow_the_chongqing_rules);

async fn a_reward_goes_from_proposal_to_payment_once(app: &TestApp) {
    let t = team(app).await;
    let (code, secret) = closed_case(app, &t, &NAMED, "substantiated").await;
    let case = t.handler.case(&code).await;
    assert_eq!(
        case["eligibility"]["eligible"], true,
        "{}",
        case["eligibility"]
    );
    assert!(
        case["allowed_actions"]
            .as_array()
            .unwrap()
            .contains(&json!("propose_reward"))
    );

    let (status, body) = t.handler.act(&code, json!({ "action": "propose_reward", "tier": "tier_500", "amount_fen": 60_000, "basis": "x" })).await;
    assert_eq!(status, 422, "a fixed tier pays its amount: {body}");
    let case = ok(&t.handler, &code, propose(50_000, None)).await;
    assert_eq!(
        (
            case["reward"]["state"].as_str(),
            case["reward"]["amount_fen"].as_i64()
        ),
        (Some("proposed"), Some(50_000))
    );
    // Not yet the reporter's to see.
    let (_, view) = app.track(&code, &secret).await;
    assert!(view["reward"].is_null(), "{view}");
    assert_eq!(
        t.finance
            .act(&code, json!({ "action": "approve_reward" }))
            .await
            .0,
        403
    );
    let case = ok(
        &t.reward_reviewer,
        &code,
        json!({ "action": "approve_reward" }),
    )
    .await;
    assert_eq!(case["reward"]["state"], "approved");

    let (_, view) = app.track(&code, &secret).await;
    assert_eq!(
        (
            view["reward"]["state"].as_str(),
            view["reward"]["amount_fen"].as_i64(),
            view["reward"]["can_claim"].as_bool()
        ),
        (Some("approved"), Some(50_000), Some(true))
    );
    assert!(view["reward"]["claim_deadline"].is_string());
    // Paying before the claim is refused.
    assert_eq!(
        t.finance
            .act(
                &code,
                json!({ "action": "pay_reward", "payment_reference": "P1", "amount_fen": 50_000 })
            )
            .await
            .0,
        409
    );

    let (status, _) = app
        .as_reporter(
            &code,
            "wrong-secret",
            json!({ "action": "claim_reward", "payout_account": "6222020000000000" }),
        )
        .await;
    assert_eq!(status, 404, "a wrong secret gets no hint");
    let (status, _) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "claim_reward", "payout_account": "" }),
        )
        .await;
    assert_eq!(status, 422);
    let (status, view) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "claim_reward", "payout_account": "6222020000000000" }),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["reward"]["state"], "claimed");
    let case = t.finance.case(&code).await;
    assert!(
        !case.to_string().contains("6222020000000000"),
        "the payout account is not shown in the case"
    );

    let (status, _) = t
        .finance
        .act(
            &code,
            json!({ "action": "pay_reward", "payment_reference": "P1", "amount_fen": 40_000 }),
        )
        .await;
    assert_eq!(status, 422, "exactly the approved amount");
    let pay =
        json!({ "action": "pay_reward", "payment_reference": "CQ-2026-001", "amount_fen": 50_000 });
    let (a, b) = tokio::join!(
        t.finance.act(&code, pay.clone()),
        t.finance.act(&code, pay.clone())
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "paid once: {a:?} {b:?}");
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        server::db::entities::reward_payment::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
    let (_, view) = app.track(&code, &secret).await;
    assert_eq!(view["reward"]["state"], "paid");

    let (_, log) = t.finance.get(&format!("/api/v1/cases/{code}")).await;
    let steps: Vec<&str> = log["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        steps.ends_with(&[
            "propose_reward",
            "approve_reward",
            "claim_reward",
            "pay_reward"
        ]),
        "{steps:?}"
    );

    let ledger = t
        .finance
        .client
        .get(t.finance.url("/api/v1/rewards/ledger.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(ledger.headers()["content-type"], "text/csv; charset=utf-8");
    let text = ledger.text().await.unwrap();
    let row = text.lines().nth(1).unwrap();
    assert!(
        row.contains("\"housing_construction\",1,50000,1,50000,1,50000,1,50000,0,0"),
        "{text}"
    );
    let detail = t
        .finance
        .client
        .get(t.finance.url("/api/v1/rewards/ledger.csv?detail=true"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        detail.contains("CQ-2026-001") && !detail.contains("6222020000000000"),
        "{detail}"
    );
    assert_eq!(t.handler.get("/api/v1/rewards/ledger.csv").await.0, 403);

    // The public statistics count it (on PostgreSQL a sum of fen came back
    // as NUMERIC and the page failed once a reward was paid).
    let res = app.get("/api/v1/stats").await;
    assert_eq!(res.status(), 200);
    let stats: Value = res.json().await.unwrap();
    assert_eq!(
        (
            stats["rewards_paid"].as_u64(),
            stats["rewards_paid_fen"].as_i64()
        ),
        (Some(1), Some(50_000)),
        "{stats}"
    );
}
shanshui_tests::demo_test!(a_reward_goes_from_proposal_to_payment_once);

async fn eligibility_is_computed_with_its_reasons(app: &TestApp) {
    let t = team(app).await;
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let failing = |case: &Value| -> Vec<String> {
        case["eligibility"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["ok"] == false)
            .map(|c| c["code"].as_str().unwrap().to_owned())
            .collect()
    };
    // Anonymous.
    let (anonymous, _) = closed_case(app, &t, &[], "substantiated").await;
    assert_eq!(failing(&t.handler.case(&anonymous).await), ["real_name"]);
    let (status, body) = t.handler.act(&anonymous, propose(50_000, None)).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("anonymous")
    );
    // Unsubstantiated.
    let (untrue, _) = closed_case(app, &t, &NAMED, "unsubstantiated").await;
    assert_eq!(failing(&t.handler.case(&untrue).await), ["substantiated"]);
    assert_eq!(t.handler.act(&untrue, propose(50_000, None)).await.0, 409);
    // Not a rewardable kind of problem (social noise).
    let (social, _) = file_report(app, "noise_social", YUDONG.0, YUDONG.1, &NAMED).await;
    let dispatcher = app.staff("diao.du", Role::Dispatcher, None).await;
    let police = app
        .staff("jing.cha", Role::Handler, Some("public_security"))
        .await;
    ok(&dispatcher, &social, json!({ "action": "accept" })).await;
    ok(
        &dispatcher,
        &social,
        json!({ "action": "assign", "assignee": "jing.cha" }),
    )
    .await;
    ok(
        &police,
        &social,
        json!({ "action": "draft_reply", "finding": "substantiated", "reply": "属实" }),
    )
    .await;
    ok(&t.reviewer, &social, json!({ "action": "approve_reply" })).await;
    assert_eq!(failing(&police.case(&social).await), ["category"]);
    // Excluded reporter (staff of a handling department).
    let (status, _) = admin
        .post(
            "/api/v1/reward-exclusions",
            json!({ "phone": "139 0000 1111", "note": "住建委工作人员" }),
        )
        .await;
    assert_eq!(status, 201);
    let (excluded, _) = closed_case(
        app,
        &t,
        &[("name", "李四"), ("phone", "13900001111")],
        "substantiated",
    )
    .await;
    assert_eq!(failing(&t.handler.case(&excluded).await), ["not_excluded"]);
    assert_eq!(t.handler.act(&excluded, propose(50_000, None)).await.0, 409);
    let (_, list) = admin.get("/api/v1/reward-exclusions").await;
    assert!(
        !list.to_string().contains("13900001111"),
        "only a blind index is kept: {list}"
    );
}
shanshui_tests::demo_test!(eligibility_is_computed_with_its_reasons);

async fn only_the_first_reporter_is_rewarded_and_a_me_too_cannot_claim(app: &TestApp) {
    let t = team(app).await;
    let (code, first_secret) =
        file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &NAMED).await;
    // A second resident says "me too", with their own name: they corroborate,
    // they do not compete.
    let (_, second_secret) = file_report(
        app,
        "noise_construction",
        YUDONG.0,
        YUDONG.1,
        &[
            ("corroborates", code.as_str()),
            ("name", "赵六"),
            ("phone", "13700007777"),
        ],
    )
    .await;
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
    ok(&t.reviewer, &code, json!({ "action": "approve_reply" })).await;
    ok(&t.handler, &code, propose(100_000, None)).await;
    ok(
        &t.reward_reviewer,
        &code,
        json!({ "action": "approve_reward" }),
    )
    .await;

    let (_, second) = app.track(&code, &second_secret).await;
    assert!(
        second["reward"].is_null(),
        "the corroborating reporter sees no reward: {second}"
    );
    let (status, _) = app
        .as_reporter(
            &code,
            &second_secret,
            json!({ "action": "claim_reward", "payout_account": "6222000011112222" }),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = app
        .as_reporter(
            &code,
            &first_secret,
            json!({ "action": "claim_reward", "payout_account": "6222000011112222" }),
        )
        .await;
    assert_eq!(status, 200);
}
shanshui_tests::demo_test!(only_the_first_reporter_is_rewarded_and_a_me_too_cannot_claim);

async fn several_problems_of_one_target_pay_the_highest_item_only(app: &TestApp) {
    let t = team(app).await;
    let target = "巴南某建筑工地";
    // Two problems of one site, reported before either case closed.
    let (low, _) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &NAMED).await;
    let (high, _) = file_report(app, "dust_construction", YUDONG.0, YUDONG.1, &NAMED).await;
    close(&t, &low, "substantiated").await;
    close(&t, &high, "substantiated").await;
    ok(&t.handler, &low, propose(50_000, Some(target))).await;
    // A higher item for the same target supersedes the lower one…
    let case = ok(
        &t.handler,
        &high,
        propose(200_000, Some(&format!(" {target} "))),
    )
    .await;
    assert_eq!(case["reward"]["state"], "proposed");
    assert_eq!(t.handler.case(&low).await["reward"]["state"], "rejected");
    // …and a lower or equal one is refused while the higher stands.
    let (status, body) = t.handler.act(&low, propose(100_000, Some(target))).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains(&high),
        "{body}"
    );
    // A repeat violation after the case closed is a new case: not affected.
    let (repeat, _) = closed_case(app, &t, &NAMED, "substantiated").await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    // The earlier cases closed before the repeat was reported.
    server::db::entities::case::Entity::update_many()
        .col_expr(
            server::db::entities::case::Column::SubmittedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::days(90)),
        )
        .col_expr(
            server::db::entities::case::Column::ClosedAt,
            Expr::value(Some(chrono::Utc::now() - chrono::Duration::days(30))),
        )
        .filter(server::db::entities::case::Column::Code.is_in([low.as_str(), high.as_str()]))
        .exec(&app.db)
        .await
        .unwrap();
    let case = ok(&t.handler, &repeat, propose(50_000, Some(target))).await;
    assert_eq!(case["reward"]["state"], "proposed");
}
shanshui_tests::demo_test!(several_problems_of_one_target_pay_the_highest_item_only);

async fn the_proposer_never_approves_and_a_late_claim_expires(app: &TestApp) {
    let t = team(app).await;
    let admin = app.staff("guan.li", Role::Admin, None).await;
    let (code, secret) = closed_case(app, &t, &NAMED, "partly_substantiated").await;
    ok(&t.handler, &code, propose(50_000, None)).await;
    // The proposer becomes a reward reviewer: still not the one to approve.
    admin
        .send(
            reqwest::Method::PATCH,
            "/api/v1/users/cheng.ban",
            json!({ "role": "reward_reviewer" }),
        )
        .await;
    let proposer = app.sign_in("cheng.ban").await;
    let (status, body) = proposer
        .act(&code, json!({ "action": "approve_reward" }))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("四眼"));
    ok(
        &t.reward_reviewer,
        &code,
        json!({ "action": "approve_reward" }),
    )
    .await;

    // The claim window passes.
    let claim_days = server::cases::Deadlines::default().claim_days;
    app.clock
        .advance(chrono::Duration::days(claim_days) + chrono::Duration::minutes(1));
    let (status, body) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "claim_reward", "payout_account": "6222000011112222" }),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (_, view) = app.track(&code, &secret).await;
    assert_eq!(
        (
            view["reward"]["state"].as_str(),
            view["reward"]["can_claim"].as_bool()
        ),
        (Some("expired"), Some(false))
    );
    // Two months on, the admin's session has long ended: a new one.
    let admin = app.sign_in("guan.li").await;
    let (_, log) = admin
        .get(&format!(
            "/api/v1/audit?object_id={code}&action=reward.expire"
        ))
        .await;
    assert_eq!(log.as_array().unwrap().len(), 1);
}
shanshui_tests::demo_test!(the_proposer_never_approves_and_a_late_claim_expires);

async fn a_reporter_may_decline_the_reward(app: &TestApp) {
    let t = team(app).await;
    let (code, secret) = closed_case(app, &t, &NAMED, "substantiated").await;
    ok(&t.handler, &code, propose(200_000, None)).await;
    ok(
        &t.reward_reviewer,
        &code,
        json!({ "action": "approve_reward" }),
    )
    .await;
    let (status, view) = app
        .as_reporter(&code, &secret, json!({ "action": "decline_reward" }))
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["reward"]["state"], "declined");
    assert_eq!(
        t.finance
            .act(
                &code,
                json!({ "action": "pay_reward", "payment_reference": "P", "amount_fen": 200_000 })
            )
            .await
            .0,
        409
    );
}
shanshui_tests::demo_test!(a_reporter_may_decline_the_reward);
