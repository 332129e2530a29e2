"""The printed route sheet as a guide uses it, end to end: the QR code of
every stop, decoded from the rendered PDF page (pdftoppm, then zbarimg of
Debian's zbar-tools), is the site's page, which answers 200; the PDF's
text in reading order (pdftotext -layout), each stop's summary right
under its name and never separated from it; ten stops on one page, twenty
on two; a Monday plan that leaves out the hall closed on Mondays says why
in JSON, HTML and PDF alike; the HTML and PDF sheets carry the same
content (each stop's time, hours that day and leg, and the address of a
stop whose position is approximate)."""
import glob
import html
import re
import subprocess
import tempfile
import urllib.parse

from harness import *

srv = None
SITES = {r["id"]: r for r in bundled_sites()}
FROM = "36.85,118.10"
MONDAY = "2025-05-12"
HALL = "zb-heitieshan-memorial"


def sheet(query, fmt):
    r = srv.get("/route?from=%s&%s&format=%s" % (FROM, query, fmt))
    assert r.status == 200, r
    return r.body


def plan(query):
    doc = json.loads(sheet(query, "json"))
    return doc["features"][0]["properties"], [f for f in doc["features"][1:] if f["properties"]["kind"] == "stop"]


def pdf_pages(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdfinfo", f.name], capture_output=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return int(re.search(rb"Pages:\s+(\d+)", out.stdout).group(1))


def pdf_text(data, layout=True):
    """The PDF's text: in the page's layout, else by blocks (a cell's
    wrapped lines together, not beside the next column's)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdftotext"] + (["-layout"] if layout else []) + [f.name, "-"], capture_output=True,
                             timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.decode("utf-8")


def qr_codes(data):
    """Every QR code zbarimg finds on the PDF's pages rendered at 300 dpi."""
    with tempfile.TemporaryDirectory() as d:
        pdf = os.path.join(d, "sheet.pdf")
        with open(pdf, "wb") as f:
            f.write(data)
        out = subprocess.run(["pdftoppm", "-r", "300", "-png", pdf, os.path.join(d, "p")], capture_output=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        codes = []
        for png in sorted(glob.glob(os.path.join(d, "p-*.png"))):
            out = subprocess.run(["zbarimg", "--raw", "-q", png], capture_output=True, timeout=120)
            assert out.returncode in (0, 4), out  # 4: no code on that page
            codes += [l for l in out.stdout.decode().splitlines() if l]
        return codes


def site_url(i):
    return srv.base + "/collections/sites/items/" + urllib.parse.quote(i, safe="")


def test_qr_codes_lead_to_the_pages():
    _, stops = plan("nearest=6")
    codes = qr_codes(sheet("nearest=6", "pdf"))
    want = [site_url(f["id"]) for f in stops]
    assert sorted(codes) == sorted(want), (codes, want)
    for url in codes:
        page = srv.get_url(url, headers={"Accept": "text/html"})
        assert page.status == 200 and page.header("content-type").startswith("text/html"), (url, page)


def test_reading_order():
    summary, stops = plan("nearest=6&date=2025-05-13&mode=drive")
    text = pdf_text(sheet("nearest=6&date=2025-05-13&mode=drive", "pdf"))
    lines = text.splitlines()
    # the title, the day, then the map's legend, then the table
    pos = [text.index(s) for s in ("红色教育路线", "日期 Date: 2025-05-13 周二", "图例", "序号")]
    assert pos == sorted(pos), pos
    names = [SITES[f["id"]]["name_zh"] for f in stops]
    at = [next(n for n, l in enumerate(lines) if name in l and "图例" not in l) for name in names]
    assert at == sorted(at), at
    for k, f in enumerate(stops):
        p = f["properties"]
        row = lines[at[k]:at[k + 1] if k + 1 < len(at) else len(lines)]
        first = row[0]
        # the row's first line: number, name, and the visit's time beside them
        assert first.strip().startswith(str(k + 1)) and p["visit_start"] + "–" + p["depart"] in first, first
        desc = SITES[f["id"]]["description"]
        if desc:
            # the summary starts within the row: the heading is never alone
            joined = "".join(l.strip() for l in row)
            assert desc[:12] in joined, (desc[:12], row)


def test_page_counts():
    assert pdf_pages(sheet("nearest=10", "pdf")) == 1
    assert pdf_pages(sheet("nearest=10&date=%s&mode=drive" % MONDAY, "pdf")) == 1
    assert pdf_pages(sheet("nearest=20&mode=drive", "pdf")) == 2
    assert pdf_pages(sheet("nearest=20&date=2025-05-13&mode=drive", "pdf")) == 2


def test_monday_reason_everywhere():
    q = "nearest=6&date=%s&mode=drive" % MONDAY
    summary, stops = plan(q)
    assert HALL not in [f["id"] for f in stops] and summary["missed"][0]["reason_zh"] == "周一闭馆"
    page = html.unescape(re.sub(r"<[^>]+>", " ", sheet(q, "html").decode("utf-8")))
    text = pdf_text(sheet(q, "pdf"))
    for doc in (page, text):
        assert "未能安排" in doc and "Not in the plan" in doc, doc[:500]
        assert re.search(SITES[HALL]["name_zh"] + r"\s*：\s*周一闭馆\s+closed on Mondays", doc), doc[:1500]


def test_same_content():
    q = "nearest=6&date=2025-05-13&start=08:00&mode=drive"
    _, stops = plan(q)
    page = html.unescape(re.sub(r"<[^>]+>", " ", sheet(q, "html").decode("utf-8")))
    data = sheet(q, "pdf")
    squash = lambda s: re.sub(r"\s+", "", s)
    page, text, blocks = squash(page), squash(pdf_text(data)), squash(pdf_text(data, layout=False))
    for f in stops:
        p = f["properties"]
        for s in (SITES[f["id"]]["name_zh"], p["visit_start"] + "–" + p["depart"], "参观%d分钟" % p["visit_min"]):
            assert squash(s) in page and squash(s) in text, (f["id"], s)
        if p["hours_on_day"]:
            assert squash("当天开放" + p["hours_on_day"]) in page and squash("当天开放" + p["hours_on_day"]) in text
        if p["leg_quality"] == "ok":
            assert squash(p["bearing"]) in page and squash(p["bearing"]) in text, p["bearing"]
        # a stop the map cannot pin is found by its address
        address = squash("地址" + SITES[f["id"]]["address"])
        if p["approximate"] and SITES[f["id"]]["address"]:
            assert address in page and address in blocks, (f["id"], address)
    for s in ("图例", "Natural Earth", "地图未含道路", "未使用道路网络"):
        assert squash(s) in page and squash(s) in text, s


if __name__ == "__main__":
    with Server() as srv:
        status = run(test_qr_codes_lead_to_the_pages, test_reading_order, test_page_counts,
                     test_monday_reason_everywhere, test_same_content)
    sys.exit(status)
