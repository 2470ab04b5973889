"""Fixtures for the browser tests: an offline headless Chromium and private Jupyter servers.

``chromium``
    A Selenium WebDriver for Debian's headless Chromium with a private profile and no way
    out of this machine (:mod:`_browser_env`); one per session.
``jupyter_server``
    ``jupyter_server("lab")`` or ``jupyter_server("notebook")``: a private JupyterLab or
    Notebook 7 server on 127.0.0.1 (:mod:`_jupyter_server`), started once per session.
``open_notebook``
    ``open_notebook(frontend, path)``: a fresh copy of a notebook (outputs cleared) opened
    in that frontend with its kernel started and idle (:class:`_notebook_page.NotebookPage`).
``browser_build_dir``
    ``build/browser/`` in the repository, for screenshots a person can look at.
``redraw_log``
    Where tests record measured redraw times; the terminal summary prints them per
    frontend and input kind (timings are reported, never asserted).

When Chromium, chromedriver or the ``browser`` extra is missing, tests that use these
fixtures are skipped with an install hint, or fail with it when the browser is required
(:func:`_browser_env.must_run`: ``MIXEDLAB_REQUIRE_BROWSER=1``, or ``MIXEDLAB_REQUIRE_R=1`` / ``CI=true``
unless ``MIXEDLAB_REQUIRE_BROWSER=0``).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import _browser_env

REPO = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO / "build" / "browser"

# Everything started here, stopped on teardown and also on SIGTERM (a cancelled CI job must
# not leave a browser or a Jupyter server behind).
_CLEANUPS: list[Callable[[], None]] = []
_REDRAWS: list[dict] = []


def _run_cleanups() -> None:
    while _CLEANUPS:
        fn = _CLEANUPS.pop()
        try:
            fn()
        except Exception:  # noqa: BLE001 - best effort while shutting down
            pass


def _on_sigterm(signum, _frame) -> None:
    _run_cleanups()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _register(fn: Callable[[], None]) -> None:
    if not _CLEANUPS and signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _on_sigterm)
    _CLEANUPS.append(fn)


def _unregister(fn: Callable[[], None]) -> None:
    if fn in _CLEANUPS:
        _CLEANUPS.remove(fn)


@pytest.fixture(scope="session")
def browser_requirements() -> None:
    """Skip (or fail, when required) unless Chromium, chromedriver and the extras are present."""
    absent = _browser_env.missing()
    if not absent:
        return
    message = f"the browser tests need {', '.join(absent)}. {_browser_env.INSTALL_HINT}"
    if _browser_env.must_run():
        pytest.fail(message + "  (required here: set MIXEDLAB_REQUIRE_BROWSER=0 to skip instead)",
                    pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_build_dir() -> Path:
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    return BUILD_DIR


@pytest.fixture(scope="session")
def chromium(browser_requirements, tmp_path_factory) -> Iterator:
    """A headless, offline Chromium (Selenium WebDriver) with a private profile."""
    base = tmp_path_factory.mktemp("chromium")
    driver = _browser_env.new_driver(base / "profile", base / "chromedriver.log")
    _register(driver.quit)
    try:
        yield driver
    finally:
        _unregister(driver.quit)
        driver.quit()


@pytest.fixture(scope="session")
def jupyter_server(browser_requirements, tmp_path_factory) -> Iterator[Callable]:
    """``jupyter_server(frontend)``: the session's private server for "lab" or "notebook"."""
    from _jupyter_server import start_server

    servers: dict = {}

    def get(frontend: str):
        if frontend not in servers:
            server = start_server(frontend, tmp_path_factory.mktemp(f"jupyter-{frontend}"))
            _register(server.stop)
            servers[frontend] = server
        return servers[frontend]

    try:
        yield get
    finally:
        for server in servers.values():
            _unregister(server.stop)
            server.stop()


@pytest.fixture(scope="session")
def open_notebook(chromium, jupyter_server) -> Iterator[Callable]:
    """``open_notebook(frontend, path)``: a fresh copy of the notebook open with an idle kernel.

    The copy has its outputs and prompt numbers cleared (so "every prompt numbered" means
    this run numbered them) and a unique name (so no two pages share a kernel). The page's
    kernel is shut down when the next notebook is opened and at the end of the session.
    """
    import nbformat

    from _notebook_page import NotebookPage

    opened: list = []

    def close_previous() -> None:
        while opened:
            page = opened.pop()
            page.server.shutdown_kernels()

    def open_(frontend: str, path: Path) -> NotebookPage:
        close_previous()
        server = jupyter_server(frontend)
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        name = f"{path.stem}-{frontend}-{uuid.uuid4().hex[:8]}.ipynb"
        nbformat.write(nb, server.root / name)
        page = NotebookPage(chromium, server, name)
        opened.append(page)
        page.open()
        return page

    try:
        yield open_
    finally:
        try:
            close_previous()
        except Exception:  # noqa: BLE001 - the servers stop next anyway
            pass


@pytest.fixture(scope="session")
def redraw_log(browser_build_dir) -> Iterator[list[dict]]:
    """A list the tests append redraw measurements to (dicts with frontend, explorer, kind, ms)."""
    yield _REDRAWS
    if _REDRAWS:
        (browser_build_dir / "redraw_times.json").write_text(json.dumps(_REDRAWS, indent=1))


def redraw_summary(records: list[dict]) -> list[str]:
    """One line per (frontend, explorer, input kind): count, median and range in ms."""
    groups: dict[tuple, list[float]] = {}
    for r in records:
        groups.setdefault((r["frontend"], r["explorer"], r["kind"]), []).append(r["ms"])
    lines = []
    for (frontend, explorer, kind), ms in sorted(groups.items()):
        lines.append(f"{frontend:9s} {explorer:16s} {kind:9s} n={len(ms):2d}  "
                     f"median {statistics.median(ms):6.1f} ms  range {min(ms):6.1f}-{max(ms):6.1f} ms")
    return lines


def pytest_terminal_summary(terminalreporter) -> None:
    if not _REDRAWS:
        return
    terminalreporter.write_sep("-", "browser: slider input to new drawing, on the browser's clock")
    for line in redraw_summary(_REDRAWS):
        terminalreporter.write_line(line)
