//! The app lock's live half: whether the app is locked right now (memory only; locked at start
//! whenever a PIN is set), the gate every command passes, and the lock commands. The PIN, the
//! options and the back-off live in the core (`lgota_core::lock`).
//!
//! The gate sits in front of the invoke handler, so it holds for commands added later too: a
//! command works while locked only if it is listed in [`policy`] as open (or as recording, when
//! the librarian chose «Запись без разблокировки»).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lgota_core::{LockSettings, Now};
use serde::Serialize;
use tauri::ipc::Invoke;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_biometric::{AuthOptions, Biometric};

use crate::app_store::AppStore;
use crate::error::{CommandError, CommandResult};

/// The UI locks on its own idle timer; the backend locks as a backstop this much later (the UI
/// reports activity at most every few seconds).
pub const IDLE_GRACE: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Reveals nothing about checks: allowed while locked.
    Open,
    /// Recording (and undoing the check just recorded): allowed while locked only with
    /// «Запись без разблокировки».
    Recording,
    /// Everything else, including every command not named here.
    Guarded,
}

pub fn policy(command: &str) -> Policy {
    match command {
        "get_state" | "get_content" | "search_content" | "lock_status" | "unlock" | "unlock_biometric" | "lock_now"
        | "lock_activity" => Policy::Open,
        "record_check" | "undo_record" => Policy::Recording,
        _ => Policy::Guarded,
    }
}

pub fn locked_error() -> CommandError {
    CommandError::new("locked", "Приложение заблокировано. Введите PIN, чтобы продолжить.")
}

/// Locked or not, and what decides it. Times are monotonic (`Instant`), passed in for tests.
#[derive(Debug)]
pub struct Gate {
    locked: bool,
    settings: LockSettings,
    last_activity: Instant,
}

impl Gate {
    pub fn new(settings: LockSettings, now: Instant) -> Gate {
        Gate { locked: settings.pin_set, settings, last_activity: now }
    }

    pub fn is_locked(&mut self, now: Instant) -> bool {
        let idle = Duration::from_secs(u64::from(self.settings.idle_seconds)) + IDLE_GRACE;
        if self.settings.pin_set && !self.locked && now.saturating_duration_since(self.last_activity) > idle {
            self.locked = true;
        }
        self.locked
    }

    /// Whether `command` may run now.
    pub fn admit(&mut self, command: &str, now: Instant) -> CommandResult<()> {
        if !self.is_locked(now) {
            return Ok(());
        }
        match policy(command) {
            Policy::Open => Ok(()),
            Policy::Recording if self.settings.record_while_locked => Ok(()),
            _ => Err(locked_error()),
        }
    }

    /// The librarian did something: the idle time starts again (not while locked).
    pub fn touch(&mut self, now: Instant) {
        if !self.is_locked(now) {
            self.last_activity = now;
        }
    }

    pub fn lock(&mut self) {
        self.locked = self.settings.pin_set;
    }

    pub fn unlock(&mut self, now: Instant) {
        self.locked = false;
        self.last_activity = now;
    }

    /// New settings (a PIN set or removed, other options): whoever changed them is unlocked.
    pub fn apply(&mut self, settings: LockSettings, now: Instant) {
        self.settings = settings;
        self.unlock(now);
    }

    /// Settings changed from elsewhere (a configuration with a shorter maximum idle time arrived
    /// by sync): taken in, locked or not as before.
    pub fn refresh(&mut self, settings: LockSettings) {
        self.settings = settings;
    }
}

pub struct AppLock {
    gate: Mutex<Gate>,
    /// What the biometric plugin said at the last `lock_status` (asking it is a call into the OS).
    biometric: AtomicBool,
}

impl AppLock {
    pub fn new(settings: LockSettings) -> AppLock {
        AppLock { gate: Mutex::new(Gate::new(settings, Instant::now())), biometric: AtomicBool::new(false) }
    }

    /// Takes in lock settings changed by something else than a lock command (the office's policy
    /// through sync), without locking or unlocking.
    pub fn refresh(&self, settings: LockSettings) {
        if let Ok(mut gate) = self.gate() {
            gate.refresh(settings);
        }
    }

    /// Locks now (no-op without a PIN); for the shell's own events, e.g. the app going to the background.
    pub fn lock_now(&self) {
        if let Ok(mut gate) = self.gate() {
            gate.lock();
        }
    }

    fn gate(&self) -> CommandResult<MutexGuard<'_, Gate>> {
        self.gate.lock().map_err(|_| CommandError::internal("Внутренняя ошибка приложения. Перезапустите его."))
    }
}

/// Wraps the generated invoke handler: a command the gate refuses never reaches its function.
pub fn guarded<R: Runtime>(
    handler: impl Fn(Invoke<R>) -> bool + Send + Sync + 'static,
) -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    move |invoke: Invoke<R>| {
        let verdict = match invoke.message.webview().try_state::<AppLock>() {
            Some(lock) => lock.gate().and_then(|mut g| g.admit(invoke.message.command(), Instant::now())),
            None => Err(CommandError::internal("Блокировка приложения не готова. Перезапустите приложение.")),
        };
        match verdict {
            Ok(()) => handler(invoke),
            Err(e) => {
                invoke.resolver.reject(e);
                true
            }
        }
    }
}

/// The app went to the background (Android `onPause`, iOS resign-active): lock in the backend
/// at once, whether or not the WebView's `visibilitychange` still runs.
#[cfg_attr(not(mobile), allow(dead_code))]
pub fn on_background<R: Runtime>(window: &tauri::Window<R>) {
    if let Some(lock) = window.try_state::<AppLock>() {
        lock.lock_now();
    }
}

/// What the UI needs to draw the lock screen and the «Блокировка» settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LockStatus {
    pub pin_set: bool,
    pub locked: bool,
    pub idle_seconds: u32,
    pub record_while_locked: bool,
    /// Milliseconds until the next PIN attempt is allowed (0: now).
    pub wait_ms: i64,
    /// The phone can unlock with a fingerprint or face (a PIN is set and the OS reports biometrics).
    pub biometric: bool,
    /// The central office requires a PIN: nothing is recorded without one, it cannot be removed.
    pub pin_required: bool,
    /// The longest idle time the office allows (seconds), if it set one.
    pub max_idle_seconds: Option<u32>,
}

fn status(store: &AppStore, lock: &AppLock) -> CommandResult<LockStatus> {
    let (settings, wait_ms) = {
        let store = store.lock()?;
        (store.lock_settings()?, store.pin_wait_ms(Now::system())?)
    };
    let locked = {
        let mut gate = lock.gate()?;
        // The office's policy may have changed by sync since: the idle backstop follows it.
        gate.refresh(settings);
        gate.is_locked(Instant::now())
    };
    Ok(LockStatus {
        pin_set: settings.pin_set,
        locked,
        idle_seconds: settings.idle_seconds,
        record_while_locked: settings.record_while_locked,
        wait_ms,
        biometric: settings.pin_set && lock.biometric.load(Ordering::Relaxed),
        pin_required: settings.pin_required,
        max_idle_seconds: settings.max_idle_seconds,
    })
}

/// Whether the OS can authenticate with biometrics now (never on Linux or Windows).
fn biometric_available<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.try_state::<Biometric<R>>().is_some_and(|b| b.status().is_ok_and(|s| s.is_available))
}

/// The lock state, and whether biometrics can unlock (asked of the OS off the main thread).
#[tauri::command]
pub async fn lock_status<R: Runtime>(app: AppHandle<R>) -> CommandResult<LockStatus> {
    let task = app.clone();
    let available = tauri::async_runtime::spawn_blocking(move || biometric_available(&task)).await.unwrap_or(false);
    let lock = app.state::<AppLock>();
    lock.biometric.store(available, Ordering::Relaxed);
    status(&app.state::<AppStore>(), &lock)
}

/// Unlocks with the phone's fingerprint or face: the OS prompt runs and answers here, in the
/// backend; the WebView has no access to the biometric plugin.
#[tauri::command]
pub async fn unlock_biometric<R: Runtime>(app: AppHandle<R>) -> CommandResult<LockStatus> {
    if !app.state::<AppStore>().lock()?.lock_settings()?.pin_set {
        return Err(lgota_core::Error::NoPin.into());
    }
    let task = app.clone();
    tauri::async_runtime::spawn_blocking(move || -> CommandResult<()> {
        if !biometric_available(&task) {
            return Err(CommandError::new(
                "biometric_unavailable",
                "Вход по отпечатку недоступен на этом устройстве. Введите PIN.",
            ));
        }
        let options = AuthOptions {
            allow_device_credential: false,
            title: Some("Льгота".into()),
            subtitle: Some("Разблокировать записи".into()),
            cancel_title: Some("Ввести PIN".into()),
            ..Default::default()
        };
        let biometric = task.state::<Biometric<R>>();
        biometric
            .authenticate("Разблокировать «Льготу»".into(), options)
            .map_err(|_| CommandError::new("biometric_failed", "Биометрия не подтверждена. Введите PIN."))
    })
    .await
    .map_err(CommandError::task_failed)??;
    let lock = app.state::<AppLock>();
    lock.gate()?.unlock(Instant::now());
    status(&app.state::<AppStore>(), &lock)
}

/// Unlocks with the PIN. Wrong PINs are counted and earn a pause (kept across restarts).
#[tauri::command]
pub fn unlock(store: State<'_, AppStore>, lock: State<'_, AppLock>, pin: String) -> CommandResult<LockStatus> {
    {
        let mut store = store.lock()?;
        if store.lock_settings()?.pin_set {
            store.check_pin(&pin, Now::system())?;
        }
    }
    lock.gate()?.unlock(Instant::now());
    status(&store, &lock)
}

/// Locks at once (the app went to the background, the idle time ran out, or the librarian asked).
#[tauri::command]
pub fn lock_now(store: State<'_, AppStore>, lock: State<'_, AppLock>) -> CommandResult<LockStatus> {
    lock.gate()?.lock();
    status(&store, &lock)
}

/// The librarian touched the screen: the idle time starts again.
#[tauri::command]
pub fn lock_activity(store: State<'_, AppStore>, lock: State<'_, AppLock>) -> CommandResult<LockStatus> {
    lock.gate()?.touch(Instant::now());
    status(&store, &lock)
}

/// Sets or changes the PIN; changing needs the current one.
#[tauri::command]
pub fn set_pin(
    store: State<'_, AppStore>,
    lock: State<'_, AppLock>,
    current: Option<String>,
    pin: String,
) -> CommandResult<LockStatus> {
    let settings = store.lock()?.set_pin(current.as_deref(), &pin, Now::system())?;
    lock.gate()?.apply(settings, Instant::now());
    status(&store, &lock)
}

#[tauri::command]
pub fn remove_pin(store: State<'_, AppStore>, lock: State<'_, AppLock>, current: String) -> CommandResult<LockStatus> {
    let settings = store.lock()?.remove_pin(&current, Now::system())?;
    lock.gate()?.apply(settings, Instant::now());
    status(&store, &lock)
}

#[tauri::command(rename_all = "snake_case")]
pub fn set_lock_options(
    store: State<'_, AppStore>,
    lock: State<'_, AppLock>,
    idle_seconds: u32,
    record_while_locked: bool,
) -> CommandResult<LockStatus> {
    let settings = store.lock()?.set_lock_options(idle_seconds, record_while_locked)?;
    lock.gate()?.apply(settings, Instant::now());
    status(&store, &lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pin_set: bool, record_while_locked: bool) -> LockSettings {
        LockSettings { pin_set, idle_seconds: 60, record_while_locked, pin_required: false, max_idle_seconds: None }
    }

    #[test]
    fn locked_at_start_only_with_a_pin() {
        let t0 = Instant::now();
        assert!(!Gate::new(settings(false, false), t0).is_locked(t0));
        assert!(Gate::new(settings(true, false), t0).is_locked(t0));
    }

    #[test]
    fn unknown_commands_are_guarded() {
        assert_eq!(policy("some_future_command"), Policy::Guarded);
        assert_eq!(policy("overview"), Policy::Guarded);
        assert_eq!(policy("void_record"), Policy::Guarded);
        assert_eq!(policy("record_check"), Policy::Recording);
        assert_eq!(policy("unlock"), Policy::Open);
    }

    #[test]
    fn recording_while_locked_only_when_chosen() {
        let t0 = Instant::now();
        let mut g = Gate::new(settings(true, false), t0);
        assert_eq!(g.admit("record_check", t0).unwrap_err().code, "locked");
        assert_eq!(g.admit("overview", t0).unwrap_err().code, "locked");
        g.admit("get_state", t0).unwrap();
        let mut g = Gate::new(settings(true, true), t0);
        g.admit("record_check", t0).unwrap();
        g.admit("undo_record", t0).unwrap();
        assert_eq!(g.admit("void_record", t0).unwrap_err().code, "locked");
    }

    #[test]
    fn idle_time_locks_and_activity_postpones_it() {
        let t0 = Instant::now();
        let idle = Duration::from_secs(60) + IDLE_GRACE;
        let mut g = Gate::new(settings(true, false), t0);
        g.unlock(t0);
        g.touch(t0 + Duration::from_secs(50));
        assert!(!g.is_locked(t0 + Duration::from_secs(50) + idle));
        assert!(g.is_locked(t0 + Duration::from_secs(51) + idle));

        // A touch during the idle time keeps the gate unlocked: the deadline moves with it.
        let mut g = Gate::new(settings(true, false), t0);
        g.unlock(t0);
        let nearly = t0 + idle - Duration::from_secs(1);
        g.touch(nearly);
        assert!(!g.is_locked(t0 + idle + Duration::from_secs(1)), "past the first deadline, still open");
        assert!(!g.is_locked(nearly + idle));
        assert!(g.is_locked(nearly + idle + Duration::from_secs(1)));

        // Without a PIN nothing ever locks.
        let mut g = Gate::new(settings(false, false), t0);
        g.lock();
        assert!(!g.is_locked(t0 + Duration::from_secs(3600)));
    }
}
