//! The one source of « now » and « today ». The application never reads the system time
//! itself: every process is given a [`Clock`], tests a manual one they move instead of
//! sleeping. « Today » is the date in Paris, where the procedure's dates (filing windows,
//! promotion dates, ages) are counted: for two hours after midnight in summer, the UTC date
//! is still yesterday.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use jiff::tz::TimeZone;

/// Europe/Paris, embedded at compile time (no dependence on the host's zoneinfo).
static PARIS: TimeZone = jiff::tz::get!("Europe/Paris");

/// What time it is, for the whole process. Cheap to clone; every clone reads the same time.
#[derive(Clone)]
pub struct Clock {
    /// Added to the system's time; `None` for the system's clock itself.
    offset: Option<Arc<Mutex<Duration>>>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.offset {
            None => f.write_str("Clock(system)"),
            Some(_) => write!(f, "Clock(adjustable, {})", self.now()),
        }
    }
}

/// Moves an adjustable clock (tests, and demos that replay a year).
#[derive(Debug, Clone)]
pub struct ClockHand {
    offset: Arc<Mutex<Duration>>,
}

impl Clock {
    /// The system's time.
    #[must_use]
    pub const fn system() -> Self {
        Self { offset: None }
    }

    /// A clock that shows `at` now and then runs at the system's pace, until its hand moves
    /// it: time still passes between two requests (orderings by time hold), and a test jumps
    /// over hours instead of sleeping.
    #[must_use]
    pub fn adjustable(at: DateTime<Utc>) -> (Self, ClockHand) {
        let offset = Arc::new(Mutex::new(at - Utc::now()));
        (
            Self {
                offset: Some(Arc::clone(&offset)),
            },
            ClockHand { offset },
        )
    }

    /// Now.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        match &self.offset {
            None => Utc::now(),
            // The guarded value is a plain copy: a panic elsewhere cannot leave it half-written.
            Some(offset) => Utc::now() + *offset.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// Now, in Unix seconds (identity assertions, session stamps).
    #[must_use]
    pub fn timestamp(&self) -> i64 {
        self.now().timestamp()
    }

    /// Today, in Paris.
    #[must_use]
    pub fn today(&self) -> NaiveDate {
        paris_date(self.now())
    }
}

impl ClockHand {
    /// Sets the time (it runs on from there).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.offset.lock().unwrap_or_else(PoisonError::into_inner) = at - Utc::now();
    }

    /// Moves the time forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset += by;
    }
}

/// The date in Paris at the instant `at`.
#[must_use]
pub fn paris_date(at: DateTime<Utc>) -> NaiveDate {
    let date = jiff::Timestamp::from_second(at.timestamp())
        .map(|ts| ts.to_zoned(PARIS.clone()).date())
        .ok()
        .and_then(|d| {
            NaiveDate::from_ymd_opt(
                i32::from(d.year()),
                u32::try_from(d.month()).ok()?,
                u32::try_from(d.day()).ok()?,
            )
        });
    // Beyond jiff's range (years outside -9999..=9999) the UTC date is as good as any.
    date.unwrap_or_else(|| at.date_naive())
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn today_is_the_date_in_paris_summer_and_winter() {
        // Summer (UTC+2): 23:30 and 00:30 in Paris are 21:30 and 22:30 UTC the day before.
        assert_eq!(paris_date(utc(2027, 7, 14, 21, 30)), day(2027, 7, 14));
        assert_eq!(paris_date(utc(2027, 7, 14, 22, 30)), day(2027, 7, 15));
        // Winter (UTC+1): 23:30 and 00:30 in Paris are 22:30 and 23:30 UTC the day before.
        assert_eq!(paris_date(utc(2027, 1, 14, 22, 30)), day(2027, 1, 14));
        assert_eq!(paris_date(utc(2027, 1, 14, 23, 30)), day(2027, 1, 15));
    }

    /// Within a minute of `at` (the clock runs on at the system's pace meanwhile).
    fn about(clock: &Clock, at: DateTime<Utc>) -> bool {
        (clock.now() - at).num_seconds().abs() < 60
    }

    #[test]
    fn an_adjustable_clock_jumps_with_its_hand_and_every_clone_follows() {
        let (clock, hand) = Clock::adjustable(utc(2027, 3, 1, 8, 0));
        let other = clock.clone();
        assert!(about(&clock, utc(2027, 3, 1, 8, 0)));
        hand.advance(Duration::hours(40));
        assert!(about(&other, utc(2027, 3, 3, 0, 0)));
        hand.set(utc(2027, 12, 31, 23, 30));
        assert_eq!(clock.today(), day(2028, 1, 1));
    }
}
