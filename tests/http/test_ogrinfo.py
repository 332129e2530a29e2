"""GDAL's OGC API - Features driver reads the service as it is: it lists
the `sites` layer and reads all 25 features through the paging links.

GDAL is kept to this server: every other host would go through a proxy
address where nothing listens (GDAL_HTTP_PROXY), while NO_PROXY lets the
loopback requests through directly."""
import shutil
import subprocess

from harness import *

srv = None


def ogrinfo(*args):
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(GDAL_HTTP_PROXY="127.0.0.1:9", NO_PROXY="127.0.0.1", no_proxy="127.0.0.1",
               GDAL_HTTP_TIMEOUT="30", GDAL_HTTP_MAX_RETRY="0", CPL_DEBUG="OFF")
    out = subprocess.run(["ogrinfo", "--config", "GDAL_HTTP_PROXY", "127.0.0.1:9"] + list(args),
                         capture_output=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return out.stdout.decode("utf-8")


def test_lists_layer():
    text = ogrinfo("OAPIF:" + srv.base)
    assert "1: sites" in text and "(Point)" in text, text


def test_reads_features():
    text = ogrinfo("-al", "-q", "OAPIF:" + srv.base, "sites")
    feats = [l for l in text.splitlines() if l.startswith("OGRFeature(sites)")]
    assert len(feats) == 25, text[:2000]
    ids = {r["id"] for r in bundled_sites()}
    got = {l.split("=", 1)[1].strip() for l in text.splitlines() if l.strip().startswith("id (String) =")}
    assert got == ids, (got ^ ids)
    assert "黑铁山抗日武装起义纪念馆" in text
    assert "POINT (118.160735 36.849547)" in text, text[:2000]


if __name__ == "__main__":
    if not shutil.which("ogrinfo"):
        print("ogrinfo (gdal-bin) is not installed")
        sys.exit(1)
    with Server() as srv:
        status = run(test_lists_layer, test_reads_features)
    sys.exit(status)
