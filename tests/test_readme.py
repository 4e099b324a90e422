"""Every Python block in README.md runs, and what it shows is what it prints.

* ```python blocks run top to bottom in one namespace, as a reader would paste them into one
  session (in a temporary directory, so files they write go there). A ```python block followed
  by an ```output block must print exactly that output.
* ```pycon blocks are interactive sessions (``>>>`` lines and what Python answers, tracebacks
  included) and are checked with doctest.
* A ```console block (``$ command`` then its output) runs the command from the repository root;
  every output line shown must appear in what it prints, in order; ``…`` in a shown line stands
  for a part that changes from run to run (a time, a path).
"""

from __future__ import annotations

import doctest
import io
import os
import re
import shlex
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SHARED = ROOT.parent / "shared" / "data" / "mnist-10k"

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)


def blocks() -> list[tuple[str, str, int]]:
    """(language, body, line number) of every fenced block of the README."""
    text = README.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1)
            for m in FENCE.finditer(text)]


def python_blocks() -> list[tuple[str, str | None, int]]:
    """(code, expected output or None, line) of the ```python blocks, in order."""
    found, bs = [], blocks()
    for i, (lang, body, line) in enumerate(bs):
        if lang == "python":
            expected = bs[i + 1][1] if i + 1 < len(bs) and bs[i + 1][0] == "output" else None
            found.append((body, expected, line))
    return found


def test_the_readme_has_python_blocks_with_shown_output():
    shown = [b for b in python_blocks() if b[1] is not None]
    assert len(python_blocks()) >= 3 and len(shown) >= 2


def test_python_blocks_run_in_order_and_print_what_they_show(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    namespace: dict = {"__name__": "__readme__"}
    for code, expected, line in python_blocks():
        out = io.StringIO()
        with redirect_stdout(out):
            exec(compile(code, f"README.md:{line}", "exec"), namespace)
        if expected is not None:
            got = [s.rstrip() for s in out.getvalue().rstrip("\n").splitlines()]
            want = [s.rstrip() for s in expected.rstrip("\n").splitlines()]
            assert got == want, f"README.md:{line}: printed\n" + "\n".join(got)


def test_pycon_blocks_answer_as_shown(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    sessions = [(body, line) for lang, body, line in blocks() if lang == "pycon"]
    assert sessions, "the README shows no interactive session"
    parser = doctest.DocTestParser()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    globs: dict = {}
    for body, line in sessions:
        test = parser.get_doctest(body, globs, f"README.md:{line}", str(README), line)
        runner = doctest.DocTestRunner(optionflags=flags)
        out = io.StringIO()
        runner.run(test, out=out.write)
        assert runner.failures == 0, out.getvalue()


def console_blocks() -> list[tuple[str, list[str], int]]:
    found = []
    for lang, body, line in blocks():
        if lang != "console":
            continue
        lines = body.rstrip("\n").splitlines()
        assert lines and lines[0].startswith("$ "), f"README.md:{line}: starts with '$ command'"
        found.append((lines[0][2:], lines[1:], line))
    return found


@pytest.mark.parametrize("command,shown,line", console_blocks(),
                         ids=[f"line{c[2]}" for c in console_blocks()])
def test_console_blocks_print_what_they_show(command, shown, line):
    if not SHARED.exists() and "mnist" in command.lower():
        pytest.skip("the MNIST data is not here")
    env = {**os.environ, "AUTOGRAD_MINI_DATA": str(SHARED), "PYTHONPATH": str(ROOT)}
    argv = shlex.split(command)
    if argv[0] == "python":
        argv[0] = sys.executable
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"README.md:{line}: {command} failed:\n{done.stderr[-2000:]}"
    printed = [s.rstrip() for s in done.stdout.splitlines()]
    at = 0
    for want in (s.rstrip() for s in shown):
        pattern = re.compile(".*".join(re.escape(part) for part in want.split("…")) + "$")
        while at < len(printed) and not pattern.match(printed[at]):
            at += 1
        assert at < len(printed), (f"README.md:{line}: `{command}` did not print\n  {want}\n"
                                   "it printed:\n" + done.stdout[-3000:])
        at += 1
