//! The command line of `lgota-central`: its arguments (clap) and what each command does, through
//! the same operations (`crate::service`) as the dashboard, as `cli:<system user>`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::http::tls::Tls;
use crate::http::{AppState, Dashboard};
use crate::service::admins::Change;
use crate::service::{self, Actor};
use crate::settings::{self, Overrides, Settings};
use crate::store::{Database, Location, PostgresDatabase, SqliteDatabase};

#[derive(Parser)]
#[command(name = "lgota-central", version, about = "Центральный сервер записей «Льгота»")]
pub struct Cli {
    /// SQLite database file [default: lgota-central.db]
    #[arg(long, env = "LGOTA_CENTRAL_DB", global = true)]
    db: Option<PathBuf>,
    /// PostgreSQL database in place of the SQLite file: postgres://user:password@host:5432/database
    #[arg(long, env = "LGOTA_DATABASE_URL", global = true)]
    database_url: Option<String>,
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
    /// Token with which /metrics may be read from another machine (Authorization: Bearer)
    #[arg(long, env = "LGOTA_CENTRAL_METRICS_TOKEN", hide_env_values = true, global = true)]
    metrics_token: Option<String>,
    /// The institution's full name, printed on the dashboard's materials and training sheets
    #[arg(long, env = "LGOTA_CENTRAL_INSTITUTION", global = true)]
    institution: Option<String>,
    /// The oldest app version the office supports: older phones are told «Обновите приложение»
    #[arg(long, env = "LGOTA_CENTRAL_MIN_APP_VERSION", global = true)]
    min_app_version: Option<String>,
    /// Where librarians download the app (shown with «Обновите приложение»)
    #[arg(long, env = "LGOTA_CENTRAL_APP_DOWNLOAD_URL", global = true)]
    app_download_url: Option<String>,
    /// Id of the content-signing key enrolled phones pin (one of the trusted keys) [default: the only trusted key]
    #[arg(long, env = "LGOTA_CENTRAL_CONTENT_KEY", global = true)]
    content_key: Option<String>,
    /// PEM file whose last certificate is the CA enrolled phones pin (e.g. the root of tls_cert's chain)
    #[arg(long, env = "LGOTA_CENTRAL_TLS_CA_CERT", global = true)]
    tls_ca_cert: Option<PathBuf>,
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
        /// HTTPS: the certificate chain, PEM (re-read on SIGHUP); with --tls-key
        #[arg(long, env = "LGOTA_CENTRAL_TLS_CERT")]
        tls_cert: Option<PathBuf>,
        /// HTTPS: the certificate's private key, PEM, unencrypted (re-read on SIGHUP)
        #[arg(long, env = "LGOTA_CENTRAL_TLS_KEY")]
        tls_key: Option<PathBuf>,
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
    /// After the database was put back from a copy by other means (PostgreSQL: pg_restore; a
    /// SQLite file copied back by hand): give it a new identity, so every phone sends again all
    /// it holds at its next sync (running servers take it up within seconds).
    Restored,
    /// Write a year's records and figures to a checksummed archive (FILE and FILE.sha256), or
    /// check an archive (--verify FILE).
    Archive {
        /// The year, in the institution's time zone.
        #[arg(long, required_unless_present = "verify", requires = "out")]
        year: Option<i32>,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, conflicts_with_all = ["year", "out"])]
        verify: Option<PathBuf>,
    },
    /// Remove the records of an archived year past their retention (records_keep_years); the
    /// year's figures stay.
    Purge {
        #[arg(long)]
        year: i32,
        /// The year's archive (lgota-central archive), checked against FILE.sha256.
        #[arg(long)]
        archive: PathBuf,
    },
    /// Remove a note or staff label from one record, also from the database file; prints the
    /// act of destruction.
    Redact {
        #[arg(long)]
        record: String,
        #[arg(long, value_parser = ["note", "staff"])]
        field: String,
        /// Why (no personal data in it).
        #[arg(long)]
        reason: String,
        /// The login of the dashboard administrator who answers for it.
        #[arg(long)]
        by: String,
    },
    /// Copy a SQLite installation into PostgreSQL and check that both hold the same; safe to
    /// run again (copies only what is missing or changed).
    Migrate {
        /// The SQLite database file to copy.
        #[arg(long)]
        from: PathBuf,
        /// The PostgreSQL database to copy into [default: --database-url]
        #[arg(long)]
        to: Option<String>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Add a dashboard user (or replace the password and role of an existing one, ending their
    /// sessions). The password is read from standard input, or asked for on a terminal.
    Add {
        #[arg(long)]
        login: String,
        /// admin: everything; branch_head: their branch (totals; records with grant-records);
        /// observer: totals of every branch only (a director, the founder, a ministry)
        #[arg(long, value_parser = ["admin", "branch_head", "observer"])]
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
    /// Let a branch head see the individual records of their branch (audited).
    GrantRecords { login: String },
    /// A branch head sees totals only again (audited).
    RevokeRecords { login: String },
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

/// SIGHUP (`systemctl reload`): the certificate files are read again; if they cannot be, the
/// certificate in use stays and the error is logged. Without HTTPS there is nothing to reload.
async fn reload_on_hangup(tls: Option<Arc<Tls>>) {
    #[cfg(unix)]
    {
        let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("SIGHUP handler: {e}");
                return;
            }
        };
        while hangup.recv().await.is_some() {
            match &tls {
                None => tracing::info!("SIGHUP: no certificate to reload (the server speaks plain http)"),
                Some(tls) => match tls.reload() {
                    Ok(()) => tracing::info!(cert = %tls.files().cert.display(), "SIGHUP: certificate reloaded"),
                    Err(e) => tracing::error!("SIGHUP: certificate not reloaded, the previous one stays: {e}"),
                },
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tls;
}

/// Opens the database the settings name (PostgreSQL or the SQLite file) and seeds it.
fn open(settings: &Settings) -> Result<Arc<dyn Database>, String> {
    let location = settings.location();
    let db = crate::store::open(&location).map_err(|e| format!("{}: {e}", location.shown()))?;
    service::reference::seed(db.as_ref()).map_err(|e| e.message)?;
    Ok(db)
}

/// `migrate`: the SQLite file copied into PostgreSQL, both checked to hold the same.
fn migrate(settings: &Settings, me: &Actor, from: &std::path::Path, to: Option<String>) -> Result<(), String> {
    let to = to
        .or_else(|| settings.database_url.clone())
        .ok_or("укажите базу PostgreSQL, в которую копировать: --to postgres://пользователь:пароль@сервер:5432/база")?;
    if !from.exists() {
        return Err(format!("нет файла {}", from.display()));
    }
    let shown = crate::store::postgres::without_password(&to);
    let source = SqliteDatabase::open(from).map_err(|e| format!("{}: {e}", from.display()))?;
    let target = PostgresDatabase::open(&to).map_err(|e| format!("{shown}: {e}"))?;
    println!("Копирование {} → {shown}", from.display());
    // Noted in the source, so the copy carries it and both logs stay the same length.
    let noted = format!("Копирование базы в PostgreSQL {shown}");
    service::audit::note(&source, me, service::audit::Action::Migrate, &noted).map_err(|e| e.message)?;
    let mut last = String::new();
    let report = crate::store::copy::sqlite_to_postgres(&source, &target, &mut |table, written| {
        if table != last {
            last = table.to_string();
        }
        if written > 0 && written % 50_000 == 0 {
            println!("  {table}: {written}…");
        }
    })
    .map_err(|e| e.to_string())?;
    println!("{:<18} {:>10} {:>10} {:>10}", "ТАБЛИЦА", "В SQLITE", "ДОБАВЛЕНО", "В POSTGRES");
    for (table, source, written, target) in &report.tables {
        println!("{table:<18} {source:>10} {written:>10} {target:>10}");
    }
    println!(
        "Проверено: строк поровну в каждой таблице, сводка и помесячные итоги совпадают ({} проверок).",
        report.checks
    );
    println!(
        "Что дальше: остановите сервер на SQLite, запустите migrate ещё раз (докопирует новое) и \
         запускайте сервер с --database-url (или database_url в файле настроек)."
    );
    Ok(())
}

fn read(path: &PathBuf) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `admin disable|enable|remove`: the dashboard's operation, as the command line.
fn admin_change(settings: &Settings, me: &Actor, login: &str, what: Change) -> Result<(), String> {
    let db = open(settings)?;
    let changed = service::admins::change(db.as_ref(), me, login, what, false).map_err(|e| e.message)?;
    let said = match (what, changed) {
        (Change::Disable, true) => "отключён, его сеансы завершены",
        (Change::Disable, false) => "уже был отключён",
        (Change::Enable, true) => "снова может входить",
        (Change::Enable, false) => "и так мог входить",
        (Change::Remove, _) => "удалён, его сеансы завершены",
        (Change::GrantRecords, true) => "теперь видит отдельные записи своего филиала",
        (Change::GrantRecords, false) => "и так видел записи своего филиала",
        (Change::RevokeRecords, true) => "снова видит только итоги",
        (Change::RevokeRecords, false) => "и так видел только итоги",
    };
    println!("Пользователь {login} {said}.");
    Ok(())
}

fn print_archive(info: &service::retention::ArchiveInfo) {
    println!("Архив:    {}", info.file.display());
    println!("Год:      {}", info.year);
    println!("Записей:  {} (проверок {})", info.records, info.checks);
    println!("SHA-256:  {}", info.sha256);
}

/// Runs one command.
pub fn run(cli: Cli) -> Result<(), String> {
    let (listen, max_concurrent_requests, tls_cert, tls_key) = match &cli.command {
        Command::Serve { listen, max_concurrent_requests, tls_cert, tls_key } => {
            (listen.clone(), *max_concurrent_requests, tls_cert.clone(), tls_key.clone())
        }
        _ => (None, None, None, None),
    };
    let file = settings::read_file(cli.config.as_deref())?;
    let settings = settings::resolve(
        Overrides {
            db: cli.db,
            database_url: cli.database_url,
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
            tls_cert,
            tls_key,
            metrics_token: cli.metrics_token,
            institution: cli.institution,
            min_app_version: cli.min_app_version,
            app_download_url: cli.app_download_url,
            content_key: cli.content_key,
            tls_ca_cert: cli.tls_ca_cert,
            ..Overrides::default()
        },
        file,
    )?;
    // Refusals read as the operation words them; the server's failures are logged.
    let says = |e: service::Error| e.message;
    let me = Actor::cli();
    match cli.command {
        Command::Serve { .. } => {
            // SQLite: a restore waits for the server to stop. PostgreSQL is restored with its own tools.
            let _serving = match settings.location() {
                Location::Sqlite(path) => Some(service::backup::ServingLock::serving(&path).map_err(says)?),
                Location::Postgres(_) => None,
            };
            let db = open(&settings)?;
            let tls = settings.tls.clone().map(Tls::load).transpose()?;
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::bind(settings.listen)
                    .await
                    .map_err(|e| format!("не удалось слушать {}: {e}", settings.listen))?;
                tracing::info!(
                    listen = %settings.listen, db = %settings.location().shown(), timezone = %settings.timezone,
                    https = tls.is_some(), "lgota-central serving"
                );
                tokio::spawn(reload_on_hangup(tls.clone()));
                let mut dashboard = Dashboard::new(settings.cookie_secure, settings.timezone);
                dashboard.public_url = settings.public_url.clone();
                dashboard.trusted_keys = settings.trusted_keys.clone();
                if let Some(schedule) = settings.backup.clone() {
                    tokio::spawn(scheduled_backups(db.clone(), schedule));
                }
                tokio::spawn(retention_passes(db.clone(), settings.retention));
                dashboard.trusted_proxies = settings.trusted_proxies.clone();
                dashboard.metrics_token_sha256 = settings.metrics_token.as_deref().map(crate::secrets::sha256_hex);
                dashboard.institution = settings.institution.clone();
                dashboard.app_requirement = settings.app_requirement.clone();
                dashboard.enroll_pins = settings.enroll_pins.clone();
                dashboard.ca_der = settings.ca_der.clone();
                let limits = crate::http::limits::Limits {
                    max_concurrent_requests: settings.max_concurrent_requests,
                    ..Default::default()
                };
                let state = AppState::with_dashboard(db, dashboard).with_limits(limits);
                crate::http::serve_tls(listener, state, tls, shutdown_signal()).await.map_err(|e| e.to_string())
            })
        }
        Command::Device(DeviceCommand::Enroll { branch, ttl_minutes, png }) => {
            let db = open(&settings)?;
            let target = service::devices::EnrollTarget {
                server_url: settings.public_url.clone(),
                pins: settings.enroll_pins.clone(),
            };
            let issued = service::devices::issue(db.as_ref(), &me, &branch, ttl_minutes, &target).map_err(says)?;
            let png = png.unwrap_or_else(|| PathBuf::from(format!("enroll-{branch}.png")));
            println!("{}", service::devices::qr_terminal(&issued.payload).map_err(says)?);
            service::devices::qr_png(&issued.payload, &png).map_err(says)?;
            println!("Филиал:        {}", issued.branch_id);
            println!("Код:           {}", issued.code);
            println!("Действует до:  {}", format_ms(Some(issued.expires_at_ms), settings.timezone));
            println!("Содержимое QR: {}", issued.payload);
            match &issued.pins.content_key {
                Some(key) => println!("Ключ подписи инструкций: {} (телефон примет пакеты только с ним)", key.key_id),
                None => println!("Ключ подписи инструкций: не закреплён (задайте content_key, docs/deploy.md)"),
            }
            if let Some(ca) = &issued.pins.ca_sha256 {
                println!("Сертификат ЦС (SHA-256): {ca}");
            }
            println!("PNG:           {}", png.display());
            Ok(())
        }
        Command::Device(DeviceCommand::List) => {
            let db = open(&settings)?;
            let devices = service::devices::list(db.as_ref(), &me).map_err(says)?;
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
            match service::devices::revoke(db.as_ref(), &me, &device_id) {
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
            let outcome =
                service::import::import_file(db.as_ref(), &me, &name, &read(&file)?).map_err(|e| e.to_string())?;
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
                service::reference::publish_document(db.as_ref(), &me, &text, &source)
            } else {
                service::content::publish_document(db.as_ref(), &me, &text, &settings.trusted_keys).map(|c| c.version)
            }
            .map_err(says)?;
            println!("Опубликована версия {version}.");
            Ok(())
        }
        Command::Event(EventCommand::Add { branch, title, date }) => {
            let db = open(&settings)?;
            let event = service::events::add(db.as_ref(), &me, &branch, &title, &date).map_err(says)?;
            println!("Мероприятие опубликовано: {}", event.id);
            println!("QR-код на дверь: {}", lgota_protocol::event_uri(&event.id));
            Ok(())
        }
        Command::Admin(AdminCommand::Disable { login }) => admin_change(&settings, &me, &login, Change::Disable),
        Command::Admin(AdminCommand::Enable { login }) => admin_change(&settings, &me, &login, Change::Enable),
        Command::Admin(AdminCommand::Remove { login }) => admin_change(&settings, &me, &login, Change::Remove),
        Command::Admin(AdminCommand::GrantRecords { login }) => {
            admin_change(&settings, &me, &login, Change::GrantRecords)
        }
        Command::Admin(AdminCommand::RevokeRecords { login }) => {
            admin_change(&settings, &me, &login, Change::RevokeRecords)
        }
        Command::Admin(AdminCommand::Add { login, role, branch }) => {
            let db = open(&settings)?;
            let password = read_password()?;
            let created =
                service::admins::put(db.as_ref(), &me, &login, &role, branch.as_deref(), &password).map_err(says)?;
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
            let check = service::backup::backup(db.as_ref(), &me, &file, force).map_err(says)?;
            println!("Копия:    {}", file.display());
            println!("Размер:   {}", service::backup::size_text(check.bytes));
            println!("Записей:  {}", check.records);
            println!("Проверка: {}", if check.ok() { "ok".into() } else { check.integrity.clone() });
            if !check.ok() {
                return Err(format!("копия {} не прошла проверку целостности", file.display()));
            }
            Ok(())
        }
        Command::Migrate { from, to } => migrate(&settings, &me, &from, to),
        Command::Restore { .. } if settings.database_url.is_some() => Err(says(service::backup::use_pg_dump(
            "восстановление из файла — только для базы SQLite; базу PostgreSQL восстанавливайте средствами \
             PostgreSQL: pg_restore (см. docs/deploy.md)"
                .into(),
        ))),
        Command::Archive { verify: Some(file), .. } => {
            let info = service::retention::verify(&file).map_err(says)?;
            print_archive(&info);
            println!("Проверка: ok (SHA-256 совпадает с {}).", info.checksum_file.display());
            Ok(())
        }
        Command::Archive { year, out, .. } => {
            let (Some(year), Some(out)) = (year, out) else {
                return Err("укажите --year ГОД --out ФАЙЛ или --verify ФАЙЛ".into());
            };
            let db = open(&settings)?;
            let info = service::retention::archive(db.as_ref(), &me, year, settings.timezone, &out).map_err(says)?;
            print_archive(&info);
            println!("Контрольная сумма: {}", info.checksum_file.display());
            Ok(())
        }
        Command::Purge { year, archive } => {
            let db = open(&settings)?;
            let purged =
                service::retention::purge(db.as_ref(), &me, year, &archive, &settings.retention, settings.timezone)
                    .map_err(says)?;
            println!("Удалены записи за {year} год: {}.", purged.records);
            if purged.conflicts > 0 {
                println!("Удалены расходящиеся версии этих записей: {}.", purged.conflicts);
            }
            if purged.voids_kept > 0 {
                println!("Оставлены аннулирования проверок прежних лет: {}.", purged.voids_kept);
            }
            println!("Итоги {year} года на панели сохранены; архив: {}.", archive.display());
            Ok(())
        }
        Command::Redact { record, field, reason, by } => {
            let db = open(&settings)?;
            let field = crate::store::RedactField::parse(&field).ok_or("поле: note или staff")?;
            let done = service::retention::redact(db.as_ref(), &me, &record, field, &reason, &by).map_err(says)?;
            let server_id = db.server_id().map_err(|e| e.to_string())?;
            print!("{}", service::retention::act_text(&done, settings.timezone, &server_id));
            Ok(())
        }
        Command::Restored => {
            let db = open(&settings)?;
            let server_id = service::backup::restored(db.as_ref(), &me).map_err(says)?;
            println!("У базы новый идентификатор: {server_id}.");
            println!(
                "Что дальше: запустите серверы (работающие перейдут на новый идентификатор сами за несколько \
                 секунд). При следующей синхронизации каждый телефон пришлёт всё, что у него есть; записи, \
                 которых нет в копии, вернутся, а каждая запись сохранится один раз."
            );
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

/// The retention pass over the audit log ([`service::retention::apply`]) at start and every
/// six hours; a failure is logged and the server goes on.
async fn retention_passes(db: Arc<dyn Database>, retention: service::retention::Retention) {
    loop {
        let db = db.clone();
        match tokio::task::spawn_blocking(move || service::retention::apply(db.as_ref(), &retention, crate::now_ms()))
            .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("retention pass failed: {}", e.message),
            Err(e) => tracing::error!("retention task failed: {e}"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(6 * 3600)).await;
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
