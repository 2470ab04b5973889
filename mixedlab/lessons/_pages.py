"""Lesson notebooks as HTML pages that need no network.

nbconvert's ``lab`` template loads MathJax, require.js and the widget manager from CDNs;
offline (a classroom, an exam hall, behind a firewall) the equations then show as raw TeX and
widget cells stay blank. :func:`offline_html` renders a page that loads nothing:

* math is converted at build time: every ``$...$`` and ``$$...$$`` of a markdown cell (outside
  code) becomes MathML (latex2mathml), which browsers draw natively;
* the CDN scripts (require.js, MathJax, mermaid, the widget manager) are left out of the
  template;
* widget outputs lose their live view, so the page shows what the output carries beside it
  (the partial-pooling explorer puts its static drawing there, see
  :meth:`mixedlab.lessons.PartialPoolingExplorer._repr_mimebundle_`);
* figures are already inline (``data:`` images and ``<svg>``), as nbconvert writes them.

nbconvert and latex2mathml come with the ``lessons`` extra.
"""

from __future__ import annotations

import copy
import re
from typing import Any

__all__ = ["offline_html", "markdown_math_to_placeholders", "WIDGET_VIEW"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# The lab template with every block that loads a script from a CDN emptied.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
_TEMPLATE_NAME = "mixedlab_offline.html.j2"

_CSS = ("<style>math[display=block]{margin:0.6em 0;} "
        ".mixedlab-math-error{color:#b00020;font-family:monospace;}</style>")

# Markdown pieces where a dollar sign is literal text: fenced code blocks and code spans.
_CODE = re.compile(r"(^```.*?^```[ \t]*$|^~~~.*?^~~~[ \t]*$|(`+)(?:.|\n)*?(?<!`)\2(?!`))", re.M | re.S)
# $$ display $$ first, then $inline$ (no space just inside the dollars, as pandoc's rule).
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?=\S)([^$\n]+?)(?<=\S)\$(?!\$)")


def _placeholder(k: int) -> str:
    # letters and digits only: markdown leaves it alone wherever it stands
    return f"MIXEDLABMATHX{k:05d}X"


def markdown_math_to_placeholders(source: str, store: list[tuple[str, bool]]) -> str:
    """Replace the math of one markdown cell with placeholders, appending ``(tex, display)`` to ``store``."""
    out: list[str] = []
    pos = 0
    for m in _CODE.finditer(source):
        out.append(_replace_math(source[pos:m.start()], store))
        out.append(m.group(0))
        pos = m.end()
    out.append(_replace_math(source[pos:], store))
    return "".join(out)


def _replace_math(text: str, store: list[tuple[str, bool]]) -> str:
    def keep(tex: str, display: bool) -> str:
        store.append((tex.strip(), display))
        return _placeholder(len(store) - 1)

    text = _DISPLAY.sub(lambda m: keep(m.group(1), True), text)
    return _INLINE.sub(lambda m: keep(m.group(1), False), text)


def _mathml(tex: str, display: bool) -> str:
    from latex2mathml.converter import convert

    try:
        return convert(tex, display="block" if display else "inline")
    except Exception:  # a formula the converter cannot read stays visible as TeX, marked
        from html import escape

        delim = "$$" if display else "$"
        return f'<code class="mixedlab-math-error">{escape(delim + tex + delim)}</code>'


def _strip_widget_views(nb: Any) -> None:
    """Drop live widget views (they need a kernel and a CDN); what else the output carries stays."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data and WIDGET_VIEW in data:
                del data[WIDGET_VIEW]


def offline_html(nb: Any) -> str:
    """Render an executed notebook as a self-contained HTML page that loads nothing from the network.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (not modified).

    Returns
    -------
    str
        The page (``<!DOCTYPE html>...``).
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    _strip_widget_views(nb)
    store: list[tuple[str, bool]] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = markdown_math_to_placeholders(cell.source, store)
    exporter = HTMLExporter(template_name="lab", template_file=_TEMPLATE_NAME,
                            extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})])
    body, _ = exporter.from_notebook_node(nb)
    for k in range(len(store) - 1, -1, -1):  # from the end: placeholder 1 is a prefix of none, but be safe
        body = body.replace(_placeholder(k), _mathml(*store[k]))
    return body.replace("</head>", _CSS + "</head>", 1)
