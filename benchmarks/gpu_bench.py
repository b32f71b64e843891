"""What pytest-rnn costs and how far GPU results really drift, on the GPU (CPU figures alongside).

    python3 benchmarks/gpu_bench.py [--repeat 5]

Prints, for a mid-sized model (2-layer bidirectional LSTM, 64 → 256, batch 32, 100 steps):
- a plain eval forward, and ``rnn_check`` on it (median wall time; the check runs a dozen forwards,
  a backward and, on CUDA, a CPU copy for parity);
- the overhead of the probe's hooks and of ``--rnn-watch``'s global hooks on one forward;
- the largest GPU-vs-CPU difference with TF32 on and off, and the largest batch-vs-alone difference
  on the GPU, next to the tolerances the checks allow (so the bounds can be judged on real cards).

It asserts nothing; it needs torch but not libcst, and runs from a bare checkout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from torch import nn

from pytest_rnn.full_check import RnnCheck
from pytest_rnn.preserve import untouched
from pytest_rnn.probe import Probe
from pytest_rnn.tolerance import compare, metamorphic_tolerance, parity_tolerance, tf32_enabled

INPUT, HIDDEN, LAYERS, BATCH, STEPS = 64, 256, 2, 32, 100


def model_and_batch(device: torch.device) -> tuple[nn.LSTM, torch.Tensor]:
    torch.manual_seed(0)
    model = nn.LSTM(INPUT, HIDDEN, num_layers=LAYERS, bidirectional=True, batch_first=True)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.startswith("bias_ih"):
                parameter[HIDDEN : 2 * HIDDEN].fill_(3.0)  # forget gates open: rnn_check's gradient check passes
    x = torch.randn(BATCH, STEPS, INPUT, generator=torch.Generator().manual_seed(1))
    return model.to(device), x.to(device)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(device: torch.device, repeat: int, work) -> float:
    """Median seconds of ``work()`` over ``repeat`` runs, after one warm-up."""
    work()
    synchronize(device)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextmanager
def tf32_mode(on: bool):
    """TF32 on or off for cuDNN's recurrent kernels and cuBLAS, through torch's newer
    fp32_precision settings when it has them (mixing them with allow_tf32 is refused)."""
    backends = torch.backends
    if hasattr(getattr(backends.cudnn, "rnn", None), "fp32_precision"):
        places = [(backends.cudnn.rnn, "fp32_precision"), (backends.cuda.matmul, "fp32_precision")]
        value = "tf32" if on else "ieee"
    else:
        places = [(backends.cudnn, "allow_tf32"), (backends.cuda.matmul, "allow_tf32")]
        value = on
    previous = [getattr(owner, name) for owner, name in places]
    for owner, name in places:
        setattr(owner, name, value)
    try:
        yield
    finally:
        for (owner, name), old in zip(places, previous):
            setattr(owner, name, old)


@contextmanager
def watching():
    from pytest_rnn.watch import Watch  # its pytest hook needs pytest >= 8; the rest of the benchmark does not

    watch = Watch()
    watch.start()
    try:
        yield
    finally:
        watch.stop()


def costs(device: torch.device, repeat: int) -> None:
    model, x = model_and_batch(device)
    model.eval()

    def forward():
        with torch.no_grad():
            model(x)

    def probed():
        with torch.no_grad(), Probe(model):
            model(x)

    def watched():
        with torch.no_grad(), watching():
            model(x)

    base = timed(device, repeat, forward)
    check = timed(device, max(1, repeat // 2), lambda: RnnCheck(device)(model, x))
    print(f"  forward (eval, no grad)      {base * 1e3:9.2f} ms")
    print(f"  with the probe's hooks       {timed(device, repeat, probed) * 1e3:9.2f} ms")
    print(f"  under --rnn-watch            {timed(device, repeat, watched) * 1e3:9.2f} ms")
    print(f"  rnn_check (every check)      {check * 1e3:9.2f} ms  = {check / base:.0f} forwards")


def max_difference(got: torch.Tensor, expected: torch.Tensor) -> float:
    return compare(expected.float().cpu(), got.float().cpu(), 0.0).max_abs


def drift(device: torch.device) -> None:
    model, x = model_and_batch(device)
    cpu_model, cpu_x = model_and_batch(torch.device("cpu"))
    with torch.no_grad():
        expected = cpu_model.eval()(cpu_x)[0]
        for tf32 in (True, False):
            with tf32_mode(tf32):
                got = model.eval()(x)[0]
                bound = parity_tolerance(torch.float32, tf32_enabled())
            print(
                f"  GPU vs CPU, TF32 {'on ' if tf32 else 'off'}       max |Δ| {max_difference(got, expected):.2e}"
                f"   (RNN403 allows {bound:.0e} + {bound:.0e}·|value|)"
            )
        with untouched(model):
            batched = model(x)[0][5]
            alone = model(x[5:6])[0][0]
        bound = metamorphic_tolerance(batched)
        print(
            f"  batch of {BATCH} vs sample alone  max |Δ| {max_difference(alone, batched):.2e}"
            f"   (RNN102/RNN105 allow {bound:.1e} + {bound:.1e}·|value|)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    print(f"torch {torch.__version__}, python {sys.version.split()[0]}, {os.cpu_count()} CPU cores")
    print(f"model: LSTM({INPUT}, {HIDDEN}, num_layers={LAYERS}, bidirectional=True), batch {BATCH}, {STEPS} steps")
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.insert(0, torch.device("cuda:0"))
        print(f"GPU: {torch.cuda.get_device_name(0)} (cuDNN {torch.backends.cudnn.version()})")
    else:
        print("GPU: none (CUDA is not available) — CPU figures only")
    for device in devices:
        print(f"\n{device}:")
        costs(device, repeat)
    if torch.cuda.is_available():
        print("\nnumerical drift on the GPU:")
        drift(torch.device("cuda:0"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
