"""Every lesson page renders its equations, figures and the explorer's still with no network.

The lessons are executed once (``mixedlab lessons``' runner) and each HTML page is opened from
disk in headless Chromium that cannot reach any host: outside names do not resolve
(``--host-resolver-rules``), every request goes to a closed local proxy port, and background
services are off. Chromium's own network log (DevTools ``Network.requestWillBeSent``) must then
show no request other than the page file and inline ``data:`` resources.

Self-contained on purpose: it shares no fixtures with the other browser tests.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("nbclient", reason="the lessons extra is needed to execute the lessons")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the browser extra")

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
LESSONS = Path(__file__).resolve().parents[2] / "lessons"


def _closed_port() -> int:
    """A local port nobody listens on: the proxy every request is sent to, and refused by."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    from mixedlab.lessons import run_lessons

    out = tmp_path_factory.mktemp("offline-pages")
    results = run_lessons(LESSONS, out, progress=False, html=True)
    assert all(r.ok for r in results), [(r.name, r.error) for r in results if not r.ok]
    _FIGURES.update({r.name: _figure_outputs(r.notebook) for r in results})
    return {r.name: r.html for r in results}


_FIGURES: dict[str, int] = {}


def _figure_outputs(notebook: Path) -> int:
    """How many raster figures (PNG/JPEG outputs) the executed notebook holds: its page draws each as an img."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    kinds = ("image/png", "image/jpeg")
    return sum(1 for cell in nb["cells"] if cell.get("cell_type") == "code"
               for out in cell.get("outputs", []) if any(k in out.get("data", {}) for k in kinds))


@pytest.fixture(scope="module")
def browser():
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        message = f"Chromium and chromedriver are needed at {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        # the same rule as the other browser tests: required when asked, and in CI unless told not
        required = os.environ.get("MIXEDLAB_REQUIRE_BROWSER")
        if required == "1" or (required != "0" and (os.environ.get("MIXEDLAB_REQUIRE_R") == "1"
                                                     or os.environ.get("CI") == "true")):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="mixedlab-chromium-")
    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1280,1000",
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                 f"--proxy-server=http://127.0.0.1:{_closed_port()}", "--proxy-bypass-list=<-loopback>",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-default-apps", "--disable-extensions",
                 "--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    try:
        driver.get("about:blank")
        driver.get_log("performance")  # the start-up tab's requests are not the pages'
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


_PAGE_STATE = """
const visible = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
const maths = [...document.querySelectorAll('math')];
const imgs = [...document.querySelectorAll('img')];
const svgs = [...document.querySelectorAll('svg')];
// text the reader sees, outside code: raw TeX there means an equation did not render
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const prose = [];
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  if (!n.parentElement.closest('pre, code, script, style, .jp-OutputArea')) prose.push(n.textContent);
}
const still = document.querySelector('.mixedlab-explorer-static svg');
return {
  ready: document.readyState,
  maths: maths.length,
  mathsVisible: maths.filter(visible).length,
  mathDisplays: [...new Set(maths.map(m => getComputedStyle(m).display))],
  imgs: imgs.length,
  imgsDrawn: imgs.filter(i => i.complete && i.naturalWidth > 0 && visible(i)).length,
  svgs: svgs.length,
  svgsVisible: svgs.filter(visible).length,
  prose: prose.join(' '),
  still: still ? visible(still) : null,
  blankWidgets: [...document.querySelectorAll('.jupyter-widgets')].filter(w => !w.textContent.trim()).length,
  bodyText: document.body.innerText,
};
"""


def _requests(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def _math_in_source(name: str) -> bool:
    import nbformat

    from mixedlab.lessons._pages import markdown_math_to_placeholders

    nb = nbformat.read(LESSONS / f"{name}.ipynb", as_version=4)
    store: list = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            markdown_math_to_placeholders(cell.source, store)
    return bool(store)


def _hidden_svgs(name: str) -> int:
    """Inline SVGs that are not drawn on purpose (none so far)."""
    return 0


def test_every_lesson_page_renders_offline(pages, browser, tmp_path):
    assert len(pages) >= 4
    for name, page in pages.items():
        browser.get_log("performance")  # drop what earlier pages logged
        browser.get(page.as_uri())
        state = browser.execute_script(_PAGE_STATE)
        browser.save_screenshot(str(tmp_path / f"{name}.png"))
        requests = _requests(browser)
        # the browser's own pages (chrome:) never leave the machine; everything else must be the file
        outside = [u for u in requests if not u.startswith(("file:", "data:", "about:", "chrome:", "blob:"))]
        assert not outside, f"{name} asked the network for {outside}"
        assert state["ready"] == "complete"
        # equations: MathML laid out by the browser's math engine, and no raw TeX left in the prose
        if _math_in_source(name):
            assert state["maths"] > 0 and state["mathsVisible"] == state["maths"], (name, state["maths"])
            assert all("math" in d for d in state["mathDisplays"]), (name, state["mathDisplays"])
        for tex in ("$$", "\\beta", "\\sigma", "\\frac", "_{", "\\sim"):
            assert tex not in state["prose"], f"{name} shows raw TeX {tex!r}"
        # figures: every image decoded and drawn, every inline drawing laid out
        assert state["imgsDrawn"] == state["imgs"], (name, state["imgs"], state["imgsDrawn"])
        # every figure the executed lesson drew is on its page (the explorer's still is an SVG)
        assert state["imgs"] >= _FIGURES[name], (name, state["imgs"], _FIGURES[name])
        assert state["svgsVisible"] == state["svgs"] - _hidden_svgs(name), (name, state["svgs"], state["svgsVisible"])
        # widget cells: a still drawing, never an empty widget area or a Python repr
        assert state["blankWidgets"] == 0, name
        assert "VBox(" not in state["bodyText"], name
    explorer = next(n for n in pages if n.startswith("04_"))
    browser.get(pages[explorer].as_uri())
    assert browser.execute_script(_PAGE_STATE)["still"] is True
