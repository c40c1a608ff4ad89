import { describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { SYNC_POLL_MS } from './state/sync.svelte';
import { FakeBackend, type FakeOptions, syncView } from './test/fakeBackend';
import type { EventInfo } from './backend/types';
import { click, setAgent, startApp } from './test/harness';

let fake: FakeBackend;

const NIGHT: EventInfo = { id: '0190a0a0-0000-7000-8000-00000000000a', title: 'Библионочь', date: '2026-04-18' };
const code = (id: string) => `lgota:event?v=1&id=${id}`;

function start(opts: FakeOptions = {}) {
  fake = startApp(new FakeBackend({ events: [NIGHT], ...opts }));
  return fake;
}



async function openSettings() {
  await screen.findByTestId('main-screen');
  await click('btn-settings');
  await screen.findByTestId('settings-screen');
  return screen.getByTestId('event-code');
}

async function submitCode(text: string) {
  await fireEvent.input(screen.getByTestId('event-code-text'), { target: { value: text } });
  await click('btn-event-code');
}

describe('event QR code, typed or pasted', () => {
  it('selects the event of a pasted code', async () => {
    start();
    await openSettings();
    expect(screen.queryByTestId('settings-current-event')).toBeNull();
    await submitCode(`  ${code(NIGHT.id)} `);
    expect(await screen.findByTestId('settings-current-event')).toHaveTextContent('Библионочь');
    expect(screen.getByTestId('notice')).toHaveTextContent('Выбрано мероприятие: Библионочь');
    expect(fake.callsOf('choose_event_by_code')[0].args).toEqual({ text: `  ${code(NIGHT.id)} ` });
    expect(screen.getByTestId('event-code-text')).toHaveValue('');
    expect(screen.queryByTestId('error')).toBeNull();

    // Back on the main screen the tally counts the chosen event.
    await click('btn-back');
    await screen.findByRole('heading', { name: /Библионочь/ });
  });

  it('shows the backend’s refusal as given, keeps the text, chooses nothing', async () => {
    start();
    await openSettings();
    // The real refusals (parse_event_uri, the store's checks) are tested in src-tauri and lgota-core.
    const refusal = { code: 'event_other_branch', message: 'Это мероприятие другого филиала (Библиотека-филиал № 2).' };
    fake.failNext('choose_event_by_code', refusal);
    await submitCode(code('ev-other-branch'));
    expect(await screen.findByTestId('error')).toHaveTextContent(refusal.message);
    expect(screen.getByTestId('event-code-text')).toHaveValue(code('ev-other-branch'));
    expect(screen.queryByTestId('settings-current-event')).toBeNull();
    expect(fake.settings?.event).toBeNull();
  });

  it('has no camera button on the desktop: the manual path is the way', async () => {
    start();
    const box = await openSettings();
    expect(within(box).queryByTestId('btn-scan-event')).toBeNull();
    expect(within(box).getByTestId('event-code-text')).toBeInTheDocument();
  });
});

describe('event QR code, scanned (phones)', () => {
  it('asks for the camera, scans and selects the event at once', async () => {
    setAgent('Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36');
    start();
    fake.camera = { now: 'prompt', afterRequest: 'granted', content: code(NIGHT.id) };
    await openSettings();
    await click('btn-scan-event');
    expect(await screen.findByTestId('settings-current-event')).toHaveTextContent('Библионочь');
    expect(fake.callsOf('plugin:barcode-scanner|request_permissions')).toHaveLength(1);
    expect(fake.callsOf('choose_event_by_code')[0].args).toEqual({ text: code(NIGHT.id) });
  });

  it('shows a scanned code that is refused, in the field, with the reason', async () => {
    setAgent('Mozilla/5.0 (Linux; Android 14)');
    start();
    const enrollment = 'lgota:enroll?v=1&server=https%3A%2F%2Fx&code=K7Q2';
    fake.camera = { now: 'granted', afterRequest: 'granted', content: enrollment };
    fake.failNext('choose_event_by_code', { code: 'event_code_is_enrollment', message: 'Это QR-код подключения телефона.' });
    await openSettings();
    await click('btn-scan-event');
    expect(await screen.findByTestId('error')).toHaveTextContent('Это QR-код подключения телефона.');
    expect(fake.callsOf('choose_event_by_code')[0].args).toEqual({ text: enrollment });
    expect(screen.getByTestId('event-code-text')).toHaveValue(enrollment);
  });

  it('explains a refused camera, opens the phone settings on request, keeps the manual path', async () => {
    setAgent('Mozilla/5.0 (Linux; Android 14)');
    start();
    fake.camera = { now: 'denied', afterRequest: 'denied', content: '' };
    await openSettings();
    await click('btn-scan-event');
    expect(await screen.findByTestId('error')).toHaveTextContent('Нет доступа к камере');
    expect(fake.callsOf('plugin:barcode-scanner|scan')).toHaveLength(0);
    await click('btn-open-app-settings');
    await waitFor(() => expect(fake.callsOf('plugin:barcode-scanner|open_app_settings')).toHaveLength(1));
    // Typing still works.
    await submitCode(code(NIGHT.id));
    expect(await screen.findByTestId('settings-current-event')).toHaveTextContent('Библионочь');
  });

  it('says nothing and chooses nothing when the librarian closes the camera without scanning', async () => {
    setAgent('Mozilla/5.0 (Linux; Android 14)');
    start();
    fake.camera = { now: 'granted', afterRequest: 'granted', content: '', cancel: true };
    await openSettings();
    await click('btn-scan-event');
    await waitFor(() => expect(fake.callsOf('plugin:barcode-scanner|scan')).toHaveLength(1));
    await waitFor(() => expect(screen.getByTestId('btn-scan-event')).toBeEnabled());
    expect(screen.queryByTestId('error')).toBeNull();
    expect(fake.callsOf('choose_event_by_code')).toHaveLength(0);
  });
});

describe('events arriving by the first sync', () => {
  it('are listed without reopening the settings', async () => {
    start({ events: [], sync: { last_success_ms: null } });
    await openSettings();
    await waitFor(() => expect(fake.callsOf('list_events').length).toBeGreaterThan(0));
    await waitFor(() => expect(fake.callsOf('sync_status').length).toBeGreaterThan(0));
    expect(screen.queryByTestId('central-event')).toBeNull();
    // The device syncs for the first time and receives the event.
    fake.events = [NIGHT];
    fake.sync = syncView({ last_success_ms: Date.now() });
    expect(await screen.findByTestId('central-event', {}, { timeout: SYNC_POLL_MS + 1500 })).toHaveTextContent(
      'Библионочь',
    );
  });
});
