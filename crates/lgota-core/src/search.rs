//! Offline search across the content pack, tolerant of Russian word endings: each query word is
//! cut to a stem (common endings removed) and matches any word of the text that starts with it,
//! so «пенсион» finds «пенсионер» and «пенсионное», and «пенсионерам» finds «пенсионер».

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::content::ContentPack;

pub const MAX_HITS: usize = 30;
const SNIPPET_CHARS: usize = 70;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    Article,
    Checklist,
    Regulation,
    Training,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    pub kind: HitKind,
    /// Article id, category id, regulation section index, or scenario id.
    pub id: String,
    pub title: String,
    pub snippet: String,
}

/// Russian endings, longest first; removed only when at least four letters remain.
const ENDINGS: &[&str] = &[
    "иями", "ями", "ами", "ого", "его", "ому", "ему", "ыми", "ими", "ией", "иям", "иях", "ой", "ей", "ий", "ый", "ая",
    "яя", "ое", "ее", "ые", "ие", "ых", "их", "ую", "юю", "ам", "ям", "ах", "ях", "ом", "ем", "ов", "ев", "ью", "а",
    "я", "о", "е", "ы", "и", "у", "ю", "ь", "й",
];

/// Lower case, «ё» as «е», and each Latin letter that has a Cyrillic twin (A B C E H K M O P T X
/// Y) as that twin: the regulation writes «МАХ» in Cyrillic, guides and people often write MAX in
/// Latin, and a search for one finds the other. Query and text are normalised alike, one
/// character for one (the snippet relies on it).
fn normalize(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ё' => 'е',
            'a' => 'а',
            'b' => 'в',
            'c' => 'с',
            'e' => 'е',
            'h' => 'н',
            'k' => 'к',
            'm' => 'м',
            'o' => 'о',
            'p' => 'р',
            't' => 'т',
            'x' => 'х',
            'y' => 'у',
            c => c,
        })
        .collect()
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// The search stem of one (normalised) query word.
pub fn stem(word: &str) -> String {
    let len = word.chars().count();
    for ending in ENDINGS {
        if let Some(base) = word.strip_suffix(ending) {
            if len - ending.chars().count() >= 4 {
                return base.to_owned();
            }
        }
    }
    word.to_owned()
}

struct Doc {
    kind: HitKind,
    id: String,
    title: String,
    body: Vec<String>,
}

fn documents(pack: &ContentPack, config: &Config) -> Vec<Doc> {
    let mut docs = Vec::new();
    for a in &pack.articles {
        let body = a.blocks.iter().flat_map(|b| b.texts()).map(str::to_owned).collect();
        docs.push(Doc { kind: HitKind::Article, id: a.id.clone(), title: a.title.clone(), body });
    }
    for c in &pack.checklists {
        let doc = config.document_type(&c.document_type_id).map_or(c.document_type_id.as_str(), |d| d.name.as_str());
        // The categories the document proves are searchable too («пенсионер» finds its documents).
        let mut body: Vec<String> = config
            .categories
            .iter()
            .filter(|cat| cat.document_type_ids.contains(&c.document_type_id))
            .map(|cat| cat.name.clone())
            .collect();
        body.extend(c.checks.iter().cloned());
        body.extend(c.hint.iter().cloned());
        docs.push(Doc {
            kind: HitKind::Checklist,
            id: c.document_type_id.clone(),
            title: format!("Бумажный документ: {doc}"),
            body,
        });
    }
    for (i, s) in pack.regulation.sections.iter().enumerate() {
        docs.push(Doc {
            kind: HitKind::Regulation,
            id: i.to_string(),
            title: format!("Положение: {}", s.heading),
            body: s.paragraphs.clone(),
        });
    }
    for t in &pack.training {
        let mut body = Vec::new();
        for step in &t.steps {
            body.push(step.situation.clone());
            body.push(step.question.clone());
        }
        docs.push(Doc {
            kind: HitKind::Training, id: t.id.clone(), title: format!("Обучение: {}", t.title), body
        });
    }
    docs
}

/// How often words of `text` start with `stem`.
fn count(text: &str, stem: &str) -> usize {
    words(text).filter(|w| w.starts_with(stem)).count()
}

/// Up to [`MAX_HITS`] hits, best first. Every query word must match somewhere in a hit.
pub fn search(pack: &ContentPack, config: &Config, query: &str) -> Vec<SearchHit> {
    let query = normalize(query);
    let stems: Vec<String> = words(&query).map(stem).collect();
    if stems.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(usize, usize, SearchHit)> = Vec::new();
    for (order, doc) in documents(pack, config).into_iter().enumerate() {
        let title = normalize(&doc.title);
        let body: Vec<String> = doc.body.iter().map(|t| normalize(t)).collect();
        let mut score = 0;
        let mut all = true;
        for s in &stems {
            let hits = 3 * count(&title, s) + body.iter().map(|t| count(t, s)).sum::<usize>();
            all &= hits > 0;
            score += hits;
        }
        if !all {
            continue;
        }
        let snippet = body
            .iter()
            .zip(&doc.body)
            .find(|(n, _)| stems.iter().any(|s| count(n, s) > 0))
            .map(|(n, original)| snippet(original, n, &stems))
            .unwrap_or_default();
        scored.push((score, order, SearchHit { kind: doc.kind, id: doc.id, title: doc.title, snippet }));
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(MAX_HITS).map(|(_, _, hit)| hit).collect()
}

/// A window of `original` around the first matching word. `normalized` has the same characters
/// one for one (lower-casing Russian and Latin letters keeps the count), so char positions agree.
fn snippet(original: &str, normalized: &str, stems: &[String]) -> String {
    let chars: Vec<char> = original.chars().collect();
    let norm: Vec<char> = normalized.chars().collect();
    if chars.len() != norm.len() {
        return chars.iter().take(2 * SNIPPET_CHARS).collect();
    }
    let mut at = 0;
    let mut i = 0;
    'outer: while i < norm.len() {
        if norm[i].is_alphanumeric() && (i == 0 || !norm[i - 1].is_alphanumeric()) {
            let word: String = norm[i..].iter().take_while(|c| c.is_alphanumeric()).collect();
            if stems.iter().any(|s| word.starts_with(s.as_str())) {
                at = i;
                break 'outer;
            }
        }
        i += 1;
    }
    let start = at.saturating_sub(SNIPPET_CHARS / 2);
    let end = (start + SNIPPET_CHARS * 2).min(chars.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(query: &str) -> Vec<SearchHit> {
        let config = Config::bundled();
        search(&ContentPack::bundled(), &config, query)
    }

    #[test]
    fn stems_cut_endings_but_keep_short_words() {
        assert_eq!(stem("пенсионерам"), "пенсионер");
        assert_eq!(stem("удостоверения"), "удостоверени");
        assert_eq!(stem("пенсион"), "пенсион");
        assert_eq!(stem("мфц"), "мфц");
    }

    #[test]
    fn a_prefix_finds_its_word_forms() {
        let hits = find("пенсион");
        assert!(hits.iter().any(|h| h.kind == HitKind::Checklist && h.id == "pension_certificate"), "{hits:#?}");
        let snippets = hits.iter().map(|h| normalize(&h.snippet)).collect::<Vec<_>>().join(" ");
        assert!(snippets.contains("пенсионер") || snippets.contains("пенсионн"), "{snippets}");
        // An inflected query finds the same checklist.
        assert!(find("пенсионерам").iter().any(|h| h.id == "pensioner_card"));
        assert!(find("Пенсионное удостоверение").iter().any(|h| h.id == "pension_certificate"));
        // A document's checklist is found by the category it proves.
        assert!(find("многодетная").iter().any(|h| h.id == "birth_certificates_with_passport"));
    }

    #[test]
    fn every_kind_of_content_is_searchable() {
        assert!(find("Госкан").iter().any(|h| h.kind == HitKind::Article));
        assert!(find("скриншот").iter().any(|h| h.kind == HitKind::Article));
        assert!(find("конфиденциальность")
            .iter()
            .chain(find("разглашать").iter())
            .any(|h| h.kind == HitKind::Regulation));
        assert!(find("интернета").iter().any(|h| h.kind == HitKind::Training));
    }

    #[test]
    fn max_in_cyrillic_and_in_latin_letters_find_the_same() {
        // The regulation writes «МАХ» (Cyrillic), the guides MAX (Latin).
        assert_eq!(normalize("MAX"), normalize("МАХ"));
        assert_eq!(normalize("Max"), normalize("мах"));
        let latin = find("MAX");
        let cyrillic = find("МАХ");
        assert!(!latin.is_empty());
        assert_eq!(latin, cyrillic);
        assert!(latin.iter().any(|h| h.kind == HitKind::Regulation), "the regulation's «МАХ»: {latin:#?}");
        assert!(latin.iter().any(|h| h.kind == HitKind::Article), "the guides' MAX: {latin:#?}");
        assert_eq!(find("платформе MAX"), find("платформе МАХ"));
        // The snippet is cut from the original text, whichever script it uses.
        assert!(latin.iter().any(|h| h.snippet.contains("МАХ")) && latin.iter().any(|h| h.snippet.contains("MAX")));
    }

    #[test]
    fn nothing_for_nonsense_or_empty() {
        assert!(find("").is_empty());
        assert!(find("   ,. ").is_empty());
        assert!(find("квазар").is_empty());
        assert!(find("пенсион квазар").is_empty(), "all words must match");
    }
}
