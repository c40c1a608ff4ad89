// End-to-end: the real lgota-app binary under Xvfb, driven through tauri-driver + WebKitWebDriver.
// Records one check of each kind through the UI, undoes one, voids one, restarts the app and
// finds the list and the tally right. Needs DISPLAY (scripts/test.sh starts Xvfb) and
// LGOTA_APP_BIN (a binary built with the custom protocol, i.e. with the UI embedded).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from './webdriver.mjs';
import { record, rows, screenshot, setUp, startApp, tally } from './helpers.mjs';

let phone;

before(async () => {
  phone = await startApp();
});

after(async () => {
  await phone?.stop();
});

test('record every kind of check, undo, void, restart: list and tally stay right', async () => {
  let s = await Session.create(phone.url, phone.app);
  try {
    // First start: setup, offline, with the bundled configuration.
    await setUp(s, { branch: 'branch-1', staff: 'И.П.', event: 'Библионочь' });

    // Bad input is refused with a Russian message and nothing is saved: a phone in a void reason
    // is tried below; here, the five kinds of check.
    await record(s, ['btn-did-ok', 'choice-pensioner']);
    await record(s, ['btn-did-fail', 'choice-no_internet', 'choice-student', 'choice-student_card', 'TICK', 'btn-checklist-accept']);
    // A note with a passport number is refused and nothing is saved; a clean one goes through.
    const rowsBefore = (await rows(s)).length;
    await s.click('[data-testid="btn-did-fail"]');
    await s.click('[data-testid="choice-goskan_error"]');
    await s.click('details.note summary');
    await s.type('[data-testid="check-note"]', 'паспорт 45 06 123456');
    await s.click('[data-testid="choice-no-document"]');
    const refusal = await s.until('the note refusal', async () => {
      const t = await s.text('[data-testid="error"]');
      return t.includes('паспорт') ? t : null;
    });
    assert.match(refusal, /персональные данные/i);
    await s.type('[data-testid="check-note"]', 'Госкан не отвечал');
    await s.click('[data-testid="choice-no-document"]');
    // Exactly one record more than before the refused attempt: the refusal stored nothing.
    await s.until('the note record in the list', async () => (await rows(s)).length === rowsBefore + 1);
    await record(s, ['btn-paper', 'choice-large_family', 'choice-large_family_card', 'TICK', 'btn-checklist-accept']);
    await record(s, ['btn-refused']);
    screenshot('main-after-recording');

    // Undo the last one from the toast (within 10 s).
    const last = (await rows(s))[0];
    assert.equal(last.outcome, 'refused');
    await s.click('[data-testid="toast"] [data-testid="btn-undo"]');
    await s.until('the undone record marked voided', async () => (await rows(s)).find((r) => r.id === last.id)?.voided);

    // Void the Digital ID one with a reason; a reason with a phone number is refused first.
    const confirmed = (await rows(s)).find((r) => r.outcome === 'confirmed');
    const row = await s.find(`[data-testid="record"][data-id="${confirmed.id}"]`);
    await s.clickElement(await s.findIn(row, '[data-testid="btn-void"]'));
    await s.type('[data-testid="void-reason"]', 'перезвонить 89123456789');
    await s.click('[data-testid="void-submit"]');
    const message = await s.until('the personal-data error', async () => {
      const t = await s.text('[data-testid="error"]');
      return /персональные данные/i.test(t) ? t : null;
    });
    assert.match(message, /номер телефона/);
    assert.equal((await rows(s)).find((r) => r.id === confirmed.id).voided, false);
    await s.type('[data-testid="void-reason"]', 'Ошибочная категория');
    await s.click('[data-testid="void-submit"]');
    await s.until('the voided record', async () => (await rows(s)).find((r) => r.id === confirmed.id)?.voided);

    const expectedTally = { digital: '0', paper: '2', notGranted: '1', total: '3' };
    await s.until('the tally after corrections', async () => JSON.stringify(await tally(s)) === JSON.stringify(expectedTally));
    screenshot('main-after-void');
  } catch (err) {
    screenshot('failure');
    throw err;
  } finally {
    await s.quit();
  }

  // Restart: a new app process on the same data folder.
  s = await Session.create(phone.url, phone.app);
  try {
    await s.waitFor('[data-testid="main-screen"]', 30_000);
    await s.until('the list after restart', async () => (await rows(s)).length === 5);
    const after = await rows(s);
    assert.deepEqual(
      after.map((r) => [r.method, r.outcome, r.voided]),
      [
        ['none', 'refused', true],
        ['paper', 'paper_shown', false],
        ['digital_id', 'no_document', false],
        ['digital_id', 'paper_shown', false],
        ['digital_id', 'confirmed', true],
      ],
    );
    assert.deepEqual(await tally(s), { digital: '0', paper: '2', notGranted: '1', total: '3' });
    assert.match(await s.text('[data-testid="screen-title"]'), /Библионочь/);
    assert.match(await s.text('[data-testid="record"][data-outcome="no_document"]'), /Госкан не отвечал/);
    assert.match(await s.text('[data-testid="record"][data-outcome="confirmed"]'), /Ошибочная категория/);
  } finally {
    await s.quit();
  }
});

test('content offline: search, an article, the citizen screen; training stays out of the tally', async () => {
  const s = await Session.create(phone.url, phone.app);
  try {
    await s.waitFor('[data-testid="main-screen"]', 30_000);
    const tallyBefore = await tally(s);

    // Search by stem finds the pensioner checklist; an article renders its text.
    await s.click('[data-testid="btn-content"]');
    await s.waitFor('[data-testid="content-screen"]');
    await s.type('[data-testid="content-search"]', 'пенсион');
    const hit = await s.until('search hits', async () => {
      const hits = await s.findAll('[data-testid="search-hit"]');
      for (const h of hits) {
        const text = await s.cmd('GET', `/element/${h}/text`);
        if (/Пенсионер/.test(text)) return h;
      }
      return null;
    });
    assert.ok(hit);
    // WebDriver's clear fires no input event: empty the box the way a keyboard would.
    await s.exec(`const el = document.querySelector('[data-testid="content-search"]');
      el.value = ''; el.dispatchEvent(new Event('input', { bubbles: true }));`);
    await s.click('[data-testid="content-item"][data-id="staff-goskan-check"]');
    await s.waitFor('[data-testid="article-screen"]');
    assert.match(await s.text('[data-testid="article-screen"]'), /Госкан/);
    screenshot('article');
    await s.click('[data-testid="btn-back"]');
    await s.waitFor('[data-testid="content-screen"]');
    await s.click('[data-testid="btn-back"]');

    // «Показать гражданину»: the guide alone, no figures or records on screen; one tap back.
    await s.click('[data-testid="btn-citizen"]');
    const citizen = await s.waitFor('[data-testid="citizen-screen"]');
    const text = await s.cmd('GET', `/element/${citizen}/text`);
    assert.match(text, /Цифровой ID/);
    assert.equal((await s.findAll('[data-testid="record"]')).length, 0, 'no records behind the citizen screen');
    assert.equal((await s.findAll('[data-testid="tally-total"]')).length, 0, 'no tally either');
    screenshot('citizen');
    await s.click('[data-testid="btn-citizen-close"]');
    await s.waitFor('[data-testid="main-screen"]');

    // Training mode: a banner, records marked, the real tally untouched.
    await s.click('[data-testid="btn-settings"]');
    await s.waitFor('[data-testid="settings-screen"]');
    await s.click('[data-testid="settings-training"]');
    await s.waitFor('[data-testid="training-banner"]');
    await s.click('[data-testid="btn-back"]');
    await s.waitFor('[data-testid="main-screen"]');
    await s.waitFor('[data-testid="training-banner"]');
    const before = (await rows(s)).length;
    await record(s, ['btn-did-ok', 'choice-student']);
    const newest = (await s.findAll('[data-testid="record"]'))[0];
    assert.equal(await s.attr(newest, 'data-training'), 'true');
    assert.equal((await rows(s)).length, before + 1);
    assert.deepEqual(await tally(s), tallyBefore, 'training records are not counted');
    screenshot('training');
    await s.click('[data-testid="btn-settings"]');
    await s.click('[data-testid="settings-training"]');
    await s.until('the banner gone', async () => (await s.findAll('[data-testid="training-banner"]')).length === 0);
  } catch (err) {
    screenshot('failure-content');
    throw err;
  } finally {
    await s.quit();
  }
});
