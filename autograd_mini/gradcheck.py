"""Checking analytic gradients against central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .functional import jacobian
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` when an analytic derivative differs from the numerical one."""


def _as_inputs(inputs: Tensor | Sequence) -> list:
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    # Finite differences need float64 to mean anything; check in float64 whatever the inputs.
    return [
        Tensor(np.array(x._data, dtype=np.float64), requires_grad=x.requires_grad, name=x.name)
        if isinstance(x, Tensor) and x.dtype.kind == "f" else x
        for x in inputs
    ]


def numerical_jacobian(fn: Callable, inputs: list, i: int, eps: float) -> np.ndarray:
    """J[k, j] = (f(x + eps e_j) - f(x - eps e_j))[k] / 2 eps for input ``i``: shape (m, n)."""
    x = inputs[i]._data
    cols = []
    # not under no_grad: fn may itself differentiate (a gradient penalty, a Hessian check)
    for j in range(x.size):
        old = x.flat[j]
        x.flat[j] = old + eps
        up = np.array(fn(*inputs)._data, dtype=np.float64).ravel()
        x.flat[j] = old - eps
        down = np.array(fn(*inputs)._data, dtype=np.float64).ravel()
        x.flat[j] = old
        cols.append((up - down) / (2 * eps))
    return np.stack(cols, axis=1) if cols else np.zeros((0, 0))


def analytic_jacobians(fn: Callable, inputs: list) -> tuple[Tensor, list[np.ndarray]]:
    """fn's output, and its reverse-mode Jacobian with respect to each input that requires grad
    (one reverse sweep per output element): a list of (m, n_i) arrays."""
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: the function must return a Tensor, not {type(out).__name__}")
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def of_wrt(*xs: Tensor) -> Tensor:  # fn with only the inputs that require grad varying
        args = list(inputs)
        for i, x in zip(wrt, xs, strict=True):
            args[i] = x
        return fn(*args)

    jacs = jacobian(of_wrt, tuple(inputs[i]._data for i in wrt), mode="reverse")
    return out, [J._data.reshape(out.size, inputs[i].size) for J, i in zip(jacs, wrt, strict=True)]


def gradcheck(
    fn: Callable,
    inputs: Tensor | Sequence,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare the gradients of ``fn(*inputs)`` with central finite differences.

    Every element of the output against every element of every input that requires grad:
    |analytic − numerical| ≤ atol + rtol·|numerical|. On failure raises ``GradcheckError``
    (or returns False) naming the input, the element and both values.
    """
    inputs = _as_inputs(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: no input has requires_grad=True")
    out, analytic = analytic_jacobians(fn, inputs)
    for i, A in zip(wrt, analytic, strict=True):
        N = numerical_jacobian(fn, inputs, i, eps)
        bad = np.abs(A - N) > atol + rtol * np.abs(N)
        if bad.any():
            k, j = np.argwhere(bad)[0]
            shape = inputs[i].shape
            where = np.unravel_index(j, shape) if shape else ()
            out_where = np.unravel_index(k, out.shape) if out.shape else ()
            msg = (
                f"gradcheck: input {i} (shape {shape}), element {tuple(map(int, where))}, output "
                f"element {tuple(map(int, out_where))}: analytic {A[k, j]:.10g} vs numerical "
                f"{N[k, j]:.10g} (difference {abs(A[k, j] - N[k, j]):.3g}; "
                f"{int(bad.sum())} of {bad.size} entries differ)"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True
