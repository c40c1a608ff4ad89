//! The sync engine: brings the outbox to the central server through a [`Transport`], losing
//! nothing and duplicating nothing.
//!
//! A batch is marked sent only after the server acknowledged every id in it. Anything that goes
//! wrong before that (a dropped connection, a timeout, a crash) leaves the batch pending, and the
//! next attempt sends it again; the server stores each id once, so a repeat changes nothing.
//! The transport (HTTP in the app) lives outside the core.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use std::collections::{HashMap, HashSet};

use lgota_protocol::{
    PullQuery, PullResponse, PushRequest, PushResponse, RecordResult, RecordStatus, TrainingPush, TrainingPushResponse,
};

use crate::clock::Now;
use crate::content::TrustedKey;
use crate::error::Error;
use crate::store::{Enrollment, Store, SyncProblem};

/// Records per push: well under the protocol's limit of 1,000 and its 4 MiB body.
pub const BATCH_SIZE: usize = 500;

/// Why a transport call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No answer: no network, server unreachable, connection dropped, timeout. Try again later.
    /// The text says why in Russian, for the librarian (technical detail belongs in the log).
    #[error("Сервер недоступен: {0}.")]
    Unreachable(String),
    /// The server answered with an error body.
    #[error("{message}")]
    Refused { status: u16, code: String, message: String },
    /// The server is busy (`503` with `Retry-After`): try again no sooner than `retry_after_s`
    /// seconds.
    #[error("Сервер занят: слишком много телефонов синхронизируются одновременно. Повторим не раньше чем через {retry_after_s} с.")]
    Busy { retry_after_s: u64 },
}

/// Training results per push, well under the protocol's [`lgota_protocol::MAX_TRAINING_PER_PUSH`].
pub const TRAINING_BATCH_SIZE: usize = 100;

pub trait Transport {
    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError>;
    fn pull(&mut self, query: PullQuery) -> Result<PullResponse, TransportError>;
    /// Training results (protocol 3, [`lgota_protocol::paths::TRAINING`]). A transport without
    /// the endpoint refuses them; they wait on the phone.
    fn push_training(&mut self, _request: &TrainingPush) -> Result<TrainingPushResponse, TransportError> {
        Err(TransportError::Refused {
            status: 404,
            code: lgota_protocol::codes::NOT_FOUND.into(),
            message: "Сервер не принимает результаты обучения.".into(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Store(#[from] Error),
    #[error("Сервер подтвердил не все записи пакета; они будут отправлены снова.")]
    IncompleteAck,
    #[error("Устройство не подключено к центральному серверу.")]
    NotEnrolled,
}

impl SyncError {
    /// A stable code for the UI: the server's code, or one of ours.
    pub fn code(&self) -> &str {
        match self {
            SyncError::Transport(TransportError::Unreachable(_)) => "unreachable",
            SyncError::Transport(TransportError::Refused { code, .. }) => code,
            SyncError::Transport(TransportError::Busy { .. }) => lgota_protocol::codes::BUSY,
            SyncError::Store(e) => e.code(),
            SyncError::IncompleteAck => "incomplete_ack",
            SyncError::NotEnrolled => "not_enrolled",
        }
    }

    /// The problem as the sync panel tells it: what happened and what to do.
    pub fn problem(&self, now: Now) -> SyncProblem {
        let advice = match self.code() {
            "unreachable" => {
                "Нет связи с сервером. Записи сохранены на телефоне и отправятся сами, когда появится интернет."
            }
            "device_revoked" => {
                "Центральная библиотека отключила этот телефон. Записи, которые она уже получила, удалены с \
                 телефона вместе с ключом доступа и меткой сотрудника; неотправленные сохранены — выгрузите их в \
                 файл. Чтобы работать дальше, подключите телефон заново по QR-коду."
            }
            "unauthorized" | "not_enrolled" => {
                "Подключите устройство заново: отсканируйте QR-код подключения из центральной библиотеки."
            }
            "unsupported_protocol" => "Обновите приложение: сервер работает с другой версией протокола.",
            "invalid_server" => "Проверьте адрес сервера.",
            "certificate_not_trusted" => {
                "Записи сохранены на телефоне и не отправлены: сервер предъявил сертификат, которому телефон не \
                 доверяет (не того центра сертификации, что закреплён при подключении). Сообщите методисту; если \
                 сертификат сервера сменили, подключите телефон заново по новому QR-коду."
            }
            "ca_pin_mismatch" => {
                "Подключение отменено: сертификат сервера не совпадает с QR-кодом. Попросите в центральной \
                 библиотеке новый QR-код подключения."
            }
            "busy" => "Сервер сейчас перегружен. Записи сохранены на телефоне; синхронизация повторится сама.",
            "wrong_branch" | "wrong_device" => {
                "Неотправленные записи сделаны для другого филиала. Выгрузите их в файл и передайте методисту."
            }
            _ if self.is_transient() => "Сервер временно недоступен. Повторим автоматически.",
            _ => "Записи сохранены на телефоне. Сообщите методисту о проблеме; можно выгрузить записи в файл.",
        };
        SyncProblem {
            code: self.code().to_owned(),
            message: self.to_string(),
            advice: advice.to_owned(),
            at_ms: now.utc_ms,
        }
    }

    /// Worth retrying by itself later (as opposed to needing a person: revoked, enroll again…).
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Transport(TransportError::Unreachable(_) | TransportError::Busy { .. })
            | SyncError::IncompleteAck => true,
            SyncError::Transport(TransportError::Refused { status, .. }) => *status >= 500 || *status == 429,
            SyncError::Store(_) | SyncError::NotEnrolled => false,
        }
    }
}

impl SyncError {
    /// How long the server asked to be left alone (a busy server's `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SyncError::Transport(TransportError::Busy { retry_after_s }) => Some(Duration::from_secs(*retry_after_s)),
            _ => None,
        }
    }
}

/// The first wait after a failed sync; it doubles with each failure in a row…
pub const BACKOFF_BASE: Duration = Duration::from_secs(5);
/// …up to this.
pub const BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);

/// When to try again after `failures` failed syncs in a row, the last one `error`: 5 s, 10 s,
/// 20 s … up to 15 minutes, each with ±50 % jitter so that phones do not retry in step — and never
/// sooner than a busy server asked (`Retry-After`).
pub fn retry_delay(failures: u32, error: &SyncError) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(1u32 << failures.clamp(1, 16).saturating_sub(1));
    let capped = exp.min(BACKOFF_MAX);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let jitter = 0.5 + f64::from(nanos % 1000) / 1000.0; // 0.5 … 1.5
    let backoff = capped.mul_f64(jitter);
    backoff.max(error.retry_after().unwrap_or_default())
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Records the server answered in this run (acknowledged or not).
    pub sent: u64,
    pub batches: u32,
    /// Of those, records the server already had.
    pub duplicates: u64,
    /// Of those, records the server did not store (refused or a conflict): «Требуют внимания».
    pub attention: u64,
    /// The outbox went back to the start because the server was another database or lacked
    /// what it had acknowledged (restored from a backup).
    pub resent_all: bool,
}

/// How many times one run may start the outbox over (a server that keeps losing records must
/// not keep a phone busy forever).
const MAX_RESENDS_PER_RUN: u32 = 2;

fn lock(store: &Mutex<Store>) -> Result<MutexGuard<'_, Store>, SyncError> {
    store.lock().map_err(|_| SyncError::Store(Error::Corrupt("хранилище заблокировано после сбоя".into())))
}

/// The server and token to sync with: [`SyncError::NotEnrolled`] when the device has none, a
/// store error when they cannot be read (never taken for "not enrolled").
pub fn enrollment(store: &Mutex<Store>) -> Result<Enrollment, SyncError> {
    lock(store)?.enrollment()?.ok_or(SyncError::NotEnrolled)
}

/// Pushes every pending record, batch by batch, calling `progress(sent, remaining)` after each
/// answered batch. The store is locked only to read a batch and to settle it, never during
/// network I/O: recording goes on while a sync runs. Stops at the first failure; what was
/// answered stays answered.
///
/// A protocol-2 server answers every record: stored and duplicate ones are acknowledged, refused
/// and conflicting ones go to «Требуют внимания», and the outbox moves past the batch either
/// way. An answer that leaves a record out moves nothing (`incomplete_ack`, tried again).
pub fn push_pending(
    store: &Mutex<Store>,
    transport: &mut dyn Transport,
    batch_size: usize,
    mut progress: impl FnMut(u64, u64),
) -> Result<PushReport, SyncError> {
    let mut report = PushReport::default();
    let mut resends = 0;
    loop {
        let (batch, last_acknowledged) = {
            let store = lock(store)?;
            (store.pending(batch_size.max(1))?, store.last_acknowledged()?)
        };
        let Some(last_seq) = batch.last().map(|r| r.seq) else {
            return Ok(report);
        };
        let request = PushRequest {
            records: batch.into_iter().map(|r| r.wire).collect(),
            last_acknowledged,
            sent_at_ms: Some(Now::system().utc_ms),
        };
        let response = transport.push(&request)?;
        let restart = {
            let mut store = lock(store)?;
            let mut restart = match &response.server {
                Some(server) => store.note_server(server, Now::system())?,
                None => false,
            };
            if response.resend_all && !restart {
                store.resend_all()?;
                restart = true;
            }
            restart
        };
        if restart {
            resends += 1;
            report.resent_all = true;
            if resends > MAX_RESENDS_PER_RUN {
                return Err(SyncError::IncompleteAck);
            }
            continue;
        }
        let results = results_of(&request, &response)?;
        let remaining = {
            let mut store = lock(store)?;
            store.settle_batch(last_seq, &results, Now::system())?;
            store.pending_count()?
        };
        report.sent += request.records.len() as u64;
        report.duplicates += u64::from(response.duplicates);
        report.attention += results.iter().filter(|r| !r.status.is_acknowledged()).count() as u64;
        report.batches += 1;
        progress(report.sent, remaining);
    }
}

/// One result per record of `request`, or [`SyncError::IncompleteAck`]. A protocol-1 answer
/// (acknowledged ids only) must acknowledge every record.
fn results_of(request: &PushRequest, response: &PushResponse) -> Result<Vec<RecordResult>, SyncError> {
    if response.results.is_empty() {
        let acknowledged: HashSet<&str> = response.acknowledged.iter().map(String::as_str).collect();
        if !request.records.iter().all(|r| acknowledged.contains(r.id.as_str())) {
            return Err(SyncError::IncompleteAck);
        }
        return Ok(request
            .records
            .iter()
            .map(|r| RecordResult { id: r.id.clone(), status: RecordStatus::Stored, code: None, message: None })
            .collect());
    }
    let answered: HashMap<&str, &RecordResult> = response.results.iter().map(|r| (r.id.as_str(), r)).collect();
    request
        .records
        .iter()
        .map(|r| answered.get(r.id.as_str()).map(|a| (*a).clone()).ok_or(SyncError::IncompleteAck))
        .collect()
}

/// Pushes every finished training scenario the server has not answered, batch by batch, apart
/// from the records (their own outbox). Returns how many the server answered. Like the records:
/// the store is never locked during network I/O, and an answer that leaves a result out moves
/// nothing (`incomplete_ack`).
pub fn push_training(store: &Mutex<Store>, transport: &mut dyn Transport, batch_size: usize) -> Result<u64, SyncError> {
    let mut answered = 0;
    loop {
        let batch = lock(store)?.pending_training(batch_size.max(1))?;
        let Some(last_seq) = batch.last().map(|(seq, _)| *seq) else {
            return Ok(answered);
        };
        let results: Vec<_> = batch.into_iter().map(|(_, t)| t).collect();
        let request = TrainingPush { results };
        let response = transport.push_training(&request)?;
        let mut store = lock(store)?;
        if let Some(server) = &response.server {
            if store.note_server(server, Now::system())? {
                // Another database: records and training results go again from the start.
                continue;
            }
        }
        if !store.settle_training(&request.results, last_seq, &response)? {
            return Err(SyncError::IncompleteAck);
        }
        answered += request.results.len() as u64;
    }
}

/// One full sync: push the outbox, then pull reference data, then note the result for the panel.
pub fn sync_once(
    store: &Mutex<Store>,
    transport: &mut dyn Transport,
    trusted: &[TrustedKey],
    progress: impl FnMut(u64, u64),
) -> Result<PushReport, SyncError> {
    let result = (|| {
        let report = push_pending(store, transport, BATCH_SIZE, progress)?;
        push_training(store, transport, TRAINING_BATCH_SIZE)?;
        let query = lock(store)?.pull_query()?;
        let pull = transport.pull(query)?;
        let mut store = lock(store)?;
        if let Some(server) = &pull.server {
            // Another database than the push met: the next sync sends everything again.
            store.note_server(server, Now::system())?;
        }
        store.apply_pull(&pull, trusted, Now::system())?;
        // Acknowledged records past the office's retention leave the phone (a failure here is
        // the storage's, and fails the sync like any other).
        store.purge_acknowledged(Now::system())?;
        Ok(report)
    })();
    let now = Now::system();
    let problem = result.as_ref().err().map(|e: &SyncError| e.problem(now));
    let mut guard = lock(store)?;
    if result.as_ref().is_err_and(|e| e.code() == lgota_protocol::codes::DEVICE_REVOKED) {
        // A lost phone forgets what the office already has, its token and its staff label.
        guard.forget_revoked(now)?;
    }
    guard.note_sync(problem.as_ref(), now)?;
    result
}

/// Pulls the reference data once (configuration, content pack, events) without pushing: right
/// after enrollment, so a branch the phone has not heard of arrives with its configuration before
/// the app says «Подключено». Notes nothing for the panel; the worker's next sync does.
pub fn pull_reference(
    store: &Mutex<Store>,
    transport: &mut dyn Transport,
    trusted: &[TrustedKey],
) -> Result<(), SyncError> {
    let query = lock(store)?.pull_query()?;
    let pull = transport.pull(query)?;
    lock(store)?.apply_pull(&pull, trusted, Now::system())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use lgota_protocol::WireRecord;

    use super::*;
    use crate::{CheckInput, Now, SetupInput};

    /// A stand-in for the server with the same contract (store once by id, ack every id), that
    /// can fail before or after "committing". The real server is exercised in lgota-central's
    /// tests through a fault-injecting proxy; this one checks the engine's own bookkeeping.
    #[derive(Default)]
    struct Flaky {
        stored: HashMap<String, WireRecord>,
        calls: u32,
        fail_before: Vec<u32>,
        fail_after: Vec<u32>,
    }

    impl Transport for Flaky {
        fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
            self.calls += 1;
            if self.fail_before.contains(&self.calls) {
                return Err(TransportError::Unreachable("connection refused".into()));
            }
            let mut duplicates = 0;
            for r in &request.records {
                if self.stored.insert(r.id.clone(), r.clone()).is_some() {
                    duplicates += 1;
                }
            }
            if self.fail_after.contains(&self.calls) {
                return Err(TransportError::Unreachable("connection reset".into()));
            }
            Ok(PushResponse {
                acknowledged: request.records.iter().map(|r| r.id.clone()).collect(),
                stored: request.records.len() as u32 - duplicates,
                duplicates,
                ..PushResponse::default()
            })
        }

        fn pull(&mut self, query: PullQuery) -> Result<PullResponse, TransportError> {
            Ok(PullResponse { events_cursor: query.events_cursor, ..PullResponse::default() })
        }
    }

    fn no_pull() -> Result<PullResponse, TransportError> {
        unreachable!("these tests only push")
    }

    fn store_with(dir: &tempfile::TempDir, n: usize) -> Mutex<Store> {
        let mut store = Store::open(dir.path().join("s.db")).unwrap();
        store
            .setup(&SetupInput { branch_id: "central".into(), staff_label: "ИП".into(), event: None }, Now::system())
            .unwrap();
        for _ in 0..n {
            store.record_check(&CheckInput::Refused { category_id: None, note: None }, Now::system()).unwrap();
        }
        Mutex::new(store)
    }

    fn pending(store: &Mutex<Store>) -> u64 {
        store.lock().unwrap().pending_count().unwrap()
    }

    #[test]
    fn everything_arrives_once_despite_failures_before_and_after_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(&dir, 23);
        let mut server = Flaky { fail_before: vec![2], fail_after: vec![4, 5], ..Default::default() };
        let mut attempts = 0;
        loop {
            attempts += 1;
            match push_pending(&store, &mut server, 5, |_, _| {}) {
                Ok(_) => break,
                Err(e) => assert!(e.is_transient(), "{e}"),
            }
            assert!(attempts < 20);
        }
        assert_eq!(pending(&store), 0);
        assert_eq!(server.stored.len(), 23, "every record exactly once");
        // Nothing left: a further sync sends nothing.
        let calls = server.calls;
        assert_eq!(push_pending(&store, &mut server, 5, |_, _| {}).unwrap(), PushReport::default());
        assert_eq!(server.calls, calls);
    }

    #[test]
    fn a_partial_ack_leaves_the_batch_pending() {
        struct Forgetful;
        impl Transport for Forgetful {
            fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
                Ok(PushResponse {
                    acknowledged: vec![request.records[0].id.clone()],
                    stored: 1,
                    ..PushResponse::default()
                })
            }
            fn pull(&mut self, _: PullQuery) -> Result<PullResponse, TransportError> {
                no_pull()
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(&dir, 3);
        let err = push_pending(&store, &mut Forgetful, 10, |_, _| {}).unwrap_err();
        assert_eq!(err.code(), "incomplete_ack");
        assert_eq!(pending(&store), 3);
    }

    #[test]
    fn a_refusal_is_reported_with_the_servers_code() {
        struct Revoked;
        impl Transport for Revoked {
            fn push(&mut self, _: &PushRequest) -> Result<PushResponse, TransportError> {
                Err(TransportError::Refused {
                    status: 403,
                    code: "device_revoked".into(),
                    message: "Устройство отключено".into(),
                })
            }
            fn pull(&mut self, _: PullQuery) -> Result<PullResponse, TransportError> {
                no_pull()
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(&dir, 2);
        let err = sync_once(&store, &mut Revoked, &[], |_, _| {}).unwrap_err();
        assert_eq!(err.code(), "device_revoked");
        assert!(!err.is_transient());
        assert_eq!(pending(&store), 2);
        let status = store.lock().unwrap().sync_status().unwrap();
        let problem = status.problem.expect("the panel learns of it");
        assert_eq!(problem.code, "device_revoked");
        assert!(problem.advice.contains("QR-код"), "{problem:?}");
    }

    #[test]
    fn not_enrolled_and_unreadable_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(&dir, 0);
        assert!(matches!(enrollment(&store), Err(SyncError::NotEnrolled)));
        store.lock().unwrap().save_enrollment("https://cbs.example", "tok", "central", "Центральная").unwrap();
        assert_eq!(enrollment(&store).unwrap().token, "tok");
        store.lock().unwrap().conn().execute_batch("DROP TABLE meta").unwrap();
        let e = enrollment(&store).unwrap_err();
        assert_eq!(e.code(), "storage", "{e}");
    }

    #[test]
    fn an_unreachable_server_is_told_in_russian() {
        let e = SyncError::from(TransportError::Unreachable("нет соединения с сервером".into()));
        let problem = e.problem(Now::system());
        assert_eq!(problem.code, "unreachable");
        assert_eq!(problem.message, "Сервер недоступен: нет соединения с сервером.");
    }

    #[test]
    fn a_busy_server_is_retried_no_sooner_than_it_asked() {
        let within = |d: Duration, base: Duration| d >= base.mul_f64(0.5) && d <= base.mul_f64(1.5);
        let down = SyncError::from(TransportError::Unreachable("нет соединения с сервером".into()));
        assert!(within(retry_delay(1, &down), Duration::from_secs(5)));
        assert!(within(retry_delay(3, &down), Duration::from_secs(20)));
        assert!(within(retry_delay(30, &down), BACKOFF_MAX));
        let busy = SyncError::from(TransportError::Busy { retry_after_s: 120 });
        assert_eq!(busy.retry_after(), Some(Duration::from_secs(120)));
        for failures in 1..4 {
            assert!(retry_delay(failures, &busy) >= Duration::from_secs(120));
        }
        assert!(busy.is_transient());
        let problem = busy.problem(Now::system());
        assert_eq!(problem.code, "busy");
        assert!(problem.message.contains("Сервер занят") && problem.message.contains("120 с"), "{}", problem.message);
        assert!(problem.advice.contains("перегружен"), "{}", problem.advice);
    }

    #[test]
    fn progress_counts_down() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(&dir, 7);
        let mut seen = Vec::new();
        let report = push_pending(&store, &mut Flaky::default(), 3, |sent, left| seen.push((sent, left))).unwrap();
        assert_eq!(report, PushReport { sent: 7, batches: 3, ..PushReport::default() });
        assert_eq!(seen, vec![(3, 4), (6, 1), (7, 0)]);
    }

    /// A protocol-2 stand-in: refuses records whose note says «плохо», names itself `server_id`,
    /// and can forget everything (a restore from an old backup).
    struct PerRecord {
        stored: HashMap<String, WireRecord>,
        server_id: String,
        server_time_ms: i64,
    }

    impl Transport for PerRecord {
        fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
            let mut response = PushResponse {
                resend_all: request.last_acknowledged.as_ref().is_some_and(|id| !self.stored.contains_key(id)),
                ..PushResponse::default()
            };
            for r in &request.records {
                let status = if r.note.as_deref() == Some("плохо") {
                    RecordStatus::Refused
                } else if self.stored.insert(r.id.clone(), r.clone()).is_some() {
                    RecordStatus::Duplicate
                } else {
                    RecordStatus::Stored
                };
                let refused = status == RecordStatus::Refused;
                response.results.push(RecordResult {
                    id: r.id.clone(),
                    status,
                    code: refused.then(|| "invalid_record".to_string()),
                    message: refused.then(|| "Запись не принята: так нельзя".to_string()),
                });
            }
            response.server = Some(lgota_protocol::ServerInfo {
                server_id: self.server_id.clone(),
                server_time_ms: self.server_time_ms,
                device_report: None,
            });
            Ok(response)
        }

        fn pull(&mut self, query: PullQuery) -> Result<PullResponse, TransportError> {
            Ok(PullResponse { events_cursor: query.events_cursor, ..PullResponse::default() })
        }
    }

    fn per_record() -> PerRecord {
        PerRecord { stored: HashMap::new(), server_id: "db-1".into(), server_time_ms: Now::system().utc_ms }
    }

    #[test]
    fn a_refused_record_waits_for_attention_and_holds_nothing_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(&dir, 2);
        let bad = store
            .lock()
            .unwrap()
            .record_check(&CheckInput::Refused { category_id: None, note: Some("плохо".into()) }, Now::system())
            .unwrap();
        store
            .lock()
            .unwrap()
            .record_check(&CheckInput::Refused { category_id: None, note: None }, Now::system())
            .unwrap();
        let mut server = per_record();
        let report = push_pending(&store, &mut server, 2, |_, _| {}).unwrap();
        assert_eq!((report.sent, report.attention), (4, 1));
        assert_eq!(pending(&store), 0, "the record after the refused one went out too");
        assert_eq!(server.stored.len(), 3);
        let status = store.lock().unwrap().sync_status().unwrap();
        assert_eq!(status.attention.len(), 1);
        let item = &status.attention[0];
        assert_eq!(
            (item.record_id.as_str(), item.code.as_str(), item.status.as_str()),
            (bad.id.as_str(), "invalid_record", "refused")
        );
        assert!(item.can_void && !item.voided && item.advice.contains("Аннулируйте"), "{item:?}");
        // Voided on the phone: the panel says there is nothing more to do; the void goes out.
        store.lock().unwrap().void(&bad.id, "Ошибочная запись", Now::system()).unwrap();
        let item = store.lock().unwrap().sync_status().unwrap().attention[0].clone();
        assert!(item.voided && !item.can_void);
        push_pending(&store, &mut server, 10, |_, _| {}).unwrap();
        assert_eq!(pending(&store), 0);
        // The export still carries the refused record (for the office), not the stored ones.
        let export = store.lock().unwrap().export_pending().unwrap();
        assert_eq!(export.records.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec![bad.id.as_str()]);
    }

    #[test]
    fn a_result_missing_for_a_record_moves_nothing() {
        struct Partial;
        impl Transport for Partial {
            fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
                let first = &request.records[0];
                Ok(PushResponse {
                    results: vec![RecordResult {
                        id: first.id.clone(),
                        status: RecordStatus::Stored,
                        code: None,
                        message: None,
                    }],
                    ..PushResponse::default()
                })
            }
            fn pull(&mut self, _: PullQuery) -> Result<PullResponse, TransportError> {
                no_pull()
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(&dir, 3);
        assert_eq!(push_pending(&store, &mut Partial, 10, |_, _| {}).unwrap_err().code(), "incomplete_ack");
        assert_eq!(pending(&store), 3);
    }

    #[test]
    fn another_server_database_or_a_restored_one_gets_everything_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(&dir, 5);
        let mut server = per_record();
        push_pending(&store, &mut server, 2, |_, _| {}).unwrap();
        assert_eq!(server.stored.len(), 5);

        // Restored from a backup that lacks the last two records (same identity).
        let mut ids: Vec<String> = server.stored.keys().cloned().collect();
        ids.sort();
        for id in &ids[3..] {
            server.stored.remove(id);
        }
        store
            .lock()
            .unwrap()
            .record_check(&CheckInput::Refused { category_id: None, note: None }, Now::system())
            .unwrap();
        let report = push_pending(&store, &mut server, 2, |_, _| {}).unwrap();
        assert!(report.resent_all);
        assert_eq!(server.stored.len(), 6, "what the backup lacked came back");

        // A new server database (another identity): everything again, nothing twice.
        server.stored.clear();
        server.server_id = "db-2".into();
        store
            .lock()
            .unwrap()
            .record_check(&CheckInput::Refused { category_id: None, note: None }, Now::system())
            .unwrap();
        let report = push_pending(&store, &mut server, 2, |_, _| {}).unwrap();
        assert!(report.resent_all);
        assert_eq!(server.stored.len(), 7);
        assert_eq!(pending(&store), 0);
    }

    #[test]
    fn a_clock_off_by_more_than_ten_minutes_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(&dir, 1);
        let mut server = per_record();
        server.server_time_ms = Now::system().utc_ms - 3 * 24 * 60 * 60 * 1000;
        push_pending(&store, &mut server, 10, |_, _| {}).unwrap();
        let status = store.lock().unwrap().sync_status().unwrap();
        let warning = status.clock_warning.expect("three days ahead");
        assert!(warning.starts_with("Проверьте дату и время на телефоне") && warning.contains("спешат"), "{warning}");
        server.server_time_ms = Now::system().utc_ms + 5 * 60 * 1000;
        store
            .lock()
            .unwrap()
            .record_check(&CheckInput::Refused { category_id: None, note: None }, Now::system())
            .unwrap();
        push_pending(&store, &mut server, 10, |_, _| {}).unwrap();
        assert_eq!(store.lock().unwrap().sync_status().unwrap().clock_warning, None, "five minutes is fine");
    }
}
