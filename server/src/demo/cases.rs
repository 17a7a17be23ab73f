//! A living demo (演示案件): the year `synth::plan` invents, played through
//! the real services — `Reports::submit` files each report (photos through
//! the photo pipeline), `Cases::act_on` takes each staff step, the reporter
//! claims a reward through `reporter_action` — in the order the steps
//! happen, on a clock stopped a year ago and moved forward step by step. So
//! every invariant holds as it would for real cases: deadlines, versions,
//! timelines, audit entries, four eyes, reward rules. Steps that would fall
//! after now have not happened yet, which leaves open work at every stage.

use super::synth::{self, Course, Place, Planned};
use crate::auth::session::StaffUser;
use crate::cases::Deadlines;
use crate::cases::service::Cases;
use crate::categories::service as categories;
use crate::clock::Clock;
use crate::db::entities::{app_user, area, case, category, department, photo};
use crate::photos::{PhotoLimits, PhotoPipeline};
use crate::privacy::PiiCipher;
use crate::reports::input::RawReport;
use crate::reports::service::{Intake, Reports, reporter_action};
use crate::storage::PhotoStore;
use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use shared::Role;
use shared::case::{ActionRequest, CaseAction, Finding};
use shared::disclosure::{Disclosure, Precision};
use shared::report::{Channel, Datatype, ReporterAction};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// What `generate` needs of the server.
pub struct Parts<'a> {
    pub db: &'a DatabaseConnection,
    pub pii: &'a PiiCipher,
    pub store: &'a dyn PhotoStore,
    pub deadlines: Deadlines,
}

/// One step of a case, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Submit,
    Reject,
    Accept,
    Assign,
    Extend,
    Draft,
    Return,
    Approve,
    Contest,
    Disclose,
    Propose,
    ApproveReward,
    Claim,
    Pay,
    Rate,
}

/// How many of each step were taken, for the command's summary.
#[derive(Debug, Default)]
pub struct Summary {
    pub cases: usize,
    pub steps: BTreeMap<&'static str, usize>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.cases == 0 {
            return f.write_str(
                "no demo cases filed (there are cases already, or none were asked for)",
            );
        }
        write!(f, "{} demo cases (", self.cases)?;
        let steps: Vec<String> = self.steps.iter().map(|(k, n)| format!("{k} {n}")).collect();
        write!(f, "{})", steps.join(", "))
    }
}

/// A small, plain picture per category group, so a case page has a photo
/// to show: a gradient in the group's colour, as a JPEG.
fn picture(seed: usize, category: &str) -> anyhow::Result<bytes::Bytes> {
    let (r, g, b) = match category.split('_').next() {
        Some("noise") => (180u8, 140u8, 90u8),
        Some("water") => (60, 90, 80),
        Some("dust") => (170, 160, 140),
        Some("burning") => (120, 110, 110),
        Some("cooking") => (150, 120, 100),
        _ => (110, 130, 150),
    };
    let shift = (seed % 40) as u8;
    let img = image::RgbImage::from_fn(480, 360, |x, y| {
        let t = ((x + y) / 6) as u8;
        image::Rgb([
            r.saturating_add(t / 2).saturating_sub(shift),
            g.saturating_add(t / 3),
            b.saturating_add((y / 8) as u8 / 2),
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 70)
        .encode_image(&img)
        .context("encoding a demo picture")?;
    Ok(bytes::Bytes::from(out))
}

/// The answers a category requires, filled plainly.
fn answers(row: &category::Model, at: DateTime<Utc>) -> String {
    let mut out = serde_json::Map::new();
    for q in categories::questions(row)
        .into_iter()
        .filter(|q| q.required)
    {
        let first = q.values.first().map(|v| v.key.clone()).unwrap_or_default();
        let value = match q.datatype {
            Datatype::Singlevaluelist => serde_json::json!(first),
            Datatype::Multivaluelist => serde_json::json!([first]),
            Datatype::Number => serde_json::json!(1),
            Datatype::Datetime => serde_json::json!(at.to_rfc3339()),
            Datatype::String | Datatype::Text => serde_json::json!("见描述"),
        };
        out.insert(q.code, value);
    }
    serde_json::Value::Object(out).to_string()
}

/// The demo's staff: the shared roles, and one handler per department a
/// case reaches (created as needed, with a password nobody is told).
struct Staff {
    dispatcher: StaffUser,
    reviewer: StaffUser,
    reward_reviewer: StaffUser,
    finance: StaffUser,
    handlers: BTreeMap<i64, StaffUser>,
}

fn staff_user(u: app_user::Model, role: Role) -> StaffUser {
    StaffUser {
        id: u.id,
        username: u.username,
        role,
        department_id: u.department_id,
        department: None,
    }
}

async fn account(
    db: &DatabaseConnection,
    username: &str,
    role: Role,
    department: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<StaffUser> {
    if let Some(u) = app_user::Entity::find()
        .filter(app_user::Column::Username.eq(username))
        .one(db)
        .await?
    {
        return Ok(staff_user(u, role));
    }
    use rand::RngCore;
    let mut secret = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let new = crate::users::NewUser {
        username: username.to_owned(),
        role,
        department: department.map(str::to_owned),
        password: hex::encode(secret),
    };
    crate::users::create(db, new, "demo", now)
        .await
        .map_err(|e| anyhow::anyhow!("demo account {username}: {e}"))?;
    let u = app_user::Entity::find()
        .filter(app_user::Column::Username.eq(username))
        .one(db)
        .await?
        .context("the demo account just created")?;
    Ok(staff_user(u, role))
}

impl Staff {
    async fn load(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<Staff> {
        Ok(Staff {
            dispatcher: account(db, "demo.dispatcher", Role::Dispatcher, None, now).await?,
            reviewer: account(db, "demo.reviewer", Role::Reviewer, None, now).await?,
            reward_reviewer: account(db, "demo.rewards", Role::RewardReviewer, None, now).await?,
            finance: account(db, "demo.finance", Role::Finance, None, now).await?,
            handlers: BTreeMap::new(),
        })
    }

    /// The department's demo handler.
    async fn handler(
        &mut self,
        db: &DatabaseConnection,
        department_id: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<StaffUser> {
        if let Some(h) = self.handlers.get(&department_id) {
            return Ok(h.clone());
        }
        let d = department::Entity::find_by_id(department_id)
            .one(db)
            .await?
            .context("the case's department")?;
        let name: String = format!("demo.{}", d.code.replace('_', "-"))
            .chars()
            .take(32)
            .collect();
        let h = account(db, &name, Role::Handler, Some(&d.code), now).await?;
        self.handlers.insert(department_id, h.clone());
        Ok(h)
    }
}

/// What a case has become so far.
struct Filed {
    code: String,
    secret: String,
}

/// Files `n` invented reports from the year before `now` and plays their
/// steps up to `now`. Does nothing on a database that already has cases.
pub async fn generate(
    parts: &Parts<'_>,
    n: usize,
    seed: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<Summary> {
    let db = parts.db;
    let mut summary = Summary::default();
    if n == 0 || case::Entity::find().count(db).await? > 0 {
        return Ok(summary);
    }
    let places: Vec<Place> = area::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| {
            Place::new(
                &a.geometry,
                [a.min_lon, a.min_lat, a.max_lon, a.max_lat],
                a.kind == "jiedao",
            )
        })
        .collect();
    let plan = synth::plan(n, seed, now, &places);
    let Some(first) = plan.first() else {
        return Ok(summary);
    };
    let clock = Clock::system();
    clock.stop();
    clock.advance(first.at - clock.now());
    let pipeline = PhotoPipeline::new(PhotoLimits::default(), 2);
    let reports = Reports {
        db,
        pii: parts.pii,
        pipeline: &pipeline,
        store: parts.store,
        deadlines: parts.deadlines,
        clock: &clock,
    };
    let cases = Cases {
        db,
        pii: parts.pii,
        deadlines: parts.deadlines,
        clock: &clock,
    };
    let mut staff = Staff::load(db, first.at).await?;
    let categories: BTreeMap<String, category::Model> = category::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect();

    // (when, case, step), earliest first.
    let mut queue: BinaryHeap<Reverse<(DateTime<Utc>, usize, Step)>> = plan
        .iter()
        .enumerate()
        .map(|(i, p)| Reverse((p.at, i, Step::Submit)))
        .collect();
    let mut filed: BTreeMap<usize, Filed> = BTreeMap::new();
    while let Some(Reverse((at, i, step))) = queue.pop() {
        if at > now {
            continue;
        }
        if at > clock.now() {
            clock.advance(at - clock.now());
        }
        let p = &plan[i];
        let next = match step {
            Step::Submit => {
                let row = categories
                    .get(p.category)
                    .with_context(|| format!("category {}", p.category))?;
                let raw = RawReport {
                    category: Some(p.category.to_owned()),
                    description: Some(p.description.clone()),
                    lat: Some(p.point.lat.to_string()),
                    lon: Some(p.point.lon.to_string()),
                    accuracy: Some("20".to_owned()),
                    occurred_at: Some((at - Duration::minutes(20)).to_rfc3339()),
                    answers: Some(answers(row, at)),
                    name: p.named.as_ref().map(|n| n.0.clone()),
                    phone: p.named.as_ref().map(|n| n.1.clone()),
                    photos: if p.photo {
                        vec![picture(i, p.category)?]
                    } else {
                        Vec::new()
                    },
                    ..Default::default()
                };
                let intake = match p.channel {
                    Channel::Web => Intake::WEB,
                    Channel::Open311 => Intake::OPEN311_UNKEYED,
                    // Keyed in by the bureau's dispatcher (代录).
                    road => Intake::for_caller(road, &staff.dispatcher.username, Role::Dispatcher)
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                };
                let receipt = reports
                    .submit(raw, intake.invented(), None)
                    .await
                    .map_err(|e| anyhow::anyhow!("filing demo report {i}: {e}"))?;
                // Marked in the filing (`invented`), so every page says it is
                // invented (演示数据) and nobody is told of it.
                filed.insert(
                    i,
                    Filed {
                        code: receipt.tracking_code,
                        secret: receipt.secret,
                    },
                );
                summary.cases += 1;
                match &p.course {
                    Course::Rejected { after } => vec![(*after, Step::Reject)],
                    Course::Handled(h) => vec![(h.accept_after, Step::Accept)],
                }
            }
            _ => {
                let Some(f) = filed.get(&i) else { continue };
                take(&cases, &mut staff, db, p, f, step, &clock, parts).await?
            }
        };
        *summary.steps.entry(step_name(step)).or_default() += 1;
        for (after, s) in next {
            queue.push(Reverse((at + after, i, s)));
        }
    }
    Ok(summary)
}

fn step_name(step: Step) -> &'static str {
    match step {
        Step::Submit => "filed",
        Step::Reject => "rejected",
        Step::Accept => "accepted",
        Step::Assign => "assigned",
        Step::Extend => "extended",
        Step::Draft => "replies drafted",
        Step::Return => "returned",
        Step::Approve => "closed",
        Step::Contest => "contested",
        Step::Disclose => "disclosed",
        Step::Propose => "rewards proposed",
        Step::ApproveReward => "rewards approved",
        Step::Claim => "rewards claimed",
        Step::Pay => "rewards paid",
        Step::Rate => "rated",
    }
}

/// What a reviewer publishes about a closed case: plain words, nothing the
/// reporter wrote.
fn disclosure(p: &Planned, photos: Vec<i64>) -> Disclosure {
    let finding = match &p.course {
        Course::Handled(h) => h.finding,
        Course::Rejected { .. } => Finding::Unsubstantiated,
    };
    Disclosure {
        summary: format!("群众反映{}问题", category_words(p.category)),
        investigation: Some(match finding {
            Finding::Substantiated => "经现场核查，反映情况属实。".to_owned(),
            Finding::PartlySubstantiated => "经现场核查，反映情况部分属实。".to_owned(),
            Finding::Unsubstantiated => "经现场核查，未发现反映的情况。".to_owned(),
        }),
        actions_taken: (finding != Finding::Unsubstantiated)
            .then(|| "已责令相关单位立即整改，并安排复查。".to_owned()),
        photos,
        precision: Precision::Street,
    }
}

/// The words for a category's kind of problem, as the demo's replies and
/// public records use them.
pub fn category_words(code: &str) -> &'static str {
    match code.split('_').next() {
        Some("noise") => "噪声扰民",
        Some("water") => "水体污染",
        Some("dust") => "扬尘污染",
        Some("burning") => "露天焚烧",
        Some("cooking") => "餐饮油烟",
        _ => "异味",
    }
}

/// Takes one staff or reporter step on a filed case and answers the steps
/// that follow it, with their delays.
#[allow(clippy::too_many_arguments)]
async fn take(
    cases: &Cases<'_>,
    staff: &mut Staff,
    db: &DatabaseConnection,
    p: &Planned,
    f: &Filed,
    step: Step,
    clock: &Clock,
    parts: &Parts<'_>,
) -> anyhow::Result<Vec<(Duration, Step)>> {
    let now = clock.now();
    let c = case::Entity::find()
        .filter(case::Column::Code.eq(f.code.as_str()))
        .one(db)
        .await?
        .context("a filed demo case")?;
    let Course::Handled(h) = &p.course else {
        let reason = "不属于生态环境投诉举报受理范围，已告知向相关部门反映。".to_owned();
        act(cases, &staff.dispatcher, f, CaseAction::Reject { reason }).await?;
        return Ok(Vec::new());
    };
    let department = c.department_id.context("a routed demo case")?;
    let handler = staff.handler(db, department, now).await?;
    let day = Duration::days(1);
    let after_close = |reapproved: bool| {
        let mut next = Vec::new();
        if !reapproved && let Some(after) = h.contest_after {
            next.push((after, Step::Contest));
            return next;
        }
        if let Some(after) = h.disclose_after {
            next.push((after, Step::Disclose));
        }
        if let Some(r) = h.reward {
            next.push((r[0], Step::Propose));
        }
        if let Some((after, _)) = h.rating {
            next.push((after, Step::Rate));
        }
        next
    };
    Ok(match step {
        Step::Accept => {
            act(cases, &handler, f, CaseAction::Accept { note: None }).await?;
            vec![(h.assign_after, Step::Assign)]
        }
        Step::Assign => {
            let assignee = handler.username.clone();
            act(cases, &staff.dispatcher, f, CaseAction::Assign { assignee }).await?;
            let mut next = vec![(h.draft_after, Step::Draft)];
            if let Some((after, _)) = h.extension
                && after < h.draft_after
            {
                next.push((after, Step::Extend));
            }
            next
        }
        Step::Extend => {
            let days = h.extension.map(|e| e.1).unwrap_or(15);
            let reason = "需等待第三方监测报告".to_owned();
            act(cases, &handler, f, CaseAction::Extend { days, reason }).await?;
            Vec::new()
        }
        Step::Draft => {
            let reply = format!(
                "您好，您反映的{}问题（{}），我单位已组织现场核查并依法处理。感谢您的监督。",
                category_words(p.category),
                f.code
            );
            let actions_taken = Some("现场检查，责令整改".to_owned());
            act(
                cases,
                &handler,
                f,
                CaseAction::DraftReply {
                    finding: h.finding,
                    reply,
                    actions_taken,
                },
            )
            .await?;
            // A returned draft comes back once (the second time it is not
            // returned again: its `Return` already happened).
            let returned_before = c.reply_drafted_by.is_some();
            if h.returned && !returned_before {
                vec![(h.approve_after, Step::Return)]
            } else {
                vec![(h.approve_after, Step::Approve)]
            }
        }
        Step::Return => {
            let reason = "请补充现场核查时间和整改要求".to_owned();
            act(
                cases,
                &staff.reviewer,
                f,
                CaseAction::ReturnReply { reason },
            )
            .await?;
            vec![(day * 3, Step::Draft)]
        }
        Step::Approve => {
            act(
                cases,
                &staff.reviewer,
                f,
                CaseAction::ApproveReply { note: None },
            )
            .await?;
            after_close(c.contested)
        }
        Step::Contest => {
            let reason = "问题没有解决，晚上仍然存在".to_owned();
            reporter_action(
                db,
                parts.pii,
                &f.code,
                &f.secret,
                ReporterAction::Contest { reason },
                &parts.deadlines,
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo contest of {}: {e}", f.code))?;
            vec![(day * 4, Step::Approve)]
        }
        Step::Disclose => {
            let photos: Vec<i64> = photo::Entity::find()
                .filter(photo::Column::CaseId.eq(c.id))
                .all(db)
                .await?
                .into_iter()
                .map(|ph| ph.id)
                .collect();
            let d = disclosure(p, photos);
            act(cases, &staff.reviewer, f, CaseAction::Disclose(d)).await?;
            Vec::new()
        }
        Step::Propose => {
            let proposal = CaseAction::ProposeReward {
                tier: "tier_500".to_owned(),
                amount_fen: 50_000,
                basis: "举报线索具体，经查属实".to_owned(),
                penalty_decision: None,
                fine_fen: None,
                target: None,
            };
            // A reporter excluded from rewards, or a case that turns out not
            // to qualify, is refused like any proposal: the demo goes on.
            if act(cases, &handler, f, proposal).await.is_err() {
                return Ok(Vec::new());
            }
            h.reward
                .map(|r| vec![(r[1], Step::ApproveReward)])
                .unwrap_or_default()
        }
        Step::ApproveReward => {
            act(
                cases,
                &staff.reward_reviewer,
                f,
                CaseAction::ApproveReward { note: None },
            )
            .await?;
            h.reward
                .map(|r| vec![(r[2], Step::Claim)])
                .unwrap_or_default()
        }
        Step::Claim => {
            let payout_account = "6222 0200 0000 0000 000".to_owned();
            reporter_action(
                db,
                parts.pii,
                &f.code,
                &f.secret,
                ReporterAction::ClaimReward { payout_account },
                &parts.deadlines,
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo claim on {} at {now}: {e}", f.code))?;
            h.reward
                .map(|r| vec![(r[3], Step::Pay)])
                .unwrap_or_default()
        }
        Step::Pay => {
            let payment_reference = format!("BN-PAY-{}", c.id);
            act(
                cases,
                &staff.finance,
                f,
                CaseAction::PayReward {
                    payment_reference,
                    amount_fen: 50_000,
                },
            )
            .await?;
            Vec::new()
        }
        Step::Rate => {
            let Some((_, rating)) = h.rating else {
                return Ok(Vec::new());
            };
            let comment = (rating == shared::followup::Rating::Dissatisfied)
                .then(|| "处理后没多久又出现了".to_owned());
            reporter_action(
                db,
                parts.pii,
                &f.code,
                &f.secret,
                ReporterAction::Rate { rating, comment },
                &parts.deadlines,
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo rating of {}: {e}", f.code))?;
            Vec::new()
        }
        Step::Submit | Step::Reject => Vec::new(),
    })
}

async fn act(
    cases: &Cases<'_>,
    who: &StaffUser,
    f: &Filed,
    action: CaseAction,
) -> anyhow::Result<()> {
    let name = action.kind().as_str();
    cases
        .act_on(
            who,
            &f.code,
            ActionRequest {
                action,
                version: None,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo {name} on {} by {}: {e}", f.code, who.username))?;
    Ok(())
}
