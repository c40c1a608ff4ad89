//! HTML of informing and training (issue 16; §5.1 of the regulation: inform citizens and staff,
//! train staff): «Материалы» — the citizen notice for the entrance and the staff памятка, both
//! made from the published content pack and printed on A4 (`print.html`: no navigation, the
//! stylesheet's `body.sheet` rules, `@page` A4) — and «Обучение»: who has been trained, by
//! branch, with a printable «лист ознакомления» per branch.

use askama::Template;
use lgota_domain::content::{Article, Block, Section};
use lgota_domain::{Config, ContentPack};

use super::pages::{local_text, Choice};
use super::templates::{render, Frame, STYLESHEET_PATH};
use crate::http::state::Ctx;
use crate::report::names::ru_date_text;
use crate::service::training::Trainee;
use crate::store::Role;

/// Blank rows after the trained staff on a «лист ознакомления», for those who sign without
/// having trained in the app yet.
pub const SHEET_BLANK_ROWS: usize = 6;

/// One block of an article, flattened for the templates.
struct BlockView<'a> {
    /// `p`, `note`, `steps` or `list`.
    kind: &'static str,
    text: &'a str,
    items: &'a [String],
}

struct ArticleView<'a> {
    title: &'a str,
    blocks: Vec<BlockView<'a>>,
}

fn article(a: &Article) -> ArticleView<'_> {
    let blocks = a
        .blocks
        .iter()
        .map(|b| match b {
            Block::P { text } => BlockView { kind: "p", text, items: &[] },
            Block::Note { text } => BlockView { kind: "note", text, items: &[] },
            Block::Steps { items } => BlockView { kind: "steps", text: "", items },
            Block::List { items } => BlockView { kind: "list", text: "", items },
        })
        .collect();
    ArticleView { title: &a.title, blocks }
}

/// What a printed sheet says about its source: the pack's title, version and date.
struct Source<'a> {
    pack_title: &'a str,
    version: u32,
    published: String,
    approved: &'a str,
}

fn source(pack: &ContentPack) -> Source<'_> {
    Source {
        pack_title: &pack.title,
        version: pack.version,
        published: ru_date_text(&pack.published),
        approved: &pack.regulation.approved,
    }
}

/// The frame of a printed sheet: its title, where «←» leads back.
struct PrintFrame<'a> {
    title: String,
    stylesheet: &'static str,
    back: &'a str,
    back_label: &'a str,
    /// The `body` class after `sheet`: which sheet (`notice`, `memo`, `signatures`).
    kind: &'static str,
}

fn print_frame<'a>(title: &str, back: &'a str, back_label: &'a str, kind: &'static str) -> PrintFrame<'a> {
    PrintFrame {
        title: format!("{title} — «Льгота»"), stylesheet: STYLESHEET_PATH.as_str(), back, back_label, kind
    }
}

fn frame<'a>(ctx: &Ctx<'a>, active: &str, title: &str) -> Frame<'a> {
    Frame::signed_in(&ctx.session.admin, &ctx.session.csrf, ctx.names, active, title)
}

#[derive(Template)]
#[template(path = "materials.html")]
struct MaterialsPage<'a> {
    frame: Frame<'a>,
    institution: &'a str,
    source: Source<'a>,
    /// The pack compiled into the app: none published yet.
    bundled: bool,
}

/// «Материалы»: what can be printed, and from which pack.
pub fn materials(ctx: &Ctx, institution: &str, pack: &ContentPack, bundled: bool) -> String {
    render(&MaterialsPage {
        frame: frame(ctx, "/materials", "Материалы"), institution, source: source(pack), bundled
    })
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage<'a> {
    frame: PrintFrame<'a>,
    institution: &'a str,
    source: Source<'a>,
    /// The pack's citizen guide («Показать гражданину»), then the other citizen articles.
    articles: Vec<ArticleView<'a>>,
}

/// The citizen notice for the entrance: one A4 page.
pub fn notice<'a>(institution: &'a str, pack: &'a ContentPack) -> String {
    let guide = pack.articles.iter().filter(|a| a.id == pack.citizen_guide);
    let others = pack.articles.iter().filter(|a| a.section == Section::Citizen && a.id != pack.citizen_guide);
    render(&NoticePage {
        frame: print_frame("Объявление для посетителей", "/materials", "К материалам", "notice"),
        institution,
        source: source(pack),
        articles: guide.chain(others).map(article).collect(),
    })
}

/// A paper document's checks on the памятка.
struct DocChecks<'a> {
    name: String,
    checks: &'a [String],
    hint: Option<&'a str>,
}

/// A category and its documents' checks.
struct CategoryChecks<'a> {
    name: &'a str,
    documents: Vec<DocChecks<'a>>,
}

#[derive(Template)]
#[template(path = "memo.html")]
struct MemoPage<'a> {
    frame: PrintFrame<'a>,
    institution: &'a str,
    source: Source<'a>,
    staff: Vec<ArticleView<'a>>,
    failures: Vec<ArticleView<'a>>,
    categories: Vec<CategoryChecks<'a>>,
}

/// The staff памятка: two A4 pages — the Госкан check, failures, the paper checklists (each
/// document once, under the first category that lists it), confidentiality.
pub fn memo<'a>(institution: &'a str, pack: &'a ContentPack, config: &'a Config) -> String {
    let of = |section: Section| pack.articles.iter().filter(move |a| a.section == section).map(article).collect();
    let mut shown = std::collections::HashSet::new();
    let doc = |id: &str| {
        let checklist = pack.checklist(id)?;
        let name = config.document_types.iter().find(|d| d.id == id).map_or_else(|| id.to_string(), |d| d.name.clone());
        Some(DocChecks { name, checks: &checklist.checks, hint: checklist.hint.as_deref() })
    };
    let mut categories: Vec<CategoryChecks> = config
        .categories
        .iter()
        .map(|c| CategoryChecks {
            name: &c.name,
            documents: c
                .document_type_ids
                .iter()
                .filter(|id| shown.insert(id.as_str()))
                .filter_map(|id| doc(id))
                .collect(),
        })
        .filter(|c| !c.documents.is_empty())
        .collect();
    let rest: Vec<DocChecks> = pack
        .checklists
        .iter()
        .filter(|c| !shown.contains(c.document_type_id.as_str()))
        .filter_map(|c| doc(&c.document_type_id))
        .collect();
    if !rest.is_empty() {
        categories.push(CategoryChecks { name: "Другие документы", documents: rest });
    }
    render(&MemoPage {
        frame: print_frame("Памятка сотруднику", "/materials", "К материалам", "memo"),
        institution,
        source: source(pack),
        staff: of(Section::Staff),
        failures: of(Section::Failures),
        categories,
    })
}

/// A scenario a trainee finished, in words.
struct ScenarioLine<'a> {
    title: &'a str,
    when: String,
    best: u32,
    steps: u32,
    runs: u32,
}

struct TraineeLine<'a> {
    label: &'a str,
    /// Scenarios of the published pack finished.
    done: usize,
    scenarios: Vec<ScenarioLine<'a>>,
    last: String,
}

/// A branch of the training page and its trainees.
struct BranchTraining<'a> {
    id: &'a str,
    name: &'a str,
    trainees: Vec<TraineeLine<'a>>,
}

#[derive(Template)]
#[template(path = "training.html")]
struct TrainingPage<'a> {
    frame: Frame<'a>,
    branch_filter: Option<Vec<Choice>>,
    branches: Vec<BranchTraining<'a>>,
    /// Scenarios of the published pack.
    total: usize,
    institution: &'a str,
}

fn trainee_line<'a>(ctx: &Ctx, t: &'a Trainee, pack: &ContentPack) -> TraineeLine<'a> {
    TraineeLine {
        label: &t.staff_label,
        done: pack.training.iter().filter(|s| t.scenarios.iter().any(|d| d.scenario_id == s.id)).count(),
        scenarios: t
            .scenarios
            .iter()
            .map(|s| ScenarioLine {
                title: &s.title,
                when: local_text(ctx.tz, s.last_ms),
                best: s.best_correct,
                steps: s.steps,
                runs: s.runs,
            })
            .collect(),
        last: local_text(ctx.tz, t.last_ms),
    }
}

/// «Обучение»: `branch_ids` are the branches shown (a branch head's own only), each with its
/// trainees.
pub fn training<'a>(
    ctx: &'a Ctx,
    trainees: &'a [Trainee],
    branch_ids: &'a [String],
    all_branch_ids: &[String],
    selected: &str,
    pack: &ContentPack,
    institution: &'a str,
) -> String {
    let branches = branch_ids
        .iter()
        .map(|id| BranchTraining {
            id,
            name: ctx.names.branch(id),
            trainees: trainees.iter().filter(|t| &t.branch_id == id).map(|t| trainee_line(ctx, t, pack)).collect(),
        })
        .collect();
    let admin = ctx.session.admin.role == Role::Admin;
    let branch_filter = admin.then(|| {
        all_branch_ids
            .iter()
            .map(|id| Choice { value: id.clone(), text: ctx.names.branch(id).to_string(), selected: id == selected })
            .collect()
    });
    render(&TrainingPage {
        frame: frame(ctx, "/training", "Обучение"),
        branch_filter,
        branches,
        total: pack.training.len(),
        institution,
    })
}

#[derive(Template)]
#[template(path = "training_sheet.html")]
struct SheetPage<'a> {
    frame: PrintFrame<'a>,
    institution: &'a str,
    source: Source<'a>,
    regulation: &'a str,
    branch: &'a str,
    trainees: Vec<TraineeLine<'a>>,
    total: usize,
    /// Numbers of the blank rows.
    blanks: Vec<usize>,
}

/// The «лист ознакомления» of a branch: the trained staff by their label, with columns for the
/// name, the date and the signature written by hand (names are not kept by the server).
pub fn training_sheet<'a>(
    ctx: &'a Ctx,
    institution: &'a str,
    branch_id: &str,
    trainees: &'a [Trainee],
    pack: &'a ContentPack,
) -> String {
    let trainees: Vec<TraineeLine> =
        trainees.iter().filter(|t| t.branch_id == branch_id).map(|t| trainee_line(ctx, t, pack)).collect();
    let blanks = (trainees.len() + 1..=trainees.len() + SHEET_BLANK_ROWS).collect();
    render(&SheetPage {
        frame: print_frame("Лист ознакомления", "/training", "К обучению", "signatures"),
        institution,
        source: source(pack),
        regulation: &pack.regulation.title,
        branch: ctx.names.branch(branch_id),
        trainees,
        total: pack.training.len(),
        blanks,
    })
}
