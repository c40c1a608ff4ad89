// End-to-end: a branch the central office publishes after the app was built (`lgota-central
// reference config`) takes a new phone. A code for it enrolls the real app, which accepts the
// branch the server names, pulls the configuration at once, shows the branch's name, and syncs
// its records into that branch. Needs DISPLAY, LGOTA_APP_BIN and LGOTA_CENTRAL_BIN (scripts/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Session } from './webdriver.mjs';
import { record, screenshot, setUp, startApp, untilText } from './helpers.mjs';
import { startCentral } from '../central.mjs';

const NEW_BRANCH = { id: 'branch-ozernaya', name: 'Филиал на Озёрной' };

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

test('a branch published after the app was built enrolls the app, which names it and syncs into it', async () => {
  // The bundled configuration is what the app was built with; the office publishes a newer one
  // with a new branch.
  const bundled = JSON.parse(
    readFileSync(path.resolve(import.meta.dirname, '../../crates/lgota-domain/src/default_config.json'), 'utf8'),
  );
  assert.ok(!bundled.branches.some((b) => b.id === NEW_BRANCH.id), 'the app was built without the branch');
  const config = { ...bundled, version: bundled.version + 1, branches: [...bundled.branches, NEW_BRANCH] };
  const file = path.join(central.dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  central.cli(['reference', 'config', file]);

  const s = await Session.create(phone.url, phone.app);
  try {
    await setUp(s, { branch: 'central', staff: 'О.Ф.' });
    await record(s, ['btn-refused']);
    const options = await s.exec(
      `return [...document.querySelectorAll('[data-testid="setup-branch"] option, [data-testid="settings-branch"] option')].map((o) => o.value);`,
    );
    assert.ok(!options.includes(NEW_BRANCH.id));

    const issued = central.cli(['device', 'enroll', '--branch', NEW_BRANCH.id, '--png', path.join(central.dir, 'enroll.png')]);
    const uri = issued.match(/(lgota:enroll\?\S+)/)[1];
    await s.click('[data-testid="btn-settings"]');
    await s.waitFor('[data-testid="sync-panel"]');
    await s.type('[data-testid="enroll-uri"]', uri);
    await s.click('[data-testid="btn-enroll"]');
    const notice = await untilText(s, '[data-testid="sync-notice"]', /подключено/, 20_000);
    assert.match(notice, /Устройство подключено: филиал «Филиал на Озёрной»/);
    assert.equal(await s.exec(`return document.querySelector('[data-testid="settings-branch"]').value;`), NEW_BRANCH.id);
    assert.equal(
      await s.exec(`const el = document.querySelector('[data-testid="settings-branch"]'); return el.selectedOptions[0].textContent.trim();`),
      NEW_BRANCH.name,
    );
    // The configuration listing the branch is on the phone now.
    const phoneDb = path.join(phone.dataHome, 'ru.lermontov.cbs.lgota', 'lgota.db');
    const version = execFileSync('sqlite3', [phoneDb, "SELECT version FROM reference WHERE name = 'config'"], {
      encoding: 'utf8',
    }).trim();
    assert.equal(version, String(config.version));
    screenshot('enroll-new-branch');

    // The recording screen names the branch, and its records arrive in it.
    await s.click('[data-testid="btn-back"]');
    await untilText(s, '.subtitle', /Филиал на Озёрной · О\.Ф\./);
    await record(s, ['btn-did-ok', 'choice-pensioner']);
    await s.click('[data-testid="btn-settings"]');
    await s.click('[data-testid="btn-sync-now"]');
    await s.until('both records on the server', async () => central.sql('SELECT COUNT(*) FROM records') === '2', 20_000);
    assert.equal(central.sql(`SELECT COUNT(*) FROM records WHERE branch_id = '${NEW_BRANCH.id}'`), '1');
    assert.equal(central.sql(`SELECT branch_id FROM devices`), NEW_BRANCH.id);
  } catch (err) {
    screenshot('failure-enroll-branch');
    throw err;
  } finally {
    await s.quit();
  }
});
