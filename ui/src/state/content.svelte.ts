// Module-level cache of the content pack in use: loaded once with get_content, replaced after
// an install, loaded again after a successful sync (it may have brought a newer pack). Every
// screen reads `content.state`.
import * as api from '../backend/api';
import { onSyncSuccess } from './sync.svelte';
import type { ContentState } from '../backend/types';

export const content = $state<{ state: ContentState | null; error: string | null }>({
  state: null,
  error: null,
});

let pending: Promise<void> | null = null;

/** Loads the pack once; later calls reuse the cache (pass force to reload). */
export function loadContent(force = false): Promise<void> {
  if (content.state && !force) return Promise.resolve();
  if (pending) return pending;
  pending = api
    .getContent()
    .then((s) => {
      content.state = s;
      content.error = null;
    })
    .catch((err: unknown) => {
      content.error = api.toAppError(err).message;
    })
    .finally(() => {
      pending = null;
    });
  return pending;
}

// Not loaded yet: the first screen that needs it loads it.
onSyncSuccess(() => {
  if (content.state) void loadContent(true);
});

export function setContent(s: ContentState): void {
  content.state = s;
  content.error = null;
}

/** Tests only: forget the cached pack. */
export function resetContent(): void {
  content.state = null;
  content.error = null;
  pending = null;
}
