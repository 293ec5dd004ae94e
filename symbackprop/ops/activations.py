"""The activation registry: one entry per activation function.

Why SymPy ``Function`` classes rather than plain expressions: ``a = σ(z)`` must print as
σ(z) (not as ``1/(1 + e^{-z})``), differentiate to its usual closed form
σ(z)(1 − σ(z)), and compile to a numerically stable evaluator. Each entry therefore
carries

* ``func``: the SymPy function class, printed with the entry's LaTeX;
* ``prime``: the class of its derivative, printed as σ′(z) (the amplifier of the
  reversed network) and expanded by :meth:`Activation.prime_closed` into the usual
  closed form;
* ``numeric``: implementations by number system (``float``: stable float code,
  ``mp``: mpmath at any precision, ``exact``: fractions, only where the function maps
  rationals to rationals);
* ``code``: its function and derivative in exported NumPy and PyTorch modules (:class:`Code`);
* its words for prose, the names an answer may write it by, and the facts other parts
  ask about its derivative (``kinked``, ``nonzero_prime``).

Adding an activation is one call to :func:`register` with an :class:`Activation`: documents,
answers, compiled code and ``symbackprop code`` read everything from the entry.
``softmax`` is the one entry that is not elementwise: its output j depends on every
pre-activation of the layer, so Case 1 goes through its full Jacobian.

Convention at the kink: ReLU′(0) = 0 and leaky ReLU′(0) = α (the derivative from the
left), written with ``step(z)``, which is 1 for z > 0 and 0 otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import mpmath
import sympy
from mpmath.libmp import prec_to_dps

from ..errors import SpecError
from ..exact import parse_fraction

def _power(text: str, exp) -> str:
    """f(z) raised to a power, as LaTeX: ``\\left(f(z)\\right)^{2}``."""
    return text if exp is None else r"\left(%s\right)^{%s}" % (text, exp)


class Step(sympy.Function):
    """step(t) = 1 for t > 0, else 0: the derivative of ReLU, with ReLU′(0) = 0."""

    nargs = 1

    def _eval_is_real(self):
        return self.args[0].is_real

    @classmethod
    def eval(cls, t):
        if t.is_Number:
            return sympy.S.One if t > 0 else sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        return sympy.S.Zero

    def _latex(self, printer, exp=None):
        return _power(r"\operatorname{step}\left(%s\right)" % printer._print(self.args[0]), exp)

    def _sympystr(self, printer):
        return "step(%s)" % printer._print(self.args[0])

    def _eval_evalf(self, prec):
        return self.func(self.args[0].evalf(prec_to_dps(prec)))


class FirstArgmax(sympy.Function):
    """𝟏[x_k is the first maximum of the window]: ∂max(window)/∂x_k as PyTorch routes a
    max-pool gradient, ``FirstArgmax(k, *window)`` with k the 1-based position of x_k.
    Its value is the product of steps Π_{i<k} step(x_k − x_i) · Π_{i>k} (1 − step(x_i − x_k))
    (:meth:`as_steps`), which every evaluation and every program uses; it prints as the
    indicator a lecture writes, 𝟏[x_k = max(x_1, …, x_n)]."""

    @classmethod
    def eval(cls, k, *window):
        if all(x.is_Number for x in window):
            return cls.steps(k, window)
        return None

    @staticmethod
    def steps(k, window):
        """The product of steps for position ``k`` (1-based) of ``window``."""
        k = int(k) - 1
        x = window[k]
        factors = ([Step(x - other) for other in window[:k]]
                   + [1 - Step(other - x) for other in window[k + 1:]])
        return sympy.Mul(*factors)

    @property
    def member(self):
        """x_k, the window entry the indicator is about."""
        return self.args[int(self.args[0])]

    @property
    def window(self) -> tuple:
        return self.args[1:]

    def as_steps(self):
        return self.steps(self.args[0], self.window)

    def _eval_is_real(self):
        return True

    def fdiff(self, argindex=1):
        return sympy.S.Zero

    def _latex(self, printer, exp=None):
        members = ", ".join(printer._print(x) for x in self.window)
        return _power(r"\mathbf{1}\left[%s = \max\left(%s\right)\right]"
                      % (printer._print(self.member), members), exp)

    def _sympystr(self, printer):
        members = ", ".join(printer._print(x) for x in self.window)
        return "𝟏[%s = max(%s)]" % (printer._print(self.member), members)

    def _pythoncode(self, printer):
        return "(%s)" % printer._print(self.as_steps())

    _mpmathcode = _pythoncode

    def _eval_evalf(self, prec):
        return self.as_steps().evalf(prec_to_dps(prec))


def _step(t):
    return 1.0 if t > 0 else 0.0


def _step_exact(t):
    return 1 if t > 0 else 0


class ActivationFunction(sympy.Function):
    """σ(t) for one registry entry; concrete classes are made by :class:`Activation`."""

    nargs = 1
    activation: "Activation"

    def _eval_is_real(self):
        return self.args[0].is_real

    @classmethod
    def eval(cls, t):
        if cls.activation.is_identity:
            return t
        return None

    def fdiff(self, argindex=1):
        return self.activation.prime_closed(self.args[0])

    def _latex(self, printer, exp=None):
        name = self.activation.latex if exp is None else "%s^{%s}" % (self.activation.latex, exp)
        return r"%s\left(%s\right)" % (name, printer._print(self.args[0]))

    def _sympystr(self, printer):
        """σ(z) in SymPy's own string (the REPL's repr of a closed form), as the text
        documents write it."""
        return "%s(%s)" % (self.activation.text, printer._print(self.args[0]))

    def _pretty(self, printer):
        return printer._print_Function(self, func_name=self.activation.text)

    def _eval_evalf(self, prec):
        return self.activation.template(self.args[0]).evalf(prec_to_dps(prec))


class ActivationPrime(sympy.Function):
    """σ′(t): kept unexpanded in one-step formulas (the amplifier σ′(z))."""

    nargs = 1
    activation: "Activation"

    def _eval_is_real(self):
        return self.args[0].is_real

    @classmethod
    def eval(cls, t):
        if cls.activation.is_identity:
            return sympy.S.One
        return None

    def fdiff(self, argindex=1):
        return self.activation.second(self.args[0])

    def closed(self):
        """The usual closed form: σ(z)(1 − σ(z)), 1 − tanh²(z), step(z) …"""
        return self.activation.prime_closed(self.args[0])

    def _latex(self, printer, exp=None):
        return _power(r"%s'\left(%s\right)" % (self.activation.latex, printer._print(self.args[0])), exp)

    def _sympystr(self, printer):
        return "%s′(%s)" % (self.activation.text, printer._print(self.args[0]))

    def _pretty(self, printer):
        return printer._print_Function(self, func_name=self.activation.text + "′")

    def _eval_evalf(self, prec):
        return self.closed().evalf(prec_to_dps(prec))


@dataclass(frozen=True)
class Code:
    """An activation in exported code: the bodies of ``def f(z)`` and ``def f_prime(z)``
    (lines after the first indented by four spaces), each a string in which ``{xp}``
    stands for the array module (``np``, ``torch``), or a dict by language (``numpy``,
    ``torch``) where the two differ; each with its docstring.

    ``calls``: what the bodies call, a helper of the module (``step``) or another
    activation by its registry name (``sigmoid``). ``name``: the functions' identifier
    (the registry name unless options change the function). ``form``: how a layer of
    matrices keeps it: ``"elementwise"`` (a = f(z), δ through f′(z)), ``"sigmoid"`` (a
    and 1 − a = σ(−z) side by side, σ′(z) = a(1 − a), and costs in ln σ) or ``"softmax"``
    (a = softmax(z), δ through its Jacobian); a cost's code is chosen by it.
    """

    f: str | dict | None = None
    prime: str | dict | None = None
    f_doc: str = ""
    prime_doc: str = ""
    calls: tuple = ()
    name: str | None = None
    form: str = "elementwise"

    def body(self, which: str, lang: str, xp: str) -> str:
        """The body of ``f`` or ``prime`` (``which``) in ``lang`` with the array module ``xp``."""
        text = getattr(self, which)
        text = text[lang] if isinstance(text, dict) else text
        return text.replace("{xp}", xp)


class Activation:
    """One registry entry.

    ``template(t)`` is the function as an elementary SymPy expression (used by
    ``evalf`` and for custom activations); ``prime_closed_of(f, t)`` gives the derivative
    in its usual closed form from the function class ``f`` (so that σ′ reads
    σ(t)(1 − σ(t))). ``numeric`` maps a number system to ``(f, f′)`` callables.
    ``range`` is ``"unit"`` (0, 1), ``"positive"`` (0, ∞), ``"real"``, or ``None`` when
    unknown; costs with a logarithm use it to reject outputs that can be ≤ 0.
    ``words``: its name in prose (``leaky ReLU``); ``kinked``: not differentiable at 0;
    ``nonzero_prime``: its derivative is never 0 (a δ may be divided by it);
    ``code``: a :class:`Code` for exported modules, ``None`` to print the template.
    """

    def __init__(self, name: str, latex: str, template: Callable, prime_closed_of: Callable,
                 numeric: dict, *, text: str | None = None, range: str | None = "real",
                 class_name: str | None = None,
                 elementwise: bool = True, is_identity: bool = False, kinked: bool = False,
                 nonzero_prime: bool = False, words: str | None = None, code: Code | None = None,
                 options: dict | None = None):
        self.name = name
        self.latex = latex
        self.text = text or name  # Unicode, for terminals: σ, tanh, ReLU
        self.words = words or name.replace("_", " ")  # prose: "a leaky ReLU layer"
        self.template = template
        self._prime_closed_of = prime_closed_of
        self.numeric = numeric
        self.range = range
        self.elementwise = elementwise
        self.is_identity = is_identity
        self.kinked = kinked  # not differentiable at 0 (ReLU, leaky ReLU)
        self.nonzero_prime = nonzero_prime
        self.code = code
        self._second = None
        self.options = dict(options or {})
        base = class_name or _identifier(name)
        self.func = type(base, (ActivationFunction,), {"activation": self})
        self.prime = type(base + "Prime", (ActivationPrime,), {"activation": self})

    def __call__(self, t):
        return self.func(t)

    def second(self, t):
        """σ″(t) in closed form, differentiated once per activation and kept."""
        if self._second is None:
            d = sympy.Dummy("d")
            self._second = (d, sympy.diff(self.prime_closed(d), d))
        d, expr = self._second
        return expr.xreplace({d: t})

    def prime_closed(self, t):
        """The derivative at ``t`` in its usual closed form."""
        return self._prime_closed_of(self.func, t)

    def namespace(self, system: str) -> dict:
        """Name → callable for compiled code in ``system`` (float, mp or exact)."""
        if system not in self.numeric:
            return {}
        f, fp = self.numeric[system]
        space = {self.func.__name__: f}
        if fp is not None:
            space[self.prime.__name__] = fp
        return space

    def describe(self) -> str:
        if self.options:
            opts = ", ".join(f"{k}={v}" for k, v in sorted(self.options.items()))
            return f"{self.name} ({opts})"
        return self.name

    def __repr__(self):
        return f"Activation({self.describe()!r})"

    @classmethod
    def custom(cls, name: str, fn: Callable, latex: str | None = None) -> "Activation":
        """An activation from a SymPy expression: ``Activation.custom("swish", lambda t: t*sympy.tanh(t))``.

        The derivative is found once by ``sympy.diff`` on the one-variable template;
        numbers come from ``lambdify`` of the template and its derivative.
        """
        t = sympy.Symbol("t", real=True)
        try:
            expr = sympy.sympify(fn(t), strict=True)
        except Exception as exc:  # the user's own Python callable failed
            raise SpecError(f"custom activation {name!r}: calling it on a symbol failed: {exc}") from None
        if expr.free_symbols - {t}:
            raise SpecError(f"custom activation {name!r} may only use its argument, not "
                            f"{sorted(map(str, expr.free_symbols - {t}))}")
        dexpr = sympy.diff(expr, t)
        numeric = {
            "float": (sympy.lambdify(t, expr, "math"), sympy.lambdify(t, dexpr, "math")),
            "mp": (sympy.lambdify(t, expr, "mpmath"), sympy.lambdify(t, dexpr, "mpmath")),
        }
        return cls(name, latex or r"\operatorname{%s}" % name,
                   lambda x: expr.xreplace({t: x}),
                   lambda f, x: dexpr.xreplace({t: x}),
                   numeric, range=None, class_name=_custom_class_name(name, expr))


def _identifier(name: str) -> str:
    out = "".join(ch if ch.isalnum() else "_" for ch in name)
    return out if out[:1].isalpha() else "A" + out


#: Class name of a custom activation → the templates (in t) defined under it, in order.
_CUSTOM_TEMPLATES: dict[str, list] = {}


def _custom_class_name(name: str, template) -> str:
    """``Custom_<name as an identifier>``, numbered where another function already holds
    that identifier ("my act" and "my-act", or one name defined twice): compiled code
    finds a function by its class name, so two functions must never share one."""
    base = "Custom_" + _identifier(name)
    templates = _CUSTOM_TEMPLATES.setdefault(base, [])
    for i, known in enumerate(templates):
        if known == template:
            break
    else:
        i = len(templates)
        templates.append(template)
    return base if i == 0 else "%s_%d" % (base, i + 1)


# --- numerically stable float forms -----------------------------------------------

def _sigmoid(t):
    if t >= 0:
        return 1.0 / (1.0 + math.exp(-t))
    e = math.exp(t)
    return e / (1.0 + e)


def _sigmoid_prime(t):
    return _sigmoid(t) * _sigmoid(-t)  # σ(t)(1 − σ(t)) without cancellation in 1 − σ(t)


def _softplus(t):
    return max(t, 0.0) + math.log1p(math.exp(-abs(t)))


def _silu_prime(t):
    s = _sigmoid(t)
    return s * (1.0 + t * _sigmoid(-t))


def _mp_sigmoid(t):
    return 1 / (1 + mpmath.exp(-t))


def _mp_sigmoid_prime(t):
    return _mp_sigmoid(t) * _mp_sigmoid(-t)


def _tanh_prime(t):
    """tanh′(t) = sech²(t) = 4e^{−2|t|}/(1 + e^{−2|t|})²: every digit at any |t| (the
    textbook 1 − tanh²(t) cancels: relative error 6·10⁻⁴ at |t| = 15, 0.77 at 20, 0 beyond)."""
    e = math.exp(-2.0 * abs(t))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def _mp_tanh_prime(t):
    return mpmath.sech(t) ** 2


def _relu(t):
    return t if t > 0 else 0 * t


# --- the registry --------------------------------------------------------------------

REGISTRY: dict[str, Callable[..., Activation]] = {}
#: The names an answer may write an activation by (words lower-case, or LaTeX commands)
#: → its registry name. ``register(..., names=…)`` adds them: one place per activation.
READER_NAMES: dict[str, str] = {}
#: The options each activation takes (a spec's ``{name = "leaky_relu", alpha = 0.1}``).
OPTIONS: dict[str, tuple] = {}


def register(name: str, factory: Callable[..., Activation], names=(), options=()) -> None:
    """Add an activation: ``factory(**options)`` returns the :class:`Activation`;
    ``names`` are what an answer may call it besides ``name`` (``\\tanh``, ``logistic``);
    ``options`` the names of the options ``factory`` takes."""
    REGISTRY[name] = factory
    OPTIONS[name] = tuple(options)
    for word in (name, *names):
        READER_NAMES[word if word.startswith("\\") else word.lower()] = name


def reader_names(act: "Activation") -> tuple[str, ...]:
    """Every name an answer may write ``act`` by: its own, its LaTeX command or
    ``\\operatorname{…}`` word, and the registry's names for it."""
    out = [act.name]
    if not act.func.__name__.startswith("Custom_"):
        out += [w for w, n in READER_NAMES.items() if n == act.name]
    latex = act.latex
    word = latex[len("\\operatorname{"):-1] if latex.startswith("\\operatorname{") else ""
    if latex.endswith("}") and word.isascii() and word.isalnum():
        out.append(word)
    elif latex.startswith("\\") and latex[1:].isascii() and latex[1:].isalpha():
        out.append(latex)
    return tuple(dict.fromkeys(w if w.startswith("\\") else w.lower() for w in out))


def _cached(build):
    made = {}

    def factory(**options):
        key = tuple(sorted(options.items()))
        try:
            hash(key)
        except TypeError:  # a list or table as an option: let build() say what is wrong
            return build(**options)
        if key not in made:
            made[key] = build(**options)
        return made[key]
    return factory


_SIGMOID = Activation(
    "sigmoid", r"\sigma",
    lambda t: 1 / (1 + sympy.exp(-t)),
    lambda f, t: f(t) * (1 - f(t)),
    {"float": (_sigmoid, _sigmoid_prime), "mp": (_mp_sigmoid, _mp_sigmoid_prime)},
    text="σ", range="unit", class_name="Sigmoid", nonzero_prime=True,
    code=Code("return 1 / (1 + {xp}.exp(-z))", "return sigmoid(z) * sigmoid(-z)",
              "σ(z) = 1/(1 + e^{−z}): every digit for either sign of z (e^{−z} = ∞ gives the limit 0)",
              "σ′(z) = σ(z)·σ(−z), the same as σ(z)(1 − σ(z)) without cancellation", form="sigmoid"))
register("sigmoid", lambda: _SIGMOID, names=(r"\sigma", "sigma", "logistic"))

register("tanh", _cached(lambda: Activation(
    "tanh", r"\tanh",
    lambda t: sympy.tanh(t),
    lambda f, t: 1 - f(t) ** 2,
    {"float": (math.tanh, _tanh_prime), "mp": (mpmath.tanh, _mp_tanh_prime)},
    class_name="Tanh", nonzero_prime=True,
    code=Code("return {xp}.tanh(z)", "e = {xp}.exp(-2.0 * {xp}.abs(z))\n    return 4.0 * e / ((1.0 + e) * (1.0 + e))",
              "tanh(z)", "tanh′(z) = sech²(z) = 1 − tanh²(z), written without cancellation"))), names=(r"\tanh",))

register("relu", _cached(lambda: Activation(
    "relu", r"\operatorname{ReLU}",
    lambda t: sympy.Piecewise((t, t > 0), (0, True)),
    lambda f, t: Step(t),
    {"float": (_relu, _step), "mp": (_relu, _step), "exact": (_relu, _step_exact)},
    text="ReLU", class_name="ReLU", kinked=True, words="ReLU",
    code=Code("return {xp}.where(z > 0, z, 0.0 * z)", "return step(z)", "ReLU(z) = max(z, 0)",
              "ReLU′(z) = step(z), 0 at z = 0", calls=("step",)))), names=("ReLU",))


def _exact(value):
    """A number as an exact Fraction, 0.01 as 1/100 (as written, not as the binary float);
    None for anything else. Strings are read by ``Fraction`` only, never evaluated."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(repr(value)) if math.isfinite(value) else None
    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, sympy.Float):
        return Fraction(str(value))
    if isinstance(value, str):
        return parse_fraction(value)
    return None


def _leaky_relu(alpha=sympy.Rational(1, 100)):
    exact = _exact(alpha)
    shown = repr(alpha) if len(repr(alpha)) <= 40 else repr(alpha)[:37] + "..."
    if exact is None or not 0 <= exact < 1 or exact.denominator > 10**12:
        raise SpecError(f"leaky_relu: alpha must be a number in [0, 1) with at most 12 decimals, "
                        f"got {shown}")
    a = sympy.Rational(exact.numerator, exact.denominator)
    fa, ea = float(a), Fraction(int(a.p), int(a.q))
    code = Code(f"return {{xp}}.where(z > 0, z, {fa!r} * z)",
                f"return {{xp}}.where(z > 0, 1.0 + 0.0 * z, {fa!r} + 0.0 * z)",
                f"leaky ReLU with slope α = {a} below 0", f"LReLU′(z) = 1 for z > 0, else α = {a}",
                name="leaky_relu" if a == sympy.Rational(1, 100) else "leaky_relu_%d_%d" % (a.p, a.q))
    return Activation(
        "leaky_relu", r"\operatorname{LReLU}_{%s}" % sympy.latex(a),
        lambda t: sympy.Piecewise((t, t > 0), (a * t, True)),
        lambda f, t: a + (1 - a) * Step(t),
        {"float": (lambda t: t if t > 0 else fa * t, lambda t: 1.0 if t > 0 else fa),
         "mp": (lambda t: t if t > 0 else mpmath.mpf(a.p) / a.q * t,
                lambda t: mpmath.mpf(1) if t > 0 else mpmath.mpf(a.p) / a.q),
         "exact": (lambda t: t if t > 0 else ea * t, lambda t: 1 if t > 0 else ea)},
        text="LReLU", class_name="LeakyReLU_%d_%d" % (a.p, a.q), kinked=True, words="leaky ReLU",
        code=code, options={"alpha": a})


register("leaky_relu", _cached(_leaky_relu), names=("LReLU", "leakyrelu", "leaky_ReLU"), options=("alpha",))

register("identity", _cached(lambda: Activation(
    "identity", r"\operatorname{id}",
    lambda t: t,
    lambda f, t: sympy.S.One,
    {"float": (lambda t: t, lambda t: 1.0), "mp": (lambda t: t, lambda t: mpmath.mpf(1)),
     "exact": (lambda t: t, lambda t: 1)},
    text="id", class_name="Identity", is_identity=True,
    code=Code("return z", "return 0.0 * z + 1.0", "id(z) = z", "id′(z) = 1"))), names=("identity",))

register("softplus", _cached(lambda: Activation(
    "softplus", r"\operatorname{softplus}",
    lambda t: sympy.log(1 + sympy.exp(t)),
    lambda f, t: _SIGMOID.func(t),
    {"float": (_softplus, _sigmoid), "mp": (lambda t: mpmath.log1p(mpmath.exp(t)), _mp_sigmoid)},
    range="positive", class_name="Softplus", nonzero_prime=True,
    code=Code("return {xp}.where(z > 0, z, 0.0 * z) + {xp}.log1p({xp}.exp(-{xp}.abs(z)))", "return sigmoid(z)",
              "softplus(z) = ln(1 + e^z), without overflow", "softplus′(z) = σ(z)", calls=("sigmoid",)))),
    names=("softplus",))

register("silu", _cached(lambda: Activation(
    "silu", r"\operatorname{SiLU}",
    lambda t: t / (1 + sympy.exp(-t)),
    lambda f, t: _SIGMOID.func(t) * (1 + t * (1 - _SIGMOID.func(t))),
    {"float": (lambda t: t * _sigmoid(t), _silu_prime),
     "mp": (lambda t: t * _mp_sigmoid(t),
            lambda t: _mp_sigmoid(t) * (1 + t * (1 - _mp_sigmoid(t))))},
    text="SiLU", class_name="SiLU", words="SiLU",
    code=Code("return z * sigmoid(z)", "return sigmoid(z) * (1.0 + z * sigmoid(-z))", "SiLU(z) = z·σ(z)",
              "SiLU′(z) = σ(z)(1 + z(1 − σ(z)))", calls=("sigmoid",)))), names=("swish",))


# --- softmax: the one activation that is not elementwise -----------------------------

class Softmax(sympy.Function):
    """softmax_j(z_1, …, z_n) = e^{z_j} / Σ_i e^{z_i}; args are (j, z_1, …, z_n), j 1-based."""

    def _eval_is_real(self):
        return all(z.is_real for z in self.args[1:]) or None

    @classmethod
    def eval(cls, j, *zs):
        if not zs or not (j.is_Integer and 1 <= j <= len(zs)):
            raise SpecError("softmax: the index must be an integer between 1 and the layer width")
        return None

    def fdiff(self, argindex=1):
        if argindex == 1:
            return sympy.S.Zero
        j, zs = int(self.args[0]), self.args[1:]
        k = argindex - 1
        return self * ((1 if j == k else 0) - Softmax(k, *zs))

    def _latex(self, printer, exp=None):
        zs = ", ".join(printer._print(z) for z in self.args[1:])
        return _power(r"\operatorname{softmax}_{%s}\left(%s\right)" % (self.args[0], zs), exp)

    def _sympystr(self, printer):
        return "softmax_%s(%s)" % (self.args[0], ", ".join(printer._print(z) for z in self.args[1:]))

    def _eval_evalf(self, prec):
        j, zs = int(self.args[0]), self.args[1:]
        expr = sympy.exp(zs[j - 1]) / sympy.Add(*[sympy.exp(z) for z in zs])
        return expr.evalf(prec_to_dps(prec))


def _softmax_float(j, *zs):
    m = max(zs)
    exps = [math.exp(z - m) for z in zs]
    return exps[int(j) - 1] / math.fsum(exps)


def _softmax_mp(j, *zs):
    m = max(zs)
    exps = [mpmath.exp(z - m) for z in zs]
    return exps[int(j) - 1] / mpmath.fsum(exps)


_SOFTMAX = Activation(
    "softmax", r"\operatorname{softmax}",
    None, None, {"float": (_softmax_float, None), "mp": (_softmax_mp, None)},
    range="unit", class_name="SoftmaxEntry", elementwise=False, code=Code(form="softmax"))
_SOFTMAX.func = Softmax
register("softmax", lambda: _SOFTMAX)


def _softmax_fdiff(self, argindex, rule):
    if argindex == 1:
        return sympy.S.Zero
    j, zs = int(self.args[0]), self.args[1:]
    return rule(j, argindex - 1, zs)


class _NumbersOnly(sympy.Function):
    """A function for numbers only, evaluated by its mpmath implementation (:data:`_MP`) at
    the precision asked, so that ``sympy.N`` gives its value as it does for σ or softmax."""

    def _eval_is_real(self):
        return all(a.is_real for a in self.args) or None

    def _eval_evalf(self, prec):
        args = [a.evalf(prec_to_dps(prec) + 5) for a in self.args]
        if not all(a.is_Number for a in args):
            return None
        with mpmath.workprec(prec + 20):
            try:
                value = _MP[type(self).__name__](*(mpmath.mpf(a._to_mpmath(prec + 20)) for a in args))
            except ValueError:  # ln 0: the complement of a one-unit softmax
                return sympy.S.NegativeInfinity
            return sympy.Float(value, prec_to_dps(prec))


class SoftmaxComplement(_NumbersOnly):
    """1 − softmax_j(z_1, …, z_n) = Σ_{i≠j} e^{z_i} / Σ_i e^{z_i}, for numbers only: the
    complement of a saturated output without the cancellation of 1 − a_j (0 in floats
    once a_j rounds to 1, at a logit gap of 37). Its derivatives (like those of the log
    forms below) serve the check's error scale."""

    def fdiff(self, argindex=1):
        return _softmax_fdiff(self, argindex, lambda j, k, zs: (
            -Softmax(j, *zs) * SoftmaxComplement(j, *zs) if j == k else Softmax(j, *zs) * Softmax(k, *zs)))


class LogSoftmaxComplement(_NumbersOnly):
    """ln(1 − softmax_j(z_1, …, z_n)), for numbers only (see :class:`LogSigmoid`)."""

    def fdiff(self, argindex=1):
        return _softmax_fdiff(self, argindex, lambda j, k, zs: (
            -Softmax(j, *zs) if j == k
            else Softmax(j, *zs) * Softmax(k, *zs) / SoftmaxComplement(j, *zs)))


class LogSigmoid(_NumbersOnly):
    """ln σ(t), for numbers only: cost code uses it where ln a with a = σ(z) would lose
    every digit once σ saturates (ln(1 − σ(40)) in floats is ln 0)."""

    nargs = 1

    def fdiff(self, argindex=1):
        return _SIGMOID.func(-self.args[0])


class LogSoftmax(_NumbersOnly):
    """ln softmax_j(z_1, …, z_n), for numbers only (see :class:`LogSigmoid`)."""

    def fdiff(self, argindex=1):
        return _softmax_fdiff(self, argindex, lambda j, k, zs: (
            SoftmaxComplement(j, *zs) if j == k else -Softmax(k, *zs)))


def _log_sigmoid(t):
    return -math.log1p(math.exp(-t)) if t >= 0 else t - math.log1p(math.exp(t))


def _mp_log_sigmoid(t):
    return -mpmath.log1p(mpmath.exp(-t)) if t >= 0 else t - mpmath.log1p(mpmath.exp(t))


def _logsumexp(zs, exp, log1p, fsum):
    """ln Σ e^{z_i} as (m, r) with the sum m + r, r = log1p(Σ_{i≠argmax} e^{z_i − m}):
    the 1 of the largest term is never added before the logarithm, and m is kept apart
    so that z_j − m − r keeps the digits of a small r (ln(1 + 10⁻¹⁶) at a gap of 37)."""
    i = max(range(len(zs)), key=lambda k: zs[k])
    m = zs[i]
    return m, log1p(fsum(exp(z - m) for k, z in enumerate(zs) if k != i))


def _log_softmax_float(j, *zs):
    m, r = _logsumexp(zs, math.exp, math.log1p, math.fsum)
    return (zs[int(j) - 1] - m) - r


def _log_softmax_mp(j, *zs):
    m, r = _logsumexp(zs, mpmath.exp, mpmath.log1p, mpmath.fsum)
    return (zs[int(j) - 1] - m) - r


def _others(j, zs):
    j = int(j) - 1
    others = zs[:j] + zs[j + 1:]
    if not others:  # a one-unit softmax is 1: its complement is 0, ln 0 undefined
        raise ValueError("math domain error")
    return others


def _softmax_complement_float(j, *zs):
    if len(zs) == 1:
        return 0.0
    m = max(zs)
    return math.fsum(math.exp(z - m) for z in _others(j, zs)) / math.fsum(math.exp(z - m) for z in zs)


def _softmax_complement_mp(j, *zs):
    if len(zs) == 1:
        return mpmath.mpf(0)
    m = max(zs)
    return mpmath.fsum(mpmath.exp(z - m) for z in _others(j, zs)) / mpmath.fsum(mpmath.exp(z - m) for z in zs)


def _log_softmax_complement_float(j, *zs):
    """ln Σ_{i≠j} e^{z_i} − ln Σ_i e^{z_i}."""
    f = (math.exp, math.log1p, math.fsum)
    (mo, ro), (m, r) = _logsumexp(_others(j, zs), *f), _logsumexp(zs, *f)
    return (mo - m) + (ro - r)


def _log_softmax_complement_mp(j, *zs):
    f = (mpmath.exp, mpmath.log1p, mpmath.fsum)
    (mo, ro), (m, r) = _logsumexp(_others(j, zs), *f), _logsumexp(zs, *f)
    return (mo - m) + (ro - r)


NUMERIC_HELPERS = {
    "float": {"Step": _step, "LogSigmoid": _log_sigmoid, "LogSoftmax": _log_softmax_float,
              "SoftmaxComplement": _softmax_complement_float,
              "LogSoftmaxComplement": _log_softmax_complement_float},
    "mp": {"Step": _step, "LogSigmoid": _mp_log_sigmoid, "LogSoftmax": _log_softmax_mp,
           "SoftmaxComplement": _softmax_complement_mp,
           "LogSoftmaxComplement": _log_softmax_complement_mp},
    "exact": {"Step": _step_exact},
}
_MP = NUMERIC_HELPERS["mp"]


def get(spec) -> Activation:
    """The activation named by ``spec``: a name, a dict ``{"name": …, options}``, or an Activation."""
    if isinstance(spec, Activation):
        return spec
    options = {}
    if isinstance(spec, dict):
        options = {k: v for k, v in spec.items() if k != "name"}
        if "name" not in spec:
            raise SpecError("an activation table needs a name, e.g. {name = \"leaky_relu\", alpha = 0.1}")
        spec = spec["name"]
    if not isinstance(spec, str) or spec not in REGISTRY:
        shown = repr(spec) if len(repr(spec)) <= 40 else repr(spec)[:37] + "..."
        raise SpecError(f"unknown activation {shown}; expected one of: {', '.join(sorted(REGISTRY))}")
    unknown = sorted(set(options) - set(OPTIONS.get(spec, ())))
    if unknown:
        takes = ", ".join(OPTIONS.get(spec, ())) or "none"
        raise SpecError(f"activation {spec!r} has no option {unknown[0]!r} (its options: {takes})")
    return REGISTRY[spec](**options)



def elementwise() -> dict:
    """Every registered elementwise activation with its default options, by name: what
    the package exports as ``sb.sigmoid`` …"""
    made = {name: get(name) for name in REGISTRY}
    return {name: act for name, act in made.items() if act.elementwise}


def words(act) -> str:
    """An activation's name in words, with its options: ``leaky ReLU (alpha=1/100)``."""
    name = act.words
    if act.options:
        name += " (%s)" % ", ".join(f"{k}={v}" for k, v in sorted(act.options.items()))
    return name
