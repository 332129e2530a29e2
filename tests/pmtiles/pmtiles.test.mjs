// pmtiles.test.mjs - archives of `mapsvc seed --format pmtiles` read by the
// pmtiles library (npm pmtiles, pinned in package-lock.json) in Node, a
// reader nobody here wrote: the header says what was seeded (version 3,
// zooms, PNG tiles stored as they are, gzipped directories, clustered data,
// bounds holding the data's box), the JSON metadata name the style and
// data versions, and every tile the library finds, at every address of
// the seeded range, is the very bytes GET /tiles serves - for the bundled
// data (a root directory alone) and for 20,000 synthetic sites, whose
// thousands of distinct tiles need leaf directories.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PMTiles, TileType, Compression } from 'pmtiles';
import { startServer, stopServer } from '../clients/server.mjs';
import { BUNDLED_DB, NodeFileSource, seed, syntheticDb, tempDir, removeTemp, tileRange } from './common.mjs';

const servers = [];
let dir;

before(() => {
  dir = tempDir();
});
after(async () => {
  for (const s of servers) assert.equal(await stopServer(s), 0, 'mapsvc serve exits 0');
  removeTemp();
});

// Every address of zooms minZoom..maxZoom in the box [w, s, e, n] grown by
// one tile at each zoom: the library's tile, if any, against the
// server's, a few dozen at a time; returns how many the library found.
const BATCH = 32;
async function compareAll(p, header, box, base) {
  const [w, s, e, n] = box;
  const addrs = [];
  for (let z = header.minZoom; z <= header.maxZoom; z++) {
    const r = tileRange(w, s, e, n, z), last = 2 ** z - 1;
    for (let x = Math.max(0, r.x0 - 1); x <= Math.min(last, r.x1 + 1); x++)
      for (let y = Math.max(0, r.y0 - 1); y <= Math.min(last, r.y1 + 1); y++) addrs.push([z, x, y]);
  }
  let found = 0;
  for (let i = 0; i < addrs.length; i += BATCH) {
    await Promise.all(addrs.slice(i, i + BATCH).map(async ([z, x, y]) => {
      const t = await p.getZxy(z, x, y);
      if (!t) return;
      const res = await fetch(`${base}/tiles/${z}/${x}/${y}.png`);
      assert.equal(res.status, 200, `${z}/${x}/${y}`);
      const want = Buffer.from(await res.arrayBuffer());
      assert.ok(want.equals(Buffer.from(t.data)), `tile ${z}/${x}/${y}: ${t.data.byteLength} bytes, /tiles ${want.length}`);
      found++;
    }));
  }
  return found;
}

test('the bundled data: header, metadata and every tile', async () => {
  const file = seed(BUNDLED_DB, path.join(dir, 'bundled.pmtiles'), '--zoom', '0-12');
  const { child, base } = await startServer(['--db', BUNDLED_DB]);
  servers.push(child);
  const src = new NodeFileSource(file);
  const p = new PMTiles(src);
  const h = await p.getHeader();
  assert.equal(h.specVersion, 3);
  assert.equal(h.tileType, TileType.Png);
  assert.equal(h.internalCompression, Compression.Gzip);
  assert.equal(h.tileCompression, Compression.None);
  assert.equal(h.clustered, true);
  assert.deepEqual([h.minZoom, h.maxZoom], [0, 12]);
  assert.ok(h.rootDirectoryOffset === 127 && h.rootDirectoryLength > 0);
  assert.ok(127 + h.rootDirectoryLength <= 16384, 'header and root in the first 16 KiB');
  // the data's box (TileJSON's bounds) inside the archive's, which the
  // seed grew by the largest marker
  const tj = await (await fetch(`${base}/tiles.json`)).json();
  const [w, s, e, n] = tj.bounds;
  assert.ok(h.minLon < w && h.minLat < s && h.maxLon > e && h.maxLat > n, JSON.stringify([h, tj.bounds]));
  assert.ok(h.centerZoom >= 0 && h.centerZoom <= 12);
  const meta = await p.getMetadata();
  assert.equal(meta.format, 'png');
  assert.equal(meta.type, 'overlay');
  assert.equal(meta.style, 'default');
  assert.equal(meta.scale, '1');
  assert.equal(meta.coordsys, 'wgs84');
  assert.match(meta.style_version, /^[0-9a-f]{16}$/);
  assert.match(meta.data_version, /^[0-9a-f]{16}$/);
  assert.ok(meta.attribution.length > 0 && meta.name.length > 0);
  // every tile the header counts lies within a tile of the data's box
  const found = await compareAll(p, h, tj.bounds, base);
  assert.equal(found, h.numAddressedTiles, `${found} tiles found, the header says ${h.numAddressedTiles}`);
  assert.ok(h.numTileEntries < h.numAddressedTiles / 10, 'runs of empty tiles');
  // beyond the archive: a zoom above it, a corner of the bounds (the
  // lowest zoom's, far wider than the high zooms' tiles)
  assert.equal(await p.getZxy(13, 0, 0), undefined);
  const corner = tileRange(h.minLon, h.minLat, h.maxLon, h.maxLat, 12);
  assert.equal(await p.getZxy(12, corner.x0, corner.y0), undefined);
  src.close();
});

test('20,000 sites: leaf directories, and every tile', async () => {
  const db = syntheticDb(dir, 20000);
  const file = seed(db, path.join(dir, 'many.pmtiles'), '--zoom', '10', '--bbox', '100,18,135,53');
  const { child, base } = await startServer(['--db', db]);
  servers.push(child);
  const src = new NodeFileSource(file);
  const p = new PMTiles(src);
  const h = await p.getHeader();
  assert.ok(h.leafDirectoryLength > 0, `leaf directories: ${h.leafDirectoryLength} bytes`);
  assert.ok(h.numTileEntries > 5000 && h.numTileContents > 5000, JSON.stringify(h));
  const found = await compareAll(p, h, [100, 18, 135, 53], base);
  assert.equal(found, h.numAddressedTiles);
  src.close();
});
