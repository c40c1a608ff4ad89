import { afterEach, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { checkIdle } from './state/lock.svelte';
import { FakeBackend, makeRecord, type FakeOptions } from './test/fakeBackend';
import { click, startApp } from './test/harness';

let fake: FakeBackend;

function start(opts: FakeOptions = {}) {
  fake = startApp(new FakeBackend({ records: [makeRecord({ id: 'old-1' })], ...opts }));
  return fake;
}

afterEach(() => setVisibility('visible'));


async function typePin(pin: string) {
  for (const d of pin) await click(`pin-key-${d}`);
}

function setVisibility(state: 'visible' | 'hidden') {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}

/** Nothing about checks on screen. */
function expectNothingRevealed() {
  expect(screen.queryAllByTestId('record')).toHaveLength(0);
  expect(screen.queryByTestId('tally-total')).toBeNull();
  expect(screen.queryByTestId('sync-badge')).toBeNull();
  expect(screen.queryByTestId('btn-settings')).toBeNull();
}

describe('app lock', () => {
  it('starts locked with a PIN: no list, no tally, no overview asked; the right PIN opens it', async () => {
    start({ lock: { pin: '2580' } });
    await screen.findByTestId('lock-screen');
    expectNothingRevealed();
    expect(screen.queryByTestId('btn-did-ok')).toBeNull();
    expect(fake.callsOf('overview')).toHaveLength(0);

    await typePin('1111');
    expect(screen.getByTestId('pin-dots')).toHaveAttribute('data-length', '4');
    await click('pin-erase');
    expect(screen.getByTestId('pin-dots')).toHaveAttribute('data-length', '3');
    await click('pin-key-1');
    await click('pin-submit');
    expect(await screen.findByTestId('error')).toHaveTextContent('Неверный PIN. Осталось попыток до паузы: 4.');
    expect(screen.getByTestId('pin-dots')).toHaveAttribute('data-length', '0');
    expectNothingRevealed();
    await waitFor(() => expect(screen.getByTestId('pin-key-2')).toBeEnabled());

    await typePin('2580');
    await click('pin-submit');
    await screen.findByTestId('main-screen');
    await waitFor(() => expect(screen.getAllByTestId('record')).toHaveLength(1));
    expect(fake.callsOf('unlock').map((c) => c.args)).toEqual([{ pin: '1111' }, { pin: '2580' }]);
  });

  it('no fingerprint button when the phone reports no biometrics (the desktop)', async () => {
    start({ lock: { pin: '2580' } });
    await screen.findByTestId('lock-screen');
    await waitFor(() => expect(fake.callsOf('lock_status').length).toBeGreaterThan(0));
    expect(screen.queryByTestId('btn-biometric')).toBeNull();
  });

  it('unlocks with the fingerprint; a failed prompt leaves the PIN pad', async () => {
    start({ lock: { pin: '2580', biometric: true, biometric_ok: false } });
    await fireEvent.click(await screen.findByTestId('btn-biometric'));
    expect(await screen.findByTestId('error')).toHaveTextContent('Биометрия не подтверждена. Введите PIN.');
    expectNothingRevealed();
    fake.lock.biometric_ok = true;
    await fireEvent.click(screen.getByTestId('btn-biometric'));
    await screen.findByTestId('main-screen');
    await waitFor(() => expect(screen.getAllByTestId('record')).toHaveLength(1));
    expect(fake.callsOf('unlock_biometric')).toHaveLength(2);
  });

  it('after five wrong PINs the pad waits, and says how long', async () => {
    start({ lock: { pin: '2580', failures: 4 } });
    await screen.findByTestId('lock-screen');
    await typePin('0000');
    await click('pin-submit');
    expect(await screen.findByTestId('error')).toHaveTextContent('Следующая попытка — через 30 с');
    expect(await screen.findByTestId('pin-wait')).toHaveTextContent(/Следующая попытка через (29|30) с/);
    expect(screen.getByTestId('pin-key-2')).toBeDisabled();
    expect(screen.getByTestId('pin-submit')).toBeDisabled();
  });

  it('a backoff still owed at start disables the pad at once', async () => {
    start({ lock: { pin: '2580', failures: 5, blocked_until: Date.now() + 20_000 } });
    await screen.findByTestId('lock-screen');
    expect(await screen.findByTestId('pin-wait')).toHaveTextContent(/через (19|20) с/);
    expect(screen.getByTestId('pin-key-2')).toBeDisabled();
  });

  it('locks when the app goes to the background', async () => {
    start({ lock: { pin: '2580', locked: false } });
    await screen.findByTestId('main-screen');
    await waitFor(() => expect(screen.getAllByTestId('record')).toHaveLength(1));
    setVisibility('hidden');
    await screen.findByTestId('lock-screen');
    expectNothingRevealed();
    expect(fake.callsOf('lock_now')).toHaveLength(1);
    expect(fake.lock.locked).toBe(true);
  });

  it('locks after the idle time, and activity postpones it', async () => {
    start({ lock: { pin: '2580', locked: false, idle_seconds: 60 } });
    await screen.findByTestId('main-screen');
    const t0 = Date.now();
    checkIdle(t0 + 30_000);
    await fireEvent.pointerDown(screen.getByTestId('screen-title'));
    await waitFor(() => expect(fake.callsOf('lock_activity').length).toBeGreaterThan(0));
    checkIdle(Date.now() + 59_000);
    expect(screen.getByTestId('main-screen')).toBeInTheDocument();
    expect(fake.callsOf('lock_now')).toHaveLength(0);
    checkIdle(Date.now() + 61_000);
    await screen.findByTestId('lock-screen');
    expect(fake.callsOf('lock_now')).toHaveLength(1);
  });

  it('without a PIN nothing locks', async () => {
    start();
    await screen.findByTestId('main-screen');
    setVisibility('hidden');
    checkIdle(Date.now() + 3_600_000);
    expect(fake.callsOf('lock_now')).toHaveLength(0);
    expect(screen.getByTestId('main-screen')).toBeInTheDocument();
  });

  it('a «locked» refusal from the backend brings up the lock screen', async () => {
    start({ lock: { pin: '2580', locked: false } });
    await screen.findByTestId('main-screen');
    fake.lock.locked = true; // the backend's own idle backstop
    await click('btn-refused');
    await screen.findByTestId('lock-screen');
    expectNothingRevealed();
  });

  it('«Запись без разблокировки»: only the recording buttons and «Разблокировать»', async () => {
    start({ lock: { pin: '2580', record_while_locked: true } });
    await screen.findByTestId('main-screen');
    await screen.findByTestId('locked-recording');
    expectNothingRevealed();
    expect(screen.queryByTestId('btn-content')).toBeNull();

    await click('btn-did-ok');
    await click('choice-pensioner');
    await screen.findByTestId('toast');
    expect(fake.callsOf('record_check')).toHaveLength(1);
    expect(fake.callsOf('overview')).toHaveLength(0);
    expectNothingRevealed();
    // The undo of the check just made stays possible.
    await click('btn-undo');
    await waitFor(() => expect(fake.callsOf('undo_record')).toHaveLength(1));

    await click('btn-unlock');
    await screen.findByTestId('lock-screen');
    await click('btn-lock-back');
    await screen.findByTestId('locked-recording');
    await click('btn-unlock');
    await typePin('2580');
    await click('pin-submit');
    await waitFor(() => expect(screen.queryByTestId('locked-recording')).toBeNull());
    await screen.findByTestId('tally-total');
    await waitFor(() => expect(screen.getAllByTestId('record').length).toBeGreaterThan(0));
  });
});

describe('settings «Блокировка»', () => {
  async function openSettings() {
    await screen.findByTestId('main-screen');
    await click('btn-settings');
    return screen.findByTestId('lock-settings');
  }

  async function fill(testId: string, value: string) {
    await fireEvent.input(screen.getByTestId(testId), { target: { value } });
  }

  it('sets a PIN: both entries must match; only digits are taken', async () => {
    start();
    await openSettings();
    expect(screen.getByTestId('lock-state')).toHaveTextContent('PIN не задан');
    expect(screen.queryByTestId('lock-idle-60')).toBeNull();
    await fill('pin-new', '2580');
    await fill('pin-repeat', '2581');
    await click('pin-save');
    expect(await screen.findByTestId('error')).toHaveTextContent('не совпадают');
    expect(fake.callsOf('set_pin')).toHaveLength(0);

    await fill('pin-new', '25a80');
    expect(screen.getByTestId<HTMLInputElement>('pin-new').value).toBe('2580');
    await fill('pin-repeat', '2580');
    await click('pin-save');
    await screen.findByTestId('lock-notice');
    expect(fake.callsOf('set_pin')[0].args).toEqual({ current: null, pin: '2580' });
    expect(screen.getByTestId('lock-state')).toHaveTextContent('PIN задан');
    // Still unlocked: whoever set it is at the phone.
    expect(screen.getByTestId('settings-screen')).toBeInTheDocument();
  });

  it('chooses the idle time and «Запись без разблокировки»; changes and removes the PIN', async () => {
    start({ lock: { pin: '2580', locked: false } });
    await openSettings();
    expect(screen.getByTestId<HTMLInputElement>('lock-idle-120').checked).toBe(true);
    await click('lock-idle-30');
    await waitFor(() => expect(fake.callsOf('set_lock_options')).toHaveLength(1));
    expect(fake.callsOf('set_lock_options')[0].args).toEqual({ idle_seconds: 30, record_while_locked: false });
    await click('lock-record-while-locked');
    await waitFor(() => expect(fake.callsOf('set_lock_options')).toHaveLength(2));
    expect(fake.callsOf('set_lock_options')[1].args).toEqual({ idle_seconds: 30, record_while_locked: true });

    await click('pin-change-open');
    await fill('pin-current', '0000');
    await fill('pin-new', '1111');
    await fill('pin-repeat', '1111');
    await click('pin-save');
    expect(await screen.findByTestId('error')).toHaveTextContent('Неверный PIN');
    await fill('pin-current', '2580');
    await click('pin-save');
    await waitFor(() => expect(fake.lock.pin).toBe('1111'));

    await fireEvent.click(await screen.findByTestId('pin-remove-open'));
    await fill('pin-current', '1111');
    await click('pin-remove');
    await waitFor(() => expect(screen.getByTestId('lock-state')).toHaveTextContent('PIN не задан'));
    expect(fake.lock.pin).toBeNull();
  });

  it('«Заблокировать сейчас» leaves the settings for the lock screen', async () => {
    start({ lock: { pin: '2580', locked: false } });
    await openSettings();
    await click('lock-now');
    await screen.findByTestId('lock-screen');
    expect(screen.queryByTestId('settings-screen')).toBeNull();
    await typePin('2580');
    await click('pin-submit');
    // Back on the main screen, not in the settings.
    await screen.findByTestId('main-screen');
  });
});
