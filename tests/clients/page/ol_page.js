// ol_page.js - an OpenLayers map whose only layer is mapsvc's OGC API -
// Tiles tileset, read by OGCMapTile from the tileset's URL in ?tileset=,
// centred on ?lon=&lat= at zoom ?z= (integer: tiles drawn at 1:1).  It
// sets window.olResult when the map has rendered: tiles loaded and
// failed, and the canvas pixel under the centre; or the source's error
// state when it cannot use the tileset.
(function () {
  var q = new URLSearchParams(location.search);
  var lon = Number(q.get('lon')), lat = Number(q.get('lat')), z = Number(q.get('z'));
  var source = new ol.source.OGCMapTile({ url: q.get('tileset'), crossOrigin: 'anonymous' });
  var loaded = 0, failed = 0;
  source.on('tileloadend', function () { loaded++; });
  source.on('tileloaderror', function () { failed++; });
  source.on('change', function () { // a tileset it cannot use
    if (source.getState() === 'error') window.olResult = { loaded: 0, failed: 0, state: 'error' };
  });
  var center = ol.proj.fromLonLat([lon, lat]);
  var map = new ol.Map({
    target: 'map', pixelRatio: 1, controls: [], interactions: [],
    layers: [new ol.layer.Tile({ source: source })],
    view: new ol.View({ center: center, zoom: z })
  });
  map.on('rendercomplete', function () {
    if (!loaded && !failed) return; // the tileset is still being read
    var px = map.getPixelFromCoordinate(center);
    var canvas = document.querySelector('#map canvas');
    var ctx = canvas.getContext('2d', { willReadFrequently: true });
    var at = function (x, y) { return Array.from(ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data); };
    window.olResult = {
      loaded: loaded, failed: failed, state: source.getState(),
      center: at(px[0], px[1]), corner: at(2, 2), size: [canvas.width, canvas.height]
    };
  });
})();
