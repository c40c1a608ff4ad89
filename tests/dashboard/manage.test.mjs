// Management pages of the dashboard in a real browser (Debian's chromium through playwright-core)
// against the real `lgota-central` binary: a phone enrolled with the code shown on the page syncs
// over the real protocol, is revoked from the page and refused at its next sync; an event and a
// branch published from forms; the XLSX export downloaded and read back; a branch head confined
// to their branch; the audit log lists what was done. Screenshots go to tests/artifacts.
//
//   cargo build -p lgota-central && node --test tests/dashboard/

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { artifacts, launchChromium, recordFactory, signIn as signInAt, startCentral, writeExport } from '../central.mjs';

const PROTOCOL = { 'X-Lgota-Protocol': '1', 'content-type': 'application/json' };

let central;
let base;
let browser;

const record = recordFactory('0190c0c0-0000-7000-8000', { staff_label: 'Сидорова' });

/// The entries of a ZIP file (an XLSX), inflated: name → Buffer.
function unzip(buffer) {
  const files = new Map();
  let end = buffer.length - 22;
  while (end >= 0 && buffer.readUInt32LE(end) !== 0x06054b50) end -= 1;
  assert.ok(end >= 0, 'a ZIP end-of-central-directory record');
  const count = buffer.readUInt16LE(end + 10);
  let at = buffer.readUInt32LE(end + 16);
  for (let i = 0; i < count; i += 1) {
    assert.equal(buffer.readUInt32LE(at), 0x02014b50);
    const method = buffer.readUInt16LE(at + 10);
    const size = buffer.readUInt32LE(at + 20);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extra = buffer.readUInt16LE(at + 30);
    const comment = buffer.readUInt16LE(at + 32);
    const local = buffer.readUInt32LE(at + 42);
    const name = buffer.toString('utf8', at + 46, at + 46 + nameLength);
    const dataAt = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    const data = buffer.subarray(dataAt, dataAt + size);
    files.set(name, method === 8 ? zlib.inflateRawSync(data) : data);
    at += 46 + nameLength + extra + comment;
  }
  return files;
}

/// The rows of the first sheet of an XLSX as arrays of cell texts (shared and inline strings,
/// numbers as written).
function xlsxRows(buffer) {
  const files = unzip(buffer);
  const shared = [];
  const sst = files.get('xl/sharedStrings.xml')?.toString('utf8') ?? '';
  for (const si of sst.matchAll(/<si>([\s\S]*?)<\/si>/g)) {
    shared.push([...si[1].matchAll(/<t[^>]*>([^<]*)<\/t>/g)].map((m) => m[1]).join(''));
  }
  const sheet = files.get('xl/worksheets/sheet1.xml').toString('utf8');
  return [...sheet.matchAll(/<row[^>]*>([\s\S]*?)<\/row>/g)].map((row) =>
    [...row[1].matchAll(/<c ([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)].map((c) => {
      const value = /<v>([^<]*)<\/v>/.exec(c[2] ?? '')?.[1] ?? /<t[^>]*>([^<]*)<\/t>/.exec(c[2] ?? '')?.[1] ?? '';
      return /t="s"/.test(c[1]) ? shared[Number(value)] : value;
    }),
  );
}

async function api(method, url, token, body) {
  const headers = { ...PROTOCOL };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${base}${url}`, { method, headers, body: body && JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

function signIn(context, login) {
  return signInAt(context, base, login);
}

before(async () => {
  central = await startCentral({
    cookieSecureOff: true,
    admins: [
      { login: 'metodist', role: 'admin' },
      { login: 'zav2', role: 'branch_head', branch: 'branch-2' },
      { login: 'director', role: 'observer' },
    ],
  });
  base = central.base;
  browser = await launchChromium();
  fs.mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  await central?.stop();
});

test('an administrator enrolls a phone from the page, sees it sync, revokes it, and the phone is refused', async () => {
  const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1200, height: 900 } });
  const page = await signIn(context, 'metodist');
  await page.click('nav >> text=Устройства');
  assert.match(await page.textContent('main'), /Подключённых устройств нет/);

  await page.selectOption('#enroll select[name="branch"]', 'branch-1');
  await page.selectOption('#enroll select[name="ttl"]', '60');
  await Promise.all([page.waitForURL(`${base}/devices/enroll`), page.click('#enroll button[type="submit"]')]);
  const qr = page.locator('#enrollment img');
  assert.ok((await qr.evaluate((img) => img.naturalWidth)) >= 300, 'the QR image rendered');
  await page.screenshot({ path: path.join(artifacts, 'dashboard-enroll.png'), fullPage: true });
  const payload = (await page.textContent('#enroll-payload')).trim();
  const uri = new URL(payload.replace('lgota:enroll?', 'lgota:enroll/?'));
  assert.equal(uri.searchParams.get('server'), base);
  const code = uri.searchParams.get('code');
  assert.equal(code, (await page.textContent('#enroll-code')).trim());

  // The phone's side, over the real protocol.
  const enrolled = await api('POST', '/api/v1/enroll', null, { code, device_id: 'phone-web' });
  assert.equal(enrolled.status, 200);
  const token = enrolled.body.device_token;
  const records = [record('phone-web', 'branch-1'), record('phone-web', 'branch-1', { category_id: 'student' })];
  const pushed = await api('POST', '/api/v1/records', token, { records });
  assert.deepEqual([pushed.status, pushed.body.stored], [200, 2]);
  assert.equal((await api('GET', '/api/v1/reference?pending=0', token)).status, 200);

  await page.click('nav >> text=Устройства');
  const row = page.locator('tr[data-device="phone-web"]');
  assert.equal(await row.getAttribute('data-state'), 'active');
  assert.match(await row.textContent(), /Библиотека-филиал № 1/);
  assert.equal((await row.locator('td.n').textContent()).trim(), '0', 'nothing left unsent');

  await Promise.all([page.waitForURL(`${base}/devices/revoke`), row.locator('button').click()]);
  assert.match(await page.textContent('main'), /Отключить устройство\?/);
  await Promise.all([page.waitForURL(/done=revoked/), page.click('#confirm-revoke')]);
  assert.match(await page.textContent('[role="status"]'), /Устройство отключено/);
  assert.equal(await page.locator('tr[data-device="phone-web"]').getAttribute('data-state'), 'revoked');
  await page.screenshot({ path: path.join(artifacts, 'dashboard-devices.png'), fullPage: true });

  const refused = await api('POST', '/api/v1/records', token, { records: [record('phone-web', 'branch-1')] });
  assert.deepEqual([refused.status, refused.body.code], [403, 'device_revoked']);
  assert.equal((await api('GET', '/api/v1/reference', token)).status, 403);

  // The overview counts the synced checks; the XLSX export holds them.
  await page.click('nav >> text=Обзор');
  assert.equal((await page.textContent('[data-figure="total"]')).trim(), '2');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href^="/export/records.xlsx"]')]);
  const rows = xlsxRows(fs.readFileSync(await download.path()));
  assert.match(rows[0].join('|'), /Дата/, 'Russian headers');
  assert.equal(rows.length, 3, 'a header and the two checks');
  assert.ok(rows.slice(1).every((r) => r.join('|').includes('Сидорова')));
  assert.ok(rows.slice(1).some((r) => r.join('|').includes('Студент')));
  await context.close();
});

test('events and branches are published from forms with Russian validation; the audit log shows who did it', async () => {
  const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1200, height: 900 } });
  const page = await signIn(context, 'metodist');

  await page.click('nav >> text=Мероприятия');
  await page.fill('#add-event input[name="title"]', 'Звонить +7 912 345-67-89');
  await page.fill('#add-event input[name="date"]', '2026-12-10');
  await page.selectOption('#add-event select[name="branch"]', 'branch-2');
  await page.click('#add-event button[type="submit"]');
  assert.match(await page.textContent('[role="alert"]'), /персональные данные/);
  await page.fill('#add-event input[name="title"]', 'Встреча с писателем <b>Ивановым</b>');
  await Promise.all([page.waitForURL(/done=event/), page.click('#add-event button[type="submit"]')]);
  assert.match(await page.textContent('#events'), /Встреча с писателем <b>Ивановым<\/b>/, 'shown as text');
  assert.match(await page.textContent('#events'), /10\.12\.2026/);
  await page.screenshot({ path: path.join(artifacts, 'dashboard-events.png'), fullPage: true });
  await Promise.all([page.waitForURL(/\/events\/poster\?id=/), page.click('#events >> text=QR-код для телефонов сотрудников')]);
  assert.match(await page.textContent('#event-payload'), /^lgota:event\?v=1&id=[0-9a-f-]{36}$/);
  assert.ok((await page.locator('#poster img').evaluate((img) => img.naturalWidth)) >= 300, 'the poster QR rendered');
  await page.goBack();

  await page.click('nav >> text=Филиалы');
  await page.fill('#add-branch input[name="id"]', 'branch-7');
  await page.fill('#add-branch input[name="name"]', 'Сельская библиотека-филиал № 7');
  await Promise.all([page.waitForURL(/done=branch/), page.click('#add-branch button[type="submit"]')]);
  assert.match(await page.textContent('tr[data-branch="branch-7"]'), /branch-7/);
  assert.equal(await page.inputValue('tr[data-branch="branch-7"] input[name="name"]'), 'Сельская библиотека-филиал № 7');

  await page.click('nav >> text=Журнал');
  const audit = await page.textContent('#audit');
  assert.match(audit, /metodist/);
  assert.match(audit, /event\.add/);
  assert.match(audit, /branch\.add/);
  assert.match(audit, /device\.revoke/);
  await page.screenshot({ path: path.join(artifacts, 'dashboard-audit.png'), fullPage: true });
  await context.close();
});

test('a branch head sees only their branch and cannot reach administrator pages', async () => {
  const phone = 'phone-b2';
  central.cli(['import', await writeExport(central, phone, [record(phone, 'branch-2', { outcome: 'refused', method: 'none', granted: false })])]);
  const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1200, height: 900 } });
  const page = await signIn(context, 'zav2');
  assert.equal((await page.textContent('[data-figure="total"]')).trim(), '1', 'only the branch-2 check');
  await page.goto(`${base}/?branch=branch-1`);
  assert.equal((await page.textContent('[data-figure="total"]')).trim(), '1', 'asking for branch 1 changes nothing');
  // Totals only, until an administrator opens the records of their branch.
  assert.equal(await page.locator('nav a[href="/records"]').count(), 0);
  assert.equal(await page.locator('#recent').count(), 0);
  assert.equal((await page.goto(`${base}/records`)).status(), 403);
  central.cli(['admin', 'grant-records', 'zav2']);
  assert.equal((await page.goto(`${base}/records`)).status(), 200);
  assert.equal(await page.locator('nav a[href="/records"]').count(), 1);
  assert.equal(await page.locator('#records tr[data-id]').count(), 1, 'the one branch-2 check');
  assert.equal(await page.locator('nav a[href="/branches"]').count(), 0);
  const response = await page.goto(`${base}/branches`);
  assert.equal(response.status(), 403);
  assert.match(await page.textContent('main'), /Недостаточно прав/);
  await page.goto(`${base}/events`);
  assert.match(await page.textContent('#events'), /Встреча с писателем/, 'their branch-2 event');
  await page.goto(`${base}/devices`);
  assert.doesNotMatch(await page.textContent('main'), /phone-web/, 'not the branch-1 phone');
  await context.close();
});

test('a totals-only user sees the figures and the summary, and nothing of records, phones or management', async () => {
  const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1200, height: 900 } });
  const page = await signIn(context, 'director');
  assert.ok(Number((await page.textContent('[data-figure="total"]')).trim()) >= 1, 'figures of every branch');
  // The figures and the printable materials (no personal data in either).
  assert.deepEqual(await page.locator('nav a').evaluateAll((links) => links.map((a) => a.getAttribute('href'))), [
    '/',
    '/materials',
  ]);
  assert.match(await page.textContent('header'), /только итоги/);
  assert.equal(await page.locator('main a[href^="/records"], main a[href^="/export/records"]').count(), 0);
  assert.equal(await page.locator('a[href^="/export/summary.xlsx"]').count(), 1);
  assert.match(await page.textContent('#totals-only'), /только итоги/);
  for (const path of ['/records', '/devices', '/events', '/training', '/audit', '/users', '/app', '/export/records.csv']) {
    assert.equal((await page.goto(`${base}${path}`)).status(), 403, path);
  }
  await context.close();
});
