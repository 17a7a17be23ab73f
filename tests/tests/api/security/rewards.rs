//! Class 5: rewards follow the rules at every step, not only at proposal;
//! and class 11: finance can see where to pay, and every look is audited.
//!
//! A fraudster's ways to money: a reporter put on the exclusion list after
//! the proposal, a case found unsubstantiated after the reporter contested
//! it, twenty proposals at once.

use super::{NAMED, Team, YUDONG, close, ok, team};
use serde_json::{Value, json};
use shanshui_tests::{TestApp, demo_test, file_report};
use shared::Role;

const ACCOUNT: &str = "6222020000000000";

fn propose() -> Value {
    json!({ "action": "propose_reward", "tier": "tier_500", "amount_fen": 50_000, "basis": "夜间施工，证据充分" })
}

fn pay() -> Value {
    json!({ "action": "pay_reward", "payment_reference": "CQ-2026-001", "amount_fen": 50_000 })
}

/// A named, substantiated case with a proposed reward: (code, secret).
async fn proposed(app: &TestApp, t: &Team) -> (String, String) {
    let (code, secret) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &NAMED).await;
    close(t, &code, "substantiated").await;
    ok(&t.handler, &code, propose()).await;
    (code, secret)
}

async fn exclude(app: &TestApp) -> i64 {
    let admin = app.sign_in("guan.li").await;
    let (status, body) = admin
        .post(
            "/api/v1/reward-exclusions",
            json!({ "phone": NAMED[1].1, "note": "工作人员亲属" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().expect("an id")
}

async fn an_excluded_reporter_is_neither_approved_nor_paid(app: &TestApp) {
    let t = team(app).await;
    app.staff("guan.li", Role::Admin, None).await;
    let (code, secret) = proposed(app, &t).await;
    let id = exclude(app).await;
    let (status, body) = t
        .reward_reviewer
        .act(&code, json!({ "action": "approve_reward" }))
        .await;
    assert_eq!(
        status, 409,
        "approved after the reporter was excluded: {body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("eligible"),
        "{body}"
    );

    // Excluded after approval and claim: not paid, and the reward can be withdrawn.
    let admin = app.sign_in("guan.li").await;
    assert_eq!(
        admin
            .send(
                reqwest::Method::DELETE,
                &format!("/api/v1/reward-exclusions/{id}"),
                Value::Null
            )
            .await
            .0,
        204
    );
    ok(
        &t.reward_reviewer,
        &code,
        json!({ "action": "approve_reward" }),
    )
    .await;
    let (status, view) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "claim_reward", "payout_account": ACCOUNT }),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    exclude(app).await;
    let (status, body) = t.finance.act(&code, pay()).await;
    assert_eq!(status, 409, "paid after the reporter was excluded: {body}");
    let case = ok(
        &t.reward_reviewer,
        &code,
        json!({ "action": "reject_reward", "reason": "举报人属于排除人员" }),
    )
    .await;
    assert_eq!(case["reward"]["state"], "rejected");
    assert_eq!(t.finance.act(&code, pay()).await.0, 409);
}
demo_test!(an_excluded_reporter_is_neither_approved_nor_paid);

async fn a_contest_holds_the_reward_and_a_new_finding_withdraws_it(app: &TestApp) {
    let t = team(app).await;
    let (code, secret) = proposed(app, &t).await;
    ok(
        &t.reward_reviewer,
        &code,
        json!({ "action": "approve_reward" }),
    )
    .await;
    assert_eq!(
        app.as_reporter(
            &code,
            &secret,
            json!({ "action": "claim_reward", "payout_account": ACCOUNT })
        )
        .await
        .0,
        200
    );

    // The reporter contests the reply: the case goes back to review and the
    // reward waits, with the timeline saying why.
    let (status, view) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "contest", "reason": "处理不彻底" }),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["reward"]["on_hold"], true, "{view}");
    assert!(
        view["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "hold_reward" && e["note"].is_string()),
        "{view}"
    );
    assert_eq!(
        t.finance.act(&code, pay()).await.0,
        409,
        "not paid while contested"
    );

    // On review the report turns out unsubstantiated: the reward is withdrawn.
    ok(
        &t.reviewer,
        &code,
        json!({ "action": "return_reply", "reason": "重新核查" }),
    )
    .await;
    ok(
        &t.handler,
        &code,
        json!({ "action": "draft_reply", "finding": "unsubstantiated", "reply": "复核不属实。" }),
    )
    .await;
    let case = ok(&t.reviewer, &code, json!({ "action": "approve_reply" })).await;
    assert_eq!(case["reward"]["state"], "rejected", "{}", case["reward"]);
    let (status, body) = t.finance.act(&code, pay()).await;
    assert_eq!(
        status, 409,
        "a claimed reward whose case was found unsubstantiated was paid: {body}"
    );
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        server::db::entities::reward_payment::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    let (_, view) = app.track(&code, &secret).await;
    assert_eq!(view["reward"]["state"], "rejected");
}
demo_test!(a_contest_holds_the_reward_and_a_new_finding_withdraws_it);

async fn a_held_reward_goes_on_when_the_review_confirms_the_case(app: &TestApp) {
    let t = team(app).await;
    let (code, secret) = proposed(app, &t).await;
    ok(
        &t.reward_reviewer,
        &code,
        json!({ "action": "approve_reward" }),
    )
    .await;
    let (_, before) = app.track(&code, &secret).await;
    assert_eq!(
        app.as_reporter(
            &code,
            &secret,
            json!({ "action": "contest", "reason": "还有别的问题" })
        )
        .await
        .0,
        200
    );
    let (status, _) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "claim_reward", "payout_account": ACCOUNT }),
        )
        .await;
    assert_eq!(status, 409, "no claim while held");
    let case = ok(
        &t.reviewer,
        &code,
        json!({ "action": "approve_reply", "note": "维持原结论" }),
    )
    .await;
    assert_eq!(
        (
            case["reward"]["state"].as_str(),
            case["reward"]["on_hold"].as_bool()
        ),
        (Some("approved"), Some(false))
    );
    let (_, after) = app.track(&code, &secret).await;
    assert!(
        after["reward"]["claim_deadline"].as_str() >= before["reward"]["claim_deadline"].as_str(),
        "the window waited"
    );
    assert_eq!(
        app.as_reporter(
            &code,
            &secret,
            json!({ "action": "claim_reward", "payout_account": ACCOUNT })
        )
        .await
        .0,
        200
    );
    ok(&t.finance, &code, pay()).await;
}
demo_test!(a_held_reward_goes_on_when_the_review_confirms_the_case);

async fn twenty_parallel_proposals_get_one_winner_and_conflicts(app: &TestApp) {
    let t = team(app).await;
    let (code, _) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &NAMED).await;
    close(&t, &code, "substantiated").await;
    // Twenty at once, as twenty browser tabs would send them.
    let answers = futures::future::join_all((0..20).map(|_| t.handler.act(&code, propose()))).await;
    let mut statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    statuses.sort();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{answers:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "a lost race is a 409, never a 5xx: {statuses:?}"
    );
}
demo_test!(twenty_parallel_proposals_get_one_winner_and_conflicts);

async fn finance_reads_where_to_pay_and_every_look_is_audited(app: &TestApp) {
    let t = team(app).await;
    let (code, secret) = proposed(app, &t).await;
    let path = format!("/api/v1/rewards/{code}/payout-account");
    ok(
        &t.reward_reviewer,
        &code,
        json!({ "action": "approve_reward" }),
    )
    .await;
    assert_eq!(
        t.finance.post(&path, Value::Null).await.0,
        409,
        "nothing to show before the claim"
    );
    assert_eq!(
        app.as_reporter(
            &code,
            &secret,
            json!({ "action": "claim_reward", "payout_account": ACCOUNT })
        )
        .await
        .0,
        200
    );
    for other in [&t.handler, &t.reviewer, &t.reward_reviewer, &t.dispatcher] {
        assert_eq!(
            other.post(&path, Value::Null).await.0,
            403,
            "{}",
            other.username
        );
    }
    assert_eq!(
        app.client
            .post(app.url(&path))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let (status, body) = t.finance.post(&path, Value::Null).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["case"].as_str(), body["payout_account"].as_str()),
        (Some(code.as_str()), Some(ACCOUNT))
    );
    assert_eq!(
        t.finance
            .post("/api/v1/rewards/BN-2345-6789/payout-account", Value::Null)
            .await
            .0,
        404
    );

    let auditor = app.staff("shen.ji", Role::Auditor, None).await;
    let (_, log) = auditor
        .get(&format!(
            "/api/v1/audit?action=reward.reveal_payout_account&object_id={code}"
        ))
        .await;
    let entries = log
        .as_array()
        .or_else(|| log["entries"].as_array())
        .cloned()
        .unwrap_or_default();
    assert_eq!(entries.len(), 1, "{log}");
    assert!(
        !log.to_string().contains(ACCOUNT),
        "the audit log names the look, not the account"
    );
    ok(&t.finance, &code, pay()).await;
}
demo_test!(finance_reads_where_to_pay_and_every_look_is_audited);
