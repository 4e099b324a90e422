"""Keeping the values a graph has saved unchanged until its backward pass has run.

A reverse rule reads the values its operation saw: ``mul``'s rule for ``x`` multiplies by
``y``. If ``y``'s array were changed in place between the forward pass and ``backward()``, the
gradient would silently be wrong. Two guards prevent that:

* **refused**: while a graph that can still be backpropagated holds a tensor's values, the
  tensor's ``.data`` (and ``.numpy()``) hand out a read-only view whose in-place changes —
  ``t.data[...] = v``, ``t.data -= x``, ``np.add(t.data, 1, out=t.data)`` — raise a
  ``RuntimeError`` naming the tensor and the operation (``SavedArray``). Reading works as usual.
* **detected**: an in-place change made through ``.data`` when no live graph was known to hold
  it (``t.data -= lr * g`` assigns the same array back to ``.data``) stamps the tensor with a new
  version; ``backward()`` through an older graph that saved it compares the stamp with the
  operation's creation number and raises instead of using the changed values.

Not caught: writes through another reference to the same memory — the ndarray given to
``Tensor(...)``, an array or view taken before the forward pass, a ``detach()``-ed tensor.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class SavedArray(np.ndarray):
    """A read-only view of values a graph has saved for its backward pass.

    In-place changes raise a RuntimeError that says which tensor and which operation; anything
    computed from it is a plain ndarray.
    """

    _why: Any = None  # the message, or a function making it (made only when it is needed)

    def __array_finalize__(self, obj: Any) -> None:
        self._why = getattr(obj, "_why", None)

    def _refuse(self) -> None:
        why = self._why() if callable(self._why) else self._why
        raise RuntimeError(why or "in-place change refused: a graph saved these values")

    def __setitem__(self, index: Any, value: Any) -> None:
        if not self.flags.writeable:
            self._refuse()
        super().__setitem__(index, value)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        if out is not None:
            for o in out:
                if isinstance(o, SavedArray) and not o.flags.writeable:
                    o._refuse()
            kwargs["out"] = tuple(_plain(o) for o in out)
        return getattr(ufunc, method)(*(_plain(x) for x in inputs), **kwargs)


def _plain(x: Any) -> Any:
    return x.view(np.ndarray) if isinstance(x, SavedArray) else x


def read_only_view(data: np.ndarray, why: Any) -> SavedArray:
    """``data`` seen through a ``SavedArray`` that refuses in-place changes with ``why`` (a
    message, or a function that makes it: reading guarded values should not pay for words)."""
    view = data.view(SavedArray)
    view.flags.writeable = False
    view._why = why
    return view


def refusal(tensor_name: str, op: str) -> str:
    """The message of a refused in-place change."""
    return (
        f"in-place change of {tensor_name} refused: '{op}' saved its values for backward(), "
        "which has not run yet, and would then give a wrong gradient. Call backward() first, "
        "compute that graph under no_grad(), or change a copy (t.data.copy())."
    )


def changed_after(tensor_name: str, op: str) -> str:
    """The message of an in-place change detected by the backward sweep."""
    return (
        f"backward(): the values of {tensor_name} were changed in place after '{op}' saved them "
        "(e.g. by t.data -= ... or an optimizer step), so its gradient would be wrong. Run the "
        "forward pass again after changing the tensor, or call backward() before changing it."
    )
