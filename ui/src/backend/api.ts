// The ONLY module that talks to the Rust backend. Every command is wrapped in a
// typed function; a rejected invoke becomes a thrown AppError with a Russian message.
import { invoke } from '@tauri-apps/api/core';
import type {
  AppState,
  CheckInput,
  CommandError,
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
  SyncView,
} from './types';

export class AppError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
  }
}

function isCommandError(e: unknown): e is CommandError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}

function hasTauriRuntime(): boolean {
  if (typeof window === 'undefined') return false;
  const internals = (window as { __TAURI_INTERNALS__?: { invoke?: unknown } }).__TAURI_INTERNALS__;
  return typeof internals?.invoke === 'function';
}

/** Shown for a failure that did not come as the backend's {code, message}: its text is not for users. */
export const INTERNAL_MESSAGE =
  'Внутренняя ошибка приложения. Попробуйте ещё раз; если не получится — перезапустите приложение.';

/**
 * Turns whatever an invoke rejected with into an AppError. Only the backend's {code, message}
 * reaches the screen as given; anything else (Tauri's own plain-string errors, exceptions) is
 * English or technical: the librarian sees a fixed Russian sentence, the detail goes to the log.
 */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (isCommandError(e)) {
    return new AppError(e.code, e.message || 'Ошибка без описания');
  }
  if (typeof e !== 'string' && !hasTauriRuntime()) {
    return new AppError('no_backend', 'Нет связи с приложением: интерфейс открыт вне Tauri.');
  }
  console.error('Внутренняя ошибка приложения:', e);
  return new AppError('internal', INTERNAL_MESSAGE);
}

// Told when the backend refuses a command because the app is locked (code `locked`).
let lockedListener: (() => void) | null = null;

/** Registers the one listener for `locked` refusals (the lock state module). */
export function onLocked(listener: (() => void) | null): void {
  lockedListener = listener;
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    const err = toAppError(e);
    if (err.code === 'locked') lockedListener?.();
    throw err;
  }
}

export function getState(): Promise<AppState> {
  return call<AppState>('get_state');
}

/**
 * First start and later changes from the settings screen.
 * `input.event` null means «no new event» (see the contract notes).
 */
export function setup(input: SetupInput): Promise<AppState> {
  return call<AppState>('setup', { input });
}

/** Start a new current event, or end the current one with null. */
export function setEvent(event: NewEvent | null): Promise<AppState> {
  return call<AppState>('set_event', { event });
}

/** Resolves only after the record is committed to disk. */
export function recordCheck(input: CheckInput): Promise<RecordView> {
  return call<RecordView>('record_check', { input });
}

/** Allowed within 10 s of creation; rejects with code `undo_expired` after. */
export function undoRecord(id: string): Promise<RecordView> {
  return call<RecordView>('undo_record', { id });
}

export function voidRecord(id: string, reason: string): Promise<RecordView> {
  return call<RecordView>('void_record', { id, reason });
}

export function overview(): Promise<Overview> {
  return call<Overview>('overview');
}

/** Turn training mode on or off; while on, record_check saves training records. */
export function setTraining(on: boolean): Promise<AppState> {
  return call<AppState>('set_training', { on });
}

/** The content pack in use (bundled or installed) and the last refused install. */
export function getContent(): Promise<ContentState> {
  return call<ContentState>('get_content');
}

/** Best first, at most 30; the backend matches stems and prefixes. */
export function searchContent(query: string): Promise<SearchHit[]> {
  return call<SearchHit[]>('search_content', { query });
}

/**
 * Install a signed pack (the file's text). Rejects with content_* codes;
 * the pack in use stays.
 */
export function installContentPack(pack: string): Promise<ContentState> {
  return call<ContentState>('install_content_pack', { pack });
}

/**
 * Save a finished training scenario: its training record (never sent, never counted) and its
 * training result (staff label, scenario, date, `correctFirstTry` of its steps), which sync
 * sends to the central office as evidence of training.
 */
export function completeTraining(scenarioId: string, correctFirstTry: number): Promise<RecordView> {
  // snake_case keys: the Rust command is declared with rename_all = "snake_case".
  return call<RecordView>('complete_training', { scenario_id: scenarioId, correct_first_try: correctFirstTry });
}

// ---- sync with the central server ----

/**
 * Enroll this device with the central server: either `{ uri }` (the text of the enrollment
 * QR code) or `{ server, code }` typed by hand. Goes to the network: may take seconds.
 */
export function enroll(input: EnrollInput): Promise<AppState> {
  return call<AppState>('enroll', { input });
}

/** Local and quick: what is waiting, how the last attempt went, the worker's progress. */
export function syncStatus(): Promise<SyncView> {
  return call<SyncView>('sync_status');
}

/** Asks the background worker to sync now; returns at once with the current status. */
export function syncNow(): Promise<SyncView> {
  return call<SyncView>('sync_now');
}

/**
 * Writes every unsent record to a signed file (to be carried to the central office by hand): on
 * the desktop where the save dialog says (null if it was cancelled), on phones to the downloads
 * folder.
 */
export function exportPending(): Promise<ExportResult | null> {
  return call<ExportResult | null>('export_pending');
}

/** The librarian has read that the record log was started afresh (the old one is kept aside). */
export function acknowledgeFreshStart(): Promise<AppState> {
  return call<AppState>('acknowledge_fresh_start');
}

/** Events published by the central office for this branch, today and later. */
export function listEvents(): Promise<EventInfo[]> {
  return call<EventInfo[]>('list_events');
}

/** Make one of the central office's events the current event. */
export function chooseEvent(id: string): Promise<AppState> {
  return call<AppState>('choose_event', { id });
}

/**
 * The text of an event QR code (the poster at the door, `lgota:event?v=1&id=…`), scanned or
 * pasted: makes that event current. Rejects with `event_code_*` codes for a text that is not
 * an event code, `unknown_event` / `event_other_branch` / `event_past` for an event this
 * device cannot choose.
 */
export function chooseEventByCode(text: string): Promise<AppState> {
  return call<AppState>('choose_event_by_code', { text });
}

/** The camera scanner exists only in the phone builds (tauri-plugin-barcode-scanner). */
export function canScan(): boolean {
  return typeof navigator !== 'undefined' && /Android|iPhone|iPad/i.test(navigator.userAgent);
}

/** How the barcode plugin says the librarian closed the camera without scanning. */
function isCancelled(e: unknown): boolean {
  const text = typeof e === 'string' ? e : (e as { message?: unknown } | null)?.message;
  return typeof text === 'string' && text.trim().toLowerCase() === 'cancelled';
}

/**
 * Scans a QR code with the camera: asks for the permission first, and explains a refusal.
 * Returns the code's text, or null if the librarian cancelled.
 */
export async function scanQr(): Promise<string | null> {
  // Loaded on demand: desktop bundles never run it, phones fetch it from the app itself.
  const scanner = await import('@tauri-apps/plugin-barcode-scanner');
  try {
    let permission = await scanner.checkPermissions();
    if (permission !== 'granted') permission = await scanner.requestPermissions();
    if (permission !== 'granted') {
      throw new AppError(
        'camera_denied',
        'Нет доступа к камере. Разрешите его в настройках телефона или вставьте текст QR-кода вручную.',
      );
    }
    const scanned = await scanner.scan({ formats: [scanner.Format.QRCode], windowed: false });
    return scanned?.content || null;
  } catch (e) {
    // The Android plugin rejects a closed camera with "cancelled": not an error for the librarian.
    if (isCancelled(e)) return null;
    throw toAppError(e);
  }
}

/** Opens the phone's settings page of this app (after the camera permission was refused). */
export async function openAppSettings(): Promise<void> {
  const scanner = await import('@tauri-apps/plugin-barcode-scanner');
  try {
    await scanner.openAppSettings();
  } catch (e) {
    throw toAppError(e);
  }
}

// ---- app lock ----

/** Whether a PIN is set, whether the app is locked now, the options, the back-off left. */
export function lockStatus(): Promise<LockStatus> {
  return call<LockStatus>('lock_status');
}

/** Rejects with `pin_wrong` (counted) or `pin_backoff` (wait first). */
export function unlock(pin: string): Promise<LockStatus> {
  return call<LockStatus>('unlock', { pin });
}

/** The phone's fingerprint or face prompt, run by the backend; rejects with `biometric_failed`. */
export function unlockBiometric(): Promise<LockStatus> {
  return call<LockStatus>('unlock_biometric');
}

export function lockNow(): Promise<LockStatus> {
  return call<LockStatus>('lock_now');
}

/** The librarian touched the screen: the backend's idle time starts again. */
export function lockActivity(): Promise<LockStatus> {
  return call<LockStatus>('lock_activity');
}

/** Sets the PIN; changing it needs the current one (`current` null when none is set). */
export function setPin(current: string | null, pin: string): Promise<LockStatus> {
  return call<LockStatus>('set_pin', { current, pin });
}

export function removePin(current: string): Promise<LockStatus> {
  return call<LockStatus>('remove_pin', { current });
}

export function setLockOptions(idleSeconds: number, recordWhileLocked: boolean): Promise<LockStatus> {
  // snake_case keys: the Rust command is declared with rename_all = "snake_case".
  return call<LockStatus>('set_lock_options', { idle_seconds: idleSeconds, record_while_locked: recordWhileLocked });
}
