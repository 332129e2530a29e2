// geojson.test.mjs - every GeoJSON route of mapsvc through a strict
// validator from npm, @placemarkio/check-geojson (geojsonhint's
// successor): the items in every shape a client asks for, one item,
// /nearest, and the route sheet's GeoJSON (whose FeatureCollection once
// carried a "properties" member, which RFC 7946 §7.1 forbids).  Missing
// attributes are null, never "".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getIssues } from '@placemarkio/check-geojson';
import { startServer, stopServer } from './server.mjs';

let server, base;

before(async () => { ({ child: server, base } = await startServer()); });
after(async () => { assert.equal(await stopServer(server), 0, 'mapsvc serve exits 0'); });

const ROUTES = [
  '/collections/sites/items',
  '/collections/sites/items?limit=1000',
  '/collections/sites/items?f=geojson&limit=5&offset=5',
  '/collections/sites/items?bbox=118,36.5,118.5,37&sortby=-name_zh',
  "/collections/sites/items?filter=category%20IN%20('museum','memorial_hall')",
  '/collections/sites/items?coordsys=gcj02&limit=1000',
  '/collections/sites/items?category=castle',
  '/collections/sites/items/zb-heitieshan-memorial',
  '/collections/sites/items/zb-heitieshan-memorial?coordsys=bd09',
  '/nearest?lat=36.85&lon=118.1&limit=10',
  "/nearest?lat=39.38&lon=99.82&limit=3&filter=category%3D'memorial_hall'",
  '/route?from=36.85,118.1&nearest=4&format=json',
  '/route?from=36.85,118.1&nearest=3&return=1&mode=drive&format=json',
  '/route?from=39.37,99.80&sites=gt-west-route-memorial,gt-red-memory-museum&format=json',
];

// Every value of every feature's properties, nested ones too.
function* propertyValues(doc) {
  const feats = doc.type === 'Feature' ? [doc] : doc.features;
  for (const f of feats) for (const [k, v] of Object.entries(f.properties || {})) yield [f.id, k, v];
}

test('the validator catches what the issue reported', () => {
  const bad = { type: 'FeatureCollection', properties: { total: 1 }, features: [] };
  assert.ok(getIssues(JSON.stringify(bad)).length > 0, 'a FeatureCollection with properties is refused');
});

for (const route of ROUTES) {
  test('valid GeoJSON: ' + route, async () => {
    const r = await fetch(base + route);
    assert.equal(r.status, 200, route);
    assert.match(r.headers.get('content-type'), /^application\/(geo\+)?json/);
    const text = await r.text();
    const issues = getIssues(text);
    assert.deepEqual(issues, [], route + ': ' + JSON.stringify(issues.slice(0, 3)));
    const doc = JSON.parse(text);
    assert.ok(doc.type === 'Feature' || doc.type === 'FeatureCollection', route);
    if (doc.type === 'FeatureCollection') assert.equal(doc.properties, undefined, route);
    for (const [id, k, v] of propertyValues(doc)) assert.notEqual(v, '', `${route}: ${id}.${k} is "" (not null)`);
  });
}
