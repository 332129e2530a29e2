// server.mjs - what the client tests share: a real `mapsvc serve` on a
// free loopback port, stopped by its PID, and fresh browser contexts in
// one Chromium (Debian's, through playwright-core; nothing is downloaded).
//
// Environment: MAPSVC (the binary, required), CHROMIUM (default
// /usr/bin/chromium).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

export const MAPSVC = process.env.MAPSVC;
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

// Starts `mapsvc serve`; resolves to { child, base }.
export async function startServer(extra = []) {
  assert.ok(MAPSVC, 'MAPSVC must name the mapsvc binary');
  const child = spawn(MAPSVC, ['serve', '--listen', '127.0.0.1:0', '--threads', '4', ...extra],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('mapsvc serve did not start: ' + out)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => reject(new Error('mapsvc serve exited with ' + code + ': ' + out)));
  });
  child.stdout.resume();
  return { child, base };
}

// SIGTERM by PID; resolves to the exit status (0 unless a leak was found
// under AddressSanitizer).
export async function stopServer(child) {
  if (!child || child.exitCode !== null) return child ? child.exitCode : null;
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

let browser; // launched on first use (one a scenario cost about 1.7 s each)

// A fresh browser context (its own storage and cache, as a new profile);
// problems collects console errors, page errors, failed requests and
// Content-Security-Policy violations.
export async function browse(chromium, opts = {}) {
  if (!browser)
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1024, height: 768 }, ...opts });
  const page = await ctx.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('requestfailed', (r) => problems.push('request failed: ' + r.url() + ' ' + (r.failure() || {}).errorText));
  return { ctx, page, problems };
}

export async function closeBrowser() {
  if (browser) await browser.close();
  browser = undefined;
}
