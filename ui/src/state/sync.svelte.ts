// Module-level view of the sync with the central server, shared by the main screen's badge and
// the settings panel. Read-only polling of `sync_status`: nothing in the recording flow waits
// for it, and its failures never reach the recording screens' error banners.
import * as api from '../backend/api';
import type { SyncView } from '../backend/types';

export const SYNC_POLL_MS = 2000;

export const sync = $state<{ view: SyncView | null; error: string | null }>({
  view: null,
  error: null,
});

// Every write bumps the generation; a status that was asked for before a newer write is dropped
// (e.g. a slow poll must not overwrite what sync_now has just returned).
let generation = 0;
let polling = false;
let watchers = 0;
let timer: ReturnType<typeof setInterval> | undefined;

// Told when a sync has succeeded since the status was first seen (last_success_ms changed): what
// a sync brings (the central office's events, a newer content pack) is loaded again.
const successListeners = new Set<() => void>();

/** Registers a listener for new successful syncs; returns the function that unregisters it. */
export function onSyncSuccess(listener: () => void): () => void {
  successListeners.add(listener);
  return () => {
    successListeners.delete(listener);
  };
}

function take(view: SyncView): void {
  const before = sync.view;
  sync.view = view;
  sync.error = null;
  if (before !== null && view.last_success_ms !== null && view.last_success_ms !== before.last_success_ms) {
    for (const listener of [...successListeners]) listener();
  }
}

export function setSyncView(view: SyncView): void {
  generation++;
  take(view);
}

/** Asks for the status now; never throws (the error is kept in `sync.error`). */
export async function refreshSync(): Promise<void> {
  const mine = ++generation;
  try {
    const view = await api.syncStatus();
    if (mine === generation) take(view);
  } catch (err) {
    if (mine === generation) sync.error = api.toAppError(err).message;
  }
}

async function poll(): Promise<void> {
  // Skip a tick while the app is in the background or the previous request is still running.
  if (polling || (typeof document !== 'undefined' && document.visibilityState === 'hidden')) return;
  polling = true;
  try {
    await refreshSync();
  } finally {
    polling = false;
  }
}

/** The network came back: sync at once instead of waiting for the worker's next round. */
function onOnline(): void {
  api.syncNow().then(setSyncView, () => {});
}

/** The app came back to the foreground: the polls were skipped meanwhile, ask at once. */
function onVisible(): void {
  if (document.visibilityState === 'visible') void poll();
}

/**
 * Refreshes now, every SYNC_POLL_MS and when the app comes back to the foreground while at least
 * one screen watches, and syncs when the WebView reports that the network is back.
 * Call from onMount; the returned function stops watching (call it on destroy).
 */
export function watchSync(): () => void {
  watchers++;
  void poll();
  if (timer === undefined) {
    timer = setInterval(() => void poll(), SYNC_POLL_MS);
    window.addEventListener('online', onOnline);
    document.addEventListener('visibilitychange', onVisible);
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    watchers--;
    if (watchers <= 0) {
      watchers = 0;
      clearInterval(timer);
      timer = undefined;
      window.removeEventListener('online', onOnline);
      document.removeEventListener('visibilitychange', onVisible);
    }
  };
}

/** Tests only: forget the status and stop polling. */
export function resetSync(): void {
  generation++;
  sync.view = null;
  sync.error = null;
  polling = false;
  watchers = 0;
  clearInterval(timer);
  timer = undefined;
  window.removeEventListener('online', onOnline);
  document.removeEventListener('visibilitychange', onVisible);
}

type SyncState = 'unknown' | 'not_enrolled' | 'running' | 'pending' | 'attention' | 'sent';

export function syncState(view: SyncView | null): SyncState {
  if (!view) return 'unknown';
  if (!view.server) return 'not_enrolled';
  if (view.progress.running) return 'running';
  if (view.pending > 0) return 'pending';
  // All sent, but the server did not store some: they need the librarian («Требуют внимания»).
  return view.attention.some((a) => !a.voided) ? 'attention' : 'sent';
}

/** The one-line status of the main screen's badge. */
export function badgeText(view: SyncView | null, error: string | null): string {
  if (!view) return error ? 'Состояние отправки неизвестно' : 'Проверяем отправку…';
  // Records the server did not store and nobody has voided yet («Требуют внимания»).
  const open = view.attention.filter((a) => !a.voided).length;
  const attention = open > 0 ? ` · требуют внимания: ${open}` : '';
  const problem = view.problem ? ' · ошибка' : '';
  switch (syncState(view)) {
    case 'not_enrolled':
      return view.pending > 0
        ? `Не подключено к серверу · не отправлено: ${view.pending}`
        : 'Не подключено к серверу';
    case 'running': {
      const total = view.progress.sent + view.progress.remaining;
      return total > 0 ? `Отправка: ${view.progress.sent} из ${total}` : 'Идёт отправка…';
    }
    case 'pending':
      return `Не отправлено: ${view.pending}${attention}${problem}`;
    case 'attention':
      return `Требуют внимания: ${open}${problem}`;
    default:
      return `Все записи отправлены${problem}`;
  }
}
