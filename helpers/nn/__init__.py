"""The engine: conv, pool and the other layers as forward/backward pairs (NCHW), the network, gradient checks."""
import ctypes

# Memory, measured: a training step allocates and frees arrays of about a megabyte. By default glibc gives
# such blocks back to the operating system at every free, and the next step page-faults them in afresh,
# which doubled the time of a step (conv2's backward pass: 3.6 ms → 1.4 ms with this setting). So ask glibc
# (M_MMAP_THRESHOLD = -3, M_TRIM_THRESHOLD = -1) to keep up to 64 MB of freed memory for reuse. Not glibc
# (macOS, Windows): nothing to tune.
try:
    ctypes.CDLL(None).mallopt(-3, 32 << 20)
    ctypes.CDLL(None).mallopt(-1, 64 << 20)
except (AttributeError, OSError, TypeError):
    pass
