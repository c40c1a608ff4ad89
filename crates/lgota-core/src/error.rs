//! Errors of the core, each with a stable machine `code` and a Russian message for the librarian.

use std::fmt;

/// What kind of personal data a free-text field appeared to contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalData {
    Phone,
    Passport,
    Snils,
    DocumentNumber,
    Email,
}

impl PersonalData {
    /// What was found, in Russian («номер телефона»…).
    pub fn describe(self) -> &'static str {
        match self {
            PersonalData::Phone => "номер телефона",
            PersonalData::Passport => "серию и номер паспорта",
            PersonalData::Snils => "СНИЛС",
            PersonalData::DocumentNumber => "номер документа",
            PersonalData::Email => "адрес электронной почты",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Приложение ещё не настроено: выберите филиал и укажите свою метку.")]
    NotConfigured,
    #[error("Неизвестный филиал.")]
    UnknownBranch,
    #[error(
        "Телефон подключён к центральной библиотеке от филиала «{0}»: записи другого филиала сервер не примет. \
         Чтобы работать в другом филиале, подключите телефон заново кодом этого филиала."
    )]
    BranchFixedByEnrollment(String),
    #[error("Неизвестная категория льготы.")]
    UnknownCategory,
    #[error("Неизвестный вид документа.")]
    UnknownDocumentType,
    #[error("Этот документ не подтверждает выбранную категорию льготы.")]
    DocumentNotForCategory,
    #[error("Для бумажного документа нужно выбрать категорию льготы.")]
    CategoryRequired,
    #[error("Неизвестная причина.")]
    UnknownReason,
    #[error("Укажите свою метку (например, инициалы).")]
    EmptyStaffLabel,
    #[error("Поле «{field}» слишком длинное: не больше {max} символов.")]
    TooLong { field: &'static str, max: usize },
    #[error("Укажите название мероприятия.")]
    EmptyEventTitle,
    #[error("Дата мероприятия должна быть в виде ГГГГ-ММ-ДД.")]
    InvalidDate,
    #[error("Поле «{field}» похоже на {}: персональные данные хранить нельзя. Уберите их.", .kind.describe())]
    PersonalData { field: &'static str, kind: PersonalData },
    #[error("Укажите причину аннулирования.")]
    VoidReasonRequired,
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
    #[error("Документ не принят — нужно выбрать, какой документ был предъявлен.")]
    DocumentRequired,
    #[error("Пакет инструкций не прочитан: {0}. Используются прежние инструкции.")]
    ContentInvalid(String),
    #[error("Пакет инструкций не подписан. Используются прежние инструкции.")]
    ContentUnsigned,
    #[error("Пакет инструкций подписан неизвестным ключом «{0}». Используются прежние инструкции.")]
    ContentUntrustedKey(String),
    #[error("Подпись пакета инструкций не совпадает с содержимым: файл изменён или повреждён. Используются прежние инструкции.")]
    ContentBadSignature,
    #[error("Пакет инструкций не согласован со справочником: {0}. Используются прежние инструкции.")]
    ContentMismatch(String),
    #[error("Пакет инструкций версии {offered} не новее используемой версии {current}.")]
    ContentNotNewer { current: u32, offered: u32 },
    #[error("Этого мероприятия нет на телефоне. Синхронизируйте (Настройки → «Синхронизировать сейчас») и попробуйте снова или выберите мероприятие из списка.")]
    UnknownEvent,
    #[error("Это мероприятие другого филиала ({0}). Выберите или отсканируйте мероприятие своего филиала.")]
    EventOfOtherBranch(String),
    #[error("Мероприятие «{title}» уже прошло ({date}). Выберите или отсканируйте сегодняшнее мероприятие.")]
    EventPast { title: String, date: String },
    #[error("Учебный сценарий не найден.")]
    UnknownScenario,
    #[error("PIN — от {} до {} цифр.", crate::lock::PIN_MIN, crate::lock::PIN_MAX)]
    PinFormat,
    #[error("PIN не задан.")]
    NoPin,
    #[error("Введите текущий PIN.")]
    PinRequired,
    #[error("{}", crate::lock::wrong_pin_text(*.attempts_left, *.wait_s))]
    PinWrong { attempts_left: u32, wait_s: u64 },
    #[error("Слишком много неверных PIN. Попробуйте снова через {}.", crate::lock::wait_text(*.wait_s))]
    PinBackoff { wait_s: u64 },
    #[error("Такое время блокировки не предусмотрено.")]
    InvalidLockOption,
    /// The argon2 library's detail is kept for the log, not shown.
    #[error("Не удалось надёжно сохранить секрет (хеш не вычислен). Попробуйте ещё раз.")]
    SecretHash(String),
    #[error("Ошибка хранилища: {0}. Запись не сохранена.")]
    Storage(#[from] rusqlite::Error),
    #[error("Не удалось обновить базу данных: {0}.")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("Повреждены данные приложения: {0}.")]
    Corrupt(String),
}

impl Error {
    /// A content pack was refused for what it is (unsigned, foreign key, bad, not newer), as
    /// opposed to a failure of the phone's own storage.
    pub fn is_content_refusal(&self) -> bool {
        matches!(
            self,
            Error::ContentInvalid(_)
                | Error::ContentUnsigned
                | Error::ContentUntrustedKey(_)
                | Error::ContentBadSignature
                | Error::ContentMismatch(_)
                | Error::ContentNotNewer { .. }
        )
    }

    /// A stable identifier for programs (the UI, tests, later the sync protocol).
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotConfigured => "not_configured",
            Error::UnknownBranch => "unknown_branch",
            Error::BranchFixedByEnrollment(_) => "branch_fixed_by_enrollment",
            Error::UnknownCategory => "unknown_category",
            Error::UnknownDocumentType => "unknown_document_type",
            Error::DocumentNotForCategory => "document_not_for_category",
            Error::CategoryRequired => "category_required",
            Error::UnknownReason => "unknown_reason",
            Error::EmptyStaffLabel => "empty_staff_label",
            Error::TooLong { .. } => "too_long",
            Error::EmptyEventTitle => "empty_event_title",
            Error::InvalidDate => "invalid_date",
            Error::PersonalData { .. } => "personal_data",
            Error::VoidReasonRequired => "void_reason_required",
            Error::NotFound => "not_found",
            Error::ForeignRecord => "foreign_record",
            Error::AlreadyVoided => "already_voided",
            Error::NotACheck => "not_a_check",
            Error::UndoExpired => "undo_expired",
            Error::UndoNotLast => "undo_not_last",
            Error::DocumentRequired => "document_required",
            Error::ContentInvalid(_) => "content_invalid",
            Error::ContentUnsigned => "content_unsigned",
            Error::ContentUntrustedKey(_) => "content_untrusted_key",
            Error::ContentBadSignature => "content_bad_signature",
            Error::ContentMismatch(_) => "content_mismatch",
            Error::ContentNotNewer { .. } => "content_not_newer",
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
            Error::SecretHash(_) => "secret_hash",
            Error::Storage(_) => "storage",
            Error::Migration(_) => "storage",
            Error::Corrupt(_) => "corrupt",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for PersonalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}
