"""How far apart two results may be and still count as the same.

The metamorphic checks compare a model with itself. Batch independence compares identical work on
identical shapes, so any honest model gives bit-identical results; padding invariance compares a
sequence run alone (batch 1, its own length) with the same sequence inside a batch, where the
kernels may block the matrix products differently and round differently. ``sqrt(eps)`` of the dtype
(3.5e-4 for float32, 1.5e-8 for float64, 3.1e-2 for float16) sits far above that rounding — the
error of a reordered sum of n terms is about n·eps, and recurrent layers here sum a few hundred —
and far below what a real leak moves (padding or another sample changes outputs by 1e-2 to 1).
float32 on a GPU in TF32 mode gets the TF32 bound below.

Device parity compares the GPU with a CPU copy of the same dtype: cuDNN's TF32 mode (on by default
for recurrent layers) keeps 10 mantissa bits, eps 2^-10 ≈ 9.8e-4, so the bound is 2e-2 there;
without TF32, float32 kernels that sum in different orders over tens of steps stay within 1e-4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

#: Relative and absolute bound for GPU-vs-CPU parity, by the GPU run's precision.
_PARITY = {"tf32": 2e-2, torch.float32: 1e-4, torch.float64: 1e-9, torch.float16: 2e-2, torch.bfloat16: 1e-1}


def metamorphic_tolerance(value: torch.Tensor) -> float:
    """``sqrt(eps)`` of a floating tensor's dtype; 0 (exact) for integers and booleans. float32 on a
    GPU that may use TF32 gets the TF32 bound instead: there a sequence alone and in a batch run
    through different kernels, each rounding to 10 mantissa bits."""
    dtype = value.dtype
    if not dtype.is_floating_point:
        return 0.0
    if value.is_cuda and dtype == torch.float32 and tf32_enabled():
        return _PARITY["tf32"]
    return math.sqrt(torch.finfo(dtype).eps)


def parity_tolerance(dtype: torch.dtype, tf32: bool) -> float:
    if dtype == torch.float32 and tf32:
        return _PARITY["tf32"]
    return _PARITY.get(dtype, math.sqrt(torch.finfo(dtype).eps) if dtype.is_floating_point else 0.0)


def _precision(*chain: object) -> str | None:
    """The first setting in ``chain`` (most specific first) that is not "none" (= inherit)."""
    for backend in chain:
        value = getattr(backend, "fp32_precision", None)
        if value not in (None, "none"):
            return value
    return None


def tf32_enabled() -> bool:
    """Whether float32 work on the GPU may run in TF32: cuDNN's recurrent kernels or cuBLAS matmuls.
    Reads torch's fp32_precision settings where they exist (torch >= 2.9), else allow_tf32."""
    backends = torch.backends
    try:
        if hasattr(getattr(backends.cudnn, "rnn", None), "fp32_precision"):
            rnn = _precision(backends.cudnn.rnn, backends.cudnn, backends)
            matmul = _precision(backends.cuda.matmul, backends.cuda, backends)
            return "tf32" in (rnn, matmul)
        return bool(backends.cudnn.allow_tf32 or backends.cuda.matmul.allow_tf32)
    except RuntimeError:  # torch refuses to mix its old and new TF32 settings: assume the looser case
        return True


def bounds(value: torch.Tensor, atol: float | None, rtol: float | None) -> tuple[float, float]:
    """(atol, rtol) for comparing ``value``: each one the user did not give is the dtype's
    metamorphic bound."""
    default = metamorphic_tolerance(value)
    return (default if atol is None else float(atol)), (default if rtol is None else float(rtol))


@dataclass(frozen=True)
class Difference:
    """How much ``got`` moved from ``expected``: the largest absolute difference and where."""

    max_abs: float
    index: tuple[int, ...]
    within: bool
    tolerance: float
    #: The relative bound; None: the same as ``tolerance``.
    relative: float | None = None

    def __str__(self) -> str:
        return f"max |Δ| {self.max_abs:.3g}"

    @property
    def bound(self) -> str:
        """The allowed difference, as the messages quote it."""
        relative = self.tolerance if self.relative is None else self.relative
        if self.tolerance == 0 and relative == 0:
            return "exactly"
        return f"within {self.tolerance:.1e} + {relative:.1e}·|value|"


def compare(expected: torch.Tensor, got: torch.Tensor, tol: float, rtol: float | None = None) -> Difference:
    """Elementwise ``|got - expected| <= tol + rtol * |expected|`` (``rtol`` defaults to ``tol``)."""
    relative = tol if rtol is None else rtol
    if expected.shape != got.shape:
        raise ValueError(f"cannot compare shapes {tuple(expected.shape)} and {tuple(got.shape)}")
    if expected.numel() == 0:
        return Difference(0.0, (), True, tol, relative)
    a = expected.detach().to("cpu", torch.float64)
    b = got.detach().to("cpu", torch.float64)
    a_nan, b_nan = torch.isnan(a), torch.isnan(b)
    diff = torch.where(a == b, torch.zeros_like(a), (a - b).abs())  # equal infinities: no difference
    diff = torch.where(a_nan & b_nan, torch.zeros_like(diff), diff)  # NaN where NaN was expected: same
    diff = torch.where(a_nan != b_nan, torch.full_like(diff, math.inf), diff)  # NaN on one side only
    flat = int(torch.argmax(diff))
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), diff.shape))
    within = bool((diff <= tol + relative * a.abs().nan_to_num(0.0)).all())
    return Difference(float(diff.reshape(-1)[flat]), index, within, tol, relative)
