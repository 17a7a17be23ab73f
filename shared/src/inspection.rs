//! Site inspections (现场检查): who went, when and where, what they found,
//! and what they measured against which limit. The limits are the national
//! standards' own tables, so "over the limit by X" is computed, never typed.

use serde::{Deserialize, Serialize};

/// What was measured, each in its one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MeasurementKind {
    /// Equivalent continuous A-weighted sound level, Leq, dB(A).
    NoiseLeq,
    /// Cooking-fume concentration (油烟), mg/m³.
    CookingFume,
    /// Chemical oxygen demand (化学需氧量), mg/L.
    Cod,
    /// Ammonia nitrogen (氨氮), mg/L.
    AmmoniaNitrogen,
    /// pH, no unit.
    Ph,
    /// Particulate matter in an exhaust (颗粒物), mg/m³.
    Particulates,
}

impl MeasurementKind {
    pub const ALL: [MeasurementKind; 6] = [
        MeasurementKind::NoiseLeq,
        MeasurementKind::CookingFume,
        MeasurementKind::Cod,
        MeasurementKind::AmmoniaNitrogen,
        MeasurementKind::Ph,
        MeasurementKind::Particulates,
    ];

    pub fn unit(self) -> &'static str {
        match self {
            MeasurementKind::NoiseLeq => "dB(A)",
            MeasurementKind::CookingFume | MeasurementKind::Particulates => "mg/m3",
            MeasurementKind::Cod | MeasurementKind::AmmoniaNitrogen => "mg/L",
            MeasurementKind::Ph => "pH",
        }
    }

    /// Values an instrument can give; anything else is a typing error.
    pub fn plausible(self) -> std::ops::RangeInclusive<f64> {
        match self {
            MeasurementKind::NoiseLeq => 0.0..=160.0,
            MeasurementKind::CookingFume => 0.0..=500.0,
            MeasurementKind::Cod => 0.0..=100_000.0,
            MeasurementKind::AmmoniaNitrogen => 0.0..=10_000.0,
            MeasurementKind::Ph => 0.0..=14.0,
            MeasurementKind::Particulates => 0.0..=100_000.0,
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            MeasurementKind::NoiseLeq => "等效声级",
            MeasurementKind::CookingFume => "油烟浓度",
            MeasurementKind::Cod => "化学需氧量",
            MeasurementKind::AmmoniaNitrogen => "氨氮",
            MeasurementKind::Ph => "pH 值",
            MeasurementKind::Particulates => "颗粒物",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            MeasurementKind::NoiseLeq => "Noise Leq",
            MeasurementKind::CookingFume => "Cooking fume",
            MeasurementKind::Cod => "COD",
            MeasurementKind::AmmoniaNitrogen => "Ammonia nitrogen",
            MeasurementKind::Ph => "pH",
            MeasurementKind::Particulates => "Particulates",
        }
    }
}

/// The standards Shanshui knows the limits of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Standard {
    /// 声环境质量标准, by functional zone (0, 1, 2, 3, 4a, 4b) and period.
    #[serde(rename = "GB 3096-2008")]
    Gb3096,
    /// 工业企业厂界环境噪声排放标准, by zone (0–4) and period.
    #[serde(rename = "GB 12348-2008")]
    Gb12348,
    /// 社会生活环境噪声排放标准 (equipment: cooling towers, pumps, air
    /// conditioners), by zone (0–4) and period.
    #[serde(rename = "GB 22337-2008")]
    Gb22337,
    /// 建筑施工场界环境噪声排放标准, by period.
    #[serde(rename = "GB 12523-2011")]
    Gb12523,
    /// 饮食业油烟排放标准.
    #[serde(rename = "GB 18483-2001")]
    Gb18483,
    /// 污水综合排放标准, by class (1, 2, 3).
    #[serde(rename = "GB 8978-1996")]
    Gb8978,
    /// 大气污染物综合排放标准 (new sources).
    #[serde(rename = "GB 16297-1996")]
    Gb16297,
}

impl Standard {
    pub const ALL: [Standard; 7] = [
        Standard::Gb3096,
        Standard::Gb12348,
        Standard::Gb22337,
        Standard::Gb12523,
        Standard::Gb18483,
        Standard::Gb8978,
        Standard::Gb16297,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Standard::Gb3096 => "GB 3096-2008",
            Standard::Gb12348 => "GB 12348-2008",
            Standard::Gb22337 => "GB 22337-2008",
            Standard::Gb12523 => "GB 12523-2011",
            Standard::Gb18483 => "GB 18483-2001",
            Standard::Gb8978 => "GB 8978-1996",
            Standard::Gb16297 => "GB 16297-1996",
        }
    }
}

/// Day (06:00–22:00) or night (22:00–06:00), as the noise standards divide it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Night,
}

/// A limit: at most `max`, or (pH) between `min` and `max`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Limit {
    pub min: Option<f64>,
    pub max: f64,
}

impl Limit {
    /// How far `value` is outside the limit, if it is (0 is within).
    pub fn over_by(&self, value: f64) -> Option<f64> {
        if value > self.max {
            return Some(round2(value - self.max));
        }
        match self.min {
            Some(min) if value < min => Some(round2(min - value)),
            _ => None,
        }
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Why no limit applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitError {
    /// The standard does not set a limit for what was measured.
    NotCovered,
    /// The standard needs a zone or class that was not given, or not one of its own.
    Zone(&'static str),
    /// The noise standards need day or night.
    Period,
}

impl std::fmt::Display for LimitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LimitError::NotCovered => {
                f.write_str("this standard sets no limit for what was measured")
            }
            LimitError::Zone(which) => write!(f, "give the {which}"),
            LimitError::Period => f.write_str("give the period: day or night"),
        }
    }
}

/// The limit `standard` sets for `kind`, in the zone (or class) and period
/// given: the standards' own tables.
pub fn limit(
    kind: MeasurementKind,
    standard: Standard,
    zone: Option<&str>,
    period: Option<Period>,
) -> Result<Limit, LimitError> {
    use MeasurementKind as K;
    use Standard as S;
    let at_most = |max: f64| Ok(Limit { min: None, max });
    let by_period = |day: f64, night: f64| match period {
        Some(Period::Day) => at_most(day),
        Some(Period::Night) => at_most(night),
        None => Err(LimitError::Period),
    };
    match (kind, standard) {
        (K::NoiseLeq, S::Gb3096) => match zone.map(str::trim) {
            Some("0") => by_period(50.0, 40.0),
            Some("1") => by_period(55.0, 45.0),
            Some("2") => by_period(60.0, 50.0),
            Some("3") => by_period(65.0, 55.0),
            Some("4a") => by_period(70.0, 55.0),
            Some("4b") => by_period(70.0, 60.0),
            _ => Err(LimitError::Zone("functional zone: 0, 1, 2, 3, 4a or 4b")),
        },
        (K::NoiseLeq, S::Gb12348 | S::Gb22337) => match zone.map(str::trim) {
            Some("0") => by_period(50.0, 40.0),
            Some("1") => by_period(55.0, 45.0),
            Some("2") => by_period(60.0, 50.0),
            Some("3") => by_period(65.0, 55.0),
            Some("4") => by_period(70.0, 55.0),
            _ => Err(LimitError::Zone("functional zone: 0, 1, 2, 3 or 4")),
        },
        (K::NoiseLeq, S::Gb12523) => by_period(70.0, 55.0),
        (K::CookingFume, S::Gb18483) => at_most(2.0),
        (K::Cod, S::Gb8978) => match zone.map(str::trim) {
            Some("1") => at_most(100.0),
            Some("2") => at_most(150.0),
            Some("3") => at_most(500.0),
            _ => Err(LimitError::Zone("class: 1, 2 or 3")),
        },
        (K::AmmoniaNitrogen, S::Gb8978) => match zone.map(str::trim) {
            Some("1") => at_most(15.0),
            Some("2") => at_most(25.0),
            // Class 3 sets no ammonia limit.
            _ => Err(LimitError::Zone("class: 1 or 2")),
        },
        (K::Ph, S::Gb8978) => Ok(Limit {
            min: Some(6.0),
            max: 9.0,
        }),
        (K::Particulates, S::Gb16297) => at_most(120.0),
        _ => Err(LimitError::NotCovered),
    }
}

/// One officer (执法人员) on an inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Officer {
    pub name: String,
    /// 执法证号.
    pub badge: String,
}

/// A measurement as the inspector typed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeasurementInput {
    pub kind: MeasurementKind,
    pub value: f64,
    /// Must be the kind's unit (`dB(A)`, `mg/m3`, `mg/L`, `pH`).
    pub unit: String,
    pub standard: Standard,
    /// The functional zone (noise) or class (wastewater), where the
    /// standard needs one.
    #[serde(default)]
    pub zone: Option<String>,
    /// Day or night, for the noise standards.
    #[serde(default)]
    pub period: Option<Period>,
}

/// A measurement with its limit and how far over it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Measurement {
    pub kind: MeasurementKind,
    pub value: f64,
    pub unit: String,
    pub standard: Standard,
    pub zone: Option<String>,
    pub period: Option<Period>,
    pub limit: Limit,
    /// 超标: how far outside the limit, in the unit; none when within.
    pub over_by: Option<f64>,
}

/// `record_inspection`: a site inspection (现场检查).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectionInput {
    /// When, RFC 3339.
    pub inspected_at: String,
    /// Where: the site as found (an address, a landmark).
    pub place: String,
    /// At least two officers with their badge numbers (执法人员不少于两人).
    pub officers: Vec<Officer>,
    /// What was found (检查情况).
    pub found: String,
    #[serde(default)]
    pub measurements: Vec<MeasurementInput>,
}

/// An inspection as staff read it on the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inspection {
    /// To attach photos and documents to it (`POST
    /// /api/v1/cases/{code}/evidence`, `inspection`).
    #[serde(default)]
    pub id: i64,
    pub inspected_at: String,
    pub place: String,
    pub officers: Vec<Officer>,
    pub found: String,
    pub measurements: Vec<Measurement>,
    pub recorded_by: String,
    pub recorded_at: String,
    /// Photos taken on site (never published).
    #[serde(default)]
    pub photos: Vec<crate::evidence::InspectionPhoto>,
    /// Documents of the inspection, e.g. the 现场检查笔录 scanned.
    #[serde(default)]
    pub documents: Vec<crate::evidence::EvidenceDocument>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_are_the_standards_tables_and_the_excess_is_computed() {
        use MeasurementKind as K;
        use Standard as S;
        let night = Some(Period::Night);
        let l = limit(K::NoiseLeq, S::Gb12523, None, night).unwrap();
        assert_eq!(l.max, 55.0);
        assert_eq!(l.over_by(68.4), Some(13.4));
        assert_eq!(l.over_by(55.0), None);
        assert_eq!(
            limit(K::NoiseLeq, S::Gb3096, Some("4a"), night)
                .unwrap()
                .max,
            55.0
        );
        assert_eq!(
            limit(K::NoiseLeq, S::Gb3096, Some("1"), Some(Period::Day))
                .unwrap()
                .max,
            55.0
        );
        assert_eq!(
            limit(K::NoiseLeq, S::Gb3096, Some("5"), night),
            Err(LimitError::Zone("functional zone: 0, 1, 2, 3, 4a or 4b"))
        );
        assert_eq!(
            limit(K::NoiseLeq, S::Gb12523, None, None),
            Err(LimitError::Period)
        );
        let fume = limit(K::CookingFume, S::Gb18483, None, None).unwrap();
        assert_eq!(fume.over_by(3.25), Some(1.25));
        let ph = limit(K::Ph, S::Gb8978, None, None).unwrap();
        assert_eq!(
            (ph.over_by(5.5), ph.over_by(7.0), ph.over_by(10.0)),
            (Some(0.5), None, Some(1.0))
        );
        assert_eq!(
            limit(K::CookingFume, S::Gb12523, None, night),
            Err(LimitError::NotCovered)
        );
        assert_eq!(
            limit(K::AmmoniaNitrogen, S::Gb8978, Some("3"), None),
            Err(LimitError::Zone("class: 1 or 2"))
        );
    }
}
