// The state of a settings section's actions: busy while one runs, then its error or its notice.
import { toAppError } from '../backend/api';

export class Action {
  busy = $state(false);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);

  /**
   * Runs `action` unless one is already running; on success hands its result to `apply` and
   * shows `done`, on failure shows the error. Resolves to whether it succeeded.
   */
  async run<T>(action: () => Promise<T>, apply: (result: T) => void, done: string): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.error = null;
    this.notice = null;
    try {
      apply(await action());
      this.notice = done;
      return true;
    } catch (err) {
      this.error = toAppError(err).message;
      return false;
    } finally {
      this.busy = false;
    }
  }
}
