"""An explorer widget on the page: its sliders, its drawing, its tables and the redraw clock.

The explorer is found as the output area that contains a ``.widget-slider`` (lesson 4 also
shows a static copy of the drawing elsewhere: every selector is scoped to that output area,
BROWSER.md). Its drawing is the inline ``<svg>`` of an ipywidgets HTML widget
(``.widget-html-content > svg``); its numbers are the ``table`` elements beside it.

A small probe installed in the page (:data:`_PROBE_JS`) measures each redraw on the
browser's own clock: the time stamp of the last input event (``keydown``, ``pointerup``)
after the probe is armed, and the first DOM mutation after it that changes the drawing's
fingerprint (a hash of the SVG's markup), seen by a ``MutationObserver``. The difference
is the redraw time a student sees: the round trip to the kernel, the refit and the
re-render, without Selenium's polling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from _notebook_page import NotebookPage, PageError, wait_for

__all__ = ["Redraw", "ExplorerWidget", "SLIDER_MOVED_TIMEOUT", "REDRAW_TIMEOUT", "QUIET_SECONDS"]

# Seconds. The slider's own readout changes in the browser, without the kernel: if it has
# not changed within this time the input did not reach the slider (BROWSER.md pitfall 7).
SLIDER_MOVED_TIMEOUT = 30.0
# A redraw on a quiet machine takes 20-50 ms; this allows a heavily loaded one.
REDRAW_TIMEOUT = 180.0
# The widget is settled when its DOM has been quiet this long with the kernel idle
# (tables and the timing line arrive after the drawing).
QUIET_SECONDS = 0.3
# Kernel idle and nothing changed on the page for this long after the input: the update
# is not coming (a delayed message takes well under a second even on a loaded machine).
GIVE_UP_QUIET_SECONDS = 8.0

_PROBE_JS = r"""
const index = arguments[0];
window.__mlProbes = window.__mlProbes || {};
if (window.__mlProbes[index]) return true;
const areas = Array.from(document.querySelectorAll('.jp-OutputArea-output'))
  .filter(o => o.querySelector('.widget-slider'));
const area = areas[index];
if (!area) return false;
const P = {area, armed: false, base: null, tInput: null, inputType: null, tDraw: null, drawFp: null,
           lastMutation: performance.now(), mutations: 0};
P.svg = () => area.querySelector('.widget-html-content > svg');
P.fp = () => {
  const svg = P.svg();
  if (!svg) return null;
  const s = svg.outerHTML;
  // cyrb53-style 53-bit string hash: cheap enough to run on every mutation
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return s.length + ':' + (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
};
const onInput = e => {
  if (P.armed && P.tDraw === null) { P.tInput = e.timeStamp; P.inputType = e.type; }
};
document.addEventListener('keydown', onInput, true);
document.addEventListener('pointerup', onInput, true);
// a dropdown's choice (the counts explorer's "model in use") arrives as a change event
document.addEventListener('change', e => { if (e.target.tagName === 'SELECT') onInput(e); }, true);
new MutationObserver(() => {
  const now = performance.now();
  P.lastMutation = now;
  P.mutations += 1;
  if (P.armed && P.tDraw === null && P.tInput !== null) {
    const fp = P.fp();
    if (fp !== P.base) { P.tDraw = now; P.drawFp = fp; }
  }
}).observe(area, {subtree: true, childList: true, attributes: true, characterData: true});
window.__mlProbes[index] = P;
return true;
"""

_SNAPSHOT_JS = r"""
const P = window.__mlProbes[arguments[0]];
const a = P.area;
const wrap = P.svg() ? P.svg().closest('.widget-html') : null;
const tables = Array.from(a.querySelectorAll('table')).map(t =>
  Array.from(t.querySelectorAll('tr')).map(r => Array.from(r.children).map(c => c.textContent.trim())));
const sliders = {};
for (const s of a.querySelectorAll('.widget-slider')) {
  const label = s.querySelector('.widget-label');
  const readout = s.querySelector('.widget-readout');
  if (label) sliders[label.textContent.trim()] = readout ? readout.textContent.trim() : null;
}
const checks = {};
for (const c of a.querySelectorAll('.widget-checkbox')) {
  const box = c.querySelector('input[type=checkbox]');
  checks[c.textContent.trim()] = box ? box.checked : null;
}
const choices = {};
for (const d of a.querySelectorAll('.widget-dropdown')) {
  const label = d.querySelector('label');
  const select = d.querySelector('select');
  if (label && select) choices[label.textContent.trim()] = select.selectedIndex >= 0
    ? select.options[select.selectedIndex].textContent.trim() : null;
}
return {fp: P.fp(), choices, drawingVisible: !!wrap && getComputedStyle(wrap).visibility !== 'hidden',
        tables, sliders, checks, text: a.innerText, quietMs: performance.now() - P.lastMutation,
        armed: P.armed, tInput: P.tInput, inputType: P.inputType, tDraw: P.tDraw, drawFp: P.drawFp,
        traceback: a.textContent.includes('Traceback (most recent call last)')};
"""


@dataclass(frozen=True)
class Redraw:
    """One measured redraw: milliseconds from the input event to the new drawing."""

    kind: str  # "keyboard", "drag", "typed", "choice"
    slider: str
    before: str
    after: str
    ms: float
    input_event: str


def parse_number(text: str) -> float:
    """A readout or table cell as a number ('−0.40' uses U+2212 MINUS SIGN; '—' is missing)."""
    t = text.strip().replace("\u2212", "-")
    if t in ("—", "", "NaN", "nan"):
        return float("nan")
    return float(t)


class ExplorerWidget:
    """The ``index``-th output area holding sliders on a :class:`NotebookPage`."""

    def __init__(self, page: NotebookPage, index: int = 0) -> None:
        self.page = page
        self.driver = page.driver
        self.index = index
        installed = wait_for(self.driver, REDRAW_TIMEOUT,
                             lambda: self._install(), "the explorer's sliders to appear")
        assert installed

    def _install(self) -> bool:
        self.page.check_errors()
        return bool(self.driver.execute_script(_PROBE_JS, self.index))

    # ------------------------------------------------------------------ reading
    def snapshot(self) -> dict:
        """Drawing fingerprint and visibility, tables (rows of cell texts), readouts, text."""
        return self.driver.execute_script(_SNAPSHOT_JS, self.index)

    def area(self):
        """The output area element (for screenshots and scrolling)."""
        areas = [o for o in self.driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output")
                 if o.find_elements(By.CSS_SELECTOR, ".widget-slider")]
        return areas[self.index]

    def slider(self, label: str):
        """The slider element whose label reads ``label``."""
        for s in self.area().find_elements(By.CSS_SELECTOR, ".widget-slider"):
            if s.find_element(By.CSS_SELECTOR, ".widget-label").text.strip() == label:
                return s
        raise AssertionError(f"no slider labelled {label!r} in the explorer")

    def readout(self, label: str) -> str:
        """A slider's readout, or a dropdown's chosen option, by its label."""
        s = self.snapshot()
        return s["sliders"][label] if label in s["sliders"] else s["choices"][label]

    def scroll_into_view(self) -> None:
        """Run All leaves the page scrolled to the last cell (BROWSER.md pitfall 4)."""
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", self.area())

    def screenshot(self, path: Path) -> Path:
        """A PNG of the explorer's output area."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.scroll_into_view()
        self.area().screenshot(str(path))
        return path

    # ------------------------------------------------------------------ input
    def _arm(self) -> str:
        """Start a measurement; returns the current drawing fingerprint."""
        return self.driver.execute_script(
            "const P = window.__mlProbes[arguments[0]]; P.base = P.fp(); P.tInput = null; "
            "P.inputType = null; P.tDraw = null; P.drawFp = null; P.armed = true; return P.base;",
            self.index)

    def _disarm(self) -> None:
        self.driver.execute_script("window.__mlProbes[arguments[0]].armed = false;", self.index)

    def press(self, label: str, key: str = Keys.ARROW_RIGHT) -> None:
        """Focus the slider's handle and press ``key`` (JupyterLab; Notebook 7 swallows arrows)."""
        handle = self.slider(label).find_element(By.CSS_SELECTOR, ".noUi-handle")
        handle.send_keys(key)

    def drag(self, label: str, dx: int) -> None:
        """Drag the slider's handle ``dx`` pixels to the right (left when negative) and release."""
        handle = self.slider(label).find_element(By.CSS_SELECTOR, ".noUi-handle")
        ActionChains(self.driver).click_and_hold(handle).move_by_offset(dx, 0).release().perform()

    def type_value(self, label: str, value: str) -> None:
        """Click the slider's readout, replace its text with ``value`` and press Enter."""
        readout = self.slider(label).find_element(By.CSS_SELECTOR, ".widget-readout")
        readout.click()
        # select the readout's own text (a contenteditable): typing then replaces it
        self.driver.execute_script(
            "const r = arguments[0]; const sel = window.getSelection(); const range = document.createRange();"
            "range.selectNodeContents(r); sel.removeAllRanges(); sel.addRange(range);", readout)
        readout.send_keys(value)
        readout.send_keys(Keys.ENTER)

    def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the dropdown labelled ``label`` (as a click on the option does)."""
        from selenium.webdriver.support.ui import Select

        for d in self.area().find_elements(By.CSS_SELECTOR, ".widget-dropdown"):
            if d.find_element(By.CSS_SELECTOR, "label").text.strip() == label:
                Select(d.find_element(By.CSS_SELECTOR, "select")).select_by_visible_text(option)
                return
        raise AssertionError(f"no dropdown labelled {label!r} in the explorer")

    # ------------------------------------------------------------------ waits
    def _wait_moved(self, label: str, before: str) -> str:
        def moved():
            now = self.readout(label)
            return now if now != before else None

        return wait_for(self.driver, SLIDER_MOVED_TIMEOUT, moved,
                        f"slider {label!r} to leave {before!r} (the input did not reach it)")

    def settle(self, done, what: str) -> dict:
        """Wait until ``done(snapshot)`` holds with the kernel idle and the DOM quiet.

        Fails at once on a page error or a traceback inside the explorer, and as soon as the
        widget has settled (kernel idle, DOM quiet for :data:`GIVE_UP_QUIET_SECONDS`) without
        ``done`` holding: an update that raised in the kernel leaves the page quiet for good.
        """
        seen: dict = {}

        def check():
            self.page.check_errors()
            s = self.snapshot()
            seen["last"] = s
            if s["traceback"]:
                raise PageError(f"the explorer shows a traceback:\n{s['text'][:3000]}")
            quiet = s["quietMs"] >= QUIET_SECONDS * 1000
            if not quiet or not self.page.kernel_idle():
                return None
            if done(s):
                return s
            if s["quietMs"] >= GIVE_UP_QUIET_SECONDS * 1000:
                raise PageError(f"the explorer settled without {what}; it shows:\n{s['text'][:2000]}")
            return None

        try:
            return wait_for(self.driver, REDRAW_TIMEOUT, check, what)
        except TimeoutError as err:
            text = seen.get("last", {}).get("text", "")[:2000]
            raise TimeoutError(f"{err}; the explorer shows:\n{text}") from None

    def move(self, kind: str, label: str, *, value: str | None = None, dx: int = 12,
             key: str = Keys.ARROW_RIGHT, expect_redraw: bool = True) -> Redraw | None:
        """Move slider ``label`` by ``kind`` ("keyboard", "drag", "typed"), or pick option
        ``value`` of dropdown ``label`` ("choice"), and wait for the result.

        With ``expect_redraw`` the drawing must change: the redraw time is measured and
        returned once the widget has settled (kernel idle, DOM quiet). Without it (a setting
        that cannot be fitted, or a return to an earlier drawing) only the readout is awaited.
        """
        self.scroll_into_view()
        before = self.readout(label)
        base = self._arm()
        if kind == "keyboard":
            self.press(label, key)
        elif kind == "drag":
            self.drag(label, dx)
        elif kind == "typed":
            assert value is not None, "a typed move needs a value"
            self.type_value(label, value)
        elif kind == "choice":
            assert value is not None, "a choice needs an option"
            self.choose(label, value)
        else:
            raise ValueError(f"unknown input kind {kind!r}")
        after = self._wait_moved(label, before)
        if not expect_redraw:
            self._disarm()
            return None

        def drawn(s):
            return s["tDraw"] is not None and s["fp"] != base

        try:
            s = self.settle(drawn, f"a new drawing after moving {label!r} {before} → {after} by {kind}")
        finally:
            self._disarm()
        return Redraw(kind, label, before, after, s["tDraw"] - s["tInput"], s["inputType"])


def table_values(snapshot: dict) -> list[dict[str, dict[str, float]]]:
    """The explorer's tables as {row label: {column label: number}}."""
    out = []
    for rows in snapshot["tables"]:
        header, body = rows[0], rows[1:]
        out.append({r[0]: {h: parse_number(v) for h, v in zip(header[1:], r[1:])} for r in body})
    return out


_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """Text with runs of white space as one space (innerText wraps long messages)."""
    return _WS.sub(" ", text).strip()
