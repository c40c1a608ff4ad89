// At the desk (issue 15): common notes one tap away, a refused note kept for editing, and the
// undo toast that gives way to the next check (undo stays in the list while its time lasts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { CONFIG, FakeBackend } from './test/fakeBackend';
import { click, onMain, startApp } from './test/harness';

let fake: FakeBackend;

const chip = (text: string) => screen.getAllByTestId('note-chip').find((c) => c.textContent?.trim() === text)!;
const inputs = () => fake.callsOf('record_check').map((c) => (c.args as { input: Record<string, unknown> }).input);

describe('note chips', () => {
  beforeEach(async () => {
    fake = startApp(new FakeBackend());
    await onMain();
  });

  it('shows the configuration’s chips in a check; a tap fills the note, the next appends, a second tap removes', async () => {
    expect(screen.queryByTestId('note-chips')).toBeNull();
    await click('btn-did-fail');
    const chips = screen.getAllByTestId('note-chip').map((c) => c.textContent?.trim());
    expect(chips).toEqual(CONFIG.note_chips);
    await fireEvent.click(chip('Госкан долго загружался'));
    expect(screen.getByTestId('check-note')).toHaveValue('Госкан долго загружался');
    expect(chip('Госкан долго загружался')).toHaveAttribute('aria-pressed', 'true');
    await fireEvent.click(chip('с сопровождающим'));
    expect(screen.getByTestId('check-note')).toHaveValue('Госкан долго загружался; с сопровождающим');
    await fireEvent.click(chip('Госкан долго загружался'));
    expect(screen.getByTestId('check-note')).toHaveValue('с сопровождающим');
    expect(chip('Госкан долго загружался')).toHaveAttribute('aria-pressed', 'false');
    // typed text stays; a chip is added after it
    await fireEvent.input(screen.getByTestId('check-note'), { target: { value: 'пришли вдвоём' } });
    await fireEvent.click(chip('повторная проверка'));
    expect(screen.getByTestId('check-note')).toHaveValue('пришли вдвоём; повторная проверка');
    await click('choice-status_not_confirmed');
    await click('choice-no-document');
    await waitFor(() => expect(inputs()).toHaveLength(1));
    expect(inputs()[0].note).toBe('пришли вдвоём; повторная проверка');
  });

});

describe('a configuration without chips', () => {
  const saved = CONFIG.note_chips;
  beforeEach(async () => {
    CONFIG.note_chips = [];
    fake = startApp(new FakeBackend());
    await onMain();
  });
  afterEach(() => {
    CONFIG.note_chips = saved;
  });

  it('shows no chips, only the note field', async () => {
    await click('btn-paper');
    expect(screen.queryByTestId('note-chips')).toBeNull();
    expect(screen.getByTestId('check-note')).toBeInTheDocument();
  });
});

describe('a refused note is kept for editing', () => {
  beforeEach(async () => {
    fake = startApp(new FakeBackend());
    await onMain();
  });

  it('keeps a note refused as a name in the field, says what was found, and saves the edited note', async () => {
    await click('btn-paper');
    await click('choice-student');
    await click('choice-student_card');
    await screen.findByTestId('checklist-screen');
    await waitFor(() => expect(screen.getAllByTestId('check-item')).toHaveLength(2));
    await fireEvent.input(screen.getByTestId('check-note'), { target: { value: 'Петров И.И., билет продлён' } });
    for (const item of screen.getAllByTestId('check-item')) await fireEvent.click(item);
    fake.failNext('record_check', {
      code: 'personal_data',
      message: 'В поле «Примечание» есть что-то похожее на имя. Персональные данные граждан хранить нельзя — уберите их.',
    });
    await click('btn-checklist-accept');
    expect(await screen.findByTestId('error')).toHaveTextContent('похожее на имя');
    expect(screen.getByTestId('check-note')).toHaveValue('Петров И.И., билет продлён');
    // still the same check, ticks kept
    expect(screen.getByTestId('btn-checklist-accept')).toBeEnabled();
    await fireEvent.input(screen.getByTestId('check-note'), { target: { value: 'билет продлён' } });
    await click('btn-checklist-accept');
    await waitFor(() => expect(fake.records).toHaveLength(1));
    expect(inputs().at(-1)?.note).toBe('билет продлён');
  });

  it('keeps a void reason refused as an address in the dialog', async () => {
    await click('btn-refused');
    await screen.findByTestId('record');
    await click('btn-void');
    await fireEvent.input(screen.getByTestId('void-reason'), { target: { value: 'живёт на ул. Мира, 7' } });
    fake.failNext('void_record', {
      code: 'personal_data',
      message: 'В поле «Причина аннулирования» есть что-то похожее на адрес. Персональные данные граждан хранить нельзя — уберите их.',
    });
    await click('void-submit');
    const dialog = screen.getByRole('dialog');
    expect(await within(dialog).findByTestId('error')).toHaveTextContent('похожее на адрес');
    expect(screen.getByTestId('void-reason')).toHaveValue('живёт на ул. Мира, 7');
  });
});

describe('the undo toast at queue speed', () => {
  beforeEach(async () => {
    fake = startApp(new FakeBackend());
    await onMain();
  });

  it('gives way when the next check starts; undo stays in the list until its time runs out', async () => {
    await click('btn-refused');
    const toast = await screen.findByTestId('toast');
    expect(within(toast).getByTestId('btn-undo')).toHaveTextContent(/Отменить \((10|9)\)/);
    // the toast lies in the flow after the outcome buttons, not over them
    const actions = screen.getByRole('navigation', { name: 'Записать проверку' });
    expect(actions.compareDocumentPosition(toast) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();

    await click('btn-paper');
    expect(screen.queryByTestId('toast')).toBeNull();
    expect(screen.getByTestId('screen-title')).toHaveTextContent('Бумажный документ: категория');
    await click('btn-back');
    await screen.findByTestId('btn-did-ok');
    // back on the main screen: no toast, but the last record's row offers the undo with its time
    expect(screen.queryByTestId('toast')).toBeNull();
    const rowUndo = await screen.findByTestId('btn-undo-record');
    expect(rowUndo).toHaveTextContent(/Отменить \(\d+\)/);
    const id = fake.records[0].id;
    await fireEvent.click(rowUndo);
    await waitFor(() => expect(fake.callsOf('undo_record')).toHaveLength(1));
    expect(fake.callsOf('undo_record')[0].args).toEqual({ id });
    await waitFor(() => expect(screen.queryByTestId('record')).toBeNull());
    expect(screen.queryByTestId('btn-undo-record')).toBeNull();
  });

  it('offers no undo in the list once its time is over', async () => {
    fake.undoWindowMs = 1_500;
    await click('btn-refused');
    await screen.findByTestId('toast');
    await click('btn-did-ok');
    await click('btn-back');
    await screen.findByTestId('btn-undo-record');
    await waitFor(() => expect(screen.queryByTestId('btn-undo-record')).toBeNull(), { timeout: 4_000 });
    expect(screen.queryByTestId('toast')).toBeNull();
  });

  it('ten checks back to back: each saved, the tally right, the newest toast only', async () => {
    const paths: string[][] = [
      ['btn-refused'],
      ['btn-did-ok', 'choice-student'],
      ['btn-did-fail', 'choice-no_internet', 'choice-no-document'],
      ['btn-did-ok', 'choice-pensioner'],
      ['btn-refused'],
      ['btn-did-ok', 'choice-large_family'],
      ['btn-did-fail', 'choice-status_not_confirmed', 'choice-student', 'choice-no-document'],
      ['btn-did-ok', 'choice-student'],
      ['btn-refused'],
      ['btn-did-ok', 'choice-pensioner'],
    ];
    for (const [n, path] of paths.entries()) {
      for (const id of path) await click(id);
      await waitFor(() => expect(fake.records).toHaveLength(n + 1));
      await screen.findByTestId('btn-did-ok');
    }
    await waitFor(() => expect(screen.getByTestId('tally-total').textContent).toBe('10'));
    expect(screen.getByTestId('tally-digital').textContent).toBe('5');
    expect(screen.getByTestId('tally-not-granted').textContent).toBe('5');
    expect(screen.getAllByTestId('toast')).toHaveLength(1);
  });
});

describe('no tap lost', () => {
  beforeEach(async () => {
    fake = startApp(new FakeBackend());
    await onMain();
  });

  it('a check started while «отказ» is still being saved stays open; both are saved', async () => {
    const release = fake.hold('record_check');
    await click('btn-refused');
    // the save is in flight: the next citizen's check can start at once
    expect(screen.getByTestId('btn-did-ok')).toBeEnabled();
    await click('btn-did-ok');
    expect(screen.getByTestId('screen-title')).toHaveTextContent('Цифровой ID подтверждён: категория');
    release();
    await waitFor(() => expect(fake.records).toHaveLength(1));
    // the finished save did not pull the librarian out of the new check
    expect(screen.getByTestId('screen-title')).toHaveTextContent('Цифровой ID подтверждён: категория');
    await click('choice-student');
    await waitFor(() => expect(fake.records).toHaveLength(2));
    await screen.findByTestId('btn-did-ok');
    expect(inputs().map((i) => i.kind)).toEqual(['refused', 'digital_id_confirmed']);
  });
});
