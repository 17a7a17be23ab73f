//! The statistics' counts without reading the cases: the tally the
//! database keeps by triggers (migration 000024), one row of +1 or −1 per
//! case coming to count under a figure's key or ceasing to. Reading them
//! is a sum over a few hundred rows, at 1,000 cases as at 1,000,000.

use crate::db::entities::case_figure;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QuerySelect};
use std::collections::BTreeMap;

/// What the tally counts, each under its key (the migration's `FIGURES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Figure {
    /// Every case, by category id.
    Category,
    /// Every case, by area id (empty: outside every area).
    Area,
    /// Every case, by channel.
    Channel,
    /// Every case, by the month it was reported in, Chongqing time (`2026-12`).
    Month,
    /// Closed or refused cases with a closing time, by department id.
    Closed,
    /// Those of them closed by their deadline, by department id.
    OnTime,
    /// Closed cases, by finding.
    Finding,
    /// Closed cases with a reply, by department id.
    Replied,
}

impl Figure {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "category" => Self::Category,
            "area" => Self::Area,
            "channel" => Self::Channel,
            "month" => Self::Month,
            "closed" => Self::Closed,
            "on_time" => Self::OnTime,
            "finding" => Self::Finding,
            "replied" => Self::Replied,
            _ => return None,
        })
    }
}

/// The tally as it stands, summed.
#[derive(Debug, Default)]
pub struct Figures(BTreeMap<Figure, BTreeMap<String, u64>>);

impl Figures {
    pub async fn read(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let rows: Vec<(String, String, Option<i64>)> = case_figure::Entity::find()
            .select_only()
            .column(case_figure::Column::Figure)
            .column(case_figure::Column::Key)
            // PostgreSQL sums a bigint as numeric: back to bigint for the driver.
            .column_as(Expr::cust("CAST(SUM(n) AS BIGINT)"), "n")
            .group_by(case_figure::Column::Figure)
            .group_by(case_figure::Column::Key)
            .into_tuple()
            .all(db)
            .await?;
        let mut figures = Self::default();
        for (figure, key, n) in rows {
            let (Some(figure), Some(n)) = (Figure::parse(&figure), n) else {
                continue;
            };
            match u64::try_from(n) {
                Ok(0) => {}
                Ok(n) => {
                    figures.0.entry(figure).or_default().insert(key, n);
                }
                // Only a bug in the triggers could take a sum below zero:
                // not a count to publish, but one to hear about.
                Err(_) => tracing::warn!(?figure, n, "the statistics' tally went below zero"),
            }
        }
        Ok(figures)
    }

    /// The keys `figure` counts something under, with their counts.
    pub fn of(&self, figure: Figure) -> impl Iterator<Item = (&str, u64)> {
        self.0
            .get(&figure)
            .into_iter()
            .flatten()
            .map(|(key, n)| (key.as_str(), *n))
    }

    /// The keys that are ids (empty for none), with their counts.
    pub fn by_id(&self, figure: Figure) -> impl Iterator<Item = (Option<i64>, u64)> {
        self.of(figure).map(|(key, n)| (key.parse().ok(), n))
    }

    /// How many under `key`.
    pub fn get(&self, figure: Figure, key: &str) -> u64 {
        self.0
            .get(&figure)
            .and_then(|keys| keys.get(key))
            .copied()
            .unwrap_or(0)
    }
}

/// Folds the tally into one row per (figure, key) (`crate::db::tally::fold`).
pub async fn compact(db: &sea_orm::DatabaseConnection) -> Result<(), DbErr> {
    crate::db::tally::fold(db, "case_figures", "figure, key").await
}
