//! The record rule set: what makes a record acceptable, whoever made it. The phone records only
//! what passes it; the server's intake admits each pushed or imported record through the same
//! function, so a record a phone could make is never refused by the server for its shape.
//!
//! Who may send a record (its device, its branch) is the server's business, not this module's.

use lgota_protocol::{RecordKind, WireRecord};

use crate::error::{Error, PersonalData, Result};
use crate::screen::find_personal_data;
use crate::text::{self, is_id, Screen, EVENT_TITLE_MAX, NOTE_MAX, OFFSET_MIN_RANGE, STAFF_LABEL_MAX};

fn invalid(what: impl Into<String>) -> Error {
    Error::InvalidRecord(what.into())
}

/// One free-text field: normalised ([`text::normalize`]), within `max`, free of personal data.
fn clean(field: &'static str, value: &mut Option<String>, max: usize, screen: Screen) -> Result<()> {
    *value = text::clean_optional_with(field, value.as_deref(), max, screen)?;
    Ok(())
}

/// Admits one record: returns it with its free text in normal form, or the rule it breaks.
/// Training records are refused ([`Error::TrainingRecord`]): they never leave the phone.
pub fn admit(r: WireRecord) -> Result<WireRecord> {
    admit_with(r, &mut find_personal_data)
}

/// Admits the records of one batch, each as [`admit`] does; a text already screened in the batch
/// is not screened again (a librarian's label is on every record of their push, and screening
/// was a tenth of the server's work per record).
#[derive(Debug, Default)]
pub struct Batch {
    screened: Vec<(String, Option<PersonalData>)>,
}

/// How many distinct texts a [`Batch`] remembers: labels repeat, notes mostly do not.
const BATCH_MEMO: usize = 32;

impl Batch {
    /// [`admit`] for the batch's next record.
    pub fn admit(&mut self, r: WireRecord) -> Result<WireRecord> {
        let screened = &mut self.screened;
        admit_with(r, &mut |text: &str| {
            if let Some((_, found)) = screened.iter().find(|(seen, _)| seen == text) {
                return *found;
            }
            let found = find_personal_data(text);
            if screened.len() < BATCH_MEMO {
                screened.push((text.to_string(), found));
            }
            found
        })
    }
}

fn admit_with(mut r: WireRecord, screen: Screen) -> Result<WireRecord> {
    if !is_id(&r.id) {
        return Err(invalid("недопустимый id записи"));
    }
    if !is_id(&r.device_id) || !is_id(&r.branch_id) {
        return Err(invalid("недопустимый код устройства или филиала"));
    }
    if r.training {
        return Err(Error::TrainingRecord);
    }
    if r.created_at_ms < 0 {
        return Err(invalid("отрицательное время записи"));
    }
    if r.created_at_ms > CREATED_AT_MAX_MS {
        return Err(invalid("время записи позже 9999 года"));
    }
    if !OFFSET_MIN_RANGE.contains(&r.utc_offset_min) {
        return Err(invalid("недопустимое смещение часового пояса"));
    }
    for (name, value) in [
        ("event_id", &r.event_id),
        ("category_id", &r.category_id),
        ("failure_reason_id", &r.failure_reason_id),
        ("document_type_id", &r.document_type_id),
        ("target_id", &r.target_id),
    ] {
        if value.as_deref().is_some_and(|v| !is_id(v)) {
            return Err(invalid(format!("недопустимое значение {name}")));
        }
    }
    let mut label = Some(std::mem::take(&mut r.staff_label));
    clean("Метка сотрудника", &mut label, STAFF_LABEL_MAX, screen)?;
    r.staff_label = label.ok_or(Error::EmptyStaffLabel)?;
    clean("Примечание", &mut r.note, NOTE_MAX, screen)?;
    clean("Причина аннулирования", &mut r.void_reason, NOTE_MAX, screen)?;
    if r.event_title.is_some() || r.event_date.is_some() {
        clean("Мероприятие", &mut r.event_title, EVENT_TITLE_MAX, screen)?;
        r.event_date = r.event_date.as_deref().and_then(text::event_date);
        if r.event_id.is_none() || r.event_title.is_none() || r.event_date.is_none() {
            return Err(invalid("название и дата мероприятия — только вместе с мероприятием, дата в виде ГГГГ-ММ-ДД"));
        }
    }
    match r.kind {
        RecordKind::Check => {
            let (Some(_), Some(outcome), Some(granted)) = (r.method, r.outcome, r.granted) else {
                return Err(invalid("у проверки должны быть способ, результат и отметка о льготе"));
            };
            if granted != outcome.granted() {
                return Err(invalid("отметка о льготе не соответствует результату"));
            }
            if r.target_id.is_some() || r.void_reason.is_some() {
                return Err(invalid("у проверки не бывает аннулируемой записи и причины аннулирования"));
            }
        }
        RecordKind::Void => {
            if r.void_reason.is_none() {
                return Err(Error::VoidReasonRequired);
            }
            if r.target_id.is_none() {
                return Err(invalid("у аннулирования должна быть аннулируемая запись"));
            }
            if r.target_id.as_deref() == Some(r.id.as_str()) {
                return Err(invalid("запись не может аннулировать саму себя"));
            }
            if r.method.is_some() || r.outcome.is_some() || r.granted.is_some() {
                return Err(invalid("у аннулирования не бывает способа и результата проверки"));
            }
        }
    }
    Ok(r)
}

/// The last millisecond of the year 9999 (UTC): a later time is no phone's clock, and the
/// figures could not place it in a month. Before it, a wrong clock is flagged, never refused.
pub const CREATED_AT_MAX_MS: i64 = 253_402_300_799_999;

/// A record dated more than this after it was received was made on a phone whose clock runs ahead.
pub const CLOCK_AHEAD_MS: i64 = 24 * 60 * 60 * 1000;
/// No real record predates 2025-01-01 00:00 UTC (the product did not exist): a phone's clock was
/// reset.
pub const CLOCK_FLOOR_MS: i64 = 1_735_689_600_000;

/// A phone whose clock differs from the server's by more than this (10 minutes) is told so, and
/// shown as wrong on the dashboard.
pub const CLOCK_WARN_MS: i64 = 10 * 60 * 1000;

/// How far a phone's clock is off (`skew_ms`: phone minus server), in Russian — «спешат примерно
/// на 3 дн.», «отстают примерно на 25 мин» — or `None` within [`CLOCK_WARN_MS`].
pub fn clock_skew_words(skew_ms: i64) -> Option<String> {
    if skew_ms.abs() <= CLOCK_WARN_MS {
        return None;
    }
    let minutes = skew_ms.abs() / 60_000;
    let amount = if minutes >= 2 * 24 * 60 {
        format!("{} дн.", (minutes + 12 * 60) / (24 * 60))
    } else if minutes >= 120 {
        format!("{} ч", (minutes + 30) / 60)
    } else {
        format!("{minutes} мин")
    };
    Some(format!("{} примерно на {amount}", if skew_ms > 0 { "спешат" } else { "отстают" }))
}

/// Whether a record made at `created_at_ms` (the phone's clock) and received at `received_at_ms`
/// (the server's) was made under a wrong clock. Such a record is stored all the same, flagged: a
/// record is never refused for its time.
pub fn clock_off(created_at_ms: i64, received_at_ms: i64) -> bool {
    created_at_ms > received_at_ms.saturating_add(CLOCK_AHEAD_MS) || created_at_ms < CLOCK_FLOOR_MS
}

#[cfg(test)]
mod tests {
    use lgota_protocol::{Method, Outcome};

    use super::*;

    pub(crate) fn check() -> WireRecord {
        WireRecord {
            id: "0190-aaaa".into(),
            kind: RecordKind::Check,
            created_at_ms: 1_780_000_000_000,
            utc_offset_min: 180,
            device_id: "dev-1".into(),
            branch_id: "central".into(),
            event_id: None,
            staff_label: "ИП".into(),
            training: false,
            method: Some(Method::DigitalId),
            outcome: Some(Outcome::Confirmed),
            granted: Some(true),
            category_id: Some("student".into()),
            failure_reason_id: None,
            document_type_id: None,
            checklist_completed: None,
            note: None,
            target_id: None,
            void_reason: None,
            event_title: None,
            event_date: None,
        }
    }

    #[test]
    fn clocks_are_flagged_not_refused() {
        let now = 1_780_000_000_000;
        assert!(
            !clock_off(now, now) && !clock_off(now + CLOCK_AHEAD_MS, now) && !clock_off(now - 86_400_000 * 400, now)
        );
        assert!(clock_off(now + CLOCK_AHEAD_MS + 1, now), "a day and a bit ahead");
        assert!(clock_off(CLOCK_FLOOR_MS - 1, now) && clock_off(0, now), "before 2025");
        assert!(admit(WireRecord { created_at_ms: now * 3, ..check() }).is_ok(), "the rule set never refuses a time");
        let day = 24 * 60 * 60 * 1000;
        assert_eq!(clock_skew_words(CLOCK_WARN_MS), None);
        assert_eq!(clock_skew_words(3 * day - 5_000).as_deref(), Some("спешат примерно на 3 дн."));
        assert_eq!(clock_skew_words(-25 * 60_000).as_deref(), Some("отстают примерно на 25 мин"));
        assert_eq!(clock_skew_words(5 * 3_600_000).as_deref(), Some("спешат примерно на 5 ч"));
    }

    #[test]
    fn pasted_text_is_normalised_not_refused() {
        let r =
            admit(WireRecord {
                note: Some("Госкан\tзавис\u{a0} ".into()), staff_label: " И\tП ".into(), ..check()
            })
            .unwrap();
        assert_eq!(r.note.as_deref(), Some("Госкан завис"));
        assert_eq!(r.staff_label, "И П");
        let r = admit(WireRecord { note: Some(" \t".into()), ..check() }).unwrap();
        assert_eq!(r.note, None);
    }

    #[test]
    fn each_rule_has_its_code() {
        let code = |r: WireRecord| admit(r).unwrap_err().code();
        assert_eq!(code(WireRecord { id: "no spaces".into(), ..check() }), "invalid_record");
        assert_eq!(code(WireRecord { training: true, ..check() }), "training_record");
        assert_eq!(code(WireRecord { note: Some("тел. 8 912 345-67-89".into()), ..check() }), "personal_data");
        assert_eq!(code(WireRecord { note: Some("я".repeat(NOTE_MAX + 1)), ..check() }), "too_long");
        assert_eq!(code(WireRecord { staff_label: "\t".into(), ..check() }), "empty_staff_label");
        assert_eq!(code(WireRecord { granted: Some(false), ..check() }), "invalid_record");
        assert_eq!(code(WireRecord { utc_offset_min: 15 * 60, ..check() }), "invalid_record");
        assert_eq!(code(WireRecord { event_title: Some("Вечер".into()), ..check() }), "invalid_record");
        let void = WireRecord {
            kind: RecordKind::Void,
            method: None,
            outcome: None,
            granted: None,
            target_id: Some("0190-bbbb".into()),
            void_reason: Some("ошибка".into()),
            ..check()
        };
        assert!(admit(void.clone()).is_ok());
        assert_eq!(code(WireRecord { void_reason: Some(" ".into()), ..void.clone() }), "void_reason_required");
        assert_eq!(code(WireRecord { target_id: Some(void.id.clone()), ..void }), "invalid_record");
    }
}
