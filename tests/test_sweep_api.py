"""The backward sweep's API: ``grad()`` sweeping only what its inputs need, grad mode inside
decorated generators, ``autograd_mini.backward`` of several tensors, and gradient hooks
(``Tensor.register_hook``) — each against PyTorch where it has the same thing."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Tensor
from autograd_mini.state import Observer, observing, shared

torch = pytest.importorskip("torch")


def leaf(x):
    return Tensor(np.array(x, dtype=np.float64), requires_grad=True)


def arr(t):
    return np.array(t.data) if isinstance(t, Tensor) else t.detach().numpy().copy()


def tleaf(x):
    return torch.tensor(np.array(x, dtype=np.float64), requires_grad=True)


def chain(x, n):
    for _ in range(n):
        x = x * 1.01
    return x


# ------------------------------------------------------- grad() sweeps what its inputs need


def test_grad_with_respect_to_an_intermediate_stops_there():
    x = leaf([1.0, 2.0])
    h = chain(x, 100)
    y = h.exp().sum()
    with am.count_ops() as c:
        (g,) = am.grad(y, h)
    assert c.adjoint == 2  # exp and sum: was 102, every op down to x
    np.testing.assert_allclose(g.data, np.exp(h.data))
    y2 = (h * 3).sum()  # the graph below h was neither swept nor freed
    y2.backward()
    np.testing.assert_allclose(x.grad.data, 3 * 1.01 ** 100, rtol=1e-12)


def test_grad_leaves_branches_that_do_not_lead_to_its_inputs_alone():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    side = (w.exp() * 2).sum()  # made after x, but not from it
    total = (x * x).sum() + side
    with am.count_ops() as c:
        (gx,) = am.grad(total, x)
    np.testing.assert_allclose(gx.data, 2 * x.data)
    assert c.adjoint == 4  # add -> sum -> x*x -> x (twice); nothing on the side branch
    side.backward()  # its saved values were not freed
    np.testing.assert_allclose(w.grad.data, 2 * np.exp(w.data))
    with pytest.raises(RuntimeError, match="second time"):  # the part grad() swept is freed
        am.grad(total, x)


def test_grad_of_an_input_and_of_something_computed_from_it():
    x = leaf([0.5, -1.0])
    h = x.tanh()
    y = (h * h * x).sum()
    gh, gx = am.grad(y, [h, x], retain_graph=True)
    th = torch.tanh(tx := tleaf([0.5, -1.0]))
    tgh, tgx = torch.autograd.grad((th * th * tx).sum(), [th, tx])
    np.testing.assert_allclose(gh.data, tgh.numpy(), rtol=1e-14)
    np.testing.assert_allclose(gx.data, tgx.numpy(), rtol=1e-14)
    # create_graph and several outputs take the same path
    (g,) = am.grad([y, (h * 2).sum()], h, create_graph=True)
    np.testing.assert_allclose(g.data, 2 * h.data * x.data + 2)
    (gg,) = am.grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, 2 * h.data + 2 * x.data * (1 - h.data ** 2))


def test_grad_of_something_that_does_not_depend_on_the_input():
    x = leaf(1.0)
    h = x * 2
    later = leaf(3.0)
    y = later * 5
    with am.count_ops() as c:
        assert am.grad(y, h, allow_unused=True) == (None,)
    assert c.adjoint == 0
    with pytest.raises(RuntimeError, match="allow_unused"):
        am.grad(y, h)


# -------------------------------------------------------------- grad mode in generators


@pytest.mark.parametrize("ours, theirs, inside", [
    (am.no_grad(), torch.no_grad(), False), (am.no_grad, torch.no_grad, False),
    (am.enable_grad(), torch.enable_grad(), True),
    (am.set_grad_enabled(False), torch.no_grad(), False),  # torch's switches when it is made
])
def test_a_decorated_generator_runs_in_the_mode_and_gives_the_callers_back(ours, theirs, inside):
    def make(is_enabled):
        def gen(n):
            got = yield is_enabled()
            for _ in range(n):
                got = yield (got, is_enabled())
            return "done"
        return gen

    for outside in (True, False):
        runs = []
        for deco, is_enabled, setter in ((ours, am.is_grad_enabled, am.set_grad_enabled),
                                         (theirs, torch.is_grad_enabled,
                                          torch.set_grad_enabled)):
            with setter(outside):
                g = deco(make(is_enabled))(2)
                seen = [next(g), is_enabled()]  # inside, then the caller's between steps
                seen += [g.send("a"), is_enabled(), g.send("b"), is_enabled()]
                with pytest.raises(StopIteration) as stop:
                    g.send("c")
                seen += [stop.value.value, is_enabled()]
            runs.append(seen)
        assert runs[0] == runs[1]
        assert runs[0] == [inside, outside, ("a", inside), outside, ("b", inside), outside,
                           "done", outside]


def test_throw_and_close_reach_the_generator_in_its_mode():
    log = []

    @am.no_grad()
    def gen():
        try:
            yield 1
        except KeyError:
            log.append(("caught", am.is_grad_enabled()))
            yield 2
        finally:
            log.append(("finally", am.is_grad_enabled()))

    g = gen()
    assert next(g) == 1
    assert g.throw(KeyError("k")) == 2
    assert am.is_grad_enabled()
    g.close()
    assert log == [("caught", False), ("finally", False)]
    assert am.is_grad_enabled()

    @am.no_grad()
    def failing():
        yield 1
        raise ValueError("boom")

    g = failing()
    next(g)
    with pytest.raises(ValueError, match="boom"):
        next(g)
    assert am.is_grad_enabled()


def test_operations_in_a_no_grad_generator_are_not_recorded():
    w = leaf([1.0, 2.0])

    @am.no_grad()
    def batches():
        for k in range(3):
            yield w * k

    outs = list(batches())
    assert not any(o.requires_grad for o in outs)
    assert (w * 2).requires_grad  # and outside it records again


# ------------------------------------------------------------- backward of several tensors


def test_backward_of_several_tensors_is_one_sweep_like_torch():
    x0 = np.array([0.3, -1.2, 2.0])
    x, tx = leaf(x0), tleaf(x0)
    u = np.array([1.0, 2.0, 3.0])
    outs = [(x * x).sum(), x.tanh(), x.exp().mean()]
    touts = [(tx * tx).sum(), tx.tanh(), tx.exp().mean()]
    with am.count_ops() as c:
        am.backward(outs, [None, u, 2.0])
    torch.autograd.backward(touts, [None, torch.tensor(u), torch.tensor(2.0, dtype=torch.float64)])
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-14)
    assert c.adjoint == 6  # each of the six operations once: one sweep
    with pytest.raises(RuntimeError, match="second time"):
        am.backward(outs[0])


def test_backward_of_several_tensors_create_graph_and_errors():
    x = leaf([1.0, 2.0])
    am.backward([(x ** 3).sum(), (x * 2).sum()], create_graph=True)
    g = x.grad
    np.testing.assert_allclose(g.data, 3 * x.data ** 2 + 2)
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)
    y = x * 2
    with pytest.raises(ValueError, match="grad_tensors"):
        am.backward([y, y], [np.ones(2)])
    with pytest.raises(RuntimeError, match="tensor 1 does not require grad"):
        am.backward([y.sum(), Tensor(1.0)])
    with pytest.raises(RuntimeError, match="gradient argument is needed"):
        am.backward([y])


# ------------------------------------------------------------------------- gradient hooks


def _record(log, name, change=None):
    def hook(g):
        log.append((name, arr(g)))
        return None if change is None else change(g)
    return hook


def test_hooks_like_torch_on_leaves_and_non_leaves_with_backward():
    logs = {}
    grads = {}
    for lib, make in (("ours", leaf), ("torch", tleaf)):
        log = logs[lib] = []
        x = make([1.0, 2.0])
        h = x * 3
        x.register_hook(_record(log, "x", lambda g: g * 10))
        h.register_hook(_record(log, "h", lambda g: g * 2))
        h.retain_grad()
        y = (h * h).sum()
        y.register_hook(_record(log, "y"))
        y.backward()
        grads[lib] = (arr(x.grad), arr(h.grad))
    assert [n for n, _ in logs["ours"]] == [n for n, _ in logs["torch"]] == ["y", "h", "x"]
    for (_, a), (_, b) in zip(logs["ours"], logs["torch"], strict=True):
        np.testing.assert_allclose(a, b)
    for a, b in zip(grads["ours"], grads["torch"], strict=True):
        np.testing.assert_allclose(a, b)  # .grad holds the changed gradient, as in torch


def test_hooks_with_grad_and_on_the_inputs_of_grad():
    for make, grad in ((leaf, am.grad), (tleaf, torch.autograd.grad)):
        x = make([1.0, 2.0])
        h = x * 3
        x.register_hook(lambda g: g * 10)
        h.register_hook(lambda g: g * 2)
        y = (h * h).sum()
        gx = grad(y, x, retain_graph=True)[0]
        gh = grad(y, h)[0]
        np.testing.assert_allclose(arr(gx), [360.0, 720.0])
        np.testing.assert_allclose(arr(gh), [12.0, 24.0])


def test_hooks_order_removal_and_create_graph():
    a = leaf(1.0)
    first = a.register_hook(lambda g: g + 1)
    a.register_hook(lambda g: g * 3)
    (a * 2).backward()
    assert a.grad.item() == 9.0  # (2 + 1) * 3, in registration order
    first.remove()
    first.remove()  # twice is harmless
    a.grad = None
    (a * 2).backward()
    assert a.grad.item() == 6.0
    # with create_graph the hook's own operations are recorded: here g ↦ g · x
    x = leaf(2.0)
    h = x * x
    h.register_hook(lambda g: g * x)
    (g,) = am.grad(h * 1.0, x, create_graph=True)  # d(x²)/dx · x = 2x · x
    assert g.item() == 8.0
    (gg,) = am.grad(g, x)
    assert gg.item() == 8.0  # d(2x²)/dx = 4x
    tx = tleaf(2.0)
    th = tx * tx
    th.register_hook(lambda g: g * tx)
    (tg,) = torch.autograd.grad(th * 1.0, tx, create_graph=True)
    assert (tg.item(), torch.autograd.grad(tg, tx)[0].item()) == (g.item(), gg.item())


def test_hook_errors_and_bookkeeping():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).register_hook(lambda g: g)
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match="callable"):
        x.register_hook(3)
    handle = x.register_hook(lambda g: g[:1])
    with pytest.raises(ValueError, match=r"shape \(1,\).*shape \(2,\)"):
        (x * 1.0).sum().backward()
    handle.remove()
    x.register_hook(lambda g: "no")
    with pytest.raises(TypeError, match="returned str"):
        (x * 1.0).sum().backward()
    before = shared.hooked
    y = leaf(1.0)
    y.register_hook(lambda g: g)
    y.register_hook(lambda g: g)
    assert shared.hooked == before + 1  # counts tensors with hooks, not hooks
    del y
    gc.collect()
    assert shared.hooked == before  # a tensor's hooks go with it


# ------------------------------------------------------------- what observers see, in order


class Steps(Observer):
    def __init__(self):
        self.steps = []

    def visited(self, t, g):
        self.steps.append(("visited", t))

    def sent(self, t, argnum, to, g):
        self.steps.append(("sent", t, argnum, to, np.array(g)))


def test_observers_see_each_step_in_the_order_the_sweep_runs():
    x, w = leaf([1.0, 2.0]), leaf([3.0])
    h = x * 2
    y = am.concatenate([h, w, h * h])
    with observing(Steps()) as obs:
        (y * y).sum().backward()
    visited = [s[1] for s in obs.steps if s[0] == "visited"]
    assert [t._seq for t in visited] == sorted((t._seq for t in visited), reverse=True)
    # after each tensor is visited, its rule sends to its inputs in argument order
    joined = next(k for k, s in enumerate(obs.steps) if s[0] == "visited" and s[1] is y)
    sends = obs.steps[joined + 1:joined + 4]
    assert [(s[0], s[2]) for s in sends] == [("sent", 0), ("sent", 1), ("sent", 2)]
    np.testing.assert_array_equal(sends[1][4], 2 * w.data)
    # grad() on an intermediate: only the steps above it
    y = (h.exp() * 3).sum()
    with observing(Steps()) as obs:
        am.grad(y, h)
    assert [s[0] for s in obs.steps] == ["visited", "sent", "visited", "sent", "visited", "sent",
                                         "visited"]
    assert obs.steps[-1] == ("visited", h)
