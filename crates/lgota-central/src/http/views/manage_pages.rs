//! HTML of the management pages (handlers in the `http` layer): askama templates (`templates/`), which
//! escape every value they show; every form that changes something carries the session's CSRF
//! token.

use askama::Template;
use lgota_domain::Config;

use super::pages::{local_text, Choice, Select};
use super::templates::{render, Frame};
use crate::http::state::Ctx;
use crate::service::backup::Backups;
use crate::service::devices::IssuedCode;
use crate::service::import::ImportResult;
/// The fields' limits, as the templates name them (`crate::http::views::manage_pages::NAME_MAX`).
pub(crate) use crate::service::input::{NAME_MAX, NEW_ID_MAX};
use crate::store::{Admin, AuditEntry, ContentUpload, Device, EventRow, Role};

/// What an action did, or why it did not, at the top of a management page.
struct Notices<'a> {
    done: Option<&'a str>,
    error: Option<&'a str>,
}

/// The frame of a management page: `active` is its section's path.
fn frame<'a>(ctx: &Ctx<'a>, active: &str, title: &str) -> Frame<'a> {
    Frame::signed_in(&ctx.session.admin, &ctx.session.csrf, ctx.names, active, title)
}

/// The branches as choices of a drop-down, `selected` selected.
fn branch_choices(ctx: &Ctx, branch_ids: &[String], selected: &str) -> Vec<Choice> {
    branch_ids
        .iter()
        .map(|id| Choice { value: id.clone(), text: ctx.names.branch(id).to_string(), selected: id == selected })
        .collect()
}

/// A branch of the branches page.
struct BranchRow<'a> {
    id: &'a str,
    name: &'a str,
    /// Devices connected and not revoked.
    devices: usize,
}

#[derive(Template)]
#[template(path = "branches.html")]
struct BranchesPage<'a> {
    frame: Frame<'a>,
    notices: Notices<'a>,
    branches: Vec<BranchRow<'a>>,
    new_id: &'a str,
    new_name: &'a str,
}

pub fn branches(
    ctx: &Ctx,
    branches: &[(String, String)],
    devices: &[Device],
    done: Option<&str>,
    error: Option<&str>,
    (id, name): (&str, &str),
) -> String {
    let branches = branches
        .iter()
        .map(|(bid, bname)| BranchRow {
            id: bid,
            name: bname,
            devices: devices.iter().filter(|d| &d.branch_id == bid && d.revoked_at_ms.is_none()).count(),
        })
        .collect();
    render(&BranchesPage {
        frame: frame(ctx, "/branches", "Филиалы"),
        notices: Notices { done, error },
        branches,
        new_id: id,
        new_name: name,
    })
}

/// A document type as a checkbox of a category's form.
struct DocBox<'a> {
    id: &'a str,
    name: &'a str,
    checked: bool,
}

fn doc_boxes<'a>(config: &'a Config, checked: &[String]) -> Vec<DocBox<'a>> {
    config
        .document_types
        .iter()
        .map(|d| DocBox { id: &d.id, name: &d.name, checked: checked.contains(&d.id) })
        .collect()
}

/// A category and its form.
struct CategoryForm<'a> {
    id: &'a str,
    name: &'a str,
    doc_count: usize,
    docs: Vec<DocBox<'a>>,
    /// Only an age check, counted apart from benefits.
    age_check: bool,
}

/// A list of named items of the reference data: its key (the form's `list`), its heading.
struct NamedList<'a> {
    id: &'static str,
    title: &'static str,
    items: &'a [lgota_domain::config::Named],
}

#[derive(Template)]
#[template(path = "reference.html")]
struct ReferencePage<'a> {
    frame: Frame<'a>,
    notices: Notices<'a>,
    version: u32,
    categories: Vec<CategoryForm<'a>>,
    new_docs: Vec<DocBox<'a>>,
    lists: [NamedList<'a>; 2],
}

pub fn reference(ctx: &Ctx, config: &Config, done: Option<&str>, error: Option<&str>) -> String {
    let categories = config
        .categories
        .iter()
        .map(|c| CategoryForm {
            id: &c.id,
            name: &c.name,
            doc_count: c.document_type_ids.len(),
            docs: doc_boxes(config, &c.document_type_ids),
            age_check: c.kind == lgota_domain::config::CategoryKind::AgeCheck,
        })
        .collect();
    render(&ReferencePage {
        frame: frame(ctx, "/reference", "Справочники"),
        notices: Notices { done, error },
        version: config.version,
        categories,
        new_docs: doc_boxes(config, &[]),
        lists: [
            NamedList {
                id: "document_types", title: "Бумажные документы", items: &config.document_types
            },
            NamedList {
                id: "failure_reasons", title: "Причины неудачной проверки", items: &config.failure_reasons
            },
        ],
    })
}

/// An event of the events page.
struct EventLine<'a> {
    id: &'a str,
    date: String,
    title: &'a str,
    branch: &'a str,
    published: String,
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage<'a> {
    frame: Frame<'a>,
    notices: Notices<'a>,
    /// The branch filter's choices: an administrator's only (a branch head sees their own).
    branch_filter: Option<Vec<Choice>>,
    events: Vec<EventLine<'a>>,
    title: &'a str,
    date: &'a str,
    /// The new event's branch: an administrator's only.
    branch_choices: Option<Vec<Choice>>,
}

pub fn events(
    ctx: &Ctx,
    events: &[EventRow],
    branch_ids: &[String],
    branch: &str,
    done: Option<&str>,
    error: Option<&str>,
    (title, date): (&str, &str),
) -> String {
    let admin = ctx.session.admin.role == Role::Admin;
    let events = events
        .iter()
        .map(|e| EventLine {
            id: &e.event.id,
            date: super::pages::ru_date_text(&e.event.date),
            title: &e.event.title,
            branch: ctx.names.branch(&e.event.branch_id),
            published: local_text(ctx.tz, e.created_at_ms),
        })
        .collect();
    render(&EventsPage {
        frame: frame(ctx, "/events", "Мероприятия"),
        notices: Notices { done, error },
        branch_filter: admin.then(|| branch_choices(ctx, branch_ids, branch)),
        events,
        title,
        date,
        branch_choices: admin.then(|| branch_choices(ctx, branch_ids, branch)),
    })
}

fn device_state(ctx: &Ctx, d: &Device, now_ms: i64) -> (&'static str, String) {
    if let Some(at) = d.revoked_at_ms {
        return ("revoked", format!("отключено {}", local_text(ctx.tz, at)));
    }
    match d.last_seen_at_ms {
        None => ("never", "ещё не синхронизировалось".into()),
        Some(at) if now_ms - at > 7 * 24 * 3600 * 1000 => ("stale", "не выходило на связь больше недели".into()),
        Some(_) => ("active", "работает".into()),
    }
}

/// How far a phone's clock was off: «верные», «спешат примерно на 3 дн.», «—» when unknown.
fn clock_text(skew_ms: Option<i64>) -> String {
    match skew_ms {
        None => "—".into(),
        Some(skew) => lgota_domain::record::clock_skew_words(skew).unwrap_or_else(|| "верные".into()),
    }
}

/// A conflict of the discrepancies page.
struct ConflictLine<'a> {
    id: &'a str,
    device: &'a str,
    received: String,
    differences: String,
}

/// A record made under a wrong clock.
struct FlaggedLine<'a> {
    id: &'a str,
    branch: &'a str,
    at: String,
    received: String,
}

#[derive(Template)]
#[template(path = "discrepancies.html")]
struct DiscrepanciesPage<'a> {
    frame: Frame<'a>,
    conflicts: Vec<ConflictLine<'a>>,
    flagged: Vec<FlaggedLine<'a>>,
}

/// «Расхождения»: record ids that arrived again with other content, and records made under a
/// wrong clock.
pub fn discrepancies(
    ctx: &Ctx,
    conflicts: &[crate::store::Conflict],
    flagged: &[crate::store::StoredRecord],
) -> String {
    let conflicts = conflicts
        .iter()
        .map(|c| ConflictLine {
            id: &c.arrived.id,
            device: &c.arrived.device_id,
            received: local_text(ctx.tz, c.received_at_ms),
            differences: match &c.stored {
                Some(stored) => differences(&stored.record, &c.arrived),
                None => "первой версии на сервере нет".to_string(),
            },
        })
        .collect();
    let flagged = flagged
        .iter()
        .map(|r| FlaggedLine {
            id: &r.record.id,
            branch: ctx.names.branch(&r.record.branch_id),
            at: local_text(ctx.tz, r.record.created_at_ms),
            received: local_text(ctx.tz, r.received_at_ms),
        })
        .collect();
    render(&DiscrepanciesPage { frame: frame(ctx, "/discrepancies", "Расхождения"), conflicts, flagged })
}

/// The fields two versions of a record disagree on, in Russian.
fn differences(a: &lgota_protocol::WireRecord, b: &lgota_protocol::WireRecord) -> String {
    let mut out = Vec::new();
    let mut field = |name: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{name}: «{x}» / «{y}»"));
        }
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    field("время", a.created_at_ms.to_string(), b.created_at_ms.to_string());
    field("филиал", a.branch_id.clone(), b.branch_id.clone());
    field("сотрудник", a.staff_label.clone(), b.staff_label.clone());
    field(
        "способ",
        a.method.map(|m| m.as_str()).unwrap_or_default().into(),
        b.method.map(|m| m.as_str()).unwrap_or_default().into(),
    );
    field(
        "результат",
        a.outcome.map(|m| m.as_str()).unwrap_or_default().into(),
        b.outcome.map(|m| m.as_str()).unwrap_or_default().into(),
    );
    field("категория", opt(&a.category_id), opt(&b.category_id));
    field("причина", opt(&a.failure_reason_id), opt(&b.failure_reason_id));
    field("документ", opt(&a.document_type_id), opt(&b.document_type_id));
    field("мероприятие", opt(&a.event_id), opt(&b.event_id));
    field("примечание", opt(&a.note), opt(&b.note));
    field("аннулирует", opt(&a.target_id), opt(&b.target_id));
    if out.is_empty() {
        "прочие поля".to_string()
    } else {
        out.join("; ")
    }
}

/// A device of the devices page.
struct DeviceLine<'a> {
    /// Not revoked, and not heard from for a week or with a cell in `warn`: what «требуют
    /// внимания» lists.
    attention: bool,
    branch_id: &'a str,
    id: &'a str,
    short: String,
    state: &'static str,
    state_text: String,
    branch: &'a str,
    enrolled: String,
    last_seen: String,
    last_push: String,
    pending: String,
    clock: String,
    /// The clock is off by more than the warning threshold.
    clock_warn: bool,
    revocable: bool,
    /// «0.1.0», «0.1.0 — обновить» when older than `min_app_version`, «—» before a report.
    app: String,
    app_warn: bool,
    /// «конфигурация 3, инструкции 2», with what lags behind the published ones, and the last
    /// refused pack.
    versions: String,
    versions_warn: bool,
    /// «PIN задан», «без PIN — требуется», «без PIN», «—».
    pin: String,
    pin_warn: bool,
    /// «есть», or «нет — …» while the phone has not registered its export-signing key.
    signing_key: &'static str,
    signing_key_warn: bool,
}

/// What «Устройства» compares each phone's report with: what is published, the app required,
/// and the moment (a phone not heard from for a week is stale).
pub struct DeviceContext<'a> {
    pub published: crate::service::devices::Published,
    pub min_app_version: Option<&'a str>,
    pub now_ms: i64,
}

/// The report columns of a phone (app, versions, PIN) and whether each needs attention.
fn report_cells(d: &Device, cx: &DeviceContext) -> [(String, bool); 3] {
    let Some(r) = &d.report else {
        let none = || ("—".to_string(), false);
        return [none(), none(), none()];
    };
    let app = match (r.app_version.as_deref(), cx.min_app_version) {
        (None, _) => ("—".to_string(), false),
        (Some(v), Some(min)) if lgota_protocol::compare_versions(v, min) == Some(std::cmp::Ordering::Less) => {
            (format!("{v} — устарело (нужна {min})"), true)
        }
        (Some(v), _) => (v.to_string(), false),
    };
    let p = cx.published;
    let mut versions = format!("конфигурация {}, инструкции {}", r.config_version, r.content_version);
    let behind = r.config_version < p.config_version || r.content_version < p.content_version;
    if behind {
        versions.push_str(&format!(" (опубликованы {} и {})", p.config_version, p.content_version));
    }
    if let Some(code) = &r.pack_refusal {
        let why = match code.as_str() {
            "content_key_not_pinned" => " — подписан не ключом учреждения, закреплённым при подключении",
            "content_mismatch" => " — не согласован со справочниками",
            _ => "",
        };
        versions.push_str(&format!("; последний пакет инструкций отклонён: {code}{why}"));
    }
    let pin = match (r.pin_set, r.policy_kept) {
        (Some(true), _) => ("PIN задан".to_string(), false),
        (Some(false), Some(false)) => ("без PIN — нарушает политику, записи не сохраняются".to_string(), true),
        (Some(false), _) if p.pin_required => ("без PIN — требуется".to_string(), true),
        (Some(false), _) => ("без PIN".to_string(), false),
        (None, _) => ("—".to_string(), false),
    };
    [app, (versions, behind || r.pack_refusal.is_some()), pin]
}

/// Phones per page of «Устройства»: a region has thousands, and a page of all of them was
/// megabytes (8.9 MB at 10,000).
pub const DEVICES_PER_PAGE: usize = 100;

/// Which phones «Устройства» lists (its filter form, a GET): a branch, a state, a piece of the
/// id, and the page (from 1).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct DeviceQuery {
    pub branch: String,
    pub state: String,
    pub q: String,
    pub page: String,
}

/// The states the filter offers: [`device_state`]'s, and every phone needing attention.
const DEVICE_STATES: [(&str, &str); 5] = [
    ("attention", "требуют внимания"),
    ("active", "работают"),
    ("stale", "не выходили на связь больше недели"),
    ("never", "ещё не синхронизировались"),
    ("revoked", "отключены"),
];

impl DeviceQuery {
    fn lists(&self, line: &DeviceLine) -> bool {
        let branch = self.branch.trim();
        let state = self.state.trim();
        let q = self.q.trim().to_lowercase();
        (branch.is_empty() || line.branch_id == branch)
            && match state {
                "attention" => line.attention,
                // A state the form does not offer (a hand-made address) filters nothing.
                s if DEVICE_STATES.iter().any(|(offered, _)| *offered == s) => line.state == s,
                _ => true,
            }
            && (q.is_empty() || line.id.to_lowercase().contains(&q))
    }

    /// The query string of this filter (without the page), for the pages' links.
    fn filter_query(&self) -> String {
        super::filter::query_string(&[
            ("branch", self.branch.trim()),
            ("state", self.state.trim()),
            ("q", self.q.trim()),
        ])
    }
}

/// Where the list is: the page's first and last phone (from 1), of how many, and the links.
struct DevicePager {
    first: usize,
    last: usize,
    total: usize,
    previous: Option<String>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage<'a> {
    frame: Frame<'a>,
    notices: Notices<'a>,
    devices: Vec<DeviceLine<'a>>,
    /// Phones enrolled at all (before the filter): none at all says so, not «nothing found».
    any: bool,
    pager: DevicePager,
    /// The filter form: the branch (an administrator's), the state, the id.
    filter_branches: Option<Select>,
    filter_states: Select,
    q: &'a str,
    /// The new phone's branch: an administrator's only.
    branch_choices: Option<Vec<Choice>>,
    /// A branch head's page.
    head: bool,
}

pub fn devices<'a>(
    ctx: &'a Ctx,
    devices: &'a [Device],
    branch_ids: &[String],
    cx: &DeviceContext,
    query: &'a DeviceQuery,
    done: Option<&'a str>,
    error: Option<&'a str>,
) -> String {
    let head = ctx.session.admin.role.branch().is_some();
    let any = !devices.is_empty();
    let when = |t: Option<i64>| t.map_or_else(|| "—".to_string(), |t| local_text(ctx.tz, t));
    let listed: Vec<DeviceLine> = devices
        .iter()
        .map(|d| {
            let (state, state_text) = device_state(ctx, d, cx.now_ms);
            let [(app, app_warn), (versions, versions_warn), (pin, pin_warn)] = report_cells(d, cx);
            let clock_warn = d.clock_skew_ms.is_some_and(|s| s.abs() > lgota_domain::record::CLOCK_WARN_MS);
            let signing_key_warn = !d.has_signing_key && d.revoked_at_ms.is_none();
            DeviceLine {
                attention: d.revoked_at_ms.is_none()
                    && (state != "active" || clock_warn || app_warn || versions_warn || pin_warn || signing_key_warn),
                branch_id: &d.branch_id,
                app,
                app_warn,
                versions,
                versions_warn,
                pin,
                pin_warn,
                id: &d.id,
                short: d.id.chars().take(13).collect(),
                state,
                state_text,
                branch: ctx.names.branch(&d.branch_id),
                enrolled: local_text(ctx.tz, d.enrolled_at_ms),
                last_seen: when(d.last_seen_at_ms),
                last_push: when(d.last_push_at_ms),
                pending: d.pending.map_or_else(|| "—".to_string(), |n| n.to_string()),
                clock: clock_text(d.clock_skew_ms),
                clock_warn,
                revocable: d.revoked_at_ms.is_none(),
                signing_key: if d.has_signing_key {
                    "есть"
                } else {
                    "нет — файлы этого телефона не примутся, пока он не синхронизируется"
                },
                signing_key_warn,
            }
        })
        .filter(|line| query.lists(line))
        .collect();
    let total = listed.len();
    let pages = total.div_ceil(DEVICES_PER_PAGE).max(1);
    let page = query.page.trim().parse::<usize>().unwrap_or(1).clamp(1, pages);
    let filter = query.filter_query();
    let link = |page: usize| {
        let sep = if filter.is_empty() { "" } else { "&" };
        format!("/devices?{filter}{sep}page={page}")
    };
    let pager = DevicePager {
        first: ((page - 1) * DEVICES_PER_PAGE + 1).min(total),
        last: (page * DEVICES_PER_PAGE).min(total),
        total,
        previous: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
    };
    let devices = listed.into_iter().skip((page - 1) * DEVICES_PER_PAGE).take(DEVICES_PER_PAGE).collect();
    let states = DEVICE_STATES.iter().map(|(value, text)| (value.to_string(), text.to_string())).collect::<Vec<_>>();
    render(&DevicesPage {
        frame: frame(ctx, "/devices", "Устройства"),
        notices: Notices { done, error },
        devices,
        any,
        pager,
        filter_branches: (!head).then(|| Select {
            name: "branch",
            label: "Филиал",
            all: "все филиалы",
            choices: branch_choices(ctx, branch_ids, query.branch.trim()),
        }),
        filter_states: Select {
            name: "state",
            label: "Состояние",
            all: "все",
            choices: Choice::list(&states, Some(query.state.trim())),
        },
        q: query.q.trim(),
        branch_choices: (!head).then(|| branch_choices(ctx, branch_ids, "")),
        head,
    })
}

#[derive(Template)]
#[template(path = "enrollment.html")]
struct EnrollmentPage<'a> {
    frame: Frame<'a>,
    branch: &'a str,
    qr: &'a str,
    payload: &'a str,
    code: &'a str,
    until: String,
    key_id: Option<&'a str>,
    ca_sha256: Option<&'a str>,
}

pub fn enrollment(ctx: &Ctx, issued: &IssuedCode, qr_data_uri: &str) -> String {
    render(&EnrollmentPage {
        frame: frame(ctx, "/devices", "Подключение телефона"),
        branch: ctx.names.branch(&issued.branch_id),
        qr: qr_data_uri,
        payload: &issued.payload,
        code: &issued.code,
        until: local_text(ctx.tz, issued.expires_at_ms),
        key_id: issued.pins.content_key.as_ref().map(|k| k.key_id.as_str()),
        ca_sha256: issued.pins.ca_sha256.as_deref(),
    })
}

#[derive(Template)]
#[template(path = "revoke.html")]
struct RevokePage<'a> {
    frame: Frame<'a>,
    id: &'a str,
    branch: &'a str,
}

pub fn revoke_confirm(ctx: &Ctx, device: &Device) -> String {
    render(&RevokePage {
        frame: frame(ctx, "/devices", "Отключить устройство"),
        id: &device.id,
        branch: ctx.names.branch(&device.branch_id),
    })
}

/// An uploaded content pack.
struct UploadLine<'a> {
    id: &'a str,
    version: u32,
    summary: &'a str,
    key_id: &'a str,
    /// The app carries the key the pack was signed with.
    key_known: bool,
    login: &'a str,
    uploaded: String,
    /// When it was published, if it was.
    published: Option<String>,
}

#[derive(Template)]
#[template(path = "content.html")]
struct ContentPage<'a> {
    frame: Frame<'a>,
    notices: Notices<'a>,
    published: String,
    uploads: Vec<UploadLine<'a>>,
}

pub fn content(
    ctx: &Ctx,
    published: Option<u32>,
    uploads: &[ContentUpload],
    app_keys: &[String],
    done: Option<&str>,
    error: Option<&str>,
) -> String {
    let published = match published {
        Some(v) => format!("Опубликован пакет версии {v}."),
        None => "Пакет ещё не публиковался: телефоны пользуются встроенным.".into(),
    };
    let uploads = uploads
        .iter()
        .map(|u| UploadLine {
            id: &u.id,
            version: u.version,
            summary: &u.summary,
            key_id: &u.key_id,
            key_known: app_keys.contains(&u.key_id),
            login: &u.login,
            uploaded: local_text(ctx.tz, u.uploaded_at_ms),
            published: u.published_at_ms.map(|at| local_text(ctx.tz, at)),
        })
        .collect();
    render(&ContentPage {
        frame: frame(ctx, "/content", "Инструкции"),
        notices: Notices { done, error },
        published,
        uploads,
    })
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage<'a> {
    frame: Frame<'a>,
    notices: Notices<'a>,
    results: &'a [ImportResult],
}

pub fn import(ctx: &Ctx, results: &[ImportResult], error: Option<&str>) -> String {
    render(&ImportPage {
        frame: frame(ctx, "/import", "Импорт"), notices: Notices { done: None, error }, results
    })
}

/// An entry of the audit log.
struct AuditLine<'a> {
    at: String,
    login: &'a str,
    action: &'a str,
    detail: &'a str,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    frame: Frame<'a>,
    entries: Vec<AuditLine<'a>>,
    /// The id the link to earlier entries starts before, if there are more.
    before: Option<i64>,
    /// «Последняя резервная копия: …», or that there was none yet.
    backup: String,
    backup_ok: bool,
}

/// The last backup in a sentence: when (the institution's time), whether it passed the check —
/// or, on PostgreSQL, who makes them (no warning the office could do nothing about).
fn backup_line(ctx: &Ctx, backups: &Backups) -> (String, bool) {
    let backup = match backups {
        Backups::ByTheDatabase => {
            return (
                "Резервные копии базы PostgreSQL делает её администратор средствами PostgreSQL \
                 (pg_dump), а не этот сервер: спросите его, когда была последняя."
                    .into(),
                true,
            )
        }
        Backups::Files(last) => last.as_ref(),
    };
    match backup {
        None => ("Резервных копий ещё не было.".into(), false),
        Some(b) => (
            format!(
                "Последняя резервная копия: {}, {} ({}, записей: {}).",
                local_text(ctx.tz, b.at_ms),
                if b.ok {
                    "проверка целостности пройдена"
                } else {
                    "проверка целостности НЕ пройдена"
                },
                b.file,
                b.records
            ),
            b.ok,
        ),
    }
}

pub fn audit(ctx: &Ctx, entries: &[AuditEntry], more: bool, backup: &Backups) -> String {
    let (backup, backup_ok) = backup_line(ctx, backup);
    let before = entries.last().filter(|_| more).map(|last| last.id);
    let entries = entries
        .iter()
        .map(|e| AuditLine { at: local_text(ctx.tz, e.at_ms), login: &e.login, action: &e.action, detail: &e.detail })
        .collect();
    render(&AuditPage { frame: frame(ctx, "/audit", "Журнал"), entries, before, backup, backup_ok })
}

#[derive(Template)]
#[template(path = "poster.html")]
struct PosterPage<'a> {
    frame: Frame<'a>,
    title: &'a str,
    date: String,
    branch: &'a str,
    qr: &'a str,
    payload: &'a str,
}

/// The poster: large type and the QR code, printable on A4.
pub fn poster(ctx: &Ctx, event: &EventRow, payload: &str, qr_data_uri: &str) -> String {
    render(&PosterPage {
        frame: frame(ctx, "/events", "QR-код мероприятия"),
        title: &event.event.title,
        date: super::pages::ru_date_text(&event.event.date),
        branch: ctx.names.branch(&event.event.branch_id),
        qr: qr_data_uri,
        payload,
    })
}

/// A dashboard user of the users page.
struct UserLine<'a> {
    login: &'a str,
    role: String,
    disabled: bool,
    /// The signed-in user: no buttons (no one disables themselves here).
    me: bool,
    /// A branch head: whether they see the individual records of their branch (`None` for the
    /// other roles, whose access the role fixes).
    records: Option<bool>,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage<'a> {
    frame: Frame<'a>,
    notices: Notices<'a>,
    users: Vec<UserLine<'a>>,
}

pub fn users(ctx: &Ctx, admins: &[Admin], done: Option<&str>, error: Option<&str>) -> String {
    let users = admins
        .iter()
        .map(|a| UserLine {
            login: &a.login,
            role: match &a.role {
                Role::BranchHead(b) => format!("заведующий: {}", ctx.names.branch(b)),
                _ => super::templates::role_text(a, ctx.names),
            },
            disabled: a.disabled,
            me: a.login == ctx.session.admin.login,
            records: matches!(a.role, Role::BranchHead(_)).then_some(a.records),
        })
        .collect();
    render(&UsersPage {
        frame: frame(ctx, "/users", "Пользователи"), notices: Notices { done, error }, users
    })
}

#[derive(Template)]
#[template(path = "remove_user.html")]
struct RemoveUserPage<'a> {
    frame: Frame<'a>,
    login: &'a str,
}

pub fn remove_user_confirm(ctx: &Ctx, login: &str) -> String {
    render(&RemoveUserPage { frame: frame(ctx, "/users", "Удалить пользователя"), login })
}

#[derive(Template)]
#[template(path = "redact.html")]
struct RedactPage<'a> {
    frame: Frame<'a>,
    notices: Notices<'a>,
    id: &'a str,
    at: String,
    branch: &'a str,
    has_note: bool,
    note: &'a str,
    has_staff: bool,
    staff: &'a str,
    reason: &'a str,
}

/// The confirmation form of a redaction: which field of `record`, why.
pub fn redact_form(ctx: &Ctx, record: &lgota_protocol::WireRecord, reason: &str, error: Option<&str>) -> String {
    render(&RedactPage {
        frame: frame(ctx, "/records", "Удалить данные из записи"),
        notices: Notices { done: None, error },
        id: &record.id,
        at: local_text(ctx.tz, record.created_at_ms),
        branch: ctx.names.branch(&record.branch_id),
        has_note: record.note.is_some(),
        note: record.note.as_deref().unwrap_or(""),
        has_staff: !record.staff_label.is_empty(),
        staff: &record.staff_label,
        reason,
    })
}

#[derive(Template)]
#[template(path = "act.html")]
struct ActPage<'a> {
    frame: Frame<'a>,
    seq: i64,
    lines: Vec<(String, String)>,
    by: &'a str,
}

/// The act of destruction of a redaction, printable.
pub fn act(ctx: &Ctx, redaction: &crate::store::Redaction, server_id: &str) -> String {
    render(&ActPage {
        frame: frame(ctx, "/records", &format!("Акт № {}", redaction.seq)),
        seq: redaction.seq,
        lines: crate::service::retention::act_lines(redaction, ctx.tz, server_id),
        by: &redaction.by_login,
    })
}
