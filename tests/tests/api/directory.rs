use shanshui_tests::{TestApp, db_test};

async fn departments_list_banan_bureaus_and_area_offices_after_the_demo(app: &TestApp) {
    let empty: Vec<serde_json::Value> = app.get("/api/v1/departments").await.json().await.unwrap();
    assert!(empty.is_empty());

    app.load_demo().await;
    app.load_demo().await; // idempotent

    let res = app.get("/api/v1/departments").await;
    assert_eq!(res.status(), 200);
    let list: Vec<shared::directory::Department> = res.json().await.unwrap();
    assert_eq!(list.len(), 10 + 22, "10 bureaus and one office per 街道/镇");
    let env = list.iter().find(|d| d.code == "environment").unwrap();
    assert_eq!(env.name, "巴南区生态环境局");
    for code in [
        "urban_management",
        "housing_construction",
        "public_security",
        "transport_maritime",
        "water",
        "agriculture",
        "health",
        "planning_natural_resources",
        "forestry",
    ] {
        assert!(list.iter().any(|d| d.code == code), "{code}");
    }
    let jieshi = list.iter().find(|d| d.code == "office_jieshi").unwrap();
    assert_eq!(jieshi.name, "界石镇人民政府");
    assert_eq!(jieshi.kind, "area_office");
    let lzw = list
        .iter()
        .find(|d| d.code == "office_longzhouwan")
        .unwrap();
    assert_eq!(lzw.name, "龙洲湾街道办事处");
}
db_test!(departments_list_banan_bureaus_and_area_offices_after_the_demo);

async fn areas_are_geojson_polygons_labelled_approximate(app: &TestApp) {
    app.load_demo().await;
    let geo: serde_json::Value = app.get("/api/v1/areas").await.json().await.unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
    let features = geo["features"].as_array().unwrap();
    assert_eq!(features.len(), 22);
    let kinds = |k: &str| {
        features
            .iter()
            .filter(|f| f["properties"]["kind"] == k)
            .count()
    };
    assert_eq!((kinds("jiedao"), kinds("zhen")), (8, 14));
    assert!(
        features
            .iter()
            .all(|f| f["properties"]["approximate"] == true)
    );
    assert!(features.iter().all(|f| f["geometry"]["type"] == "Polygon"));
    assert!(
        geo["description"]
            .as_str()
            .unwrap()
            .contains("approximation")
    );
}
db_test!(areas_are_geojson_polygons_labelled_approximate);
