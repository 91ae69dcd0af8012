"""Widgets for an algorithm's parameters, made from the engine's registry (names, bounds, help)."""

from __future__ import annotations

from typing import Any

import panel as pn
import param

from engine.algorithms.parameters import parameter_names
from engine.algorithms.registry import Algorithm


def parameter_widget(parameter: param.Parameter) -> pn.widgets.Widget:
    """One widget for ``parameter``: a choice list, a bounded whole-number input or a text box."""
    label, help_text = parameter.name, parameter.doc
    if isinstance(parameter, param.Selector):
        return pn.widgets.Select(label=label, options=list(parameter.objects), value=parameter.default,
                                 description=help_text, width=220)
    if isinstance(parameter, param.Integer):
        low, high = parameter.bounds or (None, None)
        return pn.widgets.IntInput(label=label, value=parameter.default, start=low, end=high,
                                   description=help_text, width=220)
    return pn.widgets.TextInput(label=label, value=str(parameter.default or ""), description=help_text,
                                width=220)


def parameter_widgets(algorithm: Algorithm) -> dict[str, pn.widgets.Widget]:
    """A widget per parameter of ``algorithm``, by parameter name, in registry order."""
    return {name: parameter_widget(algorithm.parameters.param[name])
            for name in parameter_names(algorithm.parameters)}


def parameter_values(widgets: dict[str, pn.widgets.Widget]) -> dict[str, Any]:
    """The values typed in, leaving out empty ones (the algorithm's defaults then apply)."""
    return {name: widget.value for name, widget in widgets.items() if widget.value not in (None, "")}


def set_options(select: pn.widgets.Select, options: dict[str, str], wanted: str | None = None) -> None:
    """Give ``select`` new ``options`` (label -> value), keeping ``wanted`` or its current value when
    still offered, else choosing the first (None when there is none)."""
    current = wanted or select.value
    select.options = options
    values = list(options.values())
    select.value = current if current in values else (values[0] if values else None)
