//! The audit log: who did what, when. Every action has one [`Action`]; the operation that does
//! it writes the entry, with its detail worded once, here or beside the operation.

use super::{Actor, Result};
use crate::now_ms;
use crate::store::{AuditEntry, Database};

/// Everything the audit log records. The names are stable: reports and tests match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    SignInFailed,
    SignOut,
    ExportCsv,
    ExportXlsx,
    ExportSummary,
    BranchAdd,
    BranchRename,
    CategoryAdd,
    CategoryEdit,
    DocumentTypeAdd,
    DocumentTypeRename,
    FailureReasonAdd,
    FailureReasonRename,
    /// A configuration document published whole (the command line).
    ConfigPublish,
    ContentUpload,
    ContentPublish,
    EventAdd,
    DeviceCode,
    DeviceRevoke,
    Import,
    AdminPut,
    /// A checked copy of the database (the command line or the server's schedule).
    Backup,
    /// A copy put in place of the database (the command line, the server stopped).
    Restore,
    AdminDisable,
    AdminEnable,
    AdminRemove,
    /// A branch head may see the records of their branch.
    AdminGrantRecords,
    /// A branch head sees totals only again.
    AdminRevokeRecords,
    /// A note or staff label removed from one record (an act of destruction).
    RecordRedact,
    /// A year's records written to a checked archive file.
    RecordsArchive,
    /// An archived year's records removed past their retention.
    RecordsPurge,
    /// The periodic retention pass: sign-in addresses blanked, old audit entries removed.
    Retention,
    /// A release of the phones' app uploaded for download.
    AppUpload,
    /// A SQLite installation copied into PostgreSQL (`lgota-central migrate`), noted in the copy.
    Migrate,
}

impl Action {
    pub const ALL: [Action; 35] = [
        Action::SignIn,
        Action::SignInFailed,
        Action::SignOut,
        Action::ExportCsv,
        Action::ExportXlsx,
        Action::ExportSummary,
        Action::BranchAdd,
        Action::BranchRename,
        Action::CategoryAdd,
        Action::CategoryEdit,
        Action::DocumentTypeAdd,
        Action::DocumentTypeRename,
        Action::FailureReasonAdd,
        Action::FailureReasonRename,
        Action::ConfigPublish,
        Action::ContentUpload,
        Action::ContentPublish,
        Action::EventAdd,
        Action::DeviceCode,
        Action::DeviceRevoke,
        Action::Import,
        Action::AdminPut,
        Action::Backup,
        Action::Restore,
        Action::AdminDisable,
        Action::AdminEnable,
        Action::AdminRemove,
        Action::AdminGrantRecords,
        Action::AdminRevokeRecords,
        Action::RecordRedact,
        Action::RecordsArchive,
        Action::RecordsPurge,
        Action::Retention,
        Action::AppUpload,
        Action::Migrate,
    ];

    /// The name stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "signin",
            Action::SignInFailed => "signin.failed",
            Action::SignOut => "signout",
            Action::ExportCsv => "export.csv",
            Action::ExportXlsx => "export.xlsx",
            Action::ExportSummary => "export.summary",
            Action::BranchAdd => "branch.add",
            Action::BranchRename => "branch.rename",
            Action::CategoryAdd => "category.add",
            Action::CategoryEdit => "category.edit",
            Action::DocumentTypeAdd => "document_type.add",
            Action::DocumentTypeRename => "document_type.rename",
            Action::FailureReasonAdd => "failure_reason.add",
            Action::FailureReasonRename => "failure_reason.rename",
            Action::ConfigPublish => "reference.publish",
            Action::ContentUpload => "content.upload",
            Action::ContentPublish => "content.publish",
            Action::EventAdd => "event.add",
            Action::DeviceCode => "device.code",
            Action::DeviceRevoke => "device.revoke",
            Action::Import => "import",
            Action::AdminPut => "admin.put",
            Action::Backup => "backup",
            Action::Restore => "restore",
            Action::AdminDisable => "admin.disable",
            Action::AdminEnable => "admin.enable",
            Action::AdminRemove => "admin.remove",
            Action::AdminGrantRecords => "admin.records_grant",
            Action::AdminRevokeRecords => "admin.records_revoke",
            Action::RecordRedact => "record.redact",
            Action::RecordsArchive => "records.archive",
            Action::RecordsPurge => "records.purge",
            Action::Retention => "retention",
            Action::AppUpload => "app.upload",
            Action::Migrate => "migrate",
        }
    }
}

/// Who a failed sign-in with a login that is no user's is audited as: what was typed (perhaps a
/// password in the wrong field) is not kept.
pub const UNKNOWN_LOGIN: &str = "неизвестный логин";

/// Writes one entry: `actor` did `action`; `detail` says to what, in Russian.
pub fn note(db: &dyn Database, actor: &Actor, action: Action, detail: &str) -> Result<()> {
    note_as(db, &actor.login, action, detail)
}

/// [`note`] for someone who is not signed in (a failed sign-in names a known login tried, never
/// an unknown one: [`UNKNOWN_LOGIN`]).
pub fn note_as(db: &dyn Database, login: &str, action: Action, detail: &str) -> Result<()> {
    Ok(db.audit(now_ms(), login, action.as_str(), detail)?)
}

/// The newest entries first, older than `before_id` if given.
pub fn log(db: &dyn Database, before_id: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>> {
    Ok(db.audit_log(before_id, limit)?)
}

#[cfg(test)]
mod tests {
    use super::Action;

    #[test]
    fn action_names_are_distinct_and_dotted_lowercase() {
        let names: std::collections::HashSet<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), Action::ALL.len());
        assert!(names.iter().all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')));
    }
}
