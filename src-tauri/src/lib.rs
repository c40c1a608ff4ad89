//! The Tauri shell of «Льгота»: opens the record log in the app data folder and exposes the
//! core through commands. Logic lives in `lgota-core`.

mod app_store;
mod commands;
mod error;
mod lock;
mod sync;

use std::sync::Mutex;

use lgota_core::Store;
use tauri::{Manager, Runtime};

pub use app_store::AppStore;
pub use error::CommandError;
pub use lock::AppLock;

/// The database file inside the app's data folder.
pub const DB_FILE: &str = "lgota.db";

/// Registers the commands behind the app lock's gate; shared by the real app and the command tests.
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(lock::guarded(tauri::generate_handler![
        commands::get_state,
        commands::setup,
        commands::set_event,
        commands::record_check,
        commands::undo_record,
        commands::void_record,
        commands::overview,
        commands::set_training,
        commands::complete_training,
        commands::get_content,
        commands::search_content,
        commands::install_content_pack,
        commands::enroll,
        commands::sync_status,
        commands::sync_now,
        commands::export_pending,
        commands::acknowledge_fresh_start,
        commands::list_events,
        commands::choose_event,
        commands::choose_event_by_code,
        lock::lock_status,
        lock::unlock,
        lock::unlock_biometric,
        lock::lock_now,
        lock::lock_activity,
        lock::set_pin,
        lock::remove_pin,
        lock::set_lock_options,
    ]))
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    // Technical detail (reqwest's and the OS's errors) goes to the log; users see Russian messages.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    // Biometric unlock: the lock commands call it from the backend; the WebView gets no permission for it.
    let builder = with_commands(tauri::Builder::default()).plugin(tauri_plugin_biometric::init());
    #[cfg(mobile)]
    let builder = builder.plugin(tauri_plugin_barcode_scanner::init());
    // Phones: the system's share sheet for the written export file, used from Rust only (the
    // WebView gets no permission for it: it could otherwise hand any file of the app to another).
    #[cfg(mobile)]
    let builder = builder.plugin(tauri_plugin_sharekit::init());
    // The desktop's save dialog for the export file, used from Rust only.
    #[cfg(desktop)]
    let builder = builder.plugin(tauri_plugin_dialog::init());
    // Phones: lock as soon as the app goes to the background (the WebView's own signal may come late).
    #[cfg(mobile)]
    let builder = builder.on_window_event(|window, event| {
        if matches!(event, tauri::WindowEvent::Suspended) {
            lock::on_background(window);
        }
    });
    builder
        .setup(|app| {
            let dir = app.path().app_data_dir()?;
            std::fs::create_dir_all(&dir)?;
            // A log whose update fails (or a damaged file) is moved aside and a fresh one started:
            // recording never stops for it; the app says so (AppState::fresh_start).
            let mut store = Store::open_or_start_afresh(dir.join(DB_FILE), lgota_core::Now::system())
                .map_err(|e| format!("Не удалось открыть базу записей в {}: {e}", dir.display()))?;
            if let Some(fresh) = store.state().ok().and_then(|s| s.fresh_start) {
                tracing::warn!(
                    aside = fresh.aside,
                    code = fresh.code,
                    detail = fresh.detail,
                    "record log started afresh"
                );
            }
            // The version the package says (tauri.conf.json), shown in the settings and reported.
            store.set_app_version(&app.package_info().version.to_string());
            let lock_settings =
                store.lock_settings().map_err(|e| format!("Не удалось прочитать настройки блокировки: {e}"))?;
            app.manage(AppStore(Mutex::new(store)));
            app.manage(AppLock::new(lock_settings));
            app.manage(sync::SyncWorker::start(app.handle().clone()));
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("error while running the Льгота application");
}

#[cfg(test)]
mod bindings;
#[cfg(test)]
mod tests;
