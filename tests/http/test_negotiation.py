"""Content negotiation and the HTML pages of the OGC resources.

"/" and every OGC resource answer JSON unless the client prefers
text/html (a browser's Accept does; */*, what OWSLib, curl and fetch()
send, does not); f= wins over Accept; negotiated answers say
Vary: Accept.  The pages are zh-CN unless lang= or Accept-Language asks
for English, link their JSON, and each site's page lives at the site's
permanent address with its map, position quality, Open Graph tags and
schema.org JSON-LD.  (The pages in a browser: tests/clients.)"""
import html.parser
import json
import urllib.parse

from harness import *

srv = None
ROWS = {r["id"]: r for r in bundled_sites()}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
OWSLIB = "*/*"  # requests' default, which OWSLib keeps
RESOURCES = ["/conformance", "/collections", "/collections/sites", "/collections/sites/items",
             "/collections/sites/items/zb-heitieshan-memorial"]
JSON_TYPES = ("application/json", "application/geo+json")


class Page(html.parser.HTMLParser):
    """The parts of a page the tests read: meta properties, links, the
    JSON-LD blocks, the text, and every script and style."""

    def __init__(self, text):
        super().__init__()
        self.meta, self.links, self.ld, self.scripts, self.text = {}, [], [], [], []
        self.inline_styles = 0
        self._script = None
        self.lang = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "style" in a or tag == "style":
            self.inline_styles += 1
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "meta" and "property" in a:
            self.meta[a["property"]] = a["content"]
        elif tag in ("a", "link"):
            self.links.append(a)
        elif tag == "script":
            self.scripts.append(a)
            self._script = [] if a.get("type") == "application/ld+json" else None

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.ld.append(json.loads("".join(self._script)))
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
        else:
            self.text.append(data)

    def all_text(self):
        return " ".join(self.text)


def get(path, accept=None, lang=None):
    headers = {}
    if accept is not None:
        headers["Accept"] = accept
    if lang is not None:
        headers["Accept-Language"] = lang
    return srv.get(path, headers=headers)


def is_html(r):
    return r.status == 200 and r.header("content-type") == "text/html; charset=utf-8"


def is_json(r):
    return r.status == 200 and r.header("content-type").split(";")[0] in JSON_TYPES


def test_root():
    # API clients get the landing page, browsers the map page
    for accept in (None, OWSLIB, "application/json", "text/html;q=0.5, application/json", "text/html;q=0"):
        r = get("/", accept)
        assert is_json(r) and "links" in r.json(), (accept, r)
        assert "Accept" in r.header("vary"), r.headers
    for accept in (BROWSER, "text/html", "text/*"):
        r = get("/", accept)
        assert is_html(r) and b'id="map"' in r.body, (accept, r)
        assert "Accept" in r.header("vary"), r.headers
    # f= wins over Accept
    assert is_json(get("/?f=json", BROWSER))
    assert is_html(get("/?f=html", OWSLIB))


def test_resources_json_or_html():
    for path in RESOURCES:
        for accept in (None, OWSLIB, "application/json, text/html", "application/geo+json"):
            r = get(path, accept)
            assert is_json(r), (path, accept, r)
            json.loads(r.body)
            assert "Accept" in r.header("vary"), (path, r.headers)
        r = get(path, BROWSER)
        assert is_html(r), (path, r)
        assert "Accept-Language" in r.header("vary"), (path, r.headers)
        sep = "&" if "?" in path else "?"
        assert is_html(get(path + sep + "f=html", OWSLIB)), path
        assert is_json(get(path + sep + "f=json", BROWSER)), path


def check_page(path, text):
    p = Page(text)
    assert p.inline_styles == 0, path
    assert all(s.get("type") == "application/ld+json" for s in p.scripts), (path, p.scripts)
    # the JSON alternate answers JSON, even to a browser
    alt = [l for l in p.links if l.get("rel") == "alternate" and l.get("type", "").endswith("json")]
    assert alt, (path, p.links)
    assert is_json(srv.get_url(alt[0]["href"], headers={"Accept": BROWSER})), alt[0]
    css = [l for l in p.links if l.get("rel") == "stylesheet"]
    assert len(css) == 1 and srv.get_url(css[0]["href"]).header("content-type").startswith("text/css"), css
    return p


def test_languages():
    for path in RESOURCES:
        zh = Page(get(path, BROWSER).body.decode())
        assert zh.lang == "zh-CN", path
        en = Page(get(path, BROWSER, "en-US,en;q=0.9,zh-CN;q=0.5").body.decode())
        assert en.lang == "en", path
        # lang= wins over Accept-Language, and the language link leads to the other one
        sep = "&" if "?" in path else "?"
        forced = Page(get(path + sep + "lang=zh-CN", BROWSER, "en").body.decode())
        assert forced.lang == "zh-CN", path
        other = [l for l in forced.links if l.get("class") == "lang"][0]
        assert Page(srv.get_url(other["href"]).body.decode()).lang == "en", other
        check_page(path, get(path, BROWSER).body.decode())


def test_site_page():
    sid = "zb-heitieshan-memorial"
    row = ROWS[sid]
    url = srv.base + "/collections/sites/items/" + sid
    r = get("/collections/sites/items/" + sid, BROWSER)
    p = check_page(sid, r.body.decode())
    canonical = [l for l in p.links if l.get("rel") == "canonical"]
    assert canonical and canonical[0]["href"] == url, canonical
    # Open Graph: a card for chats
    assert p.meta["og:url"] == url and p.meta["og:type"] == "place", p.meta
    assert row["name_zh"] in p.meta["og:title"] and row["name_en"] in p.meta["og:title"], p.meta
    card = srv.get_url(p.meta["og:image"])
    assert card.status == 200 and card.header("content-type") == "image/png", card
    assert abs(float(p.meta["place:location:latitude"]) - float(row["lat"])) < 1e-6
    # JSON-LD: schema.org, both names, where it is
    ld = p.ld[0]
    assert ld["@type"] == ["TouristAttraction", "LandmarksOrHistoricalBuildings"], ld
    names = {n["@language"]: n["@value"] for n in ld["name"]}
    assert names == {"zh-CN": row["name_zh"], "en": row["name_en"]}, names
    assert ld["@id"] == url and ld["url"] == url
    assert abs(ld["geo"]["latitude"] - float(row["lat"])) < 1e-6
    assert abs(ld["geo"]["longitude"] - float(row["lon"])) < 1e-6
    assert ld["address"]["streetAddress"] == row["address"] and ld["address"]["addressCountry"] == "CN"
    quality = {x["name"]: x["value"] for x in ld["additionalProperty"]}
    assert quality["position_quality"] == row["position_quality"], quality
    assert quality["position_uncertainty_m"] == float(row["position_uncertainty_m"]), quality
    # the page says how good the position is, and shows a map
    text = p.all_text()
    assert "±100 m" in text, text
    src = r.body.decode().split('<figure class="map"><img src="')[1].split('"')[0].replace("&amp;", "&")
    m = srv.get_url(src)
    assert m.status == 200 and m.header("content-type") == "image/png", (src, m)


def test_approximate_site_says_so():
    approx = [i for i, r in ROWS.items() if r["position_quality"] in ("village", "town", "county", "unknown")]
    assert approx
    p = Page(get("/collections/sites/items/" + approx[0], BROWSER).body.decode())
    assert "位置为近似" in p.all_text(), p.all_text()
    p = Page(get("/collections/sites/items/" + approx[0] + "?lang=en", BROWSER).body.decode())
    assert "approximate" in p.all_text(), p.all_text()


def test_items_page():
    r = get("/collections/sites/items?limit=7&offset=7&category=museum,memorial_hall", BROWSER)
    p = check_page("items", r.body.decode())
    body = r.body.decode()
    doc = get("/collections/sites/items?limit=7&offset=7&category=museum,memorial_hall").json()
    # the same sites, in the same order, numbered from 1 as on the map
    got = [x.split('"')[0] for x in body.split('<tr data-id="')[1:]]
    assert got == [f["id"] for f in doc["features"]], (got, doc)
    rels = {l.get("rel"): l["href"] for l in p.links if l.get("rel") in ("prev", "next")}
    want = {"prev", "next"} if doc["numberMatched"] > 14 else {"prev"}
    assert set(rels) == want, (rels, doc["numberMatched"])
    prev = srv.get_url(rels["prev"], headers={"Accept": BROWSER})
    assert is_html(prev) and "offset=0" in rels["prev"], rels
    src = body.split('<figure class="map"><img src="')[1].split('"')[0].replace("&amp;", "&")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(src).query)
    assert len(q["markers"][0].split("|")) == doc["numberReturned"], q
    assert srv.get_url(src).header("content-type") == "image/png"
    downloads = [l["href"] for l in p.links if l.get("type") == "text/csv"]
    assert downloads and srv.get_url(downloads[0]).header("content-type").startswith("text/csv")


def test_unknown_site_is_a_problem():
    check_problem(get("/collections/sites/items/nope", BROWSER), 404, "nope")


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_root, test_resources_json_or_html, test_languages, test_site_page,
                     test_approximate_site_says_so, test_items_page, test_unknown_site_is_a_problem)
    sys.exit(status)
