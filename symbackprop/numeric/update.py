"""One step of gradient descent: p ← p − η ∂C/∂p for every parameter, and the cost after.

    >>> import symbackprop as sb
    >>> d = sb.load("examples/shared_bias.toml").backward()
    >>> s = d.step(0.5, hold=["b_1", "b_2"])
    >>> round(float(s.after["w_5"]), 8), round(float(s.cost_after), 7)
    (0.35891648, 0.2910278)

Every gradient is taken at the same point, before any parameter moves (the update is
simultaneous). For a mini-batch the gradient is the total ∂L/∂p = Σₙ ∂Cⁿ/∂p, and the
cost before and after is the total L = Σₙ Cⁿ. A held parameter keeps its value.

``hold`` takes parameter names as the spec writes them (``w_5``, ``w^{(2)}_{11}``; braces
may be left out, as everywhere names are read), and two group words for a layered
network: ``weights`` (every weight) and ``biases`` (every bias). A parameter named
``weights`` or ``biases`` is itself, not the group.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import PointError, SpecError
from ..core.graph import as_number, loose, part
from ..notation.numerals import short
from ..notation.quoting import quote, suggest

#: Group words of ``hold`` and the gradient kind each one names (layered networks).
GROUPS = {"weights": "w", "biases": "b"}


@dataclass(frozen=True)
class _Holding:
    """How ``hold`` reads on a kind of graph: its group words, and what it calls the graph."""

    groups: dict
    noun: str


#: The holding part for each kind of graph (see :func:`graph.part`).
_PARTS = {"graph": _Holding({}, "graph"), "layered": _Holding(GROUPS, "network")}


@dataclass(frozen=True)
class Step:
    """One gradient-descent step. ``before``, ``gradients`` and ``after`` map every
    parameter's name to its value, its gradient and its value after the step, in
    parameter order; ``held`` lists the names kept fixed; ``cost_before`` and
    ``cost_after`` are C (a mini-batch: L) at the old and the new values."""

    learning_rate: object
    held: tuple
    before: dict
    gradients: dict
    after: dict
    cost_before: object
    cost_after: object
    examples: int = 0

    def as_dict(self) -> dict:
        """The ``update`` object of ``eval --json``: learning_rate, parameters, cost_after.

            >>> s = sb.load("examples/shared_bias.toml").backward().step(0.5)
            >>> sorted(s.as_dict())
            ['cost_after', 'learning_rate', 'parameters']
        """
        return {"learning_rate": float(self.learning_rate),
                "parameters": {name: float(v) for name, v in self.after.items()},
                "cost_after": float(self.cost_after)}

    def __repr__(self):
        held = f", held {', '.join(self.held)}" if self.held else ""
        return (f"<Step η = {short(self.learning_rate)}{held}: cost {short(self.cost_before)} "
                f"→ {short(self.cost_after)}>")


def learning_rate(value) -> object:
    """η as a positive number (a Fraction when written exactly, as ``0.5`` or ``1/2``)."""
    eta = as_number(value, "learning rate")
    if not eta > 0:
        raise SpecError(f"learning rate: expected a positive number, got {value}")
    return eta


def held(graph, hold) -> tuple:
    """The parameter symbols named by ``hold`` (names, or a comma-separated string), in
    parameter order; an unknown name or an input is an error that suggests close names."""
    if hold is None:
        return ()
    if isinstance(hold, str):
        hold = [part.strip() for part in hold.split(",") if part.strip()]
    params = list(graph.parameters)
    holding = part(_PARTS, graph)
    by_key: dict = {}
    for p in params:
        by_key.setdefault(p.name, p)
        by_key.setdefault(loose(p.name), p)
    chosen = set()
    for name in hold:
        name = str(name)
        sym = by_key.get(name) or by_key.get(loose(name))
        if sym is not None:
            chosen.add(sym)
            continue
        if name in holding.groups:
            group = [p for p in params if graph.gradient_kind(p) == holding.groups[name]]
            if not group:
                raise SpecError(f"--hold {name}: this network has no {name}")
            chosen.update(group)
            continue
        node = graph.nodes.get(_symbol_or_none(graph, name))
        if node is not None:
            kind = {"x": "an input", "y": "a target"}.get(node.kind, "a defined node")
            raise SpecError(f"--hold {quote(name)}: is {kind}, not a parameter; only parameters are updated")
        words = [p.name for p in params] + list(holding.groups)
        raise SpecError(f"--hold: unknown parameter {quote(name)}; "
                        f"{suggest(name, words, holding.noun, key=loose)}")
    return tuple(p for p in params if p in chosen)


def _symbol_or_none(graph, name):
    try:
        return graph.symbol(name)
    except SpecError:
        return None


def step(derivation, rate, hold=None, point=None) -> Step:
    """p ← p − η ∂C/∂p for every parameter not held, at ``point`` (the spec's values by
    default; a mini-batch uses its summed gradient)."""
    graph = derivation.graph
    eta = learning_rate(rate)
    if not graph.parameters:
        raise SpecError("a gradient-descent step updates parameters, and this graph has none "
                        "(its leaves are inputs and targets)")
    fixed = held(graph, hold)
    batch = graph.runs_examples(point)
    try:
        values = derivation.evaluate(point)
    except PointError as exc:
        raise PointError(f"a gradient-descent step needs a value for every input, target and parameter: {exc}") from None
    grads = values.gradients
    base = values.examples[0].numbers if batch else values.numbers
    before, after = {}, {}
    for p in graph.parameters:
        v = base[p]
        before[p.name] = v
        after[p.name] = v if p in fixed else v - eta * grads[p.name]
    moved = {p: after[p.name] for p in graph.parameters}
    try:
        if batch:
            from .values import evaluate_batch
            later = evaluate_batch(derivation, [{**pt, **moved} for pt in graph.points])
        else:
            later = derivation.evaluate({**(point or {}), **moved})
    except PointError as exc:
        raise PointError(f"after the step (learning rate {short(eta)}): {exc}") from None
    return Step(eta, tuple(p.name for p in fixed), before, dict(grads), after, values.cost, later.cost,
                len(graph.points) if batch else 0)


__all__ = ["GROUPS", "Step", "held", "learning_rate", "step"]
