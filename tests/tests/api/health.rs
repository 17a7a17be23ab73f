use shanshui_tests::{TestApp, db_test};

async fn healthz_and_readyz_answer_200_while_the_database_answers(app: &TestApp) {
    let live = app.get("/healthz").await;
    assert_eq!(live.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}
db_test!(healthz_and_readyz_answer_200_while_the_database_answers);

async fn readyz_answers_503_when_the_database_is_gone_and_healthz_still_200(app: &TestApp) {
    app.db.close_by_ref().await.unwrap();
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    assert_eq!(app.get("/healthz").await.status(), 200);
}
db_test!(readyz_answers_503_when_the_database_is_gone_and_healthz_still_200);
