//! Class 4: a tracking secret opens only what its holder wrote, plus what
//! is public; and what a reporter writes is never public.
//!
//! Anyone can get a secret for any open case by saying "me too". That
//! secret must not read the department's reply to the original reporter
//! (it can name people and places), nor spend the original reporter's one
//! contest.

use super::{YUDONG, close, ok, team};
use serde_json::{Value, json};
use shanshui_tests::{TestApp, demo_test, file_report};

/// What the department wrote to the original reporter only.
const PRIVATE_REPLY: &str = "王先生（电话 13800000000）：经核查，三楼住户已整改。";
const PRIVATE_NOTE: &str = "已电话联系举报人王先生";
/// The reporter's own words.
const CONTEST_REASON: &str = "我是住在二单元的王某，噪声仍在继续";
const DESCRIPTION: &str = "隔壁二单元的王某家每晚唱卡拉OK";

async fn me_too(app: &TestApp, code: &str) -> String {
    let (_, secret) = file_report(
        app,
        "noise_construction",
        YUDONG.0 + 0.0005,
        YUDONG.1,
        &[("corroborates", code)],
    )
    .await;
    secret
}

fn text(v: &Value) -> String {
    v.to_string()
}

async fn a_me_too_secret_reads_its_own_report_and_the_public_record(app: &TestApp) {
    let t = team(app).await;
    let (code, original) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    let stranger = me_too(app, &code).await;
    ok(
        &t.handler,
        &code,
        json!({ "action": "accept", "note": PRIVATE_NOTE }),
    )
    .await;
    ok(
        &t.handler,
        &code,
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    )
    .await;
    ok(&t.handler, &code, json!({ "action": "draft_reply", "finding": "substantiated", "reply": PRIVATE_REPLY, "actions_taken": "责令整改" })).await;
    ok(&t.reviewer, &code, json!({ "action": "approve_reply" })).await;

    let (status, mine) = app.track(&code, &original).await;
    assert_eq!(status, 200);
    assert_eq!(
        mine["reply"], PRIVATE_REPLY,
        "the original reporter reads the reply"
    );
    assert_eq!(mine["can_contest"], true);

    let (status, theirs) = app.track(&code, &stranger).await;
    assert_eq!(status, 200, "a \"me too\" reporter follows the case");
    assert_eq!(theirs["state"], "closed");
    assert_eq!(theirs["your_report"], "corroboration");
    let seen = text(&theirs);
    for private in [PRIVATE_REPLY, PRIVATE_NOTE, "13800000000", "责令整改"] {
        assert!(
            !seen.contains(private),
            "a \"me too\" secret read {private:?}: {seen}"
        );
    }
    assert_eq!(theirs["can_contest"], false);

    // Only the original reporter contests, and their one contest is theirs.
    let (status, body) = app
        .as_reporter(
            &code,
            &stranger,
            json!({ "action": "contest", "reason": "我反对" }),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let (status, body) = app
        .as_reporter(
            &code,
            &original,
            json!({ "action": "contest", "reason": CONTEST_REASON }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "reply_review");
}
demo_test!(a_me_too_secret_reads_its_own_report_and_the_public_record);

async fn what_a_reporter_writes_is_never_public(app: &TestApp) {
    let t = team(app).await;
    let (code, secret) = file_report(
        app,
        "noise_construction",
        YUDONG.0,
        YUDONG.1,
        &[("description", DESCRIPTION)],
    )
    .await;
    let stranger = me_too(app, &code).await;
    close(&t, &code, "substantiated").await;
    let (status, body) = app
        .as_reporter(
            &code,
            &secret,
            json!({ "action": "contest", "reason": CONTEST_REASON }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The reporter still reads their own words.
    assert!(text(&app.track(&code, &secret).await.1).contains(CONTEST_REASON));
    ok(
        &t.reviewer,
        &code,
        json!({ "action": "approve_reply", "note": "复核维持原结论" }),
    )
    .await;
    ok(
        &t.reviewer,
        &code,
        json!({ "action": "disclose", "summary": "某工地夜间施工噪声", "investigation": "属实",
        "actions_taken": "已整改", "precision": "street" }),
    )
    .await;

    let mut public = Vec::new();
    for path in [
        format!("/api/v1/public/cases/{code}"),
        "/api/v1/public/cases".to_owned(),
        format!("/cases/{code}"),
        "/cases".to_owned(),
        format!("/open311/v2/requests/{code}.json"),
        format!("/open311/v2/requests/{code}.xml"),
        "/open-data/cases.geojson".to_owned(),
        "/open-data/cases.csv".to_owned(),
        "/feeds/cases.atom".to_owned(),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        public.push((path, res.text().await.unwrap_or_default()));
    }
    public.push((
        "a \"me too\" secret".to_owned(),
        text(&app.track(&code, &stranger).await.1),
    ));
    for (path, body) in &public {
        for words in [CONTEST_REASON, DESCRIPTION] {
            assert!(
                !body.contains(words),
                "{path} shows the reporter's words {words:?}"
            );
        }
    }
}
demo_test!(what_a_reporter_writes_is_never_public);
