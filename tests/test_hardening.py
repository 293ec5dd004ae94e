"""Files and messages (issue 11, item 4): ``-o`` never replaces an input, a write stopped
by SIGTERM/SIGHUP leaves no temporary file, every echoed piece of user text is one line
with its control characters escaped, titles refuse what would break or disguise a
document, numbers are ASCII, an unknown name offers a few close matches, and a closed
standard output is one error line."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from fractions import Fraction

import pytest

import symbackprop as sb
from symbackprop.errors import SpecError
from symbackprop.exact import parse_fraction
from symbackprop.notation.quoting import check_title, clip, counted, one_line, quote, suggest

from conftest import EXAMPLES, ROOT

LECTURE = EXAMPLES / "lecture.toml"
TITLE = "title: expected one line of text (at most 200 characters, no control characters)"


def _spec(tmp_path, name="net.json", **fields):
    data = {"title": "t", "inputs": 1, "layers": [{"units": 1, "W": [[1]], "b": [0]}],
            "point": {"x": [1], "y": [0]}}
    data.update(fields)
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _files(directory):
    return sorted(p.name for p in directory.iterdir())


# --- -o naming an input ---------------------------------------------------------------------

def test_derive_output_naming_the_spec_is_refused(run_cli, tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_bytes(LECTURE.read_bytes())
    (tmp_path / "link.toml").symlink_to(spec)
    os.link(spec, tmp_path / "hard.toml")
    before = spec.read_bytes()
    for output in (spec, tmp_path / "." / "s.toml", tmp_path / "link.toml", tmp_path / "hard.toml"):
        code, out, err = run_cli("derive", spec, "-o", output)
        assert (code, out) == (2, "")
        assert err == f"error: -o {output}: is the spec this command reads; write the output to another file\n"
    code, out, err = run_cli("derive", tmp_path / "link.toml", "-o", spec)
    assert (code, err) == (2, f"error: -o {spec}: is the spec this command reads; write the output to "
                              "another file\n")
    assert spec.read_bytes() == before
    assert _files(tmp_path) == ["hard.toml", "link.toml", "s.toml"]


def test_grade_output_naming_an_input_is_refused(run_cli, tmp_path):
    answers = tmp_path / "a.csv"
    answers.write_text("id,wrt,answer\n1,x_1,x_1\n", encoding="utf-8")
    spec = tmp_path / "s.toml"
    spec.write_bytes(LECTURE.read_bytes())
    code, out, err = run_cli("grade", spec, answers, "-o", answers)
    assert (code, out, err) == (2, "", f"error: -o {answers}: is the answers file this command reads; "
                                       "write the output to another file\n")
    code, out, err = run_cli("grade", spec, answers, "-o", spec)
    assert (code, out, err) == (2, "", f"error: -o {spec}: is the spec this command reads; "
                                       "write the output to another file\n")
    assert answers.read_text(encoding="utf-8") == "id,wrt,answer\n1,x_1,x_1\n"
    assert spec.read_bytes() == LECTURE.read_bytes()
    assert _files(tmp_path) == ["a.csv", "s.toml"]


# --- a write stopped by a signal ------------------------------------------------------------

_SLOW_WRITER = textwrap.dedent("""
    import os, sys, time
    real = os.fdopen

    class Slow:
        def __init__(self, handle):
            self.handle = handle
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.handle.close()
        def write(self, data):
            self.handle.write(data[:100])
            self.handle.flush()
            print("writing", flush=True)
            time.sleep(30)

    os.fdopen = lambda fd, mode: Slow(real(fd, mode))
    from symbackprop.cli import main
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_signal_during_a_write_removes_the_temporary_file(tmp_path, signum):
    target = tmp_path / "out.tex"
    target.write_text("old\n", encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, "derive", str(LECTURE), "-o", str(target)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert child.stdout.readline() == "writing\n"
        assert any(name.endswith(".tmp") for name in _files(tmp_path))   # mid-write
        child.send_signal(signum)
        child.wait(timeout=20)
    finally:
        child.kill()
    assert child.returncode == -signum
    assert child.stderr.read() == ""
    assert _files(tmp_path) == ["out.tex"]
    assert target.read_text(encoding="utf-8") == "old\n"


def test_sigterm_outside_a_write_keeps_its_handler():
    before = signal.getsignal(signal.SIGTERM)
    from symbackprop.io import write_atomic
    import tempfile
    with tempfile.TemporaryDirectory() as directory:
        write_atomic(os.path.join(directory, "f"), "x")
        assert os.listdir(directory) == ["f"]
    assert signal.getsignal(signal.SIGTERM) is before


# --- user text in messages: one line, control characters escaped ----------------------------

def test_quoting_helpers():
    assert clip("a\nerror: b\x1b[31m\u2028\u202e\x85\ud800") == "a\\nerror: b\\x1b[31m\\u2028\\u202e\\x85\\ud800"
    assert clip("a\nb", spaces=True) == "a b"
    assert clip("x" * 100, 10) == "x" * 9 + "…"
    assert clip("x" * 100, None) == "x" * 100
    assert quote("it's") == "\"it's\""
    assert one_line("p\r\nq\tr") == "p\\r\\nq\\tr"
    assert one_line(one_line("a\nb")) == "a\\nb"


def test_a_forged_line_in_a_spec_key_is_escaped(run_cli, tmp_path):
    spec = _spec(tmp_path, layers=[{"units": 1, "W\nerror: forged\x1b[31m": 1}])
    code, out, err = run_cli("eval", spec)
    assert (code, out) == (2, "")
    assert err == (f"error: {spec}: layers[1].W\\nerror: forged\\x1b[31m: unknown field; expected one of: "
                   "units, activation, W, b, weight_names, bias_names, neuron_names\n")


def test_a_graph_point_key_and_value_are_escaped(run_cli, tmp_path):
    spec = tmp_path / "g.json"
    spec.write_text(json.dumps({"inputs": ["x"], "define": ["f = 2*x"],
                                "point": {"x\n\u202e": 1}}), encoding="utf-8")
    code, out, err = run_cli("eval", spec)
    assert (code, err) == (2, f"error: {spec}: point.x\\n\\u202e: not a declared input, target or parameter\n")
    spec.write_text(json.dumps({"inputs": ["x"], "define": ["f = 2*x"],
                                "point": {"x": "1\n\x1b[2J"}}), encoding="utf-8")
    code, out, err = run_cli("eval", spec)
    assert (code, err) == (2, f"error: {spec}: point.x: expected a number, got '1\\n\\x1b[2J'\n")


def test_a_path_with_control_characters_is_escaped(run_cli, tmp_path):
    path = tmp_path / "bad\nerror: forged\x1b[2J.toml"
    code, out, err = run_cli("eval", path)
    assert (code, out) == (2, "")
    assert err == f"error: {tmp_path}/bad\\nerror: forged\\x1b[2J.toml: no such file\n"
    code, out, err = run_cli("derive", LECTURE, "-o", tmp_path / "dir\x1b" / "f.tex")
    assert (code, err) == (2, f"error: {tmp_path}/dir\\x1b/f.tex: cannot write: No such file or directory\n")


def test_a_wrt_with_a_newline_and_an_escape_is_one_line(run_cli):
    code, out, err = run_cli("check", LECTURE, "--wrt", "w_9\nerror: forged\x1b[31m", "--answer", "x_1")
    assert (code, out) == (2, "")
    assert err == ("error: wrt: cannot read 'w_9 error: forged\\x1b[31m': unexpected character ':'; "
                   "this network has 34 names, e.g. x_{1}, x_{2}, y_{1}\n")


def test_an_answer_file_name_and_csv_header_are_escaped(run_cli, tmp_path):
    answer = tmp_path / "a\x1b.txt"
    answer.write_text("q_1", encoding="utf-8")
    code, out, err = run_cli("check", LECTURE, "--wrt", "w^{(2)}_{11}", "--answer-file", answer)
    assert (code, out) == (2, "")
    assert err == (f"error: {tmp_path}/a\\x1b.txt: column 1: unknown name 'q_1'; did you mean y_{{1}} or "
                   "x_{1}?\n  q_1\n  ^\n")
    rows = tmp_path / "rows.csv"
    rows.write_text("id,wrt,ans\x1b[2Jwer\n1,x_1,x_1\n", encoding="utf-8")
    code, out, err = run_cli("grade", LECTURE, rows)
    assert (code, out) == (2, "")
    assert err == (f"error: {rows}: line 1: expected the columns id,wrt,answer; missing answer "
                   "(found id, wrt, ans\\x1b[2Jwer)\n")


def test_an_unknown_argument_is_escaped(run_cli):
    code, out, err = run_cli("eval", LECTURE, "--bogus\n\x1b[2J")
    assert (code, out, err) == (2, "", "error: unrecognized arguments: --bogus\\n\\x1b[2J\n")


# --- titles ---------------------------------------------------------------------------------

@pytest.mark.parametrize("char, what", [
    ("\x1b", "a control character"), ("\x7f", "a control character"), ("\x85", "a control character"),
    ("\x9b", "a control character"), ("\u2028", "a line or paragraph separator"),
    ("\u2029", "a line or paragraph separator"), ("\u202a", "a bidirectional override"),
    ("\u202e", "a bidirectional override"), ("\u2066", "a bidirectional override"),
    ("\u2069", "a bidirectional override"), ("\ud800", "a lone surrogate"),
])
def test_title_refuses_controls_separators_overrides_and_surrogates(run_cli, tmp_path, char, what):
    spec = _spec(tmp_path, title="ab" + char + "c")
    code, out, err = run_cli("eval", spec)
    assert (code, out) == (2, "")
    assert err == f"error: {spec}: {TITLE}; character 3 is {what} (U+{ord(char):04X})\n"
    message = f"{TITLE}; character 3 is {what} (U+{ord(char):04X})"
    for build in (lambda: sb.Network([1, 1], title="ab" + char + "c"), lambda: sb.Graph("ab" + char + "c"),
                  lambda: sb.Recurrent(1, 1, 1, 2, title="ab" + char + "c")):
        with pytest.raises(SpecError) as info:
            build()
        assert str(info.value) == message


def test_a_lone_surrogate_title_fails_at_the_spec_for_every_format(run_cli, tmp_path):
    spec = _spec(tmp_path, title="a\ud800b")
    for fmt in ("latex", "markdown", "html", "json", "text"):
        code, out, err = run_cli("derive", spec, "--format", fmt)
        assert (code, out) == (2, "")
        assert err == f"error: {spec}: {TITLE}; character 2 is a lone surrogate (U+D800)\n"


def test_titles_that_stay_allowed():
    assert check_title("Backprop — σ′(z), ½ ∂C/∂w (ünïcödé) 中文") == "Backprop — σ′(z), ½ ∂C/∂w (ünïcödé) 中文"
    assert check_title(None) is None
    with pytest.raises(SpecError) as info:
        check_title("x" * 201)
    assert str(info.value) == f"{TITLE}, got 201 characters"
    with pytest.raises(SpecError) as info:
        check_title("   ")
    assert str(info.value) == f"{TITLE}, got an empty title"


# --- numbers --------------------------------------------------------------------------------

def test_parse_fraction_reads_ascii_numbers_only():
    assert parse_fraction("1/3") == Fraction(1, 3)
    assert parse_fraction(" -0.25 ") == Fraction(-1, 4)
    assert parse_fraction(".5") == Fraction(1, 2)
    assert parse_fraction("2e-3") == Fraction(1, 500)
    assert parse_fraction("1e308") == Fraction(10 ** 308)
    for text in ("１", "١/٣", "1_000", "1_0/3", "٣", "1e5000", "1e-401", "0x10", "inf", "nan", "1 / 3", "1/0",
                 "", "²"):
        assert parse_fraction(text) is None, text


@pytest.mark.parametrize("value, message", [
    ("１", "expected a number, got '１'"), ("١/٣", "expected a number, got '١/٣'"),
    ("1_000", "expected a number, got '1_000'"),
    ("1e5000", "number too large (at most about 1.8e308)"),
    ("1e-5000", "number too small (powers of ten below 1e-400 are not read)"),
])
def test_spec_numbers_that_are_refused(run_cli, tmp_path, value, message):
    spec = _spec(tmp_path, layers=[{"units": 1, "W": [[1]], "b": [value]}])
    code, out, err = run_cli("eval", spec)
    assert (code, out, err) == (2, "", f"error: {spec}: layers[1].b[1]: {message}\n")


def test_1e308_as_a_string_is_read_exactly(tmp_path):
    net = sb.load(_spec(tmp_path, layers=[{"units": 1, "W": [["1e308"]], "b": [0]}]))
    assert net.values[net.w(1, 1, 1)] == Fraction(10 ** 308)


# --- empty paths ----------------------------------------------------------------------------

def test_an_empty_path_says_so(run_cli, tmp_path):
    for argv in (("derive", ""), ("eval", ""), ("check", "", "--wrt", "x_1", "--answer", "x_1")):
        code, out, err = run_cli(*argv)
        assert (code, out, err) == (2, "", "error: the spec path is empty, expected a spec file (.toml or .json)\n")
    code, out, err = run_cli("grade", LECTURE, "")
    assert (code, out, err) == (2, "", "error: the path is empty, expected a CSV file\n")
    code, out, err = run_cli("check", LECTURE, "--wrt", "x_1", "--answer-file", "")
    assert (code, out, err) == (2, "", "error: the path is empty, expected a file with the answer\n")
    assert os.listdir(tmp_path) == []


# --- unknown names: a few close matches -----------------------------------------------------

def test_an_unknown_name_in_a_large_network_lists_a_few_close_matches():
    net = sb.Network([50, 50, 1])
    with pytest.raises(SpecError) as info:
        net.symbol("w^{(2)}_{1,51}")
    assert str(info.value) == ("unknown name 'w^{(2)}_{1,51}'; did you mean w^{(2)}_{1,50}, w^{(2)}_{1,45} "
                               "or w^{(2)}_{1,41}?")
    with pytest.raises(SpecError) as info:
        net.symbol("zzz")
    assert str(info.value) == "unknown name 'zzz'; this network has 2,754 names, e.g. x_{1}, x_{2}, x_{3}"


def test_an_unknown_wrt_offers_close_matches(run_cli):
    code, out, err = run_cli("check", LECTURE, "--wrt", "w^{(2)}_{13}", "--answer", "x_1")
    assert (code, out, err) == (2, "", "error: wrt: unknown name 'w^{(2)}_{13}'; did you mean w^{(2)}_{21}, "
                                       "w^{(2)}_{12} or w^{(2)}_{11}?\n")
    code, out, err = run_cli("check", LECTURE, "--wrt", "x_1 x_2", "--answer", "x_1")
    assert (code, out, err) == (2, "", "error: wrt: 'x_1 x_2' is not one name; did you mean x_{2} or x_{1}?\n")


def test_suggest_never_lists_more_than_three():
    names = [f"w_{{{i}}}" for i in range(1000)]
    assert suggest("w_{1000}", names) == "did you mean w_{100}, w_{10} or w_{910}?"
    assert suggest("q", ["a"]) == "this network has 1 name: a"
    assert suggest("q", []) == "this network has no names yet"


# --- a closed standard output ---------------------------------------------------------------

def test_a_closed_standard_output_is_one_error_line(run_cli, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "stdout", None)
    code, out, err = run_cli("eval", LECTURE)
    assert (code, err) == (2, "error: cannot write the output: standard output is closed\n")
    monkeypatch.setattr(sys, "stdout", None)
    code, out, err = run_cli("derive", LECTURE, "-o", tmp_path / "d.tex")   # nothing for stdout
    assert (code, err) == (0, "")
    assert (tmp_path / "d.tex").read_text(encoding="utf-8").startswith("\\documentclass")


def test_demo_with_standard_output_closed_in_the_shell():
    result = subprocess.run(f"{sys.executable} -m symbackprop demo >&-", shell=True, capture_output=True,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert (result.returncode, result.stderr) == (2, "error: cannot write the output: standard output is closed\n")


def test_a_reader_that_stops_early_ends_the_command_quietly():
    """`symbackprop eval --json | head`: the reader has gone before the output is written
    (`true` reads nothing); no error line, exit 1, as the exported module does."""
    result = subprocess.run(f'"{sys.executable}" -m symbackprop eval "{LECTURE}" --json | true; '
                            'echo "${PIPESTATUS[0]}"', shell=True, executable="/bin/bash", capture_output=True,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert (result.stdout, result.stderr) == ("1\n", "")


def test_counts_take_the_noun_in_their_number():
    assert [counted(n, "point") for n in (0, 1, 2, 1200)] == ["0 points", "1 point", "2 points", "1,200 points"]
    v = sb.check_answer(sb.load(EXAMPLES / "shared_bias.toml"), "w_5", "0.082167")
    assert v.describe()[0] == "w_5: equivalent (equal at 1 point)"


def test_a_wrt_that_is_more_than_the_unknown_name_is_quoted_whole():
    net = sb.load(EXAMPLES / "shared_bias.toml")
    with pytest.raises(sb.SymbackpropError) as exc:
        sb.check_answer(net, "w\nx", "1")
    assert str(exc.value).startswith("wrt: 'w x': unknown name 'w'; ")
    with pytest.raises(sb.SymbackpropError) as exc:
        sb.check_answer(net, "w_9", "1")
    assert str(exc.value) == "wrt: unknown name 'w_9'; did you mean w_8, w_7 or w_6?"
