"""Issue 14's reproducers, one test each: every fault and bad input gets a clear message and loses nothing.

(The network's — train validating before its first step, accuracy and softmax_cross_entropy refusing bad
labels, sgd_step checking its keys first — are in tests/test_network.py; the fuzz test is tests/test_fuzz.py.)
"""
import html
import threading
import tracemalloc

import numpy as np
import pytest

from helpers.nn.conv import conv2d, conv2d_backward, conv2d_backward_loops, conv2d_loops

# ---------------------------------------------------------------------------- conv: reads only what windows read


def test_an_inf_in_a_pixel_no_window_reads_does_not_spoil_dw():
    x = np.ones((1, 1, 4, 4))
    x[0, 0, 3, 3] = np.inf            # stride 2, 3×3: the one window reads rows and columns 0…2
    w = np.ones((1, 1, 3, 3))
    dy = np.ones((1, 1, 1, 1))
    want = conv2d_backward_loops(dy, x, w, stride=2)
    got = conv2d_backward(dy, x, w, stride=2)
    assert np.array_equal(want[1], np.ones((1, 1, 3, 3)))
    for g, e in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, e)
    assert np.array_equal(conv2d(x, w, np.zeros(1), stride=2), conv2d_loops(x, w, np.zeros(1), stride=2))


@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 1), (2, 1), (3, 0)])
def test_non_finite_inputs_give_what_the_loops_give(stride, padding):
    """inf in a pixel, in a weight, in δ: the fast path's wasted grid positions must not add 0·inf = NaN."""
    rng = np.random.default_rng(0)
    for where in ("x", "w", "dy"):
        x, w = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
        dy = rng.standard_normal(conv2d(x, w, np.zeros(3), stride, padding).shape)
        {"x": x, "w": w, "dy": dy}[where].flat[0] = np.inf
        want = conv2d_backward_loops(dy, x, w, stride, padding)
        for name, g, e in zip(("dx", "dw", "db"), conv2d_backward(dy, x, w, stride, padding), want, strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12, err_msg=f"{name}, inf in {where}")


def test_a_large_stride_allocates_only_what_it_reads():
    """A 64 MB input at stride 50 peaked at 1.0 GB for a 150 KB output."""
    x = np.ones((8, 1, 1024, 1024))                         # 64 MB
    w, b = np.ones((2, 1, 3, 3)), np.zeros(2)
    tracemalloc.start()
    y = conv2d(x, w, b, stride=50)
    _, forward_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    dx, dw, _ = conv2d_backward(np.ones_like(y), x, w, stride=50)
    _, backward_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert y.shape == (8, 2, 21, 21) and np.all(y == 9)
    assert forward_peak < 4 * 2**20, f"forward peaked at {forward_peak / 2**20:.0f} MB"
    assert backward_peak < x.nbytes + 4 * 2**20, f"backward peaked at {backward_peak / 2**20:.0f} MB (dx is 64 MB)"
    assert dw[0, 0, 0, 0] == 8 * 21 * 21 and dx[0, 0, 1, 1] == 2 and dx[0, 0, 3, 3] == 0


# ---------------------------------------------------------------------------- conv: size guard, threads

@pytest.mark.parametrize("call", [
    lambda: conv2d(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), np.zeros(1), padding=10**5),
    lambda: conv2d(np.broadcast_to(np.float32(0), (100000, 3, 64, 64)), np.zeros((8, 3, 3, 3)), np.zeros(8)),
    lambda: conv2d_backward(np.broadcast_to(0.0, (10000, 8, 62, 62)), np.broadcast_to(0.0, (10000, 3, 64, 64)),
                            np.zeros((8, 3, 3, 3))),
])
def test_conv_refuses_beyond_its_memory_budget_naming_x(call):
    with pytest.raises(ValueError, match="^x is too large"):
        call()


def test_calls_from_four_threads_give_the_serial_results():
    """4 threads at once gave 135 wrong results out of 200."""
    rng = np.random.default_rng(1)
    problems = []
    for i in range(50):
        side = 10 + i % 4                                      # several geometries share the workspace
        x, w = rng.standard_normal((3, 2, side, side)), rng.standard_normal((4, 2, 3, 3))
        problems.append((x, w, rng.standard_normal((3, 4, side - 2, side - 2))))
    serial = [(conv2d(x, w, np.zeros(4)), *conv2d_backward(dy, x, w)) for x, w, dy in problems]
    results, barrier = {}, threading.Barrier(4)

    def work(thread):
        barrier.wait()
        for k, (x, w, dy) in enumerate(problems):
            results[thread, k] = (conv2d(x, w, np.zeros(4)), *conv2d_backward(dy, x, w))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wrong = sum(not all(np.array_equal(a, b) for a, b in zip(results[t, k], serial[k], strict=True))
                for t in range(4) for k in range(50))
    assert len(results) == 200 and wrong == 0, f"{wrong} wrong results out of 200"


# ---------------------------------------------------------------------------- gradcheck

def test_numerical_gradient_restores_x_when_f_raises():
    from helpers.nn.gradcheck import numerical_gradient

    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f(v):
        calls.append(v.copy())
        if len(calls) == 4:
            raise RuntimeError("the loss failed")
        return float(np.sum(v ** 2))

    with pytest.raises(RuntimeError, match="the loss failed"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])     # not left at 2 − h


def test_check_gradient_refuses_float16():
    from helpers.nn.gradcheck import check_gradient, numerical_gradient

    x16 = np.array([1.0, 2.0], dtype=np.float16)
    with pytest.raises(ValueError, match=r"^x must be a writeable float32 or float64"):
        check_gradient(lambda v: float(np.sum(v ** 2)), x16, np.zeros(2))      # it gave a zero gradient
    x32 = np.array([1.0, 2.0], dtype=np.float32)                       # allowed: rounding ~1e-3, documented
    np.testing.assert_allclose(numerical_gradient(lambda v: float(np.sum(v.astype(np.float64) ** 2)), x32, h=1e-2),
                               [2, 4], rtol=1e-3)
    for h in (0, -1e-5, float("nan"), float("inf"), True, "1e-5"):
        with pytest.raises(ValueError, match="^h must be a finite real number > 0"):
            check_gradient(lambda v: 0.0, np.zeros(2), np.zeros(2), h)


def test_numerical_gradient_of_output_refuses_an_upstream_that_would_broadcast():
    from helpers.nn.gradcheck import numerical_gradient_of_output

    with pytest.raises(ValueError, match="^upstream"):
        numerical_gradient_of_output(lambda v: v * 2, np.zeros(3), np.ones(1))


# ---------------------------------------------------------------------------- symbolic: no text, size guards

def test_is_zero_refuses_strings_and_never_runs_them(tmp_path):
    from helpers.derive import symbolic

    marker = tmp_path / "PWNED"
    with pytest.raises(ValueError, match="expr must be a SymPy expression"):
        symbolic.is_zero(f"__import__('pathlib').Path({str(marker)!r}).touch()")
    assert not marker.exists()
    x = symbolic.image_symbols(2)[0, 0]
    assert symbolic.is_zero(x - x) and not symbolic.is_zero(x) and symbolic.is_zero(0)


@pytest.mark.parametrize("call, word", [
    (lambda s: s.image_symbols(10**6), "^n: n = 1000000"),
    (lambda s: s.filter_symbols(60), "^k: k = 60"),
    (lambda s: s.correlate(s.image_symbols(3), s.filter_symbols(2), padding=10**5), "^padding: I"),
    (lambda s: s.proof_table([(12, 3, 1, 0)]), "n = 12, k = 3"),
    (lambda s: s.pad(s.image_symbols(3), 10**4), "^padding"),
    (lambda s: s.dilate(s.delta_symbols(2), 10**6), "^stride"),
    (lambda s: s.correlate(s.sp.zeros(200, 200), s.filter_symbols(3)), "^I: a 200×200 matrix"),
    (lambda s: s.grids_figure([("big", np.zeros((200, 200)), None)], "t"), "^panels"),
    (lambda s: s.direct_gradient(s.correlate(s.image_symbols(12), s.filter_symbols(2)), s.image_symbols(12)),
     "^variables: .* over the symbolic limit TERM_BUDGET"),
], ids=["image_symbols", "filter_symbols", "correlate_padding", "proof_table", "pad", "dilate", "correlate_big",
        "grids_figure", "direct_gradient"])
def test_symbolic_sizes_over_the_budget_are_refused_quickly(call, word):
    import time

    import matplotlib.pyplot  # noqa: F401  (imported before the clock starts)

    from helpers.derive import symbolic

    start = time.perf_counter()
    with pytest.raises(ValueError, match=word.replace("(", r"\(")):
        call(symbolic)
    assert time.perf_counter() - start < 5.0    # it ran for minutes


def test_grids_figure_checks_every_panel_first():
    import matplotlib.pyplot as plt

    from helpers.derive import symbolic

    before = plt.get_fignums()
    for panels, word in [([("a", [[1, np.nan]], None)], "finite"), ([("a", [["x"]], None)], "grid of numbers"),
                         ([("a", [[1, 2]], (0, 1, 2))], "box"), ([("a", [[1]])], "triples"),
                         ([], "at least one")]:
        with pytest.raises(ValueError, match=word):
            symbolic.grids_figure(panels, "title")
    assert plt.get_fignums() == before                       # no half-drawn figure left open
    plt.close(symbolic.grids_figure([("a", [[1, -2], [0, 3]], (0, 0, 2))], "ok"))


# ---------------------------------------------------------------------------- setup and widgets

def test_the_version_check_does_not_import_jupyterlab():
    import subprocess
    import sys

    code = ("import sys; from helpers.widgets import env_check; v = env_check.versions(); "
            "assert 'jupyterlab' not in sys.modules, 'imported jupyterlab'; print(v['jupyterlab'])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()[0].isdigit()


def test_pool_stepper_applies_a_valid_field_while_the_other_is_invalid():
    from helpers.widgets.pool_stepper import PoolStepper

    w = PoolStepper()
    x_before = w.x.copy()
    w.values_text.value = "1, 2, x"                          # input I invalid
    w.upstream_text.value = "4 3 2 1"                        # δ valid: applied anyway
    assert w.dy.ravel().tolist() == [4, 3, 2, 1] and np.array_equal(w.x, x_before)
    assert "input I: 'x' is not a number" in html.unescape(w.message.value) and "δ applied" in w.message.value
    assert "Upstream δ = +4" in w.readout.value             # the readout shows the new δ
    w.upstream_text.value = "1 2"                            # now δ invalid too: both named
    assert "input I:" in w.message.value and "δ: expected 4 numbers, got 2" in w.message.value
    w.values_text.value = "−1 3 2 0, 3 2 1 5, 0 1 6 2, 2 1 3 4"  # the Unicode minus the widget prints
    assert w.x[0, 0] == -1 and "input I applied" in w.message.value


# ---------------------------------------------------------------------------- shared argument checks

def test_shared_argument_checks_name_the_argument():
    from helpers import door as arguments

    assert arguments.integer_in(np.int64(3), "count", 1, 5) == 3 and arguments.flag(np.True_, "shared") is True
    assert arguments.mapping({"a": 1}, "history", "a dict") == {"a": 1}
    for call, error, words in [
        (lambda: arguments.integer_in(True, "count", 0, 5), TypeError, "count must be an integer"),
        (lambda: arguments.integer_in(2.0, "count", 0, 5), TypeError, "count must be an integer"),
        (lambda: arguments.integer_in(6, "count", 0, 5), ValueError, "count must be from 0 to 5; got 6"),
        (lambda: arguments.flag(1, "shared"), TypeError, "shared must be True or False"),
        (lambda: arguments.mapping([1], "history", "the dict train returns"), TypeError,
         "history must be the dict train returns; got list"),
    ]:
        with pytest.raises(error, match=words):
            call()
