// api.test.mjs - mapsvc's OpenAPI document (GET /api) is a valid OpenAPI
// 3.0 description by an independent validator: @apidevtools/swagger-parser
// (the OpenAPI Initiative's schema of 3.0 documents, and every $ref
// resolved), against a real `mapsvc serve` on a free loopback port.  That /api lists exactly the parameters each route takes
// is tests/unit/test_http_params.c's; this is the document's form.
//
// Environment: MAPSVC (the binary, required).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import SwaggerParser from '@apidevtools/swagger-parser';

const MAPSVC = process.env.MAPSVC;
let server;
let base;

before(async () => {
  assert.ok(MAPSVC, 'MAPSVC must name the mapsvc binary');
  server = spawn(MAPSVC, ['serve', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  base = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('mapsvc serve did not start: ' + out)), 20000);
    server.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    server.on('exit', (code) => reject(new Error('mapsvc serve exited with ' + code + ': ' + out)));
  });
  server.stdout.resume();
});

after(async () => {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', (code) => resolve(code)));
  server.kill('SIGTERM');
  // A clean exit: under AddressSanitizer a leak makes the status non-zero.
  assert.equal(await exited, 0, 'mapsvc serve exits 0 on SIGTERM');
});

async function getApi() {
  const r = await fetch(base + '/api');
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
