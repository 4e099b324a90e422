"""A griffe extension for the API reference (mkdocs + mkdocstrings, see ``mkdocs.yml``).

griffe reads the packages statically, which keeps the source order and every docstring; this
extension adapts what static reading misses or Markdown would misread:

* The docstrings are written with Sphinx's conventions. Roles — ``:func:`load_mnist```,
  ``:class:`~nn.train.Trainer``` — become cross-references (``[`load_mnist`][load_mnist]``),
  resolved in the docstring's scope (``scoped_crossrefs``), so a reference to something that
  does not exist fails the strict build; simple tables (``===  ===``) become Markdown tables and
  the ``::`` before a literal block a colon.
* Methods made by small factories — ``exp = _unary(ops.exp)``, ``__add__, __radd__ =
  _binary(ops.add)`` in ``autograd_mini/tensor.py`` — look like plain assignments to static
  analysis, or are not seen at all; they become methods with their run-time signature and
  docstring, and a link to the operation they call. A second name for a method (``clamp =
  clip``) says which.
* A primitive wrapping a numpy function (``exp = primitive("exp")(np.exp)``) carries numpy's
  docstring, which documents numpy's arguments (``out``, ``where``, ...); it is documented
  instead by its entry in the engine's vocabulary (``autograd_mini/vocabulary.py``: what it
  computes and its derivative), the words of the README's tables.
* A name a module re-exports (``nn.train`` re-exports ``read_checkpoint``) is documented once,
  where it is defined.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types
from typing import Any

import griffe

HIDDEN = ("__slots__", "__doc__", "__hash__", "__name__")  # not worth a line of the reference
ROLE = re.compile(r":(?:func|class|mod|meth|data|attr|exc|obj):`(~?)([\w.]+)`")
BORDER = re.compile(r"^=+(?:\s+=+)+\s*$")


def _crossref(match: re.Match) -> str:
    short, target = match.groups()
    title = target.rsplit(".", 1)[-1] if short else target
    return f"[`{title}`][{target}]"


def _table(lines: list[str]) -> list[str]:
    """An RST simple table (``===  ===`` borders) as a Markdown table."""
    starts = [m.start() for m in re.finditer(r"=+", lines[0])]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    borders = [i for i, line in enumerate(lines) if BORDER.match(line)]
    header_end = borders[1] if len(borders) > 2 else 0
    header: list[list[str]] = []
    body: list[list[str]] = []
    for i, line in enumerate(lines):
        if i in borders:
            continue
        cells = [line[a:b].strip().replace("|", "\\|") for a, b in bounds]
        rows = header if i < header_end else body
        if rows and not cells[0]:  # a continuation line: its cells extend the row above
            rows[-1] = [f"{old} {new}".strip() for old, new in zip(rows[-1], cells, strict=True)]
        else:
            rows.append(cells)
    head = header[0] if header else [""] * len(bounds)
    return ["| " + " | ".join(row) + " |" for row in (head, ["---"] * len(bounds), *body)]


def markdown(text: str) -> str:
    """A docstring written for Sphinx (roles, ``::`` literal blocks, simple tables) in the
    Markdown that mkdocstrings renders."""
    text = ROLE.sub(_crossref, text)
    text = re.sub(r"(\S)::$", r"\1:", text, flags=re.MULTILINE)
    text = re.sub(r"\s::$", "", text, flags=re.MULTILINE)
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if BORDER.match(lines[i]):
            end = i + 1
            while end < len(lines) and lines[end].strip():
                end += 1
            out += _table(lines[i:end])
            i = end
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out)


def _runtime(obj: griffe.Object) -> Any:
    """The run-time object that ``obj`` describes (its module imported)."""
    value: Any = importlib.import_module(obj.module.path)
    for name in obj.path[len(obj.module.path) + 1:].split("."):
        value = getattr(value, name)
    return value


def _wrapped(fn: types.FunctionType) -> Any:
    """What a factory-made method calls: the primitive or function in its closure."""
    from autograd_mini.primitive import Primitive

    for value in inspect.getclosurevars(fn).nonlocals.values():
        if isinstance(value, Primitive) or inspect.isfunction(value):
            return value
    return None


def _primitive_path(prim: Any) -> tuple[str, str]:
    """(public name, path of its definition) of a primitive: ``("exp",
    "autograd_mini.ops.elementwise.exp")``."""
    from autograd_mini import ops

    name = next((n for n in ops.__all__ if getattr(ops, n) is prim), prim.name)
    for family in ops.FAMILIES:
        for var, value in vars(family).items():
            if value is prim:
                return name, f"{family.__name__}.{var}"
    raise LookupError(f"docs: primitive {prim.name!r} is in no family module of ops")


def _own_doc(prim: Any) -> str | None:
    """The primitive's docstring when it is ours, not the wrapped numpy function's."""
    fun = prim.fun
    if getattr(fun, "__module__", "") and fun.__module__.startswith("autograd_mini"):
        return inspect.cleandoc(fun.__doc__) if fun.__doc__ else None
    return None


def primitive_doc(prim: Any) -> str:
    """Its own docstring, or its vocabulary entry: what it computes and its derivative."""
    from autograd_mini.vocabulary import DESCRIPTIONS

    doc = _own_doc(prim)
    if doc:
        return doc
    name, _ = _primitive_path(prim)
    if name not in DESCRIPTIONS:
        raise KeyError(f"docs: primitive {name!r} has no docstring and no vocabulary entry")
    computes, derivative = DESCRIPTIONS[name]
    if derivative.startswith("—"):
        return f"{computes}.\n\nNo gradient flows through it{derivative[1:]}."
    return f"{computes}.\n\nDerivative — what the gradient g of the result sends back to " \
           f"each operand: {derivative}."


def _method_doc(fn: types.FunctionType) -> str | None:
    """A factory-made method's docstring, ending with a link to what it calls."""
    from autograd_mini import ops
    from autograd_mini.primitive import Primitive

    wrapped = _wrapped(fn)
    if isinstance(wrapped, Primitive):
        name, path = _primitive_path(wrapped)
        return f"{primitive_doc(wrapped)}\n\nCalls [`ops.{name}`][{path}]."
    if wrapped is not None:
        name = wrapped.__name__
        title = f"ops.{name}" if getattr(ops, name, None) is wrapped else name
        path = f"{wrapped.__module__}.{name}"
        return f"{inspect.getdoc(wrapped) or ''}\n\nCalls [`{title}`][{path}]."
    return inspect.getdoc(fn)


def _foreign_doc(fn: types.FunctionType) -> str:
    """A class attribute bound to a function of another module (``__array_ufunc__ =
    numpy_interop.array_ufunc``): its docstring and a link to it."""
    path = f"{fn.__module__}.{fn.__qualname__}"
    return f"{inspect.getdoc(fn) or ''}\n\nThe function [`{fn.__qualname__}`][{path}]."


KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: griffe.ParameterKind.positional_only,
    inspect.Parameter.POSITIONAL_OR_KEYWORD: griffe.ParameterKind.positional_or_keyword,
    inspect.Parameter.VAR_POSITIONAL: griffe.ParameterKind.var_positional,
    inspect.Parameter.KEYWORD_ONLY: griffe.ParameterKind.keyword_only,
    inspect.Parameter.VAR_KEYWORD: griffe.ParameterKind.var_keyword,
}


def _signature(fn: types.FunctionType) -> inspect.Signature:
    """The method's signature; for ``t.f(...)`` made from the function ``f(x, ...)``
    (``(self, *args, **kwargs)``), that of ``f`` with ``self`` for ``x``."""
    signature = inspect.signature(fn)
    wrapped = _wrapped(fn)
    if inspect.isfunction(wrapped) and [*signature.parameters][1:] == ["args", "kwargs"]:
        first, *rest = inspect.signature(wrapped).parameters.values()
        self = first.replace(name="self", annotation=inspect.Parameter.empty)
        signature = inspect.signature(wrapped).replace(parameters=[self, *rest])
    return signature


def _function(name: str, fn: types.FunctionType, lineno: int | None) -> griffe.Function:
    """A griffe method for the run-time function ``fn``."""
    signature = _signature(fn)
    parameters = griffe.Parameters(*[
        griffe.Parameter(
            p.name, kind=KINDS[p.kind],
            default=None if p.default is p.empty else repr(p.default),
            annotation=None if p.annotation is p.empty else str(p.annotation),
        )
        for p in signature.parameters.values()
    ])
    returns = signature.return_annotation
    return griffe.Function(
        name, parameters=parameters, lineno=lineno, endlineno=lineno, analysis="dynamic",
        returns=None if returns is signature.empty else str(returns),
    )


class AutogradMiniDocs(griffe.Extension):
    """The three fixes above, applied as griffe loads the packages."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)

    def on_attribute_instance(self, *, attr: griffe.Attribute, **kwargs: Any) -> None:
        from autograd_mini.primitive import Primitive

        if attr.docstring is None and attr.parent is not None and attr.parent.is_module:
            module = importlib.import_module(attr.parent.path)
            value = vars(module).get(attr.name)
            if isinstance(value, Primitive) and attr.parent.path.startswith("autograd_mini.ops."):
                attr.docstring = griffe.Docstring(primitive_doc(value), parent=attr)

    def on_alias_instance(self, *, alias: griffe.Alias, **kwargs: Any) -> None:
        if alias.parent is not None and alias.parent.is_module:
            alias.public = False  # documented once, where it is defined, not where re-exported

    def on_class_members(self, *, cls: griffe.Class, agent: Any, **kwargs: Any) -> None:
        runtime = _runtime(cls)
        for name in HIDDEN:
            if name in cls.members and not cls.members[name].is_alias:
                cls.members[name].public = False
        first_name: dict[int, str] = {}
        for name, value in vars(runtime).items():
            if not inspect.isfunction(value):
                continue
            primary = first_name.setdefault(id(value), name)
            member = cls.members.get(name)
            if member is not None and not member.is_attribute:
                continue  # written with ``def`` (or imported): static analysis has it
            # an assignment, or not seen at all (``a, b = (f(p) for p in ...)``)
            lineno = member.lineno if member is not None else None
            if primary != name:
                doc = f"The same as [`{primary}`][{cls.path}.{primary}]."
            elif "<locals>" in value.__qualname__ and value.__module__ == runtime.__module__:
                doc = _method_doc(value)  # made by a factory of the class's own module
            elif member is not None:
                doc = _foreign_doc(value)
            else:
                continue  # e.g. written by @dataclass: griffe's dataclasses extension has it
            method = _function(name, value, lineno)
            cls.set_member(name, method)
            if doc:
                method.docstring = griffe.Docstring(
                    doc, parent=method, parser=agent.docstring_parser,
                    parser_options=agent.docstring_options,
                )
