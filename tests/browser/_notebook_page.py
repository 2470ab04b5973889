"""One notebook open in JupyterLab or Notebook 7: wait for the kernel, run all, wait for the end.

Both frontends are built from JupyterLab's components, so the same selectors serve both
(BROWSER.md, "Facts about the page"). The waits poll one JavaScript snapshot of the page
(:data:`_STATE_JS`) and follow BROWSER.md's robust waits:

* the kernel is ready when the toolbar names a kernel *and* the execution indicator says
  idle (pitfall 2: "idle" alone shows for a second while there is "No Kernel");
* Run All is done when every code cell's prompt has a number *and* the kernel is idle
  (pitfall 3);
* a dialog, an error output ("Traceback (most recent call last)"), a widget shown as
  plain text ("VBox(...)": the widget frontend is missing, pitfall 8) or a widget the page
  could not display fail the wait at once instead of timing out.

Timeouts are generous (the machine may be shared and slow); definite errors are not waited out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

__all__ = ["PageError", "NotebookPage", "wait_for", "KERNEL_READY_TIMEOUT", "RUN_ALL_TIMEOUT"]

# Seconds. A quiet machine needs 2-5 s to a ready kernel and 1-2 s for Run All (BROWSER.md);
# these leave room for a machine shared by many jobs. Definite errors fail at once.
PAGE_LOAD_TIMEOUT = 240.0
KERNEL_READY_TIMEOUT = 300.0
RUN_ALL_TIMEOUT = 600.0
POLL = 0.1


class PageError(AssertionError):
    """The page showed a definite error (a dialog, a traceback, a widget without frontend)."""


# One round trip per poll: everything the waits look at.
_STATE_JS = r"""
const text = el => (el ? el.textContent : '');
const all = s => Array.from(document.querySelectorAll(s));
const kernel = all('.jp-Toolbar-kernelName').map(e => e.textContent.trim());
const status = all('.jp-Notebook-ExecutionIndicator').map(e => e.getAttribute('data-status'));
const prompts = all('.jp-CodeCell .jp-InputPrompt').map(e => e.textContent.trim());
const outputs = all('.jp-OutputArea-output');
const dialogs = all('.jp-Dialog').map(e => e.innerText.trim().slice(0, 500));
let traceback = null, plainWidget = null, widgetError = null;
for (const o of outputs) {
  const t = o.textContent;
  if (traceback === null && t.includes('Traceback (most recent call last)')) traceback = o.innerText.slice(0, 3000);
  if (plainWidget === null && !o.querySelector('.jupyter-widgets') && /^\s*(VBox|HBox|IntSlider|FloatSlider)\(/.test(t))
    plainWidget = t.slice(0, 300);
  if (widgetError === null && /Error displaying widget|Failed to load model class|model not found/.test(t))
    widgetError = o.innerText.slice(0, 1000);
}
return {kernel, status, prompts, dialogs, traceback, plainWidget, widgetError,
        sliders: document.querySelectorAll('.jp-OutputArea-output .widget-slider').length,
        title: document.title};
"""


def wait_for(driver, timeout: float, condition: Callable[[], Any], what: str) -> Any:
    """Poll ``condition`` until it returns something truthy; its exceptions end the wait at once.

    Raises
    ------
    TimeoutError
        After ``timeout`` seconds without success, naming ``what`` was awaited.
    """
    try:
        return WebDriverWait(driver, timeout, poll_frequency=POLL, ignored_exceptions=()).until(
            lambda _d: condition())
    except TimeoutException:
        raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}") from None


class NotebookPage:
    """A notebook opened in a browser tab of a :class:`~_jupyter_server.JupyterServer`.

    Parameters
    ----------
    driver : selenium WebDriver
    server : JupyterServer
    notebook : str
        Path of the notebook relative to the server's root folder.
    """

    def __init__(self, driver, server, notebook: str) -> None:
        self.driver = driver
        self.server = server
        self.notebook = notebook
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------ state and errors
    def state(self) -> dict:
        """The page snapshot of :data:`_STATE_JS`."""
        return self.driver.execute_script(_STATE_JS)

    def check_errors(self, state: dict | None = None, *, tracebacks: bool = True) -> dict:
        """Raise :class:`PageError` for a definite error on the page; return the snapshot."""
        s = state if state is not None else self.state()
        where = f"{self.server.frontend}, {self.notebook}"
        if s["dialogs"]:
            raise PageError(f"a dialog opened ({where}): {s['dialogs'][0]!r}")
        if s["plainWidget"]:
            raise PageError(
                f"a widget was shown as plain text ({where}): {s['plainWidget']!r}. The ipywidgets "
                "frontend (jupyterlab_widgets) is missing or did not load in this Jupyter.")
        if s["widgetError"]:
            raise PageError(f"a widget could not be displayed ({where}): {s['widgetError']!r}")
        if tracebacks and s["traceback"]:
            raise PageError(f"a cell raised an error ({where}):\n{s['traceback']}")
        return s

    # ------------------------------------------------------------------ steps
    def open(self) -> None:
        """Load the notebook page and wait until its kernel is started and idle."""
        start = time.monotonic()
        self.driver.get(self.server.page_url(self.notebook))

        def ready():
            s = self.check_errors()
            named = bool(s["kernel"]) and s["kernel"][0] not in ("", "No Kernel", "Kernel")
            return named and s["status"] == ["idle"] and bool(s["prompts"])

        wait_for(self.driver, KERNEL_READY_TIMEOUT, ready,
                 f"the kernel of {self.notebook} to start and be idle in {self.server.frontend} "
                 f"(last state: see server log)\n{self.server.log_tail(1500)}")
        self.timings["open_to_kernel_idle"] = time.monotonic() - start

    def run_all(self) -> None:
        """Run → Run All Cells from the menu bar, then wait for every cell to finish."""
        start = time.monotonic()
        menu = wait_for(self.driver, PAGE_LOAD_TIMEOUT, lambda: next(
            (e for e in self.driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")
             if e.text.strip() == "Run"), None), "the Run menu")
        menu.click()
        item = wait_for(self.driver, PAGE_LOAD_TIMEOUT, lambda: next(iter(self.driver.find_elements(
            By.CSS_SELECTOR, '.lm-Menu-item[data-command="runmenu:run-all"]')), None),
            "the Run All Cells menu item")
        item.click()

        def done():
            s = self.check_errors()
            numbered = all(p.startswith("[") and p.strip("[]: ").isdigit() for p in s["prompts"])
            return s if numbered and s["status"] == ["idle"] else None

        wait_for(self.driver, RUN_ALL_TIMEOUT, done, f"all cells of {self.notebook} to run")
        self.timings["run_all"] = time.monotonic() - start

    def kernel_idle(self) -> bool:
        """Whether the execution indicator says idle now."""
        try:
            return self.state()["status"] == ["idle"]
        except WebDriverException:
            return False
