"""The coordinates of a layout, as JSON in PhyloDB's visualization shape or as a TSV table (the
outputs of ``python -m engine layout``)."""

from __future__ import annotations

import json

from engine.models import Layout

__all__ = ["layout_json", "layout_record", "layout_tsv"]


def _coordinates(layout: Layout) -> list[dict[str, object]]:
    """One record per node: profile id, component, x, y."""
    return [
        {"profile": layout.ids[row], "component": int(component), "x": float(x), "y": float(y)}
        for row, component, x, y in zip(
            layout.rows.tolist(), layout.component.tolist(), layout.x.tolist(), layout.y.tolist(), strict=True
        )
    ]


def layout_record(layout: Layout) -> dict[str, object]:
    r"""JSON-ready coordinates in PhyloDB's visualization shape (profile, component, x, y).

    Examples
    --------
    >>> import numpy as np
    >>> layout = Layout("radial", {}, ids=["a", "b"], rows=np.array([1, 0]), x=np.array([0.0, 1.5]),
    ...                 y=np.array([0.0, -2.0]), component=np.array([1, 1]))
    >>> layout_record(layout)["coordinates"][0]
    {'profile': 'b', 'component': 1, 'x': 0.0, 'y': 0.0}
    >>> layout_tsv(layout)
    'profile\tcomponent\tx\ty\nb\t1\t0.0\t0.0\na\t1\t1.5\t-2.0\n'
    """
    return {
        "algorithm": layout.algorithm,
        "parameters": layout.parameters,
        "coordinates": _coordinates(layout),
    }


def layout_json(layout: Layout) -> str:
    """:func:`layout_record` serialised with :func:`json.dumps` (one line, no trailing newline)."""
    return json.dumps(layout_record(layout))


def layout_tsv(layout: Layout) -> str:
    """Coordinates as a tab-separated table with a header: profile, component, x, y."""
    lines = ["profile\tcomponent\tx\ty\n"]
    for item in _coordinates(layout):
        lines.append(f"{item['profile']}\t{item['component']}\t{item['x']!r}\t{item['y']!r}\n")
    return "".join(lines)
