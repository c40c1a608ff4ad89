// End-to-end, at the desk (issue 15), on the real app at the size of a small phone (360×640):
// - a paper check of every category's every document is accepted by ticking exactly that
//   document's checklist (the bundled pack's list for it, nothing of another document);
// - ten checks of mixed kinds back to back with no pause: every tap lands (the buttons are tapped
//   as a finger would, without waiting for the list), each is saved, the tally is right;
// - the toast never lies over a control of the check in progress.
// Needs DISPLAY and LGOTA_APP_BIN (scripts/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Session } from './webdriver.mjs';
import { rows, screenshot, setUp, startApp, tally } from './helpers.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const config = JSON.parse(readFileSync(path.join(root, 'crates/lgota-domain/src/default_config.json'), 'utf8'));
const pack = JSON.parse(readFileSync(path.join(root, 'crates/lgota-domain/content/bundled-pack.json'), 'utf8'));

let phone;
let s;

before(async () => {
  phone = await startApp();
  s = await Session.create(phone.url, phone.app);
  await setUp(s, { branch: 'branch-2', staff: 'О.К.' });
  await s.cmd('POST', '/window/rect', { width: 360, height: 640 });
  await s.until('the 360 px wide view', async () => (await s.exec('return window.innerWidth;')) <= 360);
});

after(async () => {
  await s?.quit();
  await phone?.stop();
});

/** A tap as a hurried finger makes it: the least scroll that brings the element into view (as
 * the browser does it: `block: 'nearest'`, the page's scroll padding respected), then WebDriver's
 * click, which refuses when another element (the back bar, a toast) would receive it. Unlike
 * `clickElement`, the element is not centred first, so anything fixed over the screen's edges
 * would catch the tap. */
async function tap(css) {
  const el = await s.waitFor(css);
  await s.exec(`arguments[0].scrollIntoView({ block: 'nearest' });`, [{ 'element-6066-11e4-a52e-4f735466cecf': el }]);
  try {
    await s.cmd('POST', `/element/${el}/click`, {});
  } catch (err) {
    // Say what lay over it.
    const over = await s.exec(
      `const el = arguments[0]; const r = el.getBoundingClientRect();
       const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
       return { rect: [r.top, r.bottom, innerHeight], over: top ? top.outerHTML.slice(0, 120) : null,
         has: CSS.supports('selector(:has(a))'), pad: getComputedStyle(document.documentElement).scrollPaddingBottom };`,
      [{ 'element-6066-11e4-a52e-4f735466cecf': el }],
    ).catch((e) => e.message);
    throw new Error(`${css}: ${err.message}; ${JSON.stringify(over)}`);
  }
}

async function checkItems() {
  await s.waitFor('[data-testid="checklist-screen"]');
  const items = await s.findAll('[data-testid="check-item"]');
  const texts = [];
  for (const el of items) texts.push((await s.cmd('GET', `/element/${el}/text`)).trim());
  return { items, texts };
}

test('a paper check of every document of every category is accepted by ticking exactly its own checklist', async () => {
  let n = (await rows(s)).length;
  let pairs = 0;
  for (const category of config.categories) {
    for (const doc of category.document_type_ids) {
      await tap('[data-testid="btn-paper"]');
      await tap(`[data-testid="choice-${category.id}"]`);
      await tap(`[data-testid="choice-${doc}"]`);
      const { items, texts } = await checkItems();
      const list = pack.checklists.find((c) => c.document_type_id === doc);
      assert.ok(list, `the bundled pack has a checklist for ${doc}`);
      assert.deepEqual(texts, list.checks, `${category.id}/${doc}: the screen shows exactly this document's checks`);
      const accept = await s.find('[data-testid="btn-checklist-accept"]');
      assert.equal(await s.attr(accept, 'disabled'), 'true', 'not accepted before every item is ticked');
      for (const item of items) await s.clickElement(item);
      await tap('[data-testid="btn-checklist-accept"]');
      await s.waitFor('[data-testid="main-screen"] [data-testid="btn-did-ok"]');
      n += 1;
      await s.until(`the record of ${doc}`, async () => (await rows(s)).length === n);
      pairs += 1;
    }
  }
  assert.equal(pairs, 13);
  const t = await tally(s);
  assert.equal(t.paper, String(pairs));
  screenshot('desk-every-document');
});

test('ten checks of mixed kinds back to back, no pause: each saved, the tally right, no tap lost', async () => {
  const before = await tally(s);
  const start = (await rows(s)).length;
  const checks = [
    ['btn-refused'],
    ['btn-did-ok', 'choice-student'],
    ['btn-paper', 'choice-adult', 'choice-passport_rf', 'TICK', 'btn-checklist-accept'],
    ['btn-refused'],
    ['btn-did-fail', 'choice-qr_unreadable', 'choice-no-document'],
    ['btn-did-ok', 'choice-pensioner'],
    ['btn-did-fail', 'choice-no_internet', 'choice-student', 'choice-study_certificate', 'TICK', 'btn-checklist-accept'],
    ['btn-refused'],
    ['btn-did-ok', 'choice-svo'],
    ['btn-paper', 'choice-disabled', 'choice-mse_certificate', 'TICK', 'btn-checklist-reject'],
  ];
  const started = Date.now();
  for (const buttons of checks) {
    for (const b of buttons) {
      if (b === 'TICK') {
        const { items } = await checkItems();
        for (const item of items) await s.clickElement(item);
      } else {
        await tap(`[data-testid="${b}"]`);
      }
    }
    // No waiting for the list: the next citizen's first tap follows at once.
  }
  const elapsed = Date.now() - started;
  await s.until('ten new records in the list', async () => (await rows(s)).length === start + 10, 15_000);
  const t = await tally(s);
  const plus = (k, d) => String(Number(before[k]) + d);
  assert.deepEqual(t, {
    digital: plus('digital', 3),
    paper: plus('paper', 2),
    notGranted: plus('notGranted', 5),
    total: plus('total', 10),
  });
  const kinds = (await rows(s)).slice(0, 10).map((r) => `${r.method}/${r.outcome}`);
  assert.equal(kinds.filter((k) => k.endsWith('/refused')).length, 3, kinds.join(', '));
  console.log(`ten checks tapped in ${elapsed} ms`);
});

test('at 360×640 and with the font at 130 %: the toast never lies over a control of the check', async () => {
  for (const scale of ['100%', '130%']) {
    await s.exec(`document.documentElement.style.fontSize = '${scale}';`);
    await tap('[data-testid="btn-refused"]');
    await s.waitFor('[data-testid="toast"]');
    // On the main screen the toast lies in the flow: it overlaps no outcome button.
    const overlaps = await s.exec(`
      const box = (el) => el.getBoundingClientRect();
      const cross = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      const toast = box(document.querySelector('[data-testid="toast"]'));
      return [...document.querySelectorAll('.actions button, .tally, .quick button')]
        .filter((el) => cross(box(el), toast)).map((el) => el.textContent.trim());`);
    assert.deepEqual(overlaps, [], `${scale}: the toast overlaps ${overlaps}`);
    screenshot(`desk-toast-${scale === '100%' ? '100' : '130'}`);

    // The next check starts at once: the toast gives way; the checklist's buttons are never
    // under the back bar or a toast.
    await tap('[data-testid="btn-paper"]');
    assert.equal((await s.findAll('[data-testid="toast"]')).length, 0, `${scale}: no toast during a check`);
    await tap('[data-testid="choice-large_family"]');
    await tap('[data-testid="choice-large_family_card"]');
    const { items } = await checkItems();
    for (const item of items) await s.clickElement(item);
    for (const id of ['btn-checklist-accept', 'btn-checklist-reject', 'btn-back']) {
      const hit = await s.exec(
        `const el = document.querySelector('[data-testid="${id}"]');
         el.scrollIntoView({ block: 'nearest' });
         const r = el.getBoundingClientRect();
         const bar = document.querySelector('.bottom-bar').getBoundingClientRect();
         const x = r.left + r.width / 2, y = r.top + r.height / 2;
         const top = document.elementFromPoint(x, y);
         const underBar = el.closest('.bottom-bar') === null && r.bottom > bar.top;
         return { free: !!top && (top === el || el.contains(top)), underBar, bottom: r.bottom, bar: bar.top };`,
      );
      assert.ok(hit.free && !hit.underBar, `${scale}: «${id}» is covered: ${JSON.stringify(hit)}`);
    }
    screenshot(`desk-checklist-${scale === '100%' ? '100' : '130'}`);
    await tap('[data-testid="btn-checklist-accept"]');
    await s.waitFor('[data-testid="main-screen"] [data-testid="btn-did-ok"]');
  }
  await s.exec(`document.documentElement.style.fontSize = '';`);
});
