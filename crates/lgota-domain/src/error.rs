//! Errors of the shared rules, each with a stable machine `code` and a Russian message for the
//! librarian or the central office.

use std::fmt;

/// What kind of personal data a free-text field appeared to contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalData {
    Phone,
    Passport,
    Snils,
    DocumentNumber,
    Email,
    Name,
    BirthDate,
    Address,
}

impl PersonalData {
    /// What was found, in Russian, in the accusative after «похоже на» («номер телефона», «имя»,
    /// «дату рождения»…).
    pub fn describe(self) -> &'static str {
        match self {
            PersonalData::Phone => "номер телефона",
            PersonalData::Passport => "серию и номер паспорта",
            PersonalData::Snils => "СНИЛС",
            PersonalData::DocumentNumber => "номер документа",
            PersonalData::Email => "адрес электронной почты",
            PersonalData::Name => "имя",
            PersonalData::BirthDate => "дату рождения",
            PersonalData::Address => "адрес",
        }
    }
}

impl fmt::Display for PersonalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
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
    #[error("В поле «{field}» есть что-то похожее на {}. Персональные данные граждан хранить нельзя — уберите их.", .kind.describe())]
    PersonalData { field: &'static str, kind: PersonalData },
    #[error("Укажите причину аннулирования.")]
    VoidReasonRequired,
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
    /// An enrolled phone accepts packs signed only with the key its enrollment QR pinned.
    #[error("Пакет инструкций подписан ключом «{key_id}» другого учреждения, а телефон подключён к учреждению с ключом «{pinned}»: такой пакет не устанавливается. Используются прежние инструкции.")]
    ContentKeyNotPinned { key_id: String, pinned: String },
    /// The key an enrollment QR pins is not an ed25519 public key.
    #[error(
        "Ключ подписи инструкций в QR-коде подключения повреждён: попросите в центральной библиотеке новый QR-код."
    )]
    ContentKeyInvalid,
    /// A configuration document that does not parse or breaks a rule (ids that could not travel
    /// in a record, a category naming an unknown document…).
    #[error("Конфигурация не принята: {0}.")]
    InvalidConfig(String),
    /// A record that breaks the record rule set (`record::admit`); the text says which rule.
    #[error("{0}")]
    InvalidRecord(String),
    #[error("Учебные записи на сервер не отправляются.")]
    TrainingRecord,
    /// The argon2 library's detail is kept for the log, not shown.
    #[error("Не удалось надёжно сохранить секрет (хеш не вычислен). Попробуйте ещё раз.")]
    SecretHash(String),
}

impl Error {
    /// A content pack was refused for what it is (unsigned, foreign key, bad, not newer).
    pub fn is_content_refusal(&self) -> bool {
        matches!(
            self,
            Error::ContentInvalid(_)
                | Error::ContentUnsigned
                | Error::ContentUntrustedKey(_)
                | Error::ContentBadSignature
                | Error::ContentMismatch(_)
                | Error::ContentNotNewer { .. }
                | Error::ContentKeyNotPinned { .. }
        )
    }

    /// A stable identifier for programs (the UI, tests, the sync protocol).
    pub fn code(&self) -> &'static str {
        match self {
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
            Error::DocumentRequired => "document_required",
            Error::ContentInvalid(_) => "content_invalid",
            Error::ContentUnsigned => "content_unsigned",
            Error::ContentUntrustedKey(_) => "content_untrusted_key",
            Error::ContentBadSignature => "content_bad_signature",
            Error::ContentMismatch(_) => "content_mismatch",
            Error::ContentNotNewer { .. } => "content_not_newer",
            Error::ContentKeyNotPinned { .. } => "content_key_not_pinned",
            Error::ContentKeyInvalid => "content_key_invalid",
            Error::InvalidConfig(_) => "invalid_config",
            Error::InvalidRecord(_) => "invalid_record",
            Error::TrainingRecord => "training_record",
            Error::SecretHash(_) => "secret_hash",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_messages_read_well_for_each_kind() {
        use PersonalData::*;
        for (kind, says) in [
            (Phone, "что-то похожее на номер телефона."),
            (Passport, "что-то похожее на серию и номер паспорта."),
            (Snils, "что-то похожее на СНИЛС."),
            (DocumentNumber, "что-то похожее на номер документа."),
            (Email, "что-то похожее на адрес электронной почты."),
            (Name, "что-то похожее на имя."),
            (BirthDate, "что-то похожее на дату рождения."),
            (Address, "что-то похожее на адрес."),
        ] {
            let message = Error::PersonalData { field: "Примечание", kind }.to_string();
            assert_eq!(
                message,
                format!("В поле «Примечание» есть {says} Персональные данные граждан хранить нельзя — уберите их.")
            );
        }
    }
}
