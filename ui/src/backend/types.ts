// Types of the Rust ↔ UI command contract. They are generated from the Rust types (serde
// attributes honoured, so JSON field names are snake_case exactly as serialized) into
// `bindings/` by src-tauri/src/bindings.rs — never edit those by hand: change the Rust type and
// run `npm run gen:types`; `cargo test` fails while the committed bindings are out of step.
// Here they are re-exported under the names the UI uses; only UI-side types are written by hand.

export type {
  AppState,
  Article,
  AttentionItem,
  Block,
  Category,
  CategoryKind,
  CheckInput,
  Checklist,
  CommandError,
  Config,
  DevicePolicy,
  ContentPack,
  ContentState,
  EnrollInput,
  EventInfo,
  ExportResult,
  LockStatus,
  Method,
  Named,
  NewEvent,
  Outcome,
  Overview,
  RecordView,
  Regulation,
  RegulationSection,
  FreshStart,
  Revocation,
  Scope,
  SearchHit,
  Settings,
  SetupInput,
  Shared,
  SyncProblem,
  SyncView,
  Tally,
  TrainingOption,
  TrainingScenario,
  TrainingStep,
  UpdateNotice,
} from './bindings';
export type {
  ContentSource,
  HitKind as SearchHitKind,
  Progress as SyncProgress,
  Refusal as ContentRefusal,
  Section as ArticleSection,
} from './bindings';
