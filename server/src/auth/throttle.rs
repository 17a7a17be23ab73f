//! Sign-in throttling (登录限速): how many wrong passwords a client may try
//! on an account, and how fast.
//!
//! The old rule, "ten failures lock the account for 15 minutes", let any
//! stranger keep an admin out: ten guesses from anywhere locked the owner
//! out everywhere. Now failures are counted per account in *lanes*, so
//! one client's guesses slow that client down and not the owner:
//!
//! - a **client lane** per client address (an IPv4 address or an IPv6 /64,
//!   see [`crate::middleware::rate_limit::client_key`]), or per recognised
//!   device (a browser holding a device cookie from an earlier successful
//!   sign-in to this account, OWASP's "device cookies"): the first
//!   [`FREE_FAILURES`] failures cost nothing, then each further attempt
//!   waits twice as long as the one before (1 s, 2 s, 4 s … at most
//!   [`MAX_DELAY_SECS`]). A quiet hour forgives the lane;
//! - the **untrusted lane**, one per account, which every client *without*
//!   a device cookie shares: at most [`UNTRUSTED_CAP`] failures in an hour.
//!   This is what stops a guesser spread over many addresses (ASVS 2.2.1
//!   allows at most 100 failed attempts an hour per account): once it is
//!   full, unrecognised clients are refused until the hour is over, while
//!   the owner's own browser, counted in its device lane, still gets in.
//!
//! The cost of the design: during a distributed attack, the owner on a new
//! browser waits for the hour like everyone else; a recognised browser does
//! not. Someone who steals a device cookie gets that device lane's budget
//! (about 18 guesses an hour), not more, and only for that one account.
//!
//! An attempt is *reserved* before its password is checked: a
//! compare-and-swap on the lane's row (`version` goes up with every write)
//! counts it as a failure, and only a reservation that won may go on to
//! argon2. Forty parallel guesses therefore meet the limit one by one, on
//! SQLite and PostgreSQL alike, instead of all reading "0 failures so far".
//! A success then clears its client lane and hands its slot in the
//! untrusted lane back; an attempt that never got checked (the server was
//! too busy) hands back both.

use crate::db::entities::sign_in_throttle as row;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

/// Failures a client lane may have before attempts are delayed.
pub const FREE_FAILURES: i32 = 5;
/// The longest delay between two attempts in one client lane.
pub const MAX_DELAY_SECS: i64 = 15 * 60;
/// A client lane with no failure for this long starts again from zero.
pub const FORGIVE_AFTER: Duration = Duration::hours(1);
/// Failures per hour from every unrecognised client of an account together.
/// An hour's window counted from its first failure can sit next to the
/// previous one, so any 60 minutes see at most twice this: 80, under
/// ASVS 2.2.1's 100, with room for a device lane's few.
pub const UNTRUSTED_CAP: i32 = 40;
pub const WINDOW: Duration = Duration::hours(1);

/// Compare-and-swap rounds before a contended attempt is refused for now.
const CAS_ROUNDS: usize = 8;
/// Rows are pruned once in this many reservations.
const PRUNE_EVERY: u64 = 128;

/// Who is signing in, as the throttle counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Client {
    /// An unrecognised client, by its [`client_key`](crate::middleware::rate_limit::client_key).
    Address(IpAddr),
    /// A browser with a valid device cookie for the account (its id).
    Device(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Lane {
    Untrusted,
    Client(Client),
}

impl Lane {
    fn key(&self) -> String {
        match self {
            Lane::Untrusted => "untrusted".to_owned(),
            Lane::Client(Client::Address(ip)) => format!("ip:{ip}"),
            Lane::Client(Client::Device(id)) => format!("device:{id}"),
        }
    }
}

/// A lane's counts, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    failures: i32,
    window_start: DateTime<Utc>,
    last_failure_at: DateTime<Utc>,
}

/// `column + by`, as SQL. (`ExprTrait` is not imported: its blanket
/// `min`/`max` would shadow the integers' own in this file.)
fn bumped(column: row::Column, by: i64) -> Expr {
    sea_orm::ExprTrait::add(Expr::col(column), by)
}

/// How long a client lane with `failures` (the last at `last`) must still
/// wait before its next attempt; None when it may try now.
fn client_wait(failures: i32, last: DateTime<Utc>, now: DateTime<Utc>) -> Option<Duration> {
    if failures < FREE_FAILURES || now - last >= FORGIVE_AFTER {
        return None;
    }
    let doublings = u32::try_from(failures - FREE_FAILURES).unwrap_or(0).min(20);
    let delay = Duration::seconds((1i64 << doublings).min(MAX_DELAY_SECS));
    let ready = last + delay;
    (now < ready).then(|| ready - now)
}

/// The lane's counts with one more attempt reserved, or how long to wait.
fn reserve_in(lane: &Lane, c: Counts, now: DateTime<Utc>) -> Result<Counts, Duration> {
    match lane {
        Lane::Client(_) => {
            let failures = if now - c.last_failure_at >= FORGIVE_AFTER {
                0
            } else {
                c.failures
            };
            if let Some(wait) = client_wait(failures, c.last_failure_at, now) {
                return Err(wait);
            }
            Ok(Counts {
                failures: failures + 1,
                window_start: c.window_start,
                last_failure_at: now,
            })
        }
        Lane::Untrusted => {
            let (failures, window_start) = if now - c.window_start >= WINDOW {
                (0, now)
            } else {
                (c.failures, c.window_start)
            };
            if failures >= UNTRUSTED_CAP {
                return Err(window_start + WINDOW - now);
            }
            Ok(Counts {
                failures: failures + 1,
                window_start,
                last_failure_at: now,
            })
        }
    }
}

/// Whole seconds to wait, at least 1 (for `Retry-After`).
fn secs(wait: Duration) -> u64 {
    u64::try_from((wait + Duration::milliseconds(999)).num_seconds())
        .unwrap_or(1)
        .max(1)
}

/// Refused: the lane is full or delayed for this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after_secs: u64,
}

/// An attempt counted as a failure in advance; settle it once the password
/// has been checked.
#[derive(Debug)]
pub struct Reservation {
    username: String,
    client: Client,
    /// The client lane's failures with this attempt.
    client_failures: i32,
    /// The untrusted lane's failures with this attempt, for unrecognised clients.
    untrusted_failures: Option<i32>,
    /// When the untrusted lane's hour began, as this attempt saw it.
    untrusted_window: Option<DateTime<Utc>>,
}

/// The untrusted lanes whose filling the audit log was told of, by account:
/// the hour it was in. The count an attempt sees can reach the cap twice in
/// one hour (a concurrent attempt's slot handed back when its own address
/// turned out to be waiting), and the log is told once. Per process: on
/// several replicas each may tell it once.
static TOLD_FULL: LazyLock<Mutex<HashMap<String, DateTime<Utc>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Whether this is the first time `username`'s untrusted lane is seen full
/// in the hour that began at `window`; forgets hours that are over.
fn first_time_full(username: &str, window: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let mut told = TOLD_FULL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    told.retain(|_, began| *began + WINDOW > now);
    if told.get(username) == Some(&window) {
        return false;
    }
    told.insert(username.to_owned(), window);
    true
}

static RESERVATIONS: AtomicU64 = AtomicU64::new(0);

/// Reserves an attempt by `client` on `username`, or says how long it must wait.
pub async fn reserve(
    db: &impl ConnectionTrait,
    username: &str,
    client: Client,
    now: DateTime<Utc>,
) -> Result<Result<Reservation, Throttled>, DbErr> {
    if RESERVATIONS.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
        prune(db, now).await?;
    }
    // The untrusted lane first: handing its slot back is exact, while a
    // client lane's reservation also moves its delay on.
    let untrusted = match client {
        Client::Device(_) => None,
        Client::Address(_) => match reserve_lane(db, username, &Lane::Untrusted, now).await? {
            Ok(counts) => Some(counts),
            Err(wait) => {
                return Ok(Err(Throttled {
                    retry_after_secs: secs(wait),
                }));
            }
        },
    };
    let untrusted_failures = untrusted.as_ref().map(|c| c.failures);
    let untrusted_window = untrusted.as_ref().map(|c| c.window_start);
    let lane = Lane::Client(client.clone());
    match reserve_lane(db, username, &lane, now).await? {
        Ok(counts) => Ok(Ok(Reservation {
            username: username.to_owned(),
            client,
            client_failures: counts.failures,
            untrusted_failures,
            untrusted_window,
        })),
        Err(wait) => {
            if untrusted_failures.is_some() {
                refund(db, username, &Lane::Untrusted).await?;
            }
            Ok(Err(Throttled {
                retry_after_secs: secs(wait),
            }))
        }
    }
}

/// One compare-and-swap reservation in one lane.
async fn reserve_lane(
    db: &impl ConnectionTrait,
    username: &str,
    lane: &Lane,
    now: DateTime<Utc>,
) -> Result<Result<Counts, Duration>, DbErr> {
    let key = (username.to_owned(), lane.key());
    for _ in 0..CAS_ROUNDS {
        let Some(current) = row::Entity::find_by_id(key.clone()).one(db).await? else {
            // First attempt on this lane: make the row, then reserve in it
            // like everyone else (a parallel attempt may make it first).
            let fresh = row::ActiveModel {
                username: Set(key.0.clone()),
                lane: Set(key.1.clone()),
                failures: Set(0),
                version: Set(0),
                window_start: Set(now),
                last_failure_at: Set(now),
            };
            row::Entity::insert(fresh)
                .on_conflict_do_nothing()
                .exec_without_returning(db)
                .await?;
            continue;
        };
        let counts = Counts {
            failures: current.failures,
            window_start: current.window_start,
            last_failure_at: current.last_failure_at,
        };
        let next = match reserve_in(lane, counts, now) {
            Ok(next) => next,
            Err(wait) => return Ok(Err(wait)),
        };
        // Only the attempt that saw the row as it still is wins; a loser
        // reads again and is judged against the winner's count.
        let swapped = row::Entity::update_many()
            .col_expr(row::Column::Failures, Expr::value(next.failures))
            .col_expr(row::Column::WindowStart, Expr::value(next.window_start))
            .col_expr(
                row::Column::LastFailureAt,
                Expr::value(next.last_failure_at),
            )
            .col_expr(row::Column::Version, bumped(row::Column::Version, 1))
            .filter(row::Column::Username.eq(key.0.as_str()))
            .filter(row::Column::Lane.eq(key.1.as_str()))
            .filter(row::Column::Version.eq(current.version))
            .exec(db)
            .await?;
        if swapped.rows_affected == 1 {
            return Ok(Ok(next));
        }
    }
    // Many attempts on one lane at the same instant: refuse this one for a
    // moment rather than let it through unchecked.
    Ok(Err(Duration::seconds(1)))
}

/// Takes one reserved failure back. (Should the untrusted lane's hour roll
/// over in the milliseconds between reserving and refunding, the new hour
/// gets one attempt back: at most one, and never past the cap's meaning.)
async fn refund(db: &impl ConnectionTrait, username: &str, lane: &Lane) -> Result<(), DbErr> {
    row::Entity::update_many()
        .col_expr(row::Column::Failures, bumped(row::Column::Failures, -1))
        .col_expr(row::Column::Version, bumped(row::Column::Version, 1))
        .filter(row::Column::Username.eq(username))
        .filter(row::Column::Lane.eq(lane.key()))
        .filter(row::Column::Failures.gt(0))
        .exec(db)
        .await
        .map(|_| ())
}

/// Forgets lanes idle long enough that they would start from zero anyway
/// (a client lane forgiven, an untrusted hour over), so guesses at many
/// usernames from many addresses do not grow the table for ever.
async fn prune(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), DbErr> {
    let idle_since = now - FORGIVE_AFTER.max(WINDOW) - Duration::minutes(5);
    row::Entity::delete_many()
        .filter(row::Column::LastFailureAt.lt(idle_since))
        .exec(db)
        .await
        .map(|_| ())
}

impl Reservation {
    /// The password was right: the client's lane starts again from zero,
    /// and the attempt no longer counts against the account.
    pub async fn succeeded(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        row::Entity::update_many()
            .col_expr(row::Column::Failures, Expr::value(0))
            .col_expr(row::Column::Version, bumped(row::Column::Version, 1))
            .filter(row::Column::Username.eq(self.username.as_str()))
            .filter(row::Column::Lane.eq(Lane::Client(self.client.clone()).key()))
            .exec(db)
            .await?;
        if self.untrusted_failures.is_some() {
            refund(db, &self.username, &Lane::Untrusted).await?;
        }
        Ok(())
    }

    /// The password was never checked (the server was busy): the attempt
    /// does not count.
    pub async fn not_checked(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        refund(db, &self.username, &Lane::Client(self.client.clone())).await?;
        if self.untrusted_failures.is_some() {
            refund(db, &self.username, &Lane::Untrusted).await?;
        }
        Ok(())
    }

    /// What the audit log should be told about this failure: throttling
    /// starts when this failure is the one that fills a lane's free budget
    /// or the account's untrusted cap (once each: reservations are
    /// numbered one by one, and the cap is told once an hour).
    pub fn alerts(&self, now: DateTime<Utc>) -> Vec<String> {
        let mut alerts = Vec::new();
        if self.client_failures == FREE_FAILURES {
            let who = match self.client {
                Client::Address(_) => "one client address",
                Client::Device(_) => "one recognised device",
            };
            alerts.push(format!(
                "{FREE_FAILURES} failed sign-ins from {who}: its further attempts wait 1 s, doubling up to {} min",
                MAX_DELAY_SECS / 60
            ));
        }
        if self.untrusted_failures == Some(UNTRUSTED_CAP)
            && self
                .untrusted_window
                .is_some_and(|window| first_time_full(&self.username, window, now))
        {
            alerts.push(format!(
                "{UNTRUSTED_CAP} failed sign-ins from unrecognised clients within an hour: they are refused until {} UTC; recognised devices can still sign in",
                (now + WINDOW).format("%Y-%m-%d %H:%M")
            ));
        }
        alerts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn client() -> Lane {
        Lane::Client(Client::Address("203.0.113.7".parse().unwrap()))
    }

    /// Reserves `n` attempts in a row as fast as the lane allows; answers
    /// the counts and the times they were let through.
    fn run(lane: &Lane, n: usize, start: i64) -> (Counts, Vec<i64>) {
        let mut c = Counts {
            failures: 0,
            window_start: t(start),
            last_failure_at: t(start),
        };
        let mut now = start;
        let mut times = Vec::new();
        while times.len() < n {
            match reserve_in(lane, c, t(now)) {
                Ok(next) => {
                    c = next;
                    times.push(now - start);
                }
                Err(wait) => now += wait.num_seconds().max(1),
            }
        }
        (c, times)
    }

    #[test]
    fn a_client_lane_lets_five_through_then_doubles_its_delay_up_to_fifteen_minutes() {
        let (c, times) = run(&client(), 15, 0);
        assert_eq!(&times[..5], &[0, 0, 0, 0, 0]);
        let gaps: Vec<i64> = times.windows(2).skip(4).map(|w| w[1] - w[0]).collect();
        assert_eq!(gaps, vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
        assert_eq!(c.failures, 15);
        assert_eq!(
            client_wait(16, t(0), t(1)),
            Some(Duration::seconds(MAX_DELAY_SECS - 1))
        );
    }

    #[test]
    fn a_client_lane_allows_at_most_twenty_failures_an_hour() {
        let (_, times) = run(&client(), 40, 0);
        let in_an_hour = times.iter().filter(|&&s| s < 3600).count();
        assert!((15..=20).contains(&in_an_hour), "{in_an_hour}");
    }

    #[test]
    fn a_quiet_hour_forgives_a_client_lane() {
        let c = Counts {
            failures: 12,
            window_start: t(0),
            last_failure_at: t(0),
        };
        assert!(reserve_in(&client(), c, t(60)).is_err());
        let next = reserve_in(&client(), c, t(3600)).unwrap();
        assert_eq!(next.failures, 1);
    }

    #[test]
    fn the_untrusted_lane_stops_at_its_cap_until_the_hour_is_over() {
        let lane = Lane::Untrusted;
        let mut c = Counts {
            failures: 0,
            window_start: t(0),
            last_failure_at: t(0),
        };
        for _ in 0..UNTRUSTED_CAP {
            c = reserve_in(&lane, c, t(10)).unwrap();
        }
        assert_eq!(reserve_in(&lane, c, t(10)), Err(Duration::seconds(3590)));
        let next = reserve_in(&lane, c, t(3600)).unwrap();
        assert_eq!((next.failures, next.window_start), (1, t(3600)));
    }

    #[test]
    fn a_retry_after_is_whole_seconds_rounded_up() {
        assert_eq!(secs(Duration::milliseconds(10)), 1);
        assert_eq!(secs(Duration::milliseconds(1500)), 2);
        assert_eq!(secs(Duration::seconds(-3)), 1);
    }

    #[test]
    fn alerts_fire_once_when_a_lane_fills() {
        let r = |client_failures, untrusted_failures, window| Reservation {
            username: "li.na".into(),
            client: Client::Address("203.0.113.7".parse().unwrap()),
            client_failures,
            untrusted_failures,
            untrusted_window: Some(window),
        };
        assert!(r(4, Some(4), t(0)).alerts(t(0)).is_empty());
        assert_eq!(r(5, Some(12), t(0)).alerts(t(0)).len(), 1);
        assert!(r(6, Some(12), t(0)).alerts(t(0)).is_empty());
        assert_eq!(r(2, Some(UNTRUSTED_CAP), t(0)).alerts(t(1)).len(), 1);
        // The cap seen again in the same hour (a concurrent attempt's slot
        // handed back meanwhile): told once.
        assert!(r(3, Some(UNTRUSTED_CAP), t(0)).alerts(t(2)).is_empty());
        // In the next hour, told again.
        let next = t(0) + WINDOW;
        assert_eq!(r(2, Some(UNTRUSTED_CAP), next).alerts(next).len(), 1);
    }
}
