//! Errors of the core, each with a stable machine `code` and a Russian message for the librarian.

pub use lgota_domain::PersonalData;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule shared with the server (lgota-domain): an unknown category, personal data, a bad
    /// content pack…
    #[error(transparent)]
    Domain(#[from] lgota_domain::Error),
    #[error("Приложение ещё не настроено: выберите филиал и укажите свою метку.")]
    NotConfigured,
    #[error("Неизвестный филиал.")]
    UnknownBranch,
    #[error(
        "Телефон подключён к центральной библиотеке от филиала «{0}»: записи другого филиала сервер не примет. \
         Чтобы работать в другом филиале, подключите телефон заново кодом этого филиала."
    )]
    BranchFixedByEnrollment(String),
    #[error("Запись не найдена.")]
    NotFound,
    #[error("Можно аннулировать только свои записи, сделанные на этом устройстве.")]
    ForeignRecord,
    #[error("Эта запись уже аннулирована.")]
    AlreadyVoided,
    #[error("Аннулировать можно только запись о проверке.")]
    NotACheck,
    #[error("Время для отмены истекло. Аннулируйте запись, указав причину.")]
    UndoExpired,
    #[error("Отменить можно только последнюю запись.")]
    UndoNotLast,
    #[error("Этого мероприятия нет на телефоне. Синхронизируйте (Настройки → «Синхронизировать сейчас») и попробуйте снова или выберите мероприятие из списка.")]
    UnknownEvent,
    #[error("Это мероприятие другого филиала ({0}). Выберите или отсканируйте мероприятие своего филиала.")]
    EventOfOtherBranch(String),
    #[error("Мероприятие «{title}» уже прошло ({date}). Выберите или отсканируйте сегодняшнее мероприятие.")]
    EventPast { title: String, date: String },
    #[error("Учебный сценарий не найден.")]
    UnknownScenario,
    #[error("PIN — от {} до {} цифр.", PIN_MIN, PIN_MAX)]
    PinFormat,
    #[error("PIN не задан.")]
    NoPin,
    #[error("Введите текущий PIN.")]
    PinRequired,
    #[error("{}", wrong_pin_text(*.attempts_left, *.wait_s))]
    PinWrong { attempts_left: u32, wait_s: u64 },
    #[error("Слишком много неверных PIN. Попробуйте снова через {}.", wait_text(*.wait_s))]
    PinBackoff { wait_s: u64 },
    #[error("Такое время блокировки не предусмотрено.")]
    InvalidLockOption,
    #[error(
        "Центральная библиотека требует PIN-код на телефонах: пока он не задан, проверки не записываются. \
         Задайте PIN в настройках, раздел «Блокировка»."
    )]
    PinNeededByPolicy,
    #[error("PIN нельзя снять: его требует центральная библиотека. Его можно только сменить.")]
    PinKeptByPolicy,
    #[error("Центральная библиотека разрешает блокировку не позже чем через {}.", wait_text(u64::from(*.0)))]
    IdleAbovePolicy(u32),
    #[error("Такой метки нет в списке центральной библиотеки. Выберите свою метку из списка.")]
    StaffLabelNotListed,
    #[error("Ошибка хранилища: {0}. Запись не сохранена.")]
    Storage(#[from] rusqlite::Error),
    #[error("Не удалось обновить базу данных: {0}.")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("Повреждены данные приложения: {0}.")]
    Corrupt(String),
    #[error("Телефон не дал случайных чисел для подключения. Перезапустите приложение и попробуйте снова.")]
    NoRandomness,
}

impl Error {
    /// A content pack was refused for what it is (unsigned, foreign key, bad, not newer), as
    /// opposed to a failure of the phone's own storage.
    pub fn is_content_refusal(&self) -> bool {
        matches!(self, Error::Domain(e) if e.is_content_refusal())
    }

    /// A stable identifier for programs (the UI, tests, later the sync protocol).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Domain(e) => e.code(),
            Error::NotConfigured => "not_configured",
            Error::UnknownBranch => "unknown_branch",
            Error::BranchFixedByEnrollment(_) => "branch_fixed_by_enrollment",
            Error::NotFound => "not_found",
            Error::ForeignRecord => "foreign_record",
            Error::AlreadyVoided => "already_voided",
            Error::NotACheck => "not_a_check",
            Error::UndoExpired => "undo_expired",
            Error::UndoNotLast => "undo_not_last",
            Error::UnknownEvent => "unknown_event",
            Error::EventOfOtherBranch(_) => "event_other_branch",
            Error::EventPast { .. } => "event_past",
            Error::UnknownScenario => "unknown_scenario",
            Error::PinFormat => "pin_format",
            Error::NoPin => "no_pin",
            Error::PinRequired => "pin_required",
            Error::PinWrong { .. } => "pin_wrong",
            Error::PinBackoff { .. } => "pin_backoff",
            Error::InvalidLockOption => "invalid_lock_option",
            Error::PinNeededByPolicy => "pin_needed_by_policy",
            Error::PinKeptByPolicy => "pin_kept_by_policy",
            Error::IdleAbovePolicy(_) => "idle_above_policy",
            Error::StaffLabelNotListed => "staff_label_not_listed",
            Error::Storage(_) => "storage",
            Error::Migration(_) => "storage",
            Error::Corrupt(_) => "corrupt",
            Error::NoRandomness => "no_randomness",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The PIN's length, in digits (the app lock).
pub const PIN_MIN: usize = 4;
pub const PIN_MAX: usize = 8;

/// «30 с», «2 мин», «1 мин 30 с».
pub fn wait_text(secs: u64) -> String {
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} с"),
        (m, 0) => format!("{m} мин"),
        (m, s) => format!("{m} мин {s} с"),
    }
}

pub(crate) fn wrong_pin_text(attempts_left: u32, wait_s: u64) -> String {
    if wait_s > 0 {
        format!("Неверный PIN. Следующая попытка — через {}.", wait_text(wait_s))
    } else {
        format!("Неверный PIN. Осталось попыток до паузы: {attempts_left}.")
    }
}
