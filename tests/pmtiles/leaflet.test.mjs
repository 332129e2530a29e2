// leaflet.test.mjs - a PMTiles archive of `mapsvc seed` shown by Leaflet
// (Debian's libjs-leaflet) through the pmtiles library's
// leafletRasterLayer in headless Chromium (Debian's chromium through
// playwright-core; nothing is downloaded).  The page, Leaflet, the
// library's browser build and the archive come from a small static server
// of this test that answers Range requests, as any static host or object
// store does; mapsvc serve runs beside it to compare with.  Checked: the
// archive is read by range requests only (206 answers, never the whole
// file), every tile of the view draws the very pixels of GET /tiles of
// the same address, the site's marker is drawn where the site is, and an
// area without sites is transparent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer, stopServer, browse, closeBrowser } from '../clients/server.mjs';
import { BUNDLED_DB, seed, tempDir, removeTemp } from './common.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LEAFLET = process.env.LEAFLET_DIR || '/usr/share/javascript/leaflet';
// The Heitieshan memorial hall, a site of the bundled data.
const SITE = { lon: 118.160735, lat: 36.849547 };

let mapsvc, base, statics, staticBase, archive;
const log = []; // the static server's answers: { path, range, status, bytes }

// Serves files[name] from '/', with single byte ranges (RFC 9110 §14).
function staticServer(files) {
  return http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url, 'http://x').pathname.slice(1));
    const f = files[name];
    if (name === 'favicon.ico') { // asked by the browser itself: none, and no error
      res.writeHead(204).end();
      return;
    }
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    const body = fs.readFileSync(f[0]);
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
    if (m) {
      const start = Number(m[1]), end = Math.min(m[2] ? Number(m[2]) : body.length - 1, body.length - 1);
      if (start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        log.push({ path: name, range: true, status: 416, bytes: 0 });
        return;
      }
      res.writeHead(206, { 'Content-Type': f[1], 'Content-Range': `bytes ${start}-${end}/${body.length}`,
        'Accept-Ranges': 'bytes' });
      res.end(body.subarray(start, end + 1));
      log.push({ path: name, range: true, status: 206, bytes: end + 1 - start });
      return;
    }
    res.writeHead(200, { 'Content-Type': f[1], 'Accept-Ranges': 'bytes' }).end(body);
    log.push({ path: name, range: false, status: 200, bytes: body.length });
  });
}

before(async () => {
  const dir = tempDir();
  archive = seed(BUNDLED_DB, path.join(dir, 'sites.pmtiles'), '--zoom', '0-13');
  ({ child: mapsvc, base } = await startServer(['--db', BUNDLED_DB]));
  statics = staticServer({
    'map.html': [path.join(HERE, 'page', 'map.html'), 'text/html; charset=utf-8'],
    'map_page.js': [path.join(HERE, 'page', 'map_page.js'), 'text/javascript'],
    'leaflet.js': [path.join(LEAFLET, 'leaflet.js'), 'text/javascript'],
    'leaflet.css': [path.join(LEAFLET, 'leaflet.css'), 'text/css'],
    'pmtiles.js': [path.join(HERE, 'node_modules', 'pmtiles', 'dist', 'pmtiles.js'), 'text/javascript'],
    'sites.pmtiles': [archive, 'application/vnd.pmtiles'],
  });
  await new Promise((resolve) => statics.listen(0, '127.0.0.1', resolve));
  staticBase = `http://127.0.0.1:${statics.address().port}`;
});

after(async () => {
  await closeBrowser();
  await new Promise((resolve) => statics.close(resolve));
  assert.equal(await stopServer(mapsvc), 0, 'mapsvc serve exits 0');
  removeTemp();
});

for (const z of [8, 12, 13]) {
  test(`Leaflet draws the archive's tiles at zoom ${z}, the server's pixels`, async () => {
    log.length = 0;
    const { ctx, page, problems } = await browse(chromium, { viewport: { width: 800, height: 600 } });
    try {
      const q = new URLSearchParams({ archive: `${staticBase}/sites.pmtiles`, server: base, z: String(z),
        lat: String(SITE.lat), lon: String(SITE.lon) });
      await page.goto(`${staticBase}/map.html?${q}`);
      await page.waitForFunction(() => window.result, null, { timeout: 60000 });
      const result = await page.evaluate(() => window.result);
      assert.deepEqual(problems, []);
      assert.equal(result.error, undefined, result.error);
      const drawn = result.tiles.filter((t) => !t.absent);
      assert.ok(drawn.length >= 4, JSON.stringify(result.tiles)); // a 512 px view spans 2 x 2 tiles or more
      for (const t of drawn) {
        assert.equal(t.size, 256, t.key);
        assert.equal(t.differ, 0, `tile ${t.key}: ${t.differ} channel values differ from /tiles`);
      }
      assert.ok(drawn.some((t) => t.drawn > 0), 'no marker drawn anywhere');
      assert.ok(result.site > 0, `the site's pixel has alpha ${result.site}`);
      assert.equal(result.far, 0, 'a corner away from the sites is transparent');
      // the archive went by ranges: every request a 206, none the whole file
      const size = fs.statSync(archive).size;
      const reads = log.filter((r) => r.path === 'sites.pmtiles');
      assert.ok(reads.length >= 2, JSON.stringify(log));
      for (const r of reads) {
        assert.ok(r.range && r.status === 206, JSON.stringify(r));
        assert.ok(r.bytes < size, `a range of ${r.bytes} bytes of ${size}`);
      }
    } finally {
      await ctx.close();
    }
  });
}
