// The start of every App-level test: module state reset, the fake backend installed, the app
// rendered; the fake is uninstalled and the user agent restored after each test.
import { afterEach, expect } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import App from '../App.svelte';
import { resetContent } from '../state/content.svelte';
import { resetLock } from '../state/lock.svelte';
import { resetNav } from '../state/nav';
import { resetSync } from '../state/sync.svelte';
import { FakeBackend } from './fakeBackend';

let current: FakeBackend | null = null;
const realAgent = navigator.userAgent;

/** Forgets the content pack, the sync status, the lock, the back navigation and the history entry. */
export function startApp(fake: FakeBackend = new FakeBackend()): FakeBackend {
  resetContent();
  resetSync();
  resetLock();
  resetNav();
  history.replaceState(null, '');
  current = fake;
  fake.install();
  render(App);
  return fake;
}

afterEach(() => {
  current?.uninstall();
  current = null;
  setAgent(realAgent);
});

export const click = (testId: string) => fireEvent.click(screen.getByTestId(testId));
export const type = (testId: string, value: string) => fireEvent.input(screen.getByTestId(testId), { target: { value } });

/** The phone builds show the camera button (api.canScan reads the user agent). */
export const setAgent = (ua: string) => Object.defineProperty(navigator, 'userAgent', { value: ua, configurable: true });

/** The main screen with its first overview loaded. */
export async function onMain() {
  await screen.findByTestId('main-screen');
  await waitFor(() => expect(current?.callsOf('overview').length).toBeGreaterThan(0));
  await screen.findByRole('heading', { name: 'Проверки за сегодня' });
}
