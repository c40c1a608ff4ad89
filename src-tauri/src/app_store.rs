//! The open record log as Tauri state: what the commands and the sync worker share.

use std::sync::{Mutex, MutexGuard};

use lgota_core::Store;

use crate::error::{CommandError, CommandResult};

/// The open record log, shared by all commands.
pub struct AppStore(pub Mutex<Store>);

impl AppStore {
    pub(crate) fn lock(&self) -> CommandResult<MutexGuard<'_, Store>> {
        self.0.lock().map_err(|_| CommandError::internal("Внутренняя ошибка приложения. Перезапустите его."))
    }
}
