// End-to-end: a librarian finishes a training scenario in the real app; the result travels to a
// real central server (lgota-central on 127.0.0.1) apart from the records, never as a record,
// and the dashboard's «Обучение» (chromium) shows who was trained. Needs DISPLAY, LGOTA_APP_BIN
// and LGOTA_CENTRAL_BIN (scripts/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Session } from './webdriver.mjs';
import { screenshot, setUp, startApp, untilText } from './helpers.mjs';
import { launchChromium, signIn, startCentral } from '../central.mjs';

let central;
let phone;

before(async () => {
  central = await startCentral({ cookieSecureOff: true, admins: [{ login: 'metodist', role: 'admin' }] });
  phone = await startApp(path.join(central.dir, 'phone'));
});

after(async () => {
  await phone?.stop();
  await central?.stop();
});

/** Answers the open scenario: each step's options in turn until the right one, to the summary. */
async function answer(s) {
  for (;;) {
    const count = (await s.findAll('[data-testid="training-option"]')).length;
    let solved = false;
    for (let i = 0; i < count && !solved; i += 1) {
      const option = `document.querySelectorAll('[data-testid="training-option"]')[${i}]`;
      await s.exec(`${option}.click();`);
      // A wrong option is disabled; the right one brings «Дальше →» / «К итогам →».
      solved = await s.until(`option ${i} answered`, async () => {
        if ((await s.findAll('[data-testid="btn-training-next"]')).length > 0) return 'right';
        return (await s.exec(`return ${option}.disabled;`)) ? 'wrong' : null;
      }) === 'right';
    }
    assert.ok(solved, 'one option of the step is right');
    const next = await s.text('[data-testid="btn-training-next"]');
    await s.click('[data-testid="btn-training-next"]');
    if (/К итогам/.test(next)) return;
  }
}

test('a finished training scenario reaches «Обучение» apart from the records', async () => {
  const s = await Session.create(phone.url, phone.app);
  try {
    await setUp(s, { branch: 'branch-1', staff: 'Т.Е.' });
    const issued = central.cli(['device', 'enroll', '--branch', 'branch-1', '--png', path.join(central.dir, 'enroll.png')]);
    await s.click('[data-testid="btn-settings"]');
    await s.waitFor('[data-testid="sync-panel"]');
    await s.type('[data-testid="enroll-uri"]', issued.match(/(lgota:enroll\?\S+)/)[1]);
    await s.click('[data-testid="btn-enroll"]');
    await s.until('enrolled and synced', async () => (await s.text('[data-testid="sync-pending"]')) === '0', 20_000);
    await s.click('[data-testid="btn-back"]');

    await s.click('[data-testid="btn-content"]');
    await s.click('[data-testid="content-item"][data-id="prefers-paper"]');
    await s.waitFor('[data-testid="training-screen"]');
    await answer(s);
    const summary = await untilText(s, '[data-testid="training-summary"]', /Верно с первой попытки: (\d) из 2/);
    const right = Number(summary.match(/Верно с первой попытки: (\d) из 2/)[1]);
    await s.click('[data-testid="btn-training-record"]');
    await untilText(s, '[data-testid="notice"]', /Результат обучения сохранён/);
    screenshot('training-saved');
    await s.click('[data-testid="btn-back"]');
    await s.waitFor('[data-testid="content-screen"]');
    await s.click('[data-testid="btn-back"]');

    await s.click('[data-testid="btn-settings"]');
    await s.click('[data-testid="btn-sync-now"]');
    await s.until('the result on the server', async () => central.sql('SELECT COUNT(*) FROM training_results') === '1', 20_000);
    assert.equal(
      central.sql("SELECT staff_label || '|' || branch_id || '|' || scenario_id || '|' || steps || '|' || correct_first_try FROM training_results"),
      `Т.Е.|branch-1|prefers-paper|2|${right}`,
    );
    assert.equal(central.sql('SELECT COUNT(*) FROM records'), '0', 'the training record stayed on the phone');
  } finally {
    await s.quit();
  }

  const browser = await launchChromium();
  try {
    const page = await signIn(await browser.newContext(), central.base, 'metodist');
    await page.goto(`${central.base}/training`);
    assert.match(await page.textContent('table.training[data-branch="branch-1"]'), /Т\.Е\..*Гражданин выбирает бумажный документ/s);
  } finally {
    await browser.close();
  }
});
