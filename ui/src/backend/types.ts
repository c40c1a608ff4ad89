// Types of the Rust ↔ UI command contract. JSON field names are snake_case
// exactly as serialized by the Rust side.

export interface Named {
  id: string;
  name: string;
}

export interface Category {
  id: string;
  name: string;
  document_type_ids: string[];
}

export interface Config {
  version: number;
  branches: Named[];
  categories: Category[];
  document_types: Named[];
  failure_reasons: Named[];
  /** common notes, one tap each during a check (set by the central office; absent: none) */
  note_chips?: string[];
}

export interface EventInfo {
  id: string;
  title: string;
  /** YYYY-MM-DD */
  date: string;
}

export interface Settings {
  branch_id: string;
  /** from the configuration, or as the server named it at enrollment (before a configuration lists it) */
  branch_name: string;
  staff_label: string;
  event: EventInfo | null;
  /** training mode: new records are saved as training records */
  training: boolean;
}

export interface AppState {
  device_id: string;
  /** null => first start: show the setup screen */
  settings: Settings | null;
  config: Config;
}

export interface NewEvent {
  title: string;
  /** YYYY-MM-DD */
  date: string;
}

export interface SetupInput {
  branch_id: string;
  staff_label: string;
  event: NewEvent | null;
}

/** Only for paper documents: what the checklist step adds to a check. */
export interface PaperCheck {
  /** every item of the category's checklist was ticked */
  checklist_completed?: boolean;
  /** default true; false => the document was shown but not accepted → outcome paper_rejected */
  accepted?: boolean;
}

export type CheckInput =
  | { kind: 'digital_id_confirmed'; category_id: string; note?: string | null }
  | ({
      kind: 'digital_id_failed';
      reason_id: string;
      category_id?: string | null;
      /** set (with category_id) => paper document shown; null => no document */
      document_type_id?: string | null;
      note?: string | null;
    } & PaperCheck)
  | ({ kind: 'paper'; category_id: string; document_type_id: string; note?: string | null } & PaperCheck)
  | { kind: 'refused'; category_id?: string | null; note?: string | null };

export type Method = 'digital_id' | 'paper' | 'svo_qr' | 'none';
export type Outcome = 'confirmed' | 'paper_shown' | 'paper_rejected' | 'no_document' | 'refused';

export interface RecordView {
  id: string;
  created_at_ms: number;
  /** "HH:MM", device-local */
  local_time: string;
  method: Method;
  outcome: Outcome;
  granted: boolean;
  category_id: string | null;
  failure_reason_id: string | null;
  document_type_id: string | null;
  /** null when no checklist step applied (or an older record) */
  checklist_completed: boolean | null;
  note: string | null;
  training: boolean;
  voided: boolean;
  void_reason: string | null;
  undoable_until_ms: number;
}

export interface Tally {
  digital_id: number;
  paper: number;
  not_granted: number;
  total: number;
  voided: number;
}

export type Scope = { kind: 'event'; event: EventInfo } | { kind: 'today'; date: string };

export interface Overview {
  scope: Scope;
  /** real checks only: training records are never counted here */
  tally: Tally;
  /** training checks in scope, not voided */
  training_count: number;
  /** today's checks, newest first; voided ones included with voided=true */
  records: RecordView[];
}

export interface CommandError {
  code: string;
  /** Russian, shown to the user as is */
  message: string;
}

// ---- content pack (see docs/content-pack.md) ----

export type Block = { type: 'p' | 'note'; text: string } | { type: 'steps' | 'list'; items: string[] };

export type ArticleSection = 'staff' | 'citizen' | 'failures';

export interface Article {
  id: string;
  section: ArticleSection;
  title: string;
  blocks: Block[];
}

/** The checks of one paper document type (content pack format 2). */
export interface Checklist {
  document_type_id: string;
  checks: string[];
  hint?: string | null;
}

export interface RegulationSection {
  heading: string;
  paragraphs: string[];
}

export interface Regulation {
  title: string;
  approved: string;
  sections: RegulationSection[];
}

export interface TrainingOption {
  text: string;
  correct: boolean;
  feedback: string;
}

export interface TrainingStep {
  situation: string;
  question: string;
  options: TrainingOption[];
}

export interface TrainingScenario {
  id: string;
  title: string;
  steps: TrainingStep[];
  record: CheckInput;
}

export interface ContentPack {
  format: number;
  version: number;
  title: string;
  /** YYYY-MM-DD */
  published: string;
  /** id of an article of the `citizen` section */
  citizen_guide: string;
  articles: Article[];
  checklists: Checklist[];
  regulation: Regulation;
  training: TrainingScenario[];
}

export interface ContentRefusal {
  code: string;
  message: string;
  at_ms: number;
}

export interface ContentState {
  pack: ContentPack;
  source: 'bundled' | 'installed';
  last_refusal: ContentRefusal | null;
}

export interface SearchHit {
  kind: 'article' | 'checklist' | 'regulation' | 'training';
  /** article id | category_id | regulation section index ("0", "1", …) | scenario id */
  id: string;
  title: string;
  snippet: string;
}

// ---- sync with the central server ----

export interface SyncProblem {
  code: string;
  /** Russian, what went wrong */
  message: string;
  /** Russian, what the librarian should do about it */
  advice: string;
  at_ms: number;
}

export interface SyncProgress {
  running: boolean;
  sent: number;
  remaining: number;
}

/** A record the server did not store (lgota-core `AttentionItem`): «Требуют внимания». */
export interface AttentionItem {
  record_id: string;
  /** refused by the server's rules, or the server holds another record with this id */
  status: 'refused' | 'conflict';
  /** the server's code: personal_data, invalid_record, too_long, wrong_branch, wrong_device,
   *  void_target_foreign, conflict, training_record, void_reason_required, empty_staff_label… */
  code: string;
  /** Russian, the server's words */
  message: string;
  /** Russian, what the librarian can do about it */
  advice: string;
  /** when the record was made, on this phone's clock: 'dd.mm.yyyy HH:MM' */
  made_at: string;
  /** a check (not a void) that can still be voided here */
  can_void: boolean;
  /** voided on this phone since: nothing more to do */
  voided: boolean;
}

export interface SyncView {
  /** null = not enrolled with the central server */
  server: string | null;
  /** records not yet acknowledged by the server */
  pending: number;
  last_success_ms: number | null;
  /** how the last attempt failed (null after a success) */
  problem: SyncProblem | null;
  /** records the server did not store, newest first */
  attention: AttentionItem[];
  /** this phone's clock minus the server's at the last answer (ms), when known */
  clock_skew_ms: number | null;
  /** Russian, set when the phone's clock is off by more than 10 minutes */
  clock_warning: string | null;
  progress: SyncProgress;
}

/** Either `uri` (the text of the enrollment QR code) or `server` + `code` typed by hand. */
export interface EnrollInput {
  uri?: string | null;
  server?: string | null;
  code?: string | null;
}

export interface ExportResult {
  path: string;
  count: number;
}

// ---- app lock (issue 7) ----

/** lock_status and every lock command answer with this. */
export interface LockStatus {
  /** a PIN is set: the app locks at start, when hidden and after the idle time */
  pin_set: boolean;
  /** locked right now (the backend refuses record lists, voids and settings) */
  locked: boolean;
  /** one of LOCK_IDLE_CHOICES */
  idle_seconds: number;
  /** «Запись без разблокировки»: the recording buttons work while locked */
  record_while_locked: boolean;
  /** milliseconds until the next PIN attempt is allowed (0: now) */
  wait_ms: number;
  /** the phone can unlock with a fingerprint or face (never on the desktop) */
  biometric: boolean;
}
