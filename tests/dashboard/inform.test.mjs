// Informing and training (issue 16) in a real browser: the printed materials and the «лист
// ознакомления» printed to PDF by Debian's chromium (A4: the page count, nothing outside the
// printable width), served under the dashboard's CSP with no violation; «Обучение» fed by
// training results two phones sent through the real API, a branch head seeing only their branch.
//
//   cargo build -p lgota-central && node --test tests/dashboard/inform.test.mjs

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { artifacts, launchChromium, signIn, startCentral } from '../central.mjs';

const INSTITUTION = 'МКУ г. Лермонтова «Централизованная библиотечная система»';
/** A4 less the stylesheet's @page margins (12 mm each side), in CSS pixels. */
const PRINTABLE_WIDTH_PX = Math.floor(((210 - 2 * 12) * 96) / 25.4);
const PROTOCOL = { 'X-Lgota-Protocol': '3', 'Content-Type': 'application/json' };

let central;
let browser;
let context;
const cspViolations = [];

async function enroll(branch, device) {
  const issued = central.cli(['device', 'enroll', '--branch', branch, '--png', path.join(central.dir, `${device}.png`)]);
  const code = issued.match(/Код:\s+(\S+)/)[1];
  const r = await fetch(`${central.base}/api/v1/enroll`, {
    method: 'POST',
    headers: PROTOCOL,
    body: JSON.stringify({ code, device_id: device }),
  });
  assert.equal(r.status, 200);
  return (await r.json()).device_token;
}

let n = 0;
function result(device, branch, label, scenario, title, correct, steps) {
  n += 1;
  return {
    id: `0190c0c0-0000-7000-8000-${String(n).padStart(12, '0')}`,
    device_id: device,
    branch_id: branch,
    staff_label: label,
    scenario_id: scenario,
    scenario_title: title,
    content_version: 1,
    completed_at_ms: Date.now() - n * 60_000,
    utc_offset_min: 180,
    steps,
    correct_first_try: correct,
  };
}

async function pushTraining(token, results) {
  const r = await fetch(`${central.base}/api/v1/training`, {
    method: 'POST',
    headers: { ...PROTOCOL, Authorization: `Bearer ${token}` },
    body: JSON.stringify({ results }),
  });
  assert.equal(r.status, 200);
  return r.json();
}

before(async () => {
  central = await startCentral({
    cookieSecureOff: true,
    env: { LGOTA_CENTRAL_INSTITUTION: INSTITUTION },
    admins: [
      { login: 'metodist', role: 'admin' },
      { login: 'zav1', role: 'branch_head', branch: 'branch-1' },
    ],
  });
  const one = await enroll('branch-1', 'phone-1');
  const two = await enroll('branch-2', 'phone-2');
  const batch = [
    result('phone-1', 'branch-1', 'Обучен-1', 'did-success', 'Цифровой ID подтверждён', 3, 3),
    result('phone-1', 'branch-1', 'Обучен-1', 'no-internet', 'Выездное мероприятие без интернета', 2, 3),
  ];
  await pushTraining(one, batch);
  // Sent again (a lost answer): duplicates, nothing doubles on the page.
  const again = await pushTraining(one, batch);
  assert.deepEqual(again.results.map((r) => r.status), ['duplicate', 'duplicate']);
  await pushTraining(two, [result('phone-2', 'branch-2', 'Обучен-2', 'prefers-paper', 'Гражданин выбирает бумажный документ', 2, 2)]);
  browser = await launchChromium();
  context = await browser.newContext();
  fs.mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  await central?.stop();
  assert.deepEqual(cspViolations, [], 'no Content-Security-Policy violation on any page');
});

async function open(page, url) {
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${url}: ${m.text()}`);
  });
  const response = await page.goto(`${central.base}${url}`);
  assert.equal(response.status(), 200, url);
  assert.match(response.headers()['content-security-policy'], /default-src 'none'; style-src 'self'/);
  return response;
}

/** PDF pages: the page objects of chromium's PDF. */
function pageCount(pdf) {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length;
}

/**
 * Prints the open page to A4 PDF (kept in tests/artifacts) and checks, at the printable width
 * with print styles, that no element sticks out: every heading and paragraph lies inside.
 */
async function printed(page, name) {
  const pdf = await page.pdf({ format: 'A4' });
  fs.writeFileSync(path.join(artifacts, `${name}.pdf`), pdf);
  await page.emulateMedia({ media: 'print' });
  await page.setViewportSize({ width: PRINTABLE_WIDTH_PX, height: 1000 });
  const outside = await page.evaluate((width) => {
    const bad = [];
    for (const el of document.querySelectorAll('main *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.left < -0.5 || r.right > width + 0.5) bad.push(`${el.tagName} ${Math.round(r.left)}–${Math.round(r.right)}: ${el.textContent.slice(0, 40)}`);
    }
    if (document.documentElement.scrollWidth > width) bad.push(`page ${document.documentElement.scrollWidth} px wide`);
    return bad;
  }, PRINTABLE_WIDTH_PX);
  assert.deepEqual(outside, [], `${name}: everything inside the printable width`);
  const headings = await page.$$eval('main h1, main h2, main h3, main h4', (hs) =>
    hs.map((h) => ({ text: h.textContent.trim(), visible: h.getBoundingClientRect().height > 0 })),
  );
  assert.ok(headings.length > 0 && headings.every((h) => h.text && h.visible), `${name}: headings shown`);
  const hidden = await page.$$eval('.screen-only', (els) => els.every((e) => getComputedStyle(e).display === 'none'));
  assert.ok(hidden, `${name}: the screen's line is not printed`);
  return { pages: pageCount(pdf), headings: headings.map((h) => h.text) };
}

test('the citizen notice prints on one A4 page with the institution, nothing cut off', async () => {
  const page = await signIn(context, central.base, 'metodist');
  await open(page, '/materials');
  assert.match(await page.textContent('#materials'), /встроенного в приложение/);
  await Promise.all([page.waitForURL(/\/materials\/notice$/), page.click('#link-notice')]);
  assert.equal(await page.textContent('.institution'), INSTITUTION);
  assert.match(await page.textContent('h1'), /«Цифровым ID» в МАХ/);
  const { pages, headings } = await printed(page, 'materials-notice');
  assert.equal(pages, 1, 'one A4 page');
  for (const h of ['Как показать «Цифровой ID»', 'Бумажный документ принимают всегда', 'Ваши персональные данные не сохраняются']) {
    assert.ok(headings.includes(h), h);
  }
  await page.close();
});

test('the staff памятка prints on two A4 pages with every paper checklist', async () => {
  const page = await signIn(context, central.base, 'zav1');
  await open(page, '/materials');
  await Promise.all([page.waitForURL(/\/materials\/memo$/), page.click('#link-memo')]);
  const { pages, headings } = await printed(page, 'materials-memo');
  assert.equal(pages, 2, 'two A4 pages');
  for (const h of ['Как проверить «Цифровой ID» в Госкане (§4.2)', 'Конфиденциальность (§5.2)', 'Бумажные документы: что проверить', 'Справка МСЭ об установлении инвалидности']) {
    assert.ok(headings.includes(h), h);
  }
  await page.close();
});

test('«Обучение» shows who was trained by branch; a branch head sees theirs; the sheet prints on A4', async () => {
  const page = await signIn(context, central.base, 'metodist');
  await open(page, '/training');
  const all = await page.textContent('#training');
  assert.match(all, /Обучен-1/);
  assert.match(all, /Обучен-2/);
  assert.equal(await page.locator('table.training[data-branch="branch-1"] tr').count(), 2, 'one trainee, sent twice, once');
  assert.match(await page.textContent('table.training[data-branch="branch-1"]'), /2 из 5/);
  await page.screenshot({ path: path.join(artifacts, 'dashboard-training.png'), fullPage: true });

  const head = await signIn(context, central.base, 'zav1');
  await open(head, '/training?branch=branch-2');
  const own = await head.textContent('#training');
  assert.match(own, /Обучен-1/);
  assert.doesNotMatch(own, /Обучен-2/);
  await Promise.all([head.waitForURL(/\/training\/sheet\?branch=branch-1$/), head.click('a.sheet-link')]);
  assert.equal(await head.textContent('.institution'), INSTITUTION);
  assert.match(await head.textContent('table.signatures'), /Обучен-1/);
  assert.equal(await head.locator('table.signatures th', { hasText: 'Подпись' }).count(), 1);
  const { pages } = await printed(head, 'training-sheet');
  assert.equal(pages, 1, 'one A4 page');
  await head.close();
  await page.close();
});
