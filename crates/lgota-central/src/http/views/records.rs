//! The records page (`/records`): the valid checks behind a figure of the overview, newest
//! first, 100 a page (keyset paging by `(created_at_ms, id)`), with the full filter. A branch
//! head sees only their branch; a bad filter value is a 400 page with the reason.

use askama::Template;
use chrono_tz::Tz;

use super::filter::{self, Parsed, NO_CATEGORY};
use super::pages::{local_time, method_name, outcome_name, select, FilterForm, Names};
use super::templates::{self, Frame};
use crate::store::StoredRecord;

/// Records a page.
pub const PAGE_SIZE: u32 = 100;

/// What the page shows.
pub struct RecordsView<'a> {
    pub admin: &'a crate::store::Admin,
    pub csrf: &'a str,
    pub parsed: &'a Parsed,
    pub error: Option<&'a str>,
    pub names: &'a Names,
    pub branch_ids: &'a [String],
    pub category_ids: &'a [String],
    pub tz: Tz,
    pub total: u64,
    pub records: &'a [StoredRecord],
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
}

fn options(ids: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    ids.into_iter().collect()
}

/// A row of the records table.
struct Row<'a> {
    id: &'a str,
    at: String,
    branch: &'a str,
    event: String,
    staff: &'a str,
    method: &'a str,
    outcome: &'a str,
    granted: &'static str,
    category: &'a str,
    reason: &'a str,
    offline: &'static str,
    note: &'a str,
}

#[derive(Template)]
#[template(path = "records.html")]
struct RecordsPage<'a> {
    frame: Frame<'a>,
    form: FilterForm<'a>,
    total: u64,
    rows: Vec<Row<'a>>,
    next: Option<&'a str>,
    page_size: u32,
    /// An administrator: each row with a note or staff label links to its redaction.
    redact: bool,
}

pub fn render(v: &RecordsView) -> String {
    let names = v.names;
    let (period, f) = (&v.parsed.period, &v.parsed.filter);
    let role = &v.admin.role;
    let mut selects = Vec::new();
    if role.branch().is_none() {
        let branches = options(v.branch_ids.iter().map(|b| (b.clone(), names.branch(b).to_string())));
        selects.push(select("branch", "Филиал", "Все филиалы", &branches, f.branch_id.as_deref()));
    }
    let mut categories = options(v.category_ids.iter().map(|c| (c.clone(), names.category(c).to_string())));
    categories.push((NO_CATEGORY.to_string(), "Не указана".to_string()));
    let category = f.category_id.as_deref().map(|c| if c.is_empty() { NO_CATEGORY } else { c });
    selects.push(select("category", "Категория", "Все категории", &categories, category));
    let methods = options(filter::methods().iter().map(|m| (m.as_str().to_string(), method_name(m.as_str()).into())));
    selects.push(select("method", "Способ", "Все способы", &methods, f.method.map(|m| m.as_str())));
    let outcomes =
        options(filter::outcomes().iter().map(|o| (o.as_str().to_string(), outcome_name(o.as_str()).into())));
    selects.push(select("outcome", "Результат", "Все результаты", &outcomes, f.outcome.map(|o| o.as_str())));
    let mut reasons: Vec<(String, String)> =
        names.failure_reasons.iter().map(|(id, name)| (id.clone(), name.clone())).collect();
    reasons.sort();
    selects.push(select("reason", "Причина неудачи", "Все", &reasons, f.failure_reason_id.as_deref()));
    let yes_no = [("1".to_string(), "да".to_string()), ("0".to_string(), "нет".to_string())];
    let flag = |b: Option<bool>| b.map(|b| if b { "1" } else { "0" });
    selects.push(select("granted", "Льгота предоставлена", "Все", &yes_no, flag(f.granted)));
    selects.push(select("offline", "Записано без связи", "Все", &yes_no, flag(f.offline)));
    let event = super::filter::event_selected(f);
    let events = names.event_options(f.branch_id.as_deref(), event);
    selects.push(select("event", "Мероприятие", "Все мероприятия", &events, event));
    let rows = v
        .records
        .iter()
        .map(|stored| {
            let r = &stored.record;
            Row {
                id: &r.id,
                at: local_time(v.tz, r.created_at_ms)
                    .map(|t| t.format("%d.%m.%Y %H:%M:%S").to_string())
                    .unwrap_or_default(),
                branch: names.branch(&r.branch_id),
                event: r.event_id.as_deref().map(|e| names.event_label(e)).unwrap_or_default(),
                staff: &r.staff_label,
                method: r.method.map_or("", |m| method_name(m.as_str())),
                outcome: r.outcome.map_or("", |o| outcome_name(o.as_str())),
                granted: if r.granted == Some(true) {
                    "предоставлена"
                } else {
                    "не предоставлена"
                },
                category: names.category(r.category_id.as_deref().unwrap_or("")),
                reason: r.failure_reason_id.as_deref().map_or("", |f| names.failure_reason(f)),
                offline: if stored.offline { "да" } else { "" },
                note: r.note.as_deref().unwrap_or(""),
            }
        })
        .collect();
    templates::render(&RecordsPage {
        frame: Frame::signed_in(v.admin, v.csrf, names, "/records", "Записи"),
        form: FilterForm::new(period, v.tz, f, role, selects, v.error),
        total: v.total,
        rows,
        next: v.next.as_deref(),
        page_size: PAGE_SIZE,
        redact: v.admin.role == crate::store::Role::Admin,
    })
}
