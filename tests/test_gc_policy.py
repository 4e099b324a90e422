"""The garbage collector's third threshold is raised once a large graph has been
backpropagated (gc_policy.py), and only then; a program's own setting and
AUTOGRAD_MINI_GC=default are respected. Each case runs in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent("""
    import gc, sys
    sys.path.insert(0, {root!r})
    from autograd_mini import Tensor
    {setup}
    def chain(n):
        x = Tensor(1.0, requires_grad=True)
        y = x
        for _ in range(n):
            y = y * 1.0
        y.backward()
    before = gc.get_threshold()
    chain(200)
    small = gc.get_threshold()
    chain(3000)
    after = gc.get_threshold()
    print(before[0], before[2], small[0], small[2], after[0], after[2])
""")


def run(setup: str = "", env: dict | None = None) -> list[int]:
    code = SCRIPT.format(root=str(ROOT), setup=setup)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120, check=True)
    return [int(v) for v in done.stdout.split()]


def test_raised_after_the_first_large_graph_only():
    env = {"AUTOGRAD_MINI_GC": ""}
    assert run(env=env) == [700, 10, 700, 10, 10_000, 100]


def test_a_programs_own_setting_and_the_opt_out_are_kept():
    assert run("gc.set_threshold(50_000, 10, 500)", {"AUTOGRAD_MINI_GC": ""}) == [
        50_000, 500, 50_000, 500, 50_000, 500]
    assert run("", {"AUTOGRAD_MINI_GC": "default"}) == [700, 10, 700, 10, 700, 10]
    assert run("gc.disable(); gc.set_threshold(0)", {"AUTOGRAD_MINI_GC": ""})[4:] == [0, 10]
