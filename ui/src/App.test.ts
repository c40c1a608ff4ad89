import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from './App.svelte';
import { FakeBackend, makeRecord } from './test/fakeBackend';

let fake: FakeBackend;

function start(f: FakeBackend = new FakeBackend()) {
  fake = f;
  fake.install();
  render(App);
  return fake;
}

afterEach(() => fake?.uninstall());

const click = (testId: string) => fireEvent.click(screen.getByTestId(testId));

async function onMain() {
  await screen.findByTestId('main-screen');
  // wait for the first overview to arrive
  await waitFor(() => expect(fake.callsOf('overview').length).toBeGreaterThan(0));
  await screen.findByRole('heading', { name: 'Проверки за сегодня' });
}

function recordInputs() {
  return fake.callsOf('record_check').map((c) => c.args);
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
    await fireEvent.input(screen.getByTestId('setup-event-date'), { target: { value: '2026-03-01' } });
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

  it('failed → reason → category → document saves a paper_shown record', async () => {
    await click('btn-did-fail');
    await click('choice-no_internet');
    await click('choice-pensioner');
    // only the pensioner's document types are offered
    expect(screen.queryByTestId('choice-student_card')).toBeNull();
    await click('choice-pension_statement');

    await waitFor(() => expect(recordInputs()).toHaveLength(1));
    expect(recordInputs()[0]).toEqual({
      input: {
        kind: 'digital_id_failed',
        reason_id: 'no_internet',
        category_id: 'pensioner',
        document_type_id: 'pension_statement',
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

  it('«Бумажный документ» → category → document', async () => {
    await click('btn-paper');
    expect(screen.queryByTestId('choice-no-document')).toBeNull();
    await click('choice-student');
    await click('choice-student_card');
    await waitFor(() => expect(recordInputs()).toHaveLength(1));
    expect(recordInputs()[0]).toEqual({
      input: { kind: 'paper', category_id: 'student', document_type_id: 'student_card' },
    });
    await waitFor(() => expect(screen.getByTestId('record')).toHaveAttribute('data-method', 'paper'));
    expect(screen.getByTestId('record')).toHaveTextContent('Бумажный документ');
  });

  it('«Без подтверждения / отказ» saves in 1 tap', async () => {
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
    fake.failNext('record_check', { code: 'storage', message: 'Не удалось сохранить запись на устройстве' });
    await click('choice-pension_certificate');
    const err = await screen.findByTestId('error');
    expect(err).toHaveAttribute('role', 'alert');
    expect(err).toHaveTextContent('Не удалось сохранить запись на устройстве');
    // still on the document step, can retry
    expect(screen.getByTestId('choice-pension_certificate')).toBeInTheDocument();
    await click('choice-pension_certificate');
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
    await fireEvent.input(screen.getByTestId('settings-event-date'), { target: { value: '2026-03-02' } });
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
    fake = new FakeBackend();
    fake.failNext('get_state', { code: 'storage', message: 'Хранилище недоступно' });
    fake.install();
    render(App);
    expect(await screen.findByTestId('error')).toHaveTextContent('Хранилище недоступно');
    await fireEvent.click(screen.getByRole('button', { name: 'Повторить' }));
    await screen.findByTestId('main-screen');
  });
});
