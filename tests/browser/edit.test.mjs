// edit.test.mjs - the map page's edit mode in a real browser (Debian's
// headless Chromium driven by playwright-core) against a real
// `mapsvc serve --edit` on a copy of the bundled database: a planner
// keeps a key, drags a marker, saves, and a reload of the page shows the
// site where it was dropped.  A save that meets someone else's change
// shows both versions.
//
// Environment: MAPSVC (the binary, required; the bundled sites.sqlite is
// beside it), CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const MAPSVC = process.env.MAPSVC;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

let server, base, dir, db, token;

function keysAdd(name, role) {
  const r = spawnSync(MAPSVC, ['keys', '--db', db, 'add', name, '--role', role], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

before(async () => {
  assert.ok(MAPSVC, 'MAPSVC must name the mapsvc binary');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mapsvc-edit-page-'));
  db = path.join(dir, 'sites.sqlite');
  fs.copyFileSync(path.join(path.dirname(MAPSVC), 'sites.sqlite'), db);
  token = keysAdd('planner', 'edit');
  server = spawn(MAPSVC, ['serve', '--listen', '127.0.0.1:0', '--db', db, '--edit'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  base = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('mapsvc serve did not start: ' + out)), 20000);
    server.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  server.stdout.resume();
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) server.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

// A fresh browser context (storage, cache) for each scenario, in one
// Chromium launched on first use.
let browser;
async function browse() {
  if (!browser)
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  // what went wrong, should a step time out: the answers that were errors
  // and what the status line said (it clears itself after a few seconds)
  page.trail = [];
  page.on('response', (r) => { if (r.status() >= 400) page.trail.push(r.status() + ' ' + r.url()); });
  await page.exposeFunction('noteStatus', (t) => { if (t) page.trail.push('status: ' + t); });
  await page.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => {
      const s = document.getElementById('status');
      if (s) new MutationObserver(() => window.noteStatus(s.textContent)).observe(s, { childList: true, characterData: true, subtree: true });
    });
  });
  return { ctx, page, problems };
}

// The edit form open, or an error that says what the page met instead.
async function editForm(page, problems) {
  try {
    await page.waitForSelector('#edit-form:not([hidden])');
  } catch (e) {
    throw new Error(e.message + '\nerror answers and status lines: ' + JSON.stringify(page.trail) +
      '\nproblems: ' + JSON.stringify(problems));
  }
}

async function openMap(page) {
  await page.goto(base + '/');
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
}

function haversine(lat1, lon1, lat2, lon2) {
  const r = Math.PI / 180, R = 6371008.8;
  const a = Math.sin((lat2 - lat1) * r / 2) ** 2 +
    Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin((lon2 - lon1) * r / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(a));
}

// A site alone at its position (its marker moves it and no other).
async function loneSite(page) {
  return page.evaluate(() => {
    const s = window.mapsvcPage.sites();
    const count = {};
    for (const id of Object.keys(s)) { const k = s[id].geometry.coordinates.join(); count[k] = (count[k] || 0) + 1; }
    return Object.keys(s).sort().find((id) => count[s[id].geometry.coordinates.join()] === 1);
  });
}

async function markerPixel(page, id, zoom) {
  return page.evaluate(([sid, z]) => new Promise((done) => {
    const pg = window.mapsvcPage, map = pg.map(), m = pg.markerOf(sid);
    map.once('moveend', () => {
      const p = map.latLngToContainerPoint(m.getLatLng()), r = map.getContainer().getBoundingClientRect();
      done({ x: r.left + p.x, y: r.top + p.y });
    });
    map.setView(m.getLatLng(), z, { animate: false });
  }), [id, zoom]);
}

test('edit mode: drag a marker, save, and a reload shows the site moved', async () => {
  const { ctx, page, problems } = await browse();
  try {
    await openMap(page);
    assert.equal(await page.isVisible('#btn-edit'), true, 'the edit button shows with --edit');
    const id = await loneSite(page);
    assert.ok(id, 'a site alone at its position');
    const before = await page.evaluate((sid) => window.mapsvcPage.sites()[sid].geometry.coordinates, id);
    await page.click('#btn-edit');
    // the key is pasted once and kept by the browser
    await page.fill('#edit-key', token);
    await page.click('#edit-key-save');
    assert.equal(await page.evaluate(() => localStorage.getItem('mapsvc.editKey')), token);
    assert.equal(await page.isVisible('#edit-key-form'), false);
    const from = await markerPixel(page, id, 14);
    const to = { x: from.x + 120, y: from.y + 80 };
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(from.x + 12 * i, from.y + 8 * i);
    // Leaflet moves a dragged marker on the next animation frame: let it
    // land before the button goes up, as a hand does
    await page.waitForTimeout(200);
    // where the drop is, in WGS-84, from the page's own map (before the
    // edit panel opens and the map's container shrinks)
    const [want, pointer] = await page.evaluate(([sid, x, y]) => {
      const pg = window.mapsvcPage, map = pg.map(), r = map.getContainer().getBoundingClientRect();
      const ll = map.containerPointToLatLng([x - r.left, y - r.top]), m = pg.markerOf(sid).getLatLng();
      return [pg.toWgs(m.lat, m.lng), pg.toWgs(ll.lat, ll.lng)];
    }, [id, to.x, to.y]);
    await page.mouse.up();
    await editForm(page, problems);
    // moved, so "surveyed" may be chosen now
    assert.equal(await page.$eval('#e-quality option[value="surveyed"]', (o) => o.disabled), false);
    await page.fill('#e-name_en', 'Moved by the planner');
    await page.click('#edit-save');
    await page.waitForSelector('body[data-saved]', { timeout: 10000 });
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
    const after = await page.evaluate((sid) => window.mapsvcPage.sites()[sid], id);
    const [lon, lat] = after.geometry.coordinates;
    assert.ok(haversine(lat, lon, before[1], before[0]) > 1000, 'the site moved');
    // where the marker was shown when dropped (to the 7 decimals saved),
    // which Leaflet keeps within a drag step of the pointer
    assert.ok(haversine(lat, lon, want[0], want[1]) < 0.1, `the site is where it was dropped (${lat},${lon} vs ${want})`);
    assert.ok(haversine(lat, lon, pointer[0], pointer[1]) < 200, 'near the pointer');
    assert.equal(after.properties.name_en, 'Moved by the planner');
    // and so says the server, to anyone
    const f = await (await fetch(base + '/collections/sites/items/' + encodeURIComponent(id))).json();
    assert.deepEqual(f.geometry.coordinates, after.geometry.coordinates);
    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
  }
});

test('an approximate site cannot become "surveyed" unless moved or confirmed', async () => {
  const { ctx, page, problems } = await browse();
  try {
    await page.addInitScript((k) => localStorage.setItem('mapsvc.editKey', k), token);
    await openMap(page);
    const id = await page.evaluate(() => {
      const s = window.mapsvcPage.sites();
      return Object.keys(s).sort().find((i) => ['town', 'county', 'unknown', 'village'].includes(s[i].properties.position_quality));
    });
    assert.ok(id);
    await page.click('#btn-edit');
    await page.evaluate((sid) => { window.mapsvcPage.map().closePopup(); }, id);
    // open it through its popup's Edit button
    const p = await markerPixel(page, id, 12);
    await page.mouse.click(p.x, p.y);
    await page.click(`.popup article[data-id="${id}"] button:text("编辑")`);
    await editForm(page, problems);
    assert.equal(await page.$eval('#e-quality option[value="surveyed"]', (o) => o.disabled), true);
    await page.check('#e-confirm');
    assert.equal(await page.$eval('#e-quality option[value="surveyed"]', (o) => o.disabled), false);
    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
  }
});

test('a conflicting save shows both versions and can keep mine', async () => {
  const { ctx, page, problems } = await browse();
  try {
    await page.addInitScript((k) => localStorage.setItem('mapsvc.editKey', k), token);
    await openMap(page);
    const id = await loneSite(page);
    await page.click('#btn-edit');
    const p = await markerPixel(page, id, 12);
    await page.mouse.click(p.x, p.y);
    await page.click(`.popup article[data-id="${id}"] button:text("编辑")`);
    await editForm(page, problems);
    // someone else saves first
    const url = base + '/collections/sites/items/' + encodeURIComponent(id);
    const etag = (await fetch(url)).headers.get('etag');
    const r = await fetch(url, { method: 'PATCH', body: JSON.stringify({ properties: { name_en: 'Theirs' } }),
      headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/merge-patch+json', 'If-Match': etag } });
    assert.equal(r.status, 200);
    await page.fill('#e-name_en', 'Mine');
    await page.click('#edit-save');
    await page.waitForSelector('#edit-conflict:not([hidden])');
    const rows = await page.$$eval('#conflict-rows tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert.deepEqual(rows, [['name_en', 'Mine', 'Theirs']]);
    await page.click('#keep-mine');
    await page.waitForSelector('body[data-saved]', { timeout: 10000 });
    assert.equal((await (await fetch(url)).json()).properties.name_en, 'Mine');
    // the 412 itself is the browser's console line, and expected
    assert.deepEqual(problems.filter((m) => !m.includes('status of 412')), []);
  } finally {
    await ctx.close();
  }
});
