"""Algorithm parameters as ``param.Parameterized`` classes: typed, bounded, documented, checked.

Each algorithm of the registry has one class; its ``param.Integer`` / ``param.Selector`` attributes
are the parameters, with their defaults, bounds or choices and a one-sentence ``doc``. The command
line's options, the API's ``/algorithms`` list and the dashboard's launch form (``pn.Param`` of an
instance) all come from these classes. :func:`check_values` turns what a caller sent (JSON values,
or text from a form or a command line) into checked values, with a sentence a user understands when
one is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping

import param

from engine.errors import ParameterError, quoted


class AlgorithmParameters(param.Parameterized):
    """Base of every algorithm's parameter class; its own ``name`` parameter is not an option."""


def parameter_names(parameters: type[AlgorithmParameters]) -> list[str]:
    """The option names of a parameter class, in declaration order."""
    return [name for name in parameters.param if name != "name"]


def check_values(parameters: type[AlgorithmParameters], values: Mapping[str, object] | None,
                 algorithm: str) -> dict[str, object]:
    """Every option of ``parameters`` with defaults filled in and each given value checked.

    Whole numbers written as text (``"3"``) are accepted, as forms and command lines send them;
    booleans and fractional numbers are not whole numbers.

    Raises
    ------
    ParameterError
        For an option the class does not have (naming the ones it has) or a value outside its type,
        bounds or choices (naming what is allowed).

    Examples
    --------
    >>> class Example(AlgorithmParameters):
    ...     lvs = param.Integer(3, bounds=(1, 10), doc="level")
    >>> check_values(Example, {"lvs": "7"}, "example")
    {'lvs': 7}
    >>> check_values(Example, {"lvs": 0}, "example")
    Traceback (most recent call last):
    ...
    engine.errors.ParameterError: lvs must be at least 1, not 0
    """
    given = dict(values or {})
    known = parameter_names(parameters)
    unknown = sorted(set(given) - set(known))
    if unknown:
        named = ", ".join(quoted(name) for name in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        takes = ", ".join(known) or "none"
        raise ParameterError(f"{algorithm} takes no parameter {named}; it takes: {takes}")
    return {name: check_value(parameters.param[name], given[name]) if name in given
            else parameters.param[name].default for name in known}


def check_value(parameter: param.Parameter, value: object) -> object:
    """``value`` as ``parameter`` takes it, or ParameterError saying what is allowed."""
    name = parameter.name
    if isinstance(parameter, param.Integer):
        number = _whole_number(name, value)
        low, high = parameter.bounds or (None, None)
        if low is not None and number < low:
            raise ParameterError(f"{name} must be at least {low}, not {number}")
        if high is not None and number > high:
            raise ParameterError(f"{name} must be at most {high}, not {number}")
        return number
    if not isinstance(value, str):
        raise ParameterError(f"{name} must be text, not {type(value).__name__}")
    if isinstance(parameter, param.Selector) and value not in parameter.objects:
        raise ParameterError(f"{name} must be one of {', '.join(parameter.objects)}, not {quoted(value)}")
    return value


def describe_parameter(parameter: param.Parameter) -> dict[str, object]:
    """JSON-ready description: name, type (``integer`` or ``string``), default, description, and the
    bounds (``minimum``, ``maximum``) or ``choices``."""
    record: dict[str, object] = {
        "name": parameter.name,
        "type": "integer" if isinstance(parameter, param.Integer) else "string",
        "default": parameter.default,
        "description": parameter.doc,
    }
    if isinstance(parameter, param.Integer) and parameter.bounds:
        low, high = parameter.bounds
        if low is not None:
            record["minimum"] = low
        if high is not None:
            record["maximum"] = high
    if isinstance(parameter, param.Selector):
        record["choices"] = list(parameter.objects)
    return record


def _whole_number(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a whole number, not {quoted(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ParameterError(f"{name} must be a whole number, not {quoted(value)}")
