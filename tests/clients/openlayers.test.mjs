// openlayers.test.mjs - OpenLayers' OGCMapTile source (npm ol, pinned)
// reads mapsvc's OGC API - Tiles in headless Chromium: it follows the
// tileset's tile matrix set and tile template, loads every tile of the
// view without an error, and each tile it asked for is the same bytes as
// the XYZ tile of the same z/x/y; the site at the centre is drawn there.
// The test page and OpenLayers' own dist/ol.js come from this folder,
// through Playwright's request routing, so the page is same-origin with
// the server and nothing is fetched from a CDN.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer, stopServer, browse, closeBrowser } from './server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FILES = {
  'ol.html': [path.join(HERE, 'page', 'ol.html'), 'text/html; charset=utf-8'],
  'ol_page.js': [path.join(HERE, 'page', 'ol_page.js'), 'text/javascript'],
  'ol.css': [path.join(HERE, 'page', 'ol.css'), 'text/css'],
  'ol.js': [path.join(HERE, 'node_modules', 'ol', 'dist', 'ol.js'), 'text/javascript'],
};
// The Heitieshan memorial hall, a site of the bundled data.
const SITE = { lon: 118.160735, lat: 36.849547 };

let server, base;

before(async () => { ({ child: server, base } = await startServer()); });
after(async () => {
  await closeBrowser();
  assert.equal(await stopServer(server), 0, 'mapsvc serve exits 0');
});

async function olPage(tileset, z) {
  const b = await browse(chromium);
  await b.page.route(base + '/__test/**', (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop();
    const f = FILES[name];
    if (!f) return route.fulfill({ status: 404, body: 'no ' + name });
    return route.fulfill({ status: 200, contentType: f[1], body: fs.readFileSync(f[0]) });
  });
  const tiles = [];
  b.page.on('response', (r) => { if (r.url().includes('/map/tiles/') && /\/\d+\/\d+\/\d+(\?v=[0-9a-f-]+)?$/.test(r.url())) tiles.push(r); });
  const q = new URLSearchParams({ tileset, z: String(z), lon: String(SITE.lon), lat: String(SITE.lat) });
  await b.page.goto(base + '/__test/ol.html?' + q);
  await b.page.waitForFunction(() => window.olResult, null, { timeout: 30000 });
  return { ...b, tiles, result: await b.page.evaluate(() => window.olResult) };
}

for (const [label, prefix, style] of [['the default style', '', ''], ['the print style', 'styles/print/', 'print/']]) {
  test(`OGCMapTile draws the WebMercatorQuad tiles of ${label}`, async () => {
    const tileset = `${base}/collections/sites/${prefix}map/tiles/WebMercatorQuad`;
    const { ctx, tiles, result, problems } = await olPage(tileset, 12);
    try {
      assert.deepEqual(problems, []);
      assert.equal(result.failed, 0, JSON.stringify(result));
      assert.ok(result.loaded >= 4, JSON.stringify(result)); // a 512 px view spans at least 2 x 2 tiles
      assert.equal(tiles.length, result.loaded);
      for (const r of tiles) {
        assert.equal(r.status(), 200, r.url());
        const [z, row, col] = new URL(r.url()).pathname.split('/').slice(-3);
        assert.equal(z, '12');
        const xyz = await fetch(`${base}/tiles/${style}${z}/${col}/${row}.png`);
        assert.deepEqual(Buffer.from(await r.body()), Buffer.from(await xyz.arrayBuffer()), r.url());
        assert.equal(r.headers()['etag'], xyz.headers.get('etag'));
      }
      // the site's marker is drawn at the centre
      assert.ok(result.center[3] > 0, 'the centre pixel ' + result.center);
      assert.deepEqual(result.size, [512, 512]);
    } finally {
      await ctx.close();
    }
  });
}

test('the GCJ-02 tileset names no CRS OpenLayers would mistake for EPSG:3857', async () => {
  const { ctx, result, tiles } = await olPage(`${base}/collections/sites/map/tiles/GCJ02WebMercatorQuad`, 12);
  try {
    // OpenLayers refuses the set rather than draw GCJ-02 tiles on a WGS-84 map
    assert.equal(result.state, 'error', JSON.stringify(result));
    assert.equal(tiles.length, 0);
  } finally {
    await ctx.close();
  }
});
