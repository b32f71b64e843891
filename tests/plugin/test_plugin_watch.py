"""``--rnn-watch``: unchanged tests, every recurrent call checked, the offending test failed."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="pytest-rnn's checks run models: they need torch")

import torch
import torch.nn.utils.rnn as rnn_utils
from plugin_helpers import LOAD_PLUGIN
from torch.nn.modules import module as module_hooks

TRAINING_LOOPS = """
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

def batches(n=3):
    generator = torch.Generator().manual_seed(0)
    return [torch.randn(5, 2, 3, generator=generator) for _ in range(n)]

def test_carried_state_with_retain_graph():
    rnn = nn.GRU(3, 4)
    h = None
    for x in batches():
        out, h = rnn(x, h)  # h still holds the previous batch's graph
        out.sum().backward(retain_graph=True)

def test_carried_state_without_retain_graph():
    rnn = nn.LSTM(3, 4)
    state = None
    for x in batches():
        out, state = rnn(x, state)
        out[-1].sum().backward()

def test_detached_state():
    rnn = nn.LSTM(3, 4)
    state = None
    for x in batches():
        out, state = rnn(x, state)
        out.sum().backward()
        state = tuple(s.detach() for s in state)

def test_carried_state_by_keyword_and_derived():
    rnn = nn.GRU(3, 4)
    h = None
    for x in batches():
        out, h = rnn(x, hx=h)
        out.sum().backward(retain_graph=True)
        h = h * 0.5

def test_state_reused_within_one_step_is_fine():
    encoder, decoder = nn.GRU(3, 4), nn.GRU(3, 4)
    for x in batches():
        _, h = encoder(x)
        out, _ = decoder(x, h)
        out.sum().backward()

def test_state_reused_without_grad_is_fine():
    rnn = nn.GRU(3, 4)
    out, h = rnn(batches(1)[0])
    out.sum().backward()
    with torch.no_grad():
        rnn(batches(1)[0], h)
"""


def run(pytester, source: str, *args: str):
    pytester.makepyfile(source)
    return pytester.runpytest_inprocess(*LOAD_PLUGIN, *args)


def test_stale_state_fails_only_under_watch(pytester):
    result = run(pytester, TRAINING_LOOPS, "--rnn-watch")
    result.assert_outcomes(passed=3, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*_ test_carried_state_with_retain_graph _*",
            ">*out, h = rnn(x, h)  # h still holds the previous batch's graph",
            "*RNN402 GRU: h_0 comes from a call of GRU whose graph a backward pass already went through*"
            "— detach the carried state between batches: h = h.detach()",
            "*_ test_carried_state_without_retain_graph _*",
            "*RNN402 LSTM: h_0 comes from a call of LSTM*",
            "*RNN402 LSTM: c_0 comes from a call of LSTM*",
            "*_ test_carried_state_by_keyword_and_derived _*",
            "*RNN402 GRU: h_0*",
        ]
    )
    assert "Trying to backward through the graph a second time" not in result.stdout.str()
    # Without --rnn-watch the retain_graph loops pass silently and the other one fails obscurely.
    result = pytester.runpytest_inprocess(*LOAD_PLUGIN)
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["*Trying to backward through the graph a second time*"])


def test_hooks_are_gone_after_each_test(pytester):
    source = (
        TRAINING_LOOPS
        + """
from torch.nn.modules import module as hooks

def test_zz_hooks_are_installed_during_a_test():
    assert len(hooks._global_forward_pre_hooks) == 1
    assert len(hooks._global_forward_hooks) == 1
"""
    )
    result = run(pytester, source, "--rnn-watch", "-p", "no:randomly")
    result.assert_outcomes(passed=4, failed=3)
    assert not module_hooks._global_forward_pre_hooks
    assert not module_hooks._global_forward_hooks
    assert "_pack_padded_sequence" not in vars(rnn_utils._VF)


def test_shapes_and_lengths_under_watch(pytester):
    result = run(
        pytester,
        """
        import torch
        from torch import nn
        from torch.nn.utils.rnn import pack_padded_sequence

        class Tagger(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = nn.Sequential(nn.Linear(3, 3))
                self.rnn = nn.LSTM(3, 4, num_layers=2, batch_first=True)

            def forward(self, x):
                h_0 = torch.zeros(x.size(0), 2, 4)
                return self.rnn(self.encoder(x), (h_0, h_0))[0]

        def test_batch_major_state():
            Tagger()(torch.randn(3, 5, 3))

        def test_lengths_past_the_batch():
            pack_padded_sequence(torch.randn(5, 2, 3), torch.tensor([7, 2]))

        def test_swallowed_violation_still_fails():
            try:
                Tagger()(torch.randn(3, 5, 3))
            except Exception:
                pass
        """,
        "--rnn-watch",
    )
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "*_ test_batch_major_state _*",
            "*RNN103 Tagger.rnn: h_0 is batch-major*(expected (2, 3, 4), got (3, 2, 4))*",
            "*_ test_lengths_past_the_batch _*",
            "*RNN106 pack_padded_sequence: lengths longer than the padded sequence (sample 0: 7)*",
            "*_ test_swallowed_violation_still_fails _*",
            "*RNN103 Tagger.rnn*",
        ]
    )
    assert "RuntimeError" not in result.stdout.str()


def test_other_failures_show_what_watch_saw(pytester):
    result = run(
        pytester,
        """
        import torch
        from torch import nn

        def test_fails_later():
            rnn = nn.GRU(3, 4)
            try:
                rnn(torch.randn(5, 2, 3), torch.zeros(1, 2, 5))
            except AssertionError:
                pass
            raise ValueError("something else")
        """,
        "--rnn-watch",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ValueError: something else*",
            "*- Captured rnn-watch call -*",
            "RNN107 GRU: h_0 does not match the module's configuration*",
        ]
    )


def test_ini_switches_watch_on(pytester):
    pytester.makeini("[pytest]\nrnn_watch = true\n")
    result = run(pytester, TRAINING_LOOPS)
    result.assert_outcomes(passed=3, failed=3)


def test_watch_leaves_unrelated_modules_alone(pytester):
    result = run(
        pytester,
        """
        import torch
        from torch import nn

        def test_plain_network():
            model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
            for _ in range(3):
                model(torch.randn(2, 3)).sum().backward()
        """,
        "--rnn-watch",
    )
    result.assert_outcomes(passed=1)
    assert torch.is_grad_enabled()
