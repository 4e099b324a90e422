"""A machine without the data sets and without a network, for tests of what a user sees there.

Downloads go to closed local ports (connection refused at once: fast and deterministic, with
no real network tried); ``$AUTOGRAD_MINI_DATA`` is unset, the system dataset directories and
the cache are empty temporary directories.

- :func:`offline_no_data` does it in this process (pytest's ``monkeypatch``);
- :func:`offline_env` does it for a child process: the environment to run it with, where a
  ``sitecustomize`` module points the mirrors at the dead port before the program starts.
"""

from __future__ import annotations

import os
import socket
import textwrap
from pathlib import Path

import pytest

from nn.datasets import mnist
from nn.datasets.mirrors import MIRRORS

# The data the repository's own tests may use when it is there (never named to users).
# <repo>/../shared, lexically (not through symlinks), as the shared data is documented.
SHARED_MNIST = Path(os.path.abspath(__file__)).parents[2] / "shared" / "data" / "mnist-10k"


def dead_url() -> str:
    """The URL of a local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def offline_no_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """No data anywhere and every mirror dead, in this process; returns the dead URL."""
    url = dead_url()
    monkeypatch.delenv(mnist.DATA_ENV_VAR, raising=False)
    monkeypatch.delenv(mnist.MIRRORS_ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(mnist, "SYSTEM_DATASET_DIRS", [str(tmp_path / "system")])
    for key in MIRRORS:
        monkeypatch.setitem(MIRRORS, key, [f"{url}a/", f"{url}b/"])
    return url


SITECUSTOMIZE = """\
    # Written by tests/no_data.py: every download mirror is a closed local port.
    import os
    if os.environ.get("TEST_DEAD_MIRROR"):
        from nn.datasets import mnist
        from nn.datasets.mirrors import MIRRORS
        for key in MIRRORS:
            MIRRORS[key][:] = [os.environ["TEST_DEAD_MIRROR"]]
        mnist.SYSTEM_DATASET_DIRS[:] = [os.environ["TEST_SYSTEM_DATASETS"]]
"""


def offline_env(tmp_path: Path, pythonpath: Path | None = None) -> dict[str, str]:
    """The environment for a child process on such a machine (``pythonpath`` first on the
    path, e.g. a fresh copy of the repository)."""
    hook = tmp_path / "offline-hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    env = {k: v for k, v in os.environ.items() if k != mnist.DATA_ENV_VAR}
    paths = [str(pythonpath)] if pythonpath else []
    env.update(PYTHONPATH=os.pathsep.join([*paths, str(hook)]), TEST_DEAD_MIRROR=dead_url(),
               TEST_SYSTEM_DATASETS=str(tmp_path / "system"), HOME=str(tmp_path / "home"),
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    return env
