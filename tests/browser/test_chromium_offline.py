"""The test browser cannot reach outside this machine (BROWSER.md, pitfall 10).

Two independent locks, each checked by what Chromium reports, without any outside traffic:
a host name other than 127.0.0.1 does not resolve (``--host-resolver-rules``: even
``localhost`` fails, which a normal resolver answers), and an address given as a number
is sent to a closed local proxy port (``--proxy-server``), so it fails at the proxy
instead of going out. A page on 127.0.0.1 still loads.
"""

from __future__ import annotations

import http.server
import threading

import pytest


@pytest.fixture()
def local_page(tmp_path):
    (tmp_path / "index.html").write_text("<title>local page</title><p>served on 127.0.0.1</p>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args):  # keep the test output clean
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _net_error(driver, url: str) -> str:
    """Chromium's net::ERR_... code for loading ``url`` ("" when the page loaded)."""
    from selenium.common.exceptions import WebDriverException

    try:
        driver.get(url)
    except WebDriverException as err:
        msg = str(err)
        start = msg.find("net::ERR_")
        return msg[start:].split()[0] if start >= 0 else msg[:200]
    return ""


def test_only_127_0_0_1_is_reachable(chromium, local_page):
    port = local_page
    assert _net_error(chromium, f"http://127.0.0.1:{port}/") == ""
    assert chromium.title == "local page"
    # names do not resolve, not even localhost: no DNS query leaves the browser
    assert _net_error(chromium, f"http://localhost:{port}/") == "net::ERR_NAME_NOT_RESOLVED"
    # numeric addresses go to the closed proxy port: 192.0.2.1 is TEST-NET-1 (RFC 5737)
    assert _net_error(chromium, "http://192.0.2.1/") == "net::ERR_PROXY_CONNECTION_FAILED"
    assert _net_error(chromium, "https://pypi.org/simple/") == "net::ERR_PROXY_CONNECTION_FAILED"
