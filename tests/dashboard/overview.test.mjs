// The central office's dashboard in a real browser: the real `lgota-central` binary on a free
// port with a temporary database, an administrator added through the CLI, records brought in
// through the CLI `import` of offline exports, sign-in through the form, figures read off the page.
//
//   cargo build -p lgota-central && node --test tests/dashboard/
//
// LGOTA_CENTRAL_BIN overrides the binary (default target/debug/lgota-central); Chromium is
// Debian's /usr/bin/chromium driven by playwright-core (no browser download).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { artifacts, launchChromium, PASSWORD, recordFactory, signIn, startCentral, writeExport } from '../central.mjs';

const DAY = 86_400_000;
let central;
let eventId;
let base;
let browser;

const record = recordFactory('0190b0b0-0000-7000-8000');

async function importExport(device, records) {
  return central.cli(['import', await writeExport(central, device, records)]);
}

// A day relative to today in Moscow time, YYYY-MM-DD.
function moscowDay(offsetDays) {
  return new Date(Date.now() + 3 * 3600_000 + offsetDays * DAY).toISOString().slice(0, 10);
}

before(async () => {
  central = await startCentral({ cookieSecureOff: true });
  base = central.base;
  const added = central.cli(['admin', 'add', '--login', 'metodist', '--role', 'admin'], `${PASSWORD}\n`);
  assert.match(added, /Добавлен пользователь metodist/);

  // branch-1: two confirmed by Digital ID, one Digital ID failure → paper shown.
  // branch-2: one paper without a document (refused), one check voided by a correction.
  await importExport('phone-1', [
    record('phone-1', 'branch-1', {}),
    record('phone-1', 'branch-1', { category_id: 'disabled' }),
    record('phone-1', 'branch-1', {
      outcome: 'paper_shown',
      category_id: 'student',
      failure_reason_id: 'no_internet',
      document_type_id: 'student_card',
      checklist_completed: true,
    }),
  ]);
  const voided = record('phone-2', 'branch-2', {});
  await importExport('phone-2', [
    record('phone-2', 'branch-2', { method: 'paper', outcome: 'no_document', granted: false, category_id: 'large_family' }),
    voided,
    record('phone-2', 'branch-2', {
      kind: 'void',
      method: null,
      outcome: null,
      granted: null,
      category_id: null,
      target_id: voided.id,
      void_reason: 'Ошибочная запись',
    }),
  ]);

  // Earlier weeks: two checks at a published event 8 days ago, one at no event 15 days ago.
  const published = central.cli(['event', 'add', '--branch', 'branch-1', '--title', 'Вечер поэзии', '--date', moscowDay(-8)]);
  eventId = published.match(/опубликовано: (\S+)/)[1];
  await importExport('phone-3', [
    record('phone-3', 'branch-1', { created_at_ms: Date.now() - 8 * DAY, event_id: eventId }),
    record('phone-3', 'branch-1', {
      created_at_ms: Date.now() - 8 * DAY + 60_000,
      event_id: eventId,
      method: 'paper',
      outcome: 'paper_shown',
      category_id: 'student',
    }),
    record('phone-3', 'branch-2', { created_at_ms: Date.now() - 15 * DAY }),
  ]);

  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await central?.stop();
});

test('an administrator signs in and sees the figures of the pushed records', async () => {
  const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  assert.equal(new URL(page.url()).pathname, '/login', 'no session: to the sign-in form');

  await page.fill('#login', 'metodist');
  await page.fill('#password', 'не тот пароль');
  await page.click('button[type="submit"]');
  assert.match(await page.textContent('[role="alert"]'), /Неверный логин или пароль/);

  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type="submit"]')]);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'lgota_session');
  assert.ok(session && session.httpOnly && session.sameSite === 'Strict', 'an HttpOnly, SameSite=Strict session');

  // Today in Moscow time, through the filter form.
  const today = new Date(Date.now() + 3 * 3600_000).toISOString().slice(0, 10);
  await page.fill('input[name="from"]', today);
  await page.fill('input[name="to"]', today);
  await Promise.all([page.waitForURL(/from=/), page.click('#filters button[type="submit"]')]);

  const figure = async (name) => (await page.textContent(`[data-figure="${name}"]`)).trim();
  assert.equal(await figure('total'), '4', 'the voided check is not counted');
  assert.equal(await figure('digital-share'), '75,0%');
  assert.equal(await figure('paper-share'), '25,0%');
  assert.equal(await figure('granted'), '3');
  assert.equal(await figure('refused'), '1');
  const count = async (section, key) =>
    (await page.textContent(`#${section} tr[data-key="${key}"] td.n`)).trim();
  assert.equal(await count('by-branch', 'branch-1'), '3');
  assert.equal(await count('by-branch', 'branch-2'), '1');
  assert.equal(await count('by-method', 'digital_id'), '3');
  assert.equal(await count('by-outcome', 'paper_shown'), '1');
  assert.equal(await count('by-category', 'pensioner'), '1');
  assert.equal(await count('by-failure', 'no_internet'), '1');
  assert.match(await page.textContent('#by-branch'), /Библиотека-филиал № 1/);
  assert.equal(await page.locator('#by-branch svg rect').count(), 2, 'one bar per branch');

  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'dashboard.png'), fullPage: true });

  // Every figure leads to the records behind it: the total, then a branch's bar in the chart.
  const overviewUrl = page.url();
  await Promise.all([page.waitForURL(/\/records\?/), page.click('[data-figure="total"]')]);
  assert.equal((await page.textContent('[data-figure="records-total"]')).trim(), '4');
  assert.equal(await page.locator('#records tr[data-id]').count(), 4, 'the voided check is not listed');
  await page.screenshot({ path: path.join(artifacts, 'dashboard-records.png'), fullPage: true });
  await page.goto(overviewUrl);
  await Promise.all([page.waitForURL(/branch=branch-2/), page.click('#by-branch svg a:has(rect) >> nth=1')]);
  assert.equal((await page.textContent('[data-figure="records-total"]')).trim(), '1');
  assert.match(await page.textContent('#records'), /Документа нет/);
  await page.goto(overviewUrl);
  await Promise.all([
    page.waitForURL(/reason=no_internet/),
    page.click('#by-failure tr[data-key="no_internet"] td.n a'),
  ]);
  assert.equal((await page.textContent('[data-figure="records-total"]')).trim(), '1');
  // A bad filter value is explained, not a server error.
  const bad = await page.goto(`${base}/records?method=telepathy`);
  assert.equal(bad.status(), 400);
  assert.match(await page.textContent('[role="alert"]'), /Неизвестный способ подтверждения «telepathy»/);
  await page.goto(overviewUrl);

  // The last 30 days: the trend by week (chosen automatically) and the checks by event.
  await page.goto(`${base}/?from=${moscowDay(-29)}&to=${today}`);
  assert.equal(await figure('total'), '7');
  assert.equal(await page.getAttribute('#trend', 'data-unit'), 'week');
  assert.match(await page.textContent('#trend h2'), /по неделям/);
  const columns = await page.locator('#trend svg a').count();
  assert.ok(columns >= 5 && columns <= 6, `${columns} weeks in 30 days`);
  assert.equal(await page.locator('#trend tr[data-from]').count(), columns, 'a table row per column');
  const weekly = await page.locator('#trend tr[data-from] td.n:nth-of-type(1)').allTextContents();
  assert.equal(weekly.reduce((a, b) => a + Number(b), 0), 7, 'the weeks add up to the total');
  assert.equal(await count('by-event', eventId), '2');
  assert.equal(await count('by-event', ''), '5');
  assert.match(await page.textContent('#by-event'), /Вечер поэзии/);
  assert.match(await page.textContent('#by-event'), /Без мероприятия/);
  await page.screenshot({ path: path.join(artifacts, 'dashboard-trend.png'), fullPage: true });
  const periodUrl = page.url();
  // An event's bar leads to its two checks.
  await Promise.all([page.waitForURL(/event=/), page.click(`#by-event tr[data-key="${eventId}"] td.n a`)]);
  assert.equal((await page.textContent('[data-figure="records-total"]')).trim(), '2');
  assert.match(await page.textContent('#records'), /Вечер поэзии/);
  // The current week's column leads to its checks, which are today's four.
  await page.goto(periodUrl);
  const lastWeek = (await page.locator('#trend tr[data-from] td.n >> nth=-4').textContent()).trim();
  await Promise.all([page.waitForURL(/\/records\?/), page.click('#trend svg a >> nth=-1')]);
  assert.equal((await page.textContent('[data-figure="records-total"]')).trim(), lastWeek);
  assert.equal(lastWeek, '4');
  // By month, chosen in the form.
  await page.goto(periodUrl);
  await page.selectOption('select[name="trend"]', 'month');
  await Promise.all([page.waitForURL(/trend=month/), page.click('#filters button[type="submit"]')]);
  assert.equal(await page.getAttribute('#trend', 'data-unit'), 'month');
  assert.match(await page.textContent('#trend h2'), /по месяцам/);

  // Signing out ends the session.
  await Promise.all([page.waitForURL(`${base}/login`), page.click('header button[type="submit"]')]);
  await page.goto(`${base}/`);
  assert.equal(new URL(page.url()).pathname, '/login');
  await context.close();
});

test('dates are dd.mm.yyyy in a browser whose language is English', async () => {
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'America/New_York' });
  const page = await signIn(context, base, 'metodist');
  for (const [path, fields] of [['/', 2], ['/records', 2], ['/events', 1]]) {
    await page.goto(`${base}${path}`);
    const inputs = await page.locator('form input[name="from"], form input[name="to"], #add-event input[name="date"]').all();
    assert.equal(inputs.length, fields, `${path}: the date fields are there`);
    for (const input of inputs) {
      assert.equal(await input.getAttribute('type'), 'text', `${path}: no browser date field (it follows the browser's language)`);
      const value = await input.inputValue();
      assert.ok((path === '/events' && value === '') || /^\d{2}\.\d{2}\.\d{4}$/.test(value), `${path}: ${value}`);
    }
  }
  // A period typed the Russian way is read the Russian way.
  await page.goto(`${base}/records`);
  await page.fill('input[name="from"]', '01.03.2026');
  await page.fill('input[name="to"]', '31.03.2026');
  await Promise.all([page.waitForURL(/from=/), page.click('#filters button[type="submit"]')]);
  assert.equal(await page.inputValue('input[name="from"]'), '01.03.2026');
  assert.equal(await page.inputValue('input[name="to"]'), '31.03.2026');
  await context.close();
});
