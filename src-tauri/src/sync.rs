//! The background sync worker: syncs by itself when the app starts, every few minutes, and on
//! «Синхронизировать сейчас»; after a failure it waits with exponential backoff and jitter.
//! Network calls never hold the store's lock, so recording is never blocked by sync.

use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lgota_client::Client;
use lgota_core::content::trusted_keys;
use lgota_core::sync::{enrollment, retry_delay, sync_once, SyncError};
use lgota_core::{Now, SyncStatus};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};

use crate::app_store::AppStore;

/// Between successful syncs.
const INTERVAL: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Progress {
    pub running: bool,
    /// Records acknowledged so far in the running sync.
    pub sent: u64,
    /// Records still pending at the last step.
    pub remaining: u64,
}

/// What the sync panel shows: the stored status plus the running sync's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SyncView {
    #[serde(flatten)]
    pub status: SyncStatus,
    pub progress: Progress,
}

pub struct SyncWorker {
    trigger: Mutex<Sender<()>>,
    progress: Arc<Mutex<Progress>>,
}

impl SyncWorker {
    /// Starts the worker thread; it syncs once right away.
    pub fn start<R: Runtime>(app: AppHandle<R>) -> SyncWorker {
        let (tx, rx) = channel::<()>();
        let progress = Arc::new(Mutex::new(Progress::default()));
        let shared = progress.clone();
        std::thread::Builder::new()
            .name("lgota-sync".into())
            .spawn(move || {
                let mut failures = 0u32;
                let mut wait = Duration::ZERO;
                loop {
                    match rx.recv_timeout(wait) {
                        Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                    wait = match run(&app, &shared) {
                        None => INTERVAL, // not enrolled: nothing to do until someone enrolls
                        Some(Ok(())) => {
                            failures = 0;
                            INTERVAL
                        }
                        Some(Err(e)) => {
                            // Backoff with jitter, never sooner than a busy server's Retry-After.
                            failures = failures.saturating_add(1);
                            retry_delay(failures, &e)
                        }
                    };
                }
            })
            .expect("start the sync thread");
        SyncWorker { trigger: Mutex::new(tx), progress }
    }

    /// Asks for a sync now (the worker runs it at once, or right after the running one).
    pub fn trigger(&self) {
        if let Ok(tx) = self.trigger.lock() {
            let _ = tx.send(());
        }
    }

    pub fn progress(&self) -> Progress {
        self.progress.lock().map(|p| *p).unwrap_or_default()
    }
}

/// One sync. `None` when the device is not enrolled; otherwise how it ended. A store that cannot
/// be read is a failure (retried with backoff), not "not enrolled".
fn run<R: Runtime>(app: &AppHandle<R>, progress: &Mutex<Progress>) -> Option<Result<(), SyncError>> {
    let store = app.state::<AppStore>();
    let enrollment = match enrollment(&store.0) {
        Ok(enrollment) => enrollment,
        Err(SyncError::NotEnrolled) => return None,
        Err(e) => {
            note_failure(&store, &e);
            return Some(Err(e));
        }
    };
    let set = |p: Progress| {
        if let Ok(mut slot) = progress.lock() {
            *slot = p;
        }
    };
    let remaining = store.0.lock().ok().and_then(|s| s.pending_count().ok()).unwrap_or(0);
    set(Progress { running: true, sent: 0, remaining });
    let result = match Client::for_enrollment(&enrollment) {
        Ok(mut client) => sync_once(&store.0, &mut client, &trusted_keys(), |sent, remaining| {
            set(Progress { running: true, sent, remaining })
        }),
        Err(e) => {
            // A bad server address never reaches sync_once: note it for the panel here.
            let e = SyncError::from(e);
            note_failure(&store, &e);
            Err(e)
        }
    };
    set(Progress::default());
    // A configuration that came with the sync may carry a new lock policy (a shorter idle time).
    if let Ok(settings) = store.0.lock().map_err(|_| ()).and_then(|s| s.lock_settings().map_err(|_| ())) {
        app.state::<crate::lock::AppLock>().refresh(settings);
    }
    Some(result.map(|_| ()))
}

/// Tells the sync panel about a failure that happened outside `sync_once`.
fn note_failure(store: &AppStore, e: &SyncError) {
    tracing::warn!(code = e.code(), error = %e, "sync failed");
    let now = Now::system();
    let noted = store
        .0
        .lock()
        .map_err(|_| "store lock poisoned".to_owned())
        .and_then(|mut s| s.note_sync(Some(&e.problem(now)), now).map_err(|e| e.to_string()));
    if let Err(why) = noted {
        tracing::warn!(%why, "sync problem not noted");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_waits_at_least_what_a_busy_server_asked() {
        let busy = SyncError::from(lgota_core::sync::TransportError::Busy { retry_after_s: 60 });
        assert!(retry_delay(1, &busy) >= Duration::from_secs(60));
    }
}
