//! The operations of the central server — what the dashboard, the phones' API and the command
//! line do — with no HTTP in them. An operation takes the store, who acts ([`Actor`]) and plain
//! values; it answers plain values or an [`Error`] (kind, stable code, Russian message). Every
//! operation that changes something writes its own audit entry with a typed [`audit::Action`],
//! so two callers cannot word the same action differently.

pub mod admins;
pub mod app;
pub mod audit;
pub mod backup;
pub mod content;
pub mod devices;
pub mod events;
pub mod import;
pub mod input;
pub mod intake;
pub mod reference;
pub mod reports;
pub mod retention;
pub mod sync;
pub mod training;

mod error;
mod log_text;

pub use error::{Error, Kind};
pub use log_text::{cut_for_log, for_log, LOG_VALUE_MAX};

use crate::store::Role;

/// An operation's answer.
pub type Result<T> = std::result::Result<T, Error>;

/// Who acts: a dashboard user, or the command line as `cli:<system user>` (an administrator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub login: String,
    pub role: Role,
    /// Whether they may see individual records: administrators always, branch heads with an
    /// administrator's grant, observers never ([`crate::store::Admin::sees_records`]).
    pub records: bool,
}

impl Actor {
    /// Records access as the role gives it without a grant (an administrator's only).
    pub fn new(login: impl Into<String>, role: Role) -> Actor {
        let records = role == Role::Admin;
        Actor { login: login.into(), role, records }
    }

    /// A dashboard user, with their grant.
    pub fn of(admin: &crate::store::Admin) -> Actor {
        Actor { login: admin.login.clone(), role: admin.role.clone(), records: admin.sees_records() }
    }

    /// The command line of the server's machine: the central office's own, an administrator.
    pub fn cli() -> Actor {
        let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "?".into());
        Actor { login: format!("cli:{user}"), role: Role::Admin, records: true }
    }

    /// The branch a branch head is confined to, or the one an administrator chose.
    pub fn confine(&self, asked: &str) -> String {
        self.role.branch().map_or_else(|| asked.trim().to_string(), str::to_string)
    }

    /// Refused unless the actor may act on `branch_id`'s things (events, phones): an
    /// administrator, or the branch's head; never an observer.
    pub fn may_manage(&self, branch_id: &str) -> Result<()> {
        match &self.role {
            Role::Admin => Ok(()),
            Role::BranchHead(own) if own == branch_id => Ok(()),
            _ => Err(Error::forbidden()),
        }
    }

    /// Refused unless an administrator.
    pub fn must_be_admin(&self) -> Result<()> {
        match self.role {
            Role::Admin => Ok(()),
            Role::BranchHead(_) | Role::Observer => Err(Error::forbidden()),
        }
    }

    /// Refused unless an administrator or a branch head (the pages of events and phones);
    /// observers see totals only.
    pub fn must_manage_something(&self) -> Result<()> {
        match self.role {
            Role::Admin | Role::BranchHead(_) => Ok(()),
            Role::Observer => Err(Error::forbidden()),
        }
    }

    /// Refused unless the actor may see individual records ([`Actor::records`]).
    pub fn must_see_records(&self) -> Result<()> {
        if self.records {
            Ok(())
        } else {
            Err(Error::forbidden())
        }
    }
}
