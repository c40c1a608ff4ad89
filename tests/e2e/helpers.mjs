// Shared steps of the end-to-end tests: starting the app, reading the main screen and recording through it.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDriver } from './webdriver.mjs';

export const artifacts = path.resolve(import.meta.dirname, '..', 'artifacts');

export function screenshot(name) {
  try {
    execFileSync('import', ['-window', 'root', path.join(artifacts, `${name}.png`)], { timeout: 10_000 });
  } catch {
    // A missing screenshot must not hide the real result.
  }
}

export async function tally(s) {
  return {
    digital: await s.text('[data-testid="tally-digital"]'),
    paper: await s.text('[data-testid="tally-paper"]'),
    notGranted: await s.text('[data-testid="tally-not-granted"]'),
    total: await s.text('[data-testid="tally-total"]'),
  };
}

export async function rows(s) {
  const els = await s.findAll('[data-testid="record"]');
  const out = [];
  for (const el of els) {
    out.push({
      id: await s.attr(el, 'data-id'),
      outcome: await s.attr(el, 'data-outcome'),
      method: await s.attr(el, 'data-method'),
      voided: (await s.attr(el, 'data-voided')) === 'true',
    });
  }
  return out;
}

/** Ticks every point of the paper checklist on screen. */
export async function tickChecklist(s) {
  await s.waitFor('[data-testid="checklist-screen"]');
  const items = await s.findAll('[data-testid="check-item"]');
  assert.ok(items.length >= 3, 'the checklist has its points');
  for (const item of items) await s.clickElement(item);
}

/** Taps the buttons in order ('TICK' ticks the whole checklist), then waits for the list to grow. */
export async function record(s, buttons) {
  const before = (await s.findAll('[data-testid="record"]')).length;
  for (const b of buttons) {
    if (b === 'TICK') await tickChecklist(s);
    else await s.click(`[data-testid="${b}"]`);
  }
  await s.waitFor('[data-testid="main-screen"] [data-testid="btn-did-ok"]');
  await s.until('the new record in the list', async () => (await s.findAll('[data-testid="record"]')).length === before + 1);
}


/** First-start setup through the UI. */
export async function setUp(s, { branch, staff, event }) {
  await s.waitFor('[data-testid="setup-screen"]', 30_000);
  await s.exec(`const el = document.querySelector('[data-testid="setup-branch"]');
    el.value = ${JSON.stringify(branch)}; el.dispatchEvent(new Event('change', { bubbles: true }));`);
  await s.type('[data-testid="setup-staff"]', staff);
  if (event) await s.type('[data-testid="setup-event-title"]', event);
  await s.click('[data-testid="setup-submit"]');
  await s.waitFor('[data-testid="main-screen"]');
}

/** Waits until the first element at `selector` shows a text matching `regex`; returns the text. */
export async function untilText(s, selector, regex, timeout) {
  return s.until(
    `${selector} ~ ${regex}`,
    async () => {
      const els = await s.findAll(selector);
      if (els.length === 0) return null;
      const t = await s.cmd('GET', `/element/${els[0]}/text`);
      return regex.test(t) ? t : null;
    },
    timeout,
  );
}

/**
 * Checks LGOTA_APP_BIN and DISPLAY, and starts tauri-driver for the app with its data in
 * `dataHome` (a fresh temporary one by default: the app keeps its database in
 * $XDG_DATA_HOME/<identifier>/) and `env` added to its environment (e.g. another locale).
 * Returns { app, url, dataHome, stop() }; stop() removes a temporary data directory it made.
 */
export async function startApp(dataHome, env = {}) {
  const app = process.env.LGOTA_APP_BIN;
  assert.ok(app && existsSync(app), `LGOTA_APP_BIN must point to the built app (got ${app})`);
  assert.ok(process.env.DISPLAY, 'DISPLAY must be set (Xvfb)');
  mkdirSync(artifacts, { recursive: true });
  const own = !dataHome;
  const home = dataHome ?? mkdtempSync(path.join(tmpdir(), 'lgota-e2e-'));
  // LGOTA_EXPORT_DIR: the export file goes there instead of through the desktop's save dialog.
  const driver = await startDriver({
    XDG_DATA_HOME: home,
    LGOTA_EXPORT_DIR: path.join(home, 'exports'),
    WEBKIT_DISABLE_COMPOSITING_MODE: '1',
    NO_AT_BRIDGE: '1',
    ...env,
  });
  return {
    app,
    url: driver.url,
    dataHome: home,
    stop: async () => {
      await driver.stop();
      if (own) rmSync(home, { recursive: true, force: true });
    },
  };
}
