//! A year of a district's complaints, invented (演示数据): what residents
//! report, where, when, and how each case goes on afterwards. Pure and
//! seeded, so a run can be repeated; `demo::cases` drives each case
//! through the real services.
//!
//! The shapes follow what Banan's plan and the 12369 statistics describe,
//! roughly: straw burning in the harvest and planting months (Mar–Apr,
//! Aug–Oct), construction noise all year and worse at night and in the
//! 高考/中考 weeks of June, dust in the dry winter (Nov–Mar), black and
//! odorous water and fumes in the hot months. The eight 街道 hold most
//! people, so they send about three times the reports of a 镇. A quarter of
//! the reports come from a few dozen repeat sites — the same restaurant, the
//! same building site — as real complaints do.

use crate::directory::calendar;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::case::Finding;
use shared::geo::{self, LatLon};
use shared::report::Channel;

/// A category, how often it comes in each month (Jan…Dec, relative), and
/// when in the day.
struct Kind {
    code: &'static str,
    months: [u8; 12],
    hours: Hours,
    texts: &'static [&'static str],
}

#[derive(Clone, Copy)]
enum Hours {
    Day,
    Night,
    Evening,
}

const KINDS: &[Kind] = &[
    Kind {
        code: "noise_construction",
        months: [6, 6, 8, 9, 9, 12, 9, 9, 9, 9, 8, 7],
        hours: Hours::Day,
        texts: &[
            "小区旁边工地一直在用破碎锤，噪声非常大。",
            "工地早上六点多就开始施工，吵得没法休息。",
        ],
    },
    Kind {
        code: "noise_construction_night",
        months: [5, 4, 7, 8, 9, 14, 9, 8, 8, 8, 7, 6],
        hours: Hours::Night,
        texts: &[
            "晚上十一点多工地还在打桩施工，影响休息。",
            "深夜混凝土罐车和泵车作业，噪声扰民，孩子马上要考试。",
        ],
    },
    Kind {
        code: "noise_social",
        months: [5, 6, 5, 5, 6, 8, 8, 7, 6, 5, 5, 6],
        hours: Hours::Evening,
        texts: &["广场舞音响开得很大，每天晚上到九点半以后。"],
    },
    Kind {
        code: "noise_traffic",
        months: [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
        hours: Hours::Night,
        texts: &["夜间大货车在路口频繁鸣笛。"],
    },
    Kind {
        code: "noise_industrial",
        months: [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
        hours: Hours::Night,
        texts: &["厂房里的风机整夜运行，低频噪声很明显。"],
    },
    Kind {
        code: "burning_straw",
        months: [1, 2, 9, 8, 2, 2, 2, 9, 12, 8, 2, 1],
        hours: Hours::Day,
        texts: &[
            "田里有人焚烧秸秆，浓烟很大。",
            "河边有人烧稻草，烟飘到了小区里。",
        ],
    },
    Kind {
        code: "burning_rubbish",
        months: [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4],
        hours: Hours::Evening,
        texts: &["空地上有人露天焚烧垃圾，有塑料烧焦的味道。"],
    },
    Kind {
        code: "dust_construction",
        months: [9, 8, 7, 5, 4, 3, 3, 3, 4, 5, 8, 9],
        hours: Hours::Day,
        texts: &["工地裸土没有覆盖，刮风时扬尘很大。"],
    },
    Kind {
        code: "dust_road",
        months: [8, 8, 6, 4, 3, 3, 3, 3, 3, 4, 7, 8],
        hours: Hours::Day,
        texts: &["渣土车没有密闭，一路撒落，道路扬尘严重。"],
    },
    Kind {
        code: "cooking_fumes",
        months: [5, 5, 5, 6, 8, 9, 10, 10, 8, 6, 5, 5],
        hours: Hours::Evening,
        texts: &[
            "楼下烧烤店油烟直排，窗户都不敢开。",
            "餐馆排烟管道对着住户窗户，油烟味很重。",
        ],
    },
    Kind {
        code: "water_black_odorous",
        months: [2, 2, 3, 4, 6, 8, 9, 9, 6, 4, 3, 2],
        hours: Hours::Day,
        texts: &["小河沟发黑发臭，夏天味道特别大。"],
    },
    Kind {
        code: "water_outfall",
        months: [2, 2, 3, 4, 6, 7, 7, 7, 5, 4, 3, 2],
        hours: Hours::Day,
        texts: &["排口往长江里排浑浊的污水，颜色发白。"],
    },
    Kind {
        code: "odour",
        months: [3, 3, 3, 4, 5, 7, 8, 8, 6, 4, 3, 3],
        hours: Hours::Evening,
        texts: &["晚上闻到很刺鼻的化工异味，不知道从哪里来的。"],
    },
    // Kinds the plan names that come in more rarely.
    Kind {
        code: "noise_equipment",
        months: [1, 1, 1, 2, 3, 5, 6, 6, 3, 2, 1, 1],
        hours: Hours::Night,
        texts: &["商场楼顶的冷却塔整夜轰鸣，关窗也能听见。"],
    },
    Kind {
        code: "waste_dumping",
        months: [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
        hours: Hours::Night,
        texts: &["半夜有货车往河滩倾倒建筑垃圾。"],
    },
    Kind {
        code: "water_hidden_pipe",
        months: [1, 1, 1, 2, 3, 3, 3, 3, 2, 1, 1, 1],
        hours: Hours::Night,
        texts: &["下雨天厂区围墙下的暗管往沟里排黄色污水。"],
    },
    Kind {
        code: "air_vocs_boiler",
        months: [2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 2, 2],
        hours: Hours::Day,
        texts: &["汽修厂喷漆房没有废气处理，油漆味很冲。"],
    },
    Kind {
        code: "ecology_fishing_ban",
        months: [1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1],
        hours: Hours::Night,
        texts: &["晚上有人在长江边用电瓶电鱼。"],
    },
];

/// A 街道 or 镇 to place reports in: its polygons (lon, lat rings), its
/// bounding box, and how many people's worth of reports it sends.
pub struct Place {
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
    pub bbox: [f64; 4],
    pub weight: u32,
}

impl Place {
    /// From a GeoJSON geometry and its bounding box; a 街道 weighs three 镇.
    pub fn new(geometry: &str, bbox: [f64; 4], jiedao: bool) -> Place {
        let polygons = crate::directory::geo::polygons(geometry);
        Place {
            polygons,
            bbox,
            weight: if jiedao { 3 } else { 1 },
        }
    }

    /// A point inside, by trying points of the box (its centre if none hits).
    fn point(&self, rng: &mut StdRng) -> LatLon {
        let [min_lon, min_lat, max_lon, max_lat] = self.bbox;
        for _ in 0..60 {
            let p = LatLon {
                lat: rng.gen_range(min_lat..=max_lat),
                lon: rng.gen_range(min_lon..=max_lon),
            };
            if self.polygons.iter().any(|rings| geo::in_polygon(p, rings)) {
                return p;
            }
        }
        LatLon {
            lat: (min_lat + max_lat) / 2.0,
            lon: (min_lon + max_lon) / 2.0,
        }
    }
}

/// How a case goes on after it is filed: each step's delay after the one
/// before. A step that would fall after "now" has not happened yet, so a
/// year of cases ends with realistic open work at every stage.
#[derive(Debug, Clone, PartialEq)]
pub enum Course {
    /// Refused (不予受理) after this long.
    Rejected {
        after: Duration,
    },
    Handled(Box<Handling>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Handling {
    pub accept_after: Duration,
    pub assign_after: Duration,
    /// Extended once (延期) this long after assignment, by this many days.
    pub extension: Option<(Duration, i64)>,
    pub draft_after: Duration,
    pub finding: Finding,
    /// The reviewer sends the first draft back once.
    pub returned: bool,
    pub approve_after: Duration,
    /// The reporter contests the reply (异议) this long after it.
    pub contest_after: Option<Duration>,
    /// Published (公开) this long after closing.
    pub disclose_after: Option<Duration>,
    /// Rewarded: proposed after closing, approved, claimed, paid.
    pub reward: Option<[Duration; 4]>,
    /// 回访: the reporter rates the outcome this long after closing.
    pub rating: Option<(Duration, shared::followup::Rating)>,
}

/// One invented report and its course.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub category: &'static str,
    pub at: DateTime<Utc>,
    pub point: LatLon,
    /// The index in `places` of the place it was drawn in (a repeat site's
    /// report may stray a few metres outside it, over a boundary).
    pub place: usize,
    pub description: String,
    /// A real name and phone (实名) were given.
    pub named: Option<(String, String)>,
    pub photo: bool,
    /// The road it came in by (受理渠道): most by the web form, many by the
    /// hotlines, a few by letter, visit, the 12345 platform or inspection.
    pub channel: Channel,
    pub course: Course,
}

/// How often each road brings a report, in [`Channel::ALL`]'s order.
const CHANNEL_WEIGHTS: [u32; 8] = [62, 6, 14, 8, 2, 2, 4, 2];

fn hours(rng: &mut StdRng, from: f64, to: f64) -> Duration {
    Duration::minutes((rng.gen_range(from..to) * 60.0) as i64)
}

fn days(rng: &mut StdRng, from: f64, to: f64) -> Duration {
    hours(rng, from * 24.0, to * 24.0)
}

/// Picks an index by weight.
fn weighted(rng: &mut StdRng, weights: impl Iterator<Item = u32> + Clone) -> usize {
    let total: u32 = weights.clone().sum();
    let mut pick = rng.gen_range(0..total.max(1));
    for (i, w) in weights.enumerate() {
        if pick < w {
            return i;
        }
        pick -= w;
    }
    0
}

const SURNAMES: [&str; 10] = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"];

/// `n` reports over the year before `end`, oldest first.
pub fn plan(n: usize, seed: u64, end: DateTime<Utc>, places: &[Place]) -> Vec<Planned> {
    let mut rng = StdRng::seed_from_u64(seed);
    if places.is_empty() {
        return Vec::new();
    }
    // Repeat sites: a fixed point and category each.
    let sites: Vec<(usize, usize, LatLon)> = (0..(n / 60).clamp(3, 40))
        .map(|_| {
            let place = weighted(&mut rng, places.iter().map(|p| p.weight));
            let kind = rng.gen_range(0..KINDS.len());
            (place, kind, places[place].point(&mut rng))
        })
        .collect();
    let start = end - Duration::days(365);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        // A day of the year weighted by its month, then an hour by kind.
        let (kind, place, point) = if rng.gen_bool(0.25) {
            let (place, k, at) = sites[rng.gen_range(0..sites.len())];
            // Within about 50 m of the site.
            let mut jitter = || rng.gen_range(-0.0004..0.0004);
            let p = LatLon {
                lat: at.lat + jitter(),
                lon: at.lon + jitter(),
            };
            (&KINDS[k], place, p)
        } else {
            let place = weighted(&mut rng, places.iter().map(|p| p.weight));
            let k = weighted(
                &mut rng,
                KINDS
                    .iter()
                    .map(|k| k.months.iter().map(|m| u32::from(*m)).sum()),
            );
            (&KINDS[k], place, places[place].point(&mut rng))
        };
        let day = loop {
            let d = start + Duration::days(rng.gen_range(0..365));
            let month = d.month0() as usize;
            if rng.gen_range(0..14) < kind.months[month] {
                break d;
            }
        };
        let hour = match kind.hours {
            Hours::Day => rng.gen_range(8..18),
            Hours::Evening => rng.gen_range(18..23),
            Hours::Night => [22, 23, 0, 1, 2, 5][rng.gen_range(0..6)],
        };
        let local = day.date_naive().and_hms_opt(hour, rng.gen_range(0..60), 0);
        let at = local
            .map(calendar::from_local)
            .unwrap_or(day)
            .min(end - Duration::minutes(5));
        let named = rng.gen_bool(0.3).then(|| {
            (
                format!("{}先生", SURNAMES[rng.gen_range(0..SURNAMES.len())]),
                format!("139{:08}", rng.gen_range(0..100_000_000u32)),
            )
        });
        let course = if rng.gen_bool(0.08) {
            Course::Rejected {
                after: hours(&mut rng, 2.0, 72.0),
            }
        } else {
            let finding = match rng.gen_range(0..10) {
                0..=5 => Finding::Substantiated,
                6..=7 => Finding::PartlySubstantiated,
                _ => Finding::Unsubstantiated,
            };
            let substantiated = finding != Finding::Unsubstantiated;
            Course::Handled(Box::new(Handling {
                // A few departments are slow to accept: past 15 days.
                accept_after: if rng.gen_bool(0.04) {
                    days(&mut rng, 15.5, 19.0)
                } else {
                    hours(&mut rng, 2.0, 96.0)
                },
                assign_after: hours(&mut rng, 1.0, 48.0),
                extension: rng
                    .gen_bool(0.1)
                    .then(|| (days(&mut rng, 15.0, 30.0), rng.gen_range(10..=30))),
                // Some replies come after the 60-day deadline.
                draft_after: days(&mut rng, 3.0, 62.0),
                finding,
                returned: rng.gen_bool(0.1),
                approve_after: days(&mut rng, 0.5, 4.0),
                contest_after: rng.gen_bool(0.04).then(|| days(&mut rng, 1.0, 12.0)),
                disclose_after: rng.gen_bool(0.35).then(|| days(&mut rng, 1.0, 7.0)),
                reward: (named.is_some() && substantiated && rng.gen_bool(0.4)).then(|| {
                    [
                        days(&mut rng, 2.0, 10.0),
                        days(&mut rng, 1.0, 5.0),
                        days(&mut rng, 1.0, 20.0),
                        days(&mut rng, 1.0, 10.0),
                    ]
                }),
                // About half answer; most are satisfied, some not at all.
                rating: rng.gen_bool(0.55).then(|| {
                    use shared::followup::Rating;
                    let rating = match rng.gen_range(0..10) {
                        0 => Rating::Dissatisfied,
                        1 | 2 => Rating::BasicallySatisfied,
                        _ => Rating::Satisfied,
                    };
                    (days(&mut rng, 0.5, 6.0), rating)
                }),
            }))
        };
        out.push(Planned {
            category: kind.code,
            at,
            point,
            place,
            description: kind.texts[rng.gen_range(0..kind.texts.len())].to_owned(),
            named,
            photo: rng.gen_bool(0.25),
            channel: Channel::ALL[weighted(&mut rng, CHANNEL_WEIGHTS.into_iter())],
            course,
        });
    }
    out.sort_by_key(|p| p.at);
    out
}

/// The hour of a time in Chongqing.
pub fn local_hour(t: DateTime<Utc>) -> u32 {
    calendar::local(t).hour()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn square() -> Vec<Place> {
        let geometry = r#"{"type":"Polygon","coordinates":[[[106.5,29.3],[106.6,29.3],[106.6,29.4],[106.5,29.4],[106.5,29.3]]]}"#;
        vec![Place::new(geometry, [106.5, 29.3, 106.6, 29.4], true)]
    }

    #[test]
    fn a_plan_is_seeded_inside_its_places_and_within_the_year() {
        let end = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let a = plan(500, 7, end, &square());
        assert_eq!(
            a,
            plan(500, 7, end, &square()),
            "the same seed, the same year"
        );
        assert_eq!(a.len(), 500);
        assert!(a.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(
            a.iter()
                .all(|p| p.at < end && p.at >= end - Duration::days(366))
        );
        assert!(a.iter().all(|p| (29.29..29.41).contains(&p.point.lat)));
        assert!(a.iter().all(|p| p.place == 0), "one place, drawn in it");
        let rejected = a
            .iter()
            .filter(|p| matches!(p.course, Course::Rejected { .. }))
            .count();
        assert!(
            (15..80).contains(&rejected),
            "about 8 % refused: {rejected}"
        );
        assert!(
            a.iter()
                .any(|p| matches!(&p.course, Course::Handled(h) if h.reward.is_some()))
        );
    }

    #[test]
    fn straw_burns_in_the_harvest_months_and_night_noise_at_night() {
        let end = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let a = plan(3000, 1, end, &square());
        let burning: Vec<u32> = a
            .iter()
            .filter(|p| p.category == "burning_straw")
            .map(|p| calendar::local(p.at).month())
            .collect();
        let harvest = burning
            .iter()
            .filter(|m| [3, 4, 8, 9, 10].contains(*m))
            .count();
        assert!(
            harvest * 10 > burning.len() * 7,
            "{harvest} of {} in the harvest and planting months",
            burning.len()
        );
        assert!(
            a.iter()
                .filter(|p| p.category == "noise_construction_night")
                .all(|p| { matches!(local_hour(p.at), 22 | 23 | 0 | 1 | 2 | 5) })
        );
    }
}
