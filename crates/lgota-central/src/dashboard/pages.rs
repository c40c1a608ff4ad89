//! Server-rendered Russian HTML of the dashboard: no scripts, inline SVG charts, every value
//! escaped with [`esc`].

use std::fmt::Write as _;

use chrono::Datelike;
use chrono_tz::Tz;

use crate::report::TrendUnit;
pub use crate::report::names::{event_label, ru_date, ru_date_text, Names};
use crate::report::calendar::MONTHS;
pub use crate::report::calendar::{
    day_start_ms, local_time, next_month, trend_stretches, trend_unit, Period, MAX_WEEKS_DAYS,
};
use crate::report::{Overview, TrendCounts};
use crate::store::{Admin, RecordFilter, Role, StoredRecord};

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// dd.mm.yyyy.
/// A date field that does not depend on the browser's language: text `ДД.ММ.ГГГГ` (a browser's
/// own date field shows mm/dd/yyyy under an English locale).
pub fn date_input(name: &str, value: &str, required: bool) -> String {
    format!(
        "<input name=\"{name}\" type=\"text\" inputmode=\"numeric\" placeholder=\"дд.мм.гггг\" size=\"10\" \
         maxlength=\"10\" pattern=\"\\d{{1,2}}\\.\\d{{1,2}}\\.\\d{{4}}|\\d{{4}}-\\d{{2}}-\\d{{2}}\" \
         title=\"дд.мм.гггг\" value=\"{}\"{}>",
        esc(value),
        if required { " required" } else { "" }
    )
}

pub fn method_name(id: &str) -> &str {
    match id {
        "digital_id" => "Цифровой ID",
        "paper" => "Бумажный документ",
        "svo_qr" => "QR-код участника СВО",
        "none" => "Без подтверждения",
        other => other,
    }
}

pub fn outcome_name(id: &str) -> &str {
    match id {
        "confirmed" => "Статус подтверждён",
        "paper_shown" => "Предъявлен бумажный документ",
        "paper_rejected" => "Документ не принят",
        "no_document" => "Документа нет",
        "refused" => "Без подтверждения / отказ",
        other => other,
    }
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}\
header{display:flex;justify-content:space-between;align-items:center;flex-wrap:wrap;gap:.4rem 1rem;padding:.6rem 1.2rem;background:#1f4e79;color:#fff}\
nav a{color:#fff;margin-right:.9rem}nav a[aria-current]{font-weight:700;text-decoration:none;border-bottom:2px solid #fff}\
.ok{color:#145a14;font-weight:600}form.inline{display:inline}input,select{padding:.25rem}fieldset{border:1px solid #dde1e7}\
header form{display:inline}main{padding:1rem 1.2rem;max-width:1100px}\
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:.8rem 1rem;margin:0 0 1rem}\
h1{font-size:1.3rem;margin:0}h2{font-size:1.05rem;margin:.2rem 0 .6rem}\
table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left;border-bottom:1px solid #eee}\
td.n{text-align:right;font-variant-numeric:tabular-nums}.wide{overflow-x:auto}.legend span{margin-right:1rem}\
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(540px,1fr));gap:1rem}\
.kpi{display:flex;gap:2rem;flex-wrap:wrap}.kpi a{color:inherit;text-decoration:none}#records{overflow-x:auto}.kpi div{font-size:.9rem}.kpi b{display:block;font-size:1.6rem}\
.error{color:#a00;font-weight:600}label{margin-right:.8rem}button{cursor:pointer}\
.login{max-width:340px;margin:4rem auto}.login input{display:block;width:100%;margin:.2rem 0 .8rem;padding:.4rem}\
@media print{header,main>p{display:none}section{border:0}}";

pub(crate) fn page(title: &str, header: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{CSS}</style></head><body>{header}<main>{body}</main></body></html>",
        esc(title)
    )
}

pub fn login_page(error: Option<&str>, login: &str) -> String {
    let error = error.map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e))).unwrap_or_default();
    page(
        "Вход — «Льгота»",
        "",
        &format!(
            "<section class=\"login\"><h1>«Льгота»: вход для администратора</h1>{error}\
             <form method=\"post\" action=\"/login\">\
             <label for=\"login\">Логин</label><input id=\"login\" name=\"login\" autocomplete=\"username\" required value=\"{}\">\
             <label for=\"password\">Пароль</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
             <button type=\"submit\">Войти</button></form></section>",
            esc(login)
        ),
    )
}

pub fn message_page(title: &str, message: &str) -> String {
    page(
        title,
        "",
        &format!(
            "<section><h1>{}</h1><p>{}</p><p><a href=\"/\">На главную</a></p></section>",
            esc(title),
            esc(message)
        ),
    )
}

/// The pages of the navigation bar: path, label, administrators only.
const NAV: &[(&str, &str, bool)] = &[
    ("/", "Обзор", false),
    ("/records", "Записи", false),
    ("/events", "Мероприятия", false),
    ("/devices", "Устройства", false),
    ("/branches", "Филиалы", true),
    ("/reference", "Справочники", true),
    ("/content", "Инструкции", true),
    ("/import", "Импорт", true),
    ("/discrepancies", "Расхождения", true),
    ("/audit", "Журнал", true),
];

pub(crate) fn header(admin: &Admin, csrf: &str, names: &Names, active: &str) -> String {
    let role = match &admin.role {
        Role::Admin => "администратор".to_string(),
        Role::BranchHead(b) => format!("заведующий: {}", names.branch(b)),
    };
    let mut nav = String::from("<nav aria-label=\"Разделы\">");
    for (path, label, admin_only) in NAV {
        if *admin_only && admin.role != Role::Admin {
            continue;
        }
        let current = if *path == active { " aria-current=\"page\"" } else { "" };
        let _ = write!(nav, "<a href=\"{path}\"{current}>{label}</a>");
    }
    nav.push_str("</nav>");
    format!(
        "<header><h1>«Льгота» — сводка проверок</h1>{nav}<div><span>{} ({})</span> \
         <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\">Выйти</button></form></div></header>",
        esc(&admin.login),
        esc(&role),
        esc(csrf)
    )
}

/// dd.mm.yyyy HH:MM in `tz`.
pub fn local_text(tz: Tz, utc_ms: i64) -> String {
    local_time(tz, utc_ms).map(|t| t.format("%d.%m.%Y %H:%M").to_string()).unwrap_or_default()
}

/// A page of a signed-in user: header with navigation (`active` is the current section's path).
pub fn shell(admin: &Admin, csrf: &str, names: &Names, active: &str, title: &str, body: &str) -> String {
    page(&format!("{title} — «Льгота»"), &header(admin, csrf, names, active), body)
}

pub(crate) fn percent(n: u64, total: u64) -> String {
    if total == 0 {
        "—".into()
    } else {
        format!("{:.1}%", n as f64 * 100.0 / total as f64).replace('.', ",")
    }
}

/// A chart row: key, label, count, and the link to the records behind the count.
type ChartRow = (String, String, u64, String);

/// A horizontal bar chart (inline SVG) and the same figures as a table; every bar and count
/// links to its records.
fn chart(id: &str, title: &str, rows: &[ChartRow], total: u64) -> String {
    chart_noted(id, title, rows, total, "")
}

/// [`chart`] with a note (HTML) under the table.
fn chart_noted(id: &str, title: &str, rows: &[ChartRow], total: u64, note: &str) -> String {
    let mut out = format!("<section id=\"{}\"><h2>{}</h2>", esc(id), esc(title));
    if rows.is_empty() {
        out.push_str("<p>Нет данных за период.</p></section>");
        return out;
    }
    let max = rows.iter().map(|r| r.2).max().unwrap_or(1).max(1);
    let (label_w, bar_w, row_h) = (250.0, 220.0, 22.0);
    let height = row_h * rows.len() as f64 + 4.0;
    let _ = write!(
        out,
        "<svg role=\"img\" aria-label=\"{}\" width=\"520\" height=\"{height}\" viewBox=\"0 0 520 {height}\">",
        esc(title)
    );
    for (i, (_, label, n, href)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 2.0;
        let w = (*n as f64 / max as f64 * bar_w).max(1.0);
        let short: String = label.chars().take(36).collect();
        let _ = write!(
            out,
            "<a href=\"{}\"><text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text>\
             <rect x=\"{}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"#2e75b6\"><title>{}: {n}</title></rect>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">{n}</text></a>",
            esc(href),
            label_w - 6.0,
            y + 14.0,
            esc(&short),
            label_w,
            row_h - 6.0,
            esc(label),
            label_w + w + 4.0,
            y + 14.0,
        );
    }
    out.push_str("</svg><table>");
    for (key, label, n, href) in rows {
        let _ = write!(
            out,
            "<tr data-key=\"{}\"><th>{}</th><td class=\"n\"><a href=\"{}\">{n}</a></td><td class=\"n\">{}</td></tr>",
            esc(key),
            esc(label),
            esc(href),
            percent(*n, total)
        );
    }
    out.push_str("</table>");
    out.push_str(note);
    out.push_str("</section>");
    out
}

/// Colours of the trend's parts: Digital ID, paper, other methods.
const TREND_COLOURS: [&str; 3] = ["#2e75b6", "#e08a1e", "#9aa5b1"];

/// One column of the trend: its stretch, labels (short under the column, full in the table),
/// counts, and the links to its records (all, Digital ID, paper).
pub struct TrendColumn {
    pub stretch: Period,
    pub short: String,
    pub label: String,
    pub counts: TrendCounts,
    pub href: String,
    pub digital_href: String,
    pub paper_href: String,
}

/// A column chart of the trend (inline SVG), each column stacked Digital ID / paper / other
/// methods with its count above, and the same figures as a table; every column and count links
/// to its records.
fn trend_chart(unit: TrendUnit, columns: &[TrendColumn], note: &str) -> String {
    let title = match unit {
        TrendUnit::Week => "Динамика по неделям",
        TrendUnit::Month => "Динамика по месяцам",
    };
    let mut out = format!("<section id=\"trend\" data-unit=\"{}\"><h2>{title}</h2>{note}", unit.as_str());
    if columns.iter().all(|c| c.counts.checks == 0) {
        out.push_str("<p>Нет данных за период.</p></section>");
        return out;
    }
    let _ = write!(
        out,
        "<p class=\"legend\"><span><i style=\"background:{}\"></i>Цифровой ID</span>\
         <span><i style=\"background:{}\"></i>Бумажный документ</span>\
         <span><i style=\"background:{}\"></i>Другие способы</span></p>",
        TREND_COLOURS[0], TREND_COLOURS[1], TREND_COLOURS[2]
    );
    let max = columns.iter().map(|c| c.counts.checks).max().unwrap_or(1).max(1);
    let col_w = (1000.0 / columns.len() as f64).clamp(16.0, 56.0);
    let (top, plot_h, bottom) = (18.0, 160.0, 34.0);
    let width = (col_w * columns.len() as f64 + 8.0).max(300.0);
    let height = top + plot_h + bottom;
    let font = if col_w < 30.0 { 9 } else { 11 };
    // Labels under every column when they fit, else under every few.
    let every = if col_w >= 40.0 { 1 } else { (40.0 / col_w).ceil() as usize };
    let _ = write!(
        out,
        "<div class=\"wide\"><svg role=\"img\" aria-label=\"{title}\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\">"
    );
    for (i, c) in columns.iter().enumerate() {
        let x = 4.0 + i as f64 * col_w;
        let w = col_w * 0.74;
        let t = &c.counts;
        let other = t.checks.saturating_sub(t.digital_id + t.paper);
        let _ = write!(out, "<a href=\"{}\">", esc(&c.href));
        let mut y = top + plot_h;
        for (n, colour) in [(t.digital_id, TREND_COLOURS[0]), (t.paper, TREND_COLOURS[1]), (other, TREND_COLOURS[2])] {
            if n == 0 {
                continue;
            }
            let h = n as f64 / max as f64 * plot_h;
            y -= h;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{colour}\">\
                 <title>{}: {} (Цифровой ID {}, бумажный документ {}, другие {other})</title></rect>",
                esc(&c.label),
                t.checks,
                t.digital_id,
                t.paper
            );
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{font}\" text-anchor=\"middle\">{}</text></a>",
            x + w / 2.0,
            y - 4.0,
            t.checks
        );
        if i % every == 0 {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{font}\" text-anchor=\"middle\">{}</text>",
                x + w / 2.0,
                top + plot_h + 14.0,
                esc(&c.short)
            );
        }
    }
    out.push_str(
        "</svg></div><table><tr><th>Период</th><th>Проверок</th><th>Цифровой ID</th><th>Бумажный документ</th>\
         <th>Другие способы</th></tr>",
    );
    // A part's link only where it has checks: under a page filtered by another method the part
    // is 0 and has no records of its own to show.
    let part = |n: u64, href: &str| {
        if n == 0 {
            "0".to_string()
        } else {
            format!("<a href=\"{}\">{n}</a>", esc(href))
        }
    };
    for c in columns {
        let t = &c.counts;
        let _ = write!(
            out,
            "<tr data-from=\"{}\" data-to=\"{}\"><th>{}</th><td class=\"n\"><a href=\"{}\">{}</a></td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            c.stretch.from.format("%Y-%m-%d"),
            c.stretch.to.format("%Y-%m-%d"),
            esc(&c.label),
            esc(&c.href),
            t.checks,
            part(t.digital_id, &c.digital_href),
            part(t.paper, &c.paper_href),
            t.checks.saturating_sub(t.digital_id + t.paper)
        );
    }
    out.push_str("</table></section>");
    out
}

/// The labels of a trend stretch: short (under its column) and full (in the table).
pub fn stretch_labels(unit: TrendUnit, p: &Period) -> (String, String) {
    match unit {
        TrendUnit::Week => (
            p.from.format("%d.%m").to_string(),
            if p.from == p.to { ru_date(p.from) } else { format!("{} — {}", ru_date(p.from), ru_date(p.to)) },
        ),
        TrendUnit::Month => {
            let name = MONTHS[p.from.month0() as usize];
            let short: String = name.chars().take(3).collect();
            (format!("{short} {}", p.from.format("%y")), format!("{name} {}", p.from.year()))
        }
    }
}

/// What the overview page shows besides the figures.
pub struct OverviewView<'a> {
    pub admin: &'a Admin,
    pub csrf: &'a str,
    pub period: Period,
    pub branch: Option<&'a str>,
    pub category: Option<&'a str>,
    pub error: Option<&'a str>,
    pub names: &'a Names,
    pub branch_ids: &'a [String],
    pub category_ids: &'a [String],
    pub tz: Tz,
    /// The filter of the figures (a branch head's branch in it), for the links to their records.
    pub filter: &'a RecordFilter,
    /// The trend as asked for (the form shows it), the unit used, and its counts per stretch.
    pub trend_asked: Option<TrendUnit>,
    pub trend_unit: TrendUnit,
    pub trend: &'a [(Period, TrendCounts)],
}

/// How the page names the institution's time zone.
pub fn tz_label(tz: Tz) -> String {
    if tz == chrono_tz::Europe::Moscow {
        "время московское".to_string()
    } else {
        format!("часовой пояс {}", tz.name())
    }
}

pub(crate) fn select(
    name: &str,
    label: &str,
    all: &str,
    options: &[(String, String)],
    selected: Option<&str>,
) -> String {
    let mut out =
        format!("<label>{} <select name=\"{}\"><option value=\"\">{}</option>", esc(label), esc(name), esc(all));
    for (id, text) in options {
        let sel = if selected == Some(id.as_str()) { " selected" } else { "" };
        let _ = write!(out, "<option value=\"{}\"{sel}>{}</option>", esc(id), esc(text));
    }
    out.push_str("</select></label>");
    out
}


fn recent_table(records: &[(StoredRecord, bool)], names: &Names, tz: Tz) -> String {
    let mut out = String::from("<section id=\"recent\"><h2>Последние записи</h2>");
    if records.is_empty() {
        out.push_str("<p>Нет записей за период.</p></section>");
        return out;
    }
    out.push_str(
        "<table><tr><th>Дата и время</th><th>Филиал</th><th>Сотрудник</th><th>Запись</th><th>Категория</th>\
         <th>Примечание</th></tr>",
    );
    for (stored, voided) in records {
        let r = &stored.record;
        let at = local_time(tz, r.created_at_ms);
        let what = match (r.kind, r.method, r.outcome) {
            (lgota_protocol::RecordKind::Void, ..) => {
                format!("аннулирование: {}", r.void_reason.as_deref().unwrap_or(""))
            }
            (_, Some(m), Some(o)) => {
                let void = if *voided { " (аннулирована)" } else { "" };
                format!("{}: {}{void}", method_name(m.as_str()), outcome_name(o.as_str()))
            }
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            at.map(|t| t.format("%d.%m.%Y %H:%M").to_string()).unwrap_or_default(),
            esc(names.branch(&r.branch_id)),
            esc(&r.staff_label),
            esc(&what),
            esc(r.category_id.as_deref().map_or("", |c| names.category(c))),
            esc(r.note.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</table></section>");
    out
}

pub fn overview_page(v: &OverviewView, o: &Overview, recent: &[(StoredRecord, bool)]) -> String {
    let names = v.names;
    let mut body = String::new();
    // The filter form only reads (GET), so it carries no CSRF token: the token would land in
    // URLs, logs and Referer headers. Every POST form carries it.
    body.push_str("<section><form method=\"get\" action=\"/\" id=\"filters\">");
    let _ = write!(
        body,
        "<label>С {}</label><label>по {}</label>",
        date_input("from", &ru_date(v.period.from), false),
        date_input("to", &ru_date(v.period.to), false)
    );
    if v.admin.role.branch().is_none() {
        let options: Vec<(String, String)> =
            v.branch_ids.iter().map(|b| (b.clone(), names.branch(b).to_string())).collect();
        body.push_str(&select("branch", "Филиал", "Все филиалы", &options, v.branch));
    }
    let options: Vec<(String, String)> =
        v.category_ids.iter().map(|c| (c.clone(), names.category(c).to_string())).collect();
    body.push_str(&select("category", "Категория", "Все категории", &options, v.category));
    let selected = super::filter::event_selected(v.filter);
    let events = names.event_options(v.filter.branch_id.as_deref(), selected);
    body.push_str(&select("event", "Мероприятие", "Все мероприятия", &events, selected));
    let units = [("week".to_string(), "по неделям".to_string()), ("month".to_string(), "по месяцам".to_string())];
    body.push_str(&select("trend", "Динамика", "автоматически", &units, v.trend_asked.map(TrendUnit::as_str)));
    body.push_str("<button type=\"submit\">Показать</button></form>");
    if let Some(e) = v.error {
        let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p>", esc(e));
    }
    let _ = write!(
        body,
        "<p>Период: {} — {} ({tz}). <a href=\"/export/records.csv?{query}\">Выгрузить записи (CSV)</a> · \
         <a href=\"/export/records.xlsx?{query}\">Выгрузить записи (Excel)</a> · \
         <a href=\"/export/summary.xlsx?year={year}\">Сводка по месяцам за {year} год (Excel)</a></p></section>",
        ru_date(v.period.from),
        ru_date(v.period.to),
        query = esc(&super::filter::query(&v.period, v.filter, &v.admin.role)),
        year = v.period.from.year(),
        tz = esc(&tz_label(v.tz)),
    );
    let count = |list: &[(String, u64)], key: &str| list.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n);
    let digital = count(&o.by_method, "digital_id");
    let paper = count(&o.by_method, "paper");
    // Every figure leads to the records behind it: the page's filter plus the figure's own key.
    let link = |f: &dyn Fn(&mut RecordFilter)| {
        let mut filter = v.filter.clone();
        f(&mut filter);
        format!("/records?{}", super::filter::query(&v.period, &filter, &v.admin.role))
    };
    let _ = write!(
        body,
        "<section id=\"totals\"><h2>Итоги</h2><div class=\"kpi\">\
         <a href=\"{}\"><div>Проверок<b data-figure=\"total\">{}</b></div></a>\
         <a href=\"{}\"><div>Цифровой ID<b data-figure=\"digital-share\">{}</b></div></a>\
         <a href=\"{}\"><div>Бумажный документ<b data-figure=\"paper-share\">{}</b></div></a>\
         <a href=\"{}\"><div>Льгота предоставлена<b data-figure=\"granted\">{}</b></div></a>\
         <a href=\"{}\"><div>Не предоставлена<b data-figure=\"refused\">{}</b></div></a></div>\
         <p>Учитываются проверки без аннулированных; учебные записи на сервер не попадают.</p></section>",
        esc(&link(&|_| {})),
        o.total,
        esc(&link(&|f| f.method = Some(lgota_protocol::Method::DigitalId))),
        percent(digital, o.total),
        esc(&link(&|f| f.method = Some(lgota_protocol::Method::Paper))),
        percent(paper, o.total),
        esc(&link(&|f| f.granted = Some(true))),
        o.granted,
        esc(&link(&|f| f.granted = Some(false))),
        o.refused
    );
    let rows =
        |list: &[(String, u64)],
         name: &dyn Fn(&str) -> String,
         by: &dyn Fn(&mut RecordFilter, &str)|
         -> Vec<ChartRow> { list.iter().map(|(k, n)| (k.clone(), name(k), *n, link(&|f| by(f, k)))).collect() };
    let text = |s: &str| Some(s.to_string());
    // The trend: each stretch's records are the page's filter over the stretch's days.
    let stretch_link = |p: &Period, method: Option<lgota_protocol::Method>| {
        let mut filter = v.filter.clone();
        if method.is_some() {
            filter.method = method;
        }
        format!("/records?{}", super::filter::query(p, &filter, &v.admin.role))
    };
    let columns: Vec<TrendColumn> = v
        .trend
        .iter()
        .map(|(p, counts)| {
            let (short, label) = stretch_labels(v.trend_unit, p);
            TrendColumn {
                stretch: *p,
                short,
                label,
                counts: counts.clone(),
                href: stretch_link(p, None),
                digital_href: stretch_link(p, Some(lgota_protocol::Method::DigitalId)),
                paper_href: stretch_link(p, Some(lgota_protocol::Method::Paper)),
            }
        })
        .collect();
    let note = if v.trend_asked == Some(TrendUnit::Week) && v.trend_unit == TrendUnit::Month {
        "<p>По неделям — для периодов не длиннее двух лет; этот период показан по месяцам.</p>"
    } else {
        ""
    };
    body.push_str(&trend_chart(v.trend_unit, &columns, note));
    body.push_str("<div class=\"grid\">");
    body.push_str(&chart(
        "by-branch",
        "По филиалам",
        &rows(&o.by_branch, &|k| names.branch(k).to_string(), &|f, k| f.branch_id = text(k)),
        o.total,
    ));
    body.push_str(&chart(
        "by-method",
        "По способу подтверждения",
        &rows(&o.by_method, &|k| method_name(k).to_string(), &|f, k| f.method = lgota_protocol::Method::parse(k)),
        o.total,
    ));
    body.push_str(&chart(
        "by-outcome",
        "По результату",
        &rows(&o.by_outcome, &|k| outcome_name(k).to_string(), &|f, k| f.outcome = lgota_protocol::Outcome::parse(k)),
        o.total,
    ));
    body.push_str(&chart(
        "by-category",
        "По категориям",
        &rows(&o.by_category, &|k| names.category(k).to_string(), &|f, k| f.category_id = text(k)),
        o.total,
    ));
    body.push_str(&chart(
        "by-failure",
        "Причины неудачи Цифрового ID",
        &rows(&o.by_failure_reason, &|k| names.failure_reason(k).to_string(), &|f, k| f.failure_reason_id = text(k)),
        o.total,
    ));
    let more = if o.more_events > 0 {
        format!(
            "<p>Показаны {} мероприятий с наибольшим числом проверок; ещё мероприятий: {}.</p>",
            crate::report::TOP_EVENTS,
            o.more_events
        )
    } else {
        String::new()
    };
    body.push_str(&chart_noted(
        "by-event",
        "По мероприятиям",
        &rows(&o.by_event, &|k| names.event_label(k), &|f, k| f.event_id = text(k)),
        o.total,
        &more,
    ));
    let granted = vec![
        ("granted".to_string(), "Предоставлена".to_string(), o.granted, link(&|f| f.granted = Some(true))),
        ("refused".to_string(), "Не предоставлена".to_string(), o.refused, link(&|f| f.granted = Some(false))),
    ];
    body.push_str(&chart("by-granted", "Льгота", if o.total == 0 { &[] } else { &granted }, o.total));
    body.push_str("</div>");
    body.push_str(&recent_table(recent, names, v.tz));
    page("Сводка — «Льгота»", &header(v.admin, v.csrf, names, "/"), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_periods() {
        let tz = chrono_tz::Europe::Moscow;
        assert_eq!(esc("<a href=\"x\">'&"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;");
        let p = Period::parse(Some("2026-03-01"), Some("2026-03-31"), tz).unwrap();
        let (from, to) = p.utc_ms(tz);
        // 2026-03-01 00:00 MSK = 2026-02-28 21:00 UTC.
        assert_eq!(from, 1_772_312_400_000);
        assert_eq!(to - from, 31 * 86_400_000);
        assert!(Period::parse(Some("2026-03-02"), Some("2026-03-01"), tz).is_err());
        // Typed the Russian way, the same period.
        let typed = Period::parse(Some("01.03.2026"), Some("31.3.2026"), tz).unwrap();
        assert_eq!((typed.from, typed.to), (p.from, p.to));
        assert!(Period::parse(Some("31.02.2026"), None, tz).is_err());
        assert!(Period::parse(Some("+262142-12-31"), None, tz).is_err());
        let m = Period::current_month(tz);
        assert_eq!(m.from.day(), 1);
        assert!(m.to >= m.from);
        assert_eq!(crate::dashboard::filter::query_string(&[("a", "x y&"), ("b", "")]), "a=x%20y%26");
    }

    #[test]
    fn periods_follow_the_zone_and_its_clock_changes() {
        let berlin = chrono_tz::Europe::Berlin;
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // March 2026 in Berlin: starts at UTC+1, ends at UTC+2 (clocks go forward on the 29th).
        let (from, to) = Period { from: day("2026-03-01"), to: day("2026-03-31") }.utc_ms(berlin);
        assert_eq!(from, 1_772_319_600_000, "2026-02-28 23:00 UTC");
        assert_eq!(to - from, 31 * 86_400_000 - 3_600_000, "a day of 23 hours");
        // The day of the change is 23 hours long; the autumn one 25.
        assert_eq!(day_start_ms(berlin, day("2026-03-30")) - day_start_ms(berlin, day("2026-03-29")), 23 * 3_600_000);
        assert_eq!(day_start_ms(berlin, day("2026-10-26")) - day_start_ms(berlin, day("2026-10-25")), 25 * 3_600_000);
        // Where a clock change skips midnight (Santiago, 2026-09-06 00:00 → 01:00), the day
        // starts at its first existing moment.
        let santiago = chrono_tz::America::Santiago;
        let start = local_time(santiago, day_start_ms(santiago, day("2026-09-06"))).unwrap();
        assert_eq!(start.format("%Y-%m-%d %H:%M").to_string(), "2026-09-06 01:00");
        assert_eq!(tz_label(chrono_tz::Europe::Moscow), "время московское");
        assert_eq!(tz_label(berlin), "часовой пояс Europe/Berlin");
    }

    #[test]
    fn trend_stretches_are_monday_weeks_or_months_cut_to_the_period() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let p = Period { from: day("2026-02-01"), to: day("2026-04-30") };
        assert_eq!(trend_unit(&p, None), TrendUnit::Week);
        let weeks = trend_stretches(&p, TrendUnit::Week);
        assert_eq!(weeks.len(), 14);
        // 2026-02-01 is a Sunday: a week of one day, then Monday to Sunday, the last cut.
        assert_eq!((weeks[0].from, weeks[0].to), (day("2026-02-01"), day("2026-02-01")));
        assert_eq!((weeks[1].from, weeks[1].to), (day("2026-02-02"), day("2026-02-08")));
        assert_eq!((weeks[13].from, weeks[13].to), (day("2026-04-27"), day("2026-04-30")));
        assert!(weeks.windows(2).all(|w| w[0].to.succ_opt() == Some(w[1].from)), "no gap, no overlap");
        let months = trend_stretches(&p, TrendUnit::Month);
        assert_eq!(
            months.iter().map(|m| (m.from.month(), m.to.day())).collect::<Vec<_>>(),
            [(2, 28), (3, 31), (4, 30)]
        );
        let year = Period { from: day("2026-01-15"), to: day("2026-12-31") };
        assert_eq!(trend_unit(&year, None), TrendUnit::Month);
        assert_eq!(trend_unit(&year, Some(TrendUnit::Week)), TrendUnit::Week);
        assert_eq!(trend_stretches(&year, TrendUnit::Month)[0].from, day("2026-01-15"));
        let long = Period { from: day("2020-01-01"), to: day("2026-12-31") };
        assert_eq!(trend_unit(&long, Some(TrendUnit::Week)), TrendUnit::Month, "weeks of seven years: months");
        assert_eq!(stretch_labels(TrendUnit::Month, &months[1]), ("Мар 26".to_string(), "Март 2026".to_string()));
        assert_eq!(stretch_labels(TrendUnit::Week, &weeks[1]).1, "02.02.2026 — 08.02.2026");
    }
}
