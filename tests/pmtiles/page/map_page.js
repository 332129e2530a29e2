// map_page.js - Leaflet showing a PMTiles archive through the pmtiles
// library's leafletRasterLayer, which reads the archive by HTTP range
// requests.  The query string names the archive, the view and the mapsvc
// server to compare with; when every tile of the view is in,
// window.result holds, per tile drawn, whether its pixels are the pixels
// of the server's tile of the same address, and the alpha of the site's
// pixel and of a pixel away from every site.
(function () {
  const q = new URLSearchParams(location.search);
  const z = Number(q.get('z')), lat = Number(q.get('lat')), lon = Number(q.get('lon'));
  const map = L.map('map', { zoomControl: false, attributionControl: false, fadeAnimation: false })
    .setView([lat, lon], z);
  const layer = pmtiles.leafletRasterLayer(new pmtiles.PMTiles(q.get('archive')), { maxZoom: 20 });

  async function pixels(source) {
    const bmp = await createImageBitmap(source);
    const c = document.createElement('canvas');
    c.width = bmp.width;
    c.height = bmp.height;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bmp, 0, 0);
    return ctx.getImageData(0, 0, c.width, c.height).data;
  }

  // The alpha at a map point, read from the tile that covers it.
  async function alphaAt(latlng) {
    const p = map.project(latlng, z).floor();
    const key = `${Math.floor(p.x / 256)}:${Math.floor(p.y / 256)}:${z}`;
    const t = layer._tiles[key];
    if (!t || t.el.style.display === 'none') return -1;
    const px = await pixels(t.el);
    return px[((p.y % 256) * 256 + (p.x % 256)) * 4 + 3];
  }

  layer.on('load', async () => {
    try {
      const tiles = [];
      for (const key of Object.keys(layer._tiles)) {
        const { el, coords } = layer._tiles[key];
        if (el.style.display === 'none') {
          tiles.push({ key, absent: true });
          continue;
        }
        await el.decode();
        const got = await pixels(el);
        const res = await fetch(`${q.get('server')}/tiles/${coords.z}/${coords.x}/${coords.y}.png`);
        const want = await pixels(await res.blob());
        let differ = 0, drawn = 0;
        for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) differ++;
        for (let i = 3; i < got.length; i += 4) if (got[i] > 0) drawn++;
        tiles.push({ key, differ, drawn, size: el.naturalWidth });
      }
      const far = map.containerPointToLatLng([2, 2]);
      window.result = { tiles, site: await alphaAt(L.latLng(lat, lon)), far: await alphaAt(far) };
    } catch (e) {
      window.result = { error: String(e) };
    }
  });
  layer.addTo(map);
})();
