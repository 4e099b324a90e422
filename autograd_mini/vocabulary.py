"""The engine's vocabulary — every function and primitive of ``ops``, what it computes and its
derivative — as the Markdown tables of the README.

The rows come from the registry itself (``ops.FAMILIES``: each family module's primitives and
public functions, in the order they are defined), so the table lists exactly what the engine
has; the words come from the text table below (``DESCRIPTIONS`` once parsed), one entry per
name — the one place each is written. A new primitive or function without an entry stops
``markdown()`` with its name.

``python -m autograd_mini.vocabulary`` prints the tables; ``--write README.md`` replaces the
part of that file between ``<!-- vocabulary -->`` and ``<!-- /vocabulary -->`` with them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import ModuleType

from . import ops
from .primitive import Primitive

BEGIN, END = "<!-- vocabulary -->", "<!-- /vocabulary -->"

# One entry per name: "name: what it computes", then, indented, "∂ its derivative" — what the
# gradient g of the result sends back to each operand ("—" where no gradient flows). Indented
# lines that follow continue the entry's last part.
_TEXT = """
# elementwise
exp: eˣ
    ∂ g·eˣ (from the result)
log: ln x
    ∂ g/x
sqrt: √x
    ∂ g/(2√x) (from the result)
sign: −1, 0 or 1: the sign of x
    ∂ —
positive_mask: 1 where x > 0, else 0
    ∂ —
absolute: abs(x); also `abs(t)`, `t.abs()`
    ∂ g·sign(x)
sigmoid: σ(x) = 1/(1 + e⁻ˣ)
    ∂ g·σ(1 − σ) (from the result)
tanh: tanh x
    ∂ g·(1 − tanh²x) (from the result)
relu: max(x, 0)
    ∂ g where x > 0, else 0
cast: x in another dtype (`t.astype`)
    ∂ g cast back to x's dtype
zeros_like: zeros of x's shape and dtype
    ∂ —
# arithmetic
add: x + y (`+`), broadcasting
    ∂ g to both (summed over broadcast axes, as for all)
subtract: x − y (`-`)
    ∂ g; −g
negative: −x (unary `-`)
    ∂ −g
multiply: x·y elementwise (`*`)
    ∂ g·y; g·x
divide: x / y (`/`)
    ∂ g/y; −g·x/y²
power: xʸ (`x ** y`)
    ∂ g·y·xʸ⁻¹; g·xʸ·ln x (0 where x = 0)
is_zero: 1 where x = 0, else 0
    ∂ —
# shapes
broadcast_to: x repeated along new or length-1 axes to a shape (`t.broadcast_to`)
    ∂ sum_to(g): g summed over the broadcast axes
sum_to: x summed over the axes along which a shape was broadcast (the reverse of broadcasting)
    ∂ broadcast_to(g)
reshape: x with a new shape of as many values (`t.reshape`, `t.view`)
    ∂ g reshaped to x's shape
transpose: x with its axes permuted (`t.T`; `t.transpose(i, j)` swaps two)
    ∂ g with the inverse permutation
squeeze: x without (given) axes of length 1
    ∂ g reshaped back (a reshape)
expand_dims: x with new axes of length 1
    ∂ g reshaped back (a reshape)
unsqueeze: PyTorch's expand_dims of one axis
    ∂ g reshaped back (a reshape)
flatten: axes start_dim … end_dim merged into one (all: a vector)
    ∂ g reshaped back (a reshape)
ravel: x as a vector
    ∂ g reshaped back (a reshape)
permute: PyTorch's permutation of the axes (`t.permute`)
    ∂ g with the inverse permutation (a transpose)
swapaxes: x with two axes exchanged
    ∂ g with them exchanged back (a transpose)
moveaxis: axes moved to new places, the others keeping their order
    ∂ g with the inverse permutation (a transpose)
expand: PyTorch's broadcast to sizes where −1 keeps a size (`t.expand`)
    ∂ g summed over the broadcast axes (a broadcast_to)
# indexing
getitem: x[index]: basic, integer-array and boolean indexing
    ∂ scatter_add: g added into zeros at index (repeated indices accumulate)
scatter_add: zeros of a shape with g added at an index (the reverse of getitem)
    ∂ g[index] (a getitem)
concatenate: tensors joined along an existing axis
    ∂ each operand its slice of g
stack: tensors of one shape joined along a new axis
    ∂ each operand its layer of g
# joining
hstack: tensors side by side: along axis 1 (axis 0 for vectors)
    ∂ each operand its slice of g (a concatenate)
vstack: tensors one below the other; vectors as rows
    ∂ each operand its slice of g (a concatenate)
column_stack: vectors as the columns of a matrix
    ∂ each operand its slice of g (a concatenate)
split: numpy's split: a list of k equal pieces, or of the pieces between indices
    ∂ each piece's g in its place, zeros elsewhere (a getitem per piece)
array_split: split into k pieces of lengths differing by at most 1
    ∂ each piece's g in its place, zeros elsewhere (a getitem per piece)
split_sizes: PyTorch's split (`t.split`): pieces of a given size, or of given sizes
    ∂ each piece's g in its place, zeros elsewhere (a getitem per piece)
# reductions
sum: Σ x over axes (all by default)
    ∂ g broadcast back over the summed axes
mean: the mean over axes
    ∂ g broadcast back, divided by the count
max: the largest element over axes
    ∂ g to the largest elements, shared equally between ties
argmax_share: 1/k where x equals its maximum (k ties), else 0
    ∂ —
logsumexp: log Σ eˣ over axes, without overflow
    ∂ g·softmax(x)
softmax: s = eˣ / Σ eˣ along an axis
    ∂ s·(g − Σ g·s)
log_softmax: x − logsumexp(x) along an axis
    ∂ g − softmax(x)·Σ g
# rearranging
flip: x reversed along axes
    ∂ g flipped back
roll: x shifted cyclically along axes
    ∂ g rolled back by the opposite shift
tile: x repeated as a whole along each axis (`t.tile`; PyTorch's `t.repeat`)
    ∂ Σ of g's tiles
repeat: numpy's repeat: each element repeated n times along an axis
    ∂ Σ of the copies of each element in g
pad: x surrounded by a constant, or by its own edge, reflected or wrapped elements
    ∂ the middle of g (copying modes: each copy's g added to its source too)
# diagonals
diagonal: the k-th diagonal over two axes
    ∂ g on the k-th diagonal of zeros (a diag_embed)
diag_embed: zeros of a shape with a vector on the k-th diagonal
    ∂ diagonal(g)
diag: of a vector, the matrix with it on the k-th diagonal; of a matrix, its k-th diagonal
    ∂ the other direction, applied to g
trace: Σ of the k-th diagonal
    ∂ g on the diagonal of zeros
triu: the upper triangle from the k-th diagonal, 0 below
    ∂ triu(g)
tril: the lower triangle to the k-th diagonal, 0 above
    ∂ tril(g)
# comparisons
less: x < y elementwise (`<`), a boolean tensor
    ∂ — (never requires grad)
less_equal: x ≤ y (`<=`)
    ∂ —
greater: x > y (`>`)
    ∂ —
greater_equal: x ≥ y (`>=`)
    ∂ —
equal: x = y (`==`)
    ∂ —
not_equal: x ≠ y (`!=`)
    ∂ —
where: x where the condition holds, else y (`t.where(c, other)`)
    ∂ g to x where c, to y elsewhere
maximum: the larger of x and y, elementwise
    ∂ g to the larger; ½g each on ties; both get g where either is NaN
minimum: the smaller of x and y, elementwise
    ∂ g to the smaller; ½g each on ties
maximum_share: the share of g each operand of maximum or minimum gets
    ∂ —
clip: x limited to [a_min, a_max], either bound may be None (`t.clip`, `t.clamp`)
    ∂ x: g where a_min ≤ x ≤ a_max; a bound: g where it is the value
clip_source: which operand of clip gives each value
    ∂ —
# functions
sin: sin x
    ∂ g·cos x
cos: cos x
    ∂ −g·sin x
tan: tan x
    ∂ g·(1 + tan²x) (from the result)
hypot: √(x² + y²) without overflow
    ∂ g·x/r; g·y/r
arcsin: sin⁻¹ x
    ∂ g/√(1 − x²)
arccos: cos⁻¹ x
    ∂ −g/√(1 − x²)
arctan: tan⁻¹ x
    ∂ g/(1 + x²)
arctan2: the angle of the point (x, y): arctan2(y, x)
    ∂ g·x/r²; −g·y/r² (0 at the origin)
sinh: sinh x
    ∂ g·cosh x
cosh: cosh x
    ∂ g·sinh x
arcsinh: sinh⁻¹ x
    ∂ g/√(1 + x²)
arccosh: cosh⁻¹ x
    ∂ g/(√(x − 1)·√(x + 1))
arctanh: tanh⁻¹ x
    ∂ g/((1 − x)(1 + x))
log1p: ln(1 + x), exact for small x
    ∂ g/(1 + x)
expm1: eˣ − 1, exact for small x
    ∂ g·eˣ
log2: log₂ x
    ∂ g/(x ln 2)
log10: log₁₀ x
    ∂ g/(x ln 10)
exp2: 2ˣ
    ∂ g·2ˣ ln 2 (from the result)
logaddexp: ln(eˣ + eʸ) without overflow
    ∂ g·σ(x − y); g·σ(y − x)
square: x²
    ∂ 2g·x
reciprocal: 1/x
    ∂ −g/x²
floor: ⌊x⌋
    ∂ 0
ceil: ⌈x⌉
    ∂ 0
floor_divide: ⌊x / y⌋ (`//`)
    ∂ 0
mod: x − y·⌊x / y⌋, with the sign of y (`%`; PyTorch's `remainder`)
    ∂ g; −g·⌊x / y⌋
erf: the error function
    ∂ g·(2/√π)·e^(−x²)
erfc: 1 − erf(x), exact for large x
    ∂ −g·(2/√π)·e^(−x²)
# activations
softplus: ln(1 + e^(βx))/β, and x beyond a threshold (PyTorch's)
    ∂ g·σ(βx) (g beyond the threshold)
leaky_relu: x where x > 0, else slope·x
    ∂ g where x > 0, else slope·g
elu: x where x > 0, else α(eˣ − 1)
    ∂ g where x > 0, else g·αeˣ
gelu: x·Φ(x), Φ the normal distribution function (exact, or its tanh approximation)
    ∂ g·(Φ(x) + x·φ(x))
# ordering
min: the smallest element over axes
    ∂ g to the smallest elements, shared equally between ties
argmax: the index of the largest element
    ∂ —
argmin: the index of the smallest element
    ∂ —
argsort: the indices that sort x along an axis
    ∂ —
permute_along: x rearranged along an axis by given indices
    ∂ g put back where each value came from
sort: x sorted along an axis (stable; NaN last)
    ∂ g put back where each value came from
# statistics
var: Σ (x − mean)² / (N − ddof) over axes
    ∂ 2g·(x − mean)/(N − ddof)
std: √var
    ∂ g·(x − mean)/((N − ddof)·std); 0 where std = 0
prod: Π x over axes
    ∂ g times the product of the other elements (zeros handled exactly)
cumsum: running sums along an axis
    ∂ reversed running sums of g
# products
matmul: a @ b (`@`): matrix products, batched and with vectors
    ∂ g @ bᵀ; aᵀ @ g
tensordot: Σ over paired axes of a ⊗ b
    ∂ g contracted with the other operand over its unpaired axes
dot: numpy's dot: a·b of scalars, inner product of vectors, matrix product; last axis of a with
    second-to-last of b
    ∂ as matmul or tensordot
inner: Σ over the last axes of a and b
    ∂ as tensordot
outer: the matrix of products aᵢbⱼ of the flattened a and b
    ∂ Σⱼ gᵢⱼbⱼ; Σᵢ gᵢⱼaᵢ
# einstein
einsum: sums of products named by subscripts: `ij,jk->ik`, `ii->`, `...ij,...jk`
    ∂ per operand an einsum: g times the other operands, spread over the operand's diagonals
      and the indices only it has
# fused
affine: x Wᵀ + b for a batch of rows
    ∂ g W; gᵀ x; Σ g over the batch
quadratic_cost: (1/N) Σ ½‖a − y‖²
    ∂ g·(a − y)/N; g·(y − a)/N
bce_with_logits: binary cross-entropy of σ(z) against y, (1/N) Σ softplus(z) − y z
    ∂ g·(σ(z) − y)/N; −g·z/N
softmax_cross_entropy: −(1/N) Σ y ln softmax(z)
    ∂ g·(softmax(z)·Σy − y)/N; −g·log_softmax(z)/N
"""


def _parse(text: str) -> dict[str, tuple[str, str]]:
    """``_TEXT`` as {name: (what it computes, its derivative)}."""
    entries: dict[str, list[str]] = {}
    last: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line[0].isspace():
            name, _, what = line.partition(": ")
            if name in entries:
                raise ValueError(f"vocabulary: {name!r} is described twice")
            last = entries[name] = [what]
        elif line.strip().startswith("∂ "):
            last.append(line.strip()[2:])
        else:
            last[-1] += " " + line.strip()
    return {name: (parts[0], parts[1] if len(parts) > 1 else "") for name, parts in
            entries.items()}


DESCRIPTIONS: dict[str, tuple[str, str]] = _parse(_TEXT)
"""name → (what it computes, its derivative)."""


def _public_name(prim: Primitive) -> str:
    """The name users call a primitive by: its name in ``ops``, or the public function of the
    primitive's name that records it (``flip`` for the primitive behind ``ops.flip``)."""
    for name in ops.__all__:
        if getattr(ops, name) is prim:
            return name
    return prim.name


def families() -> list[tuple[ModuleType, list[str]]]:
    """Each family module of ``ops`` with the names it defines, in definition order."""
    seen: set[str] = set()
    out = []
    for family in ops.FAMILIES:
        names = []
        for name, obj in vars(family).items():
            if isinstance(obj, Primitive):
                name = _public_name(obj)
            elif not (callable(obj) and name in ops.__all__
                      and getattr(obj, "__module__", None) == family.__name__):
                continue
            if name not in seen:
                seen.add(name)
                names.append(name)
        out.append((family, names))
    return out


def _summary(family: ModuleType) -> str:
    """The first sentence of the family's docstring, in Markdown."""
    text = " ".join((family.__doc__ or "").split("\n\n")[0].split())
    return re.split(r"(?<=\.)\s", text)[0].replace("``", "`")


def markdown() -> str:
    """The vocabulary as Markdown: one table per family."""
    missing = [n for _, names in families() for n in names if n not in DESCRIPTIONS]
    if missing:
        raise KeyError(f"vocabulary: no description for {missing}; add them to the table in "
                       "autograd_mini/vocabulary.py")
    parts = []
    for family, names in families():
        rows = [f"| `{n}` | {DESCRIPTIONS[n][0]} | {DESCRIPTIONS[n][1]} |" for n in names]
        path = family.__name__.replace(".", "/")
        parts.append("\n".join([f"**`{path}.py`** — {_summary(family)}",
                                "", "| name | computes | derivative (the gradient g of the "
                                "result sent back to each operand) |", "|---|---|---|", *rows]))
    return "\n\n".join(parts) + "\n"


def replace_section(text: str, table: str) -> str:
    """``text`` with the part between the vocabulary markers replaced by ``table``."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + table + text[end:]


def section(text: str) -> str:
    """The part of ``text`` between the vocabulary markers."""
    return text[text.index(BEGIN) + len(BEGIN) + 1:text.index(END)]


def main(argv: list[str]) -> None:
    if len(argv) == 2 and argv[0] == "--write":
        path = Path(argv[1])
        path.write_text(replace_section(path.read_text(encoding="utf-8"), markdown()),
                        encoding="utf-8")
    else:
        sys.stdout.write(markdown())


if __name__ == "__main__":
    main(sys.argv[1:])
