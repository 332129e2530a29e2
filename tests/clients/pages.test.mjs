// pages.test.mjs - the HTML pages of the OGC resources in headless
// Chromium, as a browser gets them by content negotiation, under the
// strict Content-Security-Policy the service is getting (no inline
// script or style, nothing from elsewhere), added here to every answer:
// no violation, no console error, every image loads.  A site's page is
// read back from the DOM: its schema.org JSON-LD (types, both names, the
// position, the address), its Open Graph tags and its language (zh-CN,
// or English for an English browser); the items page has one row per
// item and its paging links lead on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer, stopServer, browse, closeBrowser } from './server.mjs';

const CSP = "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; " +
  "base-uri 'none'; form-action 'self'";
const SITE = 'zb-heitieshan-memorial';

let server, base, feature;

before(async () => {
  ({ child: server, base } = await startServer());
  feature = await (await fetch(`${base}/collections/sites/items/${SITE}`)).json();
});
after(async () => {
  await closeBrowser();
  assert.equal(await stopServer(server), 0, 'mapsvc serve exits 0');
});

// A browser whose every answer from the server carries the policy.
async function strictBrowser(opts) {
  const b = await browse(chromium, opts);
  await b.page.route(base + '/**', async (route) => {
    const r = await route.fetch();
    await route.fulfill({ response: r, headers: { ...r.headers(), 'content-security-policy': CSP } });
  });
  return b;
}

async function imagesLoaded(page) {
  return page.evaluate(() => Array.from(document.images).map((i) => [i.src, i.complete && i.naturalWidth > 0]));
}

test('a site page: JSON-LD, Open Graph, the map, under the policy', async () => {
  const { ctx, page, problems } = await strictBrowser();
  try {
    const r = await page.goto(`${base}/collections/sites/items/${SITE}`);
    assert.equal(r.status(), 200);
    assert.match(r.headers()['content-type'], /^text\/html/);
    await page.waitForLoadState('networkidle');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    const ld = JSON.parse(await page.textContent('script[type="application/ld+json"]'));
    assert.deepEqual(ld['@type'], ['TouristAttraction', 'LandmarksOrHistoricalBuildings']);
    assert.equal(ld['@context'], 'https://schema.org');
    const names = Object.fromEntries(ld.name.map((n) => [n['@language'], n['@value']]));
    assert.deepEqual(names, { 'zh-CN': feature.properties.name_zh, en: feature.properties.name_en });
    assert.equal(ld.geo.latitude, feature.geometry.coordinates[1]);
    assert.equal(ld.geo.longitude, feature.geometry.coordinates[0]);
    assert.equal(ld.address.streetAddress, feature.properties.address);
    assert.equal(ld.url, `${base}/collections/sites/items/${SITE}`);
    const og = Object.fromEntries(await page.$$eval('meta[property]', (ms) => ms.map((m) => [m.getAttribute('property'), m.content])));
    assert.equal(og['og:type'], 'place');
    assert.equal(og['og:url'], ld.url);
    assert.ok(og['og:title'].includes(feature.properties.name_zh));
    const card = await fetch(og['og:image']);
    assert.equal(card.status, 200);
    assert.equal(card.headers.get('content-type'), 'image/png');
    const text = await page.textContent('main');
    assert.ok(text.includes(feature.properties.name_zh) && text.includes('±100 m'), text);
    const imgs = await imagesLoaded(page);
    assert.ok(imgs.length >= 1 && imgs.every(([, ok]) => ok), JSON.stringify(imgs));
    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
  }
});

test('an English browser gets the English page', async () => {
  const { ctx, page, problems } = await strictBrowser({ locale: 'en-US' });
  try {
    await page.goto(`${base}/collections/sites/items/${SITE}`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.getAttribute('h1 span', 'lang'), 'en');
    assert.equal(await page.textContent('h1 span'), feature.properties.name_en);
    // the language link leads back to Chinese
    await page.click('a.lang');
    await page.waitForLoadState('networkidle');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
  }
});

test('the items page: a row per item, a map, paging', async () => {
  const { ctx, page, problems } = await strictBrowser();
  try {
    const q = 'limit=6&sortby=-name_zh';
    const json = await (await fetch(`${base}/collections/sites/items?${q}`)).json();
    await page.goto(`${base}/collections/sites/items?${q}`);
    await page.waitForLoadState('networkidle');
    const rows = await page.$$eval('table.items tbody tr', (trs) => trs.map((t) => t.dataset.id));
    assert.deepEqual(rows, json.features.map((f) => f.id));
    assert.ok((await imagesLoaded(page)).every(([, ok]) => ok));
    await page.click('a[rel="next"]');
    await page.waitForLoadState('networkidle');
    assert.match(page.url(), /offset=6/);
    const next = await (await fetch(`${base}/collections/sites/items?${q}&offset=6`)).json();
    assert.deepEqual(await page.$$eval('table.items tbody tr', (trs) => trs.map((t) => t.dataset.id)),
      next.features.map((f) => f.id));
    // a site's link is its permanent address, and opens its page
    await page.click('table.items tbody tr a');
    await page.waitForLoadState('networkidle');
    assert.match(page.url(), /\/collections\/sites\/items\/[^/?]+$/);
    assert.equal(await page.locator('script[type="application/ld+json"]').count(), 1);
    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
  }
});

test('the collection, collections and conformance pages', async () => {
  const { ctx, page, problems } = await strictBrowser();
  try {
    for (const path of ['/collections', '/collections/sites', '/conformance']) {
      const r = await page.goto(base + path);
      assert.match(r.headers()['content-type'], /^text\/html/, path);
      await page.waitForLoadState('networkidle');
      assert.ok((await page.textContent('h1')).length > 0, path);
    }
    // the collection page's links answer
    await page.goto(`${base}/collections/sites`);
    const hrefs = await page.$$eval('main a', (as) => as.map((a) => a.href));
    for (const h of hrefs) assert.equal((await fetch(h)).status, 200, h);
    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
  }
});
