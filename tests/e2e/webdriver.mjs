// A minimal W3C WebDriver client over fetch, enough to drive the real app through tauri-driver.
// No browser download, no extra packages: tauri-driver proxies to Debian's WebKitWebDriver.

import { spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
}

/** Starts tauri-driver on free ports with `env` (the app it launches inherits it). */
export async function startDriver(env) {
  const port = await freePort();
  const nativePort = await freePort();
  const log = [];
  const child = spawn('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  await waitForPort(port, 15_000);
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    // Resolves once the driver is gone, also when it died of a signal before (its 'exit' event
    // is then past: waiting for it hung a whole CI run) and, after 10 s, by SIGKILL.
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    }),
  };
}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async create(driverUrl, application) {
    // tauri-driver listens before the WebKitWebDriver behind it is ready: while that one starts,
    // the connection is dropped ("fetch failed"; tauri-apps/tauri#15156). Retry for a while, then
    // fail with the cause.
    let res;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await fetch(`${driverUrl}/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ capabilities: { alwaysMatch: { 'tauri:options': { application } } } }),
        });
        break;
      } catch (err) {
        if (attempt >= 40) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const body = await res.json();
    if (!res.ok) throw new Error(`new session failed: ${JSON.stringify(body)}`);
    return new Session(driverUrl, body.value.sessionId);
  }

  async cmd(method, path, payload) {
    const res = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: payload === undefined ? undefined : JSON.stringify(payload),
      // No single WebDriver command takes minutes; a dead driver must fail the test, not hang it.
      signal: AbortSignal.timeout(120_000),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new Error(`${method} ${path}: ${res.status} ${JSON.stringify(body.value ?? body)}`);
      err.webdriver = body.value?.error;
      throw err;
    }
    return body.value;
  }

  /** Ends the session; never waits more than 20 s (a driver that dies mid-answer must not hang
   * the run: the stop of the driver follows and cleans up). */
  async quit() {
    await fetch(`${this.base}/session/${this.id}`, { method: 'DELETE', signal: AbortSignal.timeout(20_000) }).catch(
      () => {},
    );
  }

  async find(css) {
    const value = await this.cmd('POST', '/element', { using: 'css selector', value: css });
    return value[ELEMENT];
  }

  async findAll(css) {
    const value = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return value.map((v) => v[ELEMENT]);
  }

  /** Polls until `css` matches an element, or fails after `ms`. */
  async waitFor(css, ms = 10_000) {
    const deadline = Date.now() + ms;
    let last;
    while (Date.now() < deadline) {
      try {
        return await this.find(css);
      } catch (err) {
        last = err;
        await sleep(100);
      }
    }
    throw new Error(`no element ${css} after ${ms} ms: ${last?.message}`);
  }

  /** Polls `fn` until it returns a truthy value, or fails after `ms`. */
  async until(what, fn, ms = 10_000) {
    const deadline = Date.now() + ms;
    let last;
    while (Date.now() < deadline) {
      try {
        last = await fn();
        if (last) return last;
      } catch (err) {
        last = err;
      }
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
  }

  async click(css) {
    await this.clickElement(await this.waitFor(css));
  }

  /** Clicks like a finger would: first brings the element to the middle of the screen, away
   * from the fixed toast at the bottom. */
  async clickElement(el) {
    await this.exec(`arguments[0].scrollIntoView({ block: 'center' });`, [{ [ELEMENT]: el }]);
    await this.cmd('POST', `/element/${el}/click`, {});
  }

  async findIn(parent, css) {
    const value = await this.cmd('POST', `/element/${parent}/element`, { using: 'css selector', value: css });
    return value[ELEMENT];
  }

  async type(css, text) {
    const el = await this.waitFor(css);
    await this.cmd('POST', `/element/${el}/clear`, {});
    if (text) await this.cmd('POST', `/element/${el}/value`, { text });
  }

  async text(css) {
    const el = await this.waitFor(css);
    return (await this.cmd('GET', `/element/${el}/text`)).trim();
  }

  async attr(el, name) {
    return this.cmd('GET', `/element/${el}/attribute/${name}`);
  }

  async exec(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }
}
