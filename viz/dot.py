"""Turn DOT source into pictures, with or without a system Graphviz.

Two back-ends can lay out and draw a DOT graph:

* ``"system"``: the ``dot`` program of a Graphviz installation found on ``PATH``;
* ``"pure"``: the ``graphviz-pure`` program installed by the pip package of the same name
  (a self-contained Rust port of ``dot``; it installs no ``dot`` command, only a console
  executable called ``graphviz-pure`` next to the Python interpreter's scripts).

:func:`pipe` and :func:`render` use the system ``dot`` when there is one and fall back to
``graphviz-pure``. The choice can be forced with the ``backend`` argument or with the
environment variable ``AUTOGRAD_MINI_DOT``, which holds either the path of a
``dot``-compatible executable or one of the words ``system`` / ``pure``.

``graphviz-pure`` draws fewer formats than Graphviz (:data:`PURE_FORMATS`: SVG, PNG, JPEG and
the text formats); PDF, PostScript, GIF, WebP, image maps and the rest need a system Graphviz,
and asking ``graphviz-pure`` for one of them raises :class:`UnsupportedFormatError` saying so.

Every run is bounded: the program is killed after ``timeout`` seconds (:class:`RenderTimeout`)
and, on Linux, may use at most ``max_memory`` bytes of address space, so that a graph too large
to lay out fails with a message instead of blocking a notebook or exhausting the machine.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import graphviz

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_MAX_MEMORY",
    "DEFAULT_TIMEOUT",
    "DISPLAY_TIMEOUT",
    "ENV_VAR",
    "INSTALL_HINT",
    "PURE_FORMATS",
    "Backend",
    "RenderError",
    "RenderLimitError",
    "RenderTimeout",
    "Renderer",
    "UnsupportedFormatError",
    "available_backends",
    "find_pure_dot",
    "find_renderer",
    "find_system_dot",
    "pipe",
    "render",
    "supported_formats",
]

ENV_VAR = "AUTOGRAD_MINI_DOT"
SYSTEM_HINT = "install Graphviz (apt-get install graphviz / brew install graphviz)"
PURE_HINT = "`pip install graphviz-pure`"
INSTALL_HINT = f"{SYSTEM_HINT} or {PURE_HINT}"

#: What graphviz-pure 0.2 draws (its own list, from ``graphviz-pure -T?``). Every other
#: Graphviz format (pdf, ps, eps, gif, webp, svgz, bmp, image maps, ...) needs a system Graphviz.
PURE_FORMATS = frozenset({
    "canon", "dot", "dot_json", "gv", "jpe", "jpeg", "jpg", "json", "json0", "plain",
    "plain-ext", "png", "svg", "xdot", "xdot1.2", "xdot1.4", "xdot_json",
})
#: Formats that open a window instead of producing output: never offered.
WINDOW_FORMATS = frozenset({"x11", "xlib", "gtk"})
#: Image maps are legitimately empty for a graph without URLs; any other empty output is a failure.
MAP_FORMATS = frozenset({"cmap", "cmapx", "cmapx_np", "imap", "imap_np", "ismap"})
#: Output formats returned by :func:`render` as text; everything else comes back as bytes.
TEXT_FORMATS = MAP_FORMATS | {
    "svg", "dot", "gv", "xdot", "xdot1.2", "xdot1.4", "canon", "json", "json0", "dot_json",
    "xdot_json", "plain", "plain-ext", "fig", "mp", "pic", "pov", "tk", "vml", "vdx", "vrml",
}
DEFAULT_TIMEOUT = 60.0
#: The timeout of notebook displays: a cell's result must not block the notebook for long.
DISPLAY_TIMEOUT = 5.0
#: The address space a renderer may use (Linux): laying out graphs within the default limits
#: of ``draw_graph`` takes a few tens of MB; a graph that needs gigabytes fails instead.
DEFAULT_MAX_MEMORY = 1 << 30

Backend = Literal["system", "pure"]
_PURE_NAME = "graphviz-pure"


class RenderError(RuntimeError):
    """No usable Graphviz back-end was found, or the one used failed on the input."""


class UnsupportedFormatError(RenderError, ValueError):
    """The back-end(s) available cannot draw the requested output format."""


class RenderLimitError(RenderError):
    """The renderer hit a limit (time or memory): the graph is too large to lay out."""


class RenderTimeout(RenderLimitError, TimeoutError):
    """The renderer was stopped after the time allowed."""


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
        ("system", find_system_dot, f"no Graphviz `dot` is on PATH; {SYSTEM_HINT}"),
        ("pure", find_pure_dot, f"the graphviz-pure executable was not found; {PURE_HINT}"),
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


# --------------------------------------------------------------------------- formats


@functools.lru_cache(maxsize=8)
def _listed_formats(path: str) -> frozenset[str] | None:
    """The formats ``path -T?`` lists (its "not recognized. Use one of: ..." message)."""
    try:
        proc = subprocess.run([path, "-T?"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(rb"Use one of:(.*)", proc.stderr + proc.stdout)
    if not found:
        return None
    names = {f.split(":", 1)[0] for f in found.group(1).decode("ascii", "replace").split()}
    return frozenset(names - WINDOW_FORMATS)


def _formats_of(renderer: Renderer) -> frozenset[str] | None:
    if renderer.kind == "env":  # an arbitrary program: let it speak for itself
        return None
    listed = _listed_formats(renderer.path)
    if listed is None and renderer.kind == "pure":
        return PURE_FORMATS
    return listed


def supported_formats(backend: str | None = None) -> frozenset[str]:
    """The output formats the renderer :func:`render` would use for ``backend`` can draw.

    Asked from the program itself (``dot -T?``); formats that open a window (``x11``,
    ``xlib``, ``gtk``) are left out. Raises :class:`RenderError` when no renderer is installed.
    """
    renderer = find_renderer(backend)
    return _formats_of(renderer) or _listed_formats(renderer.path) or frozenset()


def _unsupported(base: str, refused: list[tuple[Renderer, frozenset[str]]]) -> str:
    """Why none of the renderers in ``refused`` can draw format ``base``, and what would."""
    parts = [f"{r.describe()} cannot draw format {base!r}; it draws "
             + ", ".join(sorted(formats)) for r, formats in refused]
    message = "; ".join(parts) + ". "
    if base not in graphviz.FORMATS | WINDOW_FORMATS:
        return message + f"{base!r} is not a Graphviz output format."
    if base in WINDOW_FORMATS:
        return message + f"{base!r} opens a window instead of writing a file; use svg or png."
    if any(r.kind == "system" for r, _ in refused):
        return message + "This Graphviz installation was built without it."
    return message + (f"Format {base!r} needs a system Graphviz: {SYSTEM_HINT}; the system "
                      "dot is used automatically once it is on PATH.")


# --------------------------------------------------------------------------- running


def _limit_memory(pid: int, max_memory: int | None) -> None:
    """Cap the address space of the running child ``pid`` (Linux; elsewhere a no-op).

    ``prlimit`` on the started process, not ``preexec_fn``, which is unsafe in programs with
    threads (a notebook kernel has several). The child is still waiting for its input.
    """
    if max_memory is None or resource is None or not hasattr(resource, "prlimit"):
        return
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = max_memory if hard == resource.RLIM_INFINITY else min(max_memory, hard)
        resource.prlimit(pid, resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError):  # the child already exited, or no permission
        pass


#: How graphviz-pure (Rust), dot (C) and C++ code say that an allocation failed.
_OUT_OF_MEMORY = re.compile(
    r"memory allocation of \d+ bytes failed|out of memory|bad_alloc|Cannot allocate memory", re.I
)


def _run(renderer: Renderer, source: bytes, args: list[str], timeout: float | None,
         max_memory: int | None, base: str) -> bytes:
    try:
        proc = subprocess.Popen([renderer.path, *args], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise RenderError(f"could not run {renderer.describe()}: {exc}") from exc
    try:
        _limit_memory(proc.pid, max_memory)
        out, err_bytes = proc.communicate(source, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RenderTimeout(
            f"{renderer.describe()} timed out after {timeout:g} s: laying out this graph takes "
            "too long (many nodes, or edges that span much of the graph, are slow). Draw a "
            "smaller part of it, or allow more time: viz.render(..., timeout=...), or "
            "diagram.timeout = ... (None: no limit)"
        ) from None
    except BaseException:  # Ctrl-C in a notebook: do not leave the layout running
        proc.kill()
        proc.wait()
        raise
    err = err_bytes.decode("utf-8", "replace").strip()
    if proc.returncode != 0 and max_memory is not None and _OUT_OF_MEMORY.search(err):
        raise RenderLimitError(
            f"{renderer.describe()} ran out of the {max_memory / 2**20:,.0f} MiB of memory "
            "allowed: the graph is too large to lay out. Draw a smaller part of it, or allow "
            "more: viz.render(..., max_memory=...), or diagram.max_memory = ... (None: no "
            "limit)."
        )
    if proc.returncode != 0:
        raise RenderError(f"{renderer.describe()} failed with exit status {proc.returncode}: "
                          f"{err or '(no error output)'}")
    if not out and base not in MAP_FORMATS:  # e.g. a format listed but built without support
        raise RenderError(f"{renderer.describe()} produced no {base} output: "
                          f"{err or '(no error output)'}")
    return out


def _format_args(fmt: str, engine: str | None, renderer: str | None, formatter: str | None,
                 neato_no_op: bool | int | None) -> list[str]:
    if formatter is not None and renderer is None:
        raise ValueError("a formatter needs a renderer: pass renderer=... too")
    t = ":".join(a for a in (fmt, renderer, formatter) if a)
    args = [f"-T{t}"]
    if engine:
        args.append(f"-K{engine}")
    if neato_no_op:
        args.append(f"-n{int(neato_no_op):d}")
    return args


def pipe(
    source: str | bytes,
    format: str = "svg",
    engine: str | None = None,
    backend: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    *,
    renderer: str | None = None,
    formatter: str | None = None,
    neato_no_op: bool | int | None = None,
    max_memory: int | None = DEFAULT_MAX_MEMORY,
) -> bytes:
    """Lay out and draw the DOT graph ``source``; return the output bytes.

    The DOT text is fed to the chosen ``dot`` program on stdin (as ``dot -T<format>``).

    Args:
        source: the graph in the DOT language (``str`` is encoded as UTF-8).
        format: output format (``"svg"``, ``"png"``, ``"pdf"`` ...): see :data:`PURE_FORMATS`
            for what works without a system Graphviz, :func:`supported_formats` for the rest.
        engine: layout engine, passed as ``-K`` (``"dot"``, ``"neato"``, ...); None for dot.
        backend: ``"system"`` or ``"pure"`` to force one back-end; None to use
            ``AUTOGRAD_MINI_DOT`` when set, else the system ``dot``, falling back to
            ``graphviz-pure`` if the system one is missing, cannot draw ``format`` or fails.
        timeout: seconds before the program is killed (None: wait for ever).
        renderer: as in Graphviz (the ``cairo`` of ``-Tpng:cairo``).
        formatter: as in Graphviz (the second ``cairo`` of ``-Tpng:cairo:cairo``).
        neato_no_op: as in Graphviz (``-n1``).
        max_memory: bytes of address space the program may use (Linux only; None: no limit).

    Raises:
        UnsupportedFormatError: no available back-end draws ``format`` (the message says which
            formats need a system Graphviz and how to install it).
        RenderTimeout: the layout took longer than ``timeout``; the other back-end is not tried.
        RenderLimitError: the program ran out of the memory allowed (a RenderTimeout is one too).
        RenderError: no back-end is available, or every one tried failed (the message carries
            each program's error output).
    """
    fmt = format.strip().lower()
    base = fmt.split(":", 1)[0]
    args = _format_args(fmt, engine, renderer, formatter, neato_no_op)
    data = source.encode("utf-8") if isinstance(source, str) else source
    errors: list[str] = []
    refused: list[tuple[Renderer, frozenset[str]]] = []
    for program in _candidates(backend):
        formats = _formats_of(program)
        if formats is not None and base not in formats:
            refused.append((program, formats))
            continue
        try:
            return _run(program, data, args, timeout, max_memory, base)
        except RenderLimitError:  # the other back-end would struggle just as much
            raise
        except RenderError as exc:
            errors.append(str(exc))
    if not errors:
        raise UnsupportedFormatError(_unsupported(base, refused))
    raise RenderError("; ".join(errors))


def render(
    source: str,
    format: str = "svg",
    engine: str | None = None,
    backend: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    **options: object,
) -> str | bytes:
    """Like :func:`pipe`, but text formats (``svg``, ``json``, ``plain``, ...) come back as
    ``str``; image formats (``png``, ``jpeg``, ``pdf``) as ``bytes``. ``options`` are
    :func:`pipe`'s keyword arguments (``max_memory``, ``renderer``, ...)."""
    out = pipe(source, format, engine, backend, timeout, **options)  # type: ignore[arg-type]
    base = format.strip().lower().split(":", 1)[0]
    return out.decode("utf-8") if base in TEXT_FORMATS else out
