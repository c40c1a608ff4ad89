// What the central office decides for the phone: staff codes from its list, a required PIN and
// a maximum idle time, «Обновите приложение», a revoked phone; and the app's version on the
// settings screen.
import { describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { APP_VERSION, CONFIG, FakeBackend, syncView } from './test/fakeBackend';
import { click, onMain, startApp } from './test/harness';
import type { Config } from './backend/types';

const LISTED: Config = { ...CONFIG, staff_labels: ['ЦГБ-01', 'ЦГБ-02'] };
const PIN_POLICY: Config = { ...CONFIG, device_policy: { pin_required: true, max_idle_seconds: 120, keep_acknowledged_days: null } };

describe('staff codes from the office’s list', () => {
  it('setup offers a choice from the list instead of typing', async () => {
    const fake = startApp(new FakeBackend({ settings: null, config: LISTED }));
    await screen.findByTestId('setup-screen');
    const staff = screen.getByTestId<HTMLSelectElement>('setup-staff');
    expect(staff.tagName).toBe('SELECT');
    const options = within(staff)
      .getAllByRole('option')
      .map((o) => o.textContent);
    expect(options).toEqual(['Выберите свой код', 'ЦГБ-01', 'ЦГБ-02']);
    await fireEvent.change(screen.getByTestId('setup-branch'), { target: { value: 'central' } });
    await fireEvent.change(staff, { target: { value: 'ЦГБ-02' } });
    await click('setup-submit');
    await screen.findByTestId('main-screen');
    expect(fake.callsOf('setup')[0].args).toEqual({ input: { branch_id: 'central', staff_label: 'ЦГБ-02', event: null } });
  });

  it('a label typed before the list came is kept and marked until another is chosen', async () => {
    startApp(new FakeBackend({ config: LISTED }));
    await onMain();
    await click('btn-settings');
    await screen.findByTestId('settings-screen');
    const staff = screen.getByTestId<HTMLSelectElement>('settings-staff');
    expect(staff.value).toBe('ИП');
    expect(within(staff).getByRole('option', { name: 'ИП (нет в списке)' })).toBeDisabled();
    expect(screen.getByTestId('settings-staff-listed')).toHaveTextContent('Вашей метки нет в списке');
  });

  it('without a list the label is typed, as before', async () => {
    startApp(new FakeBackend({ settings: null }));
    await screen.findByTestId('setup-screen');
    expect(screen.getByTestId('setup-staff').tagName).toBe('INPUT');
  });
});

describe('the office’s PIN policy', () => {
  it('without the required PIN the main screen says so and leads to the settings; recording is refused', async () => {
    const fake = startApp(new FakeBackend({ config: PIN_POLICY }));
    await onMain();
    expect(await screen.findByTestId('pin-policy')).toHaveTextContent('пока он не задан, проверки не записываются');
    await click('btn-refused');
    expect(await screen.findByTestId('error')).toHaveTextContent('Задайте PIN в настройках, раздел «Блокировка»');
    expect(fake.records).toHaveLength(0);
    await click('pin-policy-open');
    await screen.findByTestId('settings-screen');
    expect(screen.getByTestId('lock-policy')).toHaveTextContent(
      'Центральная библиотека требует PIN-код и блокировку не позже чем через 2 мин простоя. Пока PIN не задан',
    );
  });

  it('with a PIN the longer idle times are not offered and the PIN cannot be removed', async () => {
    startApp(new FakeBackend({ config: PIN_POLICY, lock: { pin: '2580', locked: false } }));
    await onMain();
    expect(screen.queryByTestId('pin-policy')).toBeNull();
    await click('btn-settings');
    await screen.findByTestId('settings-screen');
    expect(screen.getByTestId('lock-idle-120')).toBeInTheDocument();
    expect(screen.queryByTestId('lock-idle-300')).toBeNull();
    expect(screen.queryByTestId('lock-idle-900')).toBeNull();
    expect(screen.getByTestId('pin-change-open')).toBeInTheDocument();
    expect(screen.queryByTestId('pin-remove-open')).toBeNull();
  });
});

describe('versions', () => {
  it('the settings show the app’s version', async () => {
    startApp(new FakeBackend());
    await onMain();
    await click('btn-settings');
    expect(await screen.findByTestId('app-version')).toHaveTextContent(`Версия приложения: ${APP_VERSION}`);
    expect(screen.queryByTestId('update-notice')).toBeNull();
  });

  it('an app older than the office supports says «Обновите приложение» with the link, and still records', async () => {
    const fake = startApp(
      new FakeBackend({ update: { min_version: '0.2.0', download_url: 'https://cbs.example/app' } }),
    );
    await onMain();
    expect(screen.getByTestId('update-line')).toHaveTextContent('Обновите приложение');
    await click('btn-refused');
    await waitFor(() => expect(fake.records).toHaveLength(1));
    await click('update-line');
    const notice = await screen.findByTestId('update-notice');
    expect(notice).toHaveTextContent('версии 0.2.0 и новее, а на телефоне — 0.1.0');
    expect(screen.getByTestId('update-link')).toHaveAttribute('href', 'https://cbs.example/app');
  });
});

describe('a revoked phone', () => {
  it('learns it at a sync and leaves the main screen for the notice', async () => {
    const fake = startApp(new FakeBackend());
    await onMain();
    fake.settings = null;
    fake.revoked = { at_ms: Date.now(), deleted: 3, kept_unsent: 0 };
    fake.sync = syncView({
      problem: { code: 'device_revoked', message: 'Это устройство отключено центральной библиотекой.', advice: '', at_ms: Date.now() },
    });
    expect(await screen.findByTestId('revoked-notice', {}, { timeout: 5000 })).toHaveTextContent('(3)');
    expect(screen.queryByTestId('revoked-unsent')).toBeNull();
    // Set up again: back to the main screen, and the state is not asked for again and again.
    await fireEvent.change(screen.getByTestId('setup-branch'), { target: { value: 'central' } });
    await fireEvent.input(screen.getByTestId('setup-staff'), { target: { value: 'ИП' } });
    await click('setup-submit');
    await onMain();
    const asked = fake.callsOf('get_state').length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(fake.callsOf('get_state').length).toBe(asked);
  });

  it('says what it forgot and why, on the setup screen', async () => {
    startApp(
      new FakeBackend({
        settings: null,
        revoked: { at_ms: Date.UTC(2026, 10, 25, 9, 30), deleted: 41, kept_unsent: 2 },
      }),
    );
    await screen.findByTestId('setup-screen');
    expect(screen.getByTestId('screen-title')).toHaveTextContent('телефон отключён');
    const notice = screen.getByTestId('revoked-notice');
    expect(notice).toHaveTextContent('Центральная библиотека отключила этот телефон');
    expect(notice).toHaveTextContent('(41), ключ доступа к серверу и метка сотрудника');
    expect(screen.getByTestId('revoked-unsent')).toHaveTextContent('Неотправленных записей осталось: 2');
  });
});
