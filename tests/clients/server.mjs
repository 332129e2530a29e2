// server.mjs - what the client tests share: a real `mapsvc serve` on a
// free loopback port, stopped by its PID, and fresh Chromium profiles
// (Debian's chromium through playwright-core; nothing is downloaded).
//
// Environment: MAPSVC (the binary, required), CHROMIUM (default
// /usr/bin/chromium).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

const profiles = [];

// A fresh browser profile; problems collects console errors, page errors,
// failed requests and Content-Security-Policy violations.
export async function browse(chromium, opts = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mapsvc-chromium-'));
  profiles.push(dir);
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: ARGS, locale: 'zh-CN',
    viewport: { width: 1024, height: 768 }, ...opts
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('requestfailed', (r) => problems.push('request failed: ' + r.url() + ' ' + (r.failure() || {}).errorText));
  return { ctx, page, problems };
}

export function removeProfiles() {
  for (const p of profiles) fs.rmSync(p, { recursive: true, force: true });
}
