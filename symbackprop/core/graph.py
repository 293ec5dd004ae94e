"""The core: a graph of named scalar nodes, and the rule table of local partials.

Why a graph rather than layers: the lecture's rule "a value that feeds several consumers
collects one term per consumer" holds on any directed acyclic graph. A layered network,
a recurrent net unrolled in time, a circuit such as f = (x + y)·z and a mini-batch's
total loss are all graphs; only their builders (:mod:`network`, :mod:`recurrent`,
:meth:`Graph.define`) know what shape they have.

Every node is a SymPy symbol with a LaTeX name. A leaf is an input (kind ``x``), a
target (``y``) or a parameter (``param``); every other node has a small one-step
expression of its parents and an *op*. The backward sweep (:mod:`backward`) asks the
graph only for its nodes in order and for local partials ∂consumer/∂parent, which come
from :data:`RULES`, one small function per op, registered right after it is defined (as
JAX registers its derivative rules):

* ``affine`` z = Σ w·a + b and ``cost`` (a cost of outputs and targets): read off a table
  of partials the builder computed once;
* ``activation`` a = σ(u): the amplifier σ′(u), kept unexpanded;
* ``softmax`` a_i = softmax_i(z): a_i([i = j] − a_j);
* ``add``, ``product``, ``power`` and ``expr`` (any other expression): the sum, product
  and power rules, and the chain rule through any expression, with σ′ kept unexpanded.

A name used twice is one node: that is how a parameter is shared across layers, time
steps or the edges of a circuit.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from dataclasses import dataclass, field
from functools import cmp_to_key
from types import MappingProxyType

import sympy

from ..ops import activations as _activations
from ..errors import SpecError
from ..exact import MAX_EXPONENT, exponent_too_large, parse_fraction
from ..notation.naming import check_name, partial
from ..notation.quoting import counted
from ..notation.written import evaluated

from fractions import Fraction

#: Names no graph may use for a node of its own.
RESERVED = {"e": "Euler's number"}


@dataclass(frozen=True)
class Node:
    """One named scalar. ``kind`` is x, y or param for a leaf; z, a or C in a layered
    network; ``node`` (or C for the output) in any other graph. ``op`` picks the rule of
    its local partials; ``index`` is its position in the builder's structure (1-based: a
    neuron, a step and a unit …; its layer, where the builder has layers, is in the
    builder's :attr:`Graph.layer_of`); ``expr`` is its one-step definition (None for a leaf)."""

    symbol: sympy.Symbol
    kind: str
    index: tuple
    expr: sympy.Expr | None = None
    terms: tuple = ()          # affine only: ((weight, input), …) in order
    bias: sympy.Symbol | None = None
    activation: object = None  # activation and softmax only
    op: str | None = None
    group: tuple = ()          # softmax only: the outputs of its layer, in order
    partials: dict = field(default_factory=dict, compare=False, repr=False)  # affine, cost: {parent: ∂/∂parent}
    consumers: list = field(default_factory=list, compare=False, repr=False)
    #: a defined node as its author wrote it, for display: (unevaluated expression,
    #: {product: factors in order}, {value: decimal as typed}), or None
    written: tuple | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.symbol.name

    @property
    def is_leaf(self) -> bool:
        return self.expr is None


# --- the rule table ---------------------------------------------------------------------

#: op → rule(graph, consumer, node) = ∂consumer/∂node in named symbols.
RULES: dict = {}


def rule(op: str):
    def register(fn):
        RULES[op] = fn
        return fn
    return register


def local_partial(graph, consumer: Node, node: sympy.Symbol) -> sympy.Expr:
    """∂(consumer)/∂(node), one step, by the rule of the consumer's op."""
    try:
        fn = RULES[consumer.op]
    except KeyError:
        raise TypeError(f"no local partial rule for op {consumer.op!r}") from None
    return fn(graph, consumer, node)


@rule("affine")
def _tabled(graph, consumer, node):
    """z = Σ w·a + b is linear, so its partials are read off its terms; the cost's are
    the cost's own ∂C/∂a rule, computed once by the builder."""
    return consumer.partials.get(node, sympy.S.Zero)


RULES["cost"] = _tabled


def affine(terms, bias) -> tuple:
    """z = Σ w·a + b from ((w, a), …) and b: (its expression, its table of partials
    {parent: ∂z/∂parent}, with a name used on several terms summed)."""
    partials: dict = {}
    for w, a in terms:
        for key, value in ((w, a), (a, w)):
            partials[key] = partials[key] + value if key in partials else value
    partials[bias] = partials[bias] + 1 if bias in partials else sympy.S.One
    return sympy.Add(*[product(w, a) for w, a in terms], bias), partials


@rule("activation")
def _amplifier(graph, consumer, node):
    """a = σ(u): σ′(u), the amplifier of the reversed network."""
    return consumer.activation.prime(node)


@rule("softmax")
def _softmax_jacobian(graph, consumer, node):
    """a_i = softmax_i(z_1 … z_n): ∂a_i/∂z_j = a_i([i = j] − a_j)."""
    i = consumer.index[-1]
    j = list(consumer.expr.args[1:]).index(node) + 1
    a_i, a_j = consumer.group[i - 1], consumer.group[j - 1]
    return a_i * ((1 if i == j else 0) - a_j)


@rule("add")
def _sum_rule(graph, consumer, node):
    """A sum: the sum of its terms' partials (a one-term sum, C = C⁽¹⁾, is that term).
    Every parent's partial is found in one pass over the terms and kept in the node's
    table, so a sum of T terms costs O(T) for all its parents together, not O(T) each
    (the total C = Σ_t C⁽ᵗ⁾ of an unrolled net made the derivation quadratic in the steps)."""
    if not consumer.partials:
        found: dict = {}
        for term in sympy.Add.make_args(consumer.expr):
            for parent in sorted(term.free_symbols, key=sympy.default_sort_key):
                found.setdefault(parent, []).append(diff(term, parent))
        consumer.partials.update({parent: sympy.Add(*terms) for parent, terms in found.items()})
    return consumer.partials.get(node, sympy.S.Zero)


@rule("expr")
def _chain_rule(graph, consumer, node):
    """Any other expression (a product, a power, exp, ln …): the product, power and chain
    rules of :func:`diff`, with σ′ kept unexpanded."""
    return diff(consumer.expr, node)


RULES["product"] = RULES["power"] = _chain_rule


def diff(expr, node) -> sympy.Expr:
    """∂expr/∂node with every activation's derivative kept as σ′(u) (``sympy.diff``
    would expand it into σ(u)(1 − σ(u)))."""
    if expr == node:
        return sympy.S.One
    if node not in expr.free_symbols:
        return sympy.S.Zero
    if isinstance(expr, _activations.ActivationFunction):
        inner = expr.args[0]
        return expr.activation.prime(inner) * diff(inner, node)
    if expr.is_Add:
        return sympy.Add(*[diff(term, node) for term in expr.args])
    if expr.is_Mul:
        args = expr.args
        return sympy.Add(*[sympy.Mul(*(args[:i] + (diff(arg, node),) + args[i + 1:]))
                           for i, arg in enumerate(args) if node in arg.free_symbols])
    if expr.is_Pow and node not in expr.exp.free_symbols:
        base, exp = expr.args
        return exp * base ** (exp - 1) * diff(base, node)
    return sympy.diff(expr, node)


def classify(expr) -> str:
    """The op of a free definition: its outermost operation."""
    if isinstance(expr, _activations.ActivationFunction) and expr.args[0].is_Symbol:
        return "activation"
    if expr.is_Add:
        return "add"
    if expr.is_Mul:
        return "product"
    if expr.is_Pow:
        return "power"
    return "expr"


#: Functions a definition may apply: each prints as LaTeX the project controls and compiles.
ALLOWED_FUNCTIONS = (_activations.ActivationFunction, _activations.ActivationPrime, _activations.Step,
                     _activations.Softmax, sympy.exp, sympy.log, sympy.Max, sympy.Min)


# --- the graph --------------------------------------------------------------------------


class Graph:
    """A DAG of named scalar nodes with one output, the scalar whose gradient is taken.

        >>> import symbackprop as sb
        >>> g = sb.Graph(title="f = (x + y) z")
        >>> x, y, z = g.input("x"), g.input("y"), g.input("z")
        >>> q = g.define("q", x + y)
        >>> f = g.define("f", q * z)
        >>> g.output(f)
        >>> print(g.backward().gradient("x"))
        ∂f/∂x = ∂f/∂q

    Nodes are added in order, each a SymPy expression of earlier nodes; ``values`` maps
    names or symbols to numbers used when no point is given; ``points`` (a list of such
    maps, for inputs and targets) makes a mini-batch whose total L = Σₙ Cⁿ is evaluated.
    """

    #: The builder's kind: each consumer keeps one table from a kind to its part (the
    #: document's story, the structural mistakes, the array layout of compiled code …),
    #: found by :func:`part`; "graph" is the generic part every table has.
    kind = "graph"
    what = "graph"
    #: Whether ∂C/∂input is reported among the gradients (a circuit's inputs are its leaves).
    reports_inputs = True
    #: The most nodes of a closed-form cost that the check's symbolic route differentiates
    #: (None: the check's own limit); a builder whose closed forms are slow to differentiate
    #: per node (gates nested in gates) sets a smaller one.
    symbolic_limit: int | None = None
    #: A mini-batch built as one graph (its examples coupled, as by a batch norm): each
    #: input's name mapped to its leaves, one per example, in example order ({}: none).
    #: The reported gradient of the name is the sum of its copies' (∂L/∂x = Σₙ ∂L/∂xⁿ).
    copies: Mapping = MappingProxyType({})
    #: The examples' costs Cⁿ of such a graph, in example order (L = Σₙ Cⁿ is the output).
    example_costs: tuple = ()
    #: A builder with layers (the layered and the convolutional net): each node's layer by
    #: symbol (0: the inputs), which the lookups by (l, j), the lecture's story and the
    #: layered mistakes read; no entry where a graph has no layers.
    layer_of: Mapping = MappingProxyType({})
    #: A spec's tables for the stages after its reader (the grader's ``[grading]``, a
    #: template's ``[exercise]``), kept as read by :mod:`builders.spec`; None for a graph
    #: built in Python.
    sections = None

    def __init__(self, title: str | None = None, *, values=None):
        from ..notation.quoting import check_title
        self.title = check_title(title)
        self.nodes: dict[sympy.Symbol, Node] = {}
        self._kinds: dict[str, tuple] = {}
        self.cost_symbol: sympy.Symbol | None = None
        self._values = dict(values or {})
        self.points: list = []
        self._derivation = None
        self._depth: dict | None = None
        self._used: frozenset | None = None

    # --- building --------------------------------------------------------------------

    def _symbol(self, name: str, kind: str, where: str | None = None) -> sympy.Symbol:
        """The symbol of a name; one name, one kind of node. Names that differ only in
        braces (x_1, x_{1}) are the same name to a reader, so they may not mean two things."""
        key = loose(name)
        reserved = self.reserved()
        if key in reserved:
            raise SpecError(f"the name '{name}' is reserved for {reserved[key]}")
        seen = self._kinds.get(key)
        if seen is not None:
            seen_kind, seen_name = seen
            if seen_name != name:
                raise SpecError(f"the names '{seen_name}' and '{name}' are the same symbol written two ways")
            if seen_kind != kind:
                raise SpecError(f"the name '{name}' is used for both {_article(seen_kind)} and {_article(kind)}")
        self._kinds[key] = (kind, name)
        return sympy.Symbol(name)

    def reserved(self) -> dict:
        return RESERVED

    def _add(self, node: Node) -> Node:
        """The one place a node enters: a parameter declared again is the same node (a
        shared parameter); any other name used twice is an error."""
        if node.symbol in self.nodes:
            if node.kind == "param" and self.nodes[node.symbol].kind == "param":
                return self.nodes[node.symbol]
            raise SpecError(f"the name {node.name!r} is defined twice")
        self.nodes[node.symbol] = node
        if node.expr is not None:
            for parent in parents(node):
                self.nodes[parent].consumers.append(node.symbol)
        self._derivation = None
        self._depth = self._used = None
        return node

    def _leaf(self, name, kind, what) -> sympy.Symbol:
        self._open()
        check_name(name, what)
        return self._add(Node(self._symbol(name, what), kind, ())).symbol

    def input(self, name: str) -> sympy.Symbol:
        """A leaf whose value comes with each example (an input x).

            >>> g = sb.Graph()
            >>> g.input("x")
            x
        """
        return self._leaf(name, "x", "input")

    def target(self, name: str) -> sympy.Symbol:
        """A leaf for a target value y (no gradient is reported for it).

            >>> g = sb.Graph()
            >>> g.target("t")
            t
        """
        return self._leaf(name, "y", "target")

    def parameter(self, name: str) -> sympy.Symbol:
        """A leaf that is a parameter (a weight, a bias); declaring it again returns it.

            >>> g = sb.Graph()
            >>> g.parameter("w") is g.parameter("w")
            True
        """
        return self._leaf(name, "param", "parameter")

    def define(self, name: str, expr, written: tuple | None = None) -> sympy.Symbol:
        """A named node: ``expr`` is a SymPy expression of nodes defined before it;
        ``written``, the same formula as its author wrote it (for documents, see
        :func:`~symbackprop.reading.formula.read_as_written`).

            >>> g = sb.Graph()
            >>> x, w = g.input("x"), g.parameter("w")
            >>> g.define("z", w * x)
            z
        """
        self._open()
        check_name(name, "definition")
        if isinstance(expr, (int, Fraction)) and not isinstance(expr, bool):
            expr = sympy.Rational(expr)
        if not isinstance(expr, sympy.Expr):
            raise SpecError(f"definition of {name!r}: expected an expression, got {type(expr).__name__}")
        foreign = [f for f in expr.atoms(sympy.Function) if not isinstance(f, ALLOWED_FUNCTIONS)]
        if foreign:
            raise SpecError(f"definition of {name!r}: the function {type(foreign[0]).__name__} is not one "
                            "the project can print, differentiate and evaluate; use a registered activation, "
                            "exp, log, sqrt, Max or Min")
        unknown = sorted((s.name for s in expr.free_symbols if s not in self.nodes))
        if unknown:
            raise SpecError(f"definition of {name!r} uses {unknown[0]!r}, which is not defined before it")
        sym = self._symbol(name, "node")
        op = classify(expr)
        act = expr.activation if op == "activation" else None
        if written is not None and evaluated(written[0]) != expr:
            written = None      # the display must be the same mathematics
        self._add(Node(sym, "node", (), expr, activation=act, op=op, written=written))
        return sym

    def output(self, node) -> None:
        """The node whose gradient is taken (the cost); nothing can be added after it.

            >>> g = sb.Graph()
            >>> f = g.define("f", g.input("x") ** 2)
            >>> g.output(f)
            >>> g.cost_symbol
            f
        """
        sym = self.symbol(node) if isinstance(node, str) else node
        if sym not in self.nodes or self.nodes[sym].expr is None:
            raise SpecError(f"the output must be a defined node, not {getattr(sym, 'name', sym)!r}")
        if not self.nodes[sym].expr.free_symbols:
            raise SpecError(f"the output {sym.name} depends on none of the declared leaves")
        if self.cost_symbol is not None:
            raise SpecError("the graph already has an output")
        reaches = self.upstream([sym])
        if not any(self.nodes[s].is_leaf for s in reaches):
            raise SpecError(f"the output {sym.name} depends on none of the declared leaves")
        old = self.nodes[sym]
        self.nodes[sym] = dataclasses.replace(old, kind="C", consumers=old.consumers)
        self.cost_symbol = sym
        self._derivation = self._used = None

    def _open(self):
        if self.cost_symbol is not None:
            raise SpecError("the graph's output is set: define every node before calling output()")

    # --- values ------------------------------------------------------------------------

    @property
    def values(self) -> dict:
        """{leaf symbol: number} used when no point is given."""
        return self._values

    @values.setter
    def values(self, values: dict) -> None:
        self._values = self.resolve_values(values or {})

    def resolve_values(self, values: dict) -> dict:
        out = {}
        for key, value in values.items():
            sym = self.symbol(key) if isinstance(key, str) else key
            node = self.nodes.get(sym)
            if node is None or node.kind not in ("x", "y", "param"):
                raise SpecError(f"a value is given for {key!r}, which is not an input, target or parameter")
            out[sym] = as_number(value, f"value of {sym.name}")
        return out

    def complete(self, values: dict) -> dict:
        """``values`` with the leaves a builder computes from the others (a recurrent net's
        held states under truncated backpropagation); any other graph: as they are.

            >>> g = sb.load("examples/circuit.toml")
            >>> g.complete(g.values) is g.values
            True
        """
        return values

    # --- structure ---------------------------------------------------------------------

    @property
    def cost(self) -> sympy.Expr:
        """The output's one-step expression.

            >>> sb.load("examples/circuit.toml").cost
            q*z
        """
        return self.nodes[self.cost_symbol].expr

    @property
    def inputs(self) -> tuple:
        """The input leaves, in order of declaration.

            >>> sb.load("examples/circuit.toml").inputs
            (x, y, z)
        """
        return tuple(s for s, n in self.nodes.items() if n.kind == "x")

    @property
    def targets(self) -> tuple:
        """The target leaves, in order of declaration.

            >>> sb.Network([1, 2]).targets
            (y_{1}, y_{2})
        """
        return tuple(s for s, n in self.nodes.items() if n.kind == "y")

    @property
    def parameters(self) -> tuple:
        """Every distinct parameter, in order of declaration (a shared one once).

            >>> sb.load("examples/sigmoid_neuron.toml").parameters
            (w_0, w_1, w_2)
        """
        return tuple(s for s, n in self.nodes.items() if n.kind == "param")

    @property
    def leaves(self) -> tuple:
        """Every leaf (inputs, targets, parameters), in order of declaration.

            >>> sb.load("examples/circuit.toml").leaves
            (x, y, z)
        """
        return tuple(s for s, n in self.nodes.items() if n.expr is None)

    @property
    def defined(self) -> tuple:
        """Every non-leaf node, in the order it was defined (a topological order).

            >>> sb.load("examples/circuit.toml").defined
            (q, f)
        """
        return tuple(s for s, n in self.nodes.items() if n.expr is not None)

    def uses(self, leaf: sympy.Symbol) -> tuple:
        """The edges a leaf sits on: ((consumer, ∂consumer/∂leaf), …).

            >>> g = sb.load("examples/circuit.toml")
            >>> g.uses(g.symbol("z"))
            ((f, q),)
        """
        return tuple((c, local_partial(self, self.nodes[c], leaf)) for c in self.nodes[leaf].consumers)

    @property
    def depth(self) -> dict:
        """{symbol: longest path from a leaf}: 0 for leaves. Nothing at a smaller depth
        than a node's consumers can depend on that node."""
        if self._depth is None:
            depth = {}
            for sym, node in self.nodes.items():
                depth[sym] = 0 if node.expr is None else 1 + max(
                    (depth[p] for p in parents(node)), default=0)
            self._depth = depth
        return self._depth

    def cut(self, leaf: sympy.Symbol) -> int | None:
        """The smallest depth among a leaf's consumers: every node the leaf can change
        is at that depth or deeper (its downstream cone lies there). None if unused."""
        used = self.used
        consumers = [c for c in self.nodes[leaf].consumers if c in used]
        return min(self.depth[c] for c in consumers) if consumers else None

    @property
    def used(self) -> frozenset:
        """The nodes the output depends on (itself included)."""
        if self._used is None:
            self._used = frozenset(self.upstream([self.cost_symbol]))
        return self._used

    def upstream(self, symbols) -> set:
        """Every node from which a path reaches one of ``symbols`` (themselves included)."""
        seen, stack = set(), list(symbols)
        while stack:
            sym = stack.pop()
            if sym in seen:
                continue
            seen.add(sym)
            node = self.nodes[sym]
            if node.expr is not None:
                stack.extend(node.expr.free_symbols)
        return seen

    # --- names of the derivation ----------------------------------------------------------

    def named_adjoint(self, sym: sympy.Symbol) -> bool:
        """Whether the sweep gives this defined node an adjoint symbol of its own (every
        node of a free graph; a layered network names only ∂C/∂z)."""
        return True

    def adjoint_symbol(self, sym: sympy.Symbol) -> sympy.Symbol:
        """The symbol standing for ∂C/∂(sym)."""
        return sympy.Symbol(partial(self.cost_symbol.name, sym.name))

    def gradient_symbol(self, leaf: sympy.Symbol) -> sympy.Symbol:
        return sympy.Symbol(partial(self.cost_symbol.name, leaf.name))

    def gradient_kind(self, leaf: sympy.Symbol) -> str:
        """``x`` for an input, ``p`` for a parameter (a layered network says w or b)."""
        return "x" if self.nodes[leaf].kind == "x" else "p"

    def symbol(self, name: str) -> sympy.Symbol:
        """The symbol of a node by its name (``"w^{(2)}_{11}"``, ``"w_5"``, ``"x_1"``).

            >>> sb.Network([2, 1]).symbol("w^{(1)}_{12}")
            w^{(1)}_{12}
        """
        sym = sympy.Symbol(name)
        if sym in self.nodes:
            return sym
        key = loose(name)
        matches = [s for s in self.nodes if loose(s.name) == key] if _balanced(name) else []
        if len(matches) == 1:
            return matches[0]
        from ..notation.quoting import quote, suggest
        names = [s.name for s, n in self.nodes.items() if n.kind != "C"]
        raise SpecError(f"unknown name {quote(name)}; {suggest(name, names, self.what, key=loose)}")

    def backward(self):
        """The :class:`~symbackprop.core.derivation.Derivation` (built once, then cached).

            >>> sb.load("examples/circuit.toml").backward()
            <Derivation of Graph(3 inputs, 0 parameters, 2 defined nodes, output f): ... formulas>
        """
        if self.cost_symbol is None:
            raise SpecError("the graph has no output: call output(node) first")
        if self._derivation is None:
            self._derivation = self._derive()
        return self._derivation

    def _derive(self):
        """A new derivation of this graph: a builder whose graphs have lookups of their own
        (a layered network's ``dC_dz(l, j)`` …) returns its subclass of Derivation."""
        from .derivation import Derivation
        return Derivation(self)

    def runs_examples(self, point) -> bool:
        """Whether ``point`` means the mini-batch of ``points``: no point, or an empty one
        (no value overridden: ``{}`` means what no argument means), on a graph that has
        examples.

            >>> g = sb.load("examples/minibatch.toml")
            >>> g.runs_examples({}), g.runs_examples({"x_{1}": 0.5})
            (True, False)
        """
        return bool(self.points) and (point is None or (isinstance(point, Mapping) and not point))

    def sum_copies(self, gradients: dict, add=None) -> dict:
        """{name: gradient} with each input's copies (:attr:`copies`) replaced by their sum
        under the input's own name, where its first copy stood; ``add`` adds two values.

            >>> g = sb.load("examples/batchnorm.toml")
            >>> d = {"b": 1.0, "x^{(1)}_{1,1,1}": 0.5, "x^{(2)}_{1,1,1}": 0.25}
            >>> g.sum_copies(d)
            {'b': 1.0, 'x_{1,1,1}': 0.75}
        """
        add = add or (lambda a, b: a + b)
        owner = {leaf.name: name for name, leaves in self.copies.items() for leaf in leaves}
        out: dict = {}
        for key, value in gradients.items():
            name = owner.get(key, key)
            out[name] = add(out[name], value) if name in out else value
        return out

    # --- display -----------------------------------------------------------------------

    def absent(self, base: str, sub: str | None) -> str | None:
        """Why a name of this graph's form is no node (a masked entry), or None: said
        when an answer names it. A graph has no such names; a builder with them (attention's
        masked entries) says why.

            >>> print(sb.load("examples/circuit.toml").absent("q", None))
            None
        """
        return None

    def describe(self) -> str:
        """One line: how many inputs, parameters and defined nodes, and the output.

            >>> sb.load("examples/circuit.toml").describe()
            'Graph(3 inputs, 0 parameters, 2 defined nodes, output f)'
        """
        kinds = {"x": 0, "param": 0, "y": 0}
        for node in self.nodes.values():
            if node.kind in kinds:
                kinds[node.kind] += 1
        return (f"Graph({counted(kinds['x'], 'input')}, {counted(kinds['param'], 'parameter')}, "
                f"{counted(len(self.defined), 'defined node')}, output "
                f"{self.cost_symbol.name if self.cost_symbol is not None else None})")

    def __repr__(self):
        return self.describe()

    def __str__(self):
        """The definitions, one a line (``print(g)``), as written (see documents.jupyter)."""
        if not self.defined:
            return self.describe()
        from ..documents.jupyter import definitions_text
        return definitions_text(self)

    def _repr_latex_(self):
        if self.cost_symbol is None:
            return None
        from ..documents.jupyter import definitions_latex
        return "$%s$" % definitions_latex(self)

    def _repr_html_(self):
        """Jupyter: the definitions as math and the forward picture (see documents.jupyter)."""
        from ..documents.jupyter import graph_html
        return graph_html(self)

    def _repr_svg_(self):
        from ..documents.jupyter import graph_svg
        return graph_svg(self)


_BY_COMPARE = cmp_to_key(sympy.Basic.compare)


def part(table: Mapping, graph):
    """A consumer's part for the graph's kind, or else for the kind of the builder it
    extends (an LSTM is a recurrent net: ``lstm``, then ``gated``, then ``recurrent``), or
    its generic part (``table["graph"]``): how consumers dispatch on the builder, as
    SymPy's printers dispatch on the class.

        >>> part({"graph": "any graph", "layered": "the lecture's story"}, sb.Network([1, 1]))
        "the lecture's story"
        >>> part({"graph": "any graph"}, sb.Network([1, 1]))
        'any graph'
    """
    if graph.kind in table:
        return table[graph.kind]
    for cls in type(graph).__mro__:
        kind = vars(cls).get("kind")
        if kind in table:
            return table[kind]
    return table["graph"]


def product(u, v):
    """u·v. Two distinct symbols are put in SymPy's canonical order directly, skipping
    ``Mul.flatten`` (the bulk of the derivation's time on wide networks); the result is
    the same object ``u * v`` would give."""
    if u.is_Symbol and v.is_Symbol and u != v:
        return sympy.Mul._from_args(tuple(sorted((u, v), key=_BY_COMPARE)), True)
    return u * v


def expression_size(expr, sizes: dict) -> int:
    """Nodes of an expression's tree, a subexpression found in ``sizes`` counted as its
    size there (a symbol standing for its closed form), without building the tree.

        >>> x, y = sympy.symbols("x y")
        >>> expression_size(x * (x + y), {}), expression_size(x * y, {y: 5})
        (5, 7)
    """
    if expr in sizes:
        return sizes[expr]
    if not expr.args:
        return 1
    return 1 + sum(expression_size(arg, sizes) for arg in expr.args)


def parents(node: Node):
    return sorted(node.expr.free_symbols, key=sympy.default_sort_key)


def loose(name: str) -> str:
    """A name with its braces and spaces removed: ``w_{5}`` and ``w_5`` meet."""
    return "".join(ch for ch in name if ch not in "{} ")


def _balanced(name: str) -> bool:
    """Whether every ``{`` of a name is closed, in order (``w_{1`` is no name)."""
    depth = 0
    for ch in name:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _article(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def as_number(value, where: str):
    """A user's number as Fraction (exact: int, 'p/q') or float; anything else is an error."""
    if isinstance(value, bool):
        raise SpecError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, (int, Fraction)):
        return _in_range(Fraction(value), where)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise SpecError(f"{where}: expected a finite number, got {value!r}")
        return value
    if isinstance(value, sympy.Rational):
        return _in_range(Fraction(int(value.p), int(value.q)), where)
    if isinstance(value, sympy.Float):
        return float(value)
    from ..notation.quoting import clip, quote
    if isinstance(value, str):
        exact = parse_fraction(value)
        if exact is not None:
            return _in_range(exact, where)
        power = exponent_too_large(value)
        if power is not None and power > 0:
            raise SpecError(f"{where}: number too large (at most about 1.8e308)")
        if power is not None:
            raise SpecError(f"{where}: number too small (powers of ten below 1e-{MAX_EXPONENT} are not read)")
        raise SpecError(f"{where}: expected a number, got {quote(value, 40)}")
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise SpecError(f"{where}: expected a number, got {clip(shown, None)}")


def _in_range(value: Fraction, where: str) -> Fraction:
    """Exact values must still fit a float: the recursion (route a) and every report use
    floats unless the whole point is exact."""
    try:
        float(value)
    except OverflowError:
        raise SpecError(f"{where}: number too large (at most about 1.8e308)") from None
    return value


__all__ = ["Graph", "Node", "RULES", "affine", "as_number", "classify", "diff", "expression_size", "local_partial",
           "loose", "part", "product", "rule"]
