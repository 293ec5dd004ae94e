"""The command line: argparse wiring over the library, nothing more.

Every :class:`~symbackprop.errors.SymbackpropError` becomes one line ``error: …`` on
stderr and exit code 2; files are written whole or not at all.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from pathlib import Path

from .documents import FORMATS
from .errors import PointError, SymbackpropError
from .io import read_text
from .notation.numerals import short
from .notation.quoting import clip, counted, one_line

LECTURE_SPEC = Path(__file__).parent / "data" / "lecture.toml"


def load(*args, **kwargs):
    """:func:`symbackprop.loading.load`, imported on first use (with SymPy), inside
    :func:`main`, where Ctrl-C is one line."""
    from .loading import load as load_spec
    return load_spec(*args, **kwargs)


def unicode_name(name: str) -> str:
    from .notation.printing import unicode_name as printed
    return printed(name)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise SymbackpropError(message)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    parser = _Parser(prog="symbackprop",
                     description="Derive backpropagation symbolically and check it three ways.")
    parser.add_argument("--version", action="version", version=f"symbackprop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("demo", help="the lecture's network: derivation and numbers, in the terminal")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("eval", help="forward values, cost, every gradient and the three-way check")
    p.add_argument("spec", metavar="SPEC", help="network spec (.toml or .json)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _step_arguments(p)
    p.set_defaults(run=cmd_eval)

    p = sub.add_parser("derive", help="the derivation as a document")
    p.add_argument("spec", metavar="SPEC", help="network spec (.toml or .json)")
    p.add_argument("--format", choices=FORMATS,
                   help="default: from the -o extension (.tex .md .html .json .txt), else latex; "
                        "beamer and slides: the lecture's slides, as Beamer LaTeX or one HTML file")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--fragment", action="store_true", help="only the body, to paste into existing notes")
    p.add_argument("--closed", action="store_true", help="also show every formula in closed form")
    p.add_argument("--notation", choices=["layered", "bracket", "lecture"], help="override the spec's notation")
    p.add_argument("--numbers", action="store_true",
                   help="also write every formula with the numbers substituted, then its value")
    _step_arguments(p)
    p.add_argument("--no-check", dest="check", action="store_false",
                   help="the numbers without the three-way check (faster on a large network)")
    p.add_argument("--full", action="store_true",
                   help="every neuron of a layer wider than six units (default: neurons 1, 2 and the last)")
    p.add_argument("--steps", type=int, metavar="K",
                   help="a recurrent net's pictures: draw only the first K steps (the formulas keep all)")
    p.set_defaults(run=cmd_derive)

    p = sub.add_parser("check", help="check one hand-derived answer")
    p.add_argument("spec", metavar="SPEC", help="network spec (.toml or .json)")
    p.add_argument("--wrt", required=True, metavar="NAME", help="the parameter or node, e.g. w_5")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--answer", metavar="LATEX", help="the answer, in LaTeX or plain text")
    group.add_argument("--answer-file", metavar="FILE", help="read the answer from FILE")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--notation", choices=["layered", "bracket", "lecture"],
                   help="read names in this notation instead of the spec's (layered nets)")
    _policy_arguments(p)
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("grade", help="grade a CSV of answers (columns id,wrt,answer)")
    p.add_argument("spec", metavar="SPEC", help="network spec (.toml or .json), or an assignment's folder "
                                                "(answers with columns student,id,answer)")
    p.add_argument("answers", metavar="ANSWERS.csv",
                   help="CSV with columns id,wrt,answer (optional: student, points, tolerance, form; others kept)")
    p.add_argument("-o", "--output", metavar="REPORT", help="report file: .csv, .json or .html")
    p.add_argument("--totals", metavar="FILE.csv",
                   help="also write one row per student (student, score, max) for a grade book")
    p.add_argument("--gradescope", metavar="FILE.json",
                   help="also write Gradescope's results.json for one submission")
    p.add_argument("--undecided-score", type=_fraction_of_points, default=None, metavar="X",
                   help="fraction of its points an undecided answer scores (0 to 1; default 0.5)")
    _policy_arguments(p)
    p.add_argument("--credit", metavar="NAME=X,…",
                   help="fraction of its points (0 to 1) a wrong answer with this named mistake "
                        "scores, e.g. sign_error=0.5,factor_two=0.5")
    p.add_argument("--feedback", choices=["full", "diagnosis", "verdict"],
                   help="what the feedback says: the mistake and where (full, the default), the "
                        "mistake only, or only right or wrong")
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser("code", help="the derivation as a standalone Python module (NumPy or PyTorch)")
    p.add_argument("spec", metavar="SPEC", help="network spec (.toml or .json)")
    p.add_argument("--lang", default="numpy", choices=["numpy", "torch"], help="the array library (default numpy)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the module to FILE (.py) instead of standard output")
    p.set_defaults(run=cmd_code)

    p = sub.add_parser("serve", help="the answer page: a web server where students check their answers")
    p.add_argument("spec", metavar="SPEC_OR_DIR", help="a network spec, or an assignment folder (manifest.json)")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="the port (default 8000)")
    p.add_argument("--db", default="submissions.db", metavar="FILE",
                   help="the SQLite file every check is stored in (default submissions.db here)")
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("assign", help="a variant of a template spec per student: specs, sheets, keys, LMS files")
    p.add_argument("spec", metavar="SPEC", help="template spec with an [exercise] section (.toml or .json)")
    p.add_argument("--roster", required=True, metavar="ROSTER.csv", help="CSV with a student column")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="new (or empty) folder to write")
    p.set_defaults(run=cmd_assign)
    return parser


def _policy_arguments(p) -> None:
    p.add_argument("--rel-tol", metavar="X",
                   help="a number answer is right within X × |expected value| (default: to the digits written)")
    p.add_argument("--abs-tol", metavar="X",
                   help="a number answer is right within X of the expected value")
    p.add_argument("--closed", action="store_true",
                   help="accept only a closed form: an answer naming an adjoint (δ, ∂C/∂·) is not_expanded")


def _policy(args, net):
    """The spec's grading policy with the command line's options, its mistakes read."""
    from .answers.policy import parse_credit, policy_of, tolerance_value
    from .answers.verdict import prepare
    tolerances = {option: None if value is None else tolerance_value(value, option)
                  for option, value in (("--rel-tol", args.rel_tol), ("--abs-tol", args.abs_tol))}
    credit = getattr(args, "credit", None)
    policy = policy_of(net).with_options(
        rel_tol=tolerances["--rel-tol"], abs_tol=tolerances["--abs-tol"], closed=args.closed,
        credit=parse_credit(credit) if credit is not None else (),
        feedback=getattr(args, "feedback", None))
    prepare(net, policy)
    return policy


def _step_arguments(p) -> None:
    p.add_argument("--learning-rate", metavar="ETA",
                   help="add one gradient-descent step p ← p − η ∂C/∂p and the cost after it")
    p.add_argument("--hold", metavar="NAMES",
                   help="parameters the step keeps fixed: comma-separated names, or weights, biases")


def derive_format(args) -> str:
    """--format, else the -o file's extension (as the format modules declare them), else latex."""
    if args.format is not None:
        return args.format
    if args.output is not None:
        from .documents import extensions
        return extensions().get(Path(args.output).suffix.lower(), "latex")
    return "latex"


def _step(args):
    """(learning rate, hold) from the command line; --hold alone is an error."""
    if args.learning_rate is None:
        if args.hold is not None:
            raise SymbackpropError("--hold keeps parameters fixed during a step: give --learning-rate too")
        return None, None
    from .numeric.update import learning_rate
    return learning_rate(args.learning_rate), args.hold


def _fraction_of_points(text: str):
    """``--undecided-score``: a number from 0 to 1, kept exact (0.5 → 1/2)."""
    from fractions import Fraction
    try:
        value = Fraction(text.strip()) if text.strip().isascii() else None
    except (ValueError, ZeroDivisionError):
        value = None
    if value is None or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {clip(text)!r}")
    return value


class _ClosedOutput:
    """Standard output when the process was started without one (``>&-``): any write
    fails as a write to a closed file does."""

    def write(self, text):
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self):
        pass

    def isatty(self):
        return False


def _error(message: str) -> None:
    """One ``error: …`` line on stderr (nowhere when stderr is closed): the message made
    one line with every control character escaped, whatever user text it quotes."""
    if sys.stderr is not None:
        print(f"error: {one_line(message)}", file=sys.stderr)


def _discard_output() -> None:
    """Standard output to the null device: nothing more to flush at exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no descriptor (closed, or a test's buffer)
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass


def main(argv=None) -> int:
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "output", None) == "":
            raise SymbackpropError("the output path is empty")
        for option in ("totals", "gradescope"):
            if getattr(args, option, None) == "":
                raise SymbackpropError(f"--{option}: the path is empty")
        _refuse_input_as_output(args)
        code = args.run(args)
        sys.stdout.flush()
        return code
    except SymbackpropError as exc:
        _error(str(exc))
        return 2
    except BrokenPipeError:  # symbackprop … | head: the reader has what it wanted
        _discard_output()
        return 1
    except OSError as exc:  # standard output closed or full
        _error(f"cannot write the output: {exc.strerror or exc}")
        _discard_output()
        return 2
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: the same inode (a symbolic or hard link), or
    the same resolved path when either does not exist."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        try:
            return os.path.realpath(a) == os.path.realpath(b)
        except (OSError, ValueError):
            return False


def _refuse_input_as_output(args) -> None:
    """An output (``-o``, ``grade --totals``, ``grade --gradescope``) naming a file the
    command reads would replace it, and two outputs naming one file would overwrite each
    other: refused before anything is read or written."""
    outputs = [(option, getattr(args, attr, None)) for option, attr in
               (("-o", "output"), ("--totals", "totals"), ("--gradescope", "gradescope"))]
    outputs = [(option, path) for option, path in outputs if path]
    inputs = [("spec", getattr(args, "spec", None)), ("answers file", getattr(args, "answers", None))]
    for option, output in outputs:
        for what, path in inputs:
            if path is not None and path != "" and _same_file(output, path):
                raise SymbackpropError(f"{option} {clip(output, None)}: is the {what} this command "
                                       "reads; write the output to another file")
    for i, (option, output) in enumerate(outputs):
        for other, path in outputs[:i]:
            if _same_file(output, path):
                raise SymbackpropError(f"{option} {clip(output, None)}: is also the {other} file; "
                                       "give each output a file of its own")


# --- demo and eval ----------------------------------------------------------------------

class _GraphValues:
    """How ``eval`` shows the values of one example of any graph: node by node."""

    @staticmethod
    def forward_lines(net, values) -> list[str]:
        lines = ["Forward pass (each node from the nodes before it):"]
        lines += [f"  {unicode_name(name)} = {short(v)}" for name, v in values.nodes.items()]
        lines.append(f"Output: {unicode_name(net.cost_symbol.name)} = {short(values.cost)}")
        return lines

    @staticmethod
    def example_json(values) -> dict:
        return {"cost": float(values.cost), "nodes": _floats(values.nodes),
                "gradients": _floats(values.gradients), "adjoints": _floats(values.adjoints)}


class _LayeredValues:
    """How ``eval`` shows the values of one example of a layered network: layer by layer."""

    @staticmethod
    def forward_lines(net, values) -> list[str]:
        lines = ["Forward pass (z = Σ w·a + b, a = activation(z)):"]
        for l in range(1, net.L + 1):
            zs = ", ".join(short(values.z(l, j)) for j in range(1, net.sizes[l] + 1))
            acts = ", ".join(short(values.a(l, j)) for j in range(1, net.sizes[l] + 1))
            lines.append(f"  layer {l} ({net.activations[l - 1].describe()}): z = [{zs}]  a = [{acts}]")
        lines.append(f"Cost ({net.cost_function.name}): C = {short(values.cost)}")
        return lines

    @staticmethod
    def example_json(values) -> dict:
        layers = [{"z": [float(v) for v in layer["z"]], "a": [float(v) for v in layer["a"]]}
                  for layer in values.layers]
        return {"cost": float(values.cost), "layers": layers, "gradients": _floats(values.gradients)}


#: How ``eval`` shows an example's values for each kind of graph (see :func:`graph.part`).
_PARTS = {"graph": _GraphValues, "layered": _LayeredValues}


def _forward_lines(net, values) -> list[str]:
    """The forward values of one example: by layer for a layered net, by node otherwise."""
    from .core.graph import part
    return part(_PARTS, net).forward_lines(net, values)


def describe_values(net, report) -> list[str]:
    """Forward values, cost, gradients by the three routes, and the check's verdict."""
    values = report.values
    examples = getattr(values, "examples", None)
    if examples is None:
        lines = _forward_lines(net, values)
    else:
        lines = []
        for n, example in enumerate(examples, start=1):
            lines += [f"Example {n} of {len(examples)}:"] + ["  " + line for line in _forward_lines(net, example)]
        lines.append(f"Total over the {len(examples)} examples: L = Σₙ Cⁿ = {short(values.cost)}")
    lines.append("")
    lines.append("Gradients: recursion | symbolic diff | finite differences"
                 + ("  (totals over the examples)" if examples is not None else ""))
    output = net.cost_symbol.name
    width = max((len(unicode_name("∂%s/∂" % output + r.name)) for r in report.rows), default=0)
    for r in report.rows:
        sym = "-" if r.symbolic is None else short(r.symbolic)
        fd = "-" if r.finite_difference is None else short(r.finite_difference)
        mark = "ok" if r.ok else "MISMATCH"
        label = unicode_name(r"\frac{\partial %s}{\partial %s}" % (output, r.name))
        lines.append(f"  {label:<{width}}  {short(r.recursion):>13} {sym:>13} {fd:>13}  {mark}"
                     + (f"  ({r.note})" if r.note else ""))
    lines += _coupled_lines(values)
    lines.append("")
    lines.append(report.summary())
    return lines


def _coupled_lines(values) -> list[str]:
    """A mini-batch built as one graph: each input's gradient summed over its copies."""
    if getattr(values, "examples", None) is not None or not values.coupled_examples:
        return []
    sums = {name: values.gradients[name] for name in values.network.copies}
    width = max(len(unicode_name(name)) for name in sums)
    return ["", "Input gradients summed over the examples (∂L/∂x = Σₙ ∂L/∂xⁿ):"] + [
        f"  {unicode_name(name):<{width}}  {short(g):>13}" for name, g in sums.items()]


def cmd_demo(args) -> int:
    """The lecture's network as a text document: derivation, numbers, three-way check."""
    from .documents import render
    print(render(load(LECTURE_SPEC).backward(), "text"), end="")
    return 0


def _floats(mapping) -> dict:
    return {name: float(v) for name, v in mapping.items()}


def _example_json(net, values) -> dict:
    """cost, then layers (a layered net) or nodes, gradients and adjoints (any other graph)."""
    from .core.graph import part
    return part(_PARTS, net).example_json(values)


def eval_json(report) -> dict:
    """The ``eval --json`` object (DESIGN.md): for a mini-batch the totals, then ``examples``."""
    values = report.values
    net = values.network
    examples = getattr(values, "examples", None)
    if examples is None:
        coupled = [{"cost": float(e["cost"]), "gradients": _floats(e["gradients"])}
                   for e in values.coupled_examples]
        return {**_example_json(net, values), "check": report.as_dict(), **({"examples": coupled} if coupled else {})}
    return {"cost": float(values.cost), "gradients": _floats(values.gradients), "check": report.as_dict(),
            "examples": [_example_json(net, v) for v in examples]}


def describe_step(net, step) -> list[str]:
    """One gradient-descent step for a terminal: every parameter before → after, the cost."""
    total = "L" if step.examples else unicode_name(net.cost_symbol.name)
    lines = [f"One step of gradient descent, η = {short(step.learning_rate)}: p ← p − η ∂{total}/∂p"
             + (f" (held: {', '.join(unicode_name(n) for n in step.held)})" if step.held else "")]
    width = max(len(unicode_name(n)) for n in step.before)
    for name, before in step.before.items():
        after = "held" if name in step.held else short(step.after[name])
        lines.append(f"  {unicode_name(name):<{width}}  {short(before):>13} → {after:>13}")
    lines.append(f"Cost before: {total} = {short(step.cost_before)}; after: {total} = {short(step.cost_after)}")
    return lines


def cmd_eval(args) -> int:
    from .numeric.values import resolve_point
    net = load(args.spec)
    try:
        for point in net.points or [None]:  # a missing value is named before the derivation
            resolve_point(net, point)
        report = net.backward().check()
    except PointError as exc:
        raise PointError(f"{args.spec}: {exc}") from None
    rate, hold = _step(args)
    step = net.backward().step(rate, hold) if rate is not None else None
    if args.json:
        out = eval_json(report)
        if step is not None:
            out["update"] = step.as_dict()
        print(json.dumps(out, indent=1, ensure_ascii=False))
    else:
        header = [net.title] if net.title else []
        lines = header + [net.describe(), ""] + describe_values(net, report)
        if step is not None:
            lines += [""] + describe_step(net, step)
        print("\n".join(lines))
    return 0 if report.passed else 1


# --- documents and answers (see symbackprop.documents and symbackprop.answers) ----------

def cmd_derive(args) -> int:
    from .documents import render
    from .io import write_atomic
    net = load(args.spec, notation=args.notation)
    rate, hold = _step(args)
    document = render(net.backward(), derive_format(args), fragment=args.fragment, closed=args.closed,
                      numbers=args.numbers, learning_rate=rate, hold=hold, check=args.check,
                      full=args.full, steps=args.steps)
    if args.output is not None:
        write_atomic(args.output, document)
    else:
        sys.stdout.write(document)
    return 0


def _read_answer_file(path) -> str:
    from .reading.lexer import MAX_LENGTH
    return read_text(path, "a file with the answer", limit=4 * MAX_LENGTH).strip()


def cmd_check(args) -> int:
    """Exit 0 when the answer is shown equivalent; 1 when it is not, or undecided."""
    from .answers import AnswerReadError, check_answer
    net = load(args.spec, notation=args.notation) if args.notation else load(args.spec)
    answer = args.answer if args.answer is not None else _read_answer_file(args.answer_file)
    policy = _policy(args, net)
    try:
        verdict = check_answer(net, args.wrt, answer, source=args.answer_file, policy=policy)
    except AnswerReadError as exc:
        _error(str(exc))
        if sys.stderr is not None:
            print("\n".join(exc.caret()), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(verdict.as_dict(), indent=1, ensure_ascii=False))
    else:
        lines = verdict.describe()
        if net.points:
            lines.append(f"  (a mini-batch of {len(net.points)} examples: the answer is compared as one "
                         "example's gradient ∂Cⁿ/∂·; the batch's is its sum over the examples)")
        print("\n".join(lines))
    return 0 if verdict.equivalent else 1


def _writable(path) -> None:
    """Refuse, as :func:`io.write_atomic` would, an output whose folder is missing or
    read-only, or that names a folder."""
    shown = clip(path, None)
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise SymbackpropError(f"{shown}: is a directory, expected a file name")
    if not target.parent.is_dir():
        raise SymbackpropError(f"{shown}: cannot write: No such file or directory")
    if not os.access(target if target.exists() else target.parent, os.W_OK):
        raise SymbackpropError(f"{shown}: cannot write: Permission denied")


def cmd_grade(args) -> int:
    """Exit 0 once every row is graded (wrong answers and bad rows are in the report)."""
    from .answers import grade, gradebook, report
    fmt = report.format_for(args.output) if args.output is not None else "csv"
    for option, path, ext in (("--totals", args.totals, ".csv"), ("--gradescope", args.gradescope, ".json")):
        if path is not None and not str(path).lower().endswith(ext):
            raise SymbackpropError(f"{option} {clip(path, None)}: expected a file name ending in {ext}")
    assignment = os.path.isdir(args.spec)    # an assignment's folder: each row on its student's variant
    if not assignment:
        net = load(args.spec)
        policy = _policy(args, net)
    rows = grade.read_rows(args.answers, *(("student", "id", "answer"),) if assignment else ())
    if args.gradescope is not None:
        gradebook.one_submission(rows)
    progress = grade.ProgressBar(sys.stderr) if sys.stderr.isatty() and rows else None
    undecided = grade.UNDECIDED_SCORE if args.undecided_score is None else args.undecided_score
    if assignment:
        from .assignments.grading import grade_class
        results, title = grade_class(args.spec, rows, policy_for=lambda net: _policy(args, net),
                                     undecided=undecided, progress=progress, where=clip(args.answers, None))
    else:
        results = grade.grade(net, rows, progress=progress, undecided=undecided, policy=policy)
        title = net.title
    content = report.render(results, fmt, title=title)
    extra = []
    if args.totals is not None:
        extra.append((args.totals, gradebook.totals_csv(results)))
    if args.gradescope is not None:
        extra.append((args.gradescope, gradebook.gradescope_json(results)))
    from .io import write_atomic
    for path in [path for path, _ in extra] + ([args.output] if args.output is not None else []):
        _writable(path)      # every output can be written, before any is: none half-done
    for path, text in extra:
        write_atomic(path, text)
    if args.output is None:
        sys.stdout.write(content)
        if grade.replaced_note(results) and sys.stderr is not None:
            print(grade.replaced_note(results), file=sys.stderr)    # stdout is the report
        return 0
    write_atomic(args.output, content)
    counts = grade.summary(results)
    print(f"graded {counted(counts['total'], 'answer')}: {counts['equivalent']} equivalent, "
          f"{counts['not_equivalent']} not equivalent, {counts['undecided']} undecided, "
          f"{counted(counts['error'], 'error')}; report written to {clip(args.output, None)}")
    if grade.replaced_note(results):
        print(grade.replaced_note(results))
    if args.totals is not None:
        print(f"totals of {counted(len(grade.totals(results)), 'student')} written to {clip(args.totals, None)}")
    if args.gradescope is not None:
        print(f"Gradescope results written to {clip(args.gradescope, None)}")
    return 0


def cmd_code(args) -> int:
    """The derivation as a module that runs without symbackprop: forward, backward, evaluate."""
    from .codegen.kinds import source
    from .io import write_atomic
    if args.output is not None and not args.output.lower().endswith(".py"):
        raise SymbackpropError(f"-o {clip(args.output, None)}: the module is Python source; "
                               "give a file name ending in .py")
    net = load(args.spec)
    text = source(net.backward(), args.lang)
    if args.output is not None:
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_serve(args) -> int:
    """Serve until interrupted (Ctrl-C is the one line ``error: interrupted``, exit 130)."""
    from .serve import require_extra, serve
    require_extra()
    if not 0 < args.port < 65536:
        raise SymbackpropError(f"--port: expected a port from 1 to 65535, got {args.port}")
    serve(args.spec, host=args.host, port=args.port, db=args.db, out=lambda line: print(line, flush=True))
    return 0


def cmd_assign(args) -> int:
    """A folder of variants (see :mod:`symbackprop.assignments`)."""
    from .assignments import assign
    a = assign(args.spec, args.roster, args.output)
    print(f"{counted(len(a.variants), 'variant')} of {clip(a.title, None)} written to {clip(args.output, None)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
