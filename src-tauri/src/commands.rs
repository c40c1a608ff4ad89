//! The commands the UI invokes. Each one parses its arguments (serde), calls the core, and maps
//! errors; no domain logic lives here.

use lgota_core::content::trusted_keys;
use lgota_core::sync::SyncError;
use lgota_core::{AppState, CheckInput, ContentState, NewEvent, Now, Overview, RecordView, SearchHit, SetupInput};
use tauri::{AppHandle, Manager, Runtime, State};

use crate::app_store::AppStore;
use crate::sync::{SyncView, SyncWorker};

use crate::error::{CommandError, CommandResult};

#[tauri::command]
pub fn get_state(store: State<'_, AppStore>) -> CommandResult<AppState> {
    Ok(store.lock()?.state()?)
}

#[tauri::command]
pub fn setup(store: State<'_, AppStore>, input: SetupInput) -> CommandResult<AppState> {
    Ok(store.lock()?.setup(&input, Now::system())?)
}

#[tauri::command]
pub fn set_event(store: State<'_, AppStore>, event: Option<NewEvent>) -> CommandResult<AppState> {
    Ok(store.lock()?.set_event(event.as_ref(), Now::system())?)
}

#[tauri::command]
pub fn record_check(store: State<'_, AppStore>, input: CheckInput) -> CommandResult<RecordView> {
    Ok(store.lock()?.record_check(&input, Now::system())?)
}

#[tauri::command]
pub fn undo_record(store: State<'_, AppStore>, id: String) -> CommandResult<RecordView> {
    Ok(store.lock()?.undo(&id, Now::system())?)
}

#[tauri::command]
pub fn void_record(store: State<'_, AppStore>, id: String, reason: String) -> CommandResult<RecordView> {
    Ok(store.lock()?.void(&id, &reason, Now::system())?)
}

#[tauri::command]
pub fn overview(store: State<'_, AppStore>) -> CommandResult<Overview> {
    Ok(store.lock()?.overview(Now::system())?)
}

#[tauri::command]
pub fn set_training(store: State<'_, AppStore>, on: bool) -> CommandResult<AppState> {
    Ok(store.lock()?.set_training(on)?)
}

#[tauri::command(rename_all = "snake_case")]
pub fn complete_training(
    store: State<'_, AppStore>,
    scenario_id: String,
    correct_first_try: u32,
) -> CommandResult<RecordView> {
    Ok(store.lock()?.complete_training(&scenario_id, correct_first_try, Now::system())?)
}

#[tauri::command]
pub fn get_content(store: State<'_, AppStore>) -> CommandResult<ContentState> {
    Ok(store.lock()?.content_state()?)
}

#[tauri::command]
pub fn search_content(store: State<'_, AppStore>, query: String) -> CommandResult<Vec<SearchHit>> {
    Ok(store.lock()?.search_content(&query))
}

/// `pack` is the text of a signed pack file; only keys compiled into the app are trusted.
#[tauri::command]
pub fn install_content_pack(store: State<'_, AppStore>, pack: String) -> CommandResult<ContentState> {
    Ok(store.lock()?.install_content_pack(&pack, &trusted_keys(), Now::system())?)
}

/// How to reach the server: the QR payload (`lgota:enroll?…`), or the address and code typed in.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct EnrollInput {
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub server: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}

fn bad_enrollment(message: &str) -> CommandError {
    CommandError::new("invalid_enrollment", message)
}

/// Trades an enrollment code for a device token, then starts a sync.
#[tauri::command]
pub async fn enroll<R: Runtime>(app: AppHandle<R>, input: EnrollInput) -> CommandResult<AppState> {
    let (server, code, pins) = match (
        input.uri.as_deref().map(str::trim).filter(|u| !u.is_empty()),
        input.server,
        input.code,
    ) {
        (Some(uri), _, _) => {
            let parsed = lgota_protocol::parse_enroll_uri(uri).ok_or_else(|| match lgota_protocol::parse_event_uri(uri) {
                Ok(_) => CommandError::new(
                    "enrollment_is_event_code",
                    "Это QR-код мероприятия, а не подключения. Мероприятие выбирают в настройках, раздел «Мероприятие».",
                ),
                Err(_) => bad_enrollment("Это не QR-код подключения «Льготы» или он от другой версии."),
            })?;
            (parsed.server, parsed.code, parsed.pins)
        }
        (None, Some(server), Some(code)) if !server.trim().is_empty() && !code.trim().is_empty() => {
            (server.trim().to_owned(), code.trim().to_owned(), lgota_protocol::EnrollPins::default())
        }
        _ => return Err(bad_enrollment("Укажите адрес сервера и код подключения или отсканируйте QR-код.")),
    };
    // A release phone build speaks HTTPS only, as its network security config says (that config
    // binds the WebView, not Rust's own sockets). Debug phone builds and the desktop may reach a
    // test server on the LAN over http:// (docs/android.md).
    if cfg!(all(mobile, not(debug_assertions))) && !server.to_ascii_lowercase().starts_with("https://") {
        return Err(CommandError::new(
            "insecure_server",
            "Адрес сервера должен начинаться с https://: приложение не отправляет записи без шифрования.",
        ));
    }
    let task_app = app.clone();
    tauri::async_runtime::spawn_blocking(move || -> CommandResult<AppState> {
        let store = task_app.state::<AppStore>();
        // Enrolled, then the configuration pulled (a branch published after this app was built
        // arrives now); a failed pull leaves the enrollment standing and the worker pulls again.
        let (state, _pull_failed) =
            lgota_client::enroll_device_pinned(&store.0, &server, &code, &pins, &trusted_keys())
                .map_err(enroll_error)?;
        task_app.state::<SyncWorker>().trigger();
        Ok(state)
    })
    .await
    .map_err(CommandError::task_failed)?
}

/// A failed enrollment call, as sync reports it; an unreachable server also gets the advice that
/// fits enrolling (the address may be mistyped).
fn enroll_error(e: SyncError) -> CommandError {
    let mut error = CommandError::from(e);
    if error.code == "unreachable" {
        error.message.push_str(" Проверьте интернет и адрес сервера.");
    }
    error
}

#[tauri::command]
pub fn sync_status(store: State<'_, AppStore>, worker: State<'_, SyncWorker>) -> CommandResult<SyncView> {
    Ok(SyncView { status: store.lock()?.sync_status()?, progress: worker.progress() })
}

#[tauri::command]
pub fn sync_now(store: State<'_, AppStore>, worker: State<'_, SyncWorker>) -> CommandResult<SyncView> {
    worker.trigger();
    sync_status(store, worker)
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ExportResult {
    pub path: String,
    pub count: usize,
    /// What the system's share sheet made of the file (phones); the file stays at `path` anyway.
    pub shared: Shared,
}

/// The system's share sheet after the export file was written: phones offer the file to it, so
/// the librarian can send it (a messenger, e-mail, a transfer app…) straight away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(desktop, allow(dead_code, reason = "the share sheet is offered on phones only"))]
pub enum Shared {
    /// Not offered: the desktop (the file is where its save dialog said) or `LGOTA_EXPORT_DIR`.
    NotOffered,
    /// The share sheet reported the file sent (iOS does; on Android few apps report back).
    Sent,
    /// The share sheet closed without a report: cancelled, or sent by an app that tells nothing.
    Closed,
    /// The share sheet could not be opened.
    Failed,
}

/// Writes every unsent record to a file that can be carried to the central office by any means,
/// signed with the phone's key (docs/protocol.md, «Offline export»). On the desktop a save dialog
/// asks where (`None`: the librarian cancelled); on phones the file goes to the downloads folder
/// (else the app's data folder) and then to the system's share sheet ([`Shared`]). `LGOTA_EXPORT_DIR`,
/// when set, is the folder, without a dialog or a share sheet (unattended runs, the end-to-end tests).
#[tauri::command]
pub async fn export_pending<R: Runtime>(
    app: AppHandle<R>,
    store: State<'_, AppStore>,
) -> CommandResult<Option<ExportResult>> {
    let export = store.lock()?.export_pending()?;
    let name = export_file_name(&export.file.device_id, Now::system());
    let unattended = unattended_dir();
    let path = match &unattended {
        Some(dir) => dir.join(&name),
        None => match chosen_path(&app, &name).await? {
            Some(path) => path,
            None => return Ok(None),
        },
    };
    let write = |path: &std::path::Path| -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, export.to_json())
    };
    write(&path).map_err(|e| {
        tracing::warn!(error = %e, path = %path.display(), "export file not written");
        CommandError::new(
            "export_failed",
            "Файл с записями не записан. Проверьте, что на телефоне есть свободное место, и попробуйте снова.",
        )
    })?;
    #[cfg(mobile)]
    let shared = if unattended.is_some() { Shared::NotOffered } else { share_sheet(&app, &path).await };
    #[cfg(desktop)]
    let shared = Shared::NotOffered;
    Ok(Some(ExportResult { path: path.display().to_string(), count: export.records.len(), shared }))
}

/// `LGOTA_EXPORT_DIR`: the export file's folder for unattended runs (no dialog, no share sheet).
fn unattended_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("LGOTA_EXPORT_DIR").filter(|d| !d.is_empty()).map(std::path::PathBuf::from)
}

/// Where the export file `name` goes when nobody set `LGOTA_EXPORT_DIR` (see [`export_pending`]).
async fn chosen_path<R: Runtime>(app: &AppHandle<R>, name: &str) -> CommandResult<Option<std::path::PathBuf>> {
    #[cfg(desktop)]
    let path = save_dialog(app, name).await;
    #[cfg(mobile)]
    let path = downloads(app).map(|dir| Some(dir.join(name)));
    path
}

/// The desktop's save dialog, the file's name proposed; `None` if it was closed.
#[cfg(desktop)]
async fn save_dialog<R: Runtime>(app: &AppHandle<R>, name: &str) -> CommandResult<Option<std::path::PathBuf>> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, mut rx) = tauri::async_runtime::channel(1);
    app.dialog()
        .file()
        .set_title("Сохранить записи в файл")
        .set_file_name(name)
        .add_filter("Файл записей «Льготы»", &["json"])
        .save_file(move |chosen| {
            let _ = tx.try_send(chosen);
        });
    match rx.recv().await.flatten().map(|p| p.into_path()) {
        None => Ok(None),
        Some(Ok(path)) => Ok(Some(path)),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "the save dialog gave no file path");
            Err(CommandError::new("export_failed", "Выбранное место нельзя использовать: выберите папку на диске."))
        }
    }
}

/// The phone's downloads folder, else the app's data folder.
#[cfg(mobile)]
fn downloads<R: Runtime>(app: &AppHandle<R>) -> CommandResult<std::path::PathBuf> {
    app.path().download_dir().or_else(|_| app.path().app_data_dir()).map_err(|e| {
        tracing::warn!(error = %e, "no folder for the export file");
        CommandError::new("export_failed", "Не найдена папка для файла с записями.")
    })
}

/// Offers the written export file to the system's share sheet and waits until it closes (the
/// plugin answers then; the wait runs off the async runtime). Whatever happens, the file stays
/// where it was written and the UI names that place.
#[cfg(mobile)]
async fn share_sheet<R: Runtime>(app: &AppHandle<R>, path: &std::path::Path) -> Shared {
    use tauri::plugin::mobile::PluginInvokeError;
    use tauri_plugin_sharekit::{Error, ShareExt, ShareFileOptions};
    let Some(window) = app.get_webview_window("main") else {
        tracing::warn!("no window to open the share sheet over");
        return Shared::Failed;
    };
    let Ok(url) = tauri::Url::from_file_path(path) else {
        tracing::warn!(path = %path.display(), "the export file's path is not absolute");
        return Shared::Failed;
    };
    let options = ShareFileOptions {
        mime_type: Some("application/json".into()),
        title: Some("Записи «Льготы»".into()),
        ..Default::default()
    };
    let app = app.clone();
    let answer = tauri::async_runtime::spawn_blocking(move || app.share().share_file(window, url.to_string(), options));
    match answer.await {
        Ok(Ok(())) => Shared::Sent,
        // The plugin's rejection when the sheet closes with RESULT_CANCELED (Android) or
        // without completion (iOS): the librarian closed it, or the chosen app said nothing.
        Ok(Err(Error::PluginInvoke(PluginInvokeError::InvokeRejected(r))))
            if r.message.as_deref() == Some("Share cancelled") =>
        {
            Shared::Closed
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "the share sheet did not open");
            Shared::Failed
        }
        Err(e) => {
            tracing::warn!(error = %e, "the share sheet's wait failed");
            Shared::Failed
        }
    }
}

/// The librarian has read that the log was started afresh (the old file stays on the phone).
#[tauri::command]
pub fn acknowledge_fresh_start(store: State<'_, AppStore>) -> CommandResult<AppState> {
    Ok(store.lock()?.acknowledge_fresh_start()?)
}

/// `lgota-zapisi-<last 6 of the device id>-<local YYYYMMDD-HHMMSS>.json`.
pub(crate) fn export_file_name(device_id: &str, now: Now) -> String {
    let short_id = device_id.get(device_id.len().saturating_sub(6)..).unwrap_or(device_id);
    format!("lgota-zapisi-{short_id}-{}.json", now.local_stamp())
}

#[tauri::command]
pub fn list_events(store: State<'_, AppStore>) -> CommandResult<Vec<lgota_core::EventInfo>> {
    Ok(store.lock()?.upcoming_events(Now::system())?)
}

#[tauri::command]
pub fn choose_event(store: State<'_, AppStore>, id: String) -> CommandResult<AppState> {
    Ok(store.lock()?.choose_event(&id, Now::system())?)
}

/// The text of an event QR code (the poster at the door, scanned or pasted): selects that event.
#[tauri::command]
pub fn choose_event_by_code(store: State<'_, AppStore>, text: String) -> CommandResult<AppState> {
    let id = lgota_protocol::parse_event_uri(&text).map_err(|e| CommandError::new(e.code(), e.message()))?;
    Ok(store.lock()?.choose_event(&id, Now::system())?)
}
