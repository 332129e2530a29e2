// api.test.mjs - mapsvc's OpenAPI document (GET /api) is a valid OpenAPI
// 3.0 description by an independent validator: @apidevtools/swagger-parser
// (the OpenAPI Initiative's schema of 3.0 documents, and every $ref
// resolved), against a real `mapsvc serve` on a free loopback port.  That /api lists exactly the parameters each route takes
// is tests/unit/test_http_params.c's; this is the document's form.
//
// Environment: MAPSVC (the binary, required).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';

const MAPSVC = process.env.MAPSVC;
let server, editing, dir;
let base, editBase;

// A server on a free port; resolves to [process, base URL].
async function start(args) {
  const p = spawn(MAPSVC, ['serve', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('mapsvc serve did not start: ' + out)), 20000);
    p.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    p.on('exit', (code) => reject(new Error('mapsvc serve exited with ' + code + ': ' + out)));
  });
  p.stdout.resume();
  return [p, url];
}

async function stop(p) {
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((resolve) => p.once('exit', (code) => resolve(code)));
  p.kill('SIGTERM');
  // A clean exit: under AddressSanitizer a leak makes the status non-zero.
  assert.equal(await exited, 0, 'mapsvc serve exits 0 on SIGTERM');
}

before(async () => {
  assert.ok(MAPSVC, 'MAPSVC must name the mapsvc binary');
  // A writable copy of the bundled sites for the server that edits.
  dir = mkdtempSync(join(tmpdir(), 'mapsvc-openapi-'));
  const db = join(dir, 'sites.sqlite');
  const imp = spawnSync(MAPSVC, ['import', '--db', db, '../../data/sites.csv'], { encoding: 'utf8' });
  assert.equal(imp.status, 0, imp.stderr);
  [editing, editBase] = await start(['--db', db, '--edit']);
  [server, base] = await start([]);
});

after(async () => {
  await stop(server);
  await stop(editing);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function getApi(from = base) {
  const r = await fetch(from + '/api');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/vnd.oai.openapi+json;version=3.0');
  return r.json();
}

test('/api is a valid OpenAPI 3.0 document', async () => {
  const doc = await getApi();
  assert.match(doc.openapi, /^3\.0\.\d+$/);
  // validate() dereferences in place: give it its own copy.
  const api = await SwaggerParser.validate(structuredClone(doc));
  assert.equal(api.info.title, 'mapsvc');
  assert.equal(api.servers[0].url, base);
});

test('the validator refuses a broken copy (it is not a check that cannot fail)', async () => {
  const doc = await getApi();
  // A parameter in a place OpenAPI 3.0 does not have.
  const broken = structuredClone(doc);
  broken.paths['/staticmap.png'].get.parameters[0].in = 'body';
  await assert.rejects(SwaggerParser.validate(broken));
  // An operation without its responses.
  const bare = structuredClone(doc);
  delete bare.paths['/nearest'].get.responses;
  await assert.rejects(SwaggerParser.validate(bare));
  // A reference to nothing.
  const dangling = structuredClone(doc);
  dangling.paths['/route'].get.responses['400'].content['application/problem+json'].schema.$ref =
    '#/components/schemas/Nothing';
  await assert.rejects(SwaggerParser.validate(dangling));
});

test('with --edit, the writes of Part 4 are described, and the document is still valid', async () => {
  const doc = await getApi(editBase);
  const items = doc.paths['/collections/{collectionId}/items'];
  const item = doc.paths['/collections/{collectionId}/items/{featureId}'];
  assert.deepEqual(Object.keys(items).sort(), ['get', 'post']);
  assert.deepEqual(Object.keys(item).sort(), ['delete', 'get', 'patch', 'put']);
  assert.ok(items.post.requestBody.content['application/geo+json']);
  assert.ok(item.patch.requestBody.content['application/merge-patch+json']);
  assert.equal(item.delete.requestBody, undefined);
  assert.ok(items.post.responses['201'] && item.delete.responses['204'] && item.put.responses['412']);
  for (const op of [item.put, item.patch, item.delete]) {
    const im = op.parameters.find((p) => p.name === 'If-Match');
    assert.ok(im && im.in === 'header' && im.required, 'If-Match is a required header');
    assert.deepEqual(op.security, [{ editKey: [] }]);
  }
  assert.equal(items.post.parameters.find((p) => p.name === 'If-Match'), undefined);
  assert.equal(doc.components.securitySchemes.editKey.scheme, 'bearer');
  await SwaggerParser.validate(structuredClone(doc));
  // and what it says is what the server does: a write without a key is 401
  const r = await fetch(editBase + '/collections/sites/items/x', { method: 'DELETE', headers: { 'If-Match': '"x"' } });
  assert.equal(r.status, 401);
});

test('without --edit, no write is described (they answer 405)', async () => {
  const doc = await getApi();
  assert.deepEqual(Object.keys(doc.paths['/collections/{collectionId}/items']), ['get']);
  assert.deepEqual(Object.keys(doc.paths['/collections/{collectionId}/items/{featureId}']), ['get']);
  assert.equal(doc.components.securitySchemes, undefined);
  const r = await fetch(base + '/collections/sites/items', { method: 'POST', body: '{}' });
  assert.equal(r.status, 405);
});
