// common.mjs - what the PMTiles tests share: seeding an archive with the
// real `mapsvc seed`, the pmtiles library reading a local file through a
// Source of its own (the library's Source interface: getKey, getBytes),
// and synthetic sites dense enough for leaf directories.
//
// Environment: MAPSVC (the binary), MAPSVC_DB (the bundled database).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const MAPSVC = process.env.MAPSVC;
export const BUNDLED_DB = process.env.MAPSVC_DB;

// A fresh folder for one test file's archives; removeTemp() deletes it.
const temps = [];
export function tempDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mapsvc-pmtiles-'));
  temps.push(d);
  return d;
}
export function removeTemp() {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
}

// `mapsvc seed ... -o out`; returns out.
export function seed(db, out, ...args) {
  assert.ok(MAPSVC, 'MAPSVC must name the mapsvc binary');
  execFileSync(MAPSVC, ['seed', '--db', db, ...args, '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

// A pmtiles Source over a local file: the library reads it by ranges,
// as it reads an archive over HTTP.
export class NodeFileSource {
  constructor(file) {
    this.file = file;
    this.fd = fs.openSync(file, 'r');
    this.reads = 0;
  }
  getKey() {
    return this.file;
  }
  async getBytes(offset, length) {
    const buf = Buffer.alloc(length);
    const n = fs.readSync(this.fd, buf, 0, length, offset);
    this.reads++;
    return { data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + n) };
  }
  close() {
    fs.closeSync(this.fd);
  }
}

// n sites uniform over lon 100..135, lat 18..53 (a fixed generator, so the
// same file every run), imported into a new database; its path.
export function syntheticDb(dir, n) {
  let s = 12345;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const cats = ['memorial_hall', 'museum', 'martyrs_cemetery', 'former_site', 'monument', 'education_base'];
  const lines = ['id,name_zh,category,lat,lon'];
  for (let i = 0; i < n; i++) {
    const lat = 18 + 35 * rnd(), lon = 100 + 35 * rnd();
    lines.push(`s${String(i).padStart(6, '0')},红色遗址${i},${cats[i % cats.length]},${lat.toFixed(6)},${lon.toFixed(6)}`);
  }
  const csv = path.join(dir, 'sites.csv'), db = path.join(dir, 'sites.sqlite');
  fs.writeFileSync(csv, lines.join('\n') + '\n');
  execFileSync(MAPSVC, ['import', '--db', db, csv], { stdio: ['ignore', 'ignore', 'pipe'] });
  return db;
}

// The XYZ tiles of zoom z that a lon/lat box touches (Web Mercator).
export function tileRange(w, s, e, n, z) {
  const size = 2 ** z;
  const tx = (lon) => Math.min(size - 1, Math.max(0, Math.floor(((lon + 180) / 360) * size)));
  const ty = (lat) => {
    const phi = (Math.max(-85.05112877980659, Math.min(85.05112877980659, lat)) * Math.PI) / 180;
    const y = ((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * size;
    return Math.min(size - 1, Math.max(0, Math.floor(y)));
  };
  return { x0: tx(w), x1: tx(e), y0: ty(n), y1: ty(s) };
}
