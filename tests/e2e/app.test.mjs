// End-to-end: the real lgota-app binary under Xvfb, driven through tauri-driver + WebKitWebDriver.
// Records one check of each kind through the UI, undoes one, voids one, restarts the app and
// finds the list and the tally right. Needs DISPLAY (scripts/test.sh starts Xvfb) and
// LGOTA_APP_BIN (a binary built with the custom protocol, i.e. with the UI embedded).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Session, startDriver } from './webdriver.mjs';

const app = process.env.LGOTA_APP_BIN;
const artifacts = path.resolve(import.meta.dirname, '..', 'artifacts');
let dataHome;
let driver;

before(async () => {
  assert.ok(app && existsSync(app), `LGOTA_APP_BIN must point to the built app (got ${app})`);
  assert.ok(process.env.DISPLAY, 'DISPLAY must be set (Xvfb)');
  dataHome = mkdtempSync(path.join(tmpdir(), 'lgota-e2e-'));
  mkdirSync(artifacts, { recursive: true });
  // The app keeps its database in $XDG_DATA_HOME/<identifier>/: a fresh, private one per run.
  driver = await startDriver({ XDG_DATA_HOME: dataHome, WEBKIT_DISABLE_COMPOSITING_MODE: '1', NO_AT_BRIDGE: '1' });
});

after(async () => {
  await driver?.stop();
  if (dataHome) rmSync(dataHome, { recursive: true, force: true });
});

function screenshot(name) {
  try {
    execFileSync('import', ['-window', 'root', path.join(artifacts, `${name}.png`)], { timeout: 10_000 });
  } catch {
    // A missing screenshot must not hide the real result.
  }
}

async function tally(s) {
  return {
    digital: await s.text('[data-testid="tally-digital"]'),
    paper: await s.text('[data-testid="tally-paper"]'),
    notGranted: await s.text('[data-testid="tally-not-granted"]'),
    total: await s.text('[data-testid="tally-total"]'),
  };
}

async function rows(s) {
  const els = await s.findAll('[data-testid="record"]');
  const out = [];
  for (const el of els) {
    out.push({
      id: await s.attr(el, 'data-id'),
      outcome: await s.attr(el, 'data-outcome'),
      method: await s.attr(el, 'data-method'),
      voided: (await s.attr(el, 'data-voided')) === 'true',
    });
  }
  return out;
}

/** Taps the buttons in order, then waits for the save toast and for the list to grow. */
async function record(s, buttons) {
  const before = (await s.findAll('[data-testid="record"]')).length;
  for (const b of buttons) await s.click(`[data-testid="${b}"]`);
  await s.waitFor('[data-testid="main-screen"] [data-testid="btn-did-ok"]');
  await s.until('the new record in the list', async () => (await s.findAll('[data-testid="record"]')).length === before + 1);
}

test('record every kind of check, undo, void, restart: list and tally stay right', async () => {
  let s = await Session.create(driver.url, app);
  try {
    // First start: setup, offline, with the bundled configuration.
    await s.waitFor('[data-testid="setup-screen"]', 30_000);
    await s.exec(`const el = document.querySelector('[data-testid="setup-branch"]');
      el.value = 'branch-1'; el.dispatchEvent(new Event('change', { bubbles: true }));`);
    await s.type('[data-testid="setup-staff"]', 'И.П.');
    await s.type('[data-testid="setup-event-title"]', 'Библионочь');
    await s.click('[data-testid="setup-submit"]');
    await s.waitFor('[data-testid="main-screen"]');

    // Bad input is refused with a Russian message and nothing is saved: a phone in a void reason
    // is tried below; here, the five kinds of check.
    await record(s, ['btn-did-ok', 'choice-pensioner']);
    await record(s, ['btn-did-fail', 'choice-no_internet', 'choice-student', 'choice-student_card']);
    // A note with a passport number is refused and nothing is saved; a clean one goes through.
    const rowsBefore = (await rows(s)).length;
    await s.click('[data-testid="btn-did-fail"]');
    await s.click('[data-testid="choice-goskan_error"]');
    await s.click('details.note summary');
    await s.type('[data-testid="check-note"]', 'паспорт 45 06 123456');
    await s.click('[data-testid="choice-no-document"]');
    const refusal = await s.until('the note refusal', async () => {
      const t = await s.text('[data-testid="error"]');
      return t.includes('паспорт') ? t : null;
    });
    assert.match(refusal, /персональные данные/);
    await s.type('[data-testid="check-note"]', 'Госкан не отвечал');
    await s.click('[data-testid="choice-no-document"]');
    // Exactly one record more than before the refused attempt: the refusal stored nothing.
    await s.until('the note record in the list', async () => (await rows(s)).length === rowsBefore + 1);
    await record(s, ['btn-paper', 'choice-large_family', 'choice-large_family_card']);
    await record(s, ['btn-refused']);
    screenshot('main-after-recording');

    // Undo the last one from the toast (within 10 s).
    const last = (await rows(s))[0];
    assert.equal(last.outcome, 'refused');
    await s.click('[data-testid="toast"] [data-testid="btn-undo"]');
    await s.until('the undone record marked voided', async () => (await rows(s)).find((r) => r.id === last.id)?.voided);

    // Void the Digital ID one with a reason; a reason with a phone number is refused first.
    const confirmed = (await rows(s)).find((r) => r.outcome === 'confirmed');
    const row = await s.find(`[data-testid="record"][data-id="${confirmed.id}"]`);
    await s.clickElement(await s.findIn(row, '[data-testid="btn-void"]'));
    await s.type('[data-testid="void-reason"]', 'перезвонить 89123456789');
    await s.click('[data-testid="void-submit"]');
    const message = await s.until('the personal-data error', async () => {
      const t = await s.text('[data-testid="error"]');
      return t.includes('персональные данные') ? t : null;
    });
    assert.match(message, /номер телефона/);
    assert.equal((await rows(s)).find((r) => r.id === confirmed.id).voided, false);
    await s.type('[data-testid="void-reason"]', 'Ошибочная категория');
    await s.click('[data-testid="void-submit"]');
    await s.until('the voided record', async () => (await rows(s)).find((r) => r.id === confirmed.id)?.voided);

    const expectedTally = { digital: '0', paper: '2', notGranted: '1', total: '3' };
    await s.until('the tally after corrections', async () => JSON.stringify(await tally(s)) === JSON.stringify(expectedTally));
    screenshot('main-after-void');
  } catch (err) {
    screenshot('failure');
    throw err;
  } finally {
    await s.quit();
  }

  // Restart: a new app process on the same data folder.
  s = await Session.create(driver.url, app);
  try {
    await s.waitFor('[data-testid="main-screen"]', 30_000);
    await s.until('the list after restart', async () => (await rows(s)).length === 5);
    const after = await rows(s);
    assert.deepEqual(
      after.map((r) => [r.method, r.outcome, r.voided]),
      [
        ['none', 'refused', true],
        ['paper', 'paper_shown', false],
        ['digital_id', 'no_document', false],
        ['digital_id', 'paper_shown', false],
        ['digital_id', 'confirmed', true],
      ],
    );
    assert.deepEqual(await tally(s), { digital: '0', paper: '2', notGranted: '1', total: '3' });
    assert.match(await s.text('[data-testid="screen-title"]'), /Библионочь/);
    assert.match(await s.text('[data-testid="record"][data-outcome="no_document"]'), /Госкан не отвечал/);
    assert.match(await s.text('[data-testid="record"][data-outcome="confirmed"]'), /Ошибочная категория/);
  } finally {
    await s.quit();
  }
});
