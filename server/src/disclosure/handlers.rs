//! HTTP for the public record: the JSON API under `/api/v1/public/`.

use super::service::{Keyset, PublicFilter, StatusFilter};
use crate::directory::calendar::parse_day;
use crate::error::{AppError, AppJson, AppQuery};
use crate::state::AppState;
use axum::extract::{Path, State};
use serde::Deserialize;
use shared::disclosure::{PublicCaseDetail, PublicCasePage};

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

/// The filters of `/cases`, the public API and the exports. Empty values
/// count as absent, so a plain HTML form can send every field.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicQuery {
    /// A category code (see `GET /api/v1/categories`).
    pub category: Option<String>,
    /// A 街道/镇 code (see `GET /api/v1/areas`).
    pub area: Option<String>,
    /// `open`, `closed` or a case state.
    pub state: Option<String>,
    /// Submitted on or after (YYYY-MM-DD, Chongqing time).
    pub from: Option<String>,
    /// Submitted on or before.
    pub to: Option<String>,
    /// Only cases whose public record a reviewer has published.
    pub disclosed: Option<String>,
    /// 1-based.
    pub page: Option<String>,
    /// At most 100 here (20 by default); the exports allow 10,000.
    pub page_size: Option<String>,
    /// The code of the last case of the page before (its `next`): the page
    /// after it, found as fast however deep; `page` then only numbers it.
    pub after: Option<String>,
    /// The code of the first case of the page after (its `prev`): the page
    /// before it, found the same way. Not with `after`.
    pub before: Option<String>,
}

/// An empty parameter counts as absent (as Open311 says too).
pub fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A positive integer parameter, or a 400 naming it.
pub fn number(field: &str, v: &Option<String>, default: u32, max: u32) -> Result<u32, AppError> {
    match given(v) {
        None => Ok(default),
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(AppError::validation(
                field,
                format!("a whole number from 1 to {max}"),
            )),
        },
    }
}

impl PublicQuery {
    pub fn filter(&self, default_size: u32, max_size: u32) -> Result<PublicFilter, AppError> {
        let status = match given(&self.state) {
            None => StatusFilter::Any,
            Some(s) => StatusFilter::parse(s).ok_or_else(|| {
                AppError::validation("state", "open, closed or a case state such as accepted")
            })?,
        };
        let disclosed_only = match given(&self.disclosed) {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") | Some("on") => true,
            Some(_) => return Err(AppError::validation("disclosed", "true or false")),
        };
        Ok(PublicFilter {
            codes: vec![],
            categories: given(&self.category)
                .map(|c| vec![c.to_owned()])
                .unwrap_or_default(),
            area: given(&self.area).map(str::to_owned),
            status,
            from: given(&self.from)
                .map(|d| parse_day("from", d, false))
                .transpose()?,
            to: given(&self.to)
                .map(|d| parse_day("to", d, true))
                .transpose()?,
            disclosed_only,
            sort: Default::default(),
            page: number("page", &self.page, 1, 100_000)?,
            page_size: number("page_size", &self.page_size, default_size, max_size)?,
            keyset: self.keyset()?,
        })
    }

    fn keyset(&self) -> Result<Option<Keyset>, AppError> {
        let code = |field: &str, code: &str| {
            shared::report::tracking_code::normalize(code)
                .ok_or_else(|| AppError::validation(field, "a case number such as BN-7K3M-Q9TX"))
        };
        match (given(&self.after), given(&self.before)) {
            (None, None) => Ok(None),
            (Some(after), None) => Ok(Some(Keyset::After(code("after", after)?))),
            (None, Some(before)) => Ok(Some(Keyset::Before(code("before", before)?))),
            (Some(_), Some(_)) => Err(AppError::validation(
                "before",
                "either after or before, not both",
            )),
        }
    }
}

/// Cases as the public sees them (公开案件), newest first.
///
/// Every case is listed in outline (number, category, area, department,
/// state, dates, a place coarsened to about 1 km); the texts a reviewer
/// wrote for the public, the finding and the chosen photos appear once the
/// case is disclosed. Nothing the reporter wrote or who they are ever does.
#[utoipa::path(
    get,
    path = "/public/cases",
    tag = "disclosure",
    params(PublicQuery),
    responses(
        (status = 200, description = "A page of cases.", body = PublicCasePage),
        (status = 400, response = crate::openapi::components::BadRequest),
        (status = 422, response = crate::openapi::components::Unprocessable),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<PublicQuery>,
) -> Result<AppJson<PublicCasePage>, AppError> {
    let filter = query.filter(DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
    let found = state.public_cases().list(&filter).await?;
    let edge = |later: bool, case: Option<&shared::disclosure::PublicCase>| {
        later.then(|| case.map(|c| c.code.clone())).flatten()
    };
    Ok(AppJson(PublicCasePage {
        next: edge(found.later, found.items.last()),
        prev: edge(found.earlier, found.items.first()),
        // Read back to the top from a case: that is the first page,
        // whatever number the link gave it.
        page: if found.earlier { filter.page } else { 1 },
        items: found.items,
        page_size: filter.page_size,
        has_more: found.later,
    }))
}

/// One case as the public sees it, with its public timeline.
#[utoipa::path(
    get,
    path = "/public/cases/{code}",
    tag = "disclosure",
    params(crate::openapi::components::CasePath),
    responses(
        (status = 200, description = "The case.", body = PublicCaseDetail),
        (status = 404, response = crate::openapi::components::NotFound),
    )
)]
pub async fn detail(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<AppJson<PublicCaseDetail>, AppError> {
    Ok(AppJson(state.public_cases().detail(&code).await?))
}

#[cfg(test)]
mod props;
