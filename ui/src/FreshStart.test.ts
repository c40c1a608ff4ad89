// A record log that did not open after an update: the core moved it aside and started a fresh
// one; the app says so in Russian, tells the librarian what to do, keeps recording, and stops
// saying it once acknowledged.
import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/svelte';
import { FakeBackend } from './test/fakeBackend';
import { click, onMain, startApp } from './test/harness';
import type { FreshStart } from './backend/types';

const NOTICE: FreshStart = {
  at_ms: Date.UTC(2026, 10, 27, 9, 30),
  aside: 'lgota.db.failed-20261127-123000',
  code: 'storage',
  detail: 'Не удалось обновить базу данных: table signing_key already exists.',
  carried_over: true,
};

describe('a log started afresh', () => {
  it('says the old log is kept, recording goes on, and what to do; «Понятно» hides it', async () => {
    const fake = startApp(new FakeBackend({ freshStart: NOTICE }));
    await onMain();
    const notice = screen.getByTestId('fresh-start-notice');
    expect(notice).toHaveTextContent('Не удалось обновить журнал записей');
    expect(notice).toHaveTextContent('Старый журнал сохранён отдельно и не удалён (файл «lgota.db.failed-20261127-123000»)');
    expect(notice).toHaveTextContent('запись продолжается в новый журнал');
    expect(notice).toHaveTextContent('сообщите об этом в центральную библиотеку');
    expect(screen.getByTestId('fresh-start-carried')).toHaveTextContent('остался подключённым');
    expect(notice).not.toHaveTextContent('signing_key'); // the technical detail is for the log
    // Recording works with the notice shown.
    await click('btn-refused');
    await waitFor(() => expect(fake.records).toHaveLength(1));
    await click('fresh-start-ok');
    await waitFor(() => expect(screen.queryByTestId('fresh-start-notice')).toBeNull());
    expect(fake.callsOf('acknowledge_fresh_start')).toHaveLength(1);
  });

  it('when nothing could be read, asks to set up and enroll again', async () => {
    startApp(new FakeBackend({ settings: null, freshStart: { ...NOTICE, carried_over: false } }));
    await screen.findByTestId('setup-screen');
    expect(screen.getByTestId('fresh-start-setup')).toHaveTextContent('подключите телефон заново по QR-коду');
  });

  it('shows nothing of it while the app is locked', async () => {
    startApp(new FakeBackend({ freshStart: NOTICE, lock: { pin: '2580' } }));
    await screen.findByTestId('lock-screen');
    expect(screen.queryByTestId('fresh-start-notice')).toBeNull();
  });
});
