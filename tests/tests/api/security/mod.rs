//! The security review's findings, one module per class of attack (see
//! docs/security.md for the threat model). Each test is written as the
//! attacker would try it and fails for any variant of the attack, not only
//! for the request that first found it.

mod cache;
mod headers;
mod idempotency;
mod keys;
mod location;
mod rewards;
mod sign_in;
mod tracking;
mod uploads;
mod webhooks;
mod xss;

use serde_json::{Value, json};
use shanshui_tests::{Staff, TestApp, file_report};
use shared::Role;

/// 鱼洞街道: inside the demo district.
pub const YUDONG: (f64, f64) = (29.3752, 106.5101);
/// A real name and phone, for reports that can be rewarded.
pub const NAMED: [(&str, &str); 2] = [("name", "王小明"), ("phone", "13812345678")];

/// The staff who take a case from report to reward.
pub struct Team {
    pub handler: Staff,
    pub reviewer: Staff,
    pub dispatcher: Staff,
    pub reward_reviewer: Staff,
    pub finance: Staff,
}

pub async fn team(app: &TestApp) -> Team {
    Team {
        handler: app
            .staff("cheng.ban", Role::Handler, Some("housing_construction"))
            .await,
        reviewer: app.staff("shen.he", Role::Reviewer, None).await,
        dispatcher: app.staff("diao.du", Role::Dispatcher, None).await,
        reward_reviewer: app.staff("jiang.li", Role::RewardReviewer, None).await,
        finance: app.staff("cai.wu", Role::Finance, None).await,
    }
}

/// The action must succeed; answers the case.
pub async fn ok(staff: &Staff, code: &str, body: Value) -> Value {
    let (status, case) = staff.act(code, body.clone()).await;
    assert_eq!(status, 200, "{} {body}: {case}", staff.username);
    case
}

/// Accepted, assigned, replied with `finding`, approved: closed.
pub async fn close(t: &Team, code: &str, finding: &str) {
    ok(&t.handler, code, json!({ "action": "accept" })).await;
    ok(
        &t.handler,
        code,
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    )
    .await;
    ok(
        &t.handler,
        code,
        json!({ "action": "draft_reply", "finding": finding, "reply": "核查情况如下。" }),
    )
    .await;
    ok(&t.reviewer, code, json!({ "action": "approve_reply" })).await;
}

/// A construction-noise case (rewardable), filed anonymously and closed as
/// substantiated.
pub async fn closed_case(app: &TestApp, t: &Team) -> String {
    let (code, _) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    close(t, &code, "substantiated").await;
    code
}
