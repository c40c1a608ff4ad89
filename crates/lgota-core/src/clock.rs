//! Time as records keep it: UTC milliseconds plus the device's UTC offset at that moment.

use chrono::{DateTime, FixedOffset, Local, NaiveDate, Utc};

/// A moment as the device saw it. Passed into the store so that tests control time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub utc_ms: i64,
    /// Minutes east of UTC (Moscow: +180).
    pub offset_min: i32,
}

impl Now {
    /// The system clock and the device's current time zone offset.
    pub fn system() -> Now {
        let local = Local::now();
        Now { utc_ms: local.timestamp_millis(), offset_min: local.offset().local_minus_utc() / 60 }
    }

    pub fn plus_ms(self, ms: i64) -> Now {
        Now { utc_ms: self.utc_ms + ms, ..self }
    }

    fn local(self) -> DateTime<FixedOffset> {
        local_datetime(self.utc_ms, self.offset_min)
    }

    /// The device-local calendar date.
    pub fn local_date(self) -> NaiveDate {
        self.local().date_naive()
    }

    /// `YYYYMMDD-HHMMSS` in device-local time, for file names.
    pub fn local_stamp(self) -> String {
        self.local().format("%Y%m%d-%H%M%S").to_string()
    }

    /// UTC milliseconds at which the device-local day of `self` began.
    pub fn local_day_start_ms(self) -> i64 {
        let local = self.local();
        let midnight = local.date_naive().and_hms_opt(0, 0, 0).expect("midnight exists");
        midnight.and_utc().timestamp_millis() - i64::from(self.offset_min) * 60_000
    }
}

pub(crate) fn local_datetime(utc_ms: i64, offset_min: i32) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(offset_min.clamp(-24 * 60 + 1, 24 * 60 - 1) * 60).expect("offset in range");
    DateTime::<Utc>::from_timestamp_millis(utc_ms).unwrap_or_default().with_timezone(&offset)
}

/// `HH:MM` of a moment in the given offset.
pub(crate) fn local_time(utc_ms: i64, offset_min: i32) -> String {
    local_datetime(utc_ms, offset_min).format("%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_day_start_follows_the_offset() {
        // 2026-11-25 01:30 in Moscow (+03:00) is 2026-11-24 22:30 UTC.
        let now = Now { utc_ms: 1_795_559_400_000, offset_min: 180 };
        assert_eq!(now.local_date().to_string(), "2026-11-25");
        let start = now.local_day_start_ms();
        assert_eq!(local_time(start, 180), "00:00");
        assert_eq!(now.utc_ms - start, 90 * 60_000);
        assert_eq!(local_time(now.utc_ms, 180), "01:30");
        assert_eq!(now.local_stamp(), "20261125-013000");
        assert_eq!(Now { offset_min: 0, ..now }.local_stamp(), "20261124-223000");
    }
}
