//! The rule set of a training result (a finished training scenario, protocol 3): the phone makes
//! only what passes it and the server admits each pushed one through the same function.

use lgota_protocol::WireTrainingResult;

use crate::error::{Error, Result};
use crate::text::{self, is_id, OFFSET_MIN_RANGE, STAFF_LABEL_MAX};

/// The longest scenario title a result carries (the content pack's titles are short).
pub const SCENARIO_TITLE_MAX: usize = 200;
/// The most steps a scenario's result may count.
pub const STEPS_MAX: u32 = 100;

fn invalid(what: &str) -> Error {
    Error::InvalidRecord(format!("учебный результат: {what}"))
}

/// Admits one training result: returns it with its texts in normal form, or the rule it breaks.
pub fn admit(mut t: WireTrainingResult) -> Result<WireTrainingResult> {
    if !is_id(&t.id) || !is_id(&t.device_id) || !is_id(&t.branch_id) || !is_id(&t.scenario_id) {
        return Err(invalid("недопустимый id, код устройства, филиала или сценария"));
    }
    if t.completed_at_ms < 0 || !OFFSET_MIN_RANGE.contains(&t.utc_offset_min) {
        return Err(invalid("недопустимое время"));
    }
    if t.steps == 0 || t.steps > STEPS_MAX || t.correct_first_try > t.steps {
        return Err(invalid("число шагов или верных ответов вне допустимого"));
    }
    t.staff_label = text::clean_required("Метка сотрудника", &t.staff_label, STAFF_LABEL_MAX, Error::EmptyStaffLabel)?;
    t.scenario_title = text::clean_required(
        "Учебный сценарий",
        &t.scenario_title,
        SCENARIO_TITLE_MAX,
        invalid("нет названия сценария"),
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> WireTrainingResult {
        WireTrainingResult {
            id: "0190a0a0-0000-7000-8000-000000000009".into(),
            device_id: "dev-1".into(),
            branch_id: "central".into(),
            staff_label: " ИП\t".into(),
            scenario_id: "did-success".into(),
            scenario_title: "Цифровой ID подтверждён".into(),
            content_version: 1,
            completed_at_ms: 1_760_000_000_000,
            utc_offset_min: 180,
            steps: 3,
            correct_first_try: 3,
        }
    }

    #[test]
    fn a_good_result_is_admitted_in_normal_form() {
        assert_eq!(admit(good()).unwrap().staff_label, "ИП");
    }

    #[test]
    fn bad_results_are_refused_with_their_codes() {
        let cases: Vec<(WireTrainingResult, &str)> = vec![
            (WireTrainingResult { id: "a b".into(), ..good() }, "invalid_record"),
            (WireTrainingResult { scenario_id: String::new(), ..good() }, "invalid_record"),
            (WireTrainingResult { steps: 0, correct_first_try: 0, ..good() }, "invalid_record"),
            (WireTrainingResult { correct_first_try: 4, ..good() }, "invalid_record"),
            (WireTrainingResult { utc_offset_min: 24 * 60, ..good() }, "invalid_record"),
            (WireTrainingResult { completed_at_ms: -1, ..good() }, "invalid_record"),
            (WireTrainingResult { staff_label: " ".into(), ..good() }, "empty_staff_label"),
            (WireTrainingResult { staff_label: "тел. 89161234567".into(), ..good() }, "personal_data"),
            (WireTrainingResult { scenario_title: "\u{200b}".into(), ..good() }, "invalid_record"),
        ];
        for (t, code) in cases {
            assert_eq!(admit(t.clone()).unwrap_err().code(), code, "{t:?}");
        }
    }
}
