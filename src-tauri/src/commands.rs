//! The commands the UI invokes. Each one parses its arguments (serde), calls the core, and maps
//! errors; no domain logic lives here.

use std::sync::{Mutex, MutexGuard};

use lgota_core::content::trusted_keys;
use lgota_core::{
    AppState, CheckInput, ContentState, NewEvent, Now, Overview, RecordView, SearchHit, SetupInput, Store,
};
use tauri::State;

use crate::error::{CommandError, CommandResult};

/// The open record log, shared by all commands.
pub struct AppStore(pub Mutex<Store>);

impl AppStore {
    fn lock(&self) -> CommandResult<MutexGuard<'_, Store>> {
        self.0.lock().map_err(|_| CommandError::internal("Внутренняя ошибка приложения. Перезапустите его."))
    }
}

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
pub fn complete_training(store: State<'_, AppStore>, scenario_id: String) -> CommandResult<RecordView> {
    Ok(store.lock()?.complete_training(&scenario_id, Now::system())?)
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
