// The recording flow of the main screen as a pure state machine: which step of a check the
// librarian is at (method → reason → category → document → checklist), the optional note, the
// save in flight, and the undo window of the last saved record. No Svelte and no backend here:
// `update` takes a state and an event and returns the next state plus, at most, one effect for the
// screen to run (save a check, undo a record); the effect's outcome comes back as another event.
//
// Invalid events (a choice on the main screen, «back» with nothing to go back to, a save while
// one is in flight…) return the very same state object and no effect.

import type { CheckInput, RecordView } from '../backend/types';

/** The longest note (the backend refuses longer ones; the textarea stops there). */
export const NOTE_MAX = 200;

/** The half-finished check: each step remembers what was chosen before it. */
export type Step =
  | { s: 'home' }
  | { s: 'did_ok_category' }
  | { s: 'did_fail_reason' }
  | { s: 'did_fail_category'; reason_id: string }
  | { s: 'did_fail_document'; reason_id: string; category_id: string }
  | { s: 'did_fail_checklist'; reason_id: string; category_id: string; document_type_id: string }
  | { s: 'paper_category' }
  | { s: 'paper_document'; category_id: string }
  | { s: 'paper_checklist'; category_id: string; document_type_id: string };

export type ChecklistStep = Extract<Step, { s: 'did_fail_checklist' | 'paper_checklist' }>;

/** The three outcome buttons that open a check (the fourth, the citizen's refusal, saves at once). */
export type Method = 'did_ok' | 'did_fail' | 'paper';

export interface Recording {
  step: Step;
  /** optional free text of the check in progress; the backend refuses personal data in it */
  note: string;
  /** checklist items ticked (by text: the list may arrive after the screen opens) */
  ticked: readonly string[];
  /** counts step changes: a save that ends after the next check has started keeps the librarian in it */
  seq: number;
  /** a save or an undo is in flight */
  busy: boolean;
  error: string | null;
  /** a short message on the main screen («Запись отменена») */
  notice: string | null;
  /** the record just saved, offered for undo by the toast */
  toast: RecordView | null;
  /** the last record saved here while it can still be undone; the list offers it once the toast is gone */
  undoable: RecordView | null;
}

export type RecordingEvent =
  /** an outcome button of the main screen */
  | { type: 'start'; method: Method }
  /** «Гражданин отказался от подтверждения»: saved at once */
  | { type: 'refuse' }
  /** an item of the step's list: reason, category or document */
  | { type: 'choose'; id: string }
  | { type: 'tick'; text: string; on: boolean }
  /** the checklist's verdict; `checks` is the list the screen shows */
  | { type: 'finish_checklist'; accepted: boolean; checks: readonly string[] }
  /** «Документа нет — льгота не предоставлена» */
  | { type: 'no_document' }
  | { type: 'note'; text: string }
  /** a common note of the configuration: one tap adds it, a second takes it out */
  | { type: 'chip'; chip: string }
  /** «← Назад» and the system back button: one step back, never out of a check at once */
  | { type: 'back' }
  /** the save effect succeeded; `seq` is the one the effect carried */
  | { type: 'saved'; record: RecordView; seq: number }
  | { type: 'save_failed'; message: string }
  /** the toast's or the list's «Отменить» */
  | { type: 'undo' }
  | { type: 'undone' }
  | { type: 'undo_failed'; message: string }
  /** the clock moved on: the undo offers whose time is up go */
  | { type: 'expire'; now: number }
  | { type: 'dismiss_error' }
  | { type: 'error'; message: string }
  | { type: 'notice'; text: string }
  | { type: 'clear_notice' };

export type Effect = { kind: 'save'; input: CheckInput; seq: number } | { kind: 'undo'; id: string };

export interface Transition {
  state: Recording;
  effect: Effect | null;
}

export function initial(): Recording {
  return {
    step: { s: 'home' },
    note: '',
    ticked: [],
    seq: 0,
    busy: false,
    error: null,
    notice: null,
    toast: null,
    undoable: null,
  };
}

export const isChecklist = (step: Step): step is ChecklistStep =>
  step.s === 'did_fail_checklist' || step.s === 'paper_checklist';

/** Every check of the list is ticked (the only way to accept the document). */
export const allTicked = (r: Recording, checks: readonly string[]): boolean => checks.every((c) => r.ticked.includes(c));

const noteParts = (note: string) =>
  note
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '');

export const chipOn = (r: Recording, chip: string): boolean => noteParts(r.note).includes(chip);

/** Whole seconds left to undo `rec` at `now` (0: too late). */
export const secondsLeft = (rec: RecordView | null, now: number): number =>
  rec ? Math.max(0, Math.ceil((rec.undoable_until_ms - now) / 1000)) : 0;

const same = (state: Recording): Transition => ({ state, effect: null });

/** Enters `next`: the step changes, the error goes, a new checklist starts unticked. */
function go(r: Recording, next: Step): Recording {
  const starting = r.step.s === 'home' && next.s !== 'home';
  return {
    ...r,
    step: next,
    seq: r.seq + 1,
    error: null,
    // The next check starts: the toast gives way, so it never covers a control of the check.
    // Undo of the last record stays in the list until its time runs out.
    toast: starting ? null : r.toast,
    notice: starting ? null : r.notice,
    note: next.s === 'home' ? '' : r.note,
    ticked: isChecklist(next) ? [] : r.ticked,
  };
}

/** Asks for `input` to be saved, with the note if there is one. */
function save(r: Recording, input: CheckInput): Transition {
  if (r.busy) return same(r);
  const text = r.note.trim();
  return {
    state: { ...r, busy: true, error: null, notice: null },
    effect: { kind: 'save', input: text ? { ...input, note: text } : input, seq: r.seq },
  };
}

/** One step back inside a check; the first step of a check goes back to the main screen. */
export function backStep(step: Step): Step | null {
  switch (step.s) {
    case 'home':
      return null;
    case 'did_fail_checklist':
      return { s: 'did_fail_document', reason_id: step.reason_id, category_id: step.category_id };
    case 'paper_checklist':
      return { s: 'paper_document', category_id: step.category_id };
    case 'did_fail_document':
      return { s: 'did_fail_category', reason_id: step.reason_id };
    case 'did_fail_category':
      return { s: 'did_fail_reason' };
    case 'paper_document':
      return { s: 'paper_category' };
    case 'did_ok_category':
    case 'did_fail_reason':
    case 'paper_category':
      return { s: 'home' };
  }
}

function choose(r: Recording, id: string): Transition {
  if (r.busy) return same(r);
  const step = r.step;
  switch (step.s) {
    case 'did_ok_category':
      return save(r, { kind: 'digital_id_confirmed', category_id: id });
    case 'did_fail_reason':
      return same(go(r, { s: 'did_fail_category', reason_id: id }));
    case 'did_fail_category':
      return same(go(r, { s: 'did_fail_document', reason_id: step.reason_id, category_id: id }));
    case 'paper_category':
      return same(go(r, { s: 'paper_document', category_id: id }));
    // Choosing the document opens its checklist; nothing is saved yet.
    case 'did_fail_document':
      return same(
        go(r, { s: 'did_fail_checklist', reason_id: step.reason_id, category_id: step.category_id, document_type_id: id }),
      );
    case 'paper_document':
      return same(go(r, { s: 'paper_checklist', category_id: step.category_id, document_type_id: id }));
    default:
      return same(r);
  }
}

function finishChecklist(r: Recording, accepted: boolean, checks: readonly string[]): Transition {
  const step = r.step;
  const complete = allTicked(r, checks);
  if (!isChecklist(step) || (accepted && !complete)) return same(r);
  // No document number is ever asked for or sent: only the document's type.
  const paper = accepted ? { checklist_completed: true } : { checklist_completed: complete, accepted: false };
  if (step.s === 'did_fail_checklist') {
    return save(r, {
      kind: 'digital_id_failed',
      reason_id: step.reason_id,
      category_id: step.category_id,
      document_type_id: step.document_type_id,
      ...paper,
    });
  }
  return save(r, { kind: 'paper', category_id: step.category_id, document_type_id: step.document_type_id, ...paper });
}

function toggleChip(r: Recording, chip: string): Recording {
  const parts = noteParts(r.note);
  if (parts.includes(chip)) return { ...r, note: parts.filter((p) => p !== chip).join('; ') };
  const next = [...parts, chip].join('; ');
  return next.length <= NOTE_MAX ? { ...r, note: next } : r;
}

export function update(r: Recording, ev: RecordingEvent): Transition {
  const inCheck = r.step.s !== 'home';
  switch (ev.type) {
    case 'start': {
      // Allowed during a save: at queue speed the next check starts while a refusal is being saved.
      if (inCheck) return same(r);
      const first: Record<Method, Step> = {
        did_ok: { s: 'did_ok_category' },
        did_fail: { s: 'did_fail_reason' },
        paper: { s: 'paper_category' },
      };
      return same(go(r, first[ev.method]));
    }
    case 'refuse':
      return inCheck ? same(r) : save(r, { kind: 'refused' });
    case 'choose':
      return choose(r, ev.id);
    case 'tick':
      if (!isChecklist(r.step) || r.busy) return same(r);
      return same({
        ...r,
        ticked: ev.on ? [...r.ticked.filter((t) => t !== ev.text), ev.text] : r.ticked.filter((t) => t !== ev.text),
      });
    case 'finish_checklist':
      return finishChecklist(r, ev.accepted, ev.checks);
    case 'no_document': {
      const step = r.step;
      if (step.s === 'did_fail_category') {
        return save(r, { kind: 'digital_id_failed', reason_id: step.reason_id, category_id: null, document_type_id: null });
      }
      if (step.s === 'did_fail_document') {
        return save(r, {
          kind: 'digital_id_failed',
          reason_id: step.reason_id,
          category_id: step.category_id,
          document_type_id: null,
        });
      }
      return same(r);
    }
    case 'note':
      return inCheck ? same({ ...r, note: ev.text }) : same(r);
    case 'chip':
      return inCheck && !r.busy ? same(toggleChip(r, ev.chip)) : same(r);
    case 'back': {
      const prev = r.busy ? null : backStep(r.step);
      return prev ? same(go(r, prev)) : same(r);
    }
    case 'saved': {
      if (!r.busy) return same(r);
      const done = { ...r, busy: false, toast: ev.record, undoable: ev.record };
      // The next check may have started while this one was being saved: stay in it.
      return same(r.seq === ev.seq ? go(done, { s: 'home' }) : done);
    }
    case 'save_failed':
      // Stay on the same step: nothing the librarian chose is lost.
      return r.busy ? same({ ...r, busy: false, error: ev.message }) : same(r);
    case 'undo': {
      const target = r.toast ?? r.undoable;
      if (!target || r.busy) return same(r);
      return { state: { ...r, busy: true, error: null }, effect: { kind: 'undo', id: target.id } };
    }
    case 'undone':
      return r.busy ? same({ ...r, busy: false, toast: null, undoable: null, notice: 'Запись отменена' }) : same(r);
    case 'undo_failed':
      return r.busy ? same({ ...r, busy: false, toast: null, undoable: null, error: ev.message }) : same(r);
    case 'expire': {
      const toast = r.toast && secondsLeft(r.toast, ev.now) <= 0 ? null : r.toast;
      const undoable = r.undoable && secondsLeft(r.undoable, ev.now) <= 0 ? null : r.undoable;
      return toast === r.toast && undoable === r.undoable ? same(r) : same({ ...r, toast, undoable });
    }
    case 'dismiss_error':
      return r.error === null ? same(r) : same({ ...r, error: null });
    case 'error':
      return same({ ...r, error: ev.message });
    case 'notice':
      return same({ ...r, notice: ev.text });
    case 'clear_notice':
      return r.notice === null ? same(r) : same({ ...r, notice: null });
  }
}
