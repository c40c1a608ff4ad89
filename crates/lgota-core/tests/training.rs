//! Training results (issue 16) on a real SQLite file: a finished scenario leaves a training
//! record (never sent, never counted) and a training result with its own outbox, which the sync
//! engine pushes apart from the records, survives a restart, a lost answer and a second send.

use std::collections::HashMap;
use std::sync::Mutex;

use lgota_core::sync::{push_pending, push_training, sync_once, SyncError, Transport, TransportError};
use lgota_core::{CheckInput, Now, SetupInput, Store};
use lgota_protocol::{
    PullQuery, PullResponse, PushRequest, PushResponse, RecordResult, RecordStatus, ServerInfo, TrainingPush,
    TrainingPushResponse, WireTrainingResult,
};

fn at(ms: i64) -> Now {
    Now { utc_ms: 1_780_000_000_000 + ms, offset_min: 180 }
}

fn configured(path: &std::path::Path) -> Store {
    let mut store = Store::open(path).unwrap();
    store.setup(&SetupInput { branch_id: "branch-1".into(), staff_label: "ОК".into(), event: None }, at(0)).unwrap();
    store
}

/// A stand-in with the server's contract for both outboxes: each id stored once, every id
/// answered; it can lose an answer after "committing".
#[derive(Default)]
struct Server {
    records: HashMap<String, lgota_protocol::WireRecord>,
    training: HashMap<String, WireTrainingResult>,
    training_calls: u32,
    lose_training_answer: Vec<u32>,
}

impl Transport for Server {
    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
        let results = request
            .records
            .iter()
            .map(|r| {
                let status = match self.records.insert(r.id.clone(), r.clone()) {
                    Some(_) => RecordStatus::Duplicate,
                    None => RecordStatus::Stored,
                };
                RecordResult { id: r.id.clone(), status, code: None, message: None }
            })
            .collect();
        Ok(PushResponse { results, ..PushResponse::default() })
    }

    fn pull(&mut self, query: PullQuery) -> Result<PullResponse, TransportError> {
        Ok(PullResponse { events_cursor: query.events_cursor, ..PullResponse::default() })
    }

    fn push_training(&mut self, request: &TrainingPush) -> Result<TrainingPushResponse, TransportError> {
        self.training_calls += 1;
        let results = request
            .results
            .iter()
            .map(|t| {
                let status = match self.training.insert(t.id.clone(), t.clone()) {
                    Some(_) => RecordStatus::Duplicate,
                    None => RecordStatus::Stored,
                };
                RecordResult { id: t.id.clone(), status, code: None, message: None }
            })
            .collect();
        if self.lose_training_answer.contains(&self.training_calls) {
            return Err(TransportError::Unreachable("соединение прервано".into()));
        }
        Ok(TrainingPushResponse {
            results,
            server: Some(ServerInfo { server_id: "srv-1".into(), server_time_ms: at(0).utc_ms, device_report: None }),
        })
    }
}

#[test]
fn a_finished_scenario_leaves_a_result_that_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let mut store = configured(&path);
    store.record_check(&CheckInput::Refused { category_id: None, note: None }, at(10)).unwrap();
    let view = store.complete_training("did-success", 2, at(20)).unwrap();
    assert!(view.training);
    // The scenario's id must be known; the score at most its steps (3); nothing half-stored.
    assert_eq!(store.complete_training("no-such", 1, at(30)).unwrap_err().code(), "unknown_scenario");
    assert_eq!(store.complete_training("did-success", 4, at(30)).unwrap_err().code(), "invalid_record");
    drop(store);

    let store = Store::open(&path).unwrap();
    let pending = store.pending_training(10).unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    let t = &pending[0].1;
    assert_eq!(
        (t.scenario_id.as_str(), t.scenario_title.as_str(), t.steps, t.correct_first_try),
        ("did-success", "Цифровой ID подтверждён", 3, 2)
    );
    assert_eq!(
        (t.staff_label.as_str(), t.branch_id.as_str(), t.device_id.as_str()),
        ("ОК", "branch-1", store.device_id())
    );
    assert_eq!((t.completed_at_ms, t.utc_offset_min), (at(20).utc_ms, 180));
    assert_eq!(t.content_version, store.content().version);
    // The records' outbox holds only the real check; the tally counts only it.
    assert_eq!(store.pending(10).unwrap().len(), 1);
    assert_eq!(store.overview(at(40)).unwrap().tally.total, 1);
    assert_eq!(store.overview(at(40)).unwrap().training_count, 1);
}

#[test]
fn results_travel_apart_once_despite_a_lost_answer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Mutex::new(configured(&dir.path().join("phone.db")));
    for (i, scenario) in ["did-success", "no-internet", "prefers-paper"].iter().enumerate() {
        store.lock().unwrap().complete_training(scenario, 1, at(100 + i as i64)).unwrap();
    }
    store.lock().unwrap().record_check(&CheckInput::Refused { category_id: None, note: None }, at(200)).unwrap();
    let mut server = Server { lose_training_answer: vec![1], ..Server::default() };

    // Records go on their own: no training result rides along.
    push_pending(&store, &mut server, 10, |_, _| {}).unwrap();
    assert_eq!(server.records.len(), 1);
    assert!(server.records.values().all(|r| !r.training));
    assert!(server.training.is_empty());

    // The first answer is lost after the server kept the batch: nothing moves, it goes again.
    let e = push_training(&store, &mut server, 2).unwrap_err();
    assert!(matches!(e, SyncError::Transport(TransportError::Unreachable(_))), "{e}");
    assert_eq!(store.lock().unwrap().pending_training_count().unwrap(), 3);
    assert_eq!(push_training(&store, &mut server, 2).unwrap(), 3);
    assert_eq!(store.lock().unwrap().pending_training_count().unwrap(), 0);
    assert_eq!(server.training.len(), 3, "each result once");
    // Nothing left: a full sync sends no training result again.
    let calls = server.training_calls;
    sync_once(&store, &mut server, &[], |_, _| {}).unwrap();
    assert_eq!(server.training_calls, calls);
}

#[test]
fn an_answer_that_leaves_a_result_out_moves_nothing() {
    struct Forgetful;
    impl Transport for Forgetful {
        fn push(&mut self, _: &PushRequest) -> Result<PushResponse, TransportError> {
            Ok(PushResponse::default())
        }
        fn pull(&mut self, q: PullQuery) -> Result<PullResponse, TransportError> {
            Ok(PullResponse { events_cursor: q.events_cursor, ..PullResponse::default() })
        }
        fn push_training(&mut self, r: &TrainingPush) -> Result<TrainingPushResponse, TransportError> {
            let first = &r.results[0];
            let results =
                vec![RecordResult { id: first.id.clone(), status: RecordStatus::Stored, code: None, message: None }];
            Ok(TrainingPushResponse { results, server: None })
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Mutex::new(configured(&dir.path().join("phone.db")));
    store.lock().unwrap().complete_training("did-success", 3, at(1)).unwrap();
    store.lock().unwrap().complete_training("did-success", 3, at(2)).unwrap();
    assert_eq!(push_training(&store, &mut Forgetful, 10).unwrap_err().code(), "incomplete_ack");
    assert_eq!(store.lock().unwrap().pending_training_count().unwrap(), 2);
}

#[test]
fn another_server_database_gets_the_results_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = Mutex::new(configured(&dir.path().join("phone.db")));
    store.lock().unwrap().complete_training("did-success", 3, at(1)).unwrap();
    let mut first = Server::default();
    push_training(&store, &mut first, 10).unwrap();
    assert_eq!(store.lock().unwrap().pending_training_count().unwrap(), 0);
    // A server restored from a backup has a new identity, which the phone learns at its next
    // contact (here the pull: nothing is pending); the sync after that sends everything again.
    struct Restored(Server);
    impl Transport for Restored {
        fn push(&mut self, r: &PushRequest) -> Result<PushResponse, TransportError> {
            self.0.push(r)
        }
        fn pull(&mut self, q: PullQuery) -> Result<PullResponse, TransportError> {
            let mut answer = self.0.pull(q)?;
            answer.server =
                Some(ServerInfo { server_id: "srv-2".into(), server_time_ms: at(0).utc_ms, device_report: None });
            Ok(answer)
        }
        fn push_training(&mut self, r: &TrainingPush) -> Result<TrainingPushResponse, TransportError> {
            let mut answer = self.0.push_training(r)?;
            answer.server =
                Some(ServerInfo { server_id: "srv-2".into(), server_time_ms: at(0).utc_ms, device_report: None });
            Ok(answer)
        }
    }
    let mut restored = Restored(Server::default());
    sync_once(&store, &mut restored, &[], |_, _| {}).unwrap();
    assert!(restored.0.training.is_empty());
    assert_eq!(store.lock().unwrap().pending_training_count().unwrap(), 1, "queued again");
    sync_once(&store, &mut restored, &[], |_, _| {}).unwrap();
    assert_eq!(restored.0.training.len(), 1, "sent again to the new database");
    assert_eq!(store.lock().unwrap().pending_training_count().unwrap(), 0);
}
