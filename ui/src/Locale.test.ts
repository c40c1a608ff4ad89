// The app on an English desktop: the browser says en-US, the clock is New York's, and every
// toLocale…/Intl call without an explicit locale answers the American way. Dates the librarian
// sees and types stay dd.mm.yyyy, times 24-hour.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { FakeBackend, makeRecord } from './test/fakeBackend';
import { click, onMain, startApp } from './test/harness';

const realTz = process.env.TZ;
const realLang = process.env.LANG;

/** What an English system does with a date: 3/5/2026, 3:07:00 PM. */
function englishSystem() {
  Object.defineProperty(navigator, 'language', { value: 'en-US', configurable: true });
  Object.defineProperty(navigator, 'languages', { value: ['en-US', 'en'], configurable: true });
  const RealDTF = Intl.DateTimeFormat;
  vi.spyOn(Intl, 'DateTimeFormat').mockImplementation(function (
    locales?: Intl.LocalesArgument,
    options?: Intl.DateTimeFormatOptions,
  ) {
    return new RealDTF((locales ?? 'en-US') as string, options);
  } as unknown as typeof Intl.DateTimeFormat);
  for (const m of ['toLocaleString', 'toLocaleDateString', 'toLocaleTimeString'] as const) {
    const real = Date.prototype[m];
    vi.spyOn(Date.prototype, m).mockImplementation(function (
      this: Date,
      locales?: Intl.LocalesArgument,
      options?: Intl.DateTimeFormatOptions,
    ) {
      return real.call(this, locales ?? 'en-US', options);
    });
  }
}

const pad = (n: number) => String(n).padStart(2, '0');
const ru = (d: Date) => `${pad(d.getDate())}.${pad(d.getMonth() + 1)}.${d.getFullYear()}`;

/** No American, ISO or 12-hour date or time anywhere in the page's text. */
function expectNoForeignDates() {
  const text = document.body.textContent ?? '';
  expect(text).not.toMatch(/\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/);
  expect(text).not.toMatch(/\b\d{4}-\d{2}-\d{2}\b/);
  expect(text).not.toMatch(/\b\d{1,2}:\d{2}(:\d{2})?\s?[AP]M\b/i);
}

beforeAll(() => {
  process.env.TZ = 'America/New_York';
  process.env.LANG = 'en_US.UTF-8';
});

afterAll(() => {
  if (realTz === undefined) delete process.env.TZ;
  else process.env.TZ = realTz;
  if (realLang === undefined) delete process.env.LANG;
  else process.env.LANG = realLang;
});

beforeEach(() => englishSystem());

describe('the app on an English system', () => {
  it('is really English here: an unspecified locale gives an American date', () => {
    const d = new Date(2026, 2, 5, 15, 7);
    expect(d.toLocaleDateString()).toBe('3/5/2026');
    expect(new Intl.DateTimeFormat().format(d)).toBe('3/5/2026');
    expect(d.toLocaleTimeString()).toMatch(/PM/);
    expect(navigator.language).toBe('en-US');
    expect(Intl.DateTimeFormat().resolvedOptions().timeZone).toBe('America/New_York');
  });

  it('takes and shows dates as dd.mm.yyyy on the setup screen', async () => {
    const fake = startApp(new FakeBackend({ settings: null }));
    await screen.findByTestId('setup-screen');
    const date = screen.getByTestId<HTMLInputElement>('setup-event-date');
    expect(date.type).toBe('text');
    expect(date.placeholder).toBe('дд.мм.гггг');
    expect(date.value).toBe(ru(new Date()));
    expectNoForeignDates();

    await fireEvent.change(screen.getByTestId('setup-branch'), { target: { value: 'central' } });
    await fireEvent.input(screen.getByTestId('setup-staff'), { target: { value: 'ИП' } });
    await fireEvent.input(screen.getByTestId('setup-event-title'), { target: { value: 'Библионочь' } });
    // 05.03 is the 5th of March, whatever an American would read.
    await fireEvent.input(date, { target: { value: '05.03.2026' } });
    await click('setup-submit');
    await screen.findByTestId('main-screen');
    expect(fake.callsOf('setup')[0].args).toEqual({
      input: { branch_id: 'central', staff_label: 'ИП', event: { title: 'Библионочь', date: '2026-03-05' } },
    });
    await waitFor(() => expect(screen.getByTestId('screen-title')).toHaveTextContent('Библионочь, 05.03.2026'));
    expectNoForeignDates();
  });

  it('shows lists, the sync panel and the settings date field the Russian way', async () => {
    const afternoon = new Date(2026, 2, 5, 15, 7).getTime();
    const fake = startApp(
      new FakeBackend({
        records: [makeRecord({ local_time: '15:07' })],
        events: [{ id: 'ev-central', title: 'Неделя книги', date: '2026-03-25' }],
        sync: { pending: 0, last_success_ms: afternoon },
      }),
    );
    await onMain();
    await screen.findAllByTestId('record');
    expect(screen.getAllByTestId('record')[0]).toHaveTextContent('15:07');
    expectNoForeignDates();

    await click('btn-settings');
    await screen.findByTestId('settings-screen');
    expect(screen.getByTestId<HTMLInputElement>('settings-event-date').value).toBe(ru(new Date()));
    const panel = screen.getByTestId('sync-panel');
    await waitFor(() => expect(panel).toHaveTextContent('05.03.2026 15:07'));
    await waitFor(() => expect(screen.getByText('25.03.2026')).toBeInTheDocument());
    await waitFor(() => expect(screen.getByTestId('content-version')).toHaveTextContent(/от \d{2}\.\d{2}\.\d{4}/));
    expectNoForeignDates();

    await fireEvent.input(screen.getByTestId('settings-event-title'), { target: { value: 'Лекция' } });
    await fireEvent.input(screen.getByTestId('settings-event-date'), { target: { value: '1.4.2026' } });
    await click('settings-event-start');
    await waitFor(() => expect(fake.callsOf('set_event')).toHaveLength(1));
    expect(fake.callsOf('set_event')[0].args).toEqual({ event: { title: 'Лекция', date: '2026-04-01' } });
    expect(within(screen.getByTestId('settings-current-event')).getByText(/01\.04\.2026/)).toBeInTheDocument();
  });
});
