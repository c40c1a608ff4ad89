import { describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { SYNC_POLL_MS } from './state/sync.svelte';
import {
  ADVICE,
  ENROLL_CODE,
  FakeBackend,
  SERVER,
  attentionItem,
  clockWarning,
  type FakeOptions,
  syncView,
} from './test/fakeBackend';
import { click, onMain, setAgent, startApp, type } from './test/harness';

let fake: FakeBackend;

function start(opts: FakeOptions = {}) {
  fake = startApp(new FakeBackend(opts));
  return fake;
}


/** Long enough for one more poll of sync_status. */
const POLL = { timeout: SYNC_POLL_MS + 1500 };


/** Main screen → the badge → settings with the sync panel loaded. */
async function openPanel() {
  await onMain();
  await waitFor(() => expect(fake.callsOf('sync_status').length).toBeGreaterThan(0));
  await click('sync-badge');
  await screen.findByTestId('settings-screen');
  const panel = screen.getByTestId('sync-panel');
  await within(panel).findByTestId('sync-pending');
  return panel;
}

const REVOKED = {
  code: 'device_revoked',
  message: 'Центральная библиотека отключила это устройство.',
  advice: 'Попросите новый QR-код подключения и нажмите «Подключить заново».',
  at_ms: new Date(2026, 2, 1, 10, 7).getTime(),
};

describe('sync badge on the main screen', () => {
  it('says the device is not enrolled', async () => {
    start({ sync: { server: null } });
    await onMain();
    const badge = screen.getByTestId('sync-badge');
    await waitFor(() => expect(badge).toHaveTextContent('Не подключено к серверу'));
    expect(badge).toHaveAttribute('data-state', 'not_enrolled');
  });

  it('counts unsent records, then follows the polled status to «all sent»', async () => {
    start({ sync: { pending: 3 } });
    await onMain();
    const badge = screen.getByTestId('sync-badge');
    await waitFor(() => expect(badge).toHaveTextContent('Не отправлено: 3'));
    expect(badge).toHaveAttribute('data-state', 'pending');
    expect(badge).not.toHaveTextContent('ошибка');

    const before = fake.callsOf('sync_status').length;
    fake.sync = syncView({ pending: 0, last_success_ms: Date.now() });
    await waitFor(() => expect(badge).toHaveTextContent('Все записи отправлены'), POLL);
    expect(fake.callsOf('sync_status').length).toBeGreaterThan(before);
    expect(badge).toHaveAttribute('data-state', 'sent');
  });

  it('says all records are sent', async () => {
    start();
    await onMain();
    await waitFor(() => expect(screen.getByTestId('sync-badge')).toHaveTextContent('Все записи отправлены'));
    expect(screen.getByTestId('sync-badge')).toHaveAttribute('data-state', 'sent');
  });

  it('marks the last attempt’s problem', async () => {
    start({ sync: { pending: 2, problem: REVOKED } });
    await onMain();
    await waitFor(() => expect(screen.getByTestId('sync-badge')).toHaveTextContent('Не отправлено: 2 · ошибка'));
  });

  it('opens the settings at the sync panel in one tap', async () => {
    start({ sync: { pending: 1 } });
    const panel = await openPanel();
    expect(within(panel).getByTestId('sync-pending').textContent).toBe('1');
    expect(document.activeElement).toBe(within(panel).getByRole('heading', { level: 2 }));
  });

  it('recording never waits for sync: a hung or failing sync_status changes nothing', async () => {
    start();
    const release = fake.hold('sync_status');
    await onMain();
    expect(screen.getByTestId('sync-badge')).toHaveTextContent('Проверяем отправку');
    await click('btn-refused');
    await waitFor(() => expect(fake.callsOf('record_check')).toHaveLength(1));
    expect(await screen.findByTestId('toast')).toHaveTextContent('Запись сохранена');
    await waitFor(() => expect(screen.getByTestId('tally-total').textContent).toBe('1'));

    fake.failNext('sync_status', { code: 'storage', message: 'Хранилище недоступно' });
    release();
    await waitFor(() =>
      expect(screen.getByTestId('sync-badge')).toHaveTextContent('Состояние отправки неизвестно'),
    );
    // the failure stays in the badge: the recording screen shows no error
    expect(screen.queryByTestId('error')).toBeNull();
  });

  it('stops polling when neither the main screen nor the settings are shown', async () => {
    start();
    await onMain();
    await waitFor(() => expect(fake.callsOf('sync_status').length).toBeGreaterThan(0));
    await click('btn-citizen');
    await screen.findByTestId('btn-citizen-close');
    const count = fake.callsOf('sync_status').length;
    await new Promise((r) => setTimeout(r, SYNC_POLL_MS + 300));
    expect(fake.callsOf('sync_status')).toHaveLength(count);
  });
});

describe('sync panel (settings)', () => {
  it('shows server, pending count, last success and «sync now» enabled', async () => {
    const last = new Date(2026, 2, 1, 9, 5).getTime();
    start({ sync: { pending: 5, last_success_ms: last } });
    const panel = await openPanel();
    expect(within(panel).getByTestId('sync-server')).toHaveTextContent(SERVER);
    expect(within(panel).getByTestId('sync-pending').textContent).toBe('5');
    expect(within(panel).getByTestId('sync-last')).toHaveTextContent('01.03.2026 09:05');
    expect(within(panel).getByTestId('btn-sync-now')).toBeEnabled();
    expect(within(panel).queryByTestId('sync-progress')).toBeNull();
    expect(within(panel).queryByTestId('sync-problem')).toBeNull();
    // already enrolled: the form is behind «Подключить заново»
    expect(within(panel).queryByTestId('enroll-form')).toBeNull();
    await click('btn-enroll-again');
    expect(within(panel).getByTestId('enroll-form')).toBeInTheDocument();
    await click('btn-enroll-cancel');
    expect(within(panel).queryByTestId('enroll-form')).toBeNull();
    // Enrolled: the branch is the enrolled one (the server refuses records of another).
    expect(screen.getByTestId('settings-branch')).toBeDisabled();
    expect(screen.getByTestId('settings-branch-fixed')).toBeInTheDocument();
  });

  it('not enrolled: says so, «sync now» is disabled, the form is open', async () => {
    start({ sync: { server: null, pending: 2 } });
    const panel = await openPanel();
    expect(within(panel).getByTestId('sync-server')).toHaveTextContent(
      'Устройство не подключено к центральной библиотеке',
    );
    expect(within(panel).getByTestId('sync-last')).toHaveTextContent('ещё не было');
    expect(within(panel).getByTestId('btn-sync-now')).toBeDisabled();
    expect(within(panel).getByTestId('btn-export')).toBeEnabled();
    expect(within(panel).getByTestId('enroll-form')).toBeInTheDocument();
    expect(screen.getByText('Отсканируйте QR-код камерой или вставьте его текст.')).toBeInTheDocument();
    expect(screen.getByTestId('enroll-server')).toHaveAttribute('placeholder', 'https://…');
    expect(screen.getByTestId('settings-branch')).toBeEnabled();
    expect(screen.queryByTestId('settings-branch-fixed')).toBeNull();
  });

  it('«Синхронизировать сейчас» calls sync_now, shows the progress while running, then the result', async () => {
    start({ sync: { pending: 3 } });
    const panel = await openPanel();
    // sync_now's own answer shows the progress: no status poll is needed (none gets through).
    const release = fake.hold('sync_status');
    await click('btn-sync-now');
    await waitFor(() => expect(fake.callsOf('sync_now')).toHaveLength(1));

    const bar = await within(panel).findByTestId('sync-progress');
    release();
    expect(bar.tagName).toBe('PROGRESS');
    expect(bar).toHaveAttribute('max', '3');
    expect(bar).toHaveAttribute('value', '0');
    expect(panel).toHaveTextContent('Отправлено 0 из 3');
    expect(within(panel).getByTestId('btn-sync-now')).toBeDisabled();

    fake.sync = syncView({ pending: 1, progress: { running: true, sent: 2, remaining: 1 } });
    await waitFor(() => expect(within(panel).getByTestId('sync-progress')).toHaveAttribute('value', '2'), POLL);
    expect(within(panel).getByTestId('sync-progress')).toHaveAttribute('max', '3');
    expect(panel).toHaveTextContent('Отправлено 2 из 3');

    const done = new Date(2026, 2, 1, 10, 15).getTime();
    fake.sync = syncView({ pending: 0, last_success_ms: done });
    await waitFor(() => expect(within(panel).queryByTestId('sync-progress')).toBeNull(), POLL);
    expect(within(panel).getByTestId('sync-pending').textContent).toBe('0');
    expect(within(panel).getByTestId('sync-last')).toHaveTextContent('01.03.2026 10:15');
    expect(within(panel).getByTestId('btn-sync-now')).toBeEnabled();
  });

  it('shows a sync_now rejection in the notice', async () => {
    start({ sync: { pending: 3 } });
    const panel = await openPanel();
    fake.failNext('sync_now', { code: 'storage', message: 'Хранилище недоступно' });
    await click('btn-sync-now');
    const n = await within(panel).findByTestId('sync-notice');
    expect(n).toHaveAttribute('role', 'alert');
    expect(n).toHaveTextContent('Хранилище недоступно');
  });

  it('shows the last problem: message and advice, as an alert', async () => {
    start({ sync: { pending: 2, problem: REVOKED } });
    const panel = await openPanel();
    const p = within(panel).getByTestId('sync-problem');
    expect(p).toHaveAttribute('role', 'alert');
    expect(p).toHaveTextContent(REVOKED.message);
    expect(p).toHaveTextContent(REVOKED.advice);
    expect(p).toHaveTextContent('01.03.2026 10:07');
  });

  it('exports unsent records and shows the count and the path', async () => {
    start({ sync: { pending: 4 } });
    const panel = await openPanel();
    await click('btn-export');
    await waitFor(() => expect(fake.callsOf('export_pending')).toHaveLength(1));
    const n = await within(panel).findByTestId('sync-notice');
    expect(n).toHaveAttribute('role', 'status');
    expect(n).toHaveTextContent(
      'Выгружено записей: 4 в файл /storage/emulated/0/Download/lgota-unsent-20260301-1015.json',
    );

    fake.failNext('export_pending', { code: 'export_failed', message: 'Не удалось записать файл' });
    await click('btn-export');
    await waitFor(() => expect(within(panel).getByTestId('sync-notice')).toHaveTextContent('Не удалось записать файл'));
    expect(within(panel).getByTestId('sync-notice')).toHaveAttribute('role', 'alert');

    // The desktop's save dialog closed without a place: nothing written, nothing claimed.
    fake.exportCancelled = true;
    await click('btn-export');
    await waitFor(() => expect(fake.callsOf('export_pending')).toHaveLength(3));
    await waitFor(() => expect(within(panel).queryByTestId('sync-notice')).toBeNull());
  });

  it('on a phone, says what the share sheet did and where the file stays', async () => {
    start({ sync: { pending: 3 } });
    const panel = await openPanel();
    const path = '/storage/emulated/0/Download/lgota-unsent-20260301-1015.json';
    const notice = () => within(panel).getByTestId('sync-notice');

    fake.exportShared = 'closed';
    await click('btn-export');
    await waitFor(() => expect(notice()).toHaveTextContent(`Выгружено записей: 3 в файл ${path}.`));
    expect(notice()).toHaveTextContent('Если вы не отправили его сейчас, файл остаётся там');
    expect(notice()).toHaveAttribute('role', 'status');

    fake.exportShared = 'failed';
    await click('btn-export');
    await waitFor(() => expect(notice()).toHaveTextContent('Окно «Поделиться» не открылось'));
    expect(notice()).toHaveTextContent(path);
    expect(notice()).toHaveTextContent('передайте его методисту любым способом');

    fake.exportShared = 'sent';
    await click('btn-export');
    await waitFor(() => expect(notice()).toHaveTextContent('Файл отправлен; копия осталась на телефоне.'));
    expect(notice()).toHaveTextContent(path);
  });
});

describe('records the server did not store («Требуют внимания») and the clock', () => {
  const REFUSED = attentionItem({
    record_id: 'rec-pd',
    code: 'personal_data',
    message: 'В заметке похоже на номер документа: такие данные не записываются.',
    made_at: '01.03.2026 10:05',
  });
  const CONFLICT = attentionItem({
    record_id: 'rec-cf',
    code: 'conflict',
    message: 'На сервере уже есть другая запись с этим номером.',
    made_at: '28.02.2026 17:40',
  });

  it('lists a personal-data refusal and a conflict: when, the server’s words, the advice, the actions', async () => {
    start({ sync: { pending: 0, attention: [REFUSED, CONFLICT] } });
    await onMain();
    const badge = screen.getByTestId('sync-badge');
    await waitFor(() => expect(badge).toHaveTextContent('Требуют внимания: 2'));
    expect(badge).toHaveAttribute('data-state', 'attention');
    expect(badge).not.toHaveTextContent('Все записи отправлены');

    const panel = await openPanel();
    const section = within(panel).getByTestId('sync-attention');
    expect(within(section).getByRole('heading', { level: 3 })).toHaveTextContent('Требуют внимания (2)');
    expect(section).toHaveTextContent('Выгрузка в файл включает и эти записи');
    const items = within(section).getAllByTestId('attention-item');
    expect(items.map((i) => i.getAttribute('data-code'))).toEqual(['personal_data', 'conflict']);

    const [pd, cf] = items;
    expect(pd).toHaveAttribute('data-status', 'refused');
    expect(pd).toHaveTextContent('Запись от 01.03.2026 10:05');
    expect(pd).toHaveTextContent(REFUSED.message);
    expect(pd).toHaveTextContent(ADVICE.personal_data);
    expect(within(pd).getByTestId('btn-attention-void')).toHaveTextContent('Аннулировать');

    expect(cf).toHaveAttribute('data-status', 'conflict');
    expect(cf).toHaveTextContent('Запись от 28.02.2026 17:40');
    expect(cf).toHaveTextContent(CONFLICT.message);
    expect(cf).toHaveTextContent('Ничего не потеряно: обе версии у методиста.');
    expect(within(panel).queryByTestId('attention-voided')).toBeNull();

    // The section's export is the panel's export: unsent and not-stored records in one file.
    await click('btn-attention-export');
    await waitFor(() => expect(fake.callsOf('export_pending')).toHaveLength(1));
    expect(await within(panel).findByTestId('sync-notice')).toHaveTextContent('Выгружено записей: 2');
  });

  it('offers no «Аннулировать» for a record that cannot be voided here', async () => {
    start({ sync: { attention: [attentionItem({ record_id: 'void-1', code: 'void_target_foreign', can_void: false })] } });
    const panel = await openPanel();
    const item = within(panel).getByTestId('attention-item');
    expect(item).toHaveAttribute('data-code', 'void_target_foreign');
    expect(within(item).queryByTestId('btn-attention-void')).toBeNull();
  });

  it('«Аннулировать» voids the record through void_record; the item then shows as voided', async () => {
    start({ sync: { attention: [REFUSED, CONFLICT] } });
    const panel = await openPanel();
    const pd = within(panel).getAllByTestId('attention-item')[0];
    await fireEvent.click(within(pd).getByTestId('btn-attention-void'));
    const dialog = await screen.findByTestId('void-dialog');
    expect(dialog).toHaveTextContent('Запись от 01.03.2026 10:05');
    await type('void-reason', 'Номер документа в заметке');
    await click('void-submit');
    await waitFor(() => expect(fake.callsOf('void_record')).toHaveLength(1));
    expect(fake.callsOf('void_record')[0].args).toEqual({ id: 'rec-pd', reason: 'Номер документа в заметке' });

    await waitFor(() => expect(screen.queryByTestId('void-dialog')).toBeNull());
    expect(await within(panel).findByTestId('sync-notice')).toHaveTextContent('Запись аннулирована');
    // The status is asked again at once (no waiting for the next poll).
    await waitFor(() =>
      expect(within(panel).getByTestId('sync-attention').querySelector('h3')).toHaveTextContent('Требуют внимания (1)'),
    );
    expect(within(panel).getAllByTestId('attention-item').map((i) => i.getAttribute('data-id'))).toEqual(['rec-cf']);
    const voided = within(panel).getByTestId('attention-voided');
    expect(voided).toHaveTextContent('Не приняты сервером и аннулированы: 1');
    const row = within(voided).getByTestId('attention-voided-item');
    expect(row).toHaveAttribute('data-id', 'rec-pd');
    expect(row).toHaveTextContent('Аннулирована — ничего делать не нужно');

    // Voiding the last one leaves nothing to do: no «Требуют внимания», the badge says all sent.
    await fireEvent.click(within(panel).getByTestId('btn-attention-void'));
    await type('void-reason', 'Дубль');
    await click('void-submit');
    await waitFor(() => expect(within(panel).queryByTestId('sync-attention')).toBeNull());
    expect(within(panel).getAllByTestId('attention-voided-item')).toHaveLength(2);
    await click('btn-back');
    await onMain();
    await waitFor(() => expect(screen.getByTestId('sync-badge')).toHaveTextContent('Все записи отправлены'));
  });

  it('the void dialog’s «Отмена» voids nothing', async () => {
    start({ sync: { attention: [REFUSED] } });
    const panel = await openPanel();
    await click('btn-attention-void');
    await screen.findByTestId('void-dialog');
    await click('void-cancel');
    expect(screen.queryByTestId('void-dialog')).toBeNull();
    expect(fake.callsOf('void_record')).toHaveLength(0);
    expect(within(panel).getByTestId('attention-item')).toHaveAttribute('data-id', 'rec-pd');
  });

  it('shows the clock warning on the panel and under the main screen’s tally', async () => {
    const warning = clockWarning(3);
    start({ sync: { clock_skew_ms: 3 * 86_400_000, clock_warning: warning } });
    await onMain();
    const main = await screen.findByTestId('clock-warning');
    expect(main).toHaveTextContent('часы спешат примерно на 3 дн. по сравнению с сервером');
    expect(main).toHaveAttribute('role', 'alert');

    const panel = await openPanel();
    const onPanel = within(panel).getByTestId('sync-clock-warning');
    expect(onPanel).toHaveTextContent(warning);
    // At the top of the panel: right under its title.
    expect(panel.querySelector('h2')?.nextElementSibling).toBe(onPanel);

    // The clock is put right: the next status has no warning and the banner goes.
    fake.sync = syncView({ clock_skew_ms: 2_000 });
    await waitFor(() => expect(within(panel).queryByTestId('sync-clock-warning')).toBeNull(), POLL);
  });

  it('shows nothing of it when every record was stored and the clock is right', async () => {
    start({ sync: { clock_skew_ms: 1_500 } });
    await onMain();
    await waitFor(() => expect(screen.getByTestId('sync-badge')).toHaveTextContent('Все записи отправлены'));
    expect(screen.queryByTestId('clock-warning')).toBeNull();
    const panel = await openPanel();
    expect(within(panel).queryByTestId('sync-attention')).toBeNull();
    expect(within(panel).queryByTestId('attention-voided')).toBeNull();
    expect(within(panel).queryByTestId('sync-clock-warning')).toBeNull();
    expect(panel).not.toHaveTextContent('Требуют внимания');
  });
});

describe('enrollment', () => {
  const URI = `lgota:enroll?v=1&server=${encodeURIComponent(SERVER)}&code=${ENROLL_CODE}`;

  it('by the QR code’s text sends exactly { input: { uri } } and refreshes the panel', async () => {
    start({ sync: { server: null } });
    const panel = await openPanel();
    await type('enroll-uri', `  ${URI}\n`);
    await click('btn-enroll');
    await waitFor(() => expect(fake.callsOf('enroll')).toHaveLength(1));
    expect(fake.callsOf('enroll')[0].args).toEqual({ input: { uri: URI } });

    expect(await within(panel).findByTestId('sync-notice')).toHaveTextContent('Устройство подключено');
    await waitFor(() => expect(within(panel).getByTestId('sync-server')).toHaveTextContent(SERVER));
    expect(within(panel).queryByTestId('enroll-form')).toBeNull();
    expect(within(panel).getByTestId('btn-enroll-again')).toBeInTheDocument();
    expect(within(panel).getByTestId('btn-sync-now')).toBeEnabled();
    expect(screen.queryByTestId('error')).toBeNull();
  });

  it('by hand sends exactly { input: { server, code } }', async () => {
    start({ sync: { server: null } });
    const panel = await openPanel();
    await type('enroll-server', ` ${SERVER} `);
    await type('enroll-code', 'K7Q2-9XWM');
    await click('btn-enroll');
    await waitFor(() => expect(fake.callsOf('enroll')).toHaveLength(1));
    expect(fake.callsOf('enroll')[0].args).toEqual({ input: { server: SERVER, code: 'K7Q2-9XWM' } });
    expect(await within(panel).findByTestId('sync-notice')).toHaveTextContent('Устройство подключено');
  });

  it('is busy while the request runs', async () => {
    start({ sync: { server: null } });
    const panel = await openPanel();
    const release = fake.hold('enroll');
    await type('enroll-uri', URI);
    await click('btn-enroll');
    await waitFor(() => expect(within(panel).getByTestId('btn-enroll')).toBeDisabled());
    expect(within(panel).getByTestId('btn-enroll')).toHaveTextContent('Подключаем…');
    expect(within(panel).getByTestId('enroll-uri')).toBeDisabled();
    await click('btn-enroll');
    release();
    expect(await within(panel).findByTestId('sync-notice')).toHaveTextContent('Устройство подключено');
    expect(fake.callsOf('enroll')).toHaveLength(1);
  });

  it('shows the backend’s message and keeps the form', async () => {
    start({ sync: { server: null } });
    const panel = await openPanel();
    await type('enroll-server', SERVER);
    await type('enroll-code', 'WRONG');
    // The real refusals are tested in Rust (lgota-core, src-tauri): here, one shown as given.
    fake.failNext('enroll', { code: 'enrollment_code_invalid', message: 'Код подключения не найден.' });
    await click('btn-enroll');
    const err = await within(panel).findByTestId('error');
    expect(err).toHaveAttribute('role', 'alert');
    expect(err).toHaveTextContent('Код подключения не найден.');
    expect(within(panel).getByTestId('enroll-form')).toBeInTheDocument();
    expect(within(panel).getByTestId('enroll-code')).toHaveValue('WRONG');
    expect(within(panel).queryByTestId('sync-notice')).toBeNull();

    fake.failNext('enroll', { code: 'unreachable', message: 'Сервер не отвечает. Проверьте интернет.' });
    await click('btn-enroll');
    await waitFor(() => expect(within(panel).getByTestId('error')).toHaveTextContent('Сервер не отвечает'));
  });

  it('into a branch published after the app was installed: shows the name the server gave', async () => {
    start({
      sync: { server: null },
      codes: { 'NEW-1': { branch_id: 'branch-new', branch_name: 'Филиал на Озёрной', by: 'admin' } },
    });
    const panel = await openPanel();
    await type('enroll-server', SERVER);
    await type('enroll-code', 'NEW-1');
    await click('btn-enroll');
    expect(await within(panel).findByTestId('sync-notice')).toHaveTextContent(
      'Устройство подключено: филиал «Филиал на Озёрной»',
    );
    // The settings show the branch although the configuration does not list it (yet).
    const branch = screen.getByTestId('settings-branch') as HTMLSelectElement;
    await waitFor(() => expect(branch).toBeDisabled());
    expect(branch.value).toBe('branch-new');
    expect(branch.selectedOptions[0]).toHaveTextContent('Филиал на Озёрной');
    // Saving the label keeps the enrolled branch.
    await type('settings-staff', 'ПК');
    await click('settings-save');
    await waitFor(() => expect(fake.callsOf('setup')).toHaveLength(1));
    expect(fake.callsOf('setup')[0].args).toEqual({ input: { branch_id: 'branch-new', staff_label: 'ПК', event: null } });
    // And so does the recording screen.
    await click('btn-back');
    await screen.findByTestId('main-screen');
    expect(screen.getByText(/Филиал на Озёрной · ПК/)).toBeInTheDocument();
  });

  // Every refusal of the server, as the librarian reads it (the fake's rules and words are the
  // server's: crates/lgota-central/tests/enroll.rs checks the words).
  const refusals: [string, FakeOptions, string][] = [
    ['an unknown code', {}, 'Код подключения не найден: отсканируйте QR-код, выданный администратором, ещё раз.'],
    [
      'a used code',
      { codes: { C: { branch_id: 'central', branch_name: 'Центральная библиотека', by: 'admin', used: true } } },
      'Этот код подключения уже использован: каждый код действует один раз.',
    ],
    [
      'an expired code',
      { codes: { C: { branch_id: 'central', branch_name: 'Центральная библиотека', by: 'admin', expired: true } } },
      'Срок действия кода подключения истёк: попросите администратора выдать новый.',
    ],
    [
      'a revoked phone',
      {
        codes: { C: { branch_id: 'central', branch_name: 'Центральная библиотека', by: 'admin' } },
        serverDevice: { branch_id: 'central', branch_name: 'Центральная библиотека', revoked: true },
      },
      'Это устройство отключено центральной библиотекой и не может быть подключено снова.',
    ],
    [
      'a branch head’s code for a phone of another branch',
      {
        codes: { C: { branch_id: 'branch2', branch_name: 'Библиотека-филиал № 2', by: 'branch_head' } },
        serverDevice: { branch_id: 'central', branch_name: 'Центральная библиотека' },
      },
      'Этот телефон подключён к филиалу «Центральная библиотека». Перенести его в другой филиал может только ' +
        'администратор центральной библиотеки: попросите код подключения у администратора.',
    ],
  ];
  for (const [what, opts, message] of refusals) {
    it(`refuses ${what} with the server’s words and keeps the phone as it was`, async () => {
      start({ sync: { server: null }, ...opts });
      const panel = await openPanel();
      await type('enroll-server', SERVER);
      await type('enroll-code', 'C');
      await click('btn-enroll');
      const err = await within(panel).findByTestId('error');
      expect(err).toHaveTextContent(message);
      expect(within(panel).getByTestId('enroll-form')).toBeInTheDocument();
      expect(within(panel).queryByTestId('sync-notice')).toBeNull();
      expect(fake.settings?.branch_id).toBe('central');
      expect(within(panel).getByTestId('sync-server')).toHaveTextContent('не подключено');
    });
  }

  it('an administrator’s code moves a phone of another branch', async () => {
    start({
      sync: { server: null },
      codes: { C: { branch_id: 'branch2', branch_name: 'Библиотека-филиал № 2', by: 'admin' } },
      serverDevice: { branch_id: 'central', branch_name: 'Центральная библиотека' },
    });
    const panel = await openPanel();
    await type('enroll-server', SERVER);
    await type('enroll-code', 'C');
    await click('btn-enroll');
    expect(await within(panel).findByTestId('sync-notice')).toHaveTextContent('филиал «Библиотека-филиал № 2»');
    expect((screen.getByTestId('settings-branch') as HTMLSelectElement).value).toBe('branch2');
  });

  it('asks for the QR text or both fields before calling the backend', async () => {
    start({ sync: { server: null } });
    const panel = await openPanel();
    await type('enroll-server', SERVER);
    await click('btn-enroll');
    expect(await within(panel).findByTestId('error')).toHaveTextContent('Вставьте текст QR-кода');
    expect(fake.callsOf('enroll')).toHaveLength(0);
  });

  it('after a revoked device: «Подключить заново» opens the form', async () => {
    start({ sync: { pending: 2, problem: REVOKED } });
    const panel = await openPanel();
    await click('btn-enroll-again');
    await type('enroll-uri', URI);
    await click('btn-enroll');
    await waitFor(() => expect(fake.callsOf('enroll')).toHaveLength(1));
    expect(await within(panel).findByTestId('sync-notice')).toHaveTextContent('Устройство подключено');
    await waitFor(() => expect(within(panel).queryByTestId('sync-problem')).toBeNull());
  });
});

describe('events from the central office', () => {
  const EVENTS = [
    { id: 'cev-1', title: 'Библионочь', date: '2026-04-18' },
    { id: 'cev-2', title: 'Лекция о краеведении', date: '2026-03-05' },
  ];

  it('lists them and makes the chosen one current via choose_event', async () => {
    start({ events: EVENTS });
    await openPanel();
    const items = await screen.findAllByTestId('central-event');
    expect(items.map((b) => b.getAttribute('data-id'))).toEqual(['cev-1', 'cev-2']);
    expect(items[0]).toHaveTextContent('Библионочь');
    expect(items[0]).toHaveTextContent('18.04.2026');
    expect(items[1]).toHaveTextContent('05.03.2026');
    expect(items[1]).toHaveTextContent('Выбрать');

    await fireEvent.click(items[1]);
    await waitFor(() => expect(fake.callsOf('choose_event')).toHaveLength(1));
    expect(fake.callsOf('choose_event')[0].args).toEqual({ id: 'cev-2' });
    expect(await screen.findByTestId('settings-current-event')).toHaveTextContent('Лекция о краеведении');
    await waitFor(() => expect(screen.getAllByTestId('central-event')[1]).toBeDisabled());
    expect(screen.getAllByTestId('central-event')[1]).toHaveAttribute('aria-pressed', 'true');

    await click('btn-back');
    await screen.findByTestId('main-screen');
    await waitFor(() => expect(screen.getByTestId('screen-title')).toHaveTextContent('Лекция о краеведении, 05.03.2026'));
  });

  it('shows a choose_event rejection', async () => {
    start({ events: EVENTS });
    await openPanel();
    const items = await screen.findAllByTestId('central-event');
    fake.failNext('choose_event', { code: 'not_found', message: 'Мероприятие отменено' });
    await fireEvent.click(items[0]);
    expect(await screen.findByTestId('error')).toHaveTextContent('Мероприятие отменено');
  });

  it('reloads the list after a new successful sync', async () => {
    start({ sync: { last_success_ms: 1_000 } });
    await openPanel();
    await waitFor(() => expect(fake.callsOf('list_events')).toHaveLength(1));
    expect(screen.queryByTestId('central-event')).toBeNull();
    fake.events = [EVENTS[0]];
    fake.sync = syncView({ last_success_ms: 2_000 });
    const item = await screen.findByTestId('central-event', {}, POLL);
    expect(item).toHaveAttribute('data-id', 'cev-1');
  });

  it('shows a content pack that arrived by sync without a restart', async () => {
    start({ sync: { last_success_ms: 1_000 } });
    await openPanel();
    expect(screen.getByTestId('content-version')).toHaveTextContent('версия 2');
    const loads = fake.callsOf('get_content').length;
    // The sync installs a newer pack (the backend's job); the screen learns of it from the status.
    fake.content = { ...fake.content, pack: { ...fake.content.pack, version: 3 }, source: 'installed' };
    fake.sync = syncView({ last_success_ms: 2_000 });
    await waitFor(() => expect(screen.getByTestId('content-version')).toHaveTextContent('версия 3'), POLL);
    expect(fake.callsOf('get_content')).toHaveLength(loads + 1);
  });

  it('does not reload the content pack while no new sync succeeds', async () => {
    start({ sync: { last_success_ms: 1_000, pending: 1 } });
    await openPanel();
    const loads = fake.callsOf('get_content').length;
    const polls = fake.callsOf('sync_status').length;
    fake.sync = syncView({ last_success_ms: 1_000, pending: 2 });
    await waitFor(() => expect(fake.callsOf('sync_status').length).toBeGreaterThan(polls), POLL);
    await waitFor(() => expect(screen.getByTestId('sync-pending')).toHaveTextContent('2'));
    expect(fake.callsOf('get_content')).toHaveLength(loads);
  });

  it('hides the list when there are none', async () => {
    start({ events: [EVENTS[0]], sync: { last_success_ms: 1_000 } });
    await openPanel();
    // Rendered from the first list_events answer: the list is shown while there is an event…
    await screen.findByTestId('central-event');
    // …and a sync after which the central office publishes none hides it.
    fake.events = [];
    fake.sync = syncView({ last_success_ms: 2_000 });
    await waitFor(() => expect(screen.queryByTestId('central-events')).toBeNull(), POLL);
    expect(fake.callsOf('list_events')).toHaveLength(2);
    expect(screen.queryByTestId('central-event')).toBeNull();
  });
});

describe('camera scan (phones only)', () => {

  it('is not offered on the desktop', async () => {
    start({ sync: { server: null } });
    await openPanel();
    expect(screen.queryByTestId('btn-scan')).toBeNull();
  });

  it('asks for the camera, fills in the scanned text, and enrollment sends it', async () => {
    setAgent('Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36');
    start({ sync: { server: null } });
    const scanned = `lgota:enroll?v=1&server=${encodeURIComponent(SERVER)}&code=SCANNED`;
    fake.camera = { now: 'prompt', afterRequest: 'granted', content: scanned };
    await openPanel();
    await click('btn-scan');
    await waitFor(() => expect(screen.getByTestId('enroll-uri')).toHaveValue(scanned));
    expect(fake.callsOf('plugin:barcode-scanner|request_permissions')).toHaveLength(1);
  });

  it('explains a refused camera, opens the phone settings on request, leaves the manual path', async () => {
    setAgent('Mozilla/5.0 (Linux; Android 14)');
    start({ sync: { server: null } });
    fake.camera = { now: 'denied', afterRequest: 'denied', content: '' };
    await openPanel();
    expect(screen.queryByTestId('btn-open-app-settings')).toBeNull();
    await click('btn-scan');
    expect(await screen.findByTestId('error')).toHaveTextContent('Нет доступа к камере');
    expect(fake.callsOf('plugin:barcode-scanner|scan')).toHaveLength(0);
    await click('btn-open-app-settings');
    await waitFor(() => expect(fake.callsOf('plugin:barcode-scanner|open_app_settings')).toHaveLength(1));
    expect(screen.getByTestId('enroll-uri')).toBeInTheDocument();
  });

  it('says nothing when the librarian closes the camera without scanning', async () => {
    setAgent('Mozilla/5.0 (Linux; Android 14)');
    start({ sync: { server: null } });
    fake.camera = { now: 'granted', afterRequest: 'granted', content: '', cancel: true };
    await openPanel();
    await click('btn-scan');
    await waitFor(() => expect(fake.callsOf('plugin:barcode-scanner|scan')).toHaveLength(1));
    await waitFor(() => expect(screen.getByTestId('btn-scan')).toBeEnabled());
    expect(screen.queryByTestId('error')).toBeNull();
    expect(screen.getByTestId('enroll-uri')).toHaveValue('');
    expect(fake.callsOf('enroll')).toHaveLength(0);
  });
});

describe('reconnect', () => {
  it('syncs as soon as the network comes back', async () => {
    start({ sync: { pending: 2 } });
    await onMain();
    expect(fake.callsOf('sync_now')).toHaveLength(0);
    window.dispatchEvent(new Event('online'));
    await waitFor(() => expect(fake.callsOf('sync_now')).toHaveLength(1));
  });

  it('asks for the status as soon as the app is back in the foreground, not while hidden', async () => {
    start({ sync: { pending: 2 } });
    await onMain();
    const badge = screen.getByTestId('sync-badge');
    await waitFor(() => expect(badge).toHaveTextContent('Не отправлено: 2'));
    const setVisibility = (state: DocumentVisibilityState) => {
      Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    };
    try {
      setVisibility('hidden');
      fake.sync = syncView({ pending: 0, last_success_ms: Date.now() });
      // Hidden: the polls are skipped, the badge keeps the old status.
      await new Promise((r) => setTimeout(r, SYNC_POLL_MS + 500));
      expect(badge).toHaveTextContent('Не отправлено: 2');
      const polls = fake.callsOf('sync_status').length;
      setVisibility('visible');
      expect(fake.callsOf('sync_status')).toHaveLength(polls + 1);
      await waitFor(() => expect(badge).toHaveTextContent('Все записи отправлены'));
    } finally {
      setVisibility('visible');
    }
  });
});
