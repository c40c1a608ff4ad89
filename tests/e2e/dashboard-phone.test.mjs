// End-to-end across both products: the central office signs in to the dashboard (Debian's
// chromium through playwright-core), issues an enrollment code on the «Устройства» page, the real
// app under Xvfb enrolls with the code's text and syncs, the dashboard shows the phone and its
// check, the office revokes the phone from the page, and the app's next sync is refused with
// advice. Needs DISPLAY, LGOTA_APP_BIN and LGOTA_CENTRAL_BIN (scripts/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { Session, startDriver, freePort } from './webdriver.mjs';
import { artifacts, record, screenshot, setUp } from './helpers.mjs';

const app = process.env.LGOTA_APP_BIN;
const central = process.env.LGOTA_CENTRAL_BIN;
const PASSWORD = 'пароль методиста 2026';
let work;
let driver;
let server;
let base;
let db;
let browser;

before(async () => {
  assert.ok(app && existsSync(app), `LGOTA_APP_BIN must point to the built app (got ${app})`);
  assert.ok(central && existsSync(central), `LGOTA_CENTRAL_BIN must point to lgota-central (got ${central})`);
  work = mkdtempSync(path.join(tmpdir(), 'lgota-dashboard-phone-'));
  mkdirSync(artifacts, { recursive: true });
  db = path.join(work, 'central.db');
  execFileSync(central, ['--db', db, 'admin', 'add', '--login', 'metodist', '--role', 'admin'], {
    input: `${PASSWORD}\n`,
    encoding: 'utf8',
  });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(
    central,
    ['--db', db, '--public-url', base, '--cookie-secure', 'false', 'serve', '--listen', `127.0.0.1:${port}`],
    { stdio: 'ignore' },
  );
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      // not up yet
    }
    assert.ok(i < 100, 'the central server did not start');
    await sleep(100);
  }
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  driver = await startDriver({ XDG_DATA_HOME: path.join(work, 'phone'), WEBKIT_DISABLE_COMPOSITING_MODE: '1', NO_AT_BRIDGE: '1' });
});

after(async () => {
  await driver?.stop();
  await browser?.close();
  server?.kill('SIGTERM');
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a phone enrolled with the code from the dashboard syncs, shows up there, and is refused once revoked from it', async () => {
  const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const s = await Session.create(driver.url, app);
  try {
    // The office: sign in, issue a code for branch 1.
    await page.goto(`${base}/login`);
    await page.fill('#login', 'metodist');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/`), page.click('button[type="submit"]')]);
    await page.click('nav >> text=Устройства');
    await page.selectOption('#enroll select[name="branch"]', 'branch-1');
    await Promise.all([page.waitForURL(`${base}/devices/enroll`), page.click('#enroll button[type="submit"]')]);
    const uri = (await page.textContent('#enroll-payload')).trim();
    assert.match(uri, /^lgota:enroll\?v=1&server=/);

    // The librarian: set up, record a check offline, then paste the code's text.
    await setUp(s, { branch: 'branch-1', staff: 'В.Г.' });
    await record(s, ['btn-did-ok', 'choice-student']);
    await s.click('[data-testid="btn-settings"]');
    await s.waitFor('[data-testid="sync-panel"]');
    await s.type('[data-testid="enroll-uri"]', uri);
    await s.click('[data-testid="btn-enroll"]');
    await s.until('enrolled and synced', async () => (await s.text('[data-testid="sync-pending"]')) === '0', 20_000);

    // The office sees the phone (synced, nothing unsent) and its check.
    await page.click('nav >> text=Устройства');
    const row = page.locator('tr[data-state="active"]');
    assert.equal(await row.count(), 1, 'one active phone');
    assert.match(await row.textContent(), /Библиотека-филиал № 1/);
    assert.equal((await row.locator('td.n').textContent()).trim(), '0');
    await page.click('nav >> text=Обзор');
    assert.equal((await page.textContent('[data-figure="total"]')).trim(), '1');
    assert.equal((await page.textContent('#by-category tr[data-key="student"] td.n')).trim(), '1');

    // Revoked from the page: the app's next sync is refused, the record stays on the phone.
    await page.click('nav >> text=Устройства');
    await Promise.all([page.waitForURL(`${base}/devices/revoke`), row.locator('button').click()]);
    await Promise.all([page.waitForURL(/done=revoked/), page.click('#confirm-revoke')]);
    await s.click('[data-testid="btn-back"]');
    await record(s, ['btn-refused']);
    await s.click('[data-testid="btn-settings"]');
    await s.click('[data-testid="btn-sync-now"]');
    const problem = await s.until('the revocation problem', async () => {
      const els = await s.findAll('[data-testid="sync-problem"]');
      if (els.length === 0) return null;
      const t = await s.cmd('GET', `/element/${els[0]}/text`);
      return /QR-код/.test(t) ? t : null;
    }, 20_000);
    assert.match(problem, /отключ/);
    assert.equal(await s.text('[data-testid="sync-pending"]'), '1', 'the refused record stays on the phone');
    await page.click('nav >> text=Журнал');
    assert.match(await page.textContent('#audit'), /device\.revoke/);
  } catch (err) {
    screenshot('failure-dashboard-phone');
    throw err;
  } finally {
    await s.quit();
    await context.close();
  }
});
