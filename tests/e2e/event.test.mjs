// End-to-end: the event poster's QR code. The central office publishes an event on a real
// lgota-central; the enrolled phone receives it by sync; the librarian types the poster code's text
// (the camera reads it on Android) and the event becomes current — the next record carries it to the
// server. Then the phone layout at 360×640 (a small Android phone): no sideways scrolling, screenshots,
// and the system back (WebView history) stepping back inside a check.
// Needs DISPLAY, LGOTA_APP_BIN and LGOTA_CENTRAL_BIN (scripts/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Session } from './webdriver.mjs';
import { artifacts, record, setUp, startApp, untilText } from './helpers.mjs';
import { startCentral } from '../central.mjs';

let central;
let phone;

/** YYYY-MM-DD, `days` from today (local time, like the phone's). */
function isoDate(days) {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The WebDriver screenshot: exactly the app's web view. */
async function shot(s, name) {
  const png = await s.cmd('GET', '/screenshot');
  writeFileSync(path.join(artifacts, `${name}.png`), Buffer.from(png, 'base64'));
}

before(async () => {
  central = await startCentral();
  phone = await startApp(path.join(central.dir, 'phone'));
});

after(async () => {
  await phone?.stop();
  await central?.stop();
});

/** The text of the error banner in the event-code box, once there is one. */
function eventCodeError(s) {
  return untilText(s, '[data-testid="event-code"] [data-testid="error"]', /./);
}

async function submitCode(s, text) {
  await s.exec(`const el = document.querySelector('[data-testid="event-code-text"]');
    el.value = ''; el.dispatchEvent(new Event('input', { bubbles: true }));`);
  await s.type('[data-testid="event-code-text"]', text);
  await s.click('[data-testid="btn-event-code"]');
}

test('the poster code typed by hand selects the published event; the next record carries it', async () => {
  const s = await Session.create(phone.url, phone.app);
  try {
    await setUp(s, { branch: 'branch-1', staff: 'А.Б.' });

    // The central office publishes the event; the phone enrolls and receives it by sync.
    const published = central.cli(['event', 'add', '--branch', 'branch-1', '--title', 'Библионочь', '--date', isoDate(2)]);
    const eventId = published.match(/([0-9a-f]{8}-[0-9a-f-]{27})/)[1];
    const uri = central.cli(['device', 'enroll', '--branch', 'branch-1', '--png', path.join(central.dir, 'enroll.png')]).match(/(lgota:enroll\?\S+)/)[1];
    await s.click('[data-testid="btn-settings"]');
    await s.type('[data-testid="enroll-uri"]', uri);
    await s.click('[data-testid="btn-enroll"]');
    await s.until('enrolled and synced', async () => !/ещё не было/.test(await s.text('[data-testid="sync-last"]')), 20_000);
    assert.doesNotMatch(await s.text('[data-testid="settings-screen"]'), /Сейчас:/, 'no event chosen yet');

    // Wrong texts are refused in Russian; nothing is chosen.
    await submitCode(s, 'Библионочь');
    assert.match(await eventCodeError(s), /Это не QR-код мероприятия/);
    await submitCode(s, uri);
    assert.match(await eventCodeError(s), /QR-код подключения телефона/);
    await submitCode(s, 'lgota:event?v=1&id=0190a0a0-0000-7000-8000-000000000000');
    assert.match(await eventCodeError(s), /нет на телефоне/);
    assert.equal((await s.findAll('[data-testid="settings-current-event"]')).length, 0);

    // The poster's text: the event becomes current.
    await submitCode(s, `lgota:event?v=1&id=${eventId}`);
    await untilText(s, '[data-testid="settings-current-event"]', /Библионочь/);
    assert.equal((await s.findAll('[data-testid="event-code"] [data-testid="error"]')).length, 0, 'the old error is gone');
    await shot(s, 'event-code-chosen');

    // Back on the main screen the tally is the event's; a check recorded now reaches the server with it.
    await s.click('[data-testid="btn-back"]');
    await s.until('the event heading', async () => /Библионочь/.test(await s.text('[data-testid="screen-title"]')));
    await record(s, ['btn-did-ok', 'choice-pensioner']);
    await s.click('[data-testid="btn-settings"]');
    await s.click('[data-testid="btn-sync-now"]');
    await s.until('the record on the server', async () => central.sql('SELECT COUNT(*) FROM records') === '1', 20_000);
    assert.equal(central.sql('SELECT event_id FROM records'), eventId);
  } finally {
    await s.quit();
  }
});

test('the layout at 360×640: nothing scrolls sideways on the main screen, in a check, in settings; back steps within a check', async () => {
  const s = await Session.create(phone.url, phone.app);
  try {
    await s.waitFor('[data-testid="main-screen"]', 30_000);
    await s.cmd('POST', '/window/rect', { width: 360, height: 640 });
    const size = await s.until('the 360 px wide view', async () => {
      const v = await s.exec('return [window.innerWidth, window.innerHeight, document.documentElement.scrollWidth];');
      return v[0] <= 360 ? v : null;
    });
    const overflow = () => s.exec('return document.documentElement.scrollWidth - window.innerWidth;');
    assert.ok(size[0] >= 320, `the view is phone-sized: ${size}`);
    assert.equal(await overflow(), 0, 'main screen fits the width');
    await shot(s, 'phone-360-main');

    await s.click('[data-testid="btn-did-fail"]');
    await s.click('[data-testid="choice-no_internet"]');
    await s.waitFor('[data-testid="choice-no-document"]');
    assert.equal(await overflow(), 0, 'a check step fits the width');
    await shot(s, 'phone-360-check');

    // The system back (WebDriver «Back» = the WebView history, as Android's back button does it)
    // goes one step back inside the check, then to the outcomes — and no further.
    const heading = () => s.text('[data-testid="screen-title"]');
    await s.cmd('POST', '/back', {});
    await s.until('the reason step', async () => /причина/.test(await heading()));
    await s.cmd('POST', '/back', {});
    await s.waitFor('[data-testid="main-screen"] [data-testid="btn-did-ok"]');
    assert.equal(await s.exec('return !!(history.state && history.state.lgotaGuard === true);'), false, 'no guard at the root');

    await s.click('[data-testid="btn-settings"]');
    await s.waitFor('[data-testid="event-code"]');
    await s.exec(`document.querySelector('[data-testid="event-code"]').scrollIntoView({ block: 'start' });`);
    assert.equal(await overflow(), 0, 'settings fit the width');
    await shot(s, 'phone-360-settings-event');
  } finally {
    await s.quit();
  }
});
