//! 查处结果: a penalty decision recorded on a case (its enterprise's credit
//! code checked), published by a reviewer as 行政处罚信息公开 on `/info`,
//! the fine a percent-of-fine reward is computed from; a referral to the
//! police, once.

use serde_json::{Value, json};
use shanshui_tests::{Staff, TestApp, file_report};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);
const NAMED: [(&str, &str); 2] = [("name", "王小明"), ("phone", "13812345678")];
const DECISION: &str = "渝（巴）住建罚〔2026〕12号";

async fn ok(staff: &Staff, code: &str, body: Value) -> Value {
    let (status, case) = staff.act(code, body.clone()).await;
    assert_eq!(status, 200, "{} {body}: {case}", staff.username);
    case
}

fn penalty(decision: &str, credit_code: &str, fine_fen: i64, decided_on: &str) -> Value {
    json!({
        "action": "record_penalty",
        "decision_no": decision,
        "enterprise": "重庆某建设工程有限公司",
        "credit_code": credit_code,
        "provision": "违反《中华人民共和国噪声污染防治法》第四十三条，夜间施工未取得证明",
        "fine_fen": fine_fen,
        "decided_on": decided_on,
    })
}

async fn info(app: &TestApp, query: &str) -> Value {
    app.get(&format!("/api/v1/info{query}"))
        .await
        .json()
        .await
        .unwrap()
}

async fn a_penalty_is_recorded_published_on_info_and_pays_a_share_of_its_fine(app: &TestApp) {
    let handler = app
        .staff("cheng.ban", Role::Handler, Some("housing_construction"))
        .await;
    let other = app
        .staff("bie.ren", Role::Handler, Some("urban_management"))
        .await;
    let reviewer = app.staff("shen.he", Role::Reviewer, None).await;
    let reward_reviewer = app.staff("jiang.li", Role::RewardReviewer, None).await;
    let (code, _) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &NAMED).await;
    let (unpunished, _) = file_report(app, "noise_construction", 29.3902, 106.5301, &NAMED).await;
    for c in [&code, &unpunished] {
        ok(&handler, c, json!({ "action": "accept" })).await;
        ok(
            &handler,
            c,
            json!({ "action": "assign", "assignee": "cheng.ban" }),
        )
        .await;
    }

    // Refused, and nothing recorded.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    for (body, field) in [
        (
            penalty(DECISION, "91500113MA5U12354P", 200_000, "2026-11-30"),
            "credit_code",
        ),
        (
            penalty(DECISION, "91500113MA5U123", 200_000, "2026-11-30"),
            "credit_code",
        ),
        (
            penalty(DECISION, "91500113MA5U12345P", -1, "2026-11-30"),
            "fine_fen",
        ),
        (
            penalty(DECISION, "91500113MA5U12345P", 200_000, "2099-01-01"),
            "decided_on",
        ),
        (
            penalty(DECISION, "91500113MA5U12345P", 200_000, "30/11/2026"),
            "decided_on",
        ),
        (
            penalty(" ", "91500113MA5U12345P", 200_000, "2026-11-30"),
            "decision_no",
        ),
    ] {
        let (status, err) = handler.act(&code, body.clone()).await;
        assert_eq!(status, 422, "{body}: {err}");
        assert!(err["error"]["fields"][field].is_object(), "{field}: {err}");
    }
    let (status, _) = other
        .act(
            &code,
            penalty(DECISION, "91500113MA5U12345P", 200_000, "2026-11-30"),
        )
        .await;
    assert_eq!(status, 404, "another department's handler does not see it");
    assert!(
        handler.case(&code).await["penalties"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let case = ok(
        &handler,
        &code,
        penalty(DECISION, "91500113ma5u12345p", 200_000, &today),
    )
    .await;
    let recorded = &case["penalties"][0];
    assert_eq!(recorded["credit_code"], "91500113MA5U12345P", "in capitals");
    assert_eq!(recorded["fine_fen"], 200_000);
    assert!(recorded["published_at"].is_null());
    let (status, err) = handler
        .act(
            &unpunished,
            penalty(DECISION, "91500113MA5U12345P", 1, "2026-11-30"),
        )
        .await;
    assert_eq!(status, 409, "one decision number, one penalty: {err}");

    // Not public until a reviewer publishes it.
    assert!(
        info(app, "").await["penalties"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (status, err) = handler
        .act(
            &code,
            json!({ "action": "publish_penalty", "decision_no": DECISION }),
        )
        .await;
    assert_eq!(status, 403, "a handler does not publish: {err}");
    let (status, err) = reviewer
        .act(
            &code,
            json!({ "action": "publish_penalty", "decision_no": "渝（巴）住建罚〔2026〕99号" }),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    ok(
        &reviewer,
        &code,
        json!({ "action": "publish_penalty", "decision_no": DECISION }),
    )
    .await;
    let (status, _) = reviewer
        .act(
            &code,
            json!({ "action": "publish_penalty", "decision_no": DECISION }),
        )
        .await;
    assert_eq!(status, 409, "published once");
    let public = info(app, "?q=建设工程").await;
    let listed = &public["penalties"][0];
    assert_eq!(listed["decision_no"], DECISION, "{public}");
    assert_eq!(listed["fine_fen"], 200_000);
    assert_eq!(listed["case"], code.as_str());
    assert_eq!(
        info(app, "?kind=enforcement").await["penalties"][0]["decision_no"],
        DECISION
    );
    assert!(
        info(app, "?kind=notice").await["penalties"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let page = app.get("/info").await.text().await.unwrap();
    assert!(page.contains(DECISION) && page.contains("重庆某建设工程有限公司"));
    for private in ["王小明", "13812345678", "every night"] {
        assert!(!public.to_string().contains(private), "{private}");
        assert!(!page.contains(private), "{private} on /info");
    }

    // The enterprise's page, the case's public record and the open data
    // carry it too; a code with a wrong check character is a 422, one with
    // nothing public a 404.
    let res = app.get("/api/v1/enterprises/91500113ma5u12345p").await;
    assert_eq!(res.status(), 200);
    let record: Value = res.json().await.unwrap();
    assert_eq!(record["names"], json!(["重庆某建设工程有限公司"]));
    assert_eq!(record["cases"], json!([code]));
    assert_eq!(record["total_fine_fen"], 200_000);
    assert_eq!(
        app.get("/api/v1/enterprises/91500113MA5U12354P")
            .await
            .status(),
        422
    );
    assert_eq!(
        app.get("/api/v1/enterprises/91330100716105852F")
            .await
            .status(),
        404
    );
    let page = app
        .get("/info/enterprises/91500113MA5U12345P")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(DECISION) && page.contains(&code),
        "the enterprise page"
    );
    let public: Value = app
        .get(&format!("/api/v1/public/cases/{code}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["penalties"][0]["decision_no"], DECISION, "{public}");
    let geojson: Value = app
        .get("/open-data/cases.geojson?state=all")
        .await
        .json()
        .await
        .unwrap();
    let feature = geojson["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == code.as_str())
        .unwrap();
    assert_eq!(feature["properties"]["penalties"][0]["fine_fen"], 200_000);
    let csv = app
        .get("/open-data/cases.csv?state=all")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.lines().next().unwrap().contains("处罚决定书文号"));
    let line = csv.lines().find(|l| l.contains(code.as_str())).unwrap();
    assert!(
        line.contains(DECISION) && line.contains("91500113MA5U12345P"),
        "{line}"
    );
    let other_line = csv
        .lines()
        .find(|l| l.contains(unpunished.as_str()))
        .unwrap();
    assert!(!other_line.contains(DECISION));

    // Closed, a share of the recorded fine: 5 % of 2,000 yuan.
    for c in [&code, &unpunished] {
        ok(
            &handler,
            c,
            json!({ "action": "draft_reply", "finding": "substantiated", "reply": "属实，已依法处罚。" }),
        )
        .await;
        ok(&reviewer, c, json!({ "action": "approve_reply" })).await;
    }
    let share = |fine: Option<i64>| {
        let mut body = json!({ "action": "propose_reward", "tier": "fine_5pct",
            "amount_fen": 10_000, "basis": "证据充分，已处罚" });
        if let Some(f) = fine {
            body["fine_fen"] = json!(f);
        }
        body
    };
    let (status, err) = handler.act(&unpunished, share(Some(200_000))).await;
    assert_eq!(status, 422, "no penalty recorded: {err}");
    assert!(err["error"]["fields"]["fine_fen"].is_object(), "{err}");
    let (status, err) = handler.act(&code, share(Some(300_000))).await;
    assert_eq!(status, 422, "a typed fine must be the recorded one: {err}");
    let (status, err) = handler
        .act(
            &code,
            json!({ "action": "propose_reward", "tier": "fine_5pct", "amount_fen": 15_000, "basis": "x" }),
        )
        .await;
    assert_eq!(status, 422, "5 % of the recorded fine is 10,000 fen: {err}");
    let case = ok(&handler, &code, share(None)).await;
    assert_eq!(case["reward"]["fine_fen"], 200_000, "{case}");
    assert_eq!(case["reward"]["penalty_decision"], DECISION);
    ok(
        &reward_reviewer,
        &code,
        json!({ "action": "approve_reward" }),
    )
    .await;

    // The staff ledger's 处罚决定书文号 and 罚款 columns are the recorded ones.
    let ledger = handler
        .client
        .get(handler.url("/api/v1/cases/ledger.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = ledger.lines().find(|l| l.contains(code.as_str())).unwrap();
    assert!(
        row.contains(DECISION) && row.contains(&shared::reward::yuan(200_000)),
        "{row}"
    );

    // 移送公安机关, once; staff-only.
    let case = ok(
        &handler,
        &code,
        json!({ "action": "refer_to_police", "reason": "涉嫌妨害公务，移送公安机关" }),
    )
    .await;
    assert!(case["police_referred_at"].is_string(), "{case}");
    let (status, _) = handler
        .act(
            &code,
            json!({ "action": "refer_to_police", "reason": "again" }),
        )
        .await;
    assert_eq!(status, 409);
}
shanshui_tests::demo_test!(a_penalty_is_recorded_published_on_info_and_pays_a_share_of_its_fine);
