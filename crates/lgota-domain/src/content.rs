//! The content pack: guides, failure answers, paper checklists, training scenarios and the
//! regulation, readable offline (docs/content-pack.md). The bundled pack is the floor; a newer
//! one is accepted only whole, signed by a trusted ed25519 key and in agreement with the
//! configuration.

use std::collections::HashSet;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::check::CheckInput;
use crate::config::Config;
use crate::error::{Error, Result};

/// The pack format this app reads: 2, a checklist per paper document (format 1 had one per
/// category and is refused, see docs/content-pack.md).
pub const FORMAT: u32 = 2;
const BUNDLED_PACK: &str = include_str!("../content/bundled-pack.json");
const TRUSTED_KEYS: &str = include_str!("../content/trusted_keys.json");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    P { text: String },
    Note { text: String },
    Steps { items: Vec<String> },
    List { items: Vec<String> },
}

impl Block {
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Block::P { text } | Block::Note { text } => vec![text],
            Block::Steps { items } | Block::List { items } => items.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Staff,
    Citizen,
    Failures,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Article {
    pub id: String,
    pub section: Section,
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    /// The paper document type (configuration id) these checks are for: only what applies to
    /// *that* document, never the checks of another one.
    pub document_type_id: String,
    pub checks: Vec<String>,
    #[serde(default)]
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct RegulationSection {
    pub heading: String,
    pub paragraphs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Regulation {
    pub title: String,
    pub approved: String,
    pub sections: Vec<RegulationSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct TrainingOption {
    pub text: String,
    pub correct: bool,
    pub feedback: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct TrainingStep {
    pub situation: String,
    pub question: String,
    pub options: Vec<TrainingOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct TrainingScenario {
    pub id: String,
    pub title: String,
    pub steps: Vec<TrainingStep>,
    /// The check this scenario ends with; saved as a training record.
    pub record: CheckInput,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct ContentPack {
    pub format: u32,
    pub version: u32,
    pub title: String,
    pub published: String,
    /// The article «Показать гражданину» shows full-screen.
    pub citizen_guide: String,
    pub articles: Vec<Article>,
    pub checklists: Vec<Checklist>,
    pub regulation: Regulation,
    pub training: Vec<TrainingScenario>,
}

/// What travels: the pack as a string, and a signature of exactly those bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub key_id: String,
    #[serde(default)]
    pub signature: Option<String>,
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKey {
    pub key_id: String,
    /// Base64 of the 32-byte ed25519 public key.
    pub public_key: String,
}

/// The keys compiled into the app (`content/trusted_keys.json`).
pub fn trusted_keys() -> Vec<TrustedKey> {
    serde_json::from_str(TRUSTED_KEYS).expect("content/trusted_keys.json is valid (tested)")
}

fn invalid(what: impl Into<String>) -> Error {
    Error::ContentInvalid(what.into())
}

fn mismatch(what: impl Into<String>) -> Error {
    Error::ContentMismatch(what.into())
}

impl ContentPack {
    /// The pack compiled into the app. Its agreement with the bundled configuration is proven by
    /// a test; at run time it is only parsed, so that a newer configuration (say, a category
    /// added by the central office) never leaves the app without instructions. The UI shows
    /// general checks for a document the pack has no checklist for.
    pub fn bundled() -> ContentPack {
        serde_json::from_str(BUNDLED_PACK).expect("the bundled content pack parses (tested)")
    }

    /// What an enrolled phone shows until its institution's first pack arrives: nothing of
    /// anyone's regulation (version 0, no articles, checklists, scenarios or sections). The UI
    /// says «Инструкции появятся после первой синхронизации»; paper documents get general checks.
    pub fn placeholder() -> ContentPack {
        ContentPack {
            format: FORMAT,
            version: 0,
            title: String::new(),
            published: String::new(),
            citizen_guide: String::new(),
            articles: Vec::new(),
            checklists: Vec::new(),
            regulation: Regulation { title: String::new(), approved: String::new(), sections: Vec::new() },
            training: Vec::new(),
        }
    }

    /// Parses a pack document and checks every rule of docs/content-pack.md.
    pub fn parse(json: &str, config: &Config) -> Result<ContentPack> {
        let pack = ContentPack::parse_alone(json)?;
        pack.agrees_with(config)?;
        Ok(pack)
    }

    /// Parses a pack document and checks the rules of the pack itself, not its agreement with a
    /// configuration ([`ContentPack::agrees_with`]): a pack installed under an older
    /// configuration is kept, marked outdated, rather than dropped for the bundled one.
    pub fn parse_alone(json: &str) -> Result<ContentPack> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| invalid(e.to_string()))?;
        match value.get("format").and_then(serde_json::Value::as_u64) {
            Some(f) if f == u64::from(FORMAT) => {}
            Some(1) => {
                return Err(invalid(
                    "это пакет формата 1 с перечнями проверок по категориям, он больше не читается: \
                     нужен формат 2 — свой перечень проверок для каждого бумажного документа",
                ))
            }
            Some(f) => return Err(invalid(format!("неизвестный формат {f}"))),
            None => return Err(invalid("не указан формат пакета")),
        }
        let pack: ContentPack = serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
        pack.check_alone()?;
        Ok(pack)
    }

    fn check_alone(&self) -> Result<()> {
        if self.format != FORMAT {
            return Err(invalid(format!("неизвестный формат {}", self.format)));
        }
        if self.version == 0 || self.title.trim().is_empty() {
            return Err(invalid("нет версии или названия"));
        }
        let mut ids = HashSet::new();
        for article in &self.articles {
            if article.id.trim().is_empty() || !ids.insert(article.id.as_str()) {
                return Err(invalid(format!("пустой или повторный id статьи «{}»", article.id)));
            }
            if article.title.trim().is_empty() || article.blocks.is_empty() {
                return Err(invalid(format!("статья «{}» без заголовка или текста", article.id)));
            }
            let empty = article.blocks.iter().any(|b| {
                let texts = b.texts();
                texts.is_empty() || texts.iter().any(|t| t.trim().is_empty())
            });
            if empty {
                return Err(invalid(format!("пустой блок в статье «{}»", article.id)));
            }
        }
        let guide = self.articles.iter().find(|a| a.id == self.citizen_guide);
        if guide.map(|a| a.section) != Some(Section::Citizen) {
            return Err(invalid("памятка для гражданина (citizen_guide) не найдена в разделе citizen"));
        }

        let mut seen = HashSet::new();
        for list in &self.checklists {
            let doc = &list.document_type_id;
            if !seen.insert(doc.as_str()) {
                return Err(mismatch(format!("два перечня проверок для документа «{doc}»")));
            }
            if list.checks.is_empty() || list.checks.iter().any(|c| c.trim().is_empty()) {
                return Err(invalid(format!("пустой перечень проверок для документа «{doc}»")));
            }
        }

        if self.regulation.sections.is_empty() {
            return Err(invalid("нет текста положения"));
        }

        let mut scenario_ids = HashSet::new();
        for scenario in &self.training {
            if scenario.id.trim().is_empty() || !scenario_ids.insert(scenario.id.as_str()) {
                return Err(invalid(format!("пустой или повторный id сценария «{}»", scenario.id)));
            }
            if scenario.steps.is_empty() {
                return Err(invalid(format!("сценарий «{}» без шагов", scenario.id)));
            }
            for step in &scenario.steps {
                let correct = step.options.iter().filter(|o| o.correct).count();
                if step.options.len() < 2 || correct != 1 {
                    return Err(invalid(format!(
                        "в сценарии «{}» у шага должно быть не меньше двух вариантов и ровно один верный",
                        scenario.id
                    )));
                }
            }
        }
        Ok(())
    }

    /// Whether the pack agrees with `config` (`content_mismatch` otherwise): each checklist is for
    /// a document the configuration knows, every document a category lists has its checklist,
    /// each training scenario's record is valid under it. The central server refuses a
    /// configuration its published pack does not agree with; a phone shows a pack that does not
    /// agree with its configuration as outdated.
    pub fn agrees_with(&self, config: &Config) -> Result<()> {
        for list in &self.checklists {
            let doc = &list.document_type_id;
            if config.document_type(doc).is_none() {
                return Err(mismatch(format!("перечень проверок для неизвестного документа «{doc}»")));
            }
        }
        for category in &config.categories {
            if let Some(doc) = category.document_type_ids.iter().find(|d| self.checklist(d).is_none()) {
                return Err(mismatch(format!(
                    "нет перечня проверок для документа «{doc}» (категория «{}»)",
                    category.id
                )));
            }
        }
        for scenario in &self.training {
            scenario.record.validate(config).map_err(|e| mismatch(format!("сценарий «{}»: {e}", scenario.id)))?;
        }
        Ok(())
    }

    /// The checklist of a paper document type.
    pub fn checklist(&self, document_type_id: &str) -> Option<&Checklist> {
        self.checklists.iter().find(|c| c.document_type_id == document_type_id)
    }

    pub fn scenario(&self, id: &str) -> Option<&TrainingScenario> {
        self.training.iter().find(|s| s.id == id)
    }
}

/// Opens a signed envelope: returns the payload only if its signature verifies against one of
/// `trusted`. Parsing and checking the pack itself is the caller's next step.
pub fn open_envelope(text: &str, trusted: &[TrustedKey]) -> Result<String> {
    let envelope: Envelope =
        serde_json::from_str(text).map_err(|e| invalid(format!("это не подписанный пакет инструкций ({e})")))?;
    let signature = envelope.signature.as_deref().filter(|s| !s.trim().is_empty()).ok_or(Error::ContentUnsigned)?;
    let key = trusted
        .iter()
        .find(|k| k.key_id == envelope.key_id)
        .ok_or_else(|| Error::ContentUntrustedKey(envelope.key_id.clone()))?;
    let key_bytes: [u8; 32] = BASE64
        .decode(key.public_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::ContentUntrustedKey(envelope.key_id.clone()))?;
    let key = VerifyingKey::from_bytes(&key_bytes).map_err(|_| Error::ContentUntrustedKey(envelope.key_id.clone()))?;
    let signature: [u8; 64] =
        BASE64.decode(signature.trim()).ok().and_then(|b| b.try_into().ok()).ok_or(Error::ContentBadSignature)?;
    key.verify(envelope.payload.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| Error::ContentBadSignature)?;
    Ok(envelope.payload)
}

/// Opens a signed envelope on an enrolled phone: only a pack signed with `pinned`, the key its
/// enrollment QR named, is accepted; another institution's key is refused by name
/// (`content_key_not_pinned`), whatever keys the app has compiled in.
pub fn open_pinned(text: &str, pinned: &TrustedKey) -> Result<String> {
    let envelope: Envelope =
        serde_json::from_str(text).map_err(|e| invalid(format!("это не подписанный пакет инструкций ({e})")))?;
    if envelope.key_id != pinned.key_id {
        return Err(Error::ContentKeyNotPinned { key_id: envelope.key_id, pinned: pinned.key_id.clone() });
    }
    open_envelope(text, std::slice::from_ref(pinned))
}

/// Whether `key` is an ed25519 public key (base64 of 32 bytes) with a non-empty id: what an
/// enrollment QR may pin.
pub fn check_key(key: &TrustedKey) -> Result<()> {
    let bytes: Option<[u8; 32]> = BASE64.decode(key.public_key.trim()).ok().and_then(|b| b.try_into().ok());
    match bytes.map(|b| VerifyingKey::from_bytes(&b)) {
        Some(Ok(_)) if !key.key_id.trim().is_empty() => Ok(()),
        _ => Err(Error::ContentKeyInvalid),
    }
}

/// Signs `payload` (a pack document) with `key` into the envelope that travels (what
/// `lgota-pack sign` writes).
pub fn seal(key: &SigningKey, key_id: &str, payload: &str) -> String {
    let envelope = Envelope {
        key_id: key_id.into(),
        signature: Some(BASE64.encode(key.sign(payload.as_bytes()).to_bytes())),
        payload: payload.into(),
    };
    serde_json::to_string(&envelope).expect("an envelope of strings serialises")
}

/// The [`TrustedKey`] entry of `key` (what `lgota-pack keygen` prints).
pub fn trusted_key(key_id: &str, key: &SigningKey) -> TrustedKey {
    TrustedKey { key_id: key_id.into(), public_key: BASE64.encode(key.verifying_key().as_bytes()) }
}

/// Fixed keys and packs for tests of the phone and the server (never trusted by a build).
pub mod testing {
    use super::*;

    /// A deterministic signing key and its trusted entry `test-{seed}`.
    pub fn test_key(seed: u8) -> (SigningKey, TrustedKey) {
        let signing = SigningKey::from_bytes(&[seed; 32]);
        let trusted = trusted_key(&format!("test-{seed}"), &signing);
        (signing, trusted)
    }

    pub fn sign(signing: &SigningKey, key_id: &str, payload: &str) -> String {
        seal(signing, key_id, payload)
    }

    /// The bundled pack's document with another version.
    pub fn bundled_with_version(version: u32) -> String {
        let mut pack: serde_json::Value = serde_json::from_str(BUNDLED_PACK).expect("bundled pack");
        pack["version"] = version.into();
        pack.to_string()
    }

    /// The bundled pack's document.
    pub fn bundled_json() -> &'static str {
        BUNDLED_PACK
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn bundled_pack_agrees_with_the_bundled_config() {
        let config = Config::bundled();
        let pack = ContentPack::parse(BUNDLED_PACK, &config).unwrap();
        assert_eq!(pack, ContentPack::bundled());
        for category in &config.categories {
            for doc in &category.document_type_ids {
                assert!(pack.checklist(doc).is_some(), "checklist for {doc} ({})", category.id);
            }
        }
        assert_eq!(pack.format, 2);
        assert!(pack.articles.iter().any(|a| a.id == pack.citizen_guide && a.section == Section::Citizen));
        for id in ["did-success", "goskan-error-paper", "no-internet", "prefers-paper", "photo-mismatch"] {
            assert!(pack.scenario(id).is_some(), "scenario {id}");
        }
        assert!(pack.regulation.sections.len() >= 5, "the full regulation");
        trusted_keys();
    }

    /// A pack of format 1 (checklists per category) is refused with a message that says why.
    #[test]
    fn format_1_is_refused_with_a_clear_message() {
        let mut pack: serde_json::Value = serde_json::from_str(BUNDLED_PACK).unwrap();
        pack["format"] = 1.into();
        pack["checklists"] = serde_json::json!([{
            "category_id": "pensioner",
            "documents": ["pension_certificate"],
            "checks": ["Фото совпадает"]
        }]);
        let err = ContentPack::parse(&pack.to_string(), &Config::bundled()).unwrap_err();
        assert_eq!(err.code(), "content_invalid");
        let message = err.to_string();
        assert!(message.contains("формата 1") && message.contains("для каждого бумажного документа"), "{message}");
    }

    /// Every category × document pair of the bundled configuration has its own checklist, and no
    /// item (nor the hint) of document A names what is distinctive of another document B of the
    /// same category: a word of B's name that A's name does not share (compared by its first
    /// five letters, so «справку» is «справка»).
    #[test]
    fn each_documents_checklist_mentions_no_other_document() {
        fn stems(text: &str) -> Vec<String> {
            text.split(|c: char| !c.is_alphabetic())
                .filter(|w| w.chars().count() >= 3)
                .map(|w| w.to_lowercase().replace('ё', "е").chars().take(5).collect())
                .collect()
        }
        const GENERIC: &[&str] = &["докум", "подтв", "выдав"];
        let config = Config::bundled();
        let pack = ContentPack::bundled();
        let mut pairs = 0;
        for category in &config.categories {
            for a in &category.document_type_ids {
                pairs += 1;
                let list = pack.checklist(a).unwrap_or_else(|| panic!("no checklist for {a}"));
                assert!(!list.checks.is_empty());
                let a_name = stems(&config.document_type(a).unwrap().name);
                for b in category.document_type_ids.iter().filter(|b| *b != a) {
                    let b_name = &config.document_type(b).unwrap().name;
                    let distinctive: Vec<String> = stems(b_name)
                        .into_iter()
                        .filter(|s| !a_name.contains(s) && !GENERIC.contains(&s.as_str()))
                        .collect();
                    for item in list.checks.iter().chain(list.hint.iter()) {
                        let found: Vec<&String> =
                            stems(item).iter().filter_map(|s| distinctive.iter().find(|d| *d == s)).collect();
                        assert!(
                            found.is_empty(),
                            "{}: the checklist of «{a}» says «{item}», which names «{b_name}» ({found:?})",
                            category.id
                        );
                    }
                }
            }
        }
        assert_eq!(pairs, 13, "every category × document pair was walked");
    }

    #[test]
    fn signatures_are_checked() {
        let (signing, trusted) = test_key(7);
        let (other, _) = test_key(8);
        let payload = bundled_with_version(2);
        let keys = [trusted.clone()];
        assert_eq!(open_envelope(&sign(&signing, &trusted.key_id, &payload), &keys).unwrap(), payload);
        let code = |text: &str| open_envelope(text, &keys).unwrap_err().code();
        assert_eq!(code("not json"), "content_invalid");
        assert_eq!(code(&payload), "content_invalid", "a bare pack is not an envelope");
        let unsigned = serde_json::json!({"key_id": trusted.key_id, "payload": payload}).to_string();
        assert_eq!(code(&unsigned), "content_unsigned");
        assert_eq!(code(&sign(&signing, "someone-else", &payload)), "content_untrusted_key");
        assert_eq!(code(&sign(&other, &trusted.key_id, &payload)), "content_bad_signature");
        let mut tampered: Envelope = serde_json::from_str(&sign(&signing, &trusted.key_id, &payload)).unwrap();
        tampered.payload = tampered.payload.replacen("Госкан", "Гоcкан", 1);
        assert_eq!(code(&serde_json::to_string(&tampered).unwrap()), "content_bad_signature");
    }

    #[test]
    fn a_pinned_key_admits_its_own_packs_only() {
        let (a, a_trusted) = test_key(1);
        let (b, b_trusted) = test_key(2);
        let payload = bundled_with_version(5);
        assert_eq!(open_pinned(&sign(&a, &a_trusted.key_id, &payload), &a_trusted).unwrap(), payload);
        let foreign = open_pinned(&sign(&b, &b_trusted.key_id, &payload), &a_trusted).unwrap_err();
        assert_eq!(foreign.code(), "content_key_not_pinned");
        assert!(foreign.to_string().contains("«test-2» другого учреждения"), "{foreign}");
        // B's key under A's id: the signature does not verify.
        assert_eq!(
            open_pinned(&sign(&b, &a_trusted.key_id, &payload), &a_trusted).unwrap_err().code(),
            "content_bad_signature"
        );
        assert!(check_key(&a_trusted).is_ok());
        let broken = TrustedKey { key_id: "x".into(), public_key: "AAAA".into() };
        assert_eq!(check_key(&broken).unwrap_err().code(), "content_key_invalid");
    }

    #[test]
    fn agreement_is_checked_apart_from_the_pack_itself() {
        let mut config = Config::bundled();
        let pack = ContentPack::parse_alone(bundled_json()).unwrap();
        assert!(pack.agrees_with(&config).is_ok());
        let mut category = config.categories[0].clone();
        category.id = "new_category".into();
        category.document_type_ids = vec!["new_document".into()];
        config
            .document_types
            .push(crate::config::Named { id: "new_document".into(), name: "Новый документ".into() });
        config.categories.push(category);
        let e = pack.agrees_with(&config).unwrap_err();
        assert_eq!(e.code(), "content_mismatch");
        assert!(e.to_string().contains("new_document"), "{e}");
        assert_eq!(ContentPack::parse(bundled_json(), &config).unwrap_err().code(), "content_mismatch");
    }

    #[test]
    fn packs_that_disagree_or_break_rules_are_refused() {
        let config = Config::bundled();
        let edit = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut pack: serde_json::Value = serde_json::from_str(BUNDLED_PACK).unwrap();
            f(&mut pack);
            ContentPack::parse(&pack.to_string(), &config).unwrap_err().code()
        };
        assert_eq!(edit(&|p| p["format"] = 3.into()), "content_invalid");
        assert_eq!(edit(&|p| p["checklists"].as_array_mut().unwrap().truncate(1)), "content_mismatch");
        // A document of the configuration without its checklist.
        assert_eq!(
            edit(&|p| p["checklists"].as_array_mut().unwrap().retain(|c| c["document_type_id"] != "large_family_card")),
            "content_mismatch"
        );
        assert_eq!(edit(&|p| p["checklists"][0]["document_type_id"] = "spacesuit".into()), "content_mismatch");
        assert_eq!(
            edit(&|p| p["checklists"][1]["document_type_id"] = p["checklists"][0]["document_type_id"].clone()),
            "content_mismatch"
        );
        assert_eq!(edit(&|p| p["checklists"][0]["checks"] = serde_json::json!([])), "content_invalid");
        // The old per-category shape is not a format-2 checklist.
        assert_eq!(edit(&|p| p["checklists"][0]["category_id"] = "pensioner".into()), "content_invalid");
        assert_eq!(edit(&|p| p["citizen_guide"] = "nope".into()), "content_invalid");
        assert_eq!(
            edit(&|p| p["articles"][0]["blocks"][0] = serde_json::json!({"type": "video", "url": "x"})),
            "content_invalid"
        );
        let all_correct = |p: &mut serde_json::Value| {
            for o in p["training"][0]["steps"][0]["options"].as_array_mut().unwrap() {
                o["correct"] = true.into();
            }
        };
        assert_eq!(edit(&all_correct), "content_invalid");
        assert_eq!(
            edit(&|p| p["training"][0]["record"] =
                serde_json::json!({"kind": "digital_id_confirmed", "category_id": "astronaut"})),
            "content_mismatch"
        );
        assert_eq!(edit(&|p| p["articles"][1]["id"] = p["articles"][0]["id"].clone()), "content_invalid");
    }
}
