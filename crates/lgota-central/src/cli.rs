//! The command line of `lgota-central`: its arguments (clap) and what each command does, through
//! the same operations (`crate::service`) as the dashboard, as `cli:<system user>`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::http::{AppState, Dashboard};
use crate::service::admins::Change;
use crate::service::{self, Actor};
use crate::settings::{self, Overrides, Settings};
use crate::store::{Database, SqliteDatabase};

#[derive(Parser)]
#[command(name = "lgota-central", version, about = "Центральный сервер записей «Льгота»")]
pub struct Cli {
    /// SQLite database file [default: lgota-central.db]
    #[arg(long, env = "LGOTA_CENTRAL_DB", global = true)]
    db: Option<PathBuf>,
    /// TOML settings file [default: lgota-central.toml, if present]
    #[arg(long, env = "LGOTA_CENTRAL_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Base URL phones use to reach the server (goes into the enrollment QR) [default: http://<listen>]
    #[arg(long, env = "LGOTA_CENTRAL_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// Mark the dashboard session cookie Secure (HTTPS only); false is allowed only on 127.0.0.1 [default: true]
    #[arg(long, env = "LGOTA_CENTRAL_COOKIE_SECURE", global = true)]
    cookie_secure: Option<bool>,
    /// JSON file of extra content-signing public keys the dashboard accepts packs from
    #[arg(long, env = "LGOTA_CENTRAL_TRUSTED_KEYS", global = true)]
    trusted_keys: Option<PathBuf>,
    /// The institution's time zone, an IANA name [default: Europe/Moscow]
    #[arg(long, env = "LGOTA_CENTRAL_TIMEZONE", global = true)]
    timezone: Option<String>,
    /// Directory of the server's scheduled backups (none without it)
    #[arg(long, env = "LGOTA_CENTRAL_BACKUP_DIR", global = true)]
    backup_dir: Option<PathBuf>,
    /// How often the server backs up: hours (24), or 24h, 30m, 10s [default: 24]
    #[arg(long, env = "LGOTA_CENTRAL_BACKUP_EVERY", global = true)]
    backup_every: Option<String>,
    /// How many scheduled backups to keep [default: 7]
    #[arg(long, env = "LGOTA_CENTRAL_BACKUP_KEEP", global = true)]
    backup_keep: Option<u32>,
    /// Address of a reverse proxy whose X-Forwarded-For / X-Forwarded-Proto are believed (repeat
    /// for several; the environment variable takes them comma-separated)
    #[arg(long = "trusted-proxy", env = "LGOTA_CENTRAL_TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    trusted_proxy: Vec<String>,
    /// The oldest app version the office supports: older phones are told «Обновите приложение»
    #[arg(long, env = "LGOTA_CENTRAL_MIN_APP_VERSION", global = true)]
    min_app_version: Option<String>,
    /// Where librarians download the app (shown with «Обновите приложение»)
    #[arg(long, env = "LGOTA_CENTRAL_APP_DOWNLOAD_URL", global = true)]
    app_download_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API until Ctrl-C or SIGTERM.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080]
        #[arg(long, env = "LGOTA_CENTRAL_LISTEN")]
        listen: Option<String>,
        /// Requests served at once on the phones' API and on the dashboard each; more get 503 [default: 256]
        #[arg(long, env = "LGOTA_CENTRAL_MAX_CONCURRENT_REQUESTS")]
        max_concurrent_requests: Option<usize>,
    },
    /// Enroll, list and revoke phones.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Import an offline export file of a phone (idempotent).
    Import { file: PathBuf },
    /// Publish reference data to phones.
    #[command(subcommand)]
    Reference(ReferenceCommand),
    /// Publish events.
    #[command(subcommand)]
    Event(EventCommand),
    /// Dashboard users.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// A checked copy of the database, also while the server serves.
    Backup {
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Put a backup in place of the database; the server must be stopped.
    Restore { file: PathBuf },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Add a dashboard user (or replace the password and role of an existing one, ending their
    /// sessions). The password is read from standard input, or asked for on a terminal.
    Add {
        #[arg(long)]
        login: String,
        #[arg(long, value_parser = ["admin", "branch_head"])]
        role: String,
        /// The branch of a branch head.
        #[arg(long)]
        branch: Option<String>,
    },
    /// Disable a dashboard user: their sessions end at once and they cannot sign in.
    Disable { login: String },
    /// Let a disabled dashboard user sign in again.
    Enable { login: String },
    /// Remove a dashboard user and end their sessions.
    Remove { login: String },
}

/// Reads a password: from a terminal with echo off (via `stty`), otherwise the first line of stdin.
fn read_password() -> Result<String, String> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    let stty = |arg: &str| {
        let _ = std::process::Command::new("stty").arg(arg).stdin(std::process::Stdio::inherit()).status();
    };
    if terminal {
        eprint!("Пароль: ");
        let _ = std::io::stderr().flush();
        stty("-echo");
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if terminal {
        stty("echo");
        eprintln!();
    }
    read.map_err(|e| format!("не удалось прочитать пароль: {e}"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Issue a one-time enrollment code for a branch and show it as a QR code.
    Enroll {
        #[arg(long)]
        branch: String,
        #[arg(long, default_value_t = 60)]
        ttl_minutes: u32,
        /// Where to write the QR code as PNG [default: enroll-<branch>.png]
        #[arg(long)]
        png: Option<PathBuf>,
    },
    /// List enrolled devices.
    List,
    /// Revoke a device: its token stops working.
    Revoke { device_id: String },
}

#[derive(Subcommand)]
enum ReferenceCommand {
    /// Publish a configuration JSON (lgota-core Config) with a higher version.
    Config { file: PathBuf },
    /// Publish a signed content envelope (lgota-pack sign) with a higher version.
    Content { file: PathBuf },
}

#[derive(Subcommand)]
enum EventCommand {
    /// Publish an event of a branch.
    Add {
        #[arg(long)]
        branch: String,
        #[arg(long)]
        title: String,
        /// YYYY-MM-DD
        #[arg(long)]
        date: String,
    },
}

/// A moment in the institution's time zone, as the dashboard shows it; «—» for none.
fn format_ms(ms: Option<i64>, tz: chrono_tz::Tz) -> String {
    ms.map_or_else(|| "—".into(), |ms| crate::http::views::pages::local_text(tz, ms))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("Ctrl-C handler: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("SIGTERM handler: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

fn open(settings: &Settings) -> Result<SqliteDatabase, String> {
    let db = SqliteDatabase::open(&settings.db).map_err(|e| format!("{}: {e}", settings.db.display()))?;
    service::reference::seed(&db).map_err(|e| e.message)?;
    Ok(db)
}

fn read(path: &PathBuf) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `admin disable|enable|remove`: the dashboard's operation, as the command line.
fn admin_change(settings: &Settings, me: &Actor, login: &str, what: Change) -> Result<(), String> {
    let db = open(settings)?;
    let changed = service::admins::change(&db, me, login, what, false).map_err(|e| e.message)?;
    let said = match (what, changed) {
        (Change::Disable, true) => "отключён, его сеансы завершены",
        (Change::Disable, false) => "уже был отключён",
        (Change::Enable, true) => "снова может входить",
        (Change::Enable, false) => "и так мог входить",
        (Change::Remove, _) => "удалён, его сеансы завершены",
    };
    println!("Пользователь {login} {said}.");
    Ok(())
}

/// Runs one command.
pub fn run(cli: Cli) -> Result<(), String> {
    let (listen, max_concurrent_requests) = match &cli.command {
        Command::Serve { listen, max_concurrent_requests } => (listen.clone(), *max_concurrent_requests),
        _ => (None, None),
    };
    let file = settings::read_file(cli.config.as_deref())?;
    let settings = settings::resolve(
        Overrides {
            db: cli.db,
            listen,
            public_url: cli.public_url,
            cookie_secure: cli.cookie_secure,
            trusted_keys: cli.trusted_keys,
            timezone: cli.timezone,
            backup_dir: cli.backup_dir,
            backup_every: cli.backup_every,
            backup_keep: cli.backup_keep,
            trusted_proxies: Some(cli.trusted_proxy),
            max_concurrent_requests,
            min_app_version: cli.min_app_version,
            app_download_url: cli.app_download_url,
        },
        file,
    )?;
    // Refusals read as the operation words them; the server's failures are logged.
    let says = |e: service::Error| e.message;
    let me = Actor::cli();
    match cli.command {
        Command::Serve { .. } => {
            let _serving = service::backup::ServingLock::serving(&settings.db).map_err(says)?;
            let db: Arc<dyn Database> = Arc::new(open(&settings)?);
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::bind(settings.listen)
                    .await
                    .map_err(|e| format!("не удалось слушать {}: {e}", settings.listen))?;
                tracing::info!(
                    listen = %settings.listen, db = %settings.db.display(), timezone = %settings.timezone,
                    "lgota-central serving"
                );
                let mut dashboard = Dashboard::new(settings.cookie_secure, settings.timezone);
                dashboard.public_url = settings.public_url.clone();
                dashboard.trusted_keys = settings.trusted_keys.clone();
                if let Some(schedule) = settings.backup.clone() {
                    tokio::spawn(scheduled_backups(db.clone(), schedule));
                }
                dashboard.trusted_proxies = settings.trusted_proxies.clone();
                dashboard.app_requirement = settings.app_requirement.clone();
                let limits = crate::http::limits::Limits {
                    max_concurrent_requests: settings.max_concurrent_requests,
                    ..Default::default()
                };
                let state = AppState::with_dashboard(db, dashboard).with_limits(limits);
                crate::serve_state(listener, state, shutdown_signal()).await.map_err(|e| e.to_string())
            })
        }
        Command::Device(DeviceCommand::Enroll { branch, ttl_minutes, png }) => {
            let db = open(&settings)?;
            let issued = service::devices::issue(&db, &me, &branch, ttl_minutes, &settings.public_url).map_err(says)?;
            let png = png.unwrap_or_else(|| PathBuf::from(format!("enroll-{branch}.png")));
            println!("{}", service::devices::qr_terminal(&issued.payload).map_err(says)?);
            service::devices::qr_png(&issued.payload, &png).map_err(says)?;
            println!("Филиал:        {}", issued.branch_id);
            println!("Код:           {}", issued.code);
            println!("Действует до:  {}", format_ms(Some(issued.expires_at_ms), settings.timezone));
            println!("Содержимое QR: {}", issued.payload);
            println!("PNG:           {}", png.display());
            Ok(())
        }
        Command::Device(DeviceCommand::List) => {
            let db = open(&settings)?;
            let devices = service::devices::list(&db, &me).map_err(says)?;
            println!("{:<38} {:<12} {:<22} {:<22} REVOKED", "DEVICE", "BRANCH", "ENROLLED", "LAST SEEN");
            for d in devices {
                println!(
                    "{:<38} {:<12} {:<22} {:<22} {}",
                    d.id,
                    d.branch_id,
                    format_ms(Some(d.enrolled_at_ms), settings.timezone),
                    format_ms(d.last_seen_at_ms, settings.timezone),
                    format_ms(d.revoked_at_ms, settings.timezone)
                );
            }
            Ok(())
        }
        Command::Device(DeviceCommand::Revoke { device_id }) => {
            let db = open(&settings)?;
            match service::devices::revoke(&db, &me, &device_id) {
                Ok(true) => println!("Устройство {device_id} отключено."),
                Ok(false) => println!("Устройство {device_id} уже было отключено."),
                Err(e) if e.kind == service::Kind::NotFound => return Err(format!("нет устройства {device_id}")),
                Err(e) => return Err(says(e)),
            }
            Ok(())
        }
        Command::Import { file } => {
            let db = open(&settings)?;
            let name = file.display().to_string();
            let outcome = service::import::import_file(&db, &me, &name, &read(&file)?).map_err(|e| e.to_string())?;
            println!("Импорт: {}.", outcome.summary());
            for problem in outcome.problems(20) {
                println!("  не сохранена {problem}");
            }
            if outcome.refused + outcome.conflicts > 20 {
                println!("  … и ещё {}", outcome.refused + outcome.conflicts - 20);
            }
            Ok(())
        }
        Command::Reference(cmd) => {
            let db = open(&settings)?;
            let (config, file) = match cmd {
                ReferenceCommand::Config { file } => (true, file),
                ReferenceCommand::Content { file } => (false, file),
            };
            let text = String::from_utf8(read(&file)?).map_err(|e| e.to_string())?;
            let source = file.display().to_string();
            let version = if config {
                service::reference::publish_document(&db, &me, &text, &source)
            } else {
                service::content::publish_document(&db, &me, &text, &settings.trusted_keys).map(|c| c.version)
            }
            .map_err(says)?;
            println!("Опубликована версия {version}.");
            Ok(())
        }
        Command::Event(EventCommand::Add { branch, title, date }) => {
            let db = open(&settings)?;
            let event = service::events::add(&db, &me, &branch, &title, &date).map_err(says)?;
            println!("Мероприятие опубликовано: {}", event.id);
            println!("QR-код на дверь: {}", lgota_protocol::event_uri(&event.id));
            Ok(())
        }
        Command::Admin(AdminCommand::Disable { login }) => admin_change(&settings, &me, &login, Change::Disable),
        Command::Admin(AdminCommand::Enable { login }) => admin_change(&settings, &me, &login, Change::Enable),
        Command::Admin(AdminCommand::Remove { login }) => admin_change(&settings, &me, &login, Change::Remove),
        Command::Admin(AdminCommand::Add { login, role, branch }) => {
            let db = open(&settings)?;
            let password = read_password()?;
            let created = service::admins::put(&db, &me, &login, &role, branch.as_deref(), &password).map_err(says)?;
            println!(
                "{} {login}.",
                if created {
                    "Добавлен пользователь"
                } else {
                    "Обновлён пользователь"
                }
            );
            Ok(())
        }
        Command::Backup { file, force } => {
            let db = open(&settings)?;
            let check = service::backup::backup(&db, &me, &file, force).map_err(says)?;
            println!("Копия:    {}", file.display());
            println!("Размер:   {}", service::backup::size_text(check.bytes));
            println!("Записей:  {}", check.records);
            println!("Проверка: {}", if check.ok() { "ok".into() } else { check.integrity.clone() });
            if !check.ok() {
                return Err(format!("копия {} не прошла проверку целостности", file.display()));
            }
            Ok(())
        }
        Command::Restore { file } => {
            let restored = service::backup::restore(&settings.db, &file, &me).map_err(says)?;
            println!("База {} восстановлена из {}.", settings.db.display(), file.display());
            println!("Записей в копии: {}; {}.", restored.check.records, service::backup::summary(&restored.check));
            if let Some(aside) = &restored.aside {
                println!("Прежняя база сохранена как {}.", aside.display());
            }
            println!(
                "Что дальше: запустите сервер. Записи, сделанные после этой копии, есть на телефонах: \
                 у восстановленной базы новый идентификатор, и при следующей синхронизации каждый \
                 телефон пришлёт всё, что у него есть; сервер сохранит каждую запись один раз."
            );
            Ok(())
        }
    }
}

/// The server's scheduled backups: the first when the last one noted is `every` old (at once if
/// older or none), then every `every`. The copy is blocking work, off the async threads; a
/// failure is logged and the server goes on.
async fn scheduled_backups(db: Arc<dyn Database>, schedule: settings::BackupSchedule) {
    let every_ms = i64::try_from(schedule.every.as_millis()).unwrap_or(i64::MAX);
    let last = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || db.last_backup()).await.ok().and_then(Result::ok).flatten()
    };
    let due_in_ms = last.map_or(0, |l| (l.at_ms.saturating_add(every_ms) - crate::now_ms()).clamp(0, every_ms));
    tokio::time::sleep(std::time::Duration::from_millis(due_in_ms as u64)).await;
    loop {
        let (db, dir, keep) = (db.clone(), schedule.dir.clone(), schedule.keep);
        match tokio::task::spawn_blocking(move || service::backup::scheduled(db.as_ref(), &dir, keep)).await {
            Ok(Ok((file, check))) if check.ok() => {
                tracing::info!(file = %file.display(), "backup: {}", service::backup::summary(&check));
            }
            Ok(Ok((file, check))) => {
                tracing::error!(file = %file.display(), "backup failed its check, deleted: {}", check.integrity);
            }
            Ok(Err(e)) => tracing::error!("backup failed: {}", e.message),
            Err(e) => tracing::error!("backup task failed: {e}"),
        }
        tokio::time::sleep(schedule.every).await;
    }
}

/// The binary's `main`: logs to stderr, runs the command line, exits 1 with the reason on failure.
pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lgota-central: {e}");
            ExitCode::FAILURE
        }
    }
}
