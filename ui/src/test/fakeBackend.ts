// In-memory fake of the Rust backend, for tests ONLY. Implements the command
// contract closely enough to drive the UI through mockIPC.
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { LOCK_IDLE_CHOICES } from '../state/lock.svelte';
import type {
  AppState,
  AttentionItem,
  CheckInput,
  CommandError,
  Config,
  ContentPack,
  ContentState,
  EnrollInput,
  EventInfo,
  ExportResult,
  LockStatus,
  NewEvent,
  Overview,
  RecordView,
  SearchHit,
  SetupInput,
  Shared,
  Revocation,
  FreshStart,
  Settings,
  SyncView,
  UpdateNotice,
} from '../backend/types';

export const CONFIG: Config = {
  version: 3,
  branches: [
    { id: 'central', name: 'Центральная библиотека' },
    { id: 'branch2', name: 'Библиотека-филиал № 2' },
  ],
  categories: [
    { id: 'pensioner', name: 'Пенсионер', document_type_ids: ['pension_certificate', 'pension_statement'], kind: 'benefit' },
    { id: 'student', name: 'Студент', document_type_ids: ['student_card'], kind: 'benefit' },
    { id: 'large_family', name: 'Многодетная семья', document_type_ids: [], kind: 'benefit' },
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
  note_chips: ['с сопровождающим', 'повторная проверка', 'Госкан долго загружался', 'QR не считался с первого раза'],
};

/** A small content pack that agrees with CONFIG (tests only). */
export const PACK: ContentPack = {
  format: 2,
  version: 2,
  title: 'Инструкции ЦБС (тест)',
  published: '2026-02-16',
  citizen_guide: 'citizen-how-to',
  articles: [
    {
      id: 'staff-goskan-check',
      section: 'staff',
      title: 'Как проверить «Цифровой ID» в Госкане',
      blocks: [
        { type: 'p', text: 'Откройте Госуслуги и нажмите «Госкан».' },
        { type: 'steps', items: ['Наведите камеру на QR-код', 'Дождитесь ответа Госкана'] },
        { type: 'list', items: ['Статус подтверждён — льгота', 'Ошибка — бумажный документ'] },
        { type: 'note', text: 'Не сообщайте никому результат проверки (§5.2).' },
      ],
    },
    {
      id: 'citizen-how-to',
      section: 'citizen',
      title: 'Как показать Цифровой ID',
      blocks: [
        { type: 'steps', items: ['Откройте приложение MAX', 'Профиль → «Цифровой ID»'] },
        { type: 'note', text: 'Можно показать бумажный документ вместо Цифрового ID.' },
      ],
    },
    {
      id: 'fail-no-internet',
      section: 'failures',
      title: 'Нет интернета для Госкана',
      blocks: [{ type: 'p', text: 'Попросите бумажный документ, например пенсионное удостоверение.' }],
    },
  ],
  checklists: [
    {
      document_type_id: 'pension_certificate',
      checks: ['Фото в удостоверении совпадает с человеком', 'Удостоверение выдано органом ПФР, есть печать', 'Указано, что человек — пенсионер'],
      hint: 'Пенсионные удостоверения выдавались до 2015 года.',
    },
    {
      document_type_id: 'pension_statement',
      checks: ['Справка выдана СФР или МФЦ', 'В справке сказано, что назначена пенсия', 'Показан паспорт, фото в нём совпадает с человеком'],
      hint: null,
    },
    {
      document_type_id: 'student_card',
      checks: ['Фото совпадает с человеком', 'Билет продлён на этот учебный год'],
      hint: null,
    },
  ],
  regulation: {
    title: 'Положение о порядке использования сервиса «Цифровой ID»',
    approved: 'приказ от 16.02.2026 № 11-ол',
    sections: [
      { heading: '1. Общие положения', paragraphs: ['1.1. Положение определяет порядок.'] },
      { heading: '4. Порядок проверки', paragraphs: ['4.4. При ошибке можно попросить бумажный документ.'] },
    ],
  },
  training: [
    {
      id: 'did-fail-paper',
      title: 'Госкан не подтвердил статус',
      steps: [
        {
          situation: 'Госкан показывает ошибку.',
          question: 'Что вы делаете?',
          options: [
            { text: 'Отказываю в льготе', correct: false, feedback: 'Нет: можно предъявить бумажный документ (§4.4).' },
            { text: 'Предлагаю показать бумажный документ', correct: true, feedback: 'Да, по §4.4.' },
          ],
        },
        {
          situation: 'Гражданин показывает пенсионное удостоверение.',
          question: 'Что записать?',
          options: [
            { text: 'Тип документа, без номера', correct: true, feedback: 'Верно: номер не записываем.' },
            { text: 'Номер удостоверения', correct: false, feedback: 'Нет: номер документа не записывается.' },
            { text: 'ФИО пенсионера', correct: false, feedback: 'Нет: ФИО не записывается.' },
          ],
        },
      ],
      record: {
        kind: 'digital_id_failed',
        reason_id: 'status_not_confirmed',
        category_id: 'pensioner',
        document_type_id: 'pension_certificate',
        checklist_completed: true,
      },
    },
  ],
};

export interface Call {
  cmd: string;
  args: Record<string, unknown> | undefined;
}

/** Settings as the fake keeps them: `branch_name` is computed like the core does. */
export type FakeSettings = Omit<Settings, 'branch_name'>;

/**
 * An enrollment code as the server keeps it. `by` is who issued it: a branch head's code cannot
 * move a phone enrolled in another branch.
 */
export interface FakeCode {
  branch_id: string;
  branch_name: string;
  by: 'admin' | 'branch_head';
  expired?: boolean;
  used?: boolean;
}

/**
 * The server's refusals of an enrollment, word for word (crates/lgota-central/src/service/devices.rs
 * `enroll_answer`; a Rust test there checks that every message below is the server's).
 */
export const ENROLL_REFUSALS = {
  enrollment_code_invalid: 'Код подключения не найден: отсканируйте QR-код, выданный администратором, ещё раз.',
  enrollment_code_expired: 'Срок действия кода подключения истёк: попросите администратора выдать новый.',
  enrollment_code_used: 'Этот код подключения уже использован: каждый код действует один раз.',
  device_revoked: 'Это устройство отключено центральной библиотекой и не может быть подключено снова.',
  device_enrolled_elsewhere: (name: string) =>
    `Этот телефон подключён к филиалу «${name}». Перенести его в другой филиал может только администратор центральной библиотеки: попросите код подключения у администратора.`,
};

/** The code the enrollment tests type or scan: an administrator's code for «central». */
export const ENROLL_CODE = 'K7Q2-9XWM';

export interface FakeOptions {
  settings?: FakeSettings | null;
  records?: RecordView[];
  content?: ContentState;
  /** sync status (merged over «enrolled, nothing pending») */
  sync?: Partial<SyncView>;
  /** events published by the central office (list_events) */
  events?: EventInfo[];
  /** the app lock: a PIN (kept in clear by this fake only), locked now, options */
  lock?: Partial<FakeLock>;
  /** enrollment codes the fake server knows (default: ENROLL_CODE, an administrator's for «central») */
  codes?: Record<string, FakeCode>;
  /** the branch the server has this phone enrolled in (and whether it revoked it) */
  serverDevice?: { branch_id: string; branch_name: string; revoked?: boolean } | null;
  /** the configuration in use (default CONFIG): staff labels, the device policy */
  config?: Config;
  /** «Обновите приложение» (the server's min_app_version is newer) */
  update?: UpdateNotice | null;
  /** the phone learnt it was revoked */
  revoked?: Revocation | null;
  /** the log did not open after an update and was started afresh */
  freshStart?: FreshStart | null;
}

/** The app's version the fake reports (the workspace's). */
export const APP_VERSION = '0.1.0';

export interface FakeLock {
  pin: string | null;
  locked: boolean;
  idle_seconds: number;
  record_while_locked: boolean;
  failures: number;
  /** Date.now() before which no attempt is allowed */
  blocked_until: number;
  /** the phone reports biometrics; `biometric_ok` is what the next prompt answers */
  biometric: boolean;
  biometric_ok: boolean;
}

// The backend's gate (src-tauri/src/lock.rs): open commands, recording, everything else guarded.
const OPEN_WHILE_LOCKED = new Set(['get_state', 'get_content', 'search_content', 'lock_status', 'unlock', 'unlock_biometric', 'lock_now', 'lock_activity']);
const RECORDING = new Set(['record_check', 'undo_record']);
const LOCKED_ERROR = { code: 'locked', message: 'Приложение заблокировано. Введите PIN, чтобы продолжить.' };

export const SERVER = 'https://cbs-lermontov.example';

export function syncView(over: Partial<SyncView> = {}): SyncView {
  return {
    server: SERVER,
    pending: 0,
    last_success_ms: null,
    problem: null,
    attention: [],
    clock_skew_ms: null,
    clock_warning: null,
    progress: { running: false, sent: 0, remaining: 0 },
    ...over,
  };
}

/** The core's advice for the codes the tests use (lgota-core store/outbox.rs `advice`). */
export const ADVICE: Record<string, string> = {
  conflict:
    'На сервере уже есть другая запись с тем же номером. Ничего не потеряно: обе версии у методиста. ' +
    'Сообщите методисту; при необходимости выгрузите записи в файл.',
  personal_data:
    'В записи похоже на персональные данные, и сервер её не принял. Аннулируйте её и запишите проверку ' +
    'заново без них.',
};

/** A record the server did not store: by default a check refused for personal data. */
export function attentionItem(over: Partial<AttentionItem> = {}): AttentionItem {
  const code = over.code ?? 'personal_data';
  return {
    record_id: 'rec-refused-1',
    status: code === 'conflict' ? 'conflict' : 'refused',
    code,
    message: 'В заметке похоже на персональные данные (номер документа).',
    advice:
      ADVICE[code] ??
      'Сервер не принял запись. Аннулируйте её и запишите заново или выгрузите в файл и передайте методисту.',
    made_at: '01.03.2026 10:05',
    can_void: true,
    voided: false,
    ...over,
  };
}

/** The core's warning for a clock that runs `days` days ahead (lgota-core outbox `clock_warning`). */
export function clockWarning(days = 3): string {
  return (
    `Проверьте дату и время на телефоне: часы спешат примерно на ${days} дн. по сравнению с сервером. ` +
    'Записи сохраняются, но время в них будет неверным.'
  );
}

export class FakeBackend {
  calls: Call[] = [];
  settings: FakeSettings | null;
  /** the fake server's enrollment codes and its record of this phone */
  codes: Record<string, FakeCode>;
  serverDevice: { branch_id: string; branch_name: string; revoked?: boolean } | null;
  records: RecordView[];
  content: ContentState;
  /** what sync_status answers; tests may change it between polls */
  sync: SyncView;
  events: EventInfo[];
  lock: FakeLock;
  /** how long a new record can be undone (the backend's 10 s; tests may shorten it) */
  undoWindowMs = 10_000;
  config: Config;
  update: UpdateNotice | null;
  revoked: Revocation | null;
  freshStart: FreshStart | null;
  /** the next exports' save dialog is cancelled */
  exportCancelled = false;
  /** what the next exports' share sheet does (phones); the desktop offers none */
  exportShared: Shared = 'not_offered';
  private failures = new Map<string, CommandError | string>();
  private holds = new Map<string, Promise<void>>();
  private seq = 0;

  constructor(opts: FakeOptions = {}) {
    this.settings = opts.settings === undefined ? defaultSettings() : opts.settings;
    this.codes = opts.codes ?? {
      [ENROLL_CODE]: { branch_id: 'central', branch_name: 'Центральная библиотека', by: 'admin' },
    };
    this.serverDevice = opts.serverDevice ?? null;
    this.records = opts.records ?? [];
    this.content = opts.content ?? { pack: structuredClone(PACK), source: 'bundled', last_refusal: null, stale: false };
    this.sync = syncView(opts.sync);
    this.events = opts.events ?? [];
    this.config = opts.config ?? CONFIG;
    this.update = opts.update ?? null;
    this.revoked = opts.revoked ?? null;
    this.freshStart = opts.freshStart ?? null;
    const pin = opts.lock?.pin ?? null;
    this.lock = {
      pin,
      locked: pin !== null,
      idle_seconds: 120,
      record_while_locked: false,
      failures: 0,
      blocked_until: 0,
      biometric: false,
      biometric_ok: true,
      ...opts.lock,
    };
  }

  lockStatus(): LockStatus {
    return {
      pin_set: this.lock.pin !== null,
      locked: this.lock.locked,
      idle_seconds: this.lock.idle_seconds,
      record_while_locked: this.lock.record_while_locked,
      wait_ms: Math.max(0, this.lock.blocked_until - Date.now()),
      biometric: this.lock.pin !== null && this.lock.biometric,
      pin_required: this.config.device_policy?.pin_required ?? false,
      max_idle_seconds: this.config.device_policy?.max_idle_seconds ?? null,
    };
  }

  /** Like the core: counted attempt, 5 free, then 30 s doubling. */
  private checkPin(pin: unknown): void {
    if (this.lock.pin === null) throw { code: 'no_pin', message: 'PIN не задан.' };
    const wait = this.lock.blocked_until - Date.now();
    if (wait > 0) {
      throw { code: 'pin_backoff', message: `Слишком много неверных PIN. Попробуйте снова через ${Math.ceil(wait / 1000)} с.` };
    }
    if (pin === this.lock.pin) {
      this.lock.failures = 0;
      this.lock.blocked_until = 0;
      return;
    }
    this.lock.failures++;
    const pause = this.lock.failures >= 5 ? 30_000 * 2 ** (this.lock.failures - 5) : 0;
    this.lock.blocked_until = Date.now() + pause;
    throw {
      code: 'pin_wrong',
      message: pause
        ? `Неверный PIN. Следующая попытка — через ${pause / 1000} с.`
        : `Неверный PIN. Осталось попыток до паузы: ${5 - this.lock.failures}.`,
    };
  }

  private checkPinFormat(pin: unknown): string {
    if (typeof pin !== 'string' || !/^[0-9]{4,8}$/.test(pin)) throw { code: 'pin_format', message: 'PIN — от 4 до 8 цифр.' };
    return pin;
  }

  /** The next call of `cmd` rejects with `err` (a CommandError, or a plain string like Tauri's own errors). */
  failNext(cmd: string, err: CommandError | string): void {
    this.failures.set(cmd, err);
  }

  /**
   * Calls of `cmd` wait until the returned release() is called (to see busy states, or a
   * backend that never answers).
   */
  hold(cmd: string): () => void {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    this.holds.set(cmd, gate);
    return () => {
      this.holds.delete(cmd);
      release();
    };
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
    // As the core: the configuration's name, else the one the server gave at enrollment.
    const s = this.settings;
    const settings: Settings | null = s && {
      ...s,
      branch_name:
        this.config.branches.find((b) => b.id === s.branch_id)?.name ??
        (this.sync.server && this.serverDevice?.branch_id === s.branch_id ? this.serverDevice.branch_name : s.branch_id),
    };
    return {
      device_id: 'dev-test-1',
      settings,
      config: this.config,
      app_version: APP_VERSION,
      update: this.update,
      revoked: this.revoked,
      fresh_start: this.freshStart,
    };
  }

  private newEvent(e: NewEvent): EventInfo {
    return { id: `ev-${++this.seq}`, title: e.title, date: e.date };
  }

  handle(cmd: string, args: Record<string, unknown> | undefined): unknown {
    this.calls.push({ cmd, args: args === undefined ? undefined : structuredClone(args) });
    const gate = this.holds.get(cmd);
    return gate ? gate.then(() => this.answer(cmd, args)) : this.answer(cmd, args);
  }

  private answer(cmd: string, args: Record<string, unknown> | undefined): unknown {
    const failure = this.failures.get(cmd);
    if (failure !== undefined) {
      this.failures.delete(cmd);
      throw failure;
    }
    // Like the real IPC, hand out copies, never live objects.
    return structuredClone(this.dispatch(cmd, args));
  }

  /** The phone's camera, for tests of the scan button (plugin:barcode-scanner). */
  camera: { now: string; afterRequest: string; content: string; cancel?: boolean } = {
    now: 'prompt',
    afterRequest: 'granted',
    content: '',
  };

  private dispatch(cmd: string, args: Record<string, unknown> | undefined): unknown {
    if (
      this.lock.locked &&
      !cmd.startsWith('plugin:') &&
      !OPEN_WHILE_LOCKED.has(cmd) &&
      !(RECORDING.has(cmd) && this.lock.record_while_locked)
    ) {
      throw LOCKED_ERROR;
    }
    switch (cmd) {
      case 'lock_status':
      case 'lock_activity':
        return this.lockStatus();
      case 'lock_now':
        this.lock.locked = this.lock.pin !== null;
        return this.lockStatus();
      case 'unlock_biometric':
        if (this.lock.pin === null) throw { code: 'no_pin', message: 'PIN не задан.' };
        if (!this.lock.biometric) throw { code: 'biometric_unavailable', message: 'Вход по отпечатку недоступен на этом устройстве. Введите PIN.' };
        if (!this.lock.biometric_ok) throw { code: 'biometric_failed', message: 'Биометрия не подтверждена. Введите PIN.' };
        this.lock.locked = false;
        return this.lockStatus();
      case 'unlock':
        if (this.lock.pin !== null) this.checkPin(args!.pin);
        this.lock.locked = false;
        return this.lockStatus();
      case 'set_pin': {
        const pin = this.checkPinFormat(args!.pin);
        if (this.lock.pin !== null) {
          if (args!.current == null) throw { code: 'pin_required', message: 'Введите текущий PIN.' };
          this.checkPin(args!.current);
        }
        this.lock.pin = pin;
        return this.lockStatus();
      }
      case 'remove_pin':
        if (this.config.device_policy?.pin_required) {
          throw { code: 'pin_kept_by_policy', message: 'PIN нельзя снять: его требует центральная библиотека. Его можно только сменить.' };
        }
        this.checkPin(args!.current);
        this.lock.pin = null;
        return this.lockStatus();
      case 'set_lock_options': {
        const idle = args!.idle_seconds as number;
        if (!LOCK_IDLE_CHOICES.some((c) => c.seconds === idle)) {
          throw { code: 'invalid_lock_option', message: 'Такое время блокировки не предусмотрено.' };
        }
        this.lock.idle_seconds = idle;
        this.lock.record_while_locked = args!.record_while_locked as boolean;
        return this.lockStatus();
      }
      case 'plugin:barcode-scanner|check_permissions':
        return { camera: this.camera.now };
      case 'plugin:barcode-scanner|request_permissions':
        this.camera.now = this.camera.afterRequest;
        return { camera: this.camera.now };
      case 'plugin:barcode-scanner|scan':
        // The Android plugin rejects a camera closed without a scan with this plain string.
        if (this.camera.cancel) throw 'cancelled';
        return { content: this.camera.content, format: 'QR_CODE', bounds: null };
      case 'plugin:barcode-scanner|open_app_settings':
        return null;
      case 'get_state':
        return this.state();
      case 'setup': {
        const input = args!.input as SetupInput;
        if (!input.staff_label) throw { code: 'invalid_input', message: 'Укажите вашу метку' };
        const listed = this.config.staff_labels ?? [];
        if (listed.length > 0 && !listed.includes(input.staff_label)) {
          throw { code: 'staff_label_not_listed', message: 'Такой метки нет в списке центральной библиотеки. Выберите свою метку из списка.' };
        }
        this.settings = {
          branch_id: input.branch_id,
          staff_label: input.staff_label,
          event: input.event ? this.newEvent(input.event) : (this.settings?.event ?? null),
          training: this.settings?.training ?? false,
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
      case 'void_record':
        return this.voidRecord(args!.id as string, args!.reason as string);
      case 'overview':
        return this.overview();
      case 'set_training': {
        if (!this.settings) throw { code: 'not_set_up', message: 'Приложение не настроено' };
        this.settings = { ...this.settings, training: args!.on as boolean };
        return this.state();
      }
      case 'get_content':
        return this.content;
      case 'search_content':
        return this.search(args!.query as string);
      case 'install_content_pack':
        return this.installPack(args!.pack as string);
      case 'complete_training': {
        const sc = this.content.pack.training.find((t) => t.id === args!.scenario_id);
        if (!sc) throw { code: 'not_found', message: 'Сценарий не найден' };
        const score = args!.correct_first_try;
        if (typeof score !== 'number' || score < 0 || score > sc.steps.length) {
          throw { code: 'invalid_record', message: 'учебный результат: число шагов или верных ответов вне допустимого' };
        }
        return this.record(sc.record, true);
      }
      case 'enroll':
        return this.enroll(args!.input as EnrollInput);
      case 'sync_status':
        return this.sync;
      case 'sync_now': {
        if (!this.sync.server) throw { code: 'not_enrolled', message: 'Устройство не подключено к серверу' };
        this.sync = { ...this.sync, progress: { running: true, sent: 0, remaining: this.sync.pending } };
        return this.sync;
      }
      case 'export_pending': {
        if (this.exportCancelled) return null; // the desktop's save dialog closed without a place
        const r: ExportResult = {
          path: '/storage/emulated/0/Download/lgota-unsent-20260301-1015.json',
          // the unsent records and those the server did not store (lgota-core export_pending)
          count: this.sync.pending + this.sync.attention.length,
          shared: this.exportShared,
        };
        return r;
      }
      case 'acknowledge_fresh_start':
        this.freshStart = null;
        return this.state();
      case 'list_events':
        return this.events;
      case 'choose_event': {
        const ev = this.events.find((e) => e.id === args!.id);
        if (!ev) throw { code: 'unknown_event', message: 'Мероприятие не найдено' };
        if (!this.settings) throw { code: 'not_set_up', message: 'Приложение не настроено' };
        this.settings = { ...this.settings, event: ev };
        return this.state();
      }
      case 'choose_event_by_code':
        return this.chooseByCode(args!.text as string);
      default:
        throw { code: 'unknown_command', message: `Неизвестная команда ${cmd}` };
    }
  }

  /**
   * The text of a known event's code selects it; anything else gets one refusal. The real parser
   * and its refusals (lgota_protocol::parse_event_uri, the store's checks) are tested in Rust;
   * tests of other refusals set them with failNext.
   */
  private chooseByCode(text: string): AppState {
    const ev = this.events.find((e) => text.trim() === `lgota:event?v=1&id=${e.id}`);
    if (!ev) throw { code: 'event_code_invalid', message: 'Это не QR-код мероприятия «Льготы».' };
    if (!this.settings) throw { code: 'not_configured', message: 'Приложение не настроено' };
    this.settings = { ...this.settings, event: ev };
    return this.state();
  }

  /**
   * Voids a record of the list or one the server did not store (its «Требуют внимания» item is
   * marked voided, as the core's read folds the void in). Records older than the list are known
   * here only by their attention item.
   */
  private voidRecord(id: string, reason: string): RecordView {
    const r = this.records.find((x) => x.id === id);
    const item = this.sync.attention.find((a) => a.record_id === id);
    if (!r && !item) throw { code: 'not_found', message: 'Запись не найдена' };
    if (!reason.trim()) throw { code: 'invalid_input', message: 'Укажите причину' };
    if (r?.voided || item?.voided) throw { code: 'already_voided', message: 'Эта запись уже аннулирована.' };
    if (item && !item.can_void) throw { code: 'not_a_check', message: 'Аннулировать можно только запись о проверке.' };
    if (item) {
      this.sync = {
        ...this.sync,
        attention: this.sync.attention.map((a) => (a === item ? { ...a, voided: true, can_void: false } : a)),
      };
    }
    if (r) {
      r.voided = true;
      r.void_reason = reason;
      return r;
    }
    return makeRecord({ id, voided: true, void_reason: reason, local_time: item!.made_at.slice(-5) });
  }

  /**
   * The server's rules in the server's order (crates/lgota-central/src/store/sqlite/mod.rs `enroll`), with its
   * codes and words. Not mirrored: the retry of a used code with the phone's secret (Rust tests
   * cover it end to end) and the URI parser (a real one in Rust).
   */
  private enroll(input: EnrollInput): AppState {
    const code = input.uri ? (new URLSearchParams(input.uri.split('?')[1] ?? '').get('code') ?? '') : (input.code ?? '');
    const server = input.uri ? SERVER : (input.server?.trim() ?? SERVER);
    const c = this.codes[code.trim()];
    const refuse = (code: string, message: string): never => {
      throw { code, message };
    };
    if (!c) refuse('enrollment_code_invalid', ENROLL_REFUSALS.enrollment_code_invalid);
    if (c.used) refuse('enrollment_code_used', ENROLL_REFUSALS.enrollment_code_used);
    if (c.expired) refuse('enrollment_code_expired', ENROLL_REFUSALS.enrollment_code_expired);
    const device = this.serverDevice;
    if (device?.revoked) refuse('device_revoked', ENROLL_REFUSALS.device_revoked);
    if (device && device.branch_id !== c.branch_id && c.by !== 'admin') {
      refuse('device_enrolled_elsewhere', ENROLL_REFUSALS.device_enrolled_elsewhere(device.branch_name));
    }
    c.used = true;
    this.serverDevice = { branch_id: c.branch_id, branch_name: c.branch_name };
    this.sync = { ...this.sync, server, problem: null };
    if (this.settings && this.settings.branch_id !== c.branch_id) {
      this.settings = { ...this.settings, branch_id: c.branch_id, event: null };
    }
    return this.state();
  }

  private refuse(code: string, message: string): never {
    this.content = { ...this.content, last_refusal: { code, message, at_ms: Date.now() } };
    throw { code, message };
  }

  /** A simplified install: envelope with a signature, a newer version; no real crypto. */
  private installPack(text: string): ContentState {
    let env: { signature?: string; payload?: string };
    try {
      env = JSON.parse(text) as typeof env;
    } catch {
      return this.refuse('content_invalid', 'Файл не является пакетом инструкций');
    }
    if (!env.signature) return this.refuse('content_unsigned', 'Пакет инструкций не подписан');
    if (env.signature === 'bad') return this.refuse('content_bad_signature', 'Подпись пакета не совпадает');
    const pack = JSON.parse(env.payload ?? '{}') as ContentPack;
    if (pack.version <= this.content.pack.version) {
      return this.refuse(
        'content_not_newer',
        `Эта версия инструкций (${pack.version}) не новее установленной (${this.content.pack.version})`,
      );
    }
    this.content = { pack, source: 'installed', last_refusal: null, stale: false };
    return this.content;
  }

  /** Case-insensitive substring search (the real one matches stems). */
  private search(query: string): SearchHit[] {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const hits: SearchHit[] = [];
    const find = (texts: string[]) => texts.find((t) => t.toLowerCase().includes(q));
    const pack = this.content.pack;
    for (const a of pack.articles) {
      const texts = [a.title, ...a.blocks.flatMap((b) => ('text' in b ? [b.text] : b.items))];
      const m = find(texts);
      if (m) hits.push({ kind: 'article', id: a.id, title: a.title, snippet: m });
    }
    for (const c of pack.checklists) {
      const name = CONFIG.document_types.find((x) => x.id === c.document_type_id)?.name ?? c.document_type_id;
      const m = find([name, ...c.checks, c.hint ?? '']);
      if (m) hits.push({ kind: 'checklist', id: c.document_type_id, title: `Бумажный документ: ${name}`, snippet: m });
    }
    pack.regulation.sections.forEach((sec, i) => {
      const m = find([sec.heading, ...sec.paragraphs]);
      if (m) hits.push({ kind: 'regulation', id: String(i), title: sec.heading, snippet: m });
    });
    for (const t of pack.training) {
      const m = find([t.title, ...t.steps.map((st) => st.situation)]);
      if (m) hits.push({ kind: 'training', id: t.id, title: t.title, snippet: m });
    }
    return hits.slice(0, 30);
  }

  private record(input: CheckInput, training = this.settings?.training ?? false): RecordView {
    if (this.config.device_policy?.pin_required && this.lock.pin === null) {
      throw {
        code: 'pin_needed_by_policy',
        message:
          'Центральная библиотека требует PIN-код на телефонах: пока он не задан, проверки не записываются. ' +
          'Задайте PIN в настройках, раздел «Блокировка».',
      };
    }
    const now = Date.now();
    let method: RecordView['method'];
    let outcome: RecordView['outcome'];
    let category_id: string | null = null;
    let failure_reason_id: string | null = null;
    let document_type_id: string | null = null;
    let checklist_completed: boolean | null = null;
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
        outcome = !document_type_id ? 'no_document' : input.accepted === false ? 'paper_rejected' : 'paper_shown';
        checklist_completed = document_type_id ? (input.checklist_completed ?? null) : null;
        break;
      case 'paper':
        method = 'paper';
        outcome = input.accepted === false ? 'paper_rejected' : 'paper_shown';
        category_id = input.category_id;
        document_type_id = input.document_type_id;
        checklist_completed = input.checklist_completed ?? null;
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
      checklist_completed,
      note: input.note ?? null,
      training,
      voided: false,
      void_reason: null,
      undoable_until_ms: now + this.undoWindowMs,
    };
    this.records.unshift(rec);
    return rec;
  }

  private overview(): Overview {
    const live = this.records.filter((r) => !r.voided && !r.training);
    const ev = this.settings?.event;
    return {
      scope: ev ? { kind: 'event', event: ev } : { kind: 'today', date: '2026-03-01' },
      tally: {
        digital_id: live.filter((r) => r.method === 'digital_id' && r.outcome === 'confirmed').length,
        paper: live.filter((r) => r.outcome === 'paper_shown').length,
        not_granted: live.filter((r) => !r.granted).length,
        total: live.length,
        voided: this.records.filter((r) => r.voided && !r.training).length,
      },
      training_count: this.records.filter((r) => !r.voided && r.training).length,
      records: this.records,
    };
  }
}

export function defaultSettings(): FakeSettings {
  return { branch_id: 'central', staff_label: 'ИП', event: null, training: false };
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
    checklist_completed: null,
    note: null,
    training: false,
    voided: false,
    void_reason: null,
    undoable_until_ms: 1_700_000_010_000,
    ...over,
  };
}
