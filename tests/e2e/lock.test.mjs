// End-to-end: the app lock in the real app under Xvfb (tauri-driver + WebKitWebDriver).
// A PIN is set in the settings; the app locks on demand and after the idle time, a locked app
// shows nothing about checks and its backend refuses the record list; wrong PINs earn a pause
// that survives a restart; «Запись без разблокировки» keeps only the recording buttons.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from './webdriver.mjs';
import { record, rows, screenshot, setUp, startApp, untilText } from './helpers.mjs';

// Each test runs its own app with its own data: nothing carries over from one to the next.
const PIN = '2580';

async function enterPin(s, pin) {
  await s.waitFor('[data-testid="lock-screen"]');
  // The pad is disabled while the previous attempt is being answered.
  await s.until('the PIN pad enabled', async () => (await s.exec(
    `const k = document.querySelector('[data-testid="pin-key-0"]'); return !!k && !k.disabled;`,
  )));
  for (const d of pin) await s.click(`[data-testid="pin-key-${d}"]`);
  await s.click('[data-testid="pin-submit"]');
}

/** Nothing about checks in the page: no record rows, no tally. */
async function assertNothingRevealed(s) {
  assert.equal((await s.findAll('[data-testid="record"]')).length, 0, 'no record rows while locked');
  assert.equal((await s.findAll('[data-testid="tally-total"]')).length, 0, 'no tally while locked');
  assert.equal((await s.findAll('[data-testid="btn-settings"]')).length, 0, 'no way to the settings');
}

/** Calls a command of the real backend from the page, as any script in the WebView could. */
async function invokeRaw(s, cmd, args = {}) {
  return s.cmd('POST', '/execute/async', {
    script: `const done = arguments[arguments.length - 1];
      window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
        .then((value) => done({ ok: value }), (error) => done({ error }));`,
    args: [cmd, args],
  });
}

async function openLockSettings(s) {
  await s.click('[data-testid="btn-settings"]');
  await s.waitFor('[data-testid="lock-settings"]');
}

/** Settings → «Блокировка»: a PIN, typed twice (the settings stay open). */
async function setPin(s) {
  await openLockSettings(s);
  assert.match(await s.text('[data-testid="lock-state"]'), /PIN не задан/);
  await s.type('[data-testid="pin-new"]', PIN);
  await s.type('[data-testid="pin-repeat"]', PIN);
  await s.click('[data-testid="pin-save"]');
  await untilText(s, '[data-testid="lock-state"]', /PIN задан/);
}

async function backToMain(s) {
  await s.click('[data-testid="btn-back"]');
  await s.waitFor('[data-testid="main-screen"] [data-testid="btn-did-ok"]');
}

test('PIN: lock, refusals while locked, unlock, back-off across a restart, idle lock', async (t) => {
  const phone = await startApp();
  t.after(() => phone.stop());
  let s = await Session.create(phone.url, phone.app);
  try {
    await setUp(s, { branch: 'branch-1', staff: 'И.П.', event: 'Библионочь' });
    await record(s, ['btn-did-ok', 'choice-pensioner']);
    await setPin(s);
    screenshot('lock-settings');

    // «Заблокировать сейчас»: the lock screen, nothing of the checks behind it.
    await s.click('[data-testid="lock-now"]');
    await s.waitFor('[data-testid="lock-screen"]');
    await assertNothingRevealed(s);
    // The biometric plugin runs for real and reports nothing on Linux: no fingerprint button.
    assert.equal((await invokeRaw(s, 'lock_status')).ok?.biometric, false);
    assert.equal((await s.findAll('[data-testid="btn-biometric"]')).length, 0);
    // The pad fits a 360×640 phone screen without scrolling.
    await s.cmd('POST', '/window/rect', { width: 360, height: 640 });
    const fit = await s.until('the window at 360×640', async () => {
      const r = await s.exec(`const b = document.querySelector('[data-testid="pin-submit"]').getBoundingClientRect();
        return { w: window.innerWidth, h: window.innerHeight, bottom: b.bottom, right: b.right };`);
      return r.w <= 360 && r.h <= 640 ? r : null;
    });
    assert.ok(fit.bottom <= fit.h && fit.right <= fit.w, `the «Войти» key on screen: ${JSON.stringify(fit)}`);
    screenshot('lock-screen');
    // The backend itself refuses, not only the UI.
    const refused = await invokeRaw(s, 'overview');
    assert.equal(refused.error?.code, 'locked', JSON.stringify(refused));
    assert.match(refused.error.message, /заблокировано/);
    assert.equal((await invokeRaw(s, 'void_record', { id: 'x', reason: 'y' })).error?.code, 'locked');

    // A wrong PIN is refused; the right one opens the list again.
    await enterPin(s, '1111');
    assert.match(await s.text('[data-testid="error"]'), /Неверный PIN\. Осталось попыток до паузы: 4/);
    await assertNothingRevealed(s);
    await enterPin(s, PIN);
    await s.waitFor('[data-testid="main-screen"] [data-testid="btn-did-ok"]');
    await s.until('the list back', async () => (await rows(s)).length === 1);
    assert.ok((await invokeRaw(s, 'overview')).ok, 'unlocked: the backend answers');

    // The right PIN forgave the wrong one; now five wrong PINs in a row earn a 30 s pause.
    await openLockSettings(s);
    await s.click('[data-testid="lock-now"]');
    for (let i = 0; i < 5; i++) await enterPin(s, '0000');
    const message = await s.until('the pause message', async () => {
      const t = await s.text('[data-testid="error"]');
      return /через 30 с/.test(t) ? t : null;
    });
    assert.match(message, /Неверный PIN\. Следующая попытка — через 30 с\./);
    await s.waitFor('[data-testid="pin-wait"]');
    assert.equal(await s.exec(`return document.querySelector('[data-testid="pin-key-2"]').disabled;`), true);
    screenshot('lock-backoff');
  } catch (err) {
    screenshot('failure-lock');
    throw err;
  } finally {
    await s.quit();
  }

  // A restart starts locked, and the pause is still owed: even the right PIN is not tried.
  s = await Session.create(phone.url, phone.app);
  try {
    await s.waitFor('[data-testid="lock-screen"]', 30_000);
    await assertNothingRevealed(s);
    const waitText = await s.text('[data-testid="pin-wait"]');
    assert.match(waitText, /Следующая попытка через \d+ с/);
    const early = await invokeRaw(s, 'unlock', { pin: PIN });
    assert.equal(early.error?.code, 'pin_backoff', JSON.stringify(early));
    // After the pause the right PIN opens the app.
    await s.until('the pause over', async () => (await s.findAll('[data-testid="pin-wait"]')).length === 0, 45_000);
    await enterPin(s, PIN);
    await s.waitFor('[data-testid="main-screen"] [data-testid="btn-did-ok"]');
    await s.until('the list back', async () => (await rows(s)).length === 1);

    // The shortest idle time, then hands off: the app locks by itself.
    await openLockSettings(s);
    await s.click('[data-testid="lock-idle-30"]');
    await untilText(s, '[data-testid="lock-notice"]', /Время блокировки сохранено/);
    await backToMain(s);
    const idleFrom = Date.now();
    await s.waitFor('[data-testid="lock-screen"]', 60_000);
    const idleMs = Date.now() - idleFrom;
    assert.ok(idleMs >= 25_000, `locked only after the idle time, not after ${idleMs} ms`);
    await assertNothingRevealed(s);
    assert.equal((await invokeRaw(s, 'overview')).error?.code, 'locked');
  } catch (err) {
    screenshot('failure-lock-restart');
    throw err;
  } finally {
    await s.quit();
  }
});

test('«Запись без разблокировки»: recording buttons only while locked; the check is saved', async (t) => {
  const phone = await startApp();
  t.after(() => phone.stop());
  const s = await Session.create(phone.url, phone.app);
  try {
    await setUp(s, { branch: 'branch-1', staff: 'И.П.' });
    await record(s, ['btn-did-ok', 'choice-pensioner']);
    await setPin(s);
    // The longest idle time so the test is not raced by it.
    await s.click('[data-testid="lock-idle-900"]');
    await untilText(s, '[data-testid="lock-notice"]', /Время блокировки сохранено/);
    await s.click('[data-testid="lock-record-while-locked"]');
    await untilText(s, '[data-testid="lock-notice"]', /Запись без разблокировки включена/);
    await s.click('[data-testid="lock-now"]');

    // Locked: the recording buttons and «Разблокировать», nothing else.
    await s.waitFor('[data-testid="locked-recording"]');
    await assertNothingRevealed(s);
    screenshot('lock-record-while-locked');
    await s.click('[data-testid="btn-refused"]');
    await s.waitFor('[data-testid="toast"]');
    await assertNothingRevealed(s);
    assert.equal((await invokeRaw(s, 'overview')).error?.code, 'locked', 'the list stays closed');

    await s.click('[data-testid="btn-unlock"]');
    await enterPin(s, PIN);
    await s.until('the new check in the list', async () => {
      const list = await rows(s);
      return list.length === 2 && list[0].outcome === 'refused';
    });
  } catch (err) {
    screenshot('failure-lock-record');
    throw err;
  } finally {
    await s.quit();
  }
});
