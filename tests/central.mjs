// Shared harness of the JS tests that need the central server (tests/e2e and tests/dashboard):
// the real `lgota-central` binary on a free port with a temporary database, its CLI and the
// database read through sqlite3, Debian's chromium through playwright-core, the dashboard's
// sign-in form, and offline export files of records. With LGOTA_CENTRAL_POSTGRES_URL (a
// PostgreSQL server whose role may CREATE DATABASE; scripts/test.sh sets it for a second run of
// tests/dashboard) every server gets a fresh PostgreSQL database instead, read through psql.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { freePort } from './e2e/webdriver.mjs';

const root = path.resolve(import.meta.dirname, '..');
export const centralBin = path.resolve(root, process.env.LGOTA_CENTRAL_BIN ?? 'target/debug/lgota-central');
export const artifacts = path.join(root, 'tests', 'artifacts');
/** The password of every administrator startCentral adds. */
export const PASSWORD = 'пароль методиста 2026';

/** The environment of every run of the binary: no config file of the machine's, no colours. */
function centralEnv(extra = {}) {
  const env = { ...process.env, NO_COLOR: '1', RUST_LOG: 'warn', ...extra };
  delete env.LGOTA_CENTRAL_CONFIG;
  return env;
}

async function waitForHealth(base, server) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    assert.equal(server.exitCode, null, 'lgota-central exited at start (see its stderr above)');
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    assert.ok(Date.now() < deadline, 'lgota-central did not start');
    await sleep(100);
  }
}

/**
 * Starts `lgota-central serve` on 127.0.0.1 with a fresh database in a temporary directory.
 *  - publicUrl: the server and the CLI know their address (enrollment codes carry it)
 *  - cookieSecureOff: session cookies without `Secure` (the tests speak plain http)
 *  - admins: [{ login, role, branch? }] added through the CLI first, all with PASSWORD
 *  - env: more LGOTA_CENTRAL_* settings for the server and the CLI (e.g. the institution's name)
 * Returns { base, dir, db, cli(args, input?), sql(query), stop() }; stop() removes the directory.
 */
export async function startCentral({ publicUrl = true, cookieSecureOff = false, admins = [], env = {} } = {}) {
  assert.ok(fs.existsSync(centralBin), `${centralBin} is missing: run cargo build -p lgota-central (or set LGOTA_CENTRAL_BIN)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgota-central-'));
  const pg = postgresDatabase();
  const db = pg ? pg.url : path.join(dir, 'central.db');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const globals = [...(pg ? ['--database-url', db] : ['--db', db]), ...(publicUrl ? ['--public-url', base] : [])];

  const cli = (args, input) =>
    execFileSync(centralBin, [...globals, ...args], { cwd: dir, env: centralEnv(env), input, encoding: 'utf8', timeout: 30_000 });
  const sql = (query) =>
    pg
      ? execFileSync('psql', ['-X', '-A', '-t', '-q', '-d', db, '-c', query], { encoding: 'utf8' }).trim()
      : execFileSync('sqlite3', [db, query], { encoding: 'utf8' }).trim();

  for (const { login, role, branch } of admins) {
    cli(['admin', 'add', '--login', login, '--role', role, ...(branch ? ['--branch', branch] : [])], `${PASSWORD}\n`);
  }
  const server = spawn(
    centralBin,
    [...globals, ...(cookieSecureOff ? ['--cookie-secure', 'false'] : []), 'serve', '--listen', `127.0.0.1:${port}`],
    { cwd: dir, env: centralEnv(env), stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    pg?.drop();
  };
  try {
    await waitForHealth(base, server);
  } catch (err) {
    await stop();
    throw err;
  }
  return { base, dir, db, cli, sql, stop };
}

/**
 * With LGOTA_CENTRAL_POSTGRES_URL: a fresh database on that server ({ url, drop() }), else null.
 */
function postgresDatabase() {
  const server = process.env.LGOTA_CENTRAL_POSTGRES_URL;
  if (!server) return null;
  const name = `lgota_js_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = (statement) => execFileSync('psql', ['-X', '-q', '-d', server, '-c', statement], { encoding: 'utf8' });
  admin(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Debian's chromium, headless (no browser download). */
export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Signs in through the dashboard's form in a new page of `context`; returns the page on «/». */
export async function signIn(context, base, login, password = PASSWORD) {
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#login', login);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type="submit"]')]);
  return page;
}

/**
 * A factory of check records as phones send them: `record(device, branch, fields)` with ids
 * `<idPrefix>-<n>` (a UUID shape), one second apart within the last minute.
 */
export function recordFactory(idPrefix, defaults = {}) {
  let n = 0;
  return (device, branch, fields = {}) => {
    n += 1;
    return {
      id: `${idPrefix}-${String(n).padStart(12, '0')}`,
      kind: 'check',
      created_at_ms: Date.now() - (60 - n) * 1000,
      utc_offset_min: 180,
      device_id: device,
      branch_id: branch,
      event_id: null,
      staff_label: 'Петрова',
      training: false,
      method: 'digital_id',
      outcome: 'confirmed',
      granted: true,
      category_id: 'pensioner',
      failure_reason_id: null,
      document_type_id: null,
      checklist_completed: null,
      note: null,
      target_id: null,
      void_reason: null,
      ...defaults,
      ...fields,
    };
  };
}

/** Each device's export key (Ed25519), by server and device id. */
const exportKeys = new Map();

/**
 * Enrolls `device` into `branch` the way a phone does — a code from the CLI, then
 * `POST /api/v1/enroll` with the public half of its export key — once per server and device;
 * returns the key pair.
 */
async function enrolledKey(central, device, branch) {
  const id = `${central.base}|${device}`;
  if (!exportKeys.has(id)) {
    const keys = crypto.generateKeyPairSync('ed25519');
    const issued = central.cli(['device', 'enroll', '--branch', branch, '--png', path.join(central.dir, `${device}.png`)]);
    const code = issued.match(/Код:\s+(\S+)/)[1];
    const r = await fetch(`${central.base}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'X-Lgota-Protocol': '3', 'Content-Type': 'application/json' },
      body: JSON.stringify({ code, device_id: device, signing_key: keys.publicKey.export({ format: 'jwk' }).x }),
    });
    assert.equal(r.status, 200, `enrolling ${device}: ${await r.text()}`);
    exportKeys.set(id, keys);
  }
  return exportKeys.get(id);
}

/**
 * Writes an offline export file (what a phone carries by hand) of `records` of `device` into the
 * server's directory, signed as the phone signs it (docs/protocol.md, «Offline export»): the
 * device is enrolled with its key first, into the branch of its first record (older records may
 * name any branch). Returns the file's path.
 */
export async function writeExport(central, device, records) {
  const keys = await enrolledKey(central, device, records[0]?.branch_id ?? 'branch-1');
  const recordsJson = JSON.stringify(records);
  const signature = crypto.sign(null, Buffer.from(`lgota-export/2\n${device}\n${recordsJson}`, 'utf8'), keys.privateKey);
  const head = {
    format: 2,
    device_id: device,
    signing_key: keys.publicKey.export({ format: 'jwk' }).x,
    signature: signature.toString('base64url'),
  };
  const file = path.join(central.dir, `${device}.json`);
  fs.writeFileSync(file, `${JSON.stringify(head).slice(0, -1)},"records":${recordsJson}}`);
  return file;
}
