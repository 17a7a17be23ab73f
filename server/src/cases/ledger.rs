//! The staff ledger (台账): every case in the caller's scope as CSV, one row
//! per case with the columns a district bureau keeps — number, channel,
//! category, area, departments, handler, state, dates, deadline, whether it
//! was on time, finding, measures, penalty, reward, satisfaction — filtered
//! exactly as the queue is (`service::filter_condition`), in the order of
//! filing (by id).
//!
//! It streams. Cases are read in keyset pages of [`PAGE`] (`id > last ORDER
//! BY id LIMIT 1000`), each page rendered and handed to the response before
//! the next one is read, so the server holds one page whatever the number
//! of cases (measured at 1,000,000 in docs/benchmarks.md). The pages are
//! separate statements, not one snapshot: a case changed during an export
//! shows as it was when its page was read. One read transaction held for
//! the minutes a large export takes would stall SQLite's WAL checkpoints and
//! hold back PostgreSQL's vacuum, for a document that is out of date the
//! moment it is saved anyway.
//!
//! Identities (举报人姓名, 联系电话) are decrypted only for the roles that may
//! reveal them (`service::MAY_REVEAL`), and, as on the case page, a handler
//! sees them only for the cases their department leads. Every export is
//! written to the audit log — with its filters and whether identities were
//! in it — before the first byte leaves; a filter that does not parse is
//! refused before that, and nothing is recorded.
//!
//! One column is kept empty on purpose: 满意度 (satisfaction), which the
//! reporter's rating (issue 13) will fill.

use super::access::{actor, in_scope, usernames};
use super::service::{MAY_REVEAL, QueueFilter, filter_condition};
use super::workflow;
use crate::audit;
use crate::auth::session::StaffUser;
use crate::db::entities::{case, penalty, report, reporter_identity, reward};
use crate::directory::calendar;
use crate::directory::lookups::Lookups;
use crate::error::AppError;
use crate::privacy::PiiCipher;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::Stream;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use shared::Role;
use shared::case::{CaseState, Finding};
use shared::reward::{RewardState, yuan};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Cases read per query: large enough that the per-query cost vanishes,
/// small enough that a page (with its rewards and identities) is a few
/// hundred kilobytes.
pub const PAGE: u64 = 1000;

/// The columns, in order. Amounts are in yuan (元), times are Chongqing
/// time.
pub const COLUMNS: [&str; 22] = [
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

/// The identity columns, last, for the roles that may see them.
pub const IDENTITY_COLUMNS: [&str; 2] = ["举报人姓名", "联系电话"];

/// Checks the filters, records the export in the audit log, and answers the
/// ledger as a stream of CSV chunks: a UTF-8 byte-order mark and the header
/// (so that Excel and WPS read the Chinese), then one chunk per page.
///
/// Unlike the queue, a missing `state` means every state: a ledger lists
/// every case unless asked for fewer.
pub async fn export(
    db: DatabaseConnection,
    pii: Arc<PiiCipher>,
    user: &StaffUser,
    mut filter: QueueFilter,
    now: DateTime<Utc>,
) -> Result<impl Stream<Item = Result<Bytes, AppError>> + Send + 'static, AppError> {
    if filter.state.as_deref().is_none_or(|s| s.trim().is_empty()) {
        filter.state = Some("all".to_owned());
    }
    let lookups = Lookups::load(&db).await?;
    let filtered = filter_condition(&filter, &lookups, user.id, now)?.condition;
    let staff = actor(user);
    let condition = Condition::all()
        .add(in_scope(workflow::scope(&staff)))
        .add(filtered);
    let identities = MAY_REVEAL.contains(&user.role);
    audit::record(
        &db,
        audit::Entry {
            actor: &user.username,
            action: "case.ledger_export",
            object_type: "ledger",
            object_id: "cases",
            detail: Some(format!(
                "{}; identities {}",
                describe(&filter),
                if identities { "included" } else { "withheld" }
            )),
        },
    )
    .await?;
    let pages = Pages {
        db,
        pii,
        lookups,
        condition,
        identities: identities.then_some(Identities {
            // As on the case page: a handler contacts the reporters of the
            // cases their department leads, not of those it assists.
            lead_only: (user.role == Role::Handler).then_some(user.department_id),
        }),
        now,
    };
    Ok(futures::stream::try_unfold(
        (Arc::new(pages), Cursor::Header),
        |(pages, cursor)| async move {
            let chunk = match cursor {
                Cursor::Header => {
                    let mut header = String::from("\u{feff}");
                    header.push_str(&crate::csv::row(pages.columns()));
                    Some((header, Cursor::After(0)))
                }
                Cursor::After(last) => {
                    let (text, read, next) = pages.page(last).await.inspect_err(|e| {
                        tracing::error!(error = %e, after = last, "ledger export failed mid-way");
                    })?;
                    // A short page is the last: no query to learn that.
                    let next = if read < PAGE as usize {
                        Cursor::Done
                    } else {
                        Cursor::After(next)
                    };
                    (read > 0).then_some((text, next))
                }
                Cursor::Done => None,
            };
            Ok(chunk.map(|(text, next)| (Bytes::from(text), (pages, next))))
        },
    ))
}

/// Where the stream is.
#[derive(Clone, Copy)]
enum Cursor {
    Header,
    /// Cases with a greater id are still to come.
    After(i64),
    Done,
}

struct Identities {
    /// `Some(department)`: only the cases that department leads.
    lead_only: Option<Option<i64>>,
}

/// What every page is read with.
struct Pages {
    db: DatabaseConnection,
    pii: Arc<PiiCipher>,
    lookups: Lookups,
    condition: Condition,
    identities: Option<Identities>,
    now: DateTime<Utc>,
}

impl Pages {
    fn columns(&self) -> impl Iterator<Item = &'static str> {
        let extra: &[&str] = if self.identities.is_some() {
            &IDENTITY_COLUMNS
        } else {
            &[]
        };
        COLUMNS.iter().chain(extra).copied()
    }

    /// The page of cases after id `after`, as CSV: (text, cases read, the
    /// last id read).
    async fn page(&self, after: i64) -> Result<(String, usize, i64), AppError> {
        let rows = case::Entity::find()
            .filter(self.condition.clone())
            .filter(case::Column::Id.gt(after))
            .order_by_asc(case::Column::Id)
            .limit(PAGE)
            .all(&self.db)
            .await?;
        let Some(last) = rows.last().map(|c| c.id) else {
            return Ok((String::new(), 0, after));
        };
        let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
        let rewards: BTreeMap<i64, reward::Model> = reward::Entity::find()
            .filter(reward::Column::CaseId.is_in(ids.clone()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (r.case_id, r))
            .collect();
        // 查处结果 recorded on the cases: the decisions and the fine.
        let mut penalties: BTreeMap<i64, (Vec<String>, i64)> = BTreeMap::new();
        for p in penalty::Entity::find()
            .filter(penalty::Column::CaseId.is_in(ids.clone()))
            .order_by_asc(penalty::Column::Id)
            .all(&self.db)
            .await?
        {
            let entry = penalties.entry(p.case_id).or_default();
            entry.0.push(p.decision_no);
            entry.1 += p.fine_fen;
        }
        let assignees = usernames(&self.db, rows.iter().filter_map(|c| c.assignee_id)).await?;
        let people = match &self.identities {
            Some(rule) => {
                let shown = rows
                    .iter()
                    .filter(|c| {
                        rule.lead_only
                            .is_none_or(|d| d.is_some() && d == c.department_id)
                    })
                    .map(|c| c.id);
                self.reporters(shown).await?
            }
            None => BTreeMap::new(),
        };
        let mut out = String::with_capacity(rows.len() * 400);
        for c in &rows {
            let mut fields = self.fields(c, rewards.get(&c.id), penalties.get(&c.id), &assignees);
            if self.identities.is_some() {
                let (name, phone) = people.get(&c.id).cloned().unwrap_or_default();
                fields.extend([name, phone]);
            }
            out.push_str(&crate::csv::row(fields.iter().map(String::as_str)));
        }
        Ok((out, rows.len(), last))
    }

    /// The named reporter of each case — the first report that gave a name
    /// and phone, usually the one that opened it — decrypted.
    async fn reporters(
        &self,
        case_ids: impl Iterator<Item = i64>,
    ) -> Result<BTreeMap<i64, (String, String)>, AppError> {
        let case_ids: Vec<i64> = case_ids.collect();
        if case_ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let mut first: BTreeMap<i64, i64> = BTreeMap::new();
        let named: Vec<(i64, Option<i64>)> = report::Entity::find()
            .select_only()
            .columns([report::Column::CaseId, report::Column::IdentityId])
            .filter(report::Column::CaseId.is_in(case_ids))
            .filter(report::Column::IdentityId.is_not_null())
            .order_by_asc(report::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        for (case_id, identity) in named {
            if let Some(identity) = identity {
                first.entry(case_id).or_insert(identity);
            }
        }
        let identities: BTreeMap<i64, reporter_identity::Model> = reporter_identity::Entity::find()
            .filter(reporter_identity::Column::Id.is_in(first.values().copied()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
        let mut out = BTreeMap::new();
        for (case_id, identity_id) in first {
            let Some(identity) = identities.get(&identity_id) else {
                continue;
            };
            let decrypt = |v: &str| {
                self.pii
                    .decrypt(v)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("identity {identity_id}: {e}")))
            };
            out.insert(
                case_id,
                (decrypt(&identity.name_enc)?, decrypt(&identity.phone_enc)?),
            );
        }
        Ok(out)
    }

    /// The ledger's columns of one case, names not codes.
    fn fields(
        &self,
        c: &case::Model,
        r: Option<&reward::Model>,
        penalties: Option<&(Vec<String>, i64)>,
        assignees: &BTreeMap<i64, String>,
    ) -> Vec<String> {
        let l = &self.lookups;
        let time = |t: Option<DateTime<Utc>>| t.map(local_time).unwrap_or_default();
        vec![
            c.code.clone(),
            c.channel().name_zh().to_owned(),
            l.category(c.category_id).name,
            l.area(c.area_id).map(|a| a.name).unwrap_or_default(),
            l.department_name(c.department_id).unwrap_or_default(),
            l.department_name(c.co_department_id).unwrap_or_default(),
            c.assignee_id
                .and_then(|id| assignees.get(&id).cloned())
                .unwrap_or_default(),
            state_zh(c.state()).to_owned(),
            local_time(c.submitted_at),
            time(c.accepted_at),
            time(c.close_due_at),
            time(c.closed_at),
            timeliness(c, self.now).to_owned(),
            c.extended_days.to_string(),
            c.finding
                .as_deref()
                .and_then(Finding::parse)
                .map(finding_zh)
                .unwrap_or_default()
                .to_owned(),
            c.actions_taken.clone().unwrap_or_default(),
            // The recorded decisions; before this existed, the one typed
            // into a reward proposal.
            match penalties {
                Some((decisions, _)) => decisions.join("；"),
                None => r
                    .and_then(|r| r.penalty_decision.clone())
                    .unwrap_or_default(),
            },
            match penalties {
                Some((_, fine)) => yuan(*fine),
                None => r.and_then(|r| r.fine_fen).map(yuan).unwrap_or_default(),
            },
            r.map(|r| yuan(r.amount_fen)).unwrap_or_default(),
            r.and_then(|r| RewardState::parse(&r.state))
                .map(reward_state_zh)
                .unwrap_or_default()
                .to_owned(),
            // 满意度: issue 13.
            String::new(),
            c.corroboration_count.to_string(),
        ]
    }
}

/// `2026-12-04 18:30`, Chongqing time: what a spreadsheet reads as a time.
fn local_time(t: DateTime<Utc>) -> String {
    calendar::local(t).format("%Y-%m-%d %H:%M").to_string()
}

/// 是否按期: a case closed (or refused) by its closing deadline is 按期办结,
/// after it 超期办结; an open case past its current deadline (acceptance or
/// closing) is 已超期, before it 未到期. A merged case has neither.
pub fn timeliness(c: &case::Model, now: DateTime<Utc>) -> &'static str {
    match (c.closed_at, c.close_due_at, c.due_at) {
        (Some(closed), Some(due), _) if closed <= due => "按期办结",
        (Some(_), Some(_), _) => "超期办结",
        (None, _, Some(due)) if due < now => "已超期",
        (None, _, Some(_)) => "未到期",
        _ => "",
    }
}

fn state_zh(s: CaseState) -> &'static str {
    match s {
        CaseState::Submitted => "待受理",
        CaseState::Accepted => "已受理",
        CaseState::Rejected => "不予受理",
        CaseState::Merged => "已合并",
        CaseState::Investigating => "查处中",
        CaseState::ReplyReview => "回复审核",
        CaseState::Closed => "已办结",
    }
}

fn finding_zh(f: Finding) -> &'static str {
    match f {
        Finding::Substantiated => "属实",
        Finding::PartlySubstantiated => "部分属实",
        Finding::Unsubstantiated => "不属实",
    }
}

fn reward_state_zh(s: RewardState) -> &'static str {
    match s {
        RewardState::Proposed => "待审核",
        RewardState::Approved => "已批准待领取",
        RewardState::Rejected => "未批准",
        RewardState::Claimed => "已申领待发放",
        RewardState::Paid => "已发放",
        RewardState::Expired => "逾期未领取",
        RewardState::Declined => "举报人放弃",
    }
}

/// The filters of an export, for its audit entry: `state=all department=…`.
fn describe(f: &QueueFilter) -> String {
    let mut parts = Vec::new();
    let mut add = |name: &str, v: Option<&str>| {
        if let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) {
            parts.push(format!("{name}={v}"));
        }
    };
    add("state", f.state.as_deref());
    add("category", f.category.as_deref());
    add("department", f.department.as_deref());
    add("area", f.area.as_deref());
    add("channel", f.channel.as_deref());
    add("from", f.from.as_deref());
    add("to", f.to.as_deref());
    add("assignee", f.assignee.as_deref());
    if f.overdue == Some(true) {
        parts.push("overdue=true".to_owned());
    }
    format!("filters: {}", parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn case_at(closed: Option<i64>, close_due: Option<i64>, due: Option<i64>) -> case::Model {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 2, 0, 0).unwrap();
        let at = |d: Option<i64>| d.map(|d| t0 + Duration::days(d));
        case::Model {
            id: 1,
            code: "BN-0000-0000".into(),
            category_id: 1,
            group_code: "noise".into(),
            state: if closed.is_some() {
                "closed"
            } else {
                "accepted"
            }
            .into(),
            priority: "normal".into(),
            lat: 29.4,
            lon: 106.5,
            accuracy_m: None,
            area_id: None,
            department_id: None,
            description: String::new(),
            occurred_at: None,
            submitted_at: t0,
            updated_at: t0,
            corroboration_count: 0,
            version: 0,
            co_department_id: None,
            assignee_id: None,
            rule_id: None,
            accept_due_at: None,
            close_due_at: at(close_due),
            due_at: at(due),
            extended_days: 0,
            accepted_at: None,
            closed_at: at(closed),
            finding: None,
            reply: None,
            actions_taken: None,
            reply_drafted_by: None,
            reply_approved_by: None,
            merged_into_id: None,
            contested: false,
            disclosed_at: None,
            disclosed_by: None,
            public_summary: None,
            public_investigation: None,
            public_actions: None,
            public_precision: None,
            channel: "web".into(),
            demo: false,
            api_key_id: None,
            external_ref: None,
            police_referred_at: None,
            category_version: 1,
            question_open: false,
            rated: false,
            came_back: false,
            came_back_from_id: None,
        }
    }

    #[test]
    fn on_time_is_judged_by_the_closing_deadline_once_closed_and_by_now_while_open() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        assert_eq!(
            timeliness(&case_at(Some(60), Some(60), None), now),
            "按期办结"
        );
        assert_eq!(
            timeliness(&case_at(Some(61), Some(60), None), now),
            "超期办结"
        );
        assert_eq!(
            timeliness(&case_at(None, Some(60), Some(15)), now),
            "已超期"
        );
        assert_eq!(
            timeliness(&case_at(None, Some(60), Some(60)), now),
            "未到期"
        );
        assert_eq!(timeliness(&case_at(None, Some(60), None), now), "");
    }

    #[test]
    fn an_audit_entry_names_only_the_filters_given() {
        let f = QueueFilter {
            state: Some("all".into()),
            department: Some("housing_construction".into()),
            overdue: Some(true),
            area: Some(" ".into()),
            ..Default::default()
        };
        assert_eq!(
            describe(&f),
            "filters: state=all department=housing_construction overdue=true"
        );
    }
}
