/*
 * app.js - the mapsvc map page: mapsvc's own tiles in Leaflet, the sites
 * from the OGC API items route for popups and the list (open_at=now for
 * "open now"), /nearest for "near me", and links to /route for a guide's
 * day: the printable sheet (HTML, PDF), the GPX and the calendar.
 *
 * Everything is fetched from the serving mapsvc with relative URLs, so the
 * page works offline and behind a proxy that mounts mapsvc under a path.
 * Coordinates: the store is WGS-84.  When the operator's basemap is a
 * GCJ-02 one (AMap, Tencent), the overlay tiles, the markers and the
 * /nearest query are all in GCJ-02 (the coordsys vendor parameter), so
 * everything lines up with the basemap; the route's start point is always
 * sent in WGS-84, since /route takes WGS-84 only.
 */
(function () {
  'use strict';

  var CATEGORIES = [
    ['memorial_hall', '纪念馆', 'Memorial hall'],
    ['museum', '博物馆', 'Museum'],
    ['martyrs_cemetery', '烈士陵园', "Martyrs' cemetery"],
    ['former_site', '革命旧址', 'Former revolutionary site'],
    ['monument', '纪念碑（亭）', 'Monument'],
    ['education_base', '教育基地', 'Education base'],
    ['study_station', '学习驿站', 'Study station'],
    ['training_school', '党校（干部学院）', 'Training school']
  ];
  var CAT_LABEL = {};
  /* The most minutes at one stop that /route takes (ROUTE_VISIT_MAX_MIN). */
  var MAX_VISIT_MIN = 480;
  CATEGORIES.forEach(function (c) { CAT_LABEL[c[0]] = { zh: c[1], en: c[2] }; });

  var TEXT = {
    zh: {
      title: '红色资源地图', tools: '工具', map: '地图', list: '列表', near: '附近', plan: '行程',
      close: '关闭', list_h: '地点列表', search: '搜索名称', search_ph: '例如：纪念馆', category: '类别',
      all_categories: '全部类别', count: '共 {n} 个地点', none: '没有符合条件的地点。',
      near_h: '离我最近', locate: '使用我的位置', pick: '在地图上选点', near_plan: '规划这些地点的行程',
      plan_h: '规划参观行程', start: '出发点', stops: '参观地点', chosen: '我选择的地点',
      chosen_hint: '在列表或地点弹窗中勾选“加入行程”。', nearest_n: '离出发点最近的',
      nearest_n_label: '地点数量', sites_unit: '个地点', options: '选项', mode: '出行方式', walk: '步行',
      drive: '驾车', 'return': '返回出发点', sheet: '打开路线单', gpx: '下载 GPX', pdf: '下载 PDF',
      ics: '加入日历', day: '日期与时间', date: '参观日期', start_time: '出发时间',
      visit: '每个地点参观（分钟）', visit_ph: '按类别', visit_one: '参观分钟数：{n}',
      visits_hint: '每个地点的参观时长（分钟）可单独填写；留空按默认。',
      day_hint: '有日期时，按各地点当天的开放时间安排顺序；闭馆的地点会注明原因。',
      need_date: '加入日历需要先选择日期。', open_now: '只看现在开放的', now_open: '现在开放',
      now_closed: '现在不开放', hours_source: '原文',
      address: '地址', hours: '开放时间', route_here: '从这里出发', add: '加入行程', remove: '移出行程',
      no_start: '尚未设置出发点。', need_start: '请先设置出发点。', need_sites: '请先选择至少一个地点。',
      here: '我的位置', map_point: '地图上的点', locating: '正在定位…',
      geo_failed: '无法获取您的位置，请在地图上点击选择位置。', pick_now: '请在地图上点击一个位置（Esc 取消）。',
      loading: '正在加载…', loaded: '已加载 {n} 个地点。', load_failed: '加载失败：{e}',
      near_result: '离{p}最近的 {n} 个地点：', lang_switch: 'English', lang_label: 'EN',
      ready: '路线单：{n} 个地点。', n_sites: '{n} 个地点', approx: '位置为近似（约 {r}）',
      dirs: ['北', '东北', '东', '东南', '南', '西南', '西', '西北'],
      edit: '编辑', edit_h: '编辑地点', key: '编辑密钥', key_save: '保存密钥', key_forget: '忘记密钥',
      edit_hint: '拖动地图上的标记到地点的真实位置，或点击标记后选择“编辑”。',
      f_name_zh: '名称（中文）', f_name_en: '名称（英文）', f_description: '简介', f_quality: '位置精度',
      confirm: '我在现场确认了这个位置', save: '保存', cancel: '取消', edit_this: '编辑',
      conflict: '保存前，别人已修改了这个地点。请选择保留哪个版本：', mine: '我的修改', theirs: '当前版本',
      keep_mine: '保留我的修改', take_theirs: '采用当前版本', saved: '已保存。', moved_to: '新位置：{p}',
      not_moved: '位置未改动。', surveyed_rule: '只有移动或在现场确认位置后，才能设为“实测”。',
      key_needed: '请先粘贴编辑密钥。', save_failed: '保存失败：{e}',
      q_surveyed: '实测', q_street: '街道级', q_village: '村级', q_town: '乡镇级', q_county: '县级', q_unknown: '未知'
    },
    en: {
      title: 'Red-resource map', tools: 'Tools', map: 'Map', list: 'List', near: 'Near me', plan: 'Plan',
      close: 'Close', list_h: 'Sites', search: 'Search by name', search_ph: 'e.g. memorial', category: 'Category',
      all_categories: 'All categories', count: '{n} sites', none: 'No site matches.',
      near_h: 'Nearest to me', locate: 'Use my location', pick: 'Pick on the map', near_plan: 'Plan a visit to these',
      plan_h: 'Plan a visit', start: 'Start', stops: 'Sites to visit', chosen: 'Sites I chose',
      chosen_hint: 'Tick “Add to visit” in the list or in a site’s popup.', nearest_n: 'The',
      nearest_n_label: 'Number of sites', sites_unit: 'sites nearest to the start', options: 'Options',
      mode: 'Travel by', walk: 'Walking', drive: 'Car', 'return': 'Return to the start',
      sheet: 'Open the route sheet', gpx: 'Download GPX', pdf: 'Download PDF', ics: 'Add to calendar',
      day: 'Day and time', date: 'Date of the visit', start_time: 'Leave at', visit: 'Minutes at each site',
      visit_ph: 'by category', visit_one: 'Minutes at the site: {n}',
      visits_hint: 'Minutes at a site may be set for each; empty takes the default.',
      day_hint: 'With a date the order follows each site’s opening hours that day; a site that is closed is listed with why.',
      need_date: 'Choose a date for the calendar.', open_now: 'Open now only', now_open: 'Open now',
      now_closed: 'Not open now', hours_source: 'as published',
      address: 'Address', hours: 'Opening hours', route_here: 'Route from here', add: 'Add to visit',
      remove: 'Remove from visit', no_start: 'No start point yet.', need_start: 'Set a start point first.',
      need_sites: 'Choose at least one site first.', here: 'My location', map_point: 'Point on the map',
      locating: 'Locating…', geo_failed: 'Your location is not available: tap the map to choose a point.',
      pick_now: 'Tap a point on the map (Esc cancels).', loading: 'Loading…', loaded: '{n} sites loaded.',
      load_failed: 'Loading failed: {e}', near_result: 'The {n} sites nearest to {p}:',
      lang_switch: '中文', lang_label: '中', ready: 'Route sheet: {n} sites.', n_sites: '{n} sites',
      approx: 'approximate position ({r})',
      dirs: ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'],
      edit: 'Edit', edit_h: 'Edit a site', key: 'Editing key', key_save: 'Keep the key', key_forget: 'Forget the key',
      edit_hint: 'Drag a marker to where the site really is, or open a marker and choose “Edit”.',
      f_name_zh: 'Name (Chinese)', f_name_en: 'Name (English)', f_description: 'Description',
      f_quality: 'Position quality', confirm: 'I confirmed this position on the spot', save: 'Save',
      cancel: 'Cancel', edit_this: 'Edit',
      conflict: 'Someone changed this site before you saved. Choose which version to keep:',
      mine: 'My changes', theirs: 'Current version', keep_mine: 'Keep my changes', take_theirs: 'Take the current version',
      saved: 'Saved.', moved_to: 'New position: {p}', not_moved: 'Position unchanged.',
      surveyed_rule: '“Surveyed” needs the position moved or confirmed on the spot.',
      key_needed: 'Paste an editing key first.', save_failed: 'Saving failed: {e}',
      q_surveyed: 'Surveyed', q_street: 'Street', q_village: 'Village', q_town: 'Town', q_county: 'County', q_unknown: 'Unknown'
    }
  };

  var state = {
    lang: 'zh',
    gcj: false,            /* markers and queries in GCJ-02 */
    sites: {},             /* id -> feature (display coordinates) */
    markers: {},           /* position key -> L.Marker */
    keyOf: {},             /* id -> position key */
    chosen: [],            /* ids, in the order picked */
    visits: {},            /* id -> minutes at that site, when set */
    openNow: null,         /* ids open now (open_at=now), once fetched */
    start: null,           /* {lat, lon (WGS-84), kind: 'here'|'point'|'site', id} */
    pick: null,            /* 'near' | 'start' while waiting for a map tap */
    near: null,            /* last /nearest answer and its point */
    listToken: 0
  };
  var map, hereMarker, overlay;

  function t(key, vars) {
    var s = TEXT[state.lang][key];
    if (s === undefined) s = TEXT.zh[key];
    if (vars) Object.keys(vars).forEach(function (k) { s = s.replace('{' + k + '}', vars[k]); });
    return s;
  }
  function $(id) { return document.getElementById(id); }

  /* el('p', {class: 'x', lang: 'en'}, 'text', child...): DOM without innerHTML. */
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'on') Object.keys(v).forEach(function (ev) { e.addEventListener(ev, v[ev]); });
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : v);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === '') continue;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  }

  var statusTimer;
  /* A short-lived toast; a message that asks for something (sticky) stays. */
  function setStatus(msg, sticky) {
    clearTimeout(statusTimer);
    $('status').textContent = msg || '';
    if (msg && !sticky) statusTimer = setTimeout(function () { $('status').textContent = ''; }, 4000);
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: 'application/json, application/geo+json' } }).then(function (r) {
      if (!r.ok) {
        return r.json().catch(function () { return {}; }).then(function (p) {
          throw new Error(p.detail || (r.status + ' ' + r.statusText));
        });
      }
      return r.json();
    });
  }

  /* --- GCJ-02 -------------------------------------------------------
   * The published GCJ-02 obfuscation (Krasovsky 1940 ellipsoid with the
   * series below), used only inside its rough rectangle around China, as
   * the server does.  The inverse iterates the forward transform, which
   * converges to well under a centimetre in a few steps. */
  var KRASOVSKY_A = 6378245.0, KRASOVSKY_EE = 0.00669342162296594323;
  function inChina(lat, lon) { return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271; }
  function gcjDLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
    return r;
  }
  function gcjDLon(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
    return r;
  }
  function wgsToGcj(lat, lon) {
    if (!inChina(lat, lon)) return [lat, lon];
    var dLat = gcjDLat(lon - 105, lat - 35), dLon = gcjDLon(lon - 105, lat - 35);
    var rad = lat / 180 * Math.PI, s = Math.sin(rad);
    var magic = 1 - KRASOVSKY_EE * s * s, sq = Math.sqrt(magic);
    dLat = dLat * 180 / ((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sq) * Math.PI);
    dLon = dLon * 180 / (KRASOVSKY_A / sq * Math.cos(rad) * Math.PI);
    return [lat + dLat, lon + dLon];
  }
  function gcjToWgs(lat, lon) {
    var w = [lat, lon];
    for (var i = 0; i < 20; i++) {
      var g = wgsToGcj(w[0], w[1]), eLat = g[0] - lat, eLon = g[1] - lon;
      w = [w[0] - eLat, w[1] - eLon];
      if (Math.abs(eLat) < 1e-10 && Math.abs(eLon) < 1e-10) break;
    }
    return w;
  }
  /* WGS-84 -> the map's system, and back. */
  function toDisplay(lat, lon) { return state.gcj ? wgsToGcj(lat, lon) : [lat, lon]; }
  function toWgs(lat, lon) { return state.gcj ? gcjToWgs(lat, lon) : [lat, lon]; }
  function coordsysParam() { return state.gcj ? '&coordsys=gcj02' : ''; }

  /* --- sites ------------------------------------------------------- */

  function posKey(f) {
    var c = f.geometry.coordinates;
    return c[1].toFixed(6) + ',' + c[0].toFixed(6);
  }
  function siteLatLng(f) { var c = f.geometry.coordinates; return L.latLng(c[1], c[0]); }

  function names(p, tag) {
    return el(tag || 'span', { 'class': 'names' },
      el('span', { lang: 'zh-CN', 'class': 'zh', text: p.name_zh }),
      p.name_en ? el('span', { lang: 'en', 'class': 'en', text: p.name_en }) : null);
  }
  function categoryLabel(cat) {
    var l = CAT_LABEL[cat];
    if (!l) return el('span', { text: cat || '' });
    var first = state.lang === 'zh' ? ['zh-CN', l.zh] : ['en', l.en];
    var second = state.lang === 'zh' ? ['en', l.en] : ['zh-CN', l.zh];
    return el('span', { 'class': 'cat cat-' + cat },
      el('span', { lang: first[0], text: first[1] }), ' · ', el('span', { lang: second[0], 'class': 'alt', text: second[1] }));
  }

  /* --- honest positions ---------------------------------------------
   * Every site carries position_quality and position_uncertainty_m (the
   * radius within which it lies).  Anything coarser than street level is
   * approximate and says so, with the radius formatted as the route
   * sheets format it (site/site.c, site_format_uncertainty): metres below
   * 100 m, tens of metres below 1 km, one decimal below 10 km, whole
   * kilometres above. */
  var PRECISE = { surveyed: true, street: true };
  function isApproximate(p) {
    return typeof p.position_quality === 'string' && !PRECISE[p.position_quality];
  }
  function formatUncertainty(m) {
    if (!(m >= 0) || !isFinite(m)) return '±?';
    if (m < 99.5) return '±' + Math.max(1, Math.round(m)) + ' m';
    if (m < 995) return '±' + Math.round(m / 10) * 10 + ' m';
    if (m < 9950) {
      var tenths = Math.round(m / 100);
      return '±' + (tenths % 10 ? (tenths / 10).toFixed(1) : tenths / 10) + ' km';
    }
    return '±' + Math.round(m / 1000) + ' km';
  }
  /* "位置为近似（约 ±1 km）" in the page's language, the other after it. */
  function approxLabel(p) {
    if (!isApproximate(p)) return null;
    var r = formatUncertainty(p.position_uncertainty_m);
    var other = state.lang === 'zh' ? 'en' : 'zh';
    return el('span', { 'class': 'approx', 'data-quality': p.position_quality },
      el('span', { lang: state.lang === 'zh' ? 'zh-CN' : 'en', text: t('approx', { r: r }) }), ' · ',
      el('span', { lang: other === 'zh' ? 'zh-CN' : 'en', 'class': 'alt', text: TEXT[other].approx.replace('{r}', r) }));
  }

  function fetchAllSites() {
    var sites = [];
    function page(url) {
      return getJSON(url).then(function (fc) {
        Array.prototype.push.apply(sites, fc.features || []);
        var next = (fc.links || []).filter(function (l) { return l.rel === 'next'; })[0];
        return next && (fc.features || []).length ? page(next.href) : sites;
      });
    }
    return page('collections/sites/items?limit=1000' + coordsysParam());
  }

  function isChosen(id) { return state.chosen.indexOf(id) >= 0; }
  function setChosen(id, on) {
    var i = state.chosen.indexOf(id);
    if (on && i < 0) state.chosen.push(id);
    if (!on && i >= 0) state.chosen.splice(i, 1);
    document.querySelectorAll('input[data-choose="' + CSS.escape(id) + '"]').forEach(function (b) { b.checked = on; });
    if (on) $('stops-chosen').checked = true;
    renderPlan();
  }
  function chooseBox(id, p) {
    var box = el('input', { type: 'checkbox', 'data-choose': id, checked: isChosen(id) });
    box.addEventListener('change', function () { setChosen(id, box.checked); });
    return el('label', { 'class': 'choose' }, box, el('span', { text: t('add') }),
      el('span', { 'class': 'sr', text: ' ' + p.name_zh }));
  }

  function popupContent(key) {
    var ids = Object.keys(state.keyOf).filter(function (id) { return state.keyOf[id] === key; }).sort();
    var box = el('div', { 'class': 'popup' });
    ids.forEach(function (id) {
      var p = state.sites[id].properties;
      var dl = el('dl');
      if (p.address) dl.append(el('dt', { text: t('address') }), el('dd', { lang: 'zh-CN', text: p.address }));
      var hours = hoursInfo(id, p);
      if (hours) dl.append(el('dt', { text: t('hours') }), hours);
      var route = el('button', { type: 'button', 'class': 'primary', text: t('route_here') });
      route.addEventListener('click', function () { routeFromSite(id); });
      var approx = approxLabel(p);
      box.appendChild(el('article', { 'class': 'site', 'data-id': id, tabindex: '-1' },
        names(p, 'h3'), el('p', { 'class': 'meta' }, categoryLabel(p.category)),
        approx ? el('p', { 'class': 'meta' }, approx) : null, dl,
        p.description ? el('p', { 'class': 'desc', lang: 'zh-CN', text: p.description }) : null,
        el('div', { 'class': 'actions' }, route, chooseBox(id, p), editButton(id))));
    });
    return box;
  }

  /* The hours as data (OpenStreetMap syntax), the source's own words, and
   * whether the site is open now by the server's evaluation (open_at=now:
   * China Standard Time, public holidays known). */
  function hoursInfo(id, p) {
    if (!p.opening_hours && !p.opening_hours_text) return null;
    var dd = el('dd', { 'class': 'hours' });
    if (p.opening_hours) dd.appendChild(el('code', { 'class': 'osm', text: p.opening_hours }));
    if (p.opening_hours_text) {
      dd.appendChild(el('span', { 'class': 'source-text', lang: 'zh-CN',
        title: t('hours_source'), text: p.opening_hours_text }));
    }
    if (p.opening_hours && state.openNow) {
      var open = state.openNow.indexOf(id) >= 0;
      dd.appendChild(el('span', { 'class': 'now ' + (open ? 'open' : 'closed'),
        text: t(open ? 'now_open' : 'now_closed') }));
    }
    return dd;
  }

  /* Which sites are open now: refreshed when a popup or the list needs it,
   * at most once a minute. */
  var openNowAt = 0;
  function refreshOpenNow() {
    if (Date.now() - openNowAt < 60000 && state.openNow) return Promise.resolve(state.openNow);
    openNowAt = Date.now();
    return getJSON('collections/sites/items?open_at=now&limit=1000').then(function (fc) {
      state.openNow = fc.features.map(function (f) { return f.id; });
      return state.openNow;
    }).catch(function () { return state.openNow; });
  }

  function addMarkers(features) {
    features.forEach(function (f) {
      state.sites[f.id] = f;
      var key = posKey(f);
      state.keyOf[f.id] = key;
      if (state.markers[key]) return;
      /* Invisible hit targets over the markers the tiles draw: the tile
       * anchors a marker at the site's exact pixel, so a 44 px box centred
       * on the same point is where a finger lands. */
      var m = L.marker(siteLatLng(f), {
        icon: L.divIcon({ className: 'site-hit', iconSize: [44, 44], iconAnchor: [22, 22] }),
        keyboard: true, riseOnHover: true
      });
      m.bindPopup(function () { return popupContent(key); }, {
        maxWidth: Math.min(320, window.innerWidth - 90), minWidth: 200,
        autoPanPaddingTopLeft: [60, 16], autoPanPaddingBottomRight: [16, 16]
      });
      m.addTo(map);
      var e = m.getElement();
      e.setAttribute('role', 'button');
      e.setAttribute('data-key', key);
      state.markers[key] = m;
      m.on('dragend', function () { onMarkerDragged(key, m); });
      if (edit.on) m.dragging.enable();
    });
    labelMarkers();
  }
  function labelMarkers() {
    Object.keys(state.markers).forEach(function (key) {
      var ids = Object.keys(state.keyOf).filter(function (id) { return state.keyOf[id] === key; }).sort();
      var label = ids.map(function (id) {
        var p = state.sites[id].properties;
        return p.name_zh + (p.name_en ? ' (' + p.name_en + ')' : '');
      }).join('; ');
      state.markers[key].getElement().setAttribute('aria-label', label);
    });
  }

  /* Pans so that ll is visible beside an open panel, then runs done. */
  function showOnMap(ll, zoom, done) {
    var panel = document.querySelector('.panel:not([hidden])');
    var tl = [40, 40], br = [40, 40];
    if (panel) {
      var r = panel.getBoundingClientRect(), mr = map.getContainer().getBoundingClientRect();
      if (r.width < mr.width * 0.8) tl[0] += Math.max(0, r.right - mr.left);   /* side panel */
      else br[1] += Math.max(0, mr.bottom - r.top);                            /* bottom sheet */
    }
    map.once('moveend', function () { if (done) done(); });
    map.flyToBounds(L.latLngBounds(ll, ll), {
      paddingTopLeft: tl, paddingBottomRight: br, maxZoom: Math.max(map.getZoom(), zoom), duration: 0.6
    });
  }
  function openSite(id) {
    var f = state.sites[id];
    if (!f) return;
    var m = state.markers[state.keyOf[id]];
    /* On a phone the panel is a bottom sheet that would hide the popup:
     * make way for it (the panel's button brings the list back). */
    if (isBottomSheet()) closePanels(false);
    showOnMap(siteLatLng(f), Math.min(map.getMaxZoom(), 14), function () {
      m.openPopup();
      var pe = m.getPopup().getElement();
      var art = pe && pe.querySelector('[data-id="' + CSS.escape(id) + '"]');
      if (art) {
        art.scrollIntoView({ block: 'nearest' });
        art.focus({ preventScroll: true }); /* keyboard users land in the popup */
      }
    });
  }
  function isBottomSheet() { return !window.matchMedia('(min-width: 768px)').matches; }

  /* --- list panel -------------------------------------------------- */

  function fillCategories() {
    var sel = $('category'), cur = sel.value;
    sel.textContent = '';
    sel.appendChild(el('option', { value: '', text: t('all_categories') }));
    CATEGORIES.forEach(function (c) {
      sel.appendChild(el('option', { value: c[0], text: state.lang === 'zh' ? c[1] : c[2] }));
    });
    sel.value = cur;
  }

  function siteEntry(f, extra) {
    var p = f.properties;
    var approx = approxLabel(p);
    var go = el('button', { type: 'button', 'class': 'site-btn' }, names(p),
      el('span', { 'class': 'meta' }, categoryLabel(p.category), extra || null),
      approx ? el('span', { 'class': 'meta' }, approx) : null);
    go.addEventListener('click', function () { openSite(f.id); });
    return el('li', { 'data-id': f.id }, go, chooseBox(f.id, p));
  }

  function refreshList() {
    var q = $('q').value.trim(), cat = $('category').value;
    var url = 'collections/sites/items?limit=1000' + coordsysParam();
    if (q) url += '&q=' + encodeURIComponent(q);
    if (cat) url += '&category=' + encodeURIComponent(cat);
    if ($('open-now').checked) url += '&open_at=now';
    var token = ++state.listToken;
    getJSON(url).then(function (fc) {
      if (token !== state.listToken) return; /* a newer search is under way */
      var ul = $('site-list');
      ul.textContent = '';
      fc.features.forEach(function (f) { ul.appendChild(siteEntry(state.sites[f.id] || f)); });
      var n = fc.numberMatched !== undefined ? fc.numberMatched : fc.features.length;
      $('list-count').textContent = n ? t('count', { n: n }) : t('none');
    }).catch(function (e) { $('list-count').textContent = t('load_failed', { e: e.message }); });
  }

  /* --- near me ----------------------------------------------------- */

  function formatDistance(m) {
    if (m < 1000) return Math.round(m) + ' m';
    return (m < 10000 ? (m / 1000).toFixed(1) : Math.round(m / 1000)) + ' km';
  }
  function direction(deg) { return t('dirs')[Math.round(deg / 45) % 8]; }

  function pointLabel(s) {
    if (!s) return '';
    if (s.kind === 'site' && state.sites[s.id]) return state.sites[s.id].properties.name_zh;
    return t(s.kind === 'here' ? 'here' : 'map_point');
  }

  /* A WGS-84 point from geolocation or a map tap: the plan's start, and
   * the query of "near me". */
  function setStart(lat, lon, kind, id) {
    state.start = { lat: lat, lon: lon, kind: kind, id: id };
    var d = toDisplay(lat, lon);
    if (!hereMarker) {
      hereMarker = L.circleMarker(d, { radius: 8, color: '#fff', weight: 3, fillColor: '#1565c0', fillOpacity: 1, interactive: false });
      hereMarker.addTo(map);
    } else {
      hereMarker.setLatLng(d);
    }
    renderPlan();
  }

  function queryNearest() {
    var s = state.start;
    if (!s) return;
    var d = toDisplay(s.lat, s.lon);
    var url = 'nearest?lat=' + d[0].toFixed(6) + '&lon=' + d[1].toFixed(6) + '&limit=5' + coordsysParam();
    getJSON(url).then(function (fc) {
      state.near = fc.features;
      renderNear();
    }).catch(function (e) { $('near-hint').textContent = t('load_failed', { e: e.message }); });
  }

  function renderNear() {
    var ol = $('near-list');
    ol.textContent = '';
    if (!state.near) return;
    $('near-hint').textContent = t('near_result', { n: state.near.length, p: pointLabel(state.start) });
    state.near.forEach(function (f) {
      var p = f.properties;
      /* Within a site's radius its direction is noise, so none is
       * given; an approximate site's distance is approximate too. */
      var within = p.distance_m < p.position_uncertainty_m;
      var dist = el('span', { 'class': 'dist', 'data-distance-m': p.distance_m },
        (isApproximate(p) ? '≈ ' : '') + formatDistance(p.distance_m) + (within ? '' : ' ' + direction(p.bearing_deg)));
      ol.appendChild(siteEntry(state.sites[f.id] || f, dist));
    });
    $('near-plan-row').hidden = state.near.length === 0;
  }

  function locate(then) {
    var hint = then === 'near' ? $('near-hint') : $('plan-hint');
    if (!navigator.geolocation) { startPick(then, t('geo_failed')); return; }
    hint.textContent = t('locating');
    navigator.geolocation.getCurrentPosition(function (pos) {
      hint.textContent = '';
      setStart(pos.coords.latitude, pos.coords.longitude, 'here');
      if (then === 'near') queryNearest();
      showOnMap(L.latLng(toDisplay(pos.coords.latitude, pos.coords.longitude)), 12);
    }, function () {
      /* Denied or unavailable: a tap on the map stands in for it. */
      startPick(then, t('geo_failed'));
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  function startPick(what, msg) {
    state.pick = what;
    map.getContainer().classList.add('picking');
    (what === 'near' ? $('near-hint') : $('plan-hint')).textContent = msg || t('pick_now');
    setStatus(msg || t('pick_now'), true);
  }
  function stopPick() {
    state.pick = null;
    map.getContainer().classList.remove('picking');
    setStatus('');
  }
  function onMapClick(e) {
    if (!state.pick) return;
    var what = state.pick;
    stopPick();
    var w = toWgs(e.latlng.lat, e.latlng.lng);
    setStart(w[0], w[1], 'point');
    if (what === 'near') queryNearest();
    else $('plan-hint').textContent = '';
  }

  /* --- plan a visit ------------------------------------------------ */

  function routeFromSite(id) {
    var c = state.sites[id].geometry.coordinates, w = toWgs(c[1], c[0]);
    setStart(w[0], w[1], 'site', id);
    if (!state.chosen.length) $('stops-nearest').checked = true;
    map.closePopup();
    openPanel('panel-plan');
    renderPlan();
  }

  function routeURL(format) {
    var s = state.start;
    if (!s) return null;
    var url = 'route?from=' + s.lat.toFixed(6) + ',' + s.lon.toFixed(6);
    if ($('stops-nearest').checked) {
      var n = parseInt($('nearest-n').value, 10);
      if (!(n >= 1 && n <= 50)) return null;
      url += '&nearest=' + n;
    } else {
      if (!state.chosen.length) return null;
      url += '&sites=' + state.chosen.map(encodeURIComponent).join(',');
    }
    url += '&mode=' + $('mode').value + '&return=' + ($('return').checked ? 1 : 0);
    var date = $('date').value, time = $('start-time').value, visit = $('visit').value;
    if (date) url += '&date=' + date;
    else if (format === 'ics') return null; /* a calendar needs its day */
    if (time) url += '&start=' + time;
    if (visit !== '' && +visit >= 0 && +visit <= MAX_VISIT_MIN) url += '&visit=' + Math.round(+visit);
    if (!$('stops-nearest').checked) {
      var visits = state.chosen.filter(function (id) { return state.visits[id] !== undefined; })
        .map(function (id) { return encodeURIComponent(id) + ':' + state.visits[id]; });
      if (visits.length) url += '&visits=' + visits.join(',');
    }
    return url + '&format=' + format;
  }

  function setLink(a, href) {
    if (href) { a.href = href; a.setAttribute('aria-disabled', 'false'); }
    else { a.removeAttribute('href'); a.setAttribute('aria-disabled', 'true'); }
  }

  function renderPlan() {
    var s = state.start;
    $('start-text').textContent = s ? pointLabel(s) + ' (' + s.lat.toFixed(5) + ', ' + s.lon.toFixed(5) + ')' : t('no_start');
    var ul = $('chosen-list');
    ul.textContent = '';
    state.chosen.forEach(function (id) {
      var p = state.sites[id].properties;
      var rm = el('button', { type: 'button', 'class': 'remove', 'aria-label': t('remove') + ': ' + p.name_zh, text: '✕' });
      rm.addEventListener('click', function () { setChosen(id, false); });
      /* minutes at this site: empty takes the default (category or all) */
      var mins = el('input', { type: 'number', 'class': 'visit', min: '0', max: String(MAX_VISIT_MIN), step: '5',
        inputmode: 'numeric', 'data-visit': id, placeholder: $('visit').value || t('visit_ph'),
        value: state.visits[id] !== undefined ? String(state.visits[id]) : null,
        'aria-label': t('visit_one', { n: p.name_zh }) });
      function setVisit() {
        var v = mins.value === '' ? NaN : +mins.value;
        if (v >= 0 && v <= MAX_VISIT_MIN) state.visits[id] = Math.round(v);
        else delete state.visits[id];
        renderLinks();
      }
      mins.addEventListener('change', setVisit);
      mins.addEventListener('input', setVisit);
      ul.appendChild(el('li', { 'data-id': id }, names(p), mins, rm));
    });
    $('chosen-count').textContent = state.chosen.length;
    $('chosen-hint').hidden = state.chosen.length > 0;
    $('visits-hint').hidden = !state.chosen.length;
    var badge = $('plan-count');
    badge.hidden = !state.chosen.length;
    badge.textContent = state.chosen.length;
    renderLinks();
  }

  /* The day's fields changed: the per-site fields show the new default,
   * and the links follow. */
  function renderDay() {
    var ph = $('visit').value || t('visit_ph');
    document.querySelectorAll('#chosen-list input.visit').forEach(function (i) { i.placeholder = ph; });
    renderLinks();
  }

  /* The plan's four outputs, from the panel as it is now. */
  function renderLinks() {
    var s = state.start, html = routeURL('html');
    setLink($('sheet-link'), html);
    setLink($('pdf-link'), routeURL('pdf'));
    setLink($('gpx-link'), routeURL('gpx'));
    setLink($('ics-link'), routeURL('ics'));
    var hint = $('plan-hint');
    if (!state.pick) hint.textContent = !s ? t('need_start') : !html ? t('need_sites') : !$('date').value ? t('need_date') : '';
  }

  /* --- panels, language ------------------------------------------- */

  var PANELS = { 'panel-list': 'btn-list', 'panel-near': 'btn-near', 'panel-plan': 'btn-plan', 'panel-edit': 'btn-edit' };

  function openPanel(id) {
    Object.keys(PANELS).forEach(function (p) {
      var open = p === id;
      $(p).hidden = !open;
      $(PANELS[p]).setAttribute('aria-expanded', open ? 'true' : 'false');
    });
    document.body.classList.add('panel-open');
    $(id).focus({ preventScroll: true });
    if (id === 'panel-list' && !$('site-list').children.length) refreshList();
    setEditMode(id === 'panel-edit');
    setTimeout(function () { map.invalidateSize(); }, 0);
  }
  function closePanels(refocus) {
    var was = document.querySelector('.panel:not([hidden])');
    Object.keys(PANELS).forEach(function (p) {
      $(p).hidden = true;
      $(PANELS[p]).setAttribute('aria-expanded', 'false');
    });
    document.body.classList.remove('panel-open');
    setEditMode(false);
    if (was && refocus !== false) $(PANELS[was.id]).focus();
    setTimeout(function () { map.invalidateSize(); }, 0);
  }
  function togglePanel(id) {
    if ($(id).hidden) openPanel(id);
    else closePanels();
  }

  function applyLanguage() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('title') + (state.lang === 'zh' ? ' · Red-resource map' : ' · 红色资源地图');
    document.querySelectorAll('[data-i18n]').forEach(function (e) { e.textContent = t(e.getAttribute('data-i18n')); });
    document.querySelectorAll('[data-i18n-aria]').forEach(function (e) {
      e.setAttribute('aria-label', t(e.getAttribute('data-i18n-aria')));
    });
    document.querySelectorAll('[data-i18n-ph]').forEach(function (e) { e.placeholder = t(e.getAttribute('data-i18n-ph')); });
    var b = $('btn-lang');
    b.textContent = t('lang_label');
    b.setAttribute('aria-label', t('lang_switch'));
    b.setAttribute('lang', state.lang === 'zh' ? 'en' : 'zh-CN');
    fillCategories();
    if ($('site-list').children.length) refreshList();
    renderNear();
    renderPlan();
    if (map) map.closePopup();
    layoutLabels();
  }

  function initialLanguage() {
    try {
      var saved = localStorage.getItem('mapsvc.lang');
      if (saved === 'zh' || saved === 'en') return saved;
    } catch (e) { /* storage may be disabled */ }
    var langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'zh-CN'];
    /* Chinese first: English only for a browser that prefers another language. */
    return /^zh\b/i.test(langs[0]) ? 'zh' : 'en';
  }

  /* --- edit mode (serve --edit): a planner corrects sites ------------ *
   * The key is pasted once and kept in this browser's local storage; it
   * travels only as an Authorization header (never in a URL), to this
   * server.  A save is a JSON merge patch of what changed, with the
   * site's ETag as If-Match; a 412 means someone saved first, and the
   * planner sees both versions and chooses.  Positions are WGS-84 in the
   * store: on a GCJ-02 basemap a dragged marker is converted back. */

  var QUALITIES = ['surveyed', 'street', 'village', 'town', 'county', 'unknown'];
  var EDIT_FIELDS = ['name_zh', 'name_en', 'category', 'opening_hours', 'description'];
  var KEY_STORE = 'mapsvc.editKey';
  var edit = { on: false, id: null, etag: null, orig: null, moved: null, patch: null };

  function editKey() { try { return localStorage.getItem(KEY_STORE) || ''; } catch (e) { return ''; } }
  function setEditMode(on) {
    edit.on = on;
    document.body.classList.toggle('editing', on);
    Object.keys(state.markers).forEach(function (k) {
      var d = state.markers[k].dragging;
      if (d) { if (on) d.enable(); else d.disable(); }
    });
    if (on) $('edit-key-form').hidden = !!editKey();
  }
  function editButton(id) {
    if (!edit.on) return null;
    var b = el('button', { type: 'button', text: t('edit_this') });
    b.addEventListener('click', function () { map.closePopup(); startEdit(id, null); });
    return b;
  }
  function onMarkerDragged(key, m) {
    var ids = Object.keys(state.keyOf).filter(function (id) { return state.keyOf[id] === key; }).sort();
    var ll = m.getLatLng();
    if (ids.length) startEdit(ids[0], toWgs(ll.lat, ll.lng));
  }
  function fillQualities() {
    var sel = $('e-quality'), v = sel.value;
    sel.textContent = '';
    QUALITIES.forEach(function (q) { sel.appendChild(el('option', { value: q, text: t('q_' + q) })); });
    if (v) sel.value = v;
    var e = $('e-category');
    v = e.value;
    e.textContent = '';
    CATEGORIES.forEach(function (c) { e.appendChild(el('option', { value: c[0], text: categoryLabel(c[0]) })); });
    if (v) e.value = v;
  }
  /* "surveyed" only for a site moved or confirmed on the spot (or already so). */
  function applySurveyedRule() {
    var allowed = edit.orig && (edit.orig.properties.position_quality === 'surveyed' || edit.moved || $('e-confirm').checked);
    var opt = $('e-quality').querySelector('option[value="surveyed"]');
    opt.disabled = !allowed;
    if (!allowed && $('e-quality').value === 'surveyed') $('e-quality').value = edit.orig.properties.position_quality;
    $('edit-pos').textContent = (edit.moved ? t('moved_to', { p: edit.moved[0].toFixed(6) + ', ' + edit.moved[1].toFixed(6) })
      : t('not_moved')) + (allowed ? '' : ' ' + t('surveyed_rule'));
  }
  function itemUrl(id) { return 'collections/sites/items/' + encodeURIComponent(id); }
  function readItem(id) {
    return fetch(itemUrl(id), { headers: { Accept: 'application/geo+json' }, cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error(r.status + ' ' + r.statusText);
      var etag = r.headers.get('ETag');
      return r.json().then(function (f) { return { f: f, etag: etag }; });
    });
  }
  function fillForm(f) {
    var p = f.properties;
    EDIT_FIELDS.forEach(function (k) { $('e-' + k).value = p[k] || ''; });
    $('e-quality').value = p.position_quality || 'unknown';
    $('edit-site').textContent = (p.name_zh || '') + ' (' + f.id + ')';
  }
  function startEdit(id, movedWgs) {
    openPanel('panel-edit');
    fillQualities();
    readItem(id).then(function (it) {
      edit.id = id; edit.etag = it.etag; edit.orig = it.f; edit.moved = movedWgs;
      $('e-confirm').checked = false;
      fillForm(it.f);
      $('edit-form').hidden = false;
      $('edit-conflict').hidden = true;
      applySurveyedRule();
    }).catch(function (e) { setStatus(t('save_failed', { e: e.message })); });
  }
  /* The merge patch of the form against the version read. */
  function formPatch() {
    var p = edit.orig.properties, props = {}, patch = {};
    EDIT_FIELDS.forEach(function (k) { var v = $('e-' + k).value; if (v !== (p[k] || '')) props[k] = v === '' ? null : v; });
    if ($('e-quality').value !== p.position_quality) props.position_quality = $('e-quality').value;
    if (Object.keys(props).length) patch.properties = props;
    if (edit.moved) {
      patch.geometry = { type: 'Point', coordinates: [+edit.moved[1].toFixed(7), +edit.moved[0].toFixed(7)] };
    }
    return patch;
  }
  function sendPatch(patch, etag) {
    var key = editKey();
    if (!key) { $('edit-key-form').hidden = false; setStatus(t('key_needed')); return Promise.resolve(null); }
    return fetch(itemUrl(edit.id), {
      method: 'PATCH', cache: 'no-store',
      headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/merge-patch+json', 'If-Match': etag,
        Accept: 'application/geo+json' },
      body: JSON.stringify(patch)
    });
  }
  function afterSave(r) {
    if (!r) return;
    if (r.status === 412) { showConflict(); return; }
    if (!r.ok) {
      if (r.status === 401) $('edit-key-form').hidden = false;
      r.json().catch(function () { return {}; }).then(function (p) {
        setStatus(t('save_failed', { e: p.detail || r.status }), true);
      });
      return;
    }
    edit.moved = null;
    $('edit-form').hidden = true;
    $('edit-conflict').hidden = true;
    setStatus(t('saved'));
    reloadSites();
  }
  /* TileJSON's URL names the data and style versions: tiles a browser
   * or a CDN keeps for good, and new URLs after a reload or an edit.  {r}
   * is "@2x" on high-density screens: the server's 512 px tiles. */
  function tileTemplate(tj) {
    var template = tj && tj.tiles && tj.tiles[0] ? tj.tiles[0].replace(/\.png(\?.*)?$/, '{r}.png')
                                                 : 'tiles/{z}/{x}/{y}{r}.png';
    return template + (state.gcj ? '?coordsys=gcj02' : '');
  }
  function reloadSites() {
    Object.keys(state.markers).forEach(function (k) { map.removeLayer(state.markers[k]); });
    state.markers = {}; state.keyOf = {}; state.sites = {};
    /* the edit made a new data version: the tiles' URLs change with it */
    if (overlay) {
      getJSON('tiles.json').then(function (tj) { overlay.setUrl(tileTemplate(tj)); })
        .catch(function () { overlay.redraw(); });
    }
    return fetchAllSites().then(function (features) {
      addMarkers(features);
      layoutLabels();
      document.body.setAttribute('data-saved', String(Date.now()));
    });
  }
  function showConflict() {
    edit.patch = formPatch();
    readItem(edit.id).then(function (it) {
      edit.theirs = it;
      var rows = $('conflict-rows'), mine = edit.patch.properties || {};
      rows.textContent = '';
      EDIT_FIELDS.concat(['position_quality']).forEach(function (k) {
        var a = k in mine ? (mine[k] || '') : (edit.orig.properties[k] || ''), b = it.f.properties[k] || '';
        if (a !== b) rows.appendChild(el('tr', null, el('th', { text: k }), el('td', { text: a }), el('td', { text: b })));
      });
      var c0 = edit.moved ? [edit.moved[1], edit.moved[0]] : edit.orig.geometry.coordinates, c1 = it.f.geometry.coordinates;
      if (c0[0] !== c1[0] || c0[1] !== c1[1]) {
        rows.appendChild(el('tr', null, el('th', { text: 'position' }),
          el('td', { text: (+c0[1]).toFixed(6) + ', ' + (+c0[0]).toFixed(6) }),
          el('td', { text: c1[1].toFixed(6) + ', ' + c1[0].toFixed(6) })));
      }
      $('edit-form').hidden = true;
      $('edit-conflict').hidden = false;
    });
  }
  function bindEdit() {
    $('edit-key-form').addEventListener('submit', function (e) {
      e.preventDefault();
      try { localStorage.setItem(KEY_STORE, $('edit-key').value.trim()); } catch (x) { /* not kept */ }
      $('edit-key').value = '';
      $('edit-key-form').hidden = !!editKey();
    });
    $('edit-key-forget').addEventListener('click', function () {
      try { localStorage.removeItem(KEY_STORE); } catch (x) { /* nothing kept */ }
    });
    $('e-confirm').addEventListener('change', applySurveyedRule);
    $('edit-form').addEventListener('submit', function (e) {
      e.preventDefault();
      sendPatch(formPatch(), edit.etag).then(afterSave);
    });
    $('edit-cancel').addEventListener('click', function () {
      edit.moved = null;
      $('edit-form').hidden = true;
      reloadSites();
    });
    $('keep-mine').addEventListener('click', function () {
      edit.orig = edit.theirs.f; /* the patch now applies to theirs */
      sendPatch(edit.patch, edit.theirs.etag).then(afterSave);
    });
    $('take-theirs').addEventListener('click', function () {
      edit.moved = null;
      $('edit-conflict').hidden = true;
      reloadSites();
    });
  }

  function bindUI() {
    bindEdit();
    Object.keys(PANELS).forEach(function (p) {
      $(PANELS[p]).addEventListener('click', function () { togglePanel(p); });
    });
    document.querySelectorAll('[data-close]').forEach(function (b) { b.addEventListener('click', function () { closePanels(); }); });
    $('btn-lang').addEventListener('click', function () {
      state.lang = state.lang === 'zh' ? 'en' : 'zh';
      try { localStorage.setItem('mapsvc.lang', state.lang); } catch (e) { /* not kept */ }
      applyLanguage();
    });
    var timer;
    $('q').addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(refreshList, 250); });
    $('category').addEventListener('change', refreshList);
    $('filters').addEventListener('submit', function (e) { e.preventDefault(); refreshList(); });
    $('locate').addEventListener('click', function () { locate('near'); });
    $('pick-near').addEventListener('click', function () { startPick('near'); });
    $('start-locate').addEventListener('click', function () { locate('start'); });
    $('start-pick').addEventListener('click', function () { startPick('start'); });
    $('near-plan').addEventListener('click', function () {
      state.near.forEach(function (f) { if (!isChosen(f.id)) state.chosen.push(f.id); });
      document.querySelectorAll('input[data-choose]').forEach(function (b) { b.checked = isChosen(b.getAttribute('data-choose')); });
      $('stops-chosen').checked = true;
      openPanel('panel-plan');
      renderPlan();
    });
    ['stops-chosen', 'stops-nearest', 'nearest-n'].forEach(function (id) {
      $(id).addEventListener('change', renderPlan);
      $(id).addEventListener('input', renderPlan);
    });
    /* These change only the links: rebuilding the list of chosen sites
     * here would take the focus from a per-site field as the user moves
     * into it (the global field's change event fires on that move). */
    ['mode', 'return', 'date', 'start-time', 'visit'].forEach(function (id) {
      $(id).addEventListener('change', renderDay);
      $(id).addEventListener('input', renderDay);
    });
    $('open-now').addEventListener('change', refreshList);
    ['sheet-link', 'pdf-link', 'gpx-link', 'ics-link'].forEach(function (id) {
      $(id).addEventListener('click', function (e) {
        if ($(id).getAttribute('aria-disabled') === 'true') e.preventDefault();
      });
    });
    document.addEventListener('keydown', function (e) {
      if (e.key !== 'Escape') return;
      if (state.pick) { stopPick(); renderPlan(); return; }
      if (map && map.closePopup && document.querySelector('.leaflet-popup')) { map.closePopup(); return; }
      if (document.querySelector('.panel:not([hidden])')) closePanels();
    });
  }

  /* --- context basemap ----------------------------------------------
   * Without an operator's basemap the page shows Natural Earth context
   * under mapsvc's tiles: land, built-up areas, lakes, rivers, province
   * and country borders, drawn by mapsvc itself as tiles of its bundled
   * `context` style (so the phone draws no geometry: images, as for any
   * basemap), in a pane below the tile pane; and town and province names,
   * from two small embedded files, as HTML in a pane between the two,
   * placed greedily in priority order so that none overlaps another or a
   * site.  Nothing here takes pointer events. */
  var CONTEXT_FILES = {
    provinces: 'static/basemap/provinces.geojson?v={{v:/static/basemap/provinces.geojson}}',
    places: 'static/basemap/places.geojson?v={{v:/static/basemap/places.geojson}}'
  };
  var context = null;  /* {places, provinces, labels} once loaded */

  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function contextName(p) {
    var zh = p.name_zh, en = p.name_en;
    return state.lang === 'en' ? en || zh : zh || en;
  }
  /* A label's size in px, from its characters: CJK about 1 em wide. */
  function textWidth(s, px) {
    var w = 0;
    for (var i = 0; i < s.length; i++) w += s.charCodeAt(i) > 0x2e80 ? px : px * 0.58;
    return w;
  }

  /* Places the names for the current zoom: the major cities, then the
   * provinces while they are large on screen, then the other places by
   * Natural Earth's label priority (the file's order).  A name whose box
   * meets a placed one or a site is left out (a province name tries a few
   * spots around its label point first).  Boxes are in absolute pixels
   * of the zoom, so panning needs no new layout. */
  function placeShown(f, z) {
    var pr = f.properties;
    /* In Chinese, a place known only by its English name waits one zoom
     * longer, so that low zooms are not a mix of scripts. */
    var extra = state.lang === 'zh' && !pr.name_zh ? 1 : 0;
    return (pr.min_zoom || 0) + extra <= z - 0.3;
  }
  function layoutLabels() {
    if (!context) return;
    var z = map.getZoom(), boxes = [], PAD = 3;
    context.labels.clearLayers();
    function free(b) {
      for (var i = 0; i < boxes.length; i++) {
        var o = boxes[i];
        if (b[0] - PAD < o[2] && o[0] < b[2] + PAD && b[1] - PAD < o[3] && o[1] < b[3] + PAD) return false;
      }
      return true;
    }
    Object.keys(state.markers).forEach(function (k) {
      var p = map.project(state.markers[k].getLatLng(), z);
      boxes.push([p.x - 16, p.y - 16, p.x + 16, p.y + 16]);
    });
    function add(ll, name, cls, box) {
      boxes.push(box);
      L.marker(ll, {
        pane: 'contextLabels', interactive: false, keyboard: false,
        icon: L.divIcon({ className: 'ctx-label ' + cls, iconSize: null, iconAnchor: [0, 0],
          html: '<span>' + escapeHTML(name) + '</span>' })
      }).addTo(context.labels);
    }
    function place(f) {
      var pr = f.properties, name = contextName(pr);
      var c = f.geometry.coordinates, ll = L.latLng(c[1], c[0]), p = map.project(ll, z);
      var capital = /capital/i.test(pr.featurecla || '') && pr.scalerank <= 3;
      var box = [p.x - 4, p.y - 9, p.x + 8 + textWidth(name, capital ? 13 : 12), p.y + 9];
      if (free(box)) add(ll, name, capital ? 'ctx-place ctx-capital' : 'ctx-place', box);
    }
    function province(f) {
      var pr = f.properties, name = contextName(pr);
      var ll = L.latLng(pr.label_lat, pr.label_lon), p = map.project(ll, z);
      var w = textWidth(name, 13) + name.length * 2, h = 18;
      var tries = [[0, 0], [0, 22], [0, -22], [-w / 2 - 10, 0], [w / 2 + 10, 0], [0, 44], [0, -44]];
      for (var i = 0; i < tries.length; i++) {
        var x = p.x + tries[i][0], y = p.y + tries[i][1], box = [x - w / 2, y - h / 2, x + w / 2, y + h / 2];
        if (free(box)) { add(map.unproject([x, y], z), name, 'ctx-province', box); return; }
      }
    }
    var major = [], minor = [], cities = {};
    context.places.forEach(function (f) {
      cities[f.properties.name_en] = true;
      if (!contextName(f.properties) || !placeShown(f, z)) return;
      (f.properties.min_zoom <= 3 ? major : minor).push(f);
    });
    major.forEach(place);
    /* Provinces from zoom 4 to 7; a city-province (Beijing, Hong Kong) is
     * named by its city. */
    if (z >= 4 && z <= 7) {
      context.provinces.forEach(function (f) {
        var pr = f.properties;
        if (contextName(pr) && pr.label_lat !== undefined && !cities[pr.name_en]) province(f);
      });
    }
    minor.forEach(place);
  }


  function addContextBasemap(maxZoom) {
    var panes = [['context', 150], ['contextLabels', 190]]; /* the tile pane is 200 */
    panes.forEach(function (p) {
      var e = map.createPane(p[0]);
      e.style.zIndex = p[1];
      e.style.pointerEvents = 'none';
    });
    var none = function () { return { type: 'FeatureCollection', features: [] }; };
    /* The style's TileJSON names its versioned tiles; a server whose
     * styles have no `context` leaves the page's own colour. */
    var tiles = getJSON('tiles/context.json').then(function (tj) {
      return new Promise(function (done) {
        var layer = L.tileLayer(tileTemplate(tj), {
          pane: 'context', maxZoom: maxZoom, attribution: escapeHTML(tj.attribution || '')
        });
        layer.once('load', function () { done(); });
        layer.addTo(map);
      });
    }).catch(function () {});
    Promise.all([
      tiles, getJSON(CONTEXT_FILES.provinces).catch(none), getJSON(CONTEXT_FILES.places).catch(none)
    ]).then(function (r) {
      context = { labels: L.layerGroup().addTo(map), provinces: r[1].features, places: r[2].features };
      map.on('zoomend', layoutLabels);
      layoutLabels();
      document.body.setAttribute('data-context', 'ready');
    });
  }

  /* --- start ------------------------------------------------------- */

  function start(config, tj) {
    var basemap = config && config.basemap && config.basemap.url ? config.basemap : null;
    state.gcj = !!(basemap && basemap.crs === 'gcj02');
    var minZoom = tj && tj.minzoom !== undefined ? tj.minzoom : 0;
    var maxZoom = tj && tj.maxzoom !== undefined ? tj.maxzoom : 18;
    map = L.map('map', { minZoom: minZoom, maxZoom: maxZoom, zoomControl: true, worldCopyJump: true });
    map.attributionControl.setPrefix(false);
    if (basemap) {
      L.tileLayer(basemap.url, { attribution: basemap.attribution || '', maxZoom: maxZoom, subdomains: basemap.subdomains || 'abc' }).addTo(map);
    } else {
      document.body.classList.add('no-basemap');
      addContextBasemap(maxZoom);
    }
    overlay = L.tileLayer(tileTemplate(tj), {
      minZoom: minZoom, maxZoom: maxZoom, attribution: (tj && tj.attribution) || 'mapsvc', zIndex: 5
    }).addTo(map);
    if (config && config.edit) $('btn-edit').hidden = false;
    L.control.scale({ imperial: false }).addTo(map);
    map.on('click', onMapClick);
    map.on('popupopen', function () { refreshOpenNow(); });

    var b = tj && tj.bounds;
    if (b && b.length === 4) {
      var sw = toDisplay(b[1], b[0]), ne = toDisplay(b[3], b[2]);
      map.fitBounds([sw, ne], { padding: [24, 24] });
    } else {
      map.setView([35, 105], 4);
    }
    setStatus(t('loading'), true);
    fetchAllSites().then(function (features) {
      addMarkers(features);
      layoutLabels();
      setStatus(t('loaded', { n: features.length }));
      if (!b && features.length) map.fitBounds(features.map(siteLatLng), { padding: [24, 24] });
      renderPlan();
      /* whether each site is open now, for the popups */
      refreshOpenNow().then(function () { document.body.setAttribute('data-open-now', 'ready'); });
      document.body.setAttribute('data-ready', 'true');
    }).catch(function (e) { setStatus(t('load_failed', { e: e.message })); });
  }

  state.lang = initialLanguage();
  bindUI();
  applyLanguage();
  Promise.all([
    getJSON('config.json').catch(function () { return {}; }),
    getJSON('tiles.json').catch(function () { return null; })
  ]).then(function (r) { start(r[0], r[1]); });

  /* For tests and debugging: read-only views of the page's state. */
  window.mapsvcPage = {
    map: function () { return map; },
    sites: function () { return state.sites; },
    markerPositions: function () {
      return Object.keys(state.markers).map(function (k) {
        var ll = state.markers[k].getLatLng();
        return [ll.lat, ll.lng];
      });
    },
    toDisplay: toDisplay,
    toWgs: toWgs,
    openNow: function () { return state.openNow; },
    markerOf: function (id) { return state.markers[state.keyOf[id]]; },
    formatUncertainty: formatUncertainty
  };
})();
