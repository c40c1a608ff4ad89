// Start-up time of the real app (scripts/bench-startup.sh sets up the binary, the data folders
// and Xvfb): the time from asking tauri-driver for a session — which starts a new app process —
// until the recording screen's four buttons are on screen, and until today's checks are listed
// (the first overview answered). Median of `runs` starts for each data folder, after one
// unmeasured start that lets WebKitWebDriver come up.
//
// Usage: node scripts/bench-startup.mjs APP_BIN RUNS LABEL=XDG_DATA_HOME…

import { setTimeout as sleep } from 'node:timers/promises';
import { Session, startDriver } from '../tests/e2e/webdriver.mjs';

const [app, runsArg, ...sets] = process.argv.slice(2);
const runs = Number(runsArg);
if (!app || !runs || sets.length === 0) {
  console.error('usage: node scripts/bench-startup.mjs APP_BIN RUNS LABEL=XDG_DATA_HOME…');
  process.exit(2);
}

const BUTTONS = ['btn-did-ok', 'btn-did-fail', 'btn-paper', 'btn-refused'];
// One round trip: are all four buttons laid out (rendered with a size), and is today's list there?
const PROBE = `const shown = ${JSON.stringify(BUTTONS)}.every((id) => {
    const b = document.querySelector('[data-testid="' + id + '"]');
    if (!b) return false;
    const r = b.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  });
  return { buttons: shown, list: document.getElementById('records-title') !== null };`;

/** One start: ms until the session is up (the app's web view answers WebDriver), the buttons
 * are on screen and the list is there. */
async function start(driverUrl) {
  const t0 = performance.now();
  const s = await Session.create(driverUrl, app);
  const session = performance.now() - t0;
  let buttons = null;
  let list = null;
  try {
    while (performance.now() - t0 < 60_000 && (buttons === null || list === null)) {
      let state = { buttons: false, list: false };
      try {
        state = await s.exec(PROBE);
      } catch {
        // The page is still loading: no document to ask yet.
      }
      const t = performance.now() - t0;
      if (state.buttons && buttons === null) buttons = t;
      if (state.list && list === null) list = t;
      if (buttons === null || list === null) await sleep(5);
    }
  } finally {
    await s.quit();
  }
  if (buttons === null || list === null) throw new Error('the recording screen did not show within 60 s');
  await sleep(500); // the app process exits; its log file is closed
  return { session, buttons, list };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
for (const set of sets) {
  const [label, home] = set.split('=');
  const driver = await startDriver({ XDG_DATA_HOME: home, WEBKIT_DISABLE_COMPOSITING_MODE: '1', NO_AT_BRIDGE: '1' });
  try {
    await start(driver.url); // WebKitWebDriver comes up; not measured
    const times = [];
    for (let i = 0; i < runs; i++) times.push(await start(driver.url));
    const r = {
      label,
      session: median(times.map((t) => t.session)),
      buttons: median(times.map((t) => t.buttons)),
      list: median(times.map((t) => t.list)),
      all: times.map((t) => Math.round(t.buttons)),
    };
    results.push(r);
    console.log(`  ${label}: buttons ${times.map((t) => Math.round(t.buttons)).join(', ')} ms; list ${times.map((t) => Math.round(t.list)).join(', ')} ms`);
  } finally {
    await driver.stop();
  }
}

const w = Math.max(...results.map((r) => r.label.length));
console.log(`\nStart-up to the recording screen, median of ${runs} starts (target: buttons < 1000 ms, no slower with the big log)`);
console.log(`  ${''.padEnd(w)}  ${'session up'.padStart(12)}  ${'buttons on screen'.padStart(18)}  ${"today's list shown".padStart(18)}`);
const cell = (ms, width) => `${Math.round(ms)} ms`.padStart(width);
for (const r of results) {
  console.log(`  ${r.label.padEnd(w)}  ${cell(r.session, 12)}  ${cell(r.buttons, 18)}  ${cell(r.list, 18)}`);
}
if (results.length === 2) {
  console.log(`  ratio ${results[1].label} / ${results[0].label}: buttons ${(results[1].buttons / results[0].buttons).toFixed(2)}×, list ${(results[1].list / results[0].list).toFixed(2)}×`);
}
