// The three browser engines the cross-engine tests run in, behind one small interface:
// Chromium through playwright-core (as every other end-to-end test), and Firefox and WebKit
// through plain W3C WebDriver over HTTP (Node's own fetch), driving the drivers Debian
// installs: geckodriver (built by `cargo install`) with firefox-esr, and WebKitWebDriver
// with WebKitGTK's MiniBrowser. Nothing downloads a browser or a driver.
//
// A page is opened with `open(url)` and used through `eval(fn, ...args)` (a function run in
// the page; its result comes back as JSON) and `waitFor(fn, ...args)`. Errors the page would
// see are collected by the test pages themselves (window.__errors), so every engine reports
// them the same way.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { launch } from './harness.mjs';

/** A free TCP port on loopback. */
function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check()` until it is truthy (its value is returned), for at most `timeout` ms. */
async function poll(check, timeout, what) {
  const until = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${last && last.message ? last.message : last}`);
    await sleep(100);
  }
}

/** A W3C WebDriver session, over HTTP. */
class WebDriverPage {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  async command(method, path, body) {
    const response = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${json.value && json.value.message}`);
    return json.value;
  }

  async open(url) {
    await this.command('POST', '/url', { url });
  }

  /** Runs `fn(...args)` in the page and returns its result. */
  async eval(fn, ...args) {
    const script = `return (${fn}).apply(null, arguments);`;
    return this.command('POST', '/execute/sync', { script, args });
  }

  async waitFor(fn, ...args) {
    return poll(() => this.eval(fn, ...args), 20000, String(fn).slice(0, 120));
  }

  async screenshot() {
    return Buffer.from(await this.command('GET', '/screenshot'), 'base64');
  }
}

/** A Playwright page, with the same interface. */
class PlaywrightPage {
  constructor(context, tab) {
    this.context = context;
    this.tab = tab;
  }

  async open(url) {
    await this.tab.goto(url);
  }

  async eval(fn, ...args) {
    // A string expression, evaluated through the DevTools protocol as Playwright does: no
    // page's CSP applies to it, as none does to WebDriver's scripts.
    return this.tab.evaluate(`(${fn}).apply(null, ${JSON.stringify(args)})`);
  }

  async waitFor(fn, ...args) {
    return poll(() => this.eval(fn, ...args), 20000, String(fn).slice(0, 120));
  }

  async screenshot() {
    return this.tab.screenshot();
  }
}

/** Starts a driver process on a free port and waits until it answers. */
async function driver(command, args, env = {}) {
  const port = await freePort();
  const child = spawn(command, [...args.map((a) => a.replace('PORT', String(port)))], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
    detached: true,
  });
  let log = '';
  child.stderr.on('data', (chunk) => (log = (log + chunk).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  await poll(
    async () => (await fetch(`${base}/status`).then((r) => r.json()).catch(() => null))?.value?.ready,
    20000,
    `${command} to start (${log})`,
  );
  return {
    base,
    log: () => log,
    stop() {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
    },
  };
}

/**
 * A new WebDriver session with `capabilities` on the driver `current()` returns. A browser
 * that has not come up within a minute (MiniBrowser did not, once, on a busy machine, and
 * the request then waited out fetch's five minutes) is given up on: `restart()` starts a new
 * driver, which is asked once more. A second failure fails the test.
 */
async function newSession(name, current, restart, capabilities) {
  for (let attempt = 1; ; attempt++) {
    try {
      const created = await fetch(`${current().base}/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ capabilities }),
        signal: AbortSignal.timeout(60000),
      }).then((r) => r.json());
      if (!created.value || !created.value.sessionId) throw new Error(`${name}: ${JSON.stringify(created)} ${current().log()}`);
      return created;
    } catch (err) {
      if (attempt >= 2) throw err;
      console.log(`${name}: no session (${err.message}); starting the driver again`);
      await restart();
    }
  }
}

/** Where Debian puts WebKitGTK's MiniBrowser. */
function miniBrowser() {
  for (const path of [
    '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
    '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.0/MiniBrowser',
    '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  ]) {
    if (existsSync(path)) return path;
  }
  throw new Error('no MiniBrowser: make test installs webkit2gtk-driver');
}

/**
 * The engines. Each has `name`, `start()` (returning an object with `page(options)` and
 * `stop()`), and `darkScheme`: how the engine is put in the dark colour scheme, or `null`
 * where its driver cannot emulate one (written down in the test that would use it).
 */
export const ENGINES = [
  {
    name: 'Chromium',
    darkScheme: 'emulated through the DevTools protocol (Playwright emulateMedia)',
    async start() {
      const browser = await launch();
      return {
        version: browser.version(),
        async page({ dark = false } = {}) {
          const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC', colorScheme: dark ? 'dark' : 'light' });
          const tab = await context.newPage();
          const page = new PlaywrightPage(context, tab);
          page.close = () => context.close();
          return page;
        },
        stop: () => browser.close(),
      };
    },
  },
  {
    name: 'Firefox',
    darkScheme: 'the ui.systemUsesDarkTheme preference, set when the session starts',
    async start() {
      const start = () => driver('geckodriver', ['--port', 'PORT', '--host', '127.0.0.1']);
      let gecko = await start();
      const restart = async () => {
        gecko.stop();
        gecko = await start();
      };
      let version = null;
      return {
        get version() {
          return version;
        },
        async page({ dark = false } = {}) {
          const created = await newSession('geckodriver', () => gecko, restart, {
            alwaysMatch: {
              browserName: 'firefox',
              'moz:firefoxOptions': {
                binary: '/usr/bin/firefox-esr',
                args: ['-headless'],
                prefs: {
                  'intl.accept_languages': 'en-GB',
                  'intl.regional_prefs.use_os_locales': false,
                  'ui.systemUsesDarkTheme': dark ? 1 : 0,
                  'browser.shell.checkDefaultBrowser': false,
                },
                env: { TZ: 'UTC', LANG: 'en_GB.UTF-8' },
              },
            },
          });
          version = created.value.capabilities.browserVersion;
          const page = new WebDriverPage(gecko.base, created.value.sessionId);
          page.close = () => page.command('DELETE', '').catch(() => {});
          return page;
        },
        stop: () => gecko.stop(),
      };
    },
  },
  {
    name: 'WebKit',
    // MiniBrowser's own --dark-mode asks GTK for its dark theme variant, which WebKitGTK
    // reports to pages as prefers-color-scheme: dark.
    darkScheme: 'MiniBrowser --dark-mode',
    async start() {
      // MiniBrowser needs a display: a virtual one. As root in a throwaway machine, WebKit's
      // sandbox (bubblewrap) cannot start, so it is turned off with the variable WebKit itself
      // names for that; never do this on a machine that browses for real.
      const start = () =>
        driver('xvfb-run', ['-a', 'WebKitWebDriver', '--port=PORT', '--host=127.0.0.1'], {
          WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS: '1',
          TZ: 'UTC',
          LANG: 'en_GB.UTF-8',
        });
      let webkit = await start();
      const restart = async () => {
        webkit.stop();
        webkit = await start();
      };
      let version = null;
      return {
        get version() {
          return version;
        },
        async page({ dark = false } = {}) {
          const created = await newSession('WebKitWebDriver', () => webkit, restart, {
            alwaysMatch: {
              browserName: 'MiniBrowser',
              'webkitgtk:browserOptions': {
                binary: miniBrowser(),
                args: ['--automation', ...(dark ? ['--dark-mode'] : [])],
              },
            },
          });
          version = created.value.capabilities.browserVersion;
          const page = new WebDriverPage(webkit.base, created.value.sessionId);
          page.close = () => page.command('DELETE', '').catch(() => {});
          return page;
        },
        stop: () => webkit.stop(),
      };
    },
  },
];
