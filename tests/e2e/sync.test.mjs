// End-to-end: the real app enrolls with a real central server (lgota-central on 127.0.0.1) by the
// text of its enrollment QR code, syncs its records, and after the device is revoked shows the
// problem and what to do. Needs DISPLAY, LGOTA_APP_BIN and LGOTA_CENTRAL_BIN (scripts/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Session } from './webdriver.mjs';
import { record, screenshot, setUp, startApp, untilText } from './helpers.mjs';
import { startCentral } from '../central.mjs';

let central;
let phone;

before(async () => {
  central = await startCentral();
  phone = await startApp(path.join(central.dir, 'phone'));
});

after(async () => {
  await phone?.stop();
  await central?.stop();
});

/** Back from settings to the main screen, once its list shows `count` records. */
async function backToMain(s, count) {
  await s.click('[data-testid="btn-back"]');
  await s.until(`the list of ${count}`, async () => (await s.findAll('[data-testid="record"]')).length === count);
}

test('enroll by the QR text, sync to the real server, then a revoked device is told what to do', async () => {
  const s = await Session.create(phone.url, phone.app);
  try {
    await setUp(s, { branch: 'branch-1', staff: 'А.Б.' });
    await record(s, ['btn-did-ok', 'choice-pensioner']);
    await record(s, ['btn-refused']);
    assert.match(await s.text('[data-testid="sync-badge"]'), /Не подключено/);

    // The administrator issues a code; the librarian pastes the QR's text (the camera does it on Android).
    const issued = central.cli(['device', 'enroll', '--branch', 'branch-1', '--png', path.join(central.dir, 'enroll.png')]);
    const uri = issued.match(/(lgota:enroll\?\S+)/)[1];
    await s.click('[data-testid="btn-settings"]');
    await s.waitFor('[data-testid="sync-panel"]');
    await s.type('[data-testid="enroll-uri"]', uri);
    await s.click('[data-testid="btn-enroll"]');
    await s.until('enrolled and synced', async () => (await s.text('[data-testid="sync-pending"]')) === '0', 20_000);
    assert.match(await s.text('[data-testid="sync-panel"]'), new RegExp(central.base.replace(/[.:/]/g, '\\$&')));
    screenshot('sync-panel');
    assert.equal(central.sql("SELECT COUNT(*) FROM records WHERE branch_id = 'branch-1'"), '2');
    assert.equal(central.sql("SELECT COUNT(*) FROM records WHERE outcome = 'confirmed'"), '1');

    // «Синхронизировать сейчас» sends a new record at once.
    await backToMain(s, 2);
    await record(s, ['btn-did-fail', 'choice-no_internet', 'choice-no-document']);
    await s.click('[data-testid="btn-settings"]');
    await s.click('[data-testid="btn-sync-now"]');
    await s.until('the third record on the server', async () => central.sql('SELECT COUNT(*) FROM records') === '3', 20_000);

    // Revoked: the next sync is refused; the phone forgets the records the office has, its token
    // and its staff label, says why, and keeps the record never sent.
    const deviceId = central.sql('SELECT id FROM devices');
    central.cli(['device', 'revoke', deviceId]);
    await backToMain(s, 3);
    await record(s, ['btn-refused']);
    await s.click('[data-testid="btn-settings"]');
    await s.click('[data-testid="btn-sync-now"]');
    const revoked = await untilText(s, '[data-testid="revoked-notice"]', /отключила этот телефон/, 20_000);
    assert.match(revoked, /\(3\), ключ доступа к серверу и метка сотрудника/, 'the three acknowledged records');
    assert.match(await s.text('[data-testid="revoked-unsent"]'), /Неотправленных записей осталось: 1/);
    assert.equal(central.sql('SELECT COUNT(*) FROM records'), '3');
    screenshot('sync-revoked');

    // Set up again: the unsent record is still there, waiting, and the panel offers to enroll.
    await setUp(s, { branch: 'branch-1', staff: 'А.Б.' });
    await s.click('[data-testid="btn-settings"]');
    await s.waitFor('[data-testid="sync-panel"]');
    assert.equal(await s.text('[data-testid="sync-pending"]'), '1', 'the refused record stays on the phone');

    // Offline transfer: the unsent record goes to a file, and the administrator imports it (twice).
    await s.click('[data-testid="btn-export"]');
    const notice = await untilText(s, '[data-testid="sync-notice"]', /Выгружено записей: 1/);
    const file = notice.match(/в файл (.+\.json)/)[1].trim();
    assert.ok(existsSync(file), `the exported file exists: ${file}`);
    central.cli(['import', file]);
    central.cli(['import', file]);
    assert.equal(central.sql('SELECT COUNT(*) FROM records'), '4', 'imported once, however often');
  } catch (err) {
    screenshot('failure-sync');
    throw err;
  } finally {
    await s.quit();
  }
});
