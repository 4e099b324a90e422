"""Traces of the two sweeps (viz.trace_backward / trace_forward), checked against the engine.

The traced gradients must be exactly — bitwise — what backward() puts into .grad, and the traced
tangents exactly what autograd_mini.jvp computes; the printed tables must say what the texts say
(∂e/∂b = 3 from d + 2 from c = 5).
"""

from __future__ import annotations

import numpy as np
import pytest
from seed import seed_example

import nn
from autograd_mini import Tensor, jvp, ops
from viz import retain_grads, trace_backward, trace_forward
from viz.graph import walk


def assert_trace_matches_backward(trace, root, grad=None):
    """Every step's gradient is bit for bit the .grad that backward() gives that tensor."""
    retain_grads(root)
    root.backward(grad)
    assert len(trace) == sum(1 for t in walk(root) if t.requires_grad)
    for step in trace:
        assert step.tensor.grad is not None, trace.label(step.tensor)
        np.testing.assert_array_equal(step.grad, step.tensor.grad.data, trace.label(step.tensor))
        assert step.grad.dtype == step.tensor.grad.dtype
        assert step.grad.shape == step.tensor.shape


# --------------------------------------------------------------------------- reverse mode


def test_seed_example_reverse_sweep_step_by_step():
    a, b, c, d, e = seed_example()
    trace = trace_backward(e)
    # latest made first: e, then d (made after c), then c, then the inputs
    assert [step.tensor for step in trace] == [e, d, c, b, a]
    assert [step.grad.item() for step in trace] == [1, 3, 2, 5, 2]
    first = trace[0]
    assert [(s.input, s.local.item(), s.sent.item()) for s in first.sends] == [(c, 2, 2), (d, 3, 3)]
    step_b = trace.of(b)
    assert [(sender, g.item()) for sender, g in step_b.received] == [(d, 3), (c, 2)]
    assert step_b.sends == ()
    assert trace.of(a).received[0][0] is c
    # nothing changed: no .grad filled, and the graph kept for a real backward()
    assert all(t.grad is None for t in (a, b, c, d, e))
    assert_trace_matches_backward(trace, e)
    assert (a.grad.item(), b.grad.item()) == (2, 5)


def test_seed_example_table_reads_like_the_texts():
    *_, e = seed_example()
    text = str(trace_backward(e))
    assert text == repr(trace_backward(e))
    lines = text.splitlines()
    assert lines[0].startswith("Reverse sweep from e: 5 steps")
    rows = {line.split()[1]: line for line in lines[3:]}
    assert list(rows) == ["e", "d", "c", "b", "a"]
    assert "c × d" in rows["e"] and "to c: 1 × 2 = 2;  to d: 1 × 3 = 3" in rows["e"]
    assert "to b: 3 × 1 = 3" in rows["d"]
    assert " 5 " in rows["b"] and "3 from d + 2 from c" in rows["b"]
    assert "seed" in rows["e"] and "from c" in rows["a"]


def test_a_non_leaf_used_twice_adds_every_path():
    a = Tensor(1.5, requires_grad=True, name="a")
    b = Tensor(-0.5, requires_grad=True, name="b")
    c = a * b
    c.name = "c"
    e = c * c + c  # c reaches e three times: twice through the product, once directly
    trace = trace_backward(e)
    step_c = trace.of(c)
    senders = [trace.label(sender) for sender, _ in step_c.received]
    assert senders == ["add", "mul", "mul"]
    cv = c.data.item()
    assert [g.item() for _, g in step_c.received] == [1.0, cv, cv]
    assert step_c.grad.item() == pytest.approx(2 * cv + 1)
    # the product's step sends to the same input twice, one share per argument
    product = trace.of(e.op_args[0])
    assert [s.input for s in product.sends] == [c, c]
    assert_trace_matches_backward(trace, e)


def test_array_expression_with_broadcasting():
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((2, 3)), requires_grad=True, name="x")
    w = Tensor(rng.standard_normal(3), requires_grad=True, name="w")
    s = Tensor(0.7, requires_grad=True, name="s")
    y = ((x * w + s) ** 2).sum()
    trace = trace_backward(y)
    step_mul = trace.of(y.op_args[0].op_args[0].op_args[0])  # x * w
    assert [send.input for send in step_mul.sends] == [x, w]
    assert [send.sent.shape for send in step_mul.sends] == [(2, 3), (3,)]  # summed back to w
    assert all(send.local is None for send in step_mul.sends)  # arrays: no single number
    assert trace.of(s).grad.shape == ()
    assert "(2, 3)" in str(trace)
    assert_trace_matches_backward(trace, y)


def test_non_scalar_output_with_a_seed():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True, name="x")
    y = ops.tanh(x) * x
    seed = np.array([0.5, 1.0, -2.0])
    with pytest.raises(ValueError, match=r"shape \(3,\).*grad="):
        trace_backward(y)
    trace = trace_backward(y, grad=seed)
    np.testing.assert_array_equal(trace[0].grad, seed)
    assert_trace_matches_backward(trace, y, seed)


def test_mlp_cost_trace_equals_backward():
    rng = np.random.default_rng(0)
    model = nn.MLP([4, 5, 3, 2], rng=1)
    x, y = rng.standard_normal((6, 4)), rng.uniform(size=(6, 2))
    cost = nn.quadratic_cost(model(x), y)
    trace = trace_backward(cost)
    assert trace[0].tensor is cost and trace[0].grad.item() == 1
    position = {id(step.tensor): k for k, step in enumerate(trace)}  # Tensors compare by value
    layers = model.layers
    assert position[id(layers[2].weight)] < position[id(layers[0].weight)]  # output layer first
    assert [s.input for s in trace.of(layers[0].weight).sends] == []
    assert {trace.label(p) for p in model.weights()} == {"W₁", "W₂", "W₃"}
    assert_trace_matches_backward(trace, cost)


def test_trace_leaves_existing_grads_alone_and_can_repeat():
    a, b, c, d, e = seed_example()
    e.backward(retain_graph=True)
    before = (a.grad.data.copy(), b.grad.data.copy())
    first, second = trace_backward(e), trace_backward(e)
    assert [s.grad.item() for s in first] == [s.grad.item() for s in second]
    np.testing.assert_array_equal(a.grad.data, before[0])
    np.testing.assert_array_equal(b.grad.data, before[1])


def test_reverse_errors_are_clear():
    with pytest.raises(ValueError, match="does not require grad"):
        trace_backward(Tensor(1.0) * 2)
    with pytest.raises(TypeError, match="Tensor"):
        trace_backward(np.ones(2))
    *_, e = seed_example()
    e.backward()
    with pytest.raises(RuntimeError, match="freed by an earlier backward.*retain_graph=True"):
        trace_backward(e)


# --------------------------------------------------------------------------- forward mode


def test_seed_example_forward_from_b():
    a, b, c, d, e = seed_example()
    trace = trace_forward(e, b)
    assert [step.tensor for step in trace] == [a, b, c, d, e]  # inputs first
    assert [step.tangent.item() for step in trace] == [0, 1, 1, 1, 5]
    terms = trace.of(e).terms
    assert [(t.input, t.local.item(), t.contribution.item()) for t in terms] == [(c, 2, 2),
                                                                                 (d, 3, 3)]
    assert trace.of(c).terms[0].contribution is None  # a carries no tangent: adds nothing
    _, de_db = jvp(lambda a, b: (a + b) * (b + 1), (2.0, 1.0), (0.0, 1.0))
    assert trace[-1].tangent.item() == de_db.item()
    assert trace_forward(e, a)[-1].tangent.item() == 2
    table = str(trace).splitlines()
    assert table[0].startswith("Forward sweep seeded at b: 5 steps")
    assert "from c: 2 × 1 = 2;  from d: 3 × 1 = 3" in table[-1]
    assert all(t.tangent is None for t in (a, b, c, d, e))  # nothing of the graph changed


def test_forward_tangents_equal_jvp_on_arrays_and_an_mlp():
    rng = np.random.default_rng(5)
    xv, wv = rng.standard_normal((2, 3)), rng.standard_normal(3)
    x = Tensor(xv, requires_grad=True, name="x")
    w = Tensor(wv, requires_grad=True, name="w")

    def f(x, w):
        return (ops.sigmoid(x * w + 0.5) ** 2).sum()

    direction = rng.standard_normal(3)
    trace = trace_forward(f(x, w), w, tangent=direction)
    _, expected = jvp(f, (xv, wv), (np.zeros_like(xv), direction))
    np.testing.assert_array_equal(trace[-1].tangent, expected.data)

    model = nn.MLP([4, 5, 3, 2], rng=2)
    data, targets = rng.standard_normal((3, 4)), rng.uniform(size=(3, 2))
    cost = nn.quadratic_cost(model(data), targets)
    w1 = model.layers[0].weight
    v = rng.standard_normal(w1.shape)
    trace = trace_forward(cost, w1, tangent=v)

    def cost_of(weight):
        a = data
        for i, layer in enumerate(model.layers):
            a = ops.sigmoid(ops.affine(a, weight if i == 0 else layer.weight.data,
                                       layer.bias.data))
        return ops.quadratic_cost(a, targets)

    _, expected = jvp(cost_of, w1.data, v)
    np.testing.assert_array_equal(trace[-1].tangent, expected.data)
    assert len(trace) == len(walk(cost))
    # and forward mode agrees with reverse mode: the directional derivative is grad · v
    cost.backward()
    assert trace[-1].tangent.item() == pytest.approx(np.sum(w1.grad.data * v), rel=1e-10)


def test_forward_errors_are_clear():
    a, b, c, d, e = seed_example()
    with pytest.raises(ValueError, match="not one of the tensors"):
        trace_forward(e, Tensor(3.0))
    with pytest.raises(ValueError, match="leaf"):
        trace_forward(e, c)
    with pytest.raises(ValueError, match=r"tangent has shape \(2,\)"):
        trace_forward(e, b, tangent=[1.0, 2.0])
