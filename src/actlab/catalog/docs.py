"""One docstring template for every catalog module, filled from its :class:`~actlab.catalog.entries.Activation`.

The docs cannot drift from the catalog: the formula, derivative, kink convention, parameters and range are
the entry's own fields, and the example's output is computed (by :mod:`actlab.catalog.modules`, from the
entry's formula in float64) when the module is imported; the tests run every example as a doctest against
the module's PyTorch kernel. The example inputs are chosen so that every output prints the same on every
CPU: exact values print as they are, the others are rounded to :data:`DECIMALS` decimals, and each lies far
(:data:`MIN_ULPS_FROM_TIE` float32 steps or more) from a rounding tie.
"""

from __future__ import annotations

from actlab.catalog.entries import Activation, Param

EXAMPLE_INPUTS = (-2.0, 0.0, 2.0)  # a negative, the kink of most entries, a positive
DECIMALS = 4
MIN_ULPS_FROM_TIE = 16  # kernels differ from the formula by a few float32 steps; a rounded digit never flips


def example_call(entry: Activation, *, rounded: bool, detach: bool) -> str:
    """The example's expression: the module built by name, applied to :data:`EXAMPLE_INPUTS`."""
    inputs = ", ".join(repr(x) for x in EXAMPLE_INPUTS)
    call = f'actlab.get("{entry.name}")(torch.tensor([{inputs}]))'
    if detach:  # a module with learned parameters: its output carries a graph, shown as grad_fn=<...>
        call += ".detach()"
    return call + (f".round(decimals={DECIMALS})" if rounded else "")


def _param_line(param: Param) -> str:
    kind = "str" if param.choices else "float"
    return f"    {param.name} ({kind}, default {param.default!r}): {param.doc}; {param.rule()}."


def docstring(entry: Activation, call: str, output: str, note: str = "") -> str:
    """The module's docstring: summary, formula, derivative, kink convention, range, parameters, shape,
    PyTorch counterpart and reference, then the example ``>>> call`` with its printed ``output``."""
    aliases = f" Aliases: {', '.join(entry.aliases)}." if entry.aliases else ""
    source = entry.reference + (f" ({entry.year})" if entry.year else "")
    lines = [
        f"{entry.name}: {entry.summary}",
        "",
        f"    {entry.formula}",
        f"    {entry.derivative}",
        "",
        f"At kinks: {entry.kinks}.",
        f"Output range at the defaults: {entry.range_for()}.{aliases}",
    ]
    if note:
        lines += ["", note]
    lines += ["", "Args:"]
    lines += [_param_line(p) for p in entry.params] if entry.params else ["    none."]
    lines += [
        "",
        "Shape:",
        "    input (*), any shape; output (*), the same shape (elementwise).",
        "",
        f"PyTorch: {entry.torch_name or 'none'}. Reference: {source}.",
        "",
        "Example:",
        "    >>> import torch, actlab",
        f"    >>> {call}",
        f"    {output}",
        "",
    ]
    return "\n".join(lines)
