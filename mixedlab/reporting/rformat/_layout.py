"""R's ``print`` layouts for named vectors and character matrices, and ``cat(fill = TRUE)``."""

from __future__ import annotations

from collections.abc import Sequence

PRINT_WIDTH = 80  # getOption("width") in a default R session


def print_named_vector(cells: Sequence[str], names: Sequence[str], width: int = PRINT_WIDTH,
                       gap: int = 1) -> list[str]:
    """R's ``printNamedVector`` for already formatted cells (right-justified).

    Every name and value is padded to one common width and followed by ``gap``
    spaces (R's ``print.gap``, 1 by default), which is why such lines end in a blank.
    """
    w = max([len(c) for c in cells] + [len(n) for n in names] + [0])
    per_line = max(width // (w + gap), 1)
    sep = " " * gap
    lines = []
    for start in range(0, len(cells), per_line):
        sl = slice(start, start + per_line)
        lines.append("".join(n.rjust(w) + sep for n in names[sl]))
        lines.append("".join(c.rjust(w) + sep for c in cells[sl]))
    return lines


def print_matrix(
    cells: Sequence[Sequence[str]],
    rownames: Sequence[str],
    colnames: Sequence[str],
    right: bool = False,
    width: int = PRINT_WIDTH,
) -> list[str]:
    """R's ``print(<character matrix>, quote = FALSE, right = right)``.

    Row names are left-justified; cells and column labels are left-justified
    (``right = FALSE``) or right-justified, each column as wide as its widest
    entry or label, one space before each column; columns that do not fit in
    ``width`` continue in a further block, as R's ``printMatrix`` does.
    """
    nr = len(rownames)
    nc = len(colnames)
    rlabw = max([len(r) for r in rownames] + [0])
    colw = [max([len(cells[i][j]) for i in range(nr)] + [len(colnames[j])]) for j in range(nc)]
    just = (lambda s, w: s.rjust(w)) if right else (lambda s, w: s.ljust(w))
    lines: list[str] = []
    if nc == 0:
        lines.append(" " * rlabw)
        lines.extend(r.ljust(rlabw) for r in rownames)
        return lines
    jmin = 0
    while jmin < nc:
        tot = rlabw
        jmax = jmin
        while True:
            tot += colw[jmax] + 1
            jmax += 1
            if not (jmax < nc and tot + colw[jmax] + 1 < width):
                break
        lines.append(" " * rlabw + "".join(" " + just(colnames[j], colw[j]) for j in range(jmin, jmax)))
        for i in range(nr):
            lines.append(
                rownames[i].ljust(rlabw) + "".join(" " + just(cells[i][j], colw[j]) for j in range(jmin, jmax))
            )
        jmin = jmax
    return lines


def cat_fill(items: Sequence[str], width: int = PRINT_WIDTH) -> list[str]:
    """R's ``cat(..., fill = TRUE)``: items joined by a space, wrapped before ``width``.

    An item moves to a new line when it and its following separator would
    pass ``width``; the separator before the break stays on the old line.
    """
    lines: list[str] = []
    cur = ""
    for k, item in enumerate(items):
        if k > 0:
            cur += " "
            if len(cur) + len(item) + 1 > width:
                lines.append(cur)
                cur = ""
        cur += item
    lines.append(cur)
    return lines


