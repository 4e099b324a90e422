"""Turn DOT source into pictures, with or without a system Graphviz.

Two back-ends can lay out and draw a DOT graph:

* ``"system"``: the ``dot`` program of a Graphviz installation found on ``PATH``;
* ``"pure"``: the ``graphviz-pure`` program installed by the pip package of the same name
  (a self-contained Rust port of ``dot``; it installs no ``dot`` command, only a console
  executable called ``graphviz-pure`` next to the Python interpreter's scripts).

:func:`render` uses the system ``dot`` when there is one and falls back to ``graphviz-pure``.
The choice can be forced with the ``backend`` argument or with the environment variable
``AUTOGRAD_MINI_DOT``, which holds either the path of a ``dot``-compatible executable or one of
the words ``system`` / ``pure``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "ENV_VAR",
    "INSTALL_HINT",
    "Backend",
    "RenderError",
    "Renderer",
    "available_backends",
    "find_pure_dot",
    "find_renderer",
    "find_system_dot",
    "render",
]

ENV_VAR = "AUTOGRAD_MINI_DOT"
INSTALL_HINT = (
    "install Graphviz (apt-get install graphviz / brew install graphviz) "
    "or `pip install graphviz-pure`"
)
#: Output formats that both back-ends produce as text; everything else is returned as bytes.
TEXT_FORMATS = frozenset(
    {"svg", "dot", "gv", "xdot", "canon", "json", "json0", "plain", "plain-ext"}
)
DEFAULT_TIMEOUT = 60.0

Backend = Literal["system", "pure"]
_PURE_NAME = "graphviz-pure"


class RenderError(RuntimeError):
    """No usable Graphviz back-end was found, or the one used failed on the input."""


@dataclass(frozen=True)
class Renderer:
    """A ``dot``-compatible executable and where it came from."""

    path: str
    kind: str  # "system", "pure" or "env" (path given in AUTOGRAD_MINI_DOT)

    def describe(self) -> str:
        labels = {
            "system": "system Graphviz dot",
            "pure": "graphviz-pure",
            "env": f"{ENV_VAR} binary",
        }
        return f"{labels.get(self.kind, self.kind)} ({self.path})"


# --------------------------------------------------------------------------- discovery


def find_system_dot() -> str | None:
    """Return the path of the system Graphviz ``dot`` on ``PATH``, or None."""
    return shutil.which("dot")


def _executable_names() -> list[str]:
    return [_PURE_NAME + ".exe", _PURE_NAME] if os.name == "nt" else [_PURE_NAME]


def _pure_candidates() -> Iterator[Path]:
    # 1. The file list of the installed distribution: exact, and works for --user / --target /
    #    venv installs whether or not the scripts directory is on PATH.
    try:
        from importlib import metadata

        dist = metadata.distribution(_PURE_NAME)
    except Exception:  # PackageNotFoundError, or broken metadata
        dist = None
    if dist is not None:
        names = set(_executable_names())
        for entry in dist.files or ():
            if entry.name in names:
                yield Path(str(dist.locate_file(entry)))
    # 2. The scripts directories of this interpreter (venv bin/, user scripts), then PATH.
    dirs: list[str | None] = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    try:
        dirs.append(sysconfig.get_path("scripts", f"{os.name}_user"))
    except KeyError:  # pragma: no cover - exotic platforms without a user scheme
        pass
    for d in dirs:
        if d:
            for name in _executable_names():
                yield Path(d) / name
    found = shutil.which(_PURE_NAME)
    if found:
        yield Path(found)


def find_pure_dot() -> str | None:
    """Return the path of the ``graphviz-pure`` executable installed by pip, or None.

    The package contains no Python code: its wheel installs one console program,
    ``graphviz-pure``, into the scripts directory (``bin/`` or ``Scripts\\``). It is looked up
    from the package's installed file list (``importlib.metadata``), then in this interpreter's
    scripts directories, then on ``PATH``.
    """
    for cand in _pure_candidates():
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand.resolve())
    return None


def available_backends() -> dict[str, str]:
    """Map each back-end that is installed (``"system"``, ``"pure"``) to its executable."""
    found = {}
    system = find_system_dot()
    if system:
        found["system"] = system
    pure = find_pure_dot()
    if pure:
        found["pure"] = pure
    return found


def _candidates(backend: str | None) -> list[Renderer]:
    """The renderers to try, in order, for the requested back-end."""
    if backend is None:
        env = os.environ.get(ENV_VAR, "").strip()
        if env.lower() in ("system", "pure"):
            backend = env.lower()
        elif env:
            path = shutil.which(env) or env
            if not (os.path.isfile(path) and os.access(path, os.X_OK)):
                raise RenderError(
                    f"{ENV_VAR}={env!r} does not name an executable dot program. "
                    f"Fix or unset {ENV_VAR}, or {INSTALL_HINT}."
                )
            return [Renderer(path, "env")]
    if backend not in (None, "system", "pure"):
        raise ValueError(f"backend must be 'system', 'pure' or None, not {backend!r}")

    out = []
    for name, find, missing in (
        ("system", find_system_dot, f"no Graphviz `dot` is on PATH; {INSTALL_HINT}"),
        ("pure", find_pure_dot,
         "the graphviz-pure executable was not found; `pip install graphviz-pure`"),
    ):
        if backend in (None, name):
            path = find()
            if path:
                out.append(Renderer(path, name))
            elif backend == name:
                raise RenderError(f"backend={name!r} was requested but {missing}.")
    if not out:
        raise RenderError(f"Cannot render graphs: no Graphviz `dot` program found; {INSTALL_HINT}.")
    return out


def find_renderer(backend: str | None = None) -> Renderer:
    """Return the renderer :func:`render` would try first for ``backend``.

    Raises :class:`RenderError` when none is installed.
    """
    return _candidates(backend)[0]


# --------------------------------------------------------------------------- rendering


def _run(renderer: Renderer, source: bytes, fmt: str, engine: str | None, timeout: float) -> bytes:
    cmd = [renderer.path, f"-T{fmt}"]
    if engine:
        cmd.append(f"-K{engine}")
    try:
        proc = subprocess.run(cmd, input=source, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"{renderer.describe()} timed out after {timeout:g} s") from exc
    except OSError as exc:
        raise RenderError(f"could not run {renderer.describe()}: {exc}") from exc
    if proc.returncode != 0 or not proc.stdout:
        err = proc.stderr.decode("utf-8", "replace").strip() or "(no error output)"
        raise RenderError(
            f"{renderer.describe()} failed with exit status {proc.returncode}: {err}"
        )
    return proc.stdout


def render(
    source: str,
    format: str = "svg",
    engine: str | None = None,
    backend: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> str | bytes:
    """Lay out and draw the DOT graph ``source``; return the picture.

    The DOT text is fed to the chosen ``dot`` program on stdin. Text formats (``svg``,
    ``json``, ``plain``, ...) come back as ``str``, image formats (``png``, ``jpeg``) as
    ``bytes``.

    Args:
        source: the graph in the DOT language.
        format: output format, passed as ``-T`` (``"svg"``, ``"png"``, ...).
        engine: layout engine, passed as ``-K`` (``"dot"``, ``"neato"``, ...); None for dot.
        backend: ``"system"`` or ``"pure"`` to force one back-end; None to use
            ``AUTOGRAD_MINI_DOT`` when set, else the system ``dot``, falling back to
            ``graphviz-pure`` if the system one is missing or fails.
        timeout: seconds before the child process is killed.

    Raises:
        RenderError: no back-end is available, or every one tried failed (the message carries
            each program's error output).
    """
    fmt = format.strip().lower()
    data = source.encode("utf-8")
    errors = []
    for renderer in _candidates(backend):
        try:
            out = _run(renderer, data, fmt, engine, timeout)
        except RenderError as exc:
            errors.append(str(exc))
            continue
        base = fmt.split(":", 1)[0]
        return out.decode("utf-8") if base in TEXT_FORMATS else out
    raise RenderError("; ".join(errors) + f". To render graphs, {INSTALL_HINT}.")
