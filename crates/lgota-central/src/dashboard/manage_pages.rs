//! HTML of the management pages (see [`super::manage`]). Every value is escaped with [`esc`];
//! every form that changes something carries the session's CSRF token.

use std::fmt::Write as _;

use lgota_domain::Config;

use super::pages::{esc, local_text, shell};
use crate::service::import::ImportResult;
use crate::http::state::Ctx;
use crate::service::devices::IssuedCode;
use crate::service::input::{NAME_MAX, NEW_ID_MAX};
use crate::store::{AuditEntry, ContentUpload, Device, EventRow, Role};

fn csrf(ctx: &Ctx) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(&ctx.session.csrf))
}

fn notices(done: Option<&str>, error: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(d) = done {
        let _ = write!(out, "<p class=\"ok\" role=\"status\">{}</p>", esc(d));
    }
    if let Some(e) = error {
        let _ = write!(out, "<p class=\"error\" role=\"alert\">{}</p>", esc(e));
    }
    out
}

fn render(ctx: &Ctx, active: &str, title: &str, body: &str) -> String {
    let admin = &ctx.session.admin;
    shell(admin, &ctx.session.csrf, ctx.names, active, title, body)
}

fn branch_options(ctx: &Ctx, branch_ids: &[String], selected: &str, all: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(all) = all {
        let _ = write!(out, "<option value=\"\">{}</option>", esc(all));
    }
    for id in branch_ids {
        let sel = if id == selected { " selected" } else { "" };
        let _ = write!(out, "<option value=\"{}\"{sel}>{}</option>", esc(id), esc(ctx.names.branch(id)));
    }
    out
}

pub fn branches(
    ctx: &Ctx,
    branches: &[(String, String)],
    devices: &[Device],
    done: Option<&str>,
    error: Option<&str>,
    (id, name): (&str, &str),
) -> String {
    let mut body = format!("<section><h1>Филиалы</h1>{}", notices(done, error));
    body.push_str(
        "<table id=\"branches\"><tr><th>Код</th><th>Название</th><th>Устройств подключено</th><th></th></tr>",
    );
    for (bid, bname) in branches {
        let active = devices.iter().filter(|d| &d.branch_id == bid && d.revoked_at_ms.is_none()).count();
        let _ = write!(
            body,
            "<tr data-branch=\"{id}\"><td><code>{id}</code></td><td>\
             <form method=\"post\" action=\"/branches\" class=\"inline\">{csrf}\
             <input type=\"hidden\" name=\"mode\" value=\"rename\"><input type=\"hidden\" name=\"id\" value=\"{id}\">\
             <input name=\"name\" value=\"{name}\" maxlength=\"{NAME_MAX}\" required aria-label=\"Название филиала {id}\" size=\"40\"> \
             <button type=\"submit\">Переименовать</button></form></td><td class=\"n\">{active}</td>\
             <td><a href=\"/devices\">устройства</a> · <a href=\"/events?branch={id}\">мероприятия</a></td></tr>",
            id = esc(bid),
            name = esc(bname),
            csrf = csrf(ctx),
        );
    }
    let _ = write!(
        body,
        "</table></section><section><h2>Добавить филиал</h2>\
         <form method=\"post\" action=\"/branches\" id=\"add-branch\">{}<input type=\"hidden\" name=\"mode\" value=\"add\">\
         <label>Код <input name=\"id\" value=\"{}\" maxlength=\"{NEW_ID_MAX}\" required pattern=\"[a-z0-9_\\-]+\" \
         placeholder=\"branch-4\"></label>\
         <label>Название <input name=\"name\" value=\"{}\" maxlength=\"{NAME_MAX}\" required size=\"40\"></label>\
         <button type=\"submit\">Добавить</button></form>\
         <p>Код — латиницей, он попадает в записи и не меняется. Телефоны получат новый список при синхронизации.</p>\
         </section>",
        csrf(ctx),
        esc(id),
        esc(name)
    );
    render(ctx, "/branches", "Филиалы", &body)
}

fn named_table(ctx: &Ctx, list: &str, title: &str, items: &[lgota_domain::config::Named]) -> String {
    let mut out =
        format!("<section id=\"{list}\"><h2>{}</h2><table><tr><th>Код</th><th>Название</th></tr>", esc(title));
    for item in items {
        let _ = write!(
            out,
            "<tr><td><code>{id}</code></td><td><form method=\"post\" action=\"/reference/item\" class=\"inline\">{csrf}\
             <input type=\"hidden\" name=\"list\" value=\"{list}\"><input type=\"hidden\" name=\"mode\" value=\"rename\">\
             <input type=\"hidden\" name=\"id\" value=\"{id}\">\
             <input name=\"name\" value=\"{name}\" maxlength=\"{NAME_MAX}\" required size=\"50\" aria-label=\"Название {id}\"> \
             <button type=\"submit\">Переименовать</button></form></td></tr>",
            id = esc(&item.id),
            name = esc(&item.name),
            csrf = csrf(ctx),
        );
    }
    let _ = write!(
        out,
        "</table><form method=\"post\" action=\"/reference/item\">{}<input type=\"hidden\" name=\"list\" value=\"{list}\">\
         <input type=\"hidden\" name=\"mode\" value=\"add\">\
         <label>Код <input name=\"id\" maxlength=\"{NEW_ID_MAX}\" required pattern=\"[a-z0-9_\\-]+\"></label>\
         <label>Название <input name=\"name\" maxlength=\"{NAME_MAX}\" required size=\"40\"></label>\
         <button type=\"submit\">Добавить</button></form></section>",
        csrf(ctx)
    );
    out
}

fn doc_checkboxes(config: &Config, checked: &[String], prefix: &str) -> String {
    let mut out = String::from("<fieldset><legend>Подтверждающие документы</legend>");
    for d in &config.document_types {
        let on = if checked.contains(&d.id) { " checked" } else { "" };
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" name=\"docs\" value=\"{id}\" id=\"{prefix}-{id}\"{on}> {}</label><br>",
            esc(&d.name),
            id = esc(&d.id),
            prefix = esc(prefix),
        );
    }
    out.push_str("</fieldset>");
    out
}

pub fn reference(ctx: &Ctx, config: &Config, done: Option<&str>, error: Option<&str>) -> String {
    let mut body = format!(
        "<section><h1>Справочники</h1>{}<p>Опубликована версия конфигурации {}. Каждое изменение публикует новую \
         версию; телефоны получают её при синхронизации. Коды не меняются: по ним считаются записи.</p></section>",
        notices(done, error),
        config.version
    );
    body.push_str("<section id=\"categories\"><h2>Категории льгот</h2>");
    for c in &config.categories {
        let _ = write!(
            body,
            "<details><summary><b>{name}</b> <code>{id}</code> — документов: {n}</summary>\
             <form method=\"post\" action=\"/reference/category\">{csrf}<input type=\"hidden\" name=\"mode\" value=\"edit\">\
             <input type=\"hidden\" name=\"id\" value=\"{id}\">\
             <label>Название <input name=\"name\" value=\"{name}\" maxlength=\"{NAME_MAX}\" required size=\"40\"></label>\
             {docs}<button type=\"submit\">Сохранить категорию</button></form></details>",
            id = esc(&c.id),
            name = esc(&c.name),
            n = c.document_type_ids.len(),
            csrf = csrf(ctx),
            docs = doc_checkboxes(config, &c.document_type_ids, &c.id),
        );
    }
    let _ = write!(
        body,
        "<h3>Добавить категорию</h3><form method=\"post\" action=\"/reference/category\" id=\"add-category\">{}\
         <input type=\"hidden\" name=\"mode\" value=\"add\">\
         <label>Код <input name=\"id\" maxlength=\"{NEW_ID_MAX}\" required pattern=\"[a-z0-9_\\-]+\"></label>\
         <label>Название <input name=\"name\" maxlength=\"{NAME_MAX}\" required size=\"40\"></label>{}\
         <button type=\"submit\">Добавить категорию</button></form></section>",
        csrf(ctx),
        doc_checkboxes(config, &[], "new"),
    );
    body.push_str(&named_table(ctx, "document_types", "Бумажные документы", &config.document_types));
    body.push_str(&named_table(ctx, "failure_reasons", "Причины неудачной проверки", &config.failure_reasons));
    render(ctx, "/reference", "Справочники", &body)
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
    let head = ctx.session.admin.role != Role::Admin;
    let mut body = format!("<section><h1>Мероприятия</h1>{}", notices(done, error));
    if !head {
        let _ = write!(
            body,
            "<form method=\"get\" action=\"/events\"><label>Филиал <select name=\"branch\">{}</select></label> \
             <button type=\"submit\">Показать</button></form>",
            branch_options(ctx, branch_ids, branch, Some("Все филиалы"))
        );
    }
    if events.is_empty() {
        body.push_str("<p>Мероприятий нет.</p>");
    } else {
        body.push_str(
            "<table id=\"events\"><tr><th>Дата</th><th>Название</th><th>Филиал</th><th>Опубликовано</th></tr>",
        );
        for e in events {
            let date = super::pages::ru_date_text(&e.event.date);
            let _ = write!(
                body,
                "<tr data-event=\"{id}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td><a href=\"/events/poster?id={id}\">QR-код на дверь</a></td></tr>",
                esc(&date),
                esc(&e.event.title),
                esc(ctx.names.branch(&e.event.branch_id)),
                esc(&local_text(ctx.tz, e.created_at_ms)),
                id = esc(&e.event.id),
            );
        }
        body.push_str("</table>");
    }
    let branch_field = if head {
        String::new()
    } else {
        format!(
            "<label>Филиал <select name=\"branch\" required>{}</select></label>",
            branch_options(ctx, branch_ids, branch, Some("— выберите —"))
        )
    };
    let _ = write!(
        body,
        "</section><section><h2>Новое мероприятие</h2><form method=\"post\" action=\"/events\" id=\"add-event\">{}\
         <label>Название <input name=\"title\" value=\"{}\" maxlength=\"{NAME_MAX}\" required size=\"40\"></label>\
         <label>Дата {}</label>{branch_field}\
         <button type=\"submit\">Опубликовать</button></form>\
         <p>Название — без имён и контактов граждан. Телефоны филиала получат мероприятие при синхронизации.</p></section>",
        csrf(ctx),
        esc(title),
        crate::dashboard::pages::date_input("date", date, true),
    );
    render(ctx, "/events", "Мероприятия", &body)
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

/// «Расхождения»: record ids that arrived again with other content, and records made under a
/// wrong clock.
pub fn discrepancies(
    ctx: &Ctx,
    conflicts: &[crate::store::Conflict],
    flagged: &[crate::store::StoredRecord],
) -> String {
    let mut body = String::from(
        "<section id=\"conflicts\"><h1>Расхождения</h1><h2>Одна запись — два содержания</h2>\
         <p>Телефон или файл прислал запись с номером, который уже есть на сервере, но с другим содержимым. \
         В сводке учтена первая версия; вторая хранится здесь и не считается. Выясните у сотрудника, какая верна; \
         при необходимости телефон аннулирует запись.</p>",
    );
    if conflicts.is_empty() {
        body.push_str("<p>Расхождений нет.</p>");
    } else {
        body.push_str("<table><tr><th>Запись</th><th>Устройство</th><th>Получена</th><th>Что различается</th></tr>");
        for c in conflicts {
            let differences = match &c.stored {
                Some(stored) => differences(&stored.record, &c.arrived),
                None => "первой версии на сервере нет".to_string(),
            };
            let _ = write!(
                body,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&c.arrived.id),
                esc(&c.arrived.device_id),
                esc(&local_text(ctx.tz, c.received_at_ms)),
                esc(&differences)
            );
        }
        body.push_str("</table>");
    }
    body.push_str(
        "</section><section id=\"clock\"><h2>Записи с телефонов с неверными часами</h2>\
         <p>Запись датирована больше чем на сутки позже, чем пришла на сервер, или раньше 2025 года: часы телефона \
         были установлены неверно. Запись сохранена и учтена по той дате, что поставил телефон.</p>",
    );
    if flagged.is_empty() {
        body.push_str("<p>Таких записей нет.</p>");
    } else {
        body.push_str(
            "<table><tr><th>Запись</th><th>Филиал</th><th>Время по телефону</th><th>Получена сервером</th></tr>",
        );
        for r in flagged {
            let _ = write!(
                body,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.record.id),
                esc(ctx.names.branch(&r.record.branch_id)),
                esc(&local_text(ctx.tz, r.record.created_at_ms)),
                esc(&local_text(ctx.tz, r.received_at_ms))
            );
        }
        body.push_str("</table>");
    }
    body.push_str("</section>");
    render(ctx, "/discrepancies", "Расхождения", &body)
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

pub fn devices(
    ctx: &Ctx,
    devices: &[Device],
    branch_ids: &[String],
    now_ms: i64,
    done: Option<&str>,
    error: Option<&str>,
) -> String {
    let head = ctx.session.admin.role.branch();
    let mut body = format!("<section><h1>Устройства</h1>{}", notices(done, error));
    if devices.is_empty() {
        body.push_str("<p>Подключённых устройств нет.</p>");
    } else {
        body.push_str(
            "<table id=\"devices\"><tr><th>Устройство</th><th>Филиал</th><th>Подключено</th>\
             <th>Последняя синхронизация</th><th>Последняя отправка записей</th><th>Не отправлено</th>\
             <th>Часы телефона</th><th>Состояние</th><th></th></tr>",
        );
        for d in devices {
            let (state, state_text) = device_state(ctx, d, now_ms);
            let short: String = d.id.chars().take(13).collect();
            let revoke = if d.revoked_at_ms.is_none() {
                format!(
                    "<form method=\"post\" action=\"/devices/revoke\" class=\"inline\">{}\
                     <input type=\"hidden\" name=\"id\" value=\"{}\"><button type=\"submit\">Отключить…</button></form>",
                    csrf(ctx),
                    esc(&d.id)
                )
            } else {
                String::new()
            };
            let _ = write!(
                body,
                "<tr data-device=\"{id}\" data-state=\"{state}\"><td title=\"{id}\"><code>{short}…</code></td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td{clock_class}>{}</td><td>{}</td>\
                 <td>{revoke}</td></tr>",
                esc(ctx.names.branch(&d.branch_id)),
                esc(&local_text(ctx.tz, d.enrolled_at_ms)),
                d.last_seen_at_ms.map_or_else(|| "—".to_string(), |t| esc(&local_text(ctx.tz, t))),
                d.last_push_at_ms.map_or_else(|| "—".to_string(), |t| esc(&local_text(ctx.tz, t))),
                d.pending.map_or_else(|| "—".to_string(), |n| n.to_string()),
                esc(&clock_text(d.clock_skew_ms)),
                esc(&state_text),
                clock_class = if d.clock_skew_ms.is_some_and(|s| s.abs() > lgota_domain::record::CLOCK_WARN_MS) {
                    " class=\"warn\""
                } else {
                    ""
                },
                id = esc(&d.id),
                short = esc(&short),
            );
        }
        body.push_str(
            "</table><p>«Не отправлено» — сколько записей телефон сообщил неотправленными при последней \
             синхронизации. «Часы телефона» — насколько они расходились с часами сервера при последней отправке; \
             записи телефонов с неверными часами отмечены на странице <a href=\"/discrepancies\">«Расхождения»</a>.</p>",
        );
    }
    let branch_field = match head {
        Some(_) => String::new(),
        None => format!(
            "<label>Филиал <select name=\"branch\" required>{}</select></label>",
            branch_options(ctx, branch_ids, "", Some("— выберите —"))
        ),
    };
    // Only an administrator's code moves a phone enrolled in another branch (docs/protocol.md).
    let move_note = match ctx.session.admin.role.branch() {
        Some(_) => " Телефон, подключённый к другому филиалу, этим кодом не подключится: перенести его может только администратор.",
        None => " Телефон, подключённый к другому филиалу, перейдёт в выбранный филиал; перенос попадёт в журнал.",
    };
    let _ = write!(
        body,
        "</section><section><h2>Подключить телефон</h2><form method=\"post\" action=\"/devices/enroll\" id=\"enroll\">{}\
         {branch_field}<label>Код действует <select name=\"ttl\"><option value=\"15\">15 минут</option>\
         <option value=\"60\" selected>1 час</option><option value=\"240\">4 часа</option>\
         <option value=\"1440\">сутки</option></select></label> <button type=\"submit\">Получить QR-код</button></form>\
         <p>Код одноразовый: им можно подключить один телефон.{move_note}</p></section>",
        csrf(ctx)
    );
    render(ctx, "/devices", "Устройства", &body)
}

pub fn enrollment(ctx: &Ctx, issued: &IssuedCode, qr_data_uri: &str) -> String {
    let body = format!(
        "<section id=\"enrollment\"><h1>Подключение телефона: {branch}</h1>\
         <p><img src=\"{qr}\" width=\"320\" height=\"320\" alt=\"QR-код подключения\"></p>\
         <ol><li>Откройте «Льготу» на телефоне → «Настройки» → «Отправка в центральную библиотеку».</li>\
         <li>Нажмите «Сканировать камерой» и наведите камеру на этот код.</li>\
         <li>Без камеры вставьте в поле «Текст QR-кода подключения» строку: \
         <code id=\"enroll-payload\">{payload}</code></li></ol>\
         <p>Код <code id=\"enroll-code\">{code}</code> одноразовый и действует до {until}. \
         Не пересылайте его: кто подключится по нему, сможет отправлять записи этого филиала.</p>\
         <p><a href=\"/devices\">К списку устройств</a></p></section>",
        branch = esc(ctx.names.branch(&issued.branch_id)),
        qr = esc(qr_data_uri),
        payload = esc(&issued.payload),
        code = esc(&issued.code),
        until = esc(&local_text(ctx.tz, issued.expires_at_ms)),
    );
    render(ctx, "/devices", "Подключение телефона", &body)
}

pub fn revoke_confirm(ctx: &Ctx, device: &Device) -> String {
    let body = format!(
        "<section><h1>Отключить устройство?</h1><p>Устройство <code>{id}</code> филиала «{branch}» больше не сможет \
         отправлять записи и получать справочники. Записи, уже полученные сервером, останутся. Неотправленные записи \
         останутся на телефоне: их можно выгрузить в файл и импортировать.</p>\
         <form method=\"post\" action=\"/devices/revoke\">{csrf}<input type=\"hidden\" name=\"id\" value=\"{id}\">\
         <input type=\"hidden\" name=\"confirm\" value=\"yes\"><button type=\"submit\" id=\"confirm-revoke\">Отключить</button> \
         <a href=\"/devices\">Отмена</a></form></section>",
        id = esc(&device.id),
        branch = esc(ctx.names.branch(&device.branch_id)),
        csrf = csrf(ctx),
    );
    render(ctx, "/devices", "Отключить устройство", &body)
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
    let mut body = format!(
        "<section><h1>Инструкции и чек-листы</h1>{}<p id=\"published\">{published}</p>\
         <form method=\"post\" action=\"/content\" enctype=\"multipart/form-data\" id=\"upload-content\">{}\
         <label>Подписанный пакет (JSON) <input type=\"file\" name=\"pack\" accept=\".json,application/json\" required>\
         </label> <button type=\"submit\">Загрузить и проверить</button></form>\
         <p>Пакет подписывают командой <code>lgota-pack sign</code>. Сервер проверяет подпись и содержание; \
         телефоны проверяют подпись ещё раз сами.</p></section>",
        notices(done, error),
        csrf(ctx),
    );
    body.push_str("<section><h2>Загруженные пакеты</h2>");
    if uploads.is_empty() {
        body.push_str("<p>Пакеты не загружались.</p>");
    } else {
        body.push_str(
            "<table id=\"uploads\"><tr><th>Версия</th><th>Содержание</th><th>Ключ подписи</th><th>Загрузил</th>\
             <th>Состояние</th></tr>",
        );
        for u in uploads {
            let key = if app_keys.contains(&u.key_id) {
                esc(&u.key_id)
            } else {
                format!(
                    "{} <span class=\"error\">(этого ключа нет в приложении: телефоны этой сборки пакет не примут)</span>",
                    esc(&u.key_id)
                )
            };
            let state = match u.published_at_ms {
                Some(at) => format!("опубликован {}", esc(&local_text(ctx.tz, at))),
                None => format!(
                    "<form method=\"post\" action=\"/content/publish\" class=\"inline\">{}\
                     <input type=\"hidden\" name=\"id\" value=\"{}\"><button type=\"submit\">Опубликовать</button></form>",
                    csrf(ctx),
                    esc(&u.id)
                ),
            };
            let _ = write!(
                body,
                "<tr data-version=\"{}\"><td class=\"n\">{}</td><td>{}</td><td>{key}</td><td>{} {}</td><td>{state}</td></tr>",
                u.version,
                u.version,
                esc(&u.summary),
                esc(&u.login),
                esc(&local_text(ctx.tz, u.uploaded_at_ms)),
            );
        }
        body.push_str("</table>");
    }
    body.push_str("</section>");
    render(ctx, "/content", "Инструкции", &body)
}

pub fn import(ctx: &Ctx, results: &[ImportResult], error: Option<&str>) -> String {
    let mut body = format!(
        "<section><h1>Импорт записей из файлов</h1>{}\
         <p>Файл выгрузки создаёт телефон без связи («Синхронизация» → «Выгрузить в файл»). Импорт можно повторять: \
         каждая запись сохраняется один раз.</p>\
         <form method=\"post\" action=\"/import\" enctype=\"multipart/form-data\" id=\"import\">{}\
         <label>Файлы выгрузки <input type=\"file\" name=\"files\" accept=\".json,application/json\" multiple required>\
         </label> <button type=\"submit\">Импортировать</button></form></section>",
        notices(None, error),
        csrf(ctx)
    );
    if !results.is_empty() {
        body.push_str(
            "<section><h2>Результат</h2><table id=\"import-results\"><tr><th>Файл</th><th>Новых записей</th>\
             <th>Уже были</th><th>Расхождений</th><th>Не принято</th><th>Ошибка</th></tr>",
        );
        for r in results {
            let row = match &r.outcome {
                Ok(o) => format!(
                    "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                     <td>{}</td>",
                    o.stored,
                    o.duplicates,
                    o.conflicts,
                    o.refused,
                    o.problems(5).iter().map(|p| esc(p)).collect::<Vec<_>>().join("<br>")
                ),
                Err(e) => format!("<td></td><td></td><td></td><td></td><td class=\"error\">{}</td>", esc(e)),
            };
            let _ = write!(body, "<tr><td>{}</td>{row}</tr>", esc(&r.file));
        }
        body.push_str("</table></section>");
    }
    render(ctx, "/import", "Импорт", &body)
}

pub fn audit(ctx: &Ctx, entries: &[AuditEntry], more: bool) -> String {
    let mut body = String::from("<section><h1>Журнал действий администраторов</h1>");
    if entries.is_empty() {
        body.push_str("<p>Записей нет.</p>");
    } else {
        body.push_str("<table id=\"audit\"><tr><th>Когда</th><th>Кто</th><th>Действие</th><th>Что</th></tr>");
        for e in entries {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                esc(&local_text(ctx.tz, e.at_ms)),
                esc(&e.login),
                esc(&e.action),
                esc(&e.detail)
            );
        }
        body.push_str("</table>");
        if let (true, Some(last)) = (more, entries.last()) {
            let _ = write!(body, "<p><a href=\"/audit?before={}\">Более ранние записи</a></p>", last.id);
        }
    }
    body.push_str("</section>");
    render(ctx, "/audit", "Журнал", &body)
}

/// The poster: large type and the QR code, printable on A4.
pub fn poster(ctx: &Ctx, event: &EventRow, payload: &str, qr_data_uri: &str) -> String {
    let date = super::pages::ru_date_text(&event.event.date);
    let body = format!(
        "<section id=\"poster\" style=\"text-align:center\"><h1 style=\"font-size:2rem\">{title}</h1>\
         <p style=\"font-size:1.4rem\">{date} · {branch}</p>\
         <p><img src=\"{qr}\" width=\"420\" height=\"420\" alt=\"QR-код мероприятия\"></p>\
         <p style=\"font-size:1.2rem\">Сотрудникам: «Льгота» → «Настройки» → «Мероприятие» → \
         «Сканировать QR мероприятия».</p><p>Без камеры введите код: <code id=\"event-payload\">{payload}</code></p>\
         <p>На QR-коде только номер мероприятия; сведений о гражданах он не содержит.</p></section>\
         <p><a href=\"/events\">К мероприятиям</a> · напечатайте страницу (Ctrl+P).</p>",
        title = esc(&event.event.title),
        branch = esc(ctx.names.branch(&event.event.branch_id)),
        qr = esc(qr_data_uri),
        payload = esc(payload),
    );
    render(ctx, "/events", "QR-код мероприятия", &body)
}
