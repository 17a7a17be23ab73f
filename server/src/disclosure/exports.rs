//! Open data of the public record: GeoJSON and CSV exports and an Atom feed
//! of new and closed cases, all with ETags and a short cache lifetime.
//! They read the same public record as `/cases` (see `service`).

use super::handlers::{PublicQuery, number};
use super::service::{PublicFilter, Sort, StatusFilter};
use crate::directory::calendar;
use crate::error::{AppError, AppQuery};
use crate::middleware::conditional::{cacheable, origin};
use crate::state::AppState;
use crate::xml::Xml;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use chrono::{DateTime, SecondsFormat};
use serde_json::json;
use shared::disclosure::{PublicCase, finding_label, state_label};

pub const DEFAULT_EXPORT_SIZE: u32 = 1000;
pub const MAX_EXPORT_SIZE: u32 = 10_000;
const FEED_SIZE: u32 = 50;

/// Chongqing local time with its offset, the W3C form Open311 and Atom use
/// (`2026-11-01T08:00:00+08:00`). Written by `to_rfc3339_opts` rather than
/// a strftime pattern, which chrono parses anew on every call: Open311's
/// page of 100 writes three hundred of them, and the pattern was a tenth
/// of its CPU.
pub fn w3c(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            t.with_timezone(&calendar::CHONGQING)
                .to_rfc3339_opts(SecondsFormat::Secs, false)
        })
        .unwrap_or_default()
}

async fn page(
    state: &AppState,
    query: &PublicQuery,
) -> Result<(PublicFilter, Vec<PublicCase>, bool), AppError> {
    let filter = query.filter(DEFAULT_EXPORT_SIZE, MAX_EXPORT_SIZE)?;
    let found = state.public_cases().list(&filter).await?;
    Ok((filter, found.items, found.later))
}

/// `Link: <…&page=n+1&after=CODE>; rel="next"` when more follow, so a
/// client can fetch the whole record page by page. The `after` (the last
/// case sent) keeps the thousandth page as cheap as the first: with the
/// page number alone, each page would skip every case before it.
fn link_next(
    response: &mut Response,
    request: &HeaderMap,
    path: &str,
    raw_query: Option<&str>,
    filter: &PublicFilter,
    last: Option<&PublicCase>,
    more: bool,
) {
    let Some(last) = last.filter(|_| more) else {
        return;
    };
    let mut params: Vec<String> = raw_query
        .unwrap_or_default()
        .split('&')
        .filter(|p| {
            !p.is_empty()
                && !["page=", "after=", "before="]
                    .iter()
                    .any(|k| p.starts_with(k))
        })
        .map(str::to_owned)
        .collect();
    params.push(format!("page={}", filter.page + 1));
    // Codes are of the tracking-code alphabet: nothing to escape.
    params.push(format!("after={}", last.code));
    let link = format!(
        "<{}{path}?{}>; rel=\"next\"",
        origin(request),
        params.join("&")
    );
    if let Ok(v) = HeaderValue::from_str(&link) {
        response.headers_mut().insert(header::LINK, v);
    }
}

/// `GET /open-data/cases.geojson`: a FeatureCollection of points (WGS84,
/// coarsened as on the map).
pub async fn geojson(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    AppQuery(query): AppQuery<PublicQuery>,
) -> Result<Response, AppError> {
    let (filter, items, more) = page(&state, &query).await?;
    let base = origin(&headers);
    let features: Vec<_> = items
        .iter()
        .map(|c| {
            json!({
                "type": "Feature",
                "id": c.code,
                "geometry": { "type": "Point", "coordinates": [c.lon, c.lat] },
                "properties": {
                    "code": c.code,
                    "url": format!("{base}/cases/{}", c.code),
                    "category": c.category.code,
                    "category_name": c.category.name,
                    "group": c.group,
                    "area": c.area.as_ref().map(|a| &a.code),
                    "area_name": c.area.as_ref().map(|a| &a.name),
                    "department": c.department.as_ref().map(|d| &d.code),
                    "department_name": c.department.as_ref().map(|d| &d.name),
                    "state": c.state,
                    "closed": c.closed,
                    "submitted_at": c.submitted_at,
                    "closed_at": c.closed_at,
                    "precision": c.precision,
                    "disclosed": c.disclosed,
                    "summary": c.summary,
                    "investigation": c.investigation,
                    "finding": c.finding,
                    "actions_taken": c.actions_taken,
                    "penalties": c.penalties,
                }
            })
        })
        .collect();
    let body = json!({ "type": "FeatureCollection", "features": features }).to_string();
    let mut response = cacheable(&headers, "application/geo+json", body);
    link_next(
        &mut response,
        &headers,
        "/open-data/cases.geojson",
        uri.query(),
        &filter,
        items.last(),
        more,
    );
    Ok(response)
}

/// `GET /open-data/cases.csv`: the district's disclosure-table columns
/// (公示表) first, then the codes and times a program needs.
pub async fn csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    AppQuery(query): AppQuery<PublicQuery>,
) -> Result<Response, AppError> {
    let (filter, items, more) = page(&state, &query).await?;
    // A byte-order mark, so that Excel opens the Chinese as UTF-8.
    let mut out = String::from("\u{feff}");
    out.push_str(&crate::csv::row([
        "受理编号",
        "问题基本情况",
        "行政区域",
        "问题类型",
        "调查核实情况",
        "是否属实",
        "处理和整改情况",
        "是否办结",
        "state",
        "category",
        "area",
        "department",
        "submitted_at",
        "closed_at",
        "lat",
        "lon",
        "precision",
        // 行政处罚信息公开: the published decisions from the case.
        "处罚决定书文号",
        "被处罚企业",
        "统一社会信用代码",
        "罚款（元）",
    ]));
    for c in &items {
        let (lat, lon) = (c.lat.to_string(), c.lon.to_string());
        let joined = |f: fn(&shared::disclosure::PublicPenalty) -> String| {
            c.penalties.iter().map(f).collect::<Vec<_>>().join("；")
        };
        let decisions = joined(|p| p.decision_no.clone());
        let enterprises = joined(|p| p.enterprise.clone());
        let codes = joined(|p| p.credit_code.clone());
        let fine = if c.penalties.is_empty() {
            String::new()
        } else {
            shared::reward::yuan(c.penalties.iter().map(|p| p.fine_fen).sum())
        };
        out.push_str(&crate::csv::row([
            c.code.as_str(),
            c.summary.as_deref().unwrap_or(""),
            c.area.as_ref().map(|a| a.name.as_str()).unwrap_or(""),
            c.category.name.as_str(),
            c.investigation.as_deref().unwrap_or(""),
            c.finding.map(|f| finding_label(f, true)).unwrap_or(""),
            c.actions_taken.as_deref().unwrap_or(""),
            if c.closed { "是" } else { "否" },
            c.state.as_str(),
            c.category.code.as_str(),
            c.area.as_ref().map(|a| a.code.as_str()).unwrap_or(""),
            c.department.as_ref().map(|d| d.code.as_str()).unwrap_or(""),
            c.submitted_at.as_str(),
            c.closed_at.as_deref().unwrap_or(""),
            lat.as_str(),
            lon.as_str(),
            c.precision.as_str(),
            decisions.as_str(),
            enterprises.as_str(),
            codes.as_str(),
            fine.as_str(),
        ]));
    }
    let mut response = cacheable(&headers, "text/csv; charset=utf-8", out);
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"shanshui-cases.csv\""),
    );
    link_next(
        &mut response,
        &headers,
        "/open-data/cases.csv",
        uri.query(),
        &filter,
        items.last(),
        more,
    );
    Ok(response)
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct FeedQuery {
    pub area: Option<String>,
    pub category: Option<String>,
    /// How many entries (at most 200).
    pub limit: Option<String>,
}

/// `GET /feeds/cases.atom[?area=&category=]`: new and closed cases, newest
/// first — an entry when a case comes in and another when it is closed.
pub async fn atom(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    AppQuery(q): AppQuery<FeedQuery>,
) -> Result<Response, AppError> {
    let size = number("limit", &q.limit, FEED_SIZE, 200)?;
    let base = PublicQuery {
        area: q.area.clone(),
        category: q.category.clone(),
        ..Default::default()
    }
    .filter(size, size)?;
    let cases = state.public_cases();
    let new = cases.list(&base).await?.items;
    let closed = cases
        .list(&PublicFilter {
            status: StatusFilter::Closed,
            sort: Sort::Closed,
            ..base.clone()
        })
        .await?
        .items;
    // (time, closed?, case), newest first.
    let mut entries: Vec<(String, bool, &PublicCase)> = new
        .iter()
        .map(|c| (c.submitted_at.clone(), false, c))
        .collect();
    entries.extend(
        closed
            .iter()
            .filter_map(|c| Some((c.closed_at.clone()?, true, c))),
    );
    entries.sort_by(|a, b| b.0.cmp(&a.0));
    entries.truncate(size as usize);

    let site = origin(&headers);
    let self_url = format!(
        "{site}{}",
        uri.path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/feeds/cases.atom")
    );
    let mut title = String::from("山水 · 巴南区生态环境投诉 — 新案件与办结案件");
    if let Some(a) = q.area.as_deref().filter(|s| !s.is_empty()) {
        title.push_str(&format!(" · {a}"));
    }
    if let Some(c) = q.category.as_deref().filter(|s| !s.is_empty()) {
        title.push_str(&format!(" · {c}"));
    }
    let updated = entries
        .first()
        .map(|e| w3c(&e.0))
        .unwrap_or_else(|| w3c(&state.settings.clock.now().to_rfc3339()));
    let mut x = Xml::new();
    x.open_with(
        "feed",
        &[
            ("xmlns", "http://www.w3.org/2005/Atom"),
            ("xml:lang", "zh-CN"),
        ],
    );
    x.leaf("title", &title)
        .leaf("id", &self_url)
        .empty("link", &[("rel", "self"), ("href", &self_url)])
        .empty(
            "link",
            &[
                ("rel", "alternate"),
                ("type", "text/html"),
                ("href", &format!("{site}/cases")),
            ],
        )
        .leaf("updated", &updated);
    x.open("author")
        .leaf("name", "巴南区生态环境局 · Shanshui")
        .close("author");
    for (at, closing, c) in entries {
        let url = format!("{site}/cases/{}", c.code);
        let place = c.area.as_ref().map(|a| a.name.as_str()).unwrap_or("巴南区");
        let what = if closing { "办结" } else { "新案件" };
        let mut summary = format!(
            "{} · {} · {}",
            c.category.name,
            place,
            state_label(c.state, true)
        );
        if let Some(s) = &c.summary {
            summary.push_str(&format!("。{s}"));
        }
        if closing && let Some(f) = c.finding {
            summary.push_str(&format!("(调查结果:{})", finding_label(f, true)));
        }
        x.open("entry")
            .leaf(
                "title",
                &format!("{what} {} · {} · {place}", c.code, c.category.name),
            )
            .leaf(
                "id",
                &format!("{url}#{}", if closing { "closed" } else { "new" }),
            )
            .empty(
                "link",
                &[("rel", "alternate"), ("type", "text/html"), ("href", &url)],
            )
            .leaf("updated", &w3c(&at))
            .leaf("published", &w3c(&at))
            .empty(
                "category",
                &[("term", &c.category.code), ("label", &c.category.name)],
            )
            .leaf_with("summary", &[("type", "text")], &summary)
            .close("entry");
    }
    x.close("feed");
    Ok(cacheable(
        &headers,
        "application/atom+xml; charset=utf-8",
        x.finish(),
    ))
}

#[cfg(test)]
mod tests {
    use super::w3c;

    #[test]
    fn w3c_times_are_chongqing_wall_clock_with_the_offset_and_whole_seconds() {
        assert_eq!(w3c("2026-11-01T00:00:00Z"), "2026-11-01T08:00:00+08:00");
        // Across a year's end, from another offset, fractions dropped as
        // the strftime pattern did.
        assert_eq!(
            w3c("2026-12-31T21:30:05.987654-01:00"),
            "2027-01-01T06:30:05+08:00"
        );
        assert_eq!(w3c("0999-01-01T00:00:00Z"), "0999-01-01T08:00:00+08:00");
        assert_eq!(w3c("not a time"), "");
    }
}
