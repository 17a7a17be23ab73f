//! The staff ledger (台账, `GET /api/v1/cases/ledger.csv`): its columns, the
//! caller's scope, the identity rule, the audit entry, filters like the
//! queue's and bad filters refused with nothing recorded.

use serde_json::{Value, json};
use shanshui_tests::{Staff, TestApp, file_report};
use shared::Role;

const YUDONG: (f64, f64) = (29.3752, 106.5101);
const NAMED: [(&str, &str); 2] = [("name", "王小明"), ("phone", "13812345678")];

const COLUMNS: [&str; 22] = [
    "受理编号",
    "渠道",
    "问题类别",
    "街道/镇",
    "承办部门",
    "协办部门",
    "承办人",
    "状态",
    "举报时间",
    "受理时间",
    "办结期限",
    "办结时间",
    "是否按期",
    "延期天数",
    "核查结论",
    "处理措施",
    "处罚决定书文号",
    "罚款（元）",
    "奖励金额（元）",
    "奖励状态",
    "满意度",
    "附议数",
];

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

async fn ok(staff: &Staff, code: &str, body: Value) -> Value {
    let (status, case) = staff.act(code, body.clone()).await;
    assert_eq!(status, 200, "{} {body}: {case}", staff.username);
    case
}

/// One CSV document: rows of fields (RFC 4180 quoting), the byte-order
/// mark removed.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark first");
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CRLF line ends");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => panic!("unquoted {c:?} in {text}"),
        }
    }
    assert!(row.is_empty() && field.is_empty(), "a last line end");
    rows
}

/// The ledger as `staff` downloads it with `query` → (header, rows by case
/// number).
async fn ledger(staff: &Staff, query: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let res = staff
        .client
        .get(staff.url(&format!("/api/v1/cases/ledger.csv{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", staff.username);
    let h = |name: &str| res.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(h("content-type"), "text/csv; charset=utf-8");
    assert!(h("content-disposition").starts_with("attachment;"));
    assert_eq!(h("cache-control"), "private, no-store");
    let mut rows = parse_csv(&res.text().await.unwrap());
    let header = rows.remove(0);
    for r in &rows {
        assert_eq!(r.len(), header.len(), "{r:?}");
    }
    (header, rows)
}

fn column<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    &row[i]
}

fn codes(rows: &[Vec<String>]) -> Vec<&str> {
    rows.iter().map(|r| r[0].as_str()).collect()
}

/// A named construction-noise case taken to closed, with a reward proposed;
/// an anonymous burning-rubbish case (urban management) left open.
async fn two_cases(app: &TestApp, t: &Team) -> (String, String) {
    let (noise, _) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &NAMED).await;
    ok(&t.handler, &noise, json!({ "action": "accept" })).await;
    ok(
        &t.handler,
        &noise,
        json!({ "action": "assign", "assignee": "cheng.ban" }),
    )
    .await;
    ok(
        &t.handler,
        &noise,
        json!({ "action": "draft_reply", "finding": "substantiated",
        "reply": "属实，已停工整改。", "actions_taken": "=责令停工，罚款2000元" }),
    )
    .await;
    ok(&t.reviewer, &noise, json!({ "action": "approve_reply" })).await;
    ok(
        &t.handler,
        &noise,
        json!({ "action": "propose_reward", "tier": "tier_500",
        "amount_fen": 50_000, "basis": "夜间施工，证据充分",
        "penalty_decision": "巴住建罚〔2026〕12号", "fine_fen": 200_000 }),
    )
    .await;
    let (rubbish, _) = file_report(app, "burning_rubbish", YUDONG.0, YUDONG.1, &[]).await;
    (noise, rubbish)
}

async fn the_ledger_has_a_chinese_header_and_a_row_per_case_with_names_not_codes(app: &TestApp) {
    let t = team(app).await;
    let (noise, rubbish) = two_cases(app, &t).await;
    let (header, rows) = ledger(&t.dispatcher, "").await;
    let mut expected: Vec<&str> = COLUMNS.to_vec();
    expected.extend(["举报人姓名", "联系电话"]);
    assert_eq!(header, expected);
    assert_eq!(
        codes(&rows),
        [noise.as_str(), rubbish.as_str()],
        "every state, oldest first"
    );

    let case = t.dispatcher.case(&noise).await;
    let row = &rows[0];
    let col = |name| column(&header, row, name);
    assert_eq!(col("渠道"), "网上举报");
    assert_eq!(col("问题类别"), case["category"]["name"].as_str().unwrap());
    assert_eq!(col("街道/镇"), case["area"]["name"].as_str().unwrap());
    assert!(!col("街道/镇").is_empty());
    assert_eq!(col("承办部门"), "巴南区住房和城乡建设委员会");
    assert_eq!(col("承办人"), "cheng.ban");
    assert_eq!(col("状态"), "已办结");
    assert_eq!(col("是否按期"), "按期办结");
    assert_eq!(col("延期天数"), "0");
    assert_eq!(col("核查结论"), "属实");
    assert_eq!(
        col("处理措施"),
        "'=责令停工，罚款2000元",
        "a cell never starts a formula"
    );
    assert_eq!(col("处罚决定书文号"), "巴住建罚〔2026〕12号");
    assert_eq!(col("罚款（元）"), "2000.00");
    assert_eq!(col("奖励金额（元）"), "500.00");
    assert_eq!(col("奖励状态"), "待审核");
    assert_eq!(col("满意度"), "", "not recorded yet (issue 13)");
    assert_eq!(col("附议数"), "0");
    for time in ["举报时间", "受理时间", "办结期限", "办结时间"] {
        assert_eq!(col(time).len(), "2026-12-04 18:30".len(), "{time}: {row:?}");
    }
    assert_eq!(
        (col("举报人姓名"), col("联系电话")),
        ("王小明", "13812345678")
    );

    let open = &rows[1];
    let col = |name| column(&header, open, name);
    assert_eq!(col("承办部门"), "巴南区城市管理局");
    assert_eq!(col("状态"), "待受理");
    assert_eq!(col("是否按期"), "未到期");
    assert_eq!((col("办结时间"), col("奖励状态")), ("", ""));
    assert_eq!(
        (col("举报人姓名"), col("联系电话")),
        ("", ""),
        "an anonymous report"
    );
}
shanshui_tests::demo_test!(the_ledger_has_a_chinese_header_and_a_row_per_case_with_names_not_codes);

async fn a_handler_s_ledger_holds_their_department_s_cases_only(app: &TestApp) {
    let t = team(app).await;
    let (noise, rubbish) = two_cases(app, &t).await;
    let (_, rows) = ledger(&t.handler, "").await;
    assert_eq!(codes(&rows), [noise.as_str()]);
    let (_, rows) = ledger(&t.other_handler, "").await;
    assert_eq!(codes(&rows), [rubbish.as_str()]);
    // Filtered exactly as the queue is.
    let (_, rows) = ledger(&t.dispatcher, "?department=urban_management").await;
    assert_eq!(codes(&rows), [rubbish.as_str()]);
    let (_, rows) = ledger(&t.dispatcher, "?state=open").await;
    assert_eq!(codes(&rows), [rubbish.as_str()]);
    let (_, rows) = ledger(&t.dispatcher, "?state=closed&category=noise_construction").await;
    assert_eq!(codes(&rows), [noise.as_str()]);
    let (_, queue) = t.dispatcher.get("/api/v1/cases?assignee=me").await;
    assert_eq!(queue["items"], json!([]));
    let (_, rows) = ledger(&t.dispatcher, "?assignee=me").await;
    assert!(rows.is_empty());
    let (_, rows) = ledger(&t.handler, "?assignee=me&state=all").await;
    assert_eq!(codes(&rows), [noise.as_str()]);
}
shanshui_tests::demo_test!(a_handler_s_ledger_holds_their_department_s_cases_only);

async fn identities_are_in_the_ledger_only_for_the_roles_that_may_reveal_them(app: &TestApp) {
    let t = team(app).await;
    two_cases(app, &t).await;
    for staff in [&t.dispatcher, &t.handler] {
        let (header, rows) = ledger(staff, "").await;
        assert_eq!(header.len(), COLUMNS.len() + 2, "{}", staff.username);
        assert_eq!(column(&header, &rows[0], "联系电话"), "13812345678");
    }
    for staff in [&t.reviewer, &t.auditor] {
        let res = staff
            .client
            .get(staff.url("/api/v1/cases/ledger.csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body = res.text().await.unwrap();
        let header = &parse_csv(&body)[0];
        assert_eq!(header, &COLUMNS.to_vec(), "{}", staff.username);
        assert!(
            !body.contains("13812345678") && !body.contains("王小明"),
            "{}: {body}",
            staff.username
        );
    }

    // A handler whose department only assists (协办) sees the case, not who
    // reported it, as on the case page; the lead department's handler does.
    let (odorous, _) = file_report(app, "water_black_odorous", YUDONG.0, YUDONG.1, &NAMED).await;
    let case = t.dispatcher.case(&odorous).await;
    assert_eq!(
        (case["department"].as_str(), case["co_department"].as_str()),
        (Some("environment"), Some("water"))
    );
    for (username, department, phone) in [
        ("huan.bao", "environment", "13812345678"),
        ("shui.li", "water", ""),
    ] {
        let staff = app.staff(username, Role::Handler, Some(department)).await;
        let (header, rows) = ledger(&staff, "").await;
        assert_eq!(codes(&rows), [odorous.as_str()], "{username}");
        assert_eq!(column(&header, &rows[0], "联系电话"), phone, "{username}");
    }
}
shanshui_tests::demo_test!(identities_are_in_the_ledger_only_for_the_roles_that_may_reveal_them);

async fn audit_entries(app: &TestApp, t: &Team) -> Vec<Value> {
    let (status, log) = t
        .auditor
        .get("/api/v1/audit?action=case.ledger_export")
        .await;
    assert_eq!(status, 200, "{log}");
    let _ = app;
    log.as_array().unwrap().clone()
}

async fn each_export_is_audited_with_its_filters_and_a_bad_filter_is_refused_unrecorded(
    app: &TestApp,
) {
    let t = team(app).await;
    two_cases(app, &t).await;
    ledger(&t.handler, "?state=open&department=housing_construction").await;
    ledger(&t.reviewer, "").await;
    let log = audit_entries(app, &t).await;
    let seen: Vec<(&str, &str)> = log
        .iter()
        .rev()
        .map(|e| (e["actor"].as_str().unwrap(), e["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "cheng.ban",
                "filters: state=open department=housing_construction; identities included"
            ),
            ("shen.he", "filters: state=all; identities withheld"),
        ]
    );

    for (query, status) in [
        ("?state=bogus", 422),
        ("?from=2026-13-01", 422),
        ("?to=yesterday", 422),
        ("?department=nowhere", 422),
        ("?assignee=someone", 422),
        ("?overdue=maybe", 400),
    ] {
        let res = t
            .dispatcher
            .client
            .get(
                t.dispatcher
                    .url(&format!("/api/v1/cases/ledger.csv{query}")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{query}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{query}"
        );
        let body: Value = res.json().await.unwrap();
        assert!(body["error"]["code"].is_string(), "{query}: {body}");
    }
    assert_eq!(
        audit_entries(app, &t).await.len(),
        2,
        "refused exports are not recorded"
    );
    let res = app.get("/api/v1/cases/ledger.csv").await;
    assert_eq!(res.status(), 401, "staff only");
}
shanshui_tests::demo_test!(
    each_export_is_audited_with_its_filters_and_a_bad_filter_is_refused_unrecorded
);

async fn a_ledger_longer_than_a_page_streams_every_case_once(app: &TestApp) {
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, NotSet, Set};
    use server::db::entities::case;
    let t = team(app).await;
    let (first, _) = file_report(app, "noise_construction", YUDONG.0, YUDONG.1, &[]).await;
    // 2,500 copies of the case, written straight to the database (filing
    // them one by one would take minutes): more than two pages of 1,000.
    let model = case::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("the case");
    let copies: Vec<case::ActiveModel> = (0..2_500)
        .map(|k| {
            let mut c = model.clone().into_active_model().reset_all();
            c.id = NotSet;
            c.code = Set(format!("LEDGER-{k:05}"));
            c
        })
        .collect();
    for chunk in copies.chunks(500) {
        case::Entity::insert_many(chunk.to_vec())
            .exec(&app.db)
            .await
            .unwrap();
    }
    let (_, rows) = ledger(&t.dispatcher, "").await;
    assert_eq!(rows.len(), 2_501);
    assert_eq!(rows[0][0], first);
    let mut seen: Vec<&str> = codes(&rows);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 2_501, "no case twice");
    assert_eq!(rows[2_500][0], "LEDGER-02499");
}
shanshui_tests::demo_test!(a_ledger_longer_than_a_page_streams_every_case_once);
