"""Which device the tests run on, and what the header says about it — without importing torch early.

``--rnn-device`` (ini ``rnn_device``) takes ``auto`` (CUDA when available, else CPU), ``cpu``,
``cuda`` or ``cuda:N``. Under pytest-xdist each worker takes its own GPU: worker ``gwN`` on a host
with k visible GPUs uses ``cuda:(N mod k)``, so ``-n 4`` on a 4-GPU box gives one GPU per worker
instead of four workers on cuda:0. An explicit ``cuda:N`` is taken as meant, for every worker.

Importing torch costs seconds, and pytest imports this plugin for every run of every project, so
torch is imported only when a test asks for a device (or a ``rnn_cuda`` test needs to know). The
header reads torch's version from the package metadata; it names the device only when that is
known without torch (``cpu`` asked for, or a ``+cpu`` build) or torch is already imported.
"""

from __future__ import annotations

import os
import re
import sys
from importlib import metadata

CHOICES = ("auto", "cpu", "cuda")
_VALID = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def parse_device(value: str) -> str:
    """Validate an ``--rnn-device``/``rnn_device`` value; returns it normalised."""
    text = str(value).strip().lower()
    if not _VALID.match(text):
        raise ValueError(f"--rnn-device must be auto, cpu, cuda or cuda:N, not {value!r}")
    return text


def worker_index(environ: dict[str, str] | None = None) -> int | None:
    """N for pytest-xdist worker ``gwN`` (from PYTEST_XDIST_WORKER); None outside xdist."""
    worker = (os.environ if environ is None else environ).get("PYTEST_XDIST_WORKER", "")
    match = re.fullmatch(r"gw(\d+)", worker)
    return int(match.group(1)) if match else None


def choose_device(requested: str, *, cuda_available: bool, device_count: int, worker: int | None) -> str:
    """The device string for a request, given what the machine has. Pure, so it is testable anywhere."""
    if requested == "cpu":
        return "cpu"
    if requested.startswith("cuda:"):
        if not cuda_available:
            raise RuntimeError(f"--rnn-device {requested} was asked for, but CUDA is not available")
        return requested
    if not cuda_available or device_count < 1:
        if requested == "cuda":
            raise RuntimeError("--rnn-device cuda was asked for, but CUDA is not available")
        return "cpu"
    return f"cuda:{(worker or 0) % device_count}"


def resolve(requested: str):
    """The ``torch.device`` to test on (imports torch). On CUDA it also becomes the current device,
    so a test's own ``.cuda()`` lands on this worker's GPU too."""
    try:
        import torch
    except ImportError:
        raise RuntimeError("pytest-rnn's fixtures run the model: they need torch (pip install torch)") from None

    available = torch.cuda.is_available()
    chosen = choose_device(
        requested,
        cuda_available=available,
        device_count=torch.cuda.device_count() if available else 0,
        worker=worker_index(),
    )
    device = torch.device(chosen)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return device


def cuda_skip_reason(requested: str) -> str | None:
    """Why a ``rnn_cuda`` test cannot run here, or None when it can (imports torch)."""
    if requested == "cpu":
        return "rnn_cuda: --rnn-device is cpu"
    try:
        import torch
    except ImportError:
        return "rnn_cuda: torch is not installed"
    if not torch.cuda.is_available():
        return f"rnn_cuda: CUDA is not available (torch {torch.__version__})"
    return None


def torch_version() -> str | None:
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def header(requested: str, watch: bool = False, lint: bool = False) -> str:
    """``rnn: torch 2.13.0+cpu, device auto -> cpu (CPU-only torch build)`` and the like."""
    version = torch_version()
    if version is None:
        return "rnn: torch not installed (the rnn checks need it)"
    if requested == "cpu" or requested.startswith("cuda:"):
        device = requested
    elif "torch" in sys.modules:  # already paid for: ask it
        torch = sys.modules["torch"]
        try:
            available = torch.cuda.is_available()
            count = torch.cuda.device_count() if available else 0
            chosen = choose_device(requested, cuda_available=available, device_count=count, worker=None)
            device = f"{requested} -> {chosen}"
        except RuntimeError as error:
            device = f"{requested} ({error})"
    elif version.endswith("+cpu"):
        device = (
            f"{requested} -> cpu (CPU-only torch build)"
            if requested == "auto"
            else f"{requested} (unavailable: CPU-only torch build)"
        )
    else:
        device = f"{requested} (CUDA if available, decided when a test first asks)"
    extras = [flag for flag, on in (("rnn-watch", watch), ("rnn-lint", lint)) if on]
    return f"rnn: torch {version}, device {device}" + "".join(f", {flag} on" for flag in extras)
