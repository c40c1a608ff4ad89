//! The names of wire ids for people — branches, categories, reasons, documents, events — and
//! the Russian dates they are shown with, in pages and in exported files alike.

use std::collections::HashMap;

use chrono::NaiveDate;

/// The filter value of checks made at no event.
pub const NO_EVENT: &str = "(none)";

/// A date as people read it: dd.mm.yyyy.
pub fn ru_date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// Names of wire ids for display; unknown ids show as themselves.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub branches: HashMap<String, String>,
    pub categories: HashMap<String, String>,
    pub failure_reasons: HashMap<String, String>,
    pub document_types: HashMap<String, String>,
    /// The events a filter offers, newest published first, then those started on phones:
    /// `(id, label, branch id)`.
    events: Vec<(String, String, String)>,
    /// The label of every event named so far, offered or not (a year's export names thousands).
    labels: HashMap<String, String>,
    /// The categories the configuration marks as age checks, not benefits.
    pub age_checks: std::collections::HashSet<String>,
}

/// A `YYYY-MM-DD` date as dd.mm.yyyy (as it is, if it is not one).
pub fn ru_date_text(date: &str) -> String {
    NaiveDate::parse_from_str(date, "%Y-%m-%d").map_or_else(|_| date.to_string(), ru_date)
}

/// «title, dd.mm.yyyy».
pub fn event_label(title: &str, date: &str) -> String {
    format!("{title}, {}", ru_date_text(date))
}

impl Names {
    fn of<'a>(map: &'a HashMap<String, String>, id: &'a str) -> &'a str {
        map.get(id).map_or(id, String::as_str)
    }
    pub fn branch<'a>(&'a self, id: &'a str) -> &'a str {
        Self::of(&self.branches, id)
    }
    pub fn category<'a>(&'a self, id: &'a str) -> &'a str {
        if id.is_empty() {
            "Не указана"
        } else {
            Self::of(&self.categories, id)
        }
    }
    /// Whether a granted check of category `id` is an age check (counted apart from benefits).
    pub fn is_age_check(&self, id: &str) -> bool {
        self.age_checks.contains(id)
    }
    pub fn failure_reason<'a>(&'a self, id: &'a str) -> &'a str {
        Self::of(&self.failure_reasons, id)
    }
    pub fn document_type<'a>(&'a self, id: &'a str) -> &'a str {
        Self::of(&self.document_types, id)
    }
    /// Offers the event `id` in the filters and names it `label`.
    pub fn offer_event(&mut self, id: String, label: String, branch_id: String) {
        self.labels.insert(id.clone(), label.clone());
        self.events.push((id, label, branch_id));
    }
    /// Names the event `id` `label` without offering it.
    pub fn name_event(&mut self, id: String, label: String) {
        self.labels.insert(id, label);
    }
    /// Whether [`Names::event_label`] knows `id` (the empty key always).
    pub fn names_event(&self, id: &str) -> bool {
        id.is_empty() || self.labels.contains_key(id)
    }
    /// An event as every page and export names it: title and date, «Без мероприятия» for the
    /// empty key, and an event whose title the server never got (an older phone's) with its id.
    pub fn event_label(&self, id: &str) -> String {
        self.event_label_ref(id).map_or_else(|| format!("Своё мероприятие телефона ({id})"), str::to_string)
    }
    /// [`Names::event_label`] without a copy, when the event is named.
    pub fn event_label_ref(&self, id: &str) -> Option<&str> {
        if id.is_empty() {
            return Some("Без мероприятия");
        }
        self.labels.get(id).map(String::as_str)
    }
    /// The events a filter may offer: of `branch` if given, else all; the selected one always.
    pub fn event_options(&self, branch: Option<&str>, selected: Option<&str>) -> Vec<(String, String)> {
        let mut options: Vec<(String, String)> = self
            .events
            .iter()
            .filter(|(_, _, b)| branch.is_none_or(|want| want == b))
            .map(|(id, label, _)| (id.clone(), label.clone()))
            .collect();
        if let Some(id) =
            selected.filter(|id| !id.is_empty() && *id != NO_EVENT && !options.iter().any(|(e, _)| e == id))
        {
            options.push((id.to_string(), self.event_label(id)));
        }
        options.push((NO_EVENT.to_string(), "Без мероприятия".to_string()));
        options
    }
}
