"""``Diagram``: a ``graphviz.Digraph`` whose every rendering goes through :mod:`viz.dot`.

Also the drawing vocabulary the pictures share: the font, the fill colours of each kind of
node, and HTML-like labels of several lines.
"""

from __future__ import annotations

import html
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import graphviz

from nn.files import write_atomic

from . import dot
from .dot import DEFAULT_MAX_MEMORY, DEFAULT_TIMEOUT, DISPLAY_TIMEOUT, RenderError, RenderTimeout
from .formatting import printable

FONT = "Helvetica"

COLORS = {
    "param": "#cfe2ff",  # leaf requiring grad
    "const": "#eeeeee",  # leaf not requiring grad, and literal constants
    "inner": "#ffffff",  # intermediate result
    "root": "#d4edda",  # the tensor drawn
    "op": "#ffe8a8",
}
NOTE_COLOR = "#666666"

#: The notebook formats a Diagram can show, with the Graphviz format that draws each.
_MIME_FORMATS = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpeg"}


def html_text(text: Any) -> str:
    """``text`` made safe for an HTML-like label: control characters escaped, ``<&>`` quoted."""
    return html.escape(printable(text), quote=False)


def html_table(rows: list[tuple[str, dict[str, str]]], align: str | None = None) -> str:
    """An HTML-like label: one cell per row (centred, or ``align="left"``); each row is
    (text, font attributes); the text may hold anything, it is escaped here."""
    cells = []
    td = f'<TD ALIGN="{align.upper()}">' if align else "<TD>"
    for text, font in rows:
        body = html_text(text)
        if font.get("bold"):
            body = f"<B>{body}</B>"
        attrs = " ".join(f'{k.upper()}="{v}"' for k, v in font.items() if k != "bold")
        if attrs:
            body = f"<FONT {attrs}>{body}</FONT>"
        cells.append(f"<TR>{td}{body}</TD></TR>")
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(
        cells
    ) + "</TABLE>>"


def _outfile_format(outfile: Path, format: str | None) -> str:
    """The format of ``render(outfile=...)``, inferred from the suffix as graphviz does."""
    suffix = outfile.suffix.lower().lstrip(".")
    known = suffix in graphviz.FORMATS
    if format is None:
        if not known:
            raise graphviz.RequiredArgumentError(
                f"cannot infer rendering format from suffix {outfile.suffix!r} of outfile: "
                f"{os.fspath(outfile)!r} (provide format=, or an outfile ending in .svg, .png ...)"
            )
        return suffix
    if not known:
        warnings.warn(f"unknown outfile suffix {outfile.suffix!r} (expected: '.{format}')",
                      graphviz.UnknownSuffixWarning, stacklevel=3)
    elif format.lower() != suffix:
        warnings.warn(f"expected format {suffix!r} from outfile differs from given format: "
                      f"{format!r}", graphviz.FormatSuffixMismatchWarning, stacklevel=3)
    return format


class Diagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders with :mod:`viz.dot`: the system Graphviz ``dot``
    when present, else the pip-installed ``graphviz-pure``.

    Everything graphviz offers works and keeps graphviz's meaning — ``source``, ``pipe()``,
    ``render()`` (``filename``, ``directory``, ``format``, ``outfile``, ``cleanup``, ``view``
    ...), ``view()``, ``save()`` (the DOT source), and the notebook display — for every format
    the back-end in use draws (:data:`viz.dot.PURE_FORMATS` without a system Graphviz: svg, png,
    jpeg and the text formats; pdf and the rest raise :class:`viz.dot.UnsupportedFormatError`
    saying they need a system Graphviz). The default format is ``svg``, not graphviz's ``pdf``.

    Added: :meth:`svg` (the SVG text) and :meth:`write` (a picture file by its suffix).

    Settings (class attributes, settable per diagram): ``backend`` (``"system"``, ``"pure"``
    or None for automatic), ``timeout`` (seconds a rendering may take), ``display_timeout``
    (the same for notebook displays, short so that a cell never blocks for long),
    ``max_memory`` (bytes the renderer may use, Linux). ``notes`` lists what the picture's
    note line says (what was left out, and why).
    """

    backend: str | None = None
    timeout: float | None = DEFAULT_TIMEOUT
    display_timeout: float | None = DISPLAY_TIMEOUT
    max_memory: int | None = DEFAULT_MAX_MEMORY
    notes: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) < 5:  # format is graphviz's fifth parameter
            kwargs.setdefault("format", "svg")
        super().__init__(*args, **kwargs)

    def add_notes(self, notes: Iterable[str]) -> None:
        """Write ``notes`` as a small grey text block under the picture (and in ``.notes``)."""
        self.notes = tuple(notes)
        if self.notes:
            rows = [(note, {"color": NOTE_COLOR, "point-size": "10"}) for note in self.notes]
            self.attr(label=html_table(rows, align="left"), labelloc="b", labeljust="l")

    # Rendering -----------------------------------------------------------------------------
    def _pipe_bytes(
        self,
        format: str,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        engine: str | None = None,
        backend: str | None = None,
        timeout: float | None = None,
    ) -> bytes:
        engine = engine or self.engine
        return dot.pipe(
            self.source.encode(self.encoding or "utf-8"),
            format=format,
            engine=None if engine == "dot" else engine,
            backend=backend or self.backend,
            timeout=self.timeout if timeout is None else timeout,
            renderer=renderer or self.renderer,
            formatter=formatter or self.formatter,
            neato_no_op=neato_no_op,
            max_memory=self.max_memory,
        )

    def svg(self, backend: str | None = None) -> str:
        """Render to SVG text."""
        return self._pipe_bytes("svg", backend=backend).decode("utf-8")

    def pipe_via_renderer(self, format: str = "svg", backend: str | None = None) -> str | bytes:
        """Render to ``format``: text formats as ``str``, images as ``bytes``."""
        out = self._pipe_bytes(format, backend=backend)
        return out.decode("utf-8") if format.lower() in dot.TEXT_FORMATS else out

    def pipe(  # type: ignore[override]
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """graphviz's ``pipe``: the rendered output as bytes, or as text decoded with
        ``encoding``. ``format`` defaults to the diagram's (svg)."""
        out = self._pipe_bytes(format or self.format, renderer, formatter, neato_no_op, engine)
        return out if encoding is None else out.decode(encoding)

    def render(  # type: ignore[override]
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike[str] | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
    ) -> str:
        """graphviz's ``render``: save the DOT source to ``filename`` (in ``directory``), draw
        it to ``outfile`` — by default the source path plus ``.<format>`` — and return that
        path. ``cleanup`` deletes the source afterwards, ``view`` opens the picture with the
        system's viewer (graphviz's ``view``)."""
        if raise_if_result_exists and overwrite_source:
            raise ValueError("overwrite_source cannot be combined with raise_if_result_exists")
        out = None
        if outfile is not None:
            out = Path(outfile)
            format = _outfile_format(out, format)
            if directory is None:
                out = Path(self.directory, out)
            if filename is None:
                filename = out.with_suffix(".gv")
        fmt = format or self.format
        source_path = Path(super().save(filename, directory=directory))
        if out is None:
            suffix = ".".join(a for a in (formatter, renderer, fmt) if a)
            out = source_path.with_suffix(f"{source_path.suffix}.{suffix}")
        elif not overwrite_source and out.resolve() == source_path.resolve():
            raise ValueError(f"outfile {out.name!r} must be different from input file "
                             f"{source_path.name!r} (pass overwrite_source=True to override)")
        if raise_if_result_exists and out.exists():
            raise graphviz.FileExistsError(f"output file exists: {os.fspath(out)!r}")
        data = self._pipe_bytes(fmt, renderer, formatter, neato_no_op, engine)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, data)
        if cleanup:
            os.remove(source_path)
        if view or quiet_view:
            graphviz.view(out, quiet=quiet_view)
        return os.fspath(out)

    def save(  # type: ignore[override]
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        *,
        skip_existing: bool | None = False,
    ) -> str | Path:
        """graphviz's ``save``: write the DOT source to ``filename`` (default ``name.gv``) in
        ``directory``; return the path (a ``str``).

        For backward compatibility, a picture suffix (``.svg``, ``.png``, ``.pdf`` ...) still
        writes the picture and returns a ``Path``, as before, with a DeprecationWarning: use
        :meth:`write` for pictures.
        """
        fmt = Path(filename).suffix.lower().lstrip(".") if filename is not None else ""
        if fmt not in graphviz.FORMATS or fmt in ("gv", "dot"):
            return super().save(filename, directory=directory, skip_existing=skip_existing)
        warnings.warn(
            f"Diagram.save({os.fspath(filename)!r}) writes the picture only for backward "
            f"compatibility: use Diagram.write(path) for pictures (save() writes the DOT "
            f"source, as in graphviz)", DeprecationWarning, stacklevel=2)
        path = Path(self.directory if directory is None else directory, filename)
        if skip_existing and path.exists():
            return path
        return self.write(path)

    def write(self, path: str | os.PathLike[str], format: str | None = None,
              backend: str | None = None) -> Path:
        """Write the picture to ``path`` atomically, in ``format`` or else the one its suffix
        names (``.svg``, ``.png``, ``.jpg``, ``.pdf`` ...); ``.gv`` / ``.dot`` get the DOT
        source. Returns ``path`` as a Path."""
        fmt = (format or Path(path).suffix.lstrip(".")).lower()
        if not fmt:
            raise ValueError(f"cannot tell the output format of {os.fspath(path)!r}: add a "
                             "suffix (.svg, .png ...) or pass format=")
        if fmt in ("dot", "gv") and format is None:
            return write_atomic(path, self.source)
        return write_atomic(path, self._pipe_bytes(fmt, backend=backend))

    # Notebook display ----------------------------------------------------------------------
    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> dict[str, str | bytes]:
        """The notebook display, as in graphviz (svg by default; png and jpeg on request), but
        bounded by ``display_timeout``; when drawing fails, a text message saying why."""
        wanted = set(include) if include is not None else {"image/svg+xml"}
        wanted -= set(exclude or ())
        bundle: dict[str, str | bytes] = {}
        for mime, fmt in _MIME_FORMATS.items():
            if mime not in wanted:
                continue
            try:
                data = self._pipe_bytes(fmt, timeout=self.display_timeout)
            except RenderError as exc:
                return {"text/plain": self._cannot_show(exc)}
            bundle[mime] = data.decode("utf-8") if fmt == "svg" else data
        return bundle

    def _cannot_show(self, exc: RenderError) -> str:
        """The message a notebook shows instead of the picture when rendering failed."""
        message = f"<{type(self).__name__}: cannot render: {exc}"
        if isinstance(exc, RenderTimeout):
            message += (f" In a notebook the picture gets {self.display_timeout:g} s; "
                        f".svg() or .render() allow {self.timeout:g} s (the timeout attribute); "
                        "or set .display_timeout")
        return message + ">"
