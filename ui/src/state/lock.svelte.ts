// The app lock as the UI sees it: the backend's LockStatus, kept current. The backend decides
// and enforces (a locked app's commands are refused with code `locked`); this module only locks
// early — when the WebView is hidden, and when the librarian has not touched the screen for the
// chosen idle time — and tells the backend about activity so its own idle backstop agrees.
import * as api from '../backend/api';
import type { LockStatus } from '../backend/types';

/** The idle times offered in the settings (seconds → label). */
export const LOCK_IDLE_CHOICES: readonly { seconds: number; label: string }[] = [
  { seconds: 30, label: '30 секунд' },
  { seconds: 60, label: '1 минута' },
  { seconds: 120, label: '2 минуты' },
  { seconds: 300, label: '5 минут' },
  { seconds: 900, label: '15 минут' },
];

/** Activity is reported to the backend at most this often. */
const ACTIVITY_PING_MS = 5000;

export const lock = $state<{ status: LockStatus | null }>({ status: null });

let lastActivity = Date.now();
let lastPing = 0;

export function setLockStatus(status: LockStatus): void {
  lock.status = status;
  if (!status.locked) lastActivity = Date.now();
}

/** Asks the backend; throws like the api does. */
export async function loadLock(): Promise<LockStatus> {
  const status = await api.lockStatus();
  setLockStatus(status);
  return status;
}

function armed(): boolean {
  return lock.status?.pin_set === true && !lock.status.locked;
}

/** Locks now (no-op without a PIN). Never throws: if the backend is unreachable, the UI locks anyway. */
export async function lockNow(): Promise<void> {
  if (!armed()) return;
  // Hide everything at once; the backend's answer follows.
  lock.status = { ...lock.status!, locked: true };
  try {
    setLockStatus(await api.lockNow());
  } catch {
    // Stay locked in the UI; the backend refuses on its own after its idle time.
  }
}

/** A touch or a key: the idle time starts again. */
function noteActivity(now = Date.now()): void {
  if (!armed()) return;
  lastActivity = now;
  if (now - lastPing >= ACTIVITY_PING_MS) {
    lastPing = now;
    api.lockActivity().then(setLockStatus, () => {});
  }
}

/** Locks if the idle time has run out; called every second while the app runs. */
export function checkIdle(now = Date.now()): void {
  if (armed() && now - lastActivity >= lock.status!.idle_seconds * 1000) void lockNow();
}

function onVisibility(): void {
  if (document.visibilityState === 'hidden') void lockNow();
  else if (lock.status?.pin_set) loadLock().catch(() => {});
}

function onLockedRefusal(): void {
  if (lock.status && !lock.status.locked) lock.status = { ...lock.status, locked: true };
  loadLock().catch(() => {});
}

/**
 * Starts the watch: activity listeners, the idle check, locking when hidden, and reacting to a
 * `locked` refusal from any command. Returns the function that stops it.
 */
export function watchLock(): () => void {
  const activity = () => noteActivity();
  const events = ['pointerdown', 'keydown', 'touchstart', 'wheel'] as const;
  for (const e of events) document.addEventListener(e, activity, { capture: true, passive: true });
  document.addEventListener('visibilitychange', onVisibility);
  api.onLocked(onLockedRefusal);
  const timer = setInterval(() => checkIdle(), 1000);
  return () => {
    for (const e of events) document.removeEventListener(e, activity, { capture: true });
    document.removeEventListener('visibilitychange', onVisibility);
    api.onLocked(null);
    clearInterval(timer);
  };
}

/** Tests only. */
export function resetLock(): void {
  lock.status = null;
  lastActivity = Date.now();
  lastPing = 0;
}
