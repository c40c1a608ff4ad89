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
}

export interface EventInfo {
  id: string;
  title: string;
  /** YYYY-MM-DD */
  date: string;
}

export interface Settings {
  branch_id: string;
  staff_label: string;
  event: EventInfo | null;
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

export type CheckInput =
  | { kind: 'digital_id_confirmed'; category_id: string; note?: string | null }
  | {
      kind: 'digital_id_failed';
      reason_id: string;
      category_id?: string | null;
      /** set (with category_id) => paper document shown, benefit granted; null => no document */
      document_type_id?: string | null;
      note?: string | null;
    }
  | { kind: 'paper'; category_id: string; document_type_id: string; note?: string | null }
  | { kind: 'refused'; category_id?: string | null; note?: string | null };

export type Method = 'digital_id' | 'paper' | 'svo_qr' | 'none';
export type Outcome = 'confirmed' | 'paper_shown' | 'no_document' | 'refused';

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
  tally: Tally;
  /** today's checks, newest first; voided ones included with voided=true */
  records: RecordView[];
}

export interface CommandError {
  code: string;
  /** Russian, shown to the user as is */
  message: string;
}
