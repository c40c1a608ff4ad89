//! Events (a lecture, a concert) a branch publishes: phones of the branch pull them, a poster's QR
//! code selects one on a librarian's phone.

use lgota_protocol::{codes, WireEvent};

use super::audit::{self, Action};
use super::input::clean_text;
use super::{Actor, Error, Kind, Result};
use crate::now_ms;
use crate::store::{Database, EventRow};

/// The longest event title phones accept.
pub const EVENT_TITLE_MAX: usize = lgota_domain::text::EVENT_TITLE_MAX;

/// An event's title as phones accept it.
pub fn event_title(title: &str) -> Result<String> {
    clean_text("Название мероприятия", title, EVENT_TITLE_MAX)
}

/// A real calendar date typed `ДД.ММ.ГГГГ` or `YYYY-MM-DD`, as the `YYYY-MM-DD` phones read.
pub fn event_date(date: &str) -> Option<String> {
    lgota_domain::text::parse_typed_date(date).map(|d| d.to_string())
}

/// Publishes an event of `branch_id` (a branch head: only of their own); its id is a new UUIDv7.
pub fn add(db: &dyn Database, actor: &Actor, branch_id: &str, title: &str, date: &str) -> Result<WireEvent> {
    let branch_id = branch_id.trim();
    if branch_id.is_empty() {
        return Err(Error::invalid("Выберите филиал."));
    }
    actor.may_manage(branch_id)?;
    let title = event_title(title)?;
    let date = event_date(date)
        .ok_or_else(|| Error::invalid("Дата мероприятия — в виде ДД.ММ.ГГГГ (например, 01.12.2026)."))?;
    if !db.branches()?.iter().any(|(id, _)| id == branch_id) {
        return Err(Error::new(Kind::NotFound, codes::NOT_FOUND, format!("Нет филиала с кодом «{branch_id}».")));
    }
    let event = WireEvent { id: uuid::Uuid::now_v7().to_string(), title, date, branch_id: branch_id.to_string() };
    db.add_event(&event, now_ms())?;
    let detail = format!("Мероприятие «{}» {} филиала «{branch_id}» ({})", event.title, event.date, event.id);
    audit::note(db, actor, Action::EventAdd, &detail)?;
    Ok(event)
}

/// A published event `actor` may see (a branch head: of their own branch).
pub fn get(db: &dyn Database, actor: &Actor, id: &str) -> Result<EventRow> {
    let event = db.event(id.trim())?.ok_or_else(|| {
        Error::new(Kind::NotFound, codes::NOT_FOUND, "Нет такого мероприятия: откройте его из списка.")
    })?;
    actor.may_manage(&event.event.branch_id)?;
    Ok(event)
}
