// The system back button (Android: WebView history → popstate) goes back one screen or one step,
// and never out of a half-finished check at once.
import { describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { onBack } from './state/nav';
import { FakeBackend, attentionItem, makeRecord } from './test/fakeBackend';
import { click, onMain, startApp } from './test/harness';

let fake: FakeBackend;

function start(f: FakeBackend = new FakeBackend()) {
  fake = startApp(f);
  return fake;
}


const title = () => screen.getByTestId('screen-title');
const guarded = () => (history.state as { lgotaGuard?: boolean } | null)?.lgotaGuard === true;

/** What the Android WebView does on the back button: one step back in the history. */
async function pressBack() {
  expect(guarded(), 'a back press needs the guard entry on top').toBe(true);
  const popped = new Promise((r) => window.addEventListener('popstate', r, { once: true }));
  history.back();
  await popped;
  // Let the screen react and the guard come back if still needed.
  await new Promise((r) => setTimeout(r, 10));
}


describe('system back inside a check', () => {
  it('steps back through a Digital ID failure with a paper document, one step per press', async () => {
    start();
    await onMain();
    expect(guarded()).toBe(false);
    await click('btn-did-fail');
    await waitFor(() => expect(guarded()).toBe(true));
    await click('choice-no_internet');
    await click('choice-pensioner');
    await click('choice-pension_certificate');
    await screen.findByTestId('checklist-screen');
    await waitFor(() => expect(screen.getAllByTestId('check-item')).toHaveLength(3));
    await fireEvent.click(screen.getAllByTestId('check-item')[0].querySelector('input')!);

    await pressBack();
    expect(title()).toHaveTextContent('Какой документ предъявлен?');
    expect(screen.getByText(/Категория:/)).toHaveTextContent('Пенсионер');
    await pressBack();
    expect(title()).toHaveTextContent('Бумажный документ: категория');
    expect(screen.getByText(/Причина:/)).toHaveTextContent('Нет интернета для Госкана');
    await pressBack();
    expect(title()).toHaveTextContent('Цифровой ID не подтверждён: причина');
    await pressBack();
    await screen.findByRole('heading', { name: 'Проверки за сегодня' });
    await waitFor(() => expect(guarded()).toBe(false));
    expect(fake.callsOf('record_check')).toHaveLength(0);
  });

  it('a chosen outcome awaiting its second step goes back to the outcomes, not out of the app', async () => {
    start();
    await onMain();
    await click('btn-did-ok');
    await screen.findByRole('heading', { name: 'Цифровой ID подтверждён: категория' });
    await pressBack();
    await onMain();
    expect(screen.getByTestId('main-screen')).toBeInTheDocument();
    expect(guarded()).toBe(false);
  });

  it('also works when the popstate event is dispatched directly', async () => {
    start();
    await onMain();
    await click('btn-paper');
    await click('choice-student');
    await screen.findByRole('heading', { name: 'Какой документ предъявлен?' });
    window.dispatchEvent(new PopStateEvent('popstate', { state: null }));
    expect(await screen.findByRole('heading', { name: 'Бумажный документ: категория' })).toBeInTheDocument();
    await waitFor(() => expect(guarded()).toBe(true));
  });

  it('drops the guard once a check is saved, so back at the root leaves the app', async () => {
    start();
    await onMain();
    await click('btn-did-ok');
    await waitFor(() => expect(guarded()).toBe(true));
    await click('choice-student');
    await screen.findByTestId('toast');
    await waitFor(() => expect(guarded()).toBe(false));
    expect(fake.callsOf('record_check')).toHaveLength(1);
  });

  it('closes the void dialog first', async () => {
    start(new FakeBackend({ records: [makeRecord()] }));
    await onMain();
    await click('btn-void');
    await screen.findByTestId('void-dialog');
    await pressBack();
    expect(screen.queryByTestId('void-dialog')).toBeNull();
    expect(screen.getByTestId('main-screen')).toBeInTheDocument();
    await waitFor(() => expect(guarded()).toBe(false));
  });
});

describe('system back between screens', () => {
  it('settings → main; the on-screen «Назад» drops the guard too', async () => {
    start();
    await onMain();
    await click('btn-settings');
    await screen.findByTestId('settings-screen');
    await pressBack();
    await onMain();
    await click('btn-settings');
    await screen.findByTestId('settings-screen');
    await waitFor(() => expect(guarded()).toBe(true));
    await click('btn-back');
    await screen.findByTestId('main-screen');
    await waitFor(() => expect(guarded()).toBe(false));
  });

  it('the sync panel’s void dialog closes first, the settings stay', async () => {
    start(new FakeBackend({ sync: { attention: [attentionItem()] } }));
    await onMain();
    await click('sync-badge');
    await screen.findByTestId('settings-screen');
    await screen.findByTestId('btn-attention-void');
    await click('btn-attention-void');
    await screen.findByTestId('void-dialog');
    await pressBack();
    expect(screen.queryByTestId('void-dialog')).toBeNull();
    expect(screen.getByTestId('settings-screen')).toBeInTheDocument();
    await pressBack();
    await onMain();
    expect(fake.callsOf('void_record')).toHaveLength(0);
  });

  it('instructions: article → list → main', async () => {
    start();
    await onMain();
    await click('btn-content');
    await screen.findByTestId('content-screen');
    await waitFor(() => expect(screen.getAllByTestId('content-item').length).toBeGreaterThan(0));
    await fireEvent.click(screen.getAllByTestId('content-item')[0]);
    await screen.findByTestId('article-screen');
    await pressBack();
    await screen.findByTestId('content-screen');
    await pressBack();
    await screen.findByTestId('main-screen');
    await waitFor(() => expect(guarded()).toBe(false));
  });

  it('the citizen screen closes with back', async () => {
    start();
    await onMain();
    await click('btn-citizen');
    await screen.findByTestId('btn-citizen-close');
    await pressBack();
    await screen.findByTestId('main-screen');
  });
});

describe('a layer over everything', () => {
  it('a deeper registration wins: back does what the top layer says', async () => {
    start();
    await onMain();
    await click('btn-did-ok');
    await screen.findByRole('heading', { name: 'Цифровой ID подтверждён: категория' });
    let pressed = 0;
    const off = onBack(() => pressed++, 3);
    await pressBack();
    expect(pressed).toBe(1);
    expect(title()).toHaveTextContent('Цифровой ID подтверждён: категория');
    off();
    await pressBack();
    await screen.findByRole('heading', { name: 'Проверки за сегодня' });
  });
});

describe('system back with the app lock', () => {
  it('from the PIN pad opened over the recording buttons, back returns to them; the plain lock screen keeps no guard', async () => {
    start(new FakeBackend({ lock: { pin: '2580', record_while_locked: true } }));
    await screen.findByTestId('locked-recording');
    expect(guarded()).toBe(false);
    await click('btn-unlock');
    await screen.findByTestId('lock-screen');
    await waitFor(() => expect(guarded()).toBe(true));
    await pressBack();
    await screen.findByTestId('locked-recording');
    expect(screen.queryByTestId('lock-screen')).toBeNull();
    await waitFor(() => expect(guarded()).toBe(false));
    fake.uninstall();

    // Locked without recording: nothing underneath can be reached by back.
    document.body.innerHTML = '';
    start(new FakeBackend({ lock: { pin: '2580' } }));
    await screen.findByTestId('lock-screen');
    await new Promise((r) => setTimeout(r, 20));
    expect(guarded()).toBe(false);
    expect(screen.queryByTestId('main-screen')).toBeNull();
  });
});
