"""What the lessons' explorers share: sliders, message area, drawing beside tables, a still.

:class:`ExplorerPage` builds the widget frame from a slider table (``(name, "int" or
"float", min, max, step, label)`` rows) plus any extra controls, shows messages, renders the
static still for pages without a kernel and times redraws. A subclass supplies ``update()``,
which draws into ``_drawing``, ``_tables_html`` and ``_timing_html`` and appends to
``timings``; ipywidgets is imported only when a page is built.
"""

from __future__ import annotations

import html
import statistics
from dataclasses import replace
from typing import Any, Sequence

__all__ = ["ExplorerPage"]

_STILL_NOTE = ('<div class="mixedlab-explorer-static"><p><i>A still of the explorer at its starting '
               "settings: open the notebook in Jupyter to move the sliders.</i></p>")
_MESSAGE_COLORS = {"error": "#b00020", "note": "#8a6d00"}


class ExplorerPage:
    """The widget frame of an explorer (see the module docstring)."""

    settings: Any
    timings: list[float]
    #: updates timed by :meth:`measure_redraw` when not told
    REDRAW_REPEATS = 7

    def _build_page(self, sliders: Sequence[tuple], extra: dict[str, Any], left: Sequence[str],
                    right: Sequence[str], label_width: str) -> None:
        """Create ``controls`` (sliders first, then ``extra``) and the page layout, then draw once."""
        import ipywidgets as w

        self.controls: dict[str, Any] = {}
        for name, kind, lo, hi, step, label in sliders:
            cls = w.IntSlider if kind == "int" else w.FloatSlider
            self.controls[name] = cls(value=getattr(self.settings, name), min=lo, max=hi, step=step,
                                      description=label, continuous_update=False,
                                      style={"description_width": label_width})
        self.controls.update(extra)
        self._message_html = w.HTML()
        self._drawing = w.HTML()
        self._tables_html = w.HTML()
        self._timing_html = w.HTML()
        self.svg = ""
        self.message = ""
        self.timings = []
        for name, ctrl in self.controls.items():
            ctrl.observe(lambda _change, name=name: self._on_control(name), names="value")
        self.widget = w.VBox([w.HBox([w.VBox([self.controls[n] for n in left]),
                                      w.VBox([self.controls[n] for n in right])]),
                              self._message_html, w.HBox([self._drawing, self._tables_html]),
                              self._timing_html])

    def _on_control(self, name: str) -> None:
        """A control changed: redraw (a subclass may refit less for some controls)."""
        self.update()

    def update(self) -> None:  # pragma: no cover - every explorer defines it
        raise NotImplementedError

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The live widget for Jupyter, and a still of it as HTML for pages without a kernel.

        A frontend with widget support shows the sliders; an HTML page rendered from the
        executed notebook (``mixedlab lessons``) has no kernel, and shows the static drawing.
        """
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/html"] = _STILL_NOTE + self.static_html() + "</div>"
        return bundle

    def current_settings(self) -> Any:
        """The settings the widgets show now."""
        return replace(self.settings, **{k: c.value for k, c in self.controls.items()})

    def _show_message(self, text: str, kind: str) -> None:
        """Show ``text`` (lines separated by newlines) as an error or a note; "" clears it."""
        self.message = text
        if not text:
            self._message_html.value = ""
            return
        body = "<br>".join(html.escape(line) for line in text.split("\n"))
        self._message_html.value = f'<div style="color:{_MESSAGE_COLORS[kind]};padding:4px 0">{body}</div>'

    def measure_redraw(self, repeats: int | None = None) -> float:
        """Median seconds per update at the current settings, changing the seed each time."""
        repeats = self.REDRAW_REPEATS if repeats is None else repeats
        seed0 = self.controls["seed"].value
        start = len(self.timings)
        for i in range(repeats):
            self.controls["seed"].value = seed0 + i + 1
        self.controls["seed"].value = seed0
        return statistics.median(self.timings[start:start + repeats])

    def static_html(self) -> str:
        """The current message, drawing and tables as one HTML snippet (for pages without widgets);
        the tables stand beside the drawing, as in the widget, and wrap below it when narrow."""
        return (self._message_html.value
                + '<div style="display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start">'
                + f'<div>{self._drawing.value}</div><div style="font-size:12px">{self._tables_html.value}</div></div>')
