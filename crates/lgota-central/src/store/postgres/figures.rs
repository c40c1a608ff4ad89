//! The figures' queries on PostgreSQL, the twins of SQLite's (`store/sqlite/figures.rs`): valid
//! checks counted from whole UTC months and days of the maintained counts and, at a period's
//! uneven ends, from the records themselves (see [`crate::report::buckets::pieces`]), folded by
//! [`crate::report::figures`]. The SQL is written with `?` and numbered by [`numbered`].

use lgota_protocol::{Method, Outcome};
use postgres::{Client, Row};

use super::{numbered, record_from_row, Conn, Params, PostgresDatabase, RECORD_COLUMNS};
use crate::report::buckets::{pieces, EndsMemo, Source};
use crate::report::figures::{fold_month, fold_overview, top_events, MonthlySummary, Overview, TrendCounts};
use crate::store::{FigureStore, RecordFilter, StoreResult, StoredRecord};

/// Checks that count (not training, not voided), on table alias `r`. `OFFSET 0` keeps the void
/// a probe of `records_target` per check, as SQLite does it: pulled up into an anti-join, the
/// planner hashed every void of the database for the few thousand checks of a period's uneven
/// end (17 ms a piece at 1,000,000 records, 24 pieces for a year's trend), or for the first 100
/// of a records page.
const VALID_CHECK_SQL: &str = "NOT r.training AND NOT EXISTS (SELECT 1 FROM records v WHERE v.target_id = r.id \
     AND v.kind = 'void' AND v.device_id = r.device_id OFFSET 0)";

/// The `WHERE` of checks matching a filter, on table alias `r`, and its parameters.
fn check_filter_sql(filter: &RecordFilter) -> (String, Params) {
    let mut sql = String::from("r.kind = 'check' AND r.created_at_ms >= ? AND r.created_at_ms < ?");
    let mut values = Params::default();
    values.push(filter.from_ms);
    values.push(filter.to_ms);
    if let Some(branch) = &filter.branch_id {
        sql.push_str(" AND r.branch_id = ?");
        values.push(branch.clone());
    }
    match filter.category_id.as_deref() {
        Some("") => sql.push_str(" AND r.category_id IS NULL"),
        Some(category) => {
            sql.push_str(" AND r.category_id = ?");
            values.push(category.to_string());
        }
        None => {}
    }
    let mut text = |column: &str, value: Option<&str>| {
        if let Some(v) = value {
            sql.push_str(&format!(" AND r.{column} = ?"));
            values.push(v.to_string());
        }
    };
    let event = filter.event_id.as_deref();
    text("event_id", event.filter(|e| !e.is_empty()));
    text("method", filter.method.map(Method::as_str));
    text("outcome", filter.outcome.map(Outcome::as_str));
    text("failure_reason_id", filter.failure_reason_id.as_deref());
    for (column, value) in [("granted", filter.granted), ("offline", filter.offline)] {
        if let Some(v) = value {
            sql.push_str(&format!(" AND r.{column} = ?"));
            values.push(v);
        }
    }
    if event == Some("") {
        sql.push_str(" AND r.event_id IS NULL");
    }
    kind_sql(filter, "r.category_id IS NULL OR ", "r", &mut sql, &mut values);
    (sql, values)
}

/// The `AND …` of a [`crate::store::KindFilter`] on `{alias}.category_id`; `none` is how a
/// check without a category is matched among the benefits (`r.category_id IS NULL OR ` on
/// records; nothing on the count tables, which keep `''` for it). As SQLite's.
fn kind_sql(filter: &RecordFilter, none: &str, alias: &str, sql: &mut String, values: &mut Params) {
    let Some(kind) = &filter.kind else { return };
    if kind.age_category_ids.is_empty() && !kind.age_check {
        return; // no age-check category: every check is a benefit
    }
    // No age-check category: an id no category can have (ids never hold parentheses).
    let none_such = ["()".to_string()];
    let ids = if kind.age_category_ids.is_empty() { &none_such[..] } else { &kind.age_category_ids[..] };
    let marks = vec!["?"; ids.len()].join(", ");
    if kind.age_check {
        sql.push_str(&format!(" AND {alias}.category_id IN ({marks})"));
    } else {
        sql.push_str(&format!(" AND ({none}{alias}.category_id NOT IN ({marks}))"));
    }
    for id in ids {
        values.push(id.clone());
    }
}

/// The `WHERE` of `check_counts` or `event_counts` rows (alias `c`) of a level matching a
/// filter; an event id (not `""`) only for `event_counts`.
fn counts_filter_sql(filter: &RecordFilter, level: &str) -> (String, Params) {
    let mut sql = String::from("c.level = ? AND c.bucket_ms >= ? AND c.bucket_ms < ?");
    let mut values = Params::default();
    values.push(level.to_string());
    values.push(filter.from_ms);
    values.push(filter.to_ms);
    let mut text = |column: &str, value: Option<&str>| {
        if let Some(v) = value {
            sql.push_str(&format!(" AND c.{column} = ?"));
            values.push(v.to_string());
        }
    };
    text("branch_id", filter.branch_id.as_deref());
    text("event_id", filter.event_id.as_deref().filter(|e| !e.is_empty()));
    text("category_id", filter.category_id.as_deref());
    text("method", filter.method.map(Method::as_str));
    text("outcome", filter.outcome.map(Outcome::as_str));
    text("failure_reason_id", filter.failure_reason_id.as_deref());
    for (column, value) in [("granted", filter.granted), ("offline", filter.offline)] {
        if let Some(v) = value {
            sql.push_str(&format!(" AND c.{column} = ?"));
            values.push(v);
        }
    }
    kind_sql(filter, "", "c", &mut sql, &mut values);
    (sql, values)
}

/// The overview's keys of a valid check: branch, method, outcome, category ("" for none),
/// failure reason, granted.
type ComboKey = (String, String, String, String, Option<String>, bool);

/// Which counts a query reads: all valid checks, or those made at an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counts {
    Checks,
    AtEvents,
}

/// Valid checks matching `filter` counted per combination of the overview's keys, read from
/// whole months and days of the maintained counts and the records of the period's uneven ends:
/// `check_counts` without an event filter, `event_counts` for one event, their difference for
/// checks at no event.
fn combos(
    conn: &mut Conn<'_>,
    filter: &RecordFilter,
    memo: &EndsMemo,
) -> StoreResult<std::collections::HashMap<ComboKey, i64>> {
    match filter.event_id.as_deref() {
        None => counted(conn, filter, memo, Counts::Checks, Group::Combos, combo_row),
        Some("") => {
            let any = RecordFilter { event_id: None, ..filter.clone() };
            let mut all = combos(conn, &any, memo)?;
            for (key, n) in combos_at_events(conn, &any, memo)? {
                *all.entry(key).or_default() -= n;
            }
            all.retain(|_, n| *n != 0);
            Ok(all)
        }
        Some(_) => combos_at_events(conn, filter, memo),
    }
}

fn combos_at_events(
    conn: &mut Conn<'_>,
    filter: &RecordFilter,
    memo: &EndsMemo,
) -> StoreResult<std::collections::HashMap<ComboKey, i64>> {
    counted(conn, filter, memo, Counts::AtEvents, Group::Combos, combo_row)
}

fn combo_row(row: &Row) -> (ComboKey, i64) {
    ((row.get(0), row.get(1), row.get(2), row.get(3), row.get(4), row.get(5)), row.get(6))
}

/// Valid checks at each event matching `filter` (no event filter or one event).
fn per_event(
    conn: &mut Conn<'_>,
    filter: &RecordFilter,
    memo: &EndsMemo,
) -> StoreResult<std::collections::HashMap<String, i64>> {
    counted(conn, filter, memo, Counts::AtEvents, Group::Event, |row| (row.get(0), row.get(1)))
}

/// What [`counted`] groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    /// The overview's keys: branch, method, outcome, category, failure reason, granted.
    Combos,
    /// The event (with [`Counts::AtEvents`] only).
    Event,
    /// The method (the trend's parts).
    Method,
}

/// Valid checks matching `filter` per method, as [`combos`] reads them.
fn per_method(
    conn: &mut Conn<'_>,
    filter: &RecordFilter,
    memo: &EndsMemo,
) -> StoreResult<std::collections::HashMap<String, i64>> {
    let read = |row: &Row| (row.get(0), row.get(1));
    match filter.event_id.as_deref() {
        None => counted(conn, filter, memo, Counts::Checks, Group::Method, read),
        Some("") => {
            let any = RecordFilter { event_id: None, ..filter.clone() };
            let mut all = counted(conn, &any, memo, Counts::Checks, Group::Method, read)?;
            for (key, n) in counted(conn, &any, memo, Counts::AtEvents, Group::Method, read)? {
                *all.entry(key).or_default() -= n;
            }
            Ok(all)
        }
        Some(_) => counted(conn, filter, memo, Counts::AtEvents, Group::Method, read),
    }
}

/// Whether `filter` narrows checks by their period, branch and event alone: what `event_totals`
/// (migration 010) keeps of them.
fn by_branch_and_event_only(filter: &RecordFilter) -> bool {
    let RecordFilter {
        from_ms: _,
        to_ms: _,
        branch_id: _,
        event_id: _,
        category_id,
        method,
        outcome,
        failure_reason_id,
        granted,
        offline,
        kind,
    } = filter;
    category_id.is_none()
        && method.is_none()
        && outcome.is_none()
        && failure_reason_id.is_none()
        && granted.is_none()
        && offline.is_none()
        && kind.is_none()
}

/// Sums the counts of `filter`'s pieces grouped as `group` says; `row` reads a key and its count.
fn counted<K: std::hash::Hash + Eq + Clone + 'static>(
    conn: &mut Conn<'_>,
    filter: &RecordFilter,
    memo: &EndsMemo,
    counts: Counts,
    group: Group,
    row: impl Fn(&Row) -> (K, i64),
) -> StoreResult<std::collections::HashMap<K, i64>> {
    // Each event's sum, filtered by nothing an event's total lacks: its branch and itself.
    let totals = group == Group::Event && by_branch_and_event_only(filter);
    let (record_keys, count_keys, group) = match group {
        Group::Event => ("r.event_id", "c.event_id", "1"),
        Group::Method => ("r.method", "c.method", "1"),
        Group::Combos => (
            "r.branch_id, r.method, r.outcome, COALESCE(r.category_id, ''), r.failure_reason_id, r.granted",
            "c.branch_id, c.method, c.outcome, c.category_id, NULLIF(c.failure_reason_id, ''), c.granted",
            "1, 2, 3, 4, 5, 6",
        ),
    };
    let (table, at_events) = match counts {
        Counts::Checks => ("check_counts", ""),
        Counts::AtEvents if totals => ("event_totals", " AND r.event_id IS NOT NULL"),
        Counts::AtEvents => ("event_counts", " AND r.event_id IS NOT NULL"),
    };
    let mut out = std::collections::HashMap::new();
    for (source, from_ms, to_ms, sign) in pieces(filter.from_ms, filter.to_ms) {
        let f = RecordFilter { from_ms, to_ms, ..filter.clone() };
        let (sql, values) = match source {
            Source::Records => {
                let (w, v) = check_filter_sql(&f);
                let sql = format!(
                    "SELECT {record_keys}, count(*) FROM records r
                     WHERE {w}{at_events} AND {VALID_CHECK_SQL} GROUP BY {group}"
                );
                (sql, v)
            }
            Source::Days | Source::Months => {
                let (w, v) = counts_filter_sql(&f, if source == Source::Days { "d" } else { "m" });
                (format!("SELECT {count_keys}, sum(c.n)::bigint FROM {table} c WHERE {w} GROUP BY {group}"), v)
            }
        };
        let ends = source == Source::Records;
        let rows = match ends.then(|| memo.get::<K>(&sql, from_ms, to_ms)).flatten() {
            Some(rows) => rows,
            None => {
                let rows: Vec<(K, i64)> = conn.query(&numbered(&sql), &values.refs())?.iter().map(&row).collect();
                if ends {
                    memo.put(&sql, from_ms, to_ms, &rows);
                }
                rows
            }
        };
        for (key, n) in rows {
            *out.entry(key).or_default() += sign * n;
        }
    }
    Ok(out)
}

impl FigureStore for PostgresDatabase {
    fn overview(&self, filter: &RecordFilter) -> StoreResult<Overview> {
        let mut conn = self.conn()?;
        let combos = combos(&mut conn, filter, &EndsMemo::default())?;
        let mut o = fold_overview(combos.into_iter().map(|((b, m, o, c, f, g), n)| (b, m, o, c, f, g, n)));
        let events = match filter.event_id.as_deref() {
            // One event's (or no event's) checks are all of the figures.
            Some(e) => vec![(e.to_string(), i64::try_from(o.total).unwrap_or(i64::MAX))],
            None => per_event(&mut conn, filter, &EndsMemo::default())?.into_iter().collect(),
        };
        (o.by_event, o.more_events) = top_events(events, o.total);
        Ok(o)
    }

    fn check_count(&self, filter: &RecordFilter) -> StoreResult<u64> {
        let mut conn = self.conn()?;
        // Grouped by method only: the fewest groups that still read the same counts.
        let total: i64 = per_method(&mut conn, filter, &EndsMemo::default())?.values().sum();
        Ok(u64::try_from(total).unwrap_or(0))
    }

    fn trend(&self, filter: &RecordFilter, buckets: &[(i64, i64)]) -> StoreResult<Vec<TrendCounts>> {
        let mut conn = self.conn()?;
        let memo = EndsMemo::default();
        let mut out = Vec::with_capacity(buckets.len());
        for &(from_ms, to_ms) in buckets {
            let f =
                RecordFilter { from_ms: from_ms.max(filter.from_ms), to_ms: to_ms.min(filter.to_ms), ..filter.clone() };
            let mut t = TrendCounts::default();
            if f.from_ms < f.to_ms {
                for (method, n) in per_method(&mut conn, &f, &memo)? {
                    let Ok(n) = u64::try_from(n) else { continue };
                    t.checks += n;
                    match method.as_str() {
                        "digital_id" => t.digital_id += n,
                        "paper" => t.paper += n,
                        _ => {}
                    }
                }
            }
            out.push(t);
        }
        Ok(out)
    }

    fn monthly_summary(&self, filter: &RecordFilter, months: &[(u32, i64, i64)]) -> StoreResult<Vec<MonthlySummary>> {
        let mut conn = self.conn()?;
        let memo = EndsMemo::default();
        let mut out = Vec::new();
        for &(month, from_ms, to_ms) in months {
            let f =
                RecordFilter { from_ms: from_ms.max(filter.from_ms), to_ms: to_ms.min(filter.to_ms), ..filter.clone() };
            if f.from_ms >= f.to_ms {
                continue;
            }
            out.extend(fold_month(
                month,
                combos(&mut conn, &f, &memo)?.into_iter().map(|((b, m, o, c, r, g), n)| (b, m, o, c, r, g, n)),
            ));
        }
        Ok(out)
    }

    fn checks_page(
        &self,
        filter: &RecordFilter,
        before: Option<&(i64, String)>,
        limit: u32,
    ) -> StoreResult<Vec<StoredRecord>> {
        let mut conn = self.conn()?;
        let (mut filter_sql, mut values) = check_filter_sql(filter);
        if let Some((at, id)) = before {
            filter_sql.push_str(" AND (r.created_at_ms < ? OR (r.created_at_ms = ? AND r.id < ?))");
            values.push(*at);
            values.push(*at);
            values.push(id.clone());
        }
        values.push(i64::from(limit));
        let columns = RECORD_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect::<Vec<_>>().join(", ");
        // The index records_check_time is ordered by (created_at_ms, id): newest first needs no sort.
        let sql = format!(
            "SELECT {columns} FROM records r
             WHERE {filter_sql} AND {VALID_CHECK_SQL}
             ORDER BY r.created_at_ms DESC, r.id DESC LIMIT ?"
        );
        // Planned for its own period and filter each time (the `Client`'s query, not `Conn`'s
        // prepared one): a page of a day and of ten years want different plans.
        let client: &mut Client = &mut conn;
        client.query(&numbered(&sql), &values.refs())?.iter().map(record_from_row).collect()
    }

    fn export_records(&self, filter: &RecordFilter, limit: Option<u32>) -> StoreResult<Vec<(StoredRecord, bool)>> {
        match limit {
            Some(n) => export_chunk(&mut *self.conn()?, filter, None, n, Order::NewestFirst),
            None => {
                let mut out = Vec::new();
                self.export_each(filter, EXPORT_CHUNK, &mut |chunk| {
                    out.extend(chunk);
                    Ok(true)
                })?;
                Ok(out)
            }
        }
    }

    fn export_count(&self, filter: &RecordFilter) -> StoreResult<u64> {
        let mut conn = self.conn()?;
        let client: &mut Client = &mut conn;
        let (checks, voids) = export_where(filter);
        let mut total = 0i64;
        for (sql, values) in [checks, voids] {
            let Some(sql) = sql else { continue };
            let n: i64 = client
                .query_one(&numbered(&format!("SELECT count(*) FROM records r WHERE {sql}")), &values.refs())?
                .get(0);
            total += n;
        }
        Ok(u64::try_from(total).unwrap_or(0))
    }

    fn export_each(
        &self,
        filter: &RecordFilter,
        chunk: u32,
        visit: &mut dyn FnMut(Vec<(StoredRecord, bool)>) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        let chunk = chunk.max(1);
        let mut after: Option<(i64, String)> = None;
        loop {
            // A reader only while a chunk is read: between chunks the connection is free.
            let rows = export_chunk(&mut *self.conn()?, filter, after.as_ref(), chunk, Order::OldestFirst)?;
            let Some((last, _)) = rows.last() else { return Ok(()) };
            after = Some((last.record.created_at_ms, last.record.id.clone()));
            let full = rows.len() == chunk as usize;
            if !visit(rows)? || !full {
                return Ok(());
            }
        }
    }
}

/// Rows per chunk of an export read without a limit.
const EXPORT_CHUNK: u32 = 5_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    OldestFirst,
    NewestFirst,
}

/// The `WHERE` of an export's checks and of its voids (`None`: no voids — a filter on what only
/// checks have lists checks only), on alias `r`.
type Where = (Option<String>, Params);

fn export_where(filter: &RecordFilter) -> (Where, Where) {
    let (check_sql, check_values) = check_filter_sql(filter);
    // Voids are listed by period and branch.
    let period_branch = RecordFilter {
        from_ms: filter.from_ms,
        to_ms: filter.to_ms,
        branch_id: filter.branch_id.clone(),
        ..Default::default()
    };
    let voids = if *filter == period_branch {
        let (sql, values) = check_filter_sql(&period_branch);
        (Some(sql.replacen("r.kind = 'check'", "r.kind = 'void'", 1)), values)
    } else {
        (None, Params::default())
    };
    ((Some(check_sql), check_values), voids)
}

/// Up to `limit` export rows (checks and voids) in `(created_at_ms, id)` order, after (or, newest
/// first, before) the key `from`: each kind walks its time index and stops early, the two merged.
fn export_chunk(
    conn: &mut Client,
    filter: &RecordFilter,
    from: Option<&(i64, String)>,
    limit: u32,
    order: Order,
) -> StoreResult<Vec<(StoredRecord, bool)>> {
    let columns = RECORD_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect::<Vec<_>>().join(", ");
    // `OFFSET 0`: a probe per row; else the planner may hash every void of the database for the
    // first 20 (1.4 s at 10,000,000 records).
    let voided = "EXISTS (SELECT 1 FROM records v WHERE v.target_id = r.id AND v.kind = 'void' \
                  AND v.device_id = r.device_id OFFSET 0) AS voided";
    let (dir, cmp) = match order {
        Order::OldestFirst => ("ASC", ">"),
        Order::NewestFirst => ("DESC", "<"),
    };
    let (checks, voids) = export_where(filter);
    let mut parts = Vec::new();
    let mut values = Params::default();
    for (sql, part_values) in [checks, voids] {
        let Some(mut sql) = sql else { continue };
        values.extend(part_values);
        if let Some((at, id)) = from {
            sql.push_str(&format!(" AND (r.created_at_ms, r.id) {cmp} (?, ?)"));
            values.push(*at);
            values.push(id.clone());
        }
        parts.push(format!(
            "(SELECT {columns}, {voided} FROM records r
                 WHERE {sql} ORDER BY r.created_at_ms {dir}, r.id {dir} LIMIT {limit})"
        ));
    }
    let sql =
        format!("SELECT * FROM ({}) u ORDER BY created_at_ms {dir}, id {dir} LIMIT {limit}", parts.join(" UNION ALL "));
    let rows = conn.query(&numbered(&sql), &values.refs())?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push((record_from_row(row)?, row.get::<_, bool>(21)));
    }
    Ok(out)
}
