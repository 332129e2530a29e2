"""Request parameters against the real server, from the API's own
description: every path of /api refuses an unknown or repeated query
parameter with a 400 problem naming it; /api lists what the routes take
(the twelve /staticmap.png parameters, title on /route, coordsys on
/tiles.json...); and the table of bad values in
tests/data/http/bad_params.txt, one case per line, covers every typed
parameter of /api and is refused with a detail that names the parameter,
quotes the value and says what is allowed.

That /api equals each route's parameter table is
tests/unit/test_http_params.c's; that /api is valid OpenAPI 3.0 is
tests/openapi's."""
import os
import re
import urllib.parse

from harness import *

srv = None
API = None
CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "http", "bad_params.txt")
UNKNOWN = "mapsvc_unknown"
# Free text: every value is well formed (an unknown featureId is a 404 of
# the item, tested in test_items.py; a filter's errors say where they are,
# tested in test_filter.py).
FREE_TEXT = {"q", "title", "featureId", "filter"}


def api_paths():
    return API["paths"]


def params_of(template):
    return api_paths()[template]["get"]["parameters"]


def template_of(path):
    """The /api path a concrete path routes to (first match, as the server)."""
    for t in api_paths():
        rx = "^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(t)) + "$"
        m = re.match(rx, path)
        if m:
            names = re.findall(r"\{([^}]+)\}", t)
            return t, dict(zip(names, (urllib.parse.unquote(v) for v in m.groups())))
    return None, {}


def concrete(template):
    """A path of the template that names a resource."""
    one_site = bundled_sites()[0]["id"]
    values = {"collectionId": "sites", "featureId": one_site, "style": "print", "z": "3", "x": "1", "y": "1",
              "styleId": "print", "tileMatrixSetId": "WebMercatorQuad", "tileMatrix": "3", "tileRow": "3",
              "tileCol": "6"}
    # a versioned tile's current version, as TileJSON names it
    values["version"] = re.search(r"/([0-9a-f]{16}-[0-9a-f]{16})/", srv.get("/tiles/print.json").json()["tiles"][0]).group(1)
    return re.sub(r"\{([^}]+)\}", lambda m: urllib.parse.quote(values[m.group(1)], safe=""), template)


def fmt(v):
    return "%.10g" % v


def allowed_fragments(schema):
    """What a detail must say is allowed, from the parameter's schema."""
    if "enum" in schema:
        return [str(v) for v in schema["enum"]]
    if schema.get("type") in ("integer", "number"):
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if lo is not None and hi is not None:
            return ["%s..%s" % (fmt(lo), fmt(hi))]
        if lo is not None:
            return [">= " + fmt(lo)]
    if schema.get("type") == "array" and "enum" in schema.get("items", {}):
        return list(schema["items"]["enum"])
    return []


def test_api_lists_what_routes_take():
    names = lambda t: [p["name"] for p in params_of(t)]
    assert set(names("/staticmap.png")) == {"bbox", "center", "zoom", "width", "height", "scale", "style",
                                            "coordsys", "start", "markers", "line", "return"}, names("/staticmap.png")
    assert len(names("/staticmap.png")) == 12
    assert "title" in names("/route")
    assert names("/tiles.json") == ["coordsys"]
    for t in ("/tiles/{z}/{x}/{y}.png", "/tiles/{z}/{x}/{y}@2x.png"):
        assert names(t) == ["z", "x", "y", "coordsys", "filter", "filter-lang", "filter-crs"], (t, names(t))
        z = params_of(t)[0]
        assert z["in"] == "path" and z["required"] and z["schema"]["maximum"] == 20  # --max-zoom
    limit = [p for p in params_of("/nearest") if p["name"] == "limit"][0]
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 5}, limit
    cat = [p for p in params_of("/collections/{collectionId}/items") if p["name"] == "category"][0]
    # another name matches nothing, so the values are no enum: the description lists them
    assert cat["schema"]["type"] == "array" and "enum" not in cat["schema"]["items"], cat
    assert "museum" in cat["description"] and "matches nothing" in cat["description"], cat
    items = names("/collections/{collectionId}/items")
    for name in ("filter", "filter-lang", "filter-crs", "sortby", "datetime", "lang"):
        assert name in items, (name, items)
    lang = [p for p in params_of("/collections/{collectionId}/items") if p["name"] == "filter-lang"][0]
    assert lang["schema"]["enum"] == ["cql2-text", "cql2-json", "cql-text"], lang


def test_every_route_refuses_unknown_and_repeated():
    paths = [concrete(t) for t in api_paths()]
    # The map page's own files and settings are no part of the API, but
    # refuse what they do not take all the same.
    paths += ["/config.json", "/static/app.js", "/static/basemap/provinces.geojson"]
    for path in paths:
        r = srv.get(path + "?" + UNKNOWN + "=1")
        p = check_problem(r, 400, UNKNOWN)
        assert path.split("?")[0] in p["detail"], p
    for t in api_paths():
        for prm in params_of(t):
            if prm["in"] != "query":
                continue
            q = "%s=x&%s=x" % (prm["name"], prm["name"])
            check_problem(srv.get(concrete(t) + "?" + q), 400, "'%s' given more than once" % prm["name"])


def read_cases():
    cases = []
    with open(CASES, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            status, name, target = line.split(" ", 2)
            cases.append(("%s:%d" % (os.path.basename(CASES), n), int(status), name, target))
    return cases


def test_bad_values_table():
    cases = read_cases()
    assert len(cases) >= 100, len(cases)
    covered = set()
    for where, status, name, target in cases:
        path, _, query = target.partition("?")
        template, path_values = template_of(path)
        r = srv.get(target)
        p = check_problem(r, status, name)
        detail = p["detail"]
        if template is None:
            raise AssertionError("%s: %s routes to no /api path" % (where, target))
        spec = [x for x in params_of(template) if x["name"] == name]
        assert spec, "%s: %s takes no parameter %s" % (where, template, name)
        covered.add((template, name))
        given = dict(urllib.parse.parse_qsl(query, keep_blank_values=True)).get(name, path_values.get(name))
        if given is not None and given != "":
            # what was given ...
            assert "'%s'" % given in detail, "%s: detail %r does not quote %r" % (where, detail, given)
        elif given is None:
            assert "required" in detail, "%s: %r" % (where, detail)
        # ... and what is allowed (the handler's own refusals, of styles by
        # name, have no range to give)
        for frag in allowed_fragments(spec[0]["schema"]):
            assert frag in detail, "%s: detail %r does not say %r is allowed" % (where, detail, frag)
        if status == 404 and spec[0]["in"] == "path" and spec[0]["schema"]["type"] != "string":
            assert "no resource at" in detail, (where, detail)
    missing = sorted("%s %s" % (t, prm["name"]) for t in api_paths() for prm in params_of(t)
                     if prm["name"] not in FREE_TEXT and (t, prm["name"]) not in covered)
    assert not missing, "parameters of /api without a bad case in %s: %s" % (CASES, missing)


def test_good_values_still_served():
    # The same routes answer 200 with good values: the table refuses only what it should.
    for path in ("/nearest?lat=36.85&lon=118.1&limit=007&coordsys=GCJ02&category=museum,monument",
                 "/collections/sites/items?limit=5000&crs=%5BEPSG:4326%5D&f=geojson",
                 "/tiles/3/6/3@2x.png?coordsys=gcj02", "/tiles/print.json?coordsys=wgs84",
                 "/staticmap.png?markers=36.8,118.1%7C36.9,118.2&width=100&height=80&line=0",
                 "/route?from=36.85,118.1&nearest=2&mode=drive&format=gpx&title=%E7%BA%A2",
                 "/collections/sites/items?category=castle&sortby=%2Bname_zh,-category&datetime=2024-05-01/..",
                 "/collections/sites/items?f=html", "/conformance?f=html&lang=en",
                 "/collections/sites/map/tiles/GCJ02WebMercatorQuad/3/3/6"):
        r = srv.get(path)
        assert r.status == 200, (path, r)


if __name__ == "__main__":
    with Server() as srv:
        API = srv.get("/api").json()
        status = run(test_api_lists_what_routes_take, test_every_route_refuses_unknown_and_repeated,
                     test_bad_values_table, test_good_values_still_served)
    sys.exit(status)
