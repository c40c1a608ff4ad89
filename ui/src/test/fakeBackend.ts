// In-memory fake of the Rust backend, for tests ONLY. Implements the command
// contract closely enough to drive the UI through mockIPC.
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type {
  AppState,
  CheckInput,
  CommandError,
  Config,
  EventInfo,
  NewEvent,
  Overview,
  RecordView,
  SetupInput,
  Settings,
} from '../lib/types';

export const CONFIG: Config = {
  version: 3,
  branches: [
    { id: 'central', name: 'Центральная библиотека' },
    { id: 'branch2', name: 'Библиотека-филиал № 2' },
  ],
  categories: [
    { id: 'pensioner', name: 'Пенсионер', document_type_ids: ['pension_certificate', 'pension_statement'] },
    { id: 'student', name: 'Студент', document_type_ids: ['student_card'] },
    { id: 'large_family', name: 'Многодетная семья', document_type_ids: [] },
  ],
  document_types: [
    { id: 'pension_certificate', name: 'Пенсионное удостоверение' },
    { id: 'pension_statement', name: 'Справка о назначении пенсии' },
    { id: 'student_card', name: 'Студенческий билет' },
  ],
  failure_reasons: [
    { id: 'no_internet', name: 'Нет интернета для Госкана' },
    { id: 'status_not_confirmed', name: 'Статус не подтверждён' },
  ],
};

export interface Call {
  cmd: string;
  args: Record<string, unknown> | undefined;
}

export interface FakeOptions {
  settings?: Settings | null;
  records?: RecordView[];
}

export class FakeBackend {
  calls: Call[] = [];
  settings: Settings | null;
  records: RecordView[];
  private failures = new Map<string, CommandError | string>();
  private seq = 0;

  constructor(opts: FakeOptions = {}) {
    this.settings = opts.settings === undefined ? defaultSettings() : opts.settings;
    this.records = opts.records ?? [];
  }

  /** The next call of `cmd` rejects with `err` (a CommandError, or a plain string like Tauri's own errors). */
  failNext(cmd: string, err: CommandError | string): void {
    this.failures.set(cmd, err);
  }

  callsOf(cmd: string): Call[] {
    return this.calls.filter((c) => c.cmd === cmd);
  }

  install(): void {
    mockIPC((cmd, payload) => this.handle(cmd, payload as Record<string, unknown> | undefined));
  }

  uninstall(): void {
    clearMocks();
  }

  private state(): AppState {
    return { device_id: 'dev-test-1', settings: this.settings, config: CONFIG };
  }

  private newEvent(e: NewEvent): EventInfo {
    return { id: `ev-${++this.seq}`, title: e.title, date: e.date };
  }

  handle(cmd: string, args: Record<string, unknown> | undefined): unknown {
    this.calls.push({ cmd, args: args === undefined ? undefined : structuredClone(args) });
    const failure = this.failures.get(cmd);
    if (failure !== undefined) {
      this.failures.delete(cmd);
      throw failure;
    }
    // Like the real IPC, hand out copies, never live objects.
    return structuredClone(this.dispatch(cmd, args));
  }

  private dispatch(cmd: string, args: Record<string, unknown> | undefined): unknown {
    switch (cmd) {
      case 'get_state':
        return this.state();
      case 'setup': {
        const input = args!.input as SetupInput;
        if (!input.staff_label) throw { code: 'invalid_input', message: 'Укажите вашу метку' };
        this.settings = {
          branch_id: input.branch_id,
          staff_label: input.staff_label,
          event: input.event ? this.newEvent(input.event) : (this.settings?.event ?? null),
        };
        return this.state();
      }
      case 'set_event': {
        const ev = args!.event as NewEvent | null;
        if (!this.settings) throw { code: 'not_set_up', message: 'Приложение не настроено' };
        this.settings = { ...this.settings, event: ev ? this.newEvent(ev) : null };
        return this.state();
      }
      case 'record_check':
        return this.record(args!.input as CheckInput);
      case 'undo_record': {
        const id = args!.id as string;
        const r = this.records.find((x) => x.id === id);
        if (!r) throw { code: 'not_found', message: 'Запись не найдена' };
        if (Date.now() > r.undoable_until_ms) throw { code: 'undo_expired', message: 'Время отмены истекло' };
        this.records = this.records.filter((x) => x.id !== id);
        return r;
      }
      case 'void_record': {
        const id = args!.id as string;
        const reason = args!.reason as string;
        const r = this.records.find((x) => x.id === id);
        if (!r) throw { code: 'not_found', message: 'Запись не найдена' };
        if (!reason.trim()) throw { code: 'invalid_input', message: 'Укажите причину' };
        r.voided = true;
        r.void_reason = reason;
        return r;
      }
      case 'overview':
        return this.overview();
      default:
        throw { code: 'unknown_command', message: `Неизвестная команда ${cmd}` };
    }
  }

  private record(input: CheckInput): RecordView {
    const now = Date.now();
    let method: RecordView['method'];
    let outcome: RecordView['outcome'];
    let category_id: string | null = null;
    let failure_reason_id: string | null = null;
    let document_type_id: string | null = null;
    switch (input.kind) {
      case 'digital_id_confirmed':
        method = 'digital_id';
        outcome = 'confirmed';
        category_id = input.category_id;
        break;
      case 'digital_id_failed':
        method = 'digital_id';
        failure_reason_id = input.reason_id;
        category_id = input.category_id ?? null;
        document_type_id = input.document_type_id ?? null;
        outcome = document_type_id ? 'paper_shown' : 'no_document';
        break;
      case 'paper':
        method = 'paper';
        outcome = 'paper_shown';
        category_id = input.category_id;
        document_type_id = input.document_type_id;
        break;
      case 'refused':
        method = 'none';
        outcome = 'refused';
        category_id = input.category_id ?? null;
        break;
    }
    const rec: RecordView = {
      id: `rec-${++this.seq}`,
      created_at_ms: now,
      local_time: '10:0' + (this.seq % 10),
      method,
      outcome,
      granted: outcome === 'confirmed' || outcome === 'paper_shown',
      category_id,
      failure_reason_id,
      document_type_id,
      note: input.note ?? null,
      training: false,
      voided: false,
      void_reason: null,
      undoable_until_ms: now + 10_000,
    };
    this.records.unshift(rec);
    return rec;
  }

  private overview(): Overview {
    const live = this.records.filter((r) => !r.voided);
    const ev = this.settings?.event;
    return {
      scope: ev ? { kind: 'event', event: ev } : { kind: 'today', date: '2026-03-01' },
      tally: {
        digital_id: live.filter((r) => r.method === 'digital_id' && r.outcome === 'confirmed').length,
        paper: live.filter((r) => r.outcome === 'paper_shown').length,
        not_granted: live.filter((r) => !r.granted).length,
        total: live.length,
        voided: this.records.length - live.length,
      },
      records: this.records,
    };
  }
}

export function defaultSettings(): Settings {
  return { branch_id: 'central', staff_label: 'ИП', event: null };
}

export function makeRecord(over: Partial<RecordView> = {}): RecordView {
  return {
    id: 'old-1',
    created_at_ms: 1_700_000_000_000,
    local_time: '09:15',
    method: 'digital_id',
    outcome: 'confirmed',
    granted: true,
    category_id: 'student',
    failure_reason_id: null,
    document_type_id: null,
    note: null,
    training: false,
    voided: false,
    void_reason: null,
    undoable_until_ms: 1_700_000_010_000,
    ...over,
  };
}
