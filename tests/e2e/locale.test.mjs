// End-to-end: the real app on an English desktop (LANG=en_US.UTF-8, LC_ALL=en_US.UTF-8, a New York
// clock), where an <input type="date"> would show mm/dd/yyyy. The librarian types the event date
// as dd.mm.yyyy, digits only (the dots come by themselves); the app shows it back the Russian way
// and the backend stores the right day. Needs DISPLAY and LGOTA_APP_BIN (scripts/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from './webdriver.mjs';
import { screenshot, startApp, untilText } from './helpers.mjs';

const ENGLISH = { LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8', LANGUAGE: 'en_US:en', TZ: 'America/New_York' };

let phone;

before(async () => {
  phone = await startApp(undefined, ENGLISH);
});

after(async () => {
  await phone?.stop();
});

/** No American, ISO or 12-hour date or time in the page's text. */
async function foreignDates(s) {
  const text = await s.exec('return document.body.innerText;');
  return [
    ...text.matchAll(/\b\d{1,2}\/\d{1,2}\/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}(:\d{2})?\s?[AP]M\b/gi),
  ].map((m) => m[0]);
}

test('an English desktop: dates typed and shown as dd.mm.yyyy', async () => {
  const s = await Session.create(phone.url, phone.app);
  try {
    await s.waitFor('[data-testid="setup-screen"]', 30_000);
    // The web view really is English here: left alone, it writes a date the American way.
    const env = await s.exec(`return { lang: navigator.language,
      us: new Date(2026, 2, 5).toLocaleDateString(), zone: Intl.DateTimeFormat().resolvedOptions().timeZone };`);
    assert.match(env.lang, /^en/i, `navigator.language under LANG=en_US: ${env.lang}`);
    assert.equal(env.us, '3/5/2026');
    assert.equal(env.zone, 'America/New_York');

    // The field shows today as dd.mm.yyyy (the app's own clock, read in the page).
    const today = await s.exec(`const d = new Date(), p = (n) => String(n).padStart(2, '0');
      return p(d.getDate()) + '.' + p(d.getMonth() + 1) + '.' + d.getFullYear();`);
    const dateField = await s.waitFor('[data-testid="setup-event-date"]');
    assert.equal(await s.attr(dateField, 'type'), 'text');
    assert.equal(await s.attr(dateField, 'placeholder'), 'дд.мм.гггг');
    assert.equal(await s.exec('return arguments[0].value;', [{ 'element-6066-11e4-a52e-4f735466cecf': dateField }]), today);

    await s.exec(`const el = document.querySelector('[data-testid="setup-branch"]');
      el.value = 'central'; el.dispatchEvent(new Event('change', { bubbles: true }));`);
    await s.type('[data-testid="setup-staff"]', 'ИП');
    await s.type('[data-testid="setup-event-title"]', 'Библионочь');
    // Typed key by key, digits only: 5 March 2026, never 3 May.
    await s.type('[data-testid="setup-event-date"]', '05032026');
    assert.equal(await s.exec(`return document.querySelector('[data-testid="setup-event-date"]').value;`), '05.03.2026');
    screenshot('locale-en-setup');
    await s.click('[data-testid="setup-submit"]');
    await s.waitFor('[data-testid="main-screen"]');
    await untilText(s, '[data-testid="screen-title"]', /^Библионочь, 05\.03\.2026$/);

    // A check recorded at once: its time is 24-hour, HH:MM.
    await s.click('[data-testid="btn-refused"]');
    const time = await untilText(s, '[data-testid="record"] .rec-time', /^\d{2}:\d{2}$/);
    assert.match(time, /^([01]\d|2[0-3]):[0-5]\d$/);
    assert.deepEqual(await foreignDates(s), []);

    // The settings: the event shown and the new event's date field, the Russian way.
    await s.click('[data-testid="btn-settings"]');
    await untilText(s, '[data-testid="settings-current-event"]', /Библионочь, 05\.03\.2026/);
    assert.equal(await s.exec(`return document.querySelector('[data-testid="settings-event-date"]').value;`), today);
    assert.deepEqual(await foreignDates(s), []);
    screenshot('locale-en-settings');
  } finally {
    await s.quit();
  }
});
