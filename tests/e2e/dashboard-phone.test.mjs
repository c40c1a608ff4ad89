// End-to-end across both products: the central office signs in to the dashboard (Debian's
// chromium through playwright-core), issues an enrollment code on the «Устройства» page, the real
// app under Xvfb enrolls with the code's text and syncs, the dashboard shows the phone and its
// check, the office revokes the phone from the page, and the app's next sync is refused with
// advice. Needs DISPLAY, LGOTA_APP_BIN and LGOTA_CENTRAL_BIN (scripts/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Session } from './webdriver.mjs';
import { record, screenshot, setUp, startApp, untilText } from './helpers.mjs';
import { launchChromium, signIn, startCentral } from '../central.mjs';

let central;
let phone;
let browser;

before(async () => {
  central = await startCentral({ cookieSecureOff: true, admins: [{ login: 'metodist', role: 'admin' }] });
  browser = await launchChromium();
  phone = await startApp(path.join(central.dir, 'phone'));
});

after(async () => {
  await phone?.stop();
  await browser?.close();
  await central?.stop();
});

test('a phone enrolled with the code from the dashboard syncs, shows up there, and is refused once revoked from it', async () => {
  const { base } = central;
  const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1200, height: 900 } });
  const s = await Session.create(phone.url, phone.app);
  try {
    // The office: sign in, issue a code for branch 1.
    const page = await signIn(context, base, 'metodist');
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

    // Revoked from the page: the app's next sync is refused; the phone forgets the check the
    // office has, its token and its staff label, says why, and keeps the record never sent.
    await page.click('nav >> text=Устройства');
    await Promise.all([page.waitForURL(`${base}/devices/revoke`), row.locator('button').click()]);
    await Promise.all([page.waitForURL(/done=revoked/), page.click('#confirm-revoke')]);
    await s.click('[data-testid="btn-back"]');
    // The list loaded first: record() counts the rows it had before.
    await s.until('the list of 1', async () => (await s.findAll('[data-testid="record"]')).length === 1);
    await record(s, ['btn-refused']);
    await s.click('[data-testid="btn-settings"]');
    await s.click('[data-testid="btn-sync-now"]');
    const notice = await untilText(s, '[data-testid="revoked-notice"]', /отключила этот телефон/, 20_000);
    assert.match(notice, /\(1\), ключ доступа к серверу и метка сотрудника/, 'the acknowledged check is deleted');
    assert.match(
      await s.text('[data-testid="revoked-unsent"]'),
      /Неотправленных записей осталось: 1/,
      'the refused record stays on the phone',
    );
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
