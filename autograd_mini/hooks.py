"""Gradient hooks: ``register_hook(t, fn)`` asks the backward sweep to call ``fn(grad)`` with
the gradient of ``t`` when it has computed it — its total, summed over every path — and to let
``fn`` replace it before it flows on to t's inputs (or into ``t.grad``), as PyTorch's
``Tensor.register_hook``.

The hooks live on the tensor (``_hooks``, set only on tensors that have some) and go with it.
``shared.hooked`` counts the tensors that have hooks, so that the sweep looks for them only when
there are some: a program without hooks does not pay for them.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .state import shared
from .tensor_base import TensorBase


class _Hooks(dict):
    """A tensor's gradient hooks by handle number, in the order they were registered."""

    __slots__ = ("finalizer",)


class RemovableHandle:
    """What ``Tensor.register_hook`` returns: ``handle.remove()`` unregisters the hook."""

    __slots__ = ("_tensor", "_key")

    def __init__(self, tensor: TensorBase, key: int) -> None:
        self._tensor = weakref.ref(tensor)
        self._key = key

    def remove(self) -> None:
        """Unregister the hook (nothing happens if it was already removed)."""
        t = self._tensor()
        hooks = None if t is None else getattr(t, "_hooks", None)
        if hooks is not None and hooks.pop(self._key, None) is not None and not hooks:
            hooks.finalizer()  # this tensor has no hooks left
            t._hooks = None


_hook_numbers = itertools.count()


def _unhooked() -> None:
    shared.hooked -= 1


def register_hook(t: TensorBase, fn: Callable[[Any], Any]) -> RemovableHandle:
    """Call ``fn(grad)`` with the gradient of ``t`` each time a sweep computes it (see
    ``Tensor.register_hook``)."""
    if not t.requires_grad:
        raise RuntimeError("register_hook(): cannot register a hook on a tensor that does not "
                           "require grad")
    if not callable(fn):
        raise TypeError(f"register_hook(): the hook must be callable, not {type(fn).__name__}")
    hooks = getattr(t, "_hooks", None)
    if hooks is None:
        hooks = t._hooks = _Hooks()
        hooks.finalizer = weakref.finalize(t, _unhooked)  # when t goes, its hooks go too
        shared.hooked += 1
    key = next(_hook_numbers)
    hooks[key] = fn
    return RemovableHandle(t, key)


def run_hooks(t: TensorBase, hooks: _Hooks, g: Any, create_graph: bool) -> Any:
    """The gradient of ``t`` passed through its hooks, in the order they were registered; a hook
    returning None keeps the gradient, another value replaces it (cast to t's dtype)."""
    wrap = type(t)._wrap
    for fn in list(hooks.values()):
        out = fn(g if create_graph else wrap(g))
        if out is None:
            continue
        if not isinstance(out, TensorBase):  # an array-like will do
            data = np.asarray(out) if isinstance(out, (np.ndarray, list, float, int)) else None
            if data is None or data.dtype.kind not in "fiub":
                raise TypeError(f"gradient hook {_name(fn)} returned {type(out).__name__}: a "
                                "hook returns a Tensor (the new gradient) or None")
            out = wrap(data)
        if out.shape != t.shape:
            raise ValueError(f"gradient hook {_name(fn)} returned a gradient of shape "
                             f"{out.shape} for a tensor of shape {t.shape}")
        if out.dtype != t.dtype:
            out = out.astype(t.dtype) if create_graph else wrap(out._data.astype(t.dtype))
        g = out if create_graph else out._data
    return g


def _name(fn: Any) -> str:
    return repr(getattr(fn, "__name__", fn))
