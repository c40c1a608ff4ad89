// The system «back» (the Android back button; a browser's back) goes back ONE screen or step.
//
// On Android, Tauri's WebView handles the back button by going back in the WebView history, and
// closes the app when there is none. So while the app is anywhere but its root (the main screen
// with no check in progress), one history entry of ours — the guard — sits on top. The back
// button pops it; `popstate` runs the innermost registered back handler (the very function of
// the on-screen «← Назад»), and if the app is still not at its root the guard goes back on.
// Inside a half-finished check that handler steps back within the check, never out of it.
// When the app returns to its root by itself (a check saved, «Назад» tapped), the guard is
// removed again, so at the root the back button leaves the app at the first press.

type Handler = () => void;

interface Entry {
  depth: number;
  fn: Handler;
}

const entries: Entry[] = [];
let guarded = false;
// The popstate caused by our own history.back() (dropping the guard) is not a «back» press.
let dropping = false;
let installed = false;

function current(): Handler | null {
  let best: Entry | null = null;
  for (const e of entries) if (!best || e.depth >= best.depth) best = e;
  return best?.fn ?? null;
}

function sync() {
  if (typeof window === 'undefined') return;
  if (current() && !guarded) {
    history.pushState({ lgotaGuard: true }, '');
    guarded = true;
  } else if (!current() && guarded && !dropping) {
    guarded = false;
    dropping = true;
    history.back();
  }
}

function onPopState() {
  if (dropping) {
    dropping = false;
    // A handler may have been registered while the guard was being dropped.
    sync();
    return;
  }
  guarded = false;
  current()?.();
  // The screen reacts in its own effects; put the guard back once they have run.
  setTimeout(sync, 0);
}

function install() {
  if (installed || typeof window === 'undefined') return;
  installed = true;
  window.addEventListener('popstate', onPopState);
}

/**
 * While a screen or step can be left backwards, it registers what «back» does there; depth 1 is
 * a screen (settings, instructions), depth 2 a step inside one (a check in progress, an open
 * article, a dialog). The deepest registration wins, so a layer over everything (a lock screen,
 * say) can register depth 3 with a handler that does nothing. Returns the unregistration.
 */
export function onBack(fn: Handler, depth: number): () => void {
  install();
  const entry: Entry = { depth, fn };
  entries.push(entry);
  sync();
  return () => {
    const i = entries.indexOf(entry);
    if (i >= 0) entries.splice(i, 1);
    // Leaving one step usually enters another: let the next registration come first.
    queueMicrotask(sync);
  };
}

/** Tests only: forget every registration and the guard. */
export function resetNav(): void {
  entries.length = 0;
  guarded = false;
  dropping = false;
}
