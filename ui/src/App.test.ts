import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { FakeBackend, makeRecord } from './test/fakeBackend';
import { click, onMain, startApp } from './test/harness';

let fake: FakeBackend;

function start(f: FakeBackend = new FakeBackend()) {
  fake = startApp(f);
  return fake;
}




function recordInputs() {
  return fake.callsOf('record_check').map((c) => c.args);
}

/** The checklist step: waits for the pack's checks, returns the check items. */
async function checklistItems(count: number) {
  await screen.findByTestId('checklist-screen');
  await waitFor(() => expect(screen.getAllByTestId('check-item')).toHaveLength(count));
  return screen.getAllByTestId('check-item');
}

async function tickAll() {
  for (const item of screen.getAllByTestId('check-item')) {
    if (!within(item).getByRole<HTMLInputElement>('checkbox').checked) await fireEvent.click(item);
  }
}

describe('setup screen', () => {
  beforeEach(() => {
    start(new FakeBackend({ settings: null }));
  });

  it('submits the right setup args and opens the main screen', async () => {
    await screen.findByTestId('setup-screen');
    expect(screen.getByTestId('screen-title')).toHaveTextContent('первый запуск');
    await fireEvent.change(screen.getByTestId('setup-branch'), { target: { value: 'branch2' } });
    await fireEvent.input(screen.getByTestId('setup-staff'), { target: { value: ' АБ ' } });
    await fireEvent.input(screen.getByTestId('setup-event-title'), { target: { value: 'Ночь в библиотеке' } });
    await fireEvent.input(screen.getByTestId('setup-event-date'), { target: { value: '01.03.2026' } });
    await click('setup-submit');

    await screen.findByTestId('main-screen');
    expect(fake.callsOf('setup')).toHaveLength(1);
    expect(fake.callsOf('setup')[0].args).toEqual({
      input: {
        branch_id: 'branch2',
        staff_label: 'АБ',
        event: { title: 'Ночь в библиотеке', date: '2026-03-01' },
      },
    });
    await waitFor(() =>
      expect(screen.getByTestId('screen-title')).toHaveTextContent('Ночь в библиотеке, 01.03.2026'),
    );
    expect(screen.getByText(/Библиотека-филиал № 2/)).toBeInTheDocument();
  });

  it('refuses an impossible event date in Russian, and «Сегодня» fills today in', async () => {
    await screen.findByTestId('setup-screen');
    await fireEvent.change(screen.getByTestId('setup-branch'), { target: { value: 'central' } });
    await fireEvent.input(screen.getByTestId('setup-staff'), { target: { value: 'ИП' } });
    await fireEvent.input(screen.getByTestId('setup-event-title'), { target: { value: 'Лекция' } });
    const date = screen.getByTestId<HTMLInputElement>('setup-event-date');
    expect(date).toHaveAttribute('inputmode', 'numeric');
    await fireEvent.input(date, { target: { value: '31022026' } });
    expect(date.value).toBe('31.02.2026');
    expect(await screen.findByTestId('setup-event-date-error')).toHaveTextContent(
      'Такого дня нет: в феврале 2026 года 28 дней',
    );
    expect(date).toHaveAttribute('aria-invalid', 'true');
    await click('setup-submit');
    expect(fake.callsOf('setup')).toHaveLength(0);
    expect(screen.getByTestId('setup-screen')).toBeInTheDocument();

    await fireEvent.input(date, { target: { value: '' } });
    await click('setup-submit');
    expect(await screen.findByTestId('setup-event-date-error')).toHaveTextContent('Введите дату: дд.мм.гггг');
    expect(fake.callsOf('setup')).toHaveLength(0);

    await click('setup-event-date-today');
    const now = new Date();
    const pad = (n: number) => String(n).padStart(2, '0');
    expect(date.value).toBe(`${pad(now.getDate())}.${pad(now.getMonth() + 1)}.${now.getFullYear()}`);
    expect(screen.queryByTestId('setup-event-date-error')).toBeNull();
    await click('setup-submit');
    await screen.findByTestId('main-screen');
    const iso = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
    expect(fake.callsOf('setup')[0].args).toEqual({
      input: { branch_id: 'central', staff_label: 'ИП', event: { title: 'Лекция', date: iso } },
    });
  });

  it('sends event null when no event title is given', async () => {
    await screen.findByTestId('setup-screen');
    await fireEvent.change(screen.getByTestId('setup-branch'), { target: { value: 'central' } });
    await fireEvent.input(screen.getByTestId('setup-staff'), { target: { value: 'ИП' } });
    await click('setup-submit');
    await screen.findByTestId('main-screen');
    expect(fake.callsOf('setup')[0].args).toEqual({
      input: { branch_id: 'central', staff_label: 'ИП', event: null },
    });
  });

  it('shows the backend validation message next to the form', async () => {
    await screen.findByTestId('setup-screen');
    await fireEvent.change(screen.getByTestId('setup-branch'), { target: { value: 'central' } });
    await fireEvent.input(screen.getByTestId('setup-staff'), { target: { value: 'ИП' } });
    fake.failNext('setup', { code: 'invalid_input', message: 'Метка не должна содержать ФИО' });
    await click('setup-submit');
    const err = await screen.findByTestId('error');
    expect(err).toHaveAttribute('role', 'alert');
    expect(err).toHaveTextContent('Метка не должна содержать ФИО');
    expect(screen.getByTestId('setup-screen')).toBeInTheDocument();
  });
});

describe('main screen flows', () => {
  beforeEach(async () => {
    start();
    await onMain();
  });

  it('shows the header, tally and empty list', () => {
    expect(screen.getByTestId('screen-title')).toHaveTextContent('Сегодня, 01.03.2026');
    expect(screen.getByText(/Центральная библиотека · ИП/)).toBeInTheDocument();
    for (const id of ['tally-digital', 'tally-paper', 'tally-not-granted', 'tally-total']) {
      expect(screen.getByTestId(id).textContent).toBe('0');
    }
  });

  it('«Цифровой ID — подтверждён» → category saves in 2 taps', async () => {
    await click('btn-did-ok');
    expect(screen.getByTestId('screen-title')).toHaveTextContent('категория');
    await click('choice-pensioner');

    await waitFor(() => expect(recordInputs()).toHaveLength(1));
    expect(recordInputs()[0]).toEqual({ input: { kind: 'digital_id_confirmed', category_id: 'pensioner' } });
    expect(await screen.findByTestId('toast')).toHaveTextContent('Запись сохранена');
    await waitFor(() => expect(screen.getByTestId('tally-digital').textContent).toBe('1'));
    expect(screen.getByTestId('tally-total').textContent).toBe('1');
    const row = screen.getByTestId('record');
    expect(row).toHaveAttribute('data-outcome', 'confirmed');
    expect(row).toHaveAttribute('data-method', 'digital_id');
    expect(row).toHaveAttribute('data-voided', 'false');
    expect(row).toHaveTextContent('Подтверждено Цифровым ID');
    expect(row).toHaveTextContent('Пенсионер');
    // back on the home screen
    expect(screen.getByTestId('btn-did-ok')).toBeInTheDocument();
  });

  it('failed → reason → category → document → checklist saves a paper_shown record', async () => {
    await click('btn-did-fail');
    await click('choice-no_internet');
    await click('choice-pensioner');
    // only the pensioner's document types are offered
    expect(screen.queryByTestId('choice-student_card')).toBeNull();
    await click('choice-pension_statement');

    // choosing the document opens its checklist: nothing is saved yet
    const items = await checklistItems(3);
    expect(screen.getByTestId('screen-title')).toHaveTextContent('Справка о назначении пенсии');
    // only the checks of this document, not those of the pension certificate
    expect(items.map((i) => i.textContent?.trim())).toEqual([
      'Справка выдана СФР или МФЦ',
      'В справке сказано, что назначена пенсия',
      'Показан паспорт, фото в нём совпадает с человеком',
    ]);
    expect(screen.queryByText('Пенсионные удостоверения выдавались до 2015 года.')).toBeNull();
    expect(screen.queryByText(/удостоверение/i)).toBeNull();
    expect(recordInputs()).toHaveLength(0);

    const accept = screen.getByTestId('btn-checklist-accept');
    expect(accept).toHaveTextContent('Документ проверен — льгота предоставлена');
    expect(accept).toBeDisabled();
    await fireEvent.click(items[0]);
    await fireEvent.click(items[2]);
    expect(within(items[0]).getByRole('checkbox')).toBeChecked();
    expect(accept).toBeDisabled();
    await fireEvent.click(accept);
    expect(recordInputs()).toHaveLength(0);
    // unticking and ticking again is fine
    await fireEvent.click(items[0]);
    expect(within(items[0]).getByRole('checkbox')).not.toBeChecked();
    await fireEvent.click(items[0]);
    await fireEvent.click(items[1]);
    expect(accept).toBeEnabled();
    await fireEvent.click(accept);

    await waitFor(() => expect(recordInputs()).toHaveLength(1));
    expect(recordInputs()[0]).toEqual({
      input: {
        kind: 'digital_id_failed',
        reason_id: 'no_internet',
        category_id: 'pensioner',
        document_type_id: 'pension_statement',
        checklist_completed: true,
      },
    });
    await waitFor(() => expect(screen.getByTestId('tally-paper').textContent).toBe('1'));
    const row = screen.getByTestId('record');
    expect(row).toHaveTextContent('Цифровой ID не подтверждён → бумажный документ');
    expect(row).toHaveTextContent('Справка о назначении пенсии');
    expect(row).toHaveTextContent('Нет интернета для Госкана');
  });

  it('no-document path without a category', async () => {
    await click('btn-did-fail');
    await click('choice-status_not_confirmed');
    await click('choice-no-document');
    await waitFor(() => expect(recordInputs()).toHaveLength(1));
    expect(recordInputs()[0]).toEqual({
      input: {
        kind: 'digital_id_failed',
        reason_id: 'status_not_confirmed',
        category_id: null,
        document_type_id: null,
      },
    });
    await waitFor(() => expect(screen.getByTestId('tally-not-granted').textContent).toBe('1'));
    expect(screen.getByTestId('record')).toHaveTextContent('Льгота не предоставлена (документа нет)');
  });

  it('no-document path keeps the chosen category', async () => {
    await click('btn-did-fail');
    await click('choice-no_internet');
    await click('choice-student');
    await click('choice-no-document');
    await waitFor(() => expect(recordInputs()).toHaveLength(1));
    expect(recordInputs()[0]).toEqual({
      input: { kind: 'digital_id_failed', reason_id: 'no_internet', category_id: 'student', document_type_id: null },
    });
  });

  it('«Назад» goes exactly one step back and saves nothing', async () => {
    await click('btn-did-fail');
    await click('choice-no_internet');
    await click('choice-pensioner');
    expect(screen.getByTestId('choice-pension_certificate')).toBeInTheDocument();
    await click('btn-back');
    // category list again, reason still remembered
    expect(screen.getByTestId('choice-student')).toBeInTheDocument();
    expect(screen.getByText('Нет интернета для Госкана')).toBeInTheDocument();
    await click('btn-back');
    expect(screen.getByTestId('choice-no_internet')).toBeInTheDocument();
    await click('btn-back');
    expect(screen.getByTestId('btn-did-fail')).toBeInTheDocument();
    expect(recordInputs()).toHaveLength(0);
  });

  it('«Бумажный документ» → category → document → checklist', async () => {
    await click('btn-paper');
    expect(screen.queryByTestId('choice-no-document')).toBeNull();
    await click('choice-student');
    await click('choice-student_card');
    await checklistItems(2);
    expect(screen.getByTestId('screen-title')).toHaveTextContent('Студенческий билет');
    expect(screen.getByTestId('btn-checklist-accept')).toBeDisabled();
    await tickAll();
    await click('btn-checklist-accept');
    await waitFor(() => expect(recordInputs()).toHaveLength(1));
    expect(recordInputs()[0]).toEqual({
      input: { kind: 'paper', category_id: 'student', document_type_id: 'student_card', checklist_completed: true },
    });
    await waitFor(() => expect(screen.getByTestId('record')).toHaveAttribute('data-method', 'paper'));
    expect(screen.getByTestId('record')).toHaveTextContent('Бумажный документ');
  });

  it('«Гражданин отказался от подтверждения» saves in 1 tap', async () => {
    await click('btn-refused');
    await waitFor(() => expect(recordInputs()).toHaveLength(1));
    expect(recordInputs()[0]).toEqual({ input: { kind: 'refused' } });
    await waitFor(() => expect(screen.getByTestId('record')).toHaveAttribute('data-outcome', 'refused'));
    expect(screen.getByTestId('tally-not-granted').textContent).toBe('1');
  });

  it('undo from the toast calls undo_record and refreshes', async () => {
    await click('btn-refused');
    const toast = await screen.findByTestId('toast');
    expect(within(toast).getByTestId('btn-undo')).toHaveTextContent(/Отменить \((10|9)\)/);
    const id = fake.records[0].id;
    await fireEvent.click(within(toast).getByTestId('btn-undo'));
    await waitFor(() => expect(fake.callsOf('undo_record')).toHaveLength(1));
    expect(fake.callsOf('undo_record')[0].args).toEqual({ id });
    await waitFor(() => expect(screen.queryByTestId('record')).toBeNull());
    expect(screen.queryByTestId('toast')).toBeNull();
    expect(screen.getByTestId('tally-total').textContent).toBe('0');
  });

  it('a failed undo shows the backend message', async () => {
    await click('btn-refused');
    await screen.findByTestId('toast');
    fake.failNext('undo_record', { code: 'undo_expired', message: 'Время отмены истекло' });
    await click('btn-undo');
    expect(await screen.findByTestId('error')).toHaveTextContent('Время отмены истекло');
    expect(await screen.findAllByTestId('record')).toHaveLength(1);
  });

  it('a failed record_check shows the message and keeps the half-finished check', async () => {
    await click('btn-paper');
    await click('choice-pensioner');
    await click('choice-pension_certificate');
    await checklistItems(3);
    await tickAll();
    fake.failNext('record_check', { code: 'storage', message: 'Не удалось сохранить запись на устройстве' });
    await click('btn-checklist-accept');
    const err = await screen.findByTestId('error');
    expect(err).toHaveAttribute('role', 'alert');
    expect(err).toHaveTextContent('Не удалось сохранить запись на устройстве');
    // still on the checklist with the ticks kept, can retry
    expect(screen.getByTestId('btn-checklist-accept')).toBeEnabled();
    await click('btn-checklist-accept');
    await waitFor(() => expect(fake.records).toHaveLength(1));
    expect(screen.queryByTestId('error')).toBeNull();
  });

  it('an optional note goes with the check, is kept on a refusal, and is cleared after saving', async () => {
    await click('btn-did-fail');
    await click('choice-status_not_confirmed');
    await fireEvent.input(screen.getByTestId('check-note'), { target: { value: 'тел. 89123456789' } });
    fake.failNext('record_check', { code: 'personal_data', message: 'Поле «Примечание» похоже на номер телефона' });
    await click('choice-no-document');
    expect(await screen.findByTestId('error')).toHaveTextContent('номер телефона');
    expect(screen.getByTestId('check-note')).toHaveValue('тел. 89123456789');
    await fireEvent.input(screen.getByTestId('check-note'), { target: { value: '  Госкан завис  ' } });
    await click('choice-no-document');
    await waitFor(() => expect(fake.records).toHaveLength(1));
    expect(recordInputs().at(-1)).toEqual({
      input: { kind: 'digital_id_failed', reason_id: 'status_not_confirmed', category_id: null, document_type_id: null, note: 'Госкан завис' },
    });
    await click('btn-paper');
    expect(screen.getByTestId('check-note')).toHaveValue('');
  });
});

describe('void dialog', () => {
  beforeEach(async () => {
    start(new FakeBackend({ records: [makeRecord({ id: 'old-1' })] }));
    await onMain();
    await screen.findByTestId('record');
  });

  it('requires a reason and sends it', async () => {
    await click('btn-void');
    expect(screen.getByRole('dialog')).toBeInTheDocument();
    await click('void-submit');
    expect(await screen.findByTestId('error')).toHaveTextContent('Укажите причину аннулирования');
    expect(fake.callsOf('void_record')).toHaveLength(0);

    await fireEvent.input(screen.getByTestId('void-reason'), { target: { value: '   ' } });
    await click('void-submit');
    expect(fake.callsOf('void_record')).toHaveLength(0);

    await fireEvent.input(screen.getByTestId('void-reason'), { target: { value: 'Ошиблась кнопкой' } });
    await click('void-submit');
    await waitFor(() => expect(fake.callsOf('void_record')).toHaveLength(1));
    expect(fake.callsOf('void_record')[0].args).toEqual({ id: 'old-1', reason: 'Ошиблась кнопкой' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await waitFor(() => expect(screen.getByTestId('record')).toHaveAttribute('data-voided', 'true'));
    const row = screen.getByTestId('record');
    expect(row).toHaveTextContent('Аннулирована: Ошиблась кнопкой');
    expect(within(row).queryByTestId('btn-void')).toBeNull();
  });

  it('shows a backend rejection inside the dialog and keeps it open', async () => {
    await click('btn-void');
    await fireEvent.input(screen.getByTestId('void-reason'), { target: { value: 'паспорт 4510 123456' } });
    fake.failNext('void_record', {
      code: 'personal_data',
      message: 'Похоже на персональные данные (номер документа). Уберите их.',
    });
    await click('void-submit');
    const dialog = screen.getByRole('dialog');
    expect(await within(dialog).findByTestId('error')).toHaveTextContent('Похоже на персональные данные');
    expect(screen.getByTestId('record')).toHaveAttribute('data-voided', 'false');
  });

  it('cancel closes without calling the backend', async () => {
    await click('btn-void');
    await click('void-cancel');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(fake.callsOf('void_record')).toHaveLength(0);
  });
});

describe('settings screen', () => {
  it('changes staff label via setup and starts / ends an event via set_event', async () => {
    start();
    await onMain();
    await click('btn-settings');
    await screen.findByTestId('settings-screen');
    expect(screen.getByTestId('screen-title')).toHaveTextContent('Настройки');

    await fireEvent.input(screen.getByTestId('settings-staff'), { target: { value: 'ПК' } });
    await click('settings-save');
    await waitFor(() => expect(fake.callsOf('setup')).toHaveLength(1));
    expect(fake.callsOf('setup')[0].args).toEqual({
      input: { branch_id: 'central', staff_label: 'ПК', event: null },
    });

    await fireEvent.input(screen.getByTestId('settings-event-title'), { target: { value: 'Лекция' } });
    await fireEvent.input(screen.getByTestId('settings-event-date'), { target: { value: '02.03.2026' } });
    await click('settings-event-start');
    await waitFor(() => expect(fake.callsOf('set_event')).toHaveLength(1));
    expect(fake.callsOf('set_event')[0].args).toEqual({ event: { title: 'Лекция', date: '2026-03-02' } });
    expect(await screen.findByTestId('settings-current-event')).toHaveTextContent('Лекция');

    await click('settings-event-end');
    await waitFor(() => expect(fake.callsOf('set_event')).toHaveLength(2));
    expect(fake.callsOf('set_event')[1].args).toEqual({ event: null });

    await click('btn-back');
    await screen.findByTestId('main-screen');
    expect(screen.getByText(/Центральная библиотека · ПК/)).toBeInTheDocument();
  });
});

describe('startup', () => {
  it('shows a get_state failure and retries', async () => {
    const f = new FakeBackend();
    f.failNext('get_state', { code: 'storage', message: 'Хранилище недоступно' });
    start(f);
    expect(await screen.findByTestId('error')).toHaveTextContent('Хранилище недоступно');
    await fireEvent.click(screen.getByRole('button', { name: 'Повторить' }));
    await screen.findByTestId('main-screen');
  });
});

describe('paper checklist', () => {
  beforeEach(async () => {
    start();
    await onMain();
  });

  it('«Документ не подходит» saves accepted:false with the partial checklist, counted as not granted', async () => {
    await click('btn-paper');
    await click('choice-pensioner');
    await click('choice-pension_certificate');
    const items = await checklistItems(3);
    await fireEvent.click(items[1]);
    const reject = screen.getByTestId('btn-checklist-reject');
    expect(reject).toHaveTextContent('Документ не подходит — льгота не предоставлена');
    expect(reject).toBeEnabled();
    await fireEvent.click(reject);
    await waitFor(() => expect(recordInputs()).toHaveLength(1));
    expect(recordInputs()[0]).toEqual({
      input: {
        kind: 'paper',
        category_id: 'pensioner',
        document_type_id: 'pension_certificate',
        checklist_completed: false,
        accepted: false,
      },
    });
    await waitFor(() => expect(screen.getByTestId('tally-not-granted').textContent).toBe('1'));
    expect(screen.getByTestId('tally-paper').textContent).toBe('0');
    const row = screen.getByTestId('record');
    expect(row).toHaveAttribute('data-outcome', 'paper_rejected');
    expect(row).toHaveTextContent('Документ не принят — льгота не предоставлена');
  });

  it('reject after the failed Digital ID path, all ticked, with a note', async () => {
    await click('btn-did-fail');
    await click('choice-status_not_confirmed');
    await click('choice-student');
    await click('choice-student_card');
    await checklistItems(2);
    await fireEvent.input(screen.getByTestId('check-note'), { target: { value: 'фото старое' } });
    await tickAll();
    await click('btn-checklist-reject');
    await waitFor(() => expect(recordInputs()).toHaveLength(1));
    expect(recordInputs()[0]).toEqual({
      input: {
        kind: 'digital_id_failed',
        reason_id: 'status_not_confirmed',
        category_id: 'student',
        document_type_id: 'student_card',
        checklist_completed: true,
        accepted: false,
        note: 'фото старое',
      },
    });
  });

  it('«Назад» from the checklist returns to the document choice; ticks start over', async () => {
    await click('btn-did-fail');
    await click('choice-no_internet');
    await click('choice-pensioner');
    await click('choice-pension_certificate');
    const items = await checklistItems(3);
    await fireEvent.click(items[0]);
    await click('btn-back');
    expect(screen.queryByTestId('checklist-screen')).toBeNull();
    expect(screen.getByTestId('choice-pension_statement')).toBeInTheDocument();
    expect(screen.getByText('Нет интернета для Госкана')).toBeInTheDocument();
    await click('choice-pension_statement');
    const again = await checklistItems(3);
    expect(again.map((i) => within(i).getByRole<HTMLInputElement>('checkbox').checked)).toEqual([false, false, false]);
    expect(recordInputs()).toHaveLength(0);
    // never asks for a document number
    expect(screen.queryByRole('textbox', { name: /номер/i })).toBeNull();
  });
});

describe('content screens', () => {
  beforeEach(async () => {
    start();
    await onMain();
    await click('btn-content');
    await screen.findByTestId('content-screen');
  });

  it('lists the groups of the pack', async () => {
    expect(screen.getByTestId('screen-title')).toHaveTextContent('Инструкции');
    const ids = (await screen.findAllByTestId('content-item')).map((e) => e.getAttribute('data-id'));
    expect(ids).toEqual([
      'staff-goskan-check',
      'citizen-how-to',
      'fail-no-internet',
      'pension_certificate',
      'pension_statement',
      'student_card',
      '0',
      '1',
      'did-fail-paper',
    ]);
    for (const g of ['Как проверять', 'Для гражданина', 'Если не получилось', 'Бумажные документы', 'Положение', 'Обучение']) {
      expect(screen.getByRole('heading', { name: g })).toBeInTheDocument();
    }
    // the paper documents by category, one entry per document (a category without documents has none)
    expect(screen.getByRole('heading', { name: 'Пенсионер' })).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Многодетная семья' })).toBeNull();
    const statement = screen.getAllByTestId('content-item').find((e) => e.dataset.id === 'pension_statement')!;
    expect(statement).toHaveTextContent('Справка о назначении пенсии');
    expect(fake.callsOf('get_content')).toHaveLength(1);
  });

  it('renders an article’s blocks and goes back to the list', async () => {
    const item = (await screen.findAllByTestId('content-item')).find((e) => e.dataset.id === 'staff-goskan-check')!;
    await fireEvent.click(item);
    const art = await screen.findByTestId('article-screen');
    expect(screen.getByTestId('screen-title')).toHaveTextContent('Как проверить «Цифровой ID» в Госкане');
    expect(within(art).getByText('Откройте Госуслуги и нажмите «Госкан».').tagName).toBe('P');
    const ol = art.querySelector('ol')!;
    expect([...ol.querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      'Наведите камеру на QR-код',
      'Дождитесь ответа Госкана',
    ]);
    expect(art.querySelectorAll('ul li')).toHaveLength(2);
    expect(within(art).getByRole('note')).toHaveTextContent('Не сообщайте никому результат проверки');
    await click('btn-back');
    await screen.findByTestId('content-screen');
    await click('btn-back');
    await screen.findByTestId('main-screen');
    // the pack was loaded once and cached
    expect(fake.callsOf('get_content')).toHaveLength(1);
  });

  it('opens a checklist and a regulation section', async () => {
    let item = (await screen.findAllByTestId('content-item')).find((e) => e.dataset.id === 'pension_certificate')!;
    expect(item).toHaveTextContent('Пенсионное удостоверение');
    await fireEvent.click(item);
    const info = await screen.findByTestId('checklist-info-screen');
    expect(screen.getByTestId('screen-title')).toHaveTextContent('Пенсионное удостоверение');
    expect(within(info).getByText('Подтверждает категорию: Пенсионер')).toBeInTheDocument();
    expect(within(info).getByText('Указано, что человек — пенсионер')).toBeInTheDocument();
    expect(within(info).queryByText('Справка выдана СФР или МФЦ')).toBeNull();
    expect(within(info).getByText('Пенсионные удостоверения выдавались до 2015 года.')).toBeInTheDocument();
    await click('btn-back');
    item = (await screen.findAllByTestId('content-item')).find((e) => e.dataset.id === '1')!;
    await fireEvent.click(item);
    await screen.findByTestId('regulation-screen');
    expect(screen.getByTestId('screen-title')).toHaveTextContent('4. Порядок проверки');
    expect(screen.getByText('4.4. При ошибке можно попросить бумажный документ.')).toBeInTheDocument();
  });

  it('searches (debounced) and opens a hit; says when nothing is found', async () => {
    await fireEvent.input(screen.getByTestId('content-search'), { target: { value: 'пенс' } });
    await new Promise((r) => setTimeout(r, 60));
    expect(fake.callsOf('search_content')).toHaveLength(0);
    await fireEvent.input(screen.getByTestId('content-search'), { target: { value: 'пенсион' } });
    const hits = await screen.findAllByTestId('search-hit');
    // one call for the last text only
    expect(fake.callsOf('search_content').map((c) => c.args)).toEqual([{ query: 'пенсион' }]);
    expect(hits[0]).toHaveTextContent('Нет интернета для Госкана');
    expect(hits[0]).toHaveTextContent('Попросите бумажный документ, например пенсионное удостоверение.');
    expect(hits.some((h) => h.textContent?.includes('Бумажный документ: Пенсионное удостоверение'))).toBe(true);
    await fireEvent.click(hits[0]);
    await screen.findByTestId('article-screen');
    expect(screen.getByTestId('screen-title')).toHaveTextContent('Нет интернета для Госкана');
    await click('btn-back');
    expect(await screen.findAllByTestId('search-hit')).toHaveLength(hits.length);

    await fireEvent.input(screen.getByTestId('content-search'), { target: { value: 'абракадабра' } });
    expect(await screen.findByText('Ничего не найдено')).toBeInTheDocument();
    expect(screen.queryByTestId('search-hit')).toBeNull();

    await fireEvent.input(screen.getByTestId('content-search'), { target: { value: '' } });
    expect(await screen.findAllByTestId('content-item')).not.toHaveLength(0);
  });
});

describe('«Показать гражданину»', () => {
  it('shows only the citizen guide and closes in one tap', async () => {
    start(new FakeBackend({ records: [makeRecord({ id: 'old-1' })] }));
    await onMain();
    await screen.findByTestId('record');
    await click('btn-citizen');
    const cit = await screen.findByTestId('citizen-screen');
    await waitFor(() => expect(screen.getByTestId('screen-title')).toHaveTextContent('Как показать Цифровой ID'));
    expect(within(cit).getByText('Откройте приложение MAX')).toBeInTheDocument();
    expect(within(cit).getByRole('note')).toHaveTextContent('Можно показать бумажный документ');
    // nothing else of the app is in the DOM
    for (const id of ['main-screen', 'tally-total', 'tally-digital', 'record', 'btn-did-ok', 'btn-settings', 'toast']) {
      expect(screen.queryByTestId(id)).toBeNull();
    }
    expect(document.body.textContent).not.toContain('Проверки за сегодня');
    expect(document.body.textContent).not.toContain('Центральная библиотека');
    expect(screen.getAllByRole('button')).toEqual([screen.getByTestId('btn-citizen-close')]);
    await click('btn-citizen-close');
    await screen.findByTestId('main-screen');
    expect(await screen.findByTestId('record')).toBeInTheDocument();
  });
});

describe('training', () => {
  it('the settings toggle calls set_training; the banner, count and marks follow', async () => {
    start(
      new FakeBackend({ records: [makeRecord({ id: 'tr-1', training: true }), makeRecord({ id: 'real-1' })] }),
    );
    await onMain();
    expect(screen.queryByTestId('training-banner')).toBeNull();
    expect(screen.queryByTestId('training-count')).toBeNull();
    const rows = await screen.findAllByTestId('record');
    expect(rows.map((r) => r.getAttribute('data-training'))).toEqual(['true', 'false']);
    expect(rows[0]).toHaveTextContent('Обучение');
    expect(rows[1]).not.toHaveTextContent('Обучение');
    // the real tally ignores the training record
    expect(screen.getByTestId('tally-total').textContent).toBe('1');

    await click('btn-settings');
    const toggle = await screen.findByTestId('settings-training');
    expect(toggle).not.toBeChecked();
    await fireEvent.click(toggle);
    await waitFor(() => expect(fake.callsOf('set_training')).toHaveLength(1));
    expect(fake.callsOf('set_training')[0].args).toEqual({ on: true });
    expect(await screen.findByTestId('training-banner')).toHaveTextContent('Обучение — записи не учитываются');
    expect(screen.getByTestId('settings-training')).toBeChecked();

    await click('btn-back');
    await onMain();
    expect(screen.getByTestId('training-banner')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('training-count')).toHaveTextContent('Учебных записей: 1'));
    await click('btn-refused');
    await waitFor(() => expect(screen.getByTestId('training-count')).toHaveTextContent('Учебных записей: 2'));
    expect(screen.getByTestId('tally-total').textContent).toBe('1');

    await click('btn-content');
    await screen.findByTestId('content-screen');
    expect(screen.getByTestId('training-banner')).toBeInTheDocument();
    await click('btn-back');
    await click('btn-citizen');
    await screen.findByTestId('citizen-screen');
    expect(screen.queryByTestId('training-banner')).toBeNull();
    await click('btn-citizen-close');

    await click('btn-settings');
    await fireEvent.click(await screen.findByTestId('settings-training'));
    await waitFor(() => expect(fake.callsOf('set_training')).toHaveLength(2));
    expect(fake.callsOf('set_training')[1].args).toEqual({ on: false });
    await waitFor(() => expect(screen.queryByTestId('training-banner')).toBeNull());
  });

  it('a failed set_training shows the message and the toggle stays off', async () => {
    start();
    await onMain();
    await click('btn-settings');
    fake.failNext('set_training', { code: 'storage', message: 'Не удалось сохранить настройку' });
    await fireEvent.click(await screen.findByTestId('settings-training'));
    expect(await screen.findByTestId('error')).toHaveTextContent('Не удалось сохранить настройку');
    expect(screen.getByTestId('settings-training')).not.toBeChecked();
    expect(screen.queryByTestId('training-banner')).toBeNull();
  });

  it('trainer: wrong → retry → right → next → summary → record', async () => {
    start();
    await onMain();
    await click('btn-content');
    const item = (await screen.findAllByTestId('content-item')).find((e) => e.dataset.id === 'did-fail-paper')!;
    await fireEvent.click(item);
    const tr = await screen.findByTestId('training-screen');
    expect(screen.getByTestId('screen-title')).toHaveTextContent('Госкан не подтвердил статус');
    expect(tr).toHaveTextContent('Госкан показывает ошибку.');
    expect(tr).toHaveTextContent('Что вы делаете?');
    // the answer is not in the DOM
    expect(tr.innerHTML).not.toMatch(/correct/i);
    let options = screen.getAllByTestId('training-option');
    expect(options).toHaveLength(2);
    const attrs = (el: Element) => [...el.attributes].map((a) => `${a.name}=${a.value}`).sort();
    expect(attrs(options[0])).toEqual(attrs(options[1]));
    expect(screen.queryByTestId('training-feedback')).toBeNull();

    await fireEvent.click(options[0]);
    let fb = screen.getByTestId('training-feedback');
    expect(fb).toHaveTextContent('Неверно');
    expect(fb).toHaveTextContent('Нет: можно предъявить бумажный документ (§4.4).');
    expect(fb).toHaveClass('bad');
    expect(screen.queryByTestId('btn-training-next')).toBeNull();

    await fireEvent.click(options[1]);
    fb = screen.getByTestId('training-feedback');
    expect(fb).toHaveTextContent('Верно');
    expect(fb).toHaveTextContent('Да, по §4.4.');
    expect(fb).toHaveClass('ok');
    await click('btn-training-next');

    expect(screen.getByTestId('training-screen')).toHaveTextContent('Гражданин показывает пенсионное удостоверение.');
    expect(screen.queryByTestId('training-feedback')).toBeNull();
    options = screen.getAllByTestId('training-option');
    expect(options).toHaveLength(3);
    await fireEvent.click(options[0]);
    expect(screen.getByTestId('training-feedback')).toHaveTextContent('Верно: номер не записываем.');
    await click('btn-training-next');

    const summary = screen.getByTestId('training-summary');
    expect(summary).toHaveTextContent('Верно с первой попытки: 1 из 2');
    expect(fake.callsOf('complete_training')).toHaveLength(0);
    await click('btn-training-record');
    await waitFor(() => expect(fake.callsOf('complete_training')).toHaveLength(1));
    // The score travels with it: the first step was answered wrong, the second right at once.
    expect(fake.callsOf('complete_training')[0].args).toEqual({ scenario_id: 'did-fail-paper', correct_first_try: 1 });
    expect(await screen.findByTestId('notice')).toHaveTextContent('Результат обучения сохранён');
    expect(screen.queryByTestId('btn-training-record')).toBeNull();
    expect(fake.records[0].training).toBe(true);

    await click('btn-back');
    await screen.findByTestId('content-screen');
    await click('btn-back');
    await onMain();
    // a training record is listed but not counted
    const row = await screen.findByTestId('record');
    expect(row).toHaveAttribute('data-training', 'true');
    expect(screen.getByTestId('tally-total').textContent).toBe('0');
  });
});

describe('content pack install (settings)', () => {
  function chooseFile(text: string) {
    const file = new File([text], 'pack.json', { type: 'application/json' });
    return fireEvent.change(screen.getByTestId('content-file'), { target: { files: [file] } });
  }

  beforeEach(async () => {
    start();
    await onMain();
    await click('btn-settings');
    await screen.findByTestId('settings-screen');
  });

  it('shows the pack in use and a refusal message; the pack stays', async () => {
    expect(await screen.findByTestId('content-version')).toHaveTextContent(
      'Инструкции: версия 2 от 16.02.2026, встроенные',
    );
    const input = screen.getByTestId('content-file');
    expect(input).toHaveAttribute('type', 'file');
    expect(input).toHaveAttribute('accept', '.json,application/json');

    const older = JSON.stringify({ key_id: 'k', signature: 'sig', payload: JSON.stringify({ version: 1 }) });
    await chooseFile(older);
    await waitFor(() => expect(fake.callsOf('install_content_pack')).toHaveLength(1));
    expect(fake.callsOf('install_content_pack')[0].args).toEqual({ pack: older });
    const err = await screen.findByTestId('error');
    expect(err).toHaveAttribute('role', 'alert');
    expect(err).toHaveTextContent('Эта версия инструкций (1) не новее установленной (2)');
    expect(screen.getByTestId('content-version')).toHaveTextContent('версия 2');

    // the remembered refusal is shown once the error is dismissed
    await fireEvent.click(within(err).getByRole('button'));
    expect(await screen.findByTestId('content-last-refusal')).toHaveTextContent('не новее установленной');
  });

  it('installs a newer pack and reports its version', async () => {
    await screen.findByTestId('content-version');
    const payload = JSON.stringify({ ...fake.content.pack, version: 5, published: '2026-04-01' });
    await chooseFile(JSON.stringify({ key_id: 'k', signature: 'sig', payload }));
    expect(await screen.findByTestId('content-notice')).toHaveTextContent(
      'Инструкции обновлены: версия 5 от 01.04.2026',
    );
    expect(screen.getByTestId('content-version')).toHaveTextContent(
      'Инструкции: версия 5 от 01.04.2026, обновлённые',
    );
    expect(screen.queryByTestId('error')).toBeNull();
  });
});
