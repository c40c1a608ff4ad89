import { describe, expect, it } from 'vitest';
import type { RecordView } from '../backend/types';
import {
  NOTE_MAX,
  allTicked,
  backStep,
  chipOn,
  initial,
  secondsLeft,
  update,
  type Recording,
  type RecordingEvent,
  type Step,
  type Transition,
} from './recording';

const CHECKS = ['Фото совпадает', 'Срок действия не истёк'];

function record(id = 'r1', undoable_until_ms = 10_000): RecordView {
  return {
    id,
    created_at_ms: 0,
    local_time: '10:00',
    method: 'digital_id',
    outcome: 'confirmed',
    granted: true,
    category_id: 'pensioner',
    failure_reason_id: null,
    document_type_id: null,
    checklist_completed: null,
    note: null,
    training: false,
    voided: false,
    void_reason: null,
    undoable_until_ms,
  };
}

/** Feeds events one after another; every one must be valid (change the state or ask for an effect). */
function run(state: Recording, ...events: RecordingEvent[]): Transition {
  let t: Transition = { state, effect: null };
  for (const ev of events) {
    const next = update(t.state, ev);
    expect(next.state !== t.state || next.effect !== null, `${ev.type} was refused`).toBe(true);
    t = next;
  }
  return t;
}

const at = (step: Step, extra: Partial<Recording> = {}): Recording => ({ ...initial(), step, ...extra });

/** The event is refused: the very same state, no effect. */
function refused(state: Recording, ev: RecordingEvent) {
  const t = update(state, ev);
  expect(t.state).toBe(state);
  expect(t.effect).toBeNull();
}

describe('recording: the steps of a check', () => {
  it('starts at the main screen with nothing chosen', () => {
    const r = initial();
    expect(r.step).toEqual({ s: 'home' });
    expect(r).toMatchObject({ note: '', ticked: [], busy: false, error: null, toast: null, undoable: null });
  });

  it('opens each method at its first step', () => {
    expect(run(initial(), { type: 'start', method: 'did_ok' }).state.step).toEqual({ s: 'did_ok_category' });
    expect(run(initial(), { type: 'start', method: 'did_fail' }).state.step).toEqual({ s: 'did_fail_reason' });
    expect(run(initial(), { type: 'start', method: 'paper' }).state.step).toEqual({ s: 'paper_category' });
  });

  it('confirmed Digital ID: the category saves the check', () => {
    const t = run(initial(), { type: 'start', method: 'did_ok' }, { type: 'choose', id: 'pensioner' });
    expect(t.effect).toEqual({
      kind: 'save',
      input: { kind: 'digital_id_confirmed', category_id: 'pensioner' },
      seq: t.state.seq,
    });
    expect(t.state.busy).toBe(true);
    // The step stays until the save answers.
    expect(t.state.step).toEqual({ s: 'did_ok_category' });
  });

  it('failed Digital ID: reason → category → document → checklist, each step remembering the last', () => {
    const t = run(
      initial(),
      { type: 'start', method: 'did_fail' },
      { type: 'choose', id: 'no_internet' },
      { type: 'choose', id: 'pensioner' },
      { type: 'choose', id: 'pension_cert' },
    );
    expect(t.state.step).toEqual({
      s: 'did_fail_checklist',
      reason_id: 'no_internet',
      category_id: 'pensioner',
      document_type_id: 'pension_cert',
    });
    expect(t.effect).toBeNull();
  });

  it('paper: category → document → checklist', () => {
    const t = run(
      initial(),
      { type: 'start', method: 'paper' },
      { type: 'choose', id: 'student' },
      { type: 'choose', id: 'student_card' },
    );
    expect(t.state.step).toEqual({ s: 'paper_checklist', category_id: 'student', document_type_id: 'student_card' });
  });

  it('«отказ» saves at once from the main screen', () => {
    const t = run(initial(), { type: 'refuse' });
    expect(t.effect).toEqual({ kind: 'save', input: { kind: 'refused' }, seq: 0 });
  });

  it('«документа нет» saves a failed check without a document, with or without the category', () => {
    const reason = at({ s: 'did_fail_category', reason_id: 'r' });
    expect(run(reason, { type: 'no_document' }).effect).toMatchObject({
      input: { kind: 'digital_id_failed', reason_id: 'r', category_id: null, document_type_id: null },
    });
    const category = at({ s: 'did_fail_document', reason_id: 'r', category_id: 'c' });
    expect(run(category, { type: 'no_document' }).effect).toMatchObject({
      input: { kind: 'digital_id_failed', reason_id: 'r', category_id: 'c', document_type_id: null },
    });
  });
});

describe('recording: the checklist', () => {
  const paper = at({ s: 'paper_checklist', category_id: 'c', document_type_id: 'd' });
  const failed = at({ s: 'did_fail_checklist', reason_id: 'r', category_id: 'c', document_type_id: 'd' });

  it('ticks and unticks items', () => {
    const t = run(paper, { type: 'tick', text: CHECKS[0], on: true }, { type: 'tick', text: CHECKS[1], on: true });
    expect(allTicked(t.state, CHECKS)).toBe(true);
    const u = run(t.state, { type: 'tick', text: CHECKS[0], on: false });
    expect(u.state.ticked).toEqual([CHECKS[1]]);
    expect(allTicked(u.state, CHECKS)).toBe(false);
  });

  it('accepts the document only once every item is ticked', () => {
    refused(paper, { type: 'finish_checklist', accepted: true, checks: CHECKS });
    const ticked = { ...paper, ticked: CHECKS };
    expect(run(ticked, { type: 'finish_checklist', accepted: true, checks: CHECKS }).effect).toEqual({
      kind: 'save',
      input: { kind: 'paper', category_id: 'c', document_type_id: 'd', checklist_completed: true },
      seq: 0,
    });
  });

  it('rejects the document at any time, saying whether the list was complete', () => {
    expect(run(failed, { type: 'finish_checklist', accepted: false, checks: CHECKS }).effect).toMatchObject({
      input: {
        kind: 'digital_id_failed',
        reason_id: 'r',
        category_id: 'c',
        document_type_id: 'd',
        checklist_completed: false,
        accepted: false,
      },
    });
    const all = { ...failed, ticked: CHECKS };
    expect(run(all, { type: 'finish_checklist', accepted: false, checks: CHECKS }).effect).toMatchObject({
      input: { checklist_completed: true, accepted: false },
    });
  });

  it('starts unticked each time a checklist opens', () => {
    const doc = at({ s: 'paper_document', category_id: 'c' }, { ticked: CHECKS });
    expect(run(doc, { type: 'choose', id: 'd' }).state.ticked).toEqual([]);
  });
});

describe('recording: the note', () => {
  const check = at({ s: 'did_ok_category' });

  it('goes with the saved check, trimmed, and not at all when empty', () => {
    const t = run(check, { type: 'note', text: '  Госкан завис  ' }, { type: 'choose', id: 'c' });
    expect(t.effect).toMatchObject({ input: { note: 'Госкан завис' } });
    const blank = run(check, { type: 'note', text: '   ' }, { type: 'choose', id: 'c' });
    expect(blank.effect).toMatchObject({ kind: 'save' });
    expect(blank.effect?.kind === 'save' && 'note' in blank.effect.input).toBe(false);
  });

  it('chips add themselves to the note and a second tap takes them out', () => {
    const t = run(check, { type: 'note', text: 'пришли вдвоём' }, { type: 'chip', chip: 'повторная проверка' });
    expect(t.state.note).toBe('пришли вдвоём; повторная проверка');
    expect(chipOn(t.state, 'повторная проверка')).toBe(true);
    const u = run(t.state, { type: 'chip', chip: 'пришли вдвоём' });
    expect(u.state.note).toBe('повторная проверка');
  });

  it('a chip that would make the note too long is not added', () => {
    refused({ ...check, note: 'x'.repeat(NOTE_MAX - 3) }, { type: 'chip', chip: 'длинно' });
  });

  it('survives back steps inside the check and is cleared on the main screen', () => {
    const t = run(
      at({ s: 'did_fail_reason' }),
      { type: 'choose', id: 'r' },
      { type: 'note', text: 'заметка' },
      { type: 'back' },
    );
    expect(t.state.note).toBe('заметка');
    expect(run(t.state, { type: 'back' }).state.note).toBe('');
  });
});

describe('recording: back steps', () => {
  it('goes back exactly one step from every step, and never from the main screen', () => {
    const chain: Step[] = [
      { s: 'did_fail_checklist', reason_id: 'r', category_id: 'c', document_type_id: 'd' },
      { s: 'did_fail_document', reason_id: 'r', category_id: 'c' },
      { s: 'did_fail_category', reason_id: 'r' },
      { s: 'did_fail_reason' },
      { s: 'home' },
    ];
    for (let i = 0; i + 1 < chain.length; i++) expect(backStep(chain[i])).toEqual(chain[i + 1]);
    expect(backStep({ s: 'paper_checklist', category_id: 'c', document_type_id: 'd' })).toEqual({
      s: 'paper_document',
      category_id: 'c',
    });
    expect(backStep({ s: 'paper_document', category_id: 'c' })).toEqual({ s: 'paper_category' });
    expect(backStep({ s: 'paper_category' })).toEqual({ s: 'home' });
    expect(backStep({ s: 'did_ok_category' })).toEqual({ s: 'home' });
    expect(backStep({ s: 'home' })).toBeNull();
  });

  it('«back» from a deep step never leaves the check at once', () => {
    let r = at({ s: 'paper_checklist', category_id: 'c', document_type_id: 'd' });
    const seen: string[] = [];
    while (r.step.s !== 'home') {
      r = run(r, { type: 'back' }).state;
      seen.push(r.step.s);
    }
    expect(seen).toEqual(['paper_document', 'paper_category', 'home']);
  });

  it('is refused on the main screen and while a save is in flight', () => {
    refused(initial(), { type: 'back' });
    refused(at({ s: 'did_fail_reason' }, { busy: true }), { type: 'back' });
  });

  it('clears the error of the step it leaves', () => {
    const t = run(at({ s: 'did_fail_reason' }, { error: 'Нет связи' }), { type: 'back' });
    expect(t.state.error).toBeNull();
  });
});

describe('recording: saving and undo', () => {
  it('after a save: back to the main screen, note cleared, the record offered for undo', () => {
    const saving = run(
      initial(),
      { type: 'start', method: 'did_ok' },
      { type: 'note', text: 'x' },
      { type: 'choose', id: 'c' },
    );
    const rec = record();
    const t = run(saving.state, { type: 'saved', record: rec, seq: saving.state.seq });
    expect(t.state).toMatchObject({ step: { s: 'home' }, note: '', busy: false, toast: rec, undoable: rec });
  });

  it('a save that ends after the next check started leaves the librarian in it', () => {
    const refusing = run(initial(), { type: 'refuse' });
    const next = run(refusing.state, { type: 'start', method: 'paper' }, { type: 'note', text: 'y' });
    expect(refusing.effect?.kind === 'save' && refusing.effect.seq).toBe(0);
    const t = run(next.state, { type: 'saved', record: record(), seq: 0 });
    expect(t.state.step).toEqual({ s: 'paper_category' });
    expect(t.state.note).toBe('y');
    expect(t.state.busy).toBe(false);
  });

  it('a failed save stays on the step with the error, nothing chosen is lost', () => {
    const s = at({ s: 'paper_checklist', category_id: 'c', document_type_id: 'd' }, { ticked: CHECKS, note: 'n' });
    const saving = run(s, { type: 'finish_checklist', accepted: true, checks: CHECKS });
    const t = run(saving.state, { type: 'save_failed', message: 'Нет места' });
    expect(t.state).toMatchObject({ step: s.step, ticked: CHECKS, note: 'n', busy: false, error: 'Нет места' });
  });

  it('one save at a time', () => {
    const saving = run(at({ s: 'did_ok_category' }), { type: 'choose', id: 'c' }).state;
    refused(saving, { type: 'choose', id: 'c' });
    refused(saving, { type: 'refuse' });
    refused(initial(), { type: 'saved', record: record(), seq: 0 });
    refused(initial(), { type: 'save_failed', message: 'x' });
  });

  it('the next check hides the toast; the list still offers the undo', () => {
    const rec = record();
    const t = run(at({ s: 'home' }, { toast: rec, undoable: rec, notice: 'x' }), { type: 'start', method: 'did_ok' });
    expect(t.state).toMatchObject({ toast: null, undoable: rec, notice: null });
  });

  it('undo targets the toast, else the list, and clears both', () => {
    const a = record('a');
    const b = record('b');
    expect(run(at({ s: 'home' }, { toast: a, undoable: b }), { type: 'undo' }).effect).toEqual({ kind: 'undo', id: 'a' });
    const t = run(at({ s: 'did_ok_category' }, { undoable: b }), { type: 'undo' });
    expect(t.effect).toEqual({ kind: 'undo', id: 'b' });
    const done = run(t.state, { type: 'undone' });
    expect(done.state).toMatchObject({ toast: null, undoable: null, busy: false, notice: 'Запись отменена' });
    const failed = run(t.state, { type: 'undo_failed', message: 'Поздно' });
    expect(failed.state).toMatchObject({ toast: null, undoable: null, busy: false, error: 'Поздно' });
  });

  it('undo is refused with nothing to undo or while busy', () => {
    refused(initial(), { type: 'undo' });
    refused(at({ s: 'home' }, { toast: record(), busy: true }), { type: 'undo' });
  });

  it('the undo offers expire when their time is up', () => {
    const rec = record('r', 10_000);
    const r = at({ s: 'home' }, { toast: rec, undoable: rec });
    expect(secondsLeft(rec, 1_000)).toBe(9);
    refused(r, { type: 'expire', now: 9_999 });
    expect(run(r, { type: 'expire', now: 10_000 }).state).toMatchObject({ toast: null, undoable: null });
  });
});

describe('recording: invalid events', () => {
  it('refuses what the current step does not offer', () => {
    const home = initial();
    refused(home, { type: 'choose', id: 'x' });
    refused(home, { type: 'no_document' });
    refused(home, { type: 'tick', text: 'x', on: true });
    refused(home, { type: 'finish_checklist', accepted: false, checks: CHECKS });
    refused(home, { type: 'note', text: 'x' });
    refused(home, { type: 'chip', chip: 'x' });
    const inCheck = at({ s: 'paper_category' });
    refused(inCheck, { type: 'start', method: 'did_ok' });
    refused(inCheck, { type: 'refuse' });
    refused(inCheck, { type: 'no_document' });
    refused(inCheck, { type: 'tick', text: 'x', on: true });
    refused(at({ s: 'did_ok_category' }), { type: 'no_document' });
    refused(at({ s: 'paper_category' }, { busy: true }), { type: 'choose', id: 'c' });
  });

  it('never mutates the state it is given', () => {
    const r = Object.freeze(at({ s: 'did_fail_reason' }, { ticked: Object.freeze([]) as readonly string[] }));
    expect(() => run(r, { type: 'choose', id: 'r' }, { type: 'note', text: 'n' }, { type: 'back' })).not.toThrow();
    expect(r.step).toEqual({ s: 'did_fail_reason' });
  });
});
