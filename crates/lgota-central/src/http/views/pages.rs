//! Server-rendered Russian HTML of the dashboard: no scripts, inline SVG charts. The pages are
//! askama templates (`templates/`), which escape every value they show.

use askama::Template;
use chrono::Datelike;
use chrono_tz::Tz;

use super::templates::{render, Frame};
use crate::report::calendar::MONTHS;
pub use crate::report::calendar::{
    day_start_ms, local_time, next_month, trend_stretches, trend_unit, Period, MAX_WEEKS_DAYS,
};
pub use crate::report::names::{event_label, ru_date, ru_date_text, Names};
use crate::report::{Overview, TrendCounts, TrendUnit};
use crate::store::{Admin, RecordFilter, Role, StoredRecord};

pub fn method_name(id: &str) -> &str {
    match id {
        "digital_id" => "Цифровой ID",
        "paper" => "Бумажный документ",
        "svo_qr" => "QR-код участника СВО",
        "none" => "Без подтверждения",
        other => other,
    }
}

/// `kind=benefit` of a link (the ids are named when the link is followed).
fn benefit_kind() -> crate::store::KindFilter {
    crate::store::KindFilter { age_check: false, age_category_ids: Vec::new() }
}

/// `kind=age_check` of a link.
fn age_kind() -> crate::store::KindFilter {
    crate::store::KindFilter { age_check: true, age_category_ids: Vec::new() }
}

pub fn outcome_name(id: &str) -> &str {
    match id {
        "confirmed" => "Статус подтверждён",
        "paper_shown" => "Предъявлен бумажный документ",
        "paper_rejected" => "Документ не принят",
        "no_document" => "Документа нет",
        "refused" => "Гражданин отказался от подтверждения",
        other => other,
    }
}

/// A choice of a drop-down: its value, its text, whether it is the one selected.
pub struct Choice {
    pub value: String,
    pub text: String,
    pub selected: bool,
}

impl Choice {
    /// `options` as (value, text), the one equal to `selected` selected.
    pub fn list(options: &[(String, String)], selected: Option<&str>) -> Vec<Choice> {
        options
            .iter()
            .map(|(value, text)| Choice {
                value: value.clone(),
                text: text.clone(),
                selected: selected == Some(value.as_str()),
            })
            .collect()
    }
}

/// A drop-down of a filter form: the empty value («all») first, then the choices.
pub struct Select {
    pub name: &'static str,
    pub label: &'static str,
    pub all: &'static str,
    pub choices: Vec<Choice>,
}

/// The filter form of the overview and the records, why it was refused if it was, and the
/// period line under it.
pub struct FilterForm<'a> {
    /// The period's ends, dd.mm.yyyy.
    pub from: String,
    pub to: String,
    pub selects: Vec<Select>,
    /// How the page names the institution's time zone.
    pub tz: String,
    /// The filter as a query string, for the links to other views of the same records.
    pub query: String,
    /// Why the filter was refused.
    pub error: Option<&'a str>,
}

impl<'a> FilterForm<'a> {
    pub fn new(
        period: &Period,
        tz: Tz,
        filter: &RecordFilter,
        role: &Role,
        selects: Vec<Select>,
        error: Option<&'a str>,
    ) -> FilterForm<'a> {
        FilterForm {
            from: ru_date(period.from),
            to: ru_date(period.to),
            selects,
            error,
            tz: tz_label(tz),
            query: super::filter::query(period, filter, role),
        }
    }
}

pub(crate) fn select(
    name: &'static str,
    label: &'static str,
    all: &'static str,
    options: &[(String, String)],
    selected: Option<&str>,
) -> Select {
    Select { name, label, all, choices: Choice::list(options, selected) }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    frame: Frame<'a>,
    error: Option<&'a str>,
    login: &'a str,
    /// Why signing in cannot work from here (a `Secure` cookie over plain http), if so.
    insecure: Option<&'a str>,
}

/// The sign-in form with why the last attempt failed, the login typed, and why signing in cannot
/// work from this address, if it cannot.
pub fn login_page(error: Option<&str>, login: &str, insecure: Option<&str>) -> String {
    render(&LoginPage { frame: Frame::bare("Вход — «Льгота»"), error, login, insecure })
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    frame: Frame<'a>,
    message: &'a str,
}

pub fn message_page(title: &str, message: &str) -> String {
    render(&MessagePage { frame: Frame::bare(title), message })
}

/// dd.mm.yyyy HH:MM in `tz`.
pub fn local_text(tz: Tz, utc_ms: i64) -> String {
    local_time(tz, utc_ms).map(|t| t.format("%d.%m.%Y %H:%M").to_string()).unwrap_or_default()
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

/// A bar of a [`Chart`] and its row of the table, with the bar's place in the SVG.
struct Bar {
    key: String,
    label: String,
    /// The label cut to fit left of the bar.
    short: String,
    n: u64,
    href: String,
    percent: String,
    y: f64,
    text_y: f64,
    width: String,
    count_x: f64,
}

/// A horizontal bar chart (inline SVG) and the same figures as a table; every bar and count
/// links to its records. An optional note stands under the table.
struct Chart {
    id: &'static str,
    title: &'static str,
    height: f64,
    bars: Vec<Bar>,
    note: Option<String>,
}

/// The SVG's geometry: the labels' column, the longest bar, a row's height.
const LABEL_W: f64 = 250.0;
const BAR_W: f64 = 220.0;
const ROW_H: f64 = 22.0;

fn chart(id: &'static str, title: &'static str, rows: &[ChartRow], total: u64) -> Chart {
    let max = rows.iter().map(|r| r.2).max().unwrap_or(1).max(1);
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, (key, label, n, href))| {
            let y = i as f64 * ROW_H + 2.0;
            let w = (*n as f64 / max as f64 * BAR_W).max(1.0);
            Bar {
                key: key.clone(),
                label: label.clone(),
                short: label.chars().take(36).collect(),
                n: *n,
                href: href.clone(),
                percent: percent(*n, total),
                y,
                text_y: y + 14.0,
                width: format!("{w:.1}"),
                count_x: LABEL_W + w + 4.0,
            }
        })
        .collect();
    Chart { id, title, height: ROW_H * rows.len() as f64 + 4.0, bars, note: None }
}

/// A stacked part of a trend column: its rectangle and colour.
struct TrendPart {
    y: String,
    height: String,
    colour: &'static str,
}

/// A column of the trend chart: its parts, count, label, and row of the table.
struct TrendBar {
    c: TrendColumn,
    other: u64,
    x: String,
    width: String,
    parts: Vec<TrendPart>,
    middle: String,
    count_y: String,
    /// The label under the column, where there is room for it.
    short: Option<String>,
}

/// A column chart of the trend (inline SVG), each column stacked Digital ID / paper / other
/// methods with its count above, and the same figures as a table.
struct Trend {
    unit: &'static str,
    title: &'static str,
    /// Weeks were asked for a period too long for them.
    months_instead: bool,
    empty: bool,
    width: String,
    height: String,
    font: u32,
    label_y: String,
    bars: Vec<TrendBar>,
}

/// Colours of the trend's parts: Digital ID, paper, other methods (the legend's in the CSS).
const TREND_COLOURS: [&str; 3] = ["#2e75b6", "#e08a1e", "#9aa5b1"];

fn trend(unit: TrendUnit, columns: Vec<TrendColumn>, months_instead: bool) -> Trend {
    let title = match unit {
        TrendUnit::Week => "Динамика по неделям",
        TrendUnit::Month => "Динамика по месяцам",
    };
    let max = columns.iter().map(|c| c.counts.checks).max().unwrap_or(1).max(1);
    let col_w = (1000.0 / columns.len() as f64).clamp(16.0, 56.0);
    let (top, plot_h, bottom) = (18.0, 160.0, 34.0);
    let width = (col_w * columns.len() as f64 + 8.0).max(300.0);
    // Labels under every column when they fit, else under every few.
    let every = if col_w >= 40.0 { 1 } else { (40.0 / col_w).ceil() as usize };
    let empty = columns.iter().all(|c| c.counts.checks == 0);
    let bars = columns
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let x = 4.0 + i as f64 * col_w;
            let w = col_w * 0.74;
            let t = &c.counts;
            let other = t.checks.saturating_sub(t.digital_id + t.paper);
            let mut y = top + plot_h;
            let mut parts = Vec::new();
            for (n, colour) in
                [(t.digital_id, TREND_COLOURS[0]), (t.paper, TREND_COLOURS[1]), (other, TREND_COLOURS[2])]
            {
                if n == 0 {
                    continue;
                }
                let h = n as f64 / max as f64 * plot_h;
                y -= h;
                parts.push(TrendPart { y: format!("{y:.1}"), height: format!("{h:.1}"), colour });
            }
            let short = (i % every == 0).then(|| c.short.clone());
            TrendBar {
                other,
                x: format!("{x:.1}"),
                width: format!("{w:.1}"),
                parts,
                middle: format!("{:.1}", x + w / 2.0),
                count_y: format!("{:.1}", y - 4.0),
                short,
                c,
            }
        })
        .collect();
    Trend {
        unit: unit.as_str(),
        title,
        months_instead,
        empty,
        width: format!("{width:.0}"),
        height: format!("{:.0}", top + plot_h + bottom),
        font: if col_w < 30.0 { 9 } else { 11 },
        label_y: format!("{:.1}", top + plot_h + 14.0),
        bars,
    }
}

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

/// A row of «Последние записи».
struct RecentRow {
    at: String,
    branch: String,
    staff: String,
    what: String,
    category: String,
    note: String,
}

fn recent_rows(records: &[(StoredRecord, bool)], names: &Names, tz: Tz) -> Vec<RecentRow> {
    records
        .iter()
        .map(|(stored, voided)| {
            let r = &stored.record;
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
            RecentRow {
                at: local_text(tz, r.created_at_ms),
                branch: names.branch(&r.branch_id).to_string(),
                staff: r.staff_label.clone(),
                what,
                category: r.category_id.as_deref().map_or("", |c| names.category(c)).to_string(),
                note: r.note.clone().unwrap_or_default(),
            }
        })
        .collect()
}

/// A figure of «Итоги»: the link to its records, its label, its `data-figure` and value.
struct Figure {
    href: String,
    label: &'static str,
    id: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage<'a> {
    frame: Frame<'a>,
    form: FilterForm<'a>,
    year: i32,
    figures: Vec<Figure>,
    trend: Trend,
    charts: Vec<Chart>,
    recent: Vec<RecentRow>,
    /// Whether the user may see individual records: the links to them, the exports of records
    /// and the newest records are drawn only then.
    records: bool,
}

pub fn overview_page(v: &OverviewView, o: &Overview, recent: &[(StoredRecord, bool)]) -> String {
    let names = v.names;
    let mut selects = Vec::new();
    if v.admin.role.branch().is_none() {
        let options: Vec<(String, String)> =
            v.branch_ids.iter().map(|b| (b.clone(), names.branch(b).to_string())).collect();
        selects.push(select("branch", "Филиал", "Все филиалы", &options, v.branch));
    }
    let options: Vec<(String, String)> =
        v.category_ids.iter().map(|c| (c.clone(), names.category(c).to_string())).collect();
    selects.push(select("category", "Категория", "Все категории", &options, v.category));
    let selected = super::filter::event_selected(v.filter);
    let events = names.event_options(v.filter.branch_id.as_deref(), selected);
    selects.push(select("event", "Мероприятие", "Все мероприятия", &events, selected));
    let units = [("week".to_string(), "по неделям".to_string()), ("month".to_string(), "по месяцам".to_string())];
    selects.push(select("trend", "Динамика", "автоматически", &units, v.trend_asked.map(TrendUnit::as_str)));

    let count = |list: &[(String, u64)], key: &str| list.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n);
    let digital = count(&o.by_method, "digital_id");
    let paper = count(&o.by_method, "paper");
    // An age check (18+) is not a benefit: granted checks are told apart by the configuration.
    let (benefits, age_checks) = crate::report::split_granted(&o.granted_by_category, |c| names.is_age_check(c));
    // Every figure leads to the records behind it: the page's filter plus the figure's own key
    // (no link for those who may not see records).
    let records = v.admin.sees_records();
    let link = |f: &dyn Fn(&mut RecordFilter)| {
        if !records {
            return String::new();
        }
        let mut filter = v.filter.clone();
        f(&mut filter);
        format!("/records?{}", super::filter::query(&v.period, &filter, &v.admin.role))
    };
    let figures = vec![
        Figure { href: link(&|_| {}), label: "Проверок", id: "total", value: o.total.to_string() },
        Figure {
            href: link(&|f| f.method = Some(lgota_protocol::Method::DigitalId)),
            label: "Цифровой ID",
            id: "digital-share",
            value: percent(digital, o.total),
        },
        Figure {
            href: link(&|f| f.method = Some(lgota_protocol::Method::Paper)),
            label: "Бумажный документ",
            id: "paper-share",
            value: percent(paper, o.total),
        },
        Figure {
            href: link(&|f| {
                f.granted = Some(true);
                f.kind = Some(benefit_kind());
            }),
            label: "Льгота предоставлена",
            id: "granted",
            value: benefits.to_string(),
        },
        Figure {
            href: link(&|f| {
                f.granted = Some(true);
                f.kind = Some(age_kind());
            }),
            label: "Проверка возраста пройдена",
            id: "age-checked",
            value: age_checks.to_string(),
        },
        Figure {
            href: link(&|f| f.granted = Some(false)),
            label: "Не предоставлена",
            id: "refused",
            value: o.refused.to_string(),
        },
    ];
    let rows =
        |list: &[(String, u64)],
         name: &dyn Fn(&str) -> String,
         by: &dyn Fn(&mut RecordFilter, &str)|
         -> Vec<ChartRow> { list.iter().map(|(k, n)| (k.clone(), name(k), *n, link(&|f| by(f, k)))).collect() };
    let text = |s: &str| Some(s.to_string());
    // The trend: each stretch's records are the page's filter over the stretch's days.
    let stretch_link = |p: &Period, method: Option<lgota_protocol::Method>| {
        if !records {
            return String::new();
        }
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
    let months_instead = v.trend_asked == Some(TrendUnit::Week) && v.trend_unit == TrendUnit::Month;
    let mut by_event = chart(
        "by-event",
        "По мероприятиям",
        &rows(&o.by_event, &|k| names.event_label(k), &|f, k| f.event_id = text(k)),
        o.total,
    );
    if o.more_events > 0 {
        by_event.note = Some(format!(
            "Показаны {} мероприятий с наибольшим числом проверок; ещё мероприятий: {}.",
            crate::report::TOP_EVENTS,
            o.more_events
        ));
    }
    let granted = vec![
        (
            "granted".to_string(),
            "Предоставлена".to_string(),
            benefits,
            link(&|f| {
                f.granted = Some(true);
                f.kind = Some(benefit_kind());
            }),
        ),
        (
            "age-checked".to_string(),
            "Проверка возраста пройдена".to_string(),
            age_checks,
            link(&|f| {
                f.granted = Some(true);
                f.kind = Some(age_kind());
            }),
        ),
        ("refused".to_string(), "Не предоставлена".to_string(), o.refused, link(&|f| f.granted = Some(false))),
    ];
    let charts = vec![
        chart(
            "by-branch",
            "По филиалам",
            &rows(&o.by_branch, &|k| names.branch(k).to_string(), &|f, k| f.branch_id = text(k)),
            o.total,
        ),
        chart(
            "by-method",
            "По способу подтверждения",
            &rows(&o.by_method, &|k| method_name(k).to_string(), &|f, k| f.method = lgota_protocol::Method::parse(k)),
            o.total,
        ),
        chart(
            "by-outcome",
            "По результату",
            &rows(&o.by_outcome, &|k| outcome_name(k).to_string(), &|f, k| {
                f.outcome = lgota_protocol::Outcome::parse(k)
            }),
            o.total,
        ),
        chart(
            "by-category",
            "По категориям",
            &rows(&o.by_category, &|k| names.category(k).to_string(), &|f, k| f.category_id = text(k)),
            o.total,
        ),
        chart(
            "by-failure",
            "Причины неудачи Цифрового ID",
            &rows(&o.by_failure_reason, &|k| names.failure_reason(k).to_string(), &|f, k| {
                f.failure_reason_id = text(k)
            }),
            o.total,
        ),
        by_event,
        chart("by-granted", "Льгота", if o.total == 0 { &[] } else { &granted }, o.total),
    ];
    render(&OverviewPage {
        frame: Frame::signed_in(v.admin, v.csrf, names, "/", "Сводка"),
        form: FilterForm::new(&v.period, v.tz, v.filter, &v.admin.role, selects, v.error),
        year: v.period.from.year(),
        figures,
        trend: trend(v.trend_unit, columns, months_instead),
        charts,
        recent: if records { recent_rows(recent, names, v.tz) } else { Vec::new() },
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn periods() {
        let tz = chrono_tz::Europe::Moscow;
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
        assert_eq!(crate::http::views::filter::query_string(&[("a", "x y&"), ("b", "")]), "a=x%20y%26");
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
