// End-to-end: the real app enrolls with a real central server (lgota-central on 127.0.0.1) by the
// text of its enrollment QR code, syncs its records, and after the device is revoked shows the
// problem and what to do. Needs DISPLAY, LGOTA_APP_BIN and LGOTA_CENTRAL_BIN (scripts/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session, startDriver, freePort } from './webdriver.mjs';
import { artifacts, record, screenshot, setUp } from './helpers.mjs';

const app = process.env.LGOTA_APP_BIN;
const central = process.env.LGOTA_CENTRAL_BIN;
let work;
let driver;
let server;
let base;
let db;

function admin(...args) {
  return execFileSync(central, ['--db', db, '--public-url', base, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

function sql(query) {
  return execFileSync('sqlite3', [db, query], { encoding: 'utf8' }).trim();
}

before(async () => {
  assert.ok(app && existsSync(app), `LGOTA_APP_BIN must point to the built app (got ${app})`);
  assert.ok(central && existsSync(central), `LGOTA_CENTRAL_BIN must point to lgota-central (got ${central})`);
  work = mkdtempSync(path.join(tmpdir(), 'lgota-sync-e2e-'));
  mkdirSync(artifacts, { recursive: true });
  db = path.join(work, 'central.db');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(central, ['--db', db, 'serve', '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      // not up yet
    }
    assert.ok(i < 100, 'the central server did not start');
    await sleep(100);
  }
  driver = await startDriver({ XDG_DATA_HOME: path.join(work, 'phone'), WEBKIT_DISABLE_COMPOSITING_MODE: '1', NO_AT_BRIDGE: '1' });
});

after(async () => {
  await driver?.stop();
  server?.kill('SIGTERM');
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Back from settings to the main screen, once its list shows `count` records. */
async function backToMain(s, count) {
  await s.click('[data-testid="btn-back"]');
  await s.until(`the list of ${count}`, async () => (await s.findAll('[data-testid="record"]')).length === count);
}

test('enroll by the QR text, sync to the real server, then a revoked device is told what to do', async () => {
  const s = await Session.create(driver.url, app);
  try {
    await setUp(s, { branch: 'branch-1', staff: 'А.Б.' });
    await record(s, ['btn-did-ok', 'choice-pensioner']);
    await record(s, ['btn-refused']);
    assert.match(await s.text('[data-testid="sync-badge"]'), /Не подключено/);

    // The administrator issues a code; the librarian pastes the QR's text (the camera does it on Android).
    const issued = admin('device', 'enroll', '--branch', 'branch-1', '--png', path.join(work, 'enroll.png'));
    const uri = issued.match(/(lgota:enroll\?\S+)/)[1];
    await s.click('[data-testid="btn-settings"]');
    await s.waitFor('[data-testid="sync-panel"]');
    await s.type('[data-testid="enroll-uri"]', uri);
    await s.click('[data-testid="btn-enroll"]');
    await s.until('enrolled and synced', async () => (await s.text('[data-testid="sync-pending"]')) === '0', 20_000);
    assert.match(await s.text('[data-testid="sync-panel"]'), new RegExp(base.replace(/[.:/]/g, '\\$&')));
    screenshot('sync-panel');
    assert.equal(sql("SELECT COUNT(*) FROM records WHERE branch_id = 'branch-1'"), '2');
    assert.equal(sql("SELECT COUNT(*) FROM records WHERE outcome = 'confirmed'"), '1');

    // «Синхронизировать сейчас» sends a new record at once.
    await backToMain(s, 2);
    await record(s, ['btn-did-fail', 'choice-no_internet', 'choice-no-document']);
    await s.click('[data-testid="btn-settings"]');
    await s.click('[data-testid="btn-sync-now"]');
    await s.until('the third record on the server', async () => sql('SELECT COUNT(*) FROM records') === '3', 20_000);

    // Revoked: the next sync is refused, nothing is lost, and the panel says what to do.
    const deviceId = sql('SELECT id FROM devices');
    admin('device', 'revoke', deviceId);
    await backToMain(s, 3);
    await record(s, ['btn-refused']);
    await s.click('[data-testid="btn-settings"]');
    await s.click('[data-testid="btn-sync-now"]');
    const problem = await s.until('the revocation problem', async () => {
      const els = await s.findAll('[data-testid="sync-problem"]');
      if (els.length === 0) return null;
      const t = await s.cmd('GET', `/element/${els[0]}/text`);
      return /QR-код/.test(t) ? t : null;
    }, 20_000);
    assert.match(problem, /отключ|QR-код/);
    assert.equal(await s.text('[data-testid="sync-pending"]'), '1', 'the refused record stays on the phone');
    assert.equal(sql('SELECT COUNT(*) FROM records'), '3');
    screenshot('sync-revoked');

    // Offline transfer: the unsent record goes to a file, and the administrator imports it (twice).
    await s.click('[data-testid="btn-export"]');
    const notice = await s.until('the export notice', async () => {
      const els = await s.findAll('[data-testid="sync-notice"]');
      if (els.length === 0) return null;
      const t = await s.cmd('GET', `/element/${els[0]}/text`);
      return /Выгружено записей: 1/.test(t) ? t : null;
    });
    const file = notice.match(/в файл (.+\.json)/)[1].trim();
    assert.ok(existsSync(file), `the exported file exists: ${file}`);
    admin('import', file);
    admin('import', file);
    assert.equal(sql('SELECT COUNT(*) FROM records'), '4', 'imported once, however often');
  } catch (err) {
    screenshot('failure-sync');
    throw err;
  } finally {
    await s.quit();
  }
});
