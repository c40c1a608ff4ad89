//! The records page (`/records`): the valid checks behind a figure of the overview, newest
//! first, 100 a page (keyset paging by `(created_at_ms, id)`), with the full filter. A branch
//! head sees only their branch; a bad filter value is a 400 page with the reason.

use std::fmt::Write as _;

use chrono_tz::Tz;

use super::filter::{self, Parsed, NO_CATEGORY};
use super::pages::{self, esc, local_time, method_name, outcome_name, select, Names};
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

pub fn render(v: &RecordsView) -> String {
    let names = v.names;
    let (period, f) = (&v.parsed.period, &v.parsed.filter);
    let role = &v.admin.role;
    let mut body = String::from("<section><h2>Записи</h2><form method=\"get\" action=\"/records\" id=\"filters\">");
    let _ = write!(
        body,
        "<label>С {}</label><label>по {}</label>",
        super::pages::date_input("from", &super::pages::ru_date(period.from), false),
        super::pages::date_input("to", &super::pages::ru_date(period.to), false)
    );
    if role.branch().is_none() {
        let branches = options(v.branch_ids.iter().map(|b| (b.clone(), names.branch(b).to_string())));
        body.push_str(&select("branch", "Филиал", "Все филиалы", &branches, f.branch_id.as_deref()));
    }
    let mut categories = options(v.category_ids.iter().map(|c| (c.clone(), names.category(c).to_string())));
    categories.push((NO_CATEGORY.to_string(), "Не указана".to_string()));
    let category = f.category_id.as_deref().map(|c| if c.is_empty() { NO_CATEGORY } else { c });
    body.push_str(&select("category", "Категория", "Все категории", &categories, category));
    let methods = options(filter::methods().iter().map(|m| (m.as_str().to_string(), method_name(m.as_str()).into())));
    body.push_str(&select("method", "Способ", "Все способы", &methods, f.method.map(|m| m.as_str())));
    let outcomes =
        options(filter::outcomes().iter().map(|o| (o.as_str().to_string(), outcome_name(o.as_str()).into())));
    body.push_str(&select("outcome", "Результат", "Все результаты", &outcomes, f.outcome.map(|o| o.as_str())));
    let mut reasons: Vec<(String, String)> =
        names.failure_reasons.iter().map(|(id, name)| (id.clone(), name.clone())).collect();
    reasons.sort();
    body.push_str(&select("reason", "Причина неудачи", "Все", &reasons, f.failure_reason_id.as_deref()));
    let yes_no = [("1".to_string(), "да".to_string()), ("0".to_string(), "нет".to_string())];
    let flag = |b: Option<bool>| b.map(|b| if b { "1" } else { "0" });
    body.push_str(&select("granted", "Льгота предоставлена", "Все", &yes_no, flag(f.granted)));
    body.push_str(&select("offline", "Записано без связи", "Все", &yes_no, flag(f.offline)));
    let event = super::filter::event_selected(f);
    let events = names.event_options(f.branch_id.as_deref(), event);
    body.push_str(&select("event", "Мероприятие", "Все мероприятия", &events, event));
    body.push_str("<button type=\"submit\">Показать</button></form>");
    if let Some(e) = v.error {
        let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p></section>", esc(e));
        return pages::page("Записи — «Льгота»", &pages::header(v.admin, v.csrf, names, "/records"), &body);
    }
    let query = filter::query(period, f, role);
    let _ = write!(
        body,
        "<p>Период: {} — {} ({}). Найдено проверок: <b data-figure=\"records-total\">{}</b> \
         (без аннулированных и учебных). <a href=\"/?{q}\">К сводке</a> · \
         <a href=\"/export/records.csv?{q}\">Выгрузить (CSV)</a> · \
         <a href=\"/export/records.xlsx?{q}\">Выгрузить (Excel)</a></p></section>",
        pages::ru_date(period.from),
        pages::ru_date(period.to),
        esc(&pages::tz_label(v.tz)),
        v.total,
        q = esc(&query),
    );
    body.push_str("<section id=\"records\">");
    if v.records.is_empty() {
        body.push_str("<p>Нет записей.</p>");
    } else {
        body.push_str(
            "<table><tr><th>Дата и время</th><th>Филиал</th><th>Мероприятие</th><th>Сотрудник</th><th>Способ</th>\
             <th>Результат</th><th>Льгота</th><th>Категория</th><th>Причина неудачи</th><th>Без связи</th>\
             <th>Примечание</th></tr>",
        );
        for stored in v.records {
            let r = &stored.record;
            let at = local_time(v.tz, r.created_at_ms).map(|t| t.format("%d.%m.%Y %H:%M:%S").to_string());
            let _ = write!(
                body,
                "<tr data-id=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.id),
                at.unwrap_or_default(),
                esc(names.branch(&r.branch_id)),
                esc(&r.event_id.as_deref().map(|e| names.event_label(e)).unwrap_or_default()),
                esc(&r.staff_label),
                esc(r.method.map_or("", |m| method_name(m.as_str()))),
                esc(r.outcome.map_or("", |o| outcome_name(o.as_str()))),
                if r.granted == Some(true) { "предоставлена" } else { "не предоставлена" },
                esc(names.category(r.category_id.as_deref().unwrap_or(""))),
                esc(r.failure_reason_id.as_deref().map_or("", |f| names.failure_reason(f))),
                if stored.offline { "да" } else { "" },
                esc(r.note.as_deref().unwrap_or("")),
            );
        }
        body.push_str("</table>");
    }
    if let Some(next) = &v.next {
        let _ = write!(
            body,
            "<p><a id=\"next-page\" href=\"/records?{}\">Следующие {PAGE_SIZE} →</a></p>",
            esc(&format!("{query}&before={next}"))
        );
    }
    body.push_str("</section>");
    pages::page("Записи — «Льгота»", &pages::header(v.admin, v.csrf, names, "/records"), &body)
}
