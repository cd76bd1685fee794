"""Issue 14's reproducers, one test each: every fault and bad input gets a clear message and loses nothing.

(The network's — train validating before its first step, accuracy and softmax_cross_entropy refusing bad
labels, sgd_step checking its keys first — are in tests/test_network.py; the fuzz test is tests/test_fuzz.py.)
"""
import threading
import tracemalloc

import numpy as np
import pytest

from helpers import conv
from helpers.conv import conv2d, conv2d_backward, conv2d_backward_loops, conv2d_loops

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
    conv.release_workspace()
    tracemalloc.start()
    y = conv2d(x, w, b, stride=50)
    _, forward_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    dx, dw, _ = conv2d_backward(np.ones_like(y), x, w, stride=50)
    _, backward_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert y.shape == (8, 2, 21, 21) and np.all(y == 9)
    assert forward_peak < 2 * 2**20, f"forward peaked at {forward_peak / 2**20:.0f} MB"
    assert backward_peak < x.nbytes + 4 * 2**20, f"backward peaked at {backward_peak / 2**20:.0f} MB (dx is 64 MB)"
    assert dw[0, 0, 0, 0] == 8 * 21 * 21 and dx[0, 0, 1, 1] == 2 and dx[0, 0, 3, 3] == 0


# ---------------------------------------------------------------------------- conv: size guards, scratch, threads

@pytest.mark.parametrize("call", [
    lambda: conv2d(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), np.zeros(1), padding=10**5),
    lambda: conv2d(np.broadcast_to(np.float32(0), (100000, 3, 64, 64)), np.zeros((8, 3, 3, 3)), np.zeros(8)),
    lambda: conv2d_backward(np.broadcast_to(0.0, (10000, 8, 62, 62)), np.broadcast_to(0.0, (10000, 3, 64, 64)),
                            np.zeros((8, 3, 3, 3))),
])
def test_conv_refuses_beyond_its_memory_budget_naming_x(call):
    with pytest.raises(ValueError, match=r"^x of shape .* would need about [\d,]+ MB of working memory, over the "
                                         r"budget of 1,024 MB"):
        call()


def test_the_loops_refuse_inputs_that_would_run_for_minutes():
    x = np.broadcast_to(0.0, (64, 3, 64, 64))
    with pytest.raises(ValueError, match="the loops would run .* window products, over LOOP_BUDGET"):
        conv2d_loops(x, np.zeros((8, 3, 3, 3)), np.zeros(8))
    with pytest.raises(ValueError, match="LOOP_BUDGET"):
        conv2d_backward_loops(np.zeros((64, 8, 62, 62)), x, np.zeros((8, 3, 3, 3)))


def test_the_workspace_is_bounded_and_can_be_released():
    """One pass on 4,000 float64 images kept 778 MB alive."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4000, 1, 28, 28)), rng.standard_normal((6, 1, 3, 3))
    y = conv2d(x, w, np.zeros(6))
    conv2d_backward(np.ones_like(y), x, w)
    assert sum(a.nbytes for a in conv._WORKSPACE.values()) <= 64 * 2**20
    small = rng.standard_normal((8, 1, 28, 28))
    conv2d(small, w, np.zeros(6))
    assert conv._WORKSPACE
    conv.release_workspace()
    assert not conv._WORKSPACE
    np.testing.assert_allclose(conv2d(small, w, np.zeros(6)), conv2d_loops(small, w, np.zeros(6)), atol=1e-12)


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
