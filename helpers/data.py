"""The images notebook 06 trains on: a shipped MNIST subset, the full MNIST, and Fashion-MNIST.

- ``load_subset()``         5,000 real MNIST digits shipped in data/mnist_5k.npz (4,000 train / 1,000 test, fixed);
                            works offline. Provenance and licence: data/README.md.
- ``load_mnist()``          the full MNIST (60,000 / 10,000), downloaded once into data/cache/.
- ``load_fashion_mnist()``  Fashion-MNIST, from Debian's package ``dataset-fashion-mnist`` when installed,
                            otherwise downloaded like MNIST.
- ``load(name)``            any of the three by name. When "mnist" or "fashion" cannot be had — no network, a
                            mirror that misbehaves, an unusable cache folder, a full disk, a damaged file — it
                            falls back to the shipped subset and says why in one sentence, ``Dataset.note``
                            (also logged once, as a warning of the logger "helpers.data").

Downloads happen only when one of these functions is called, never at import. They go through pooch
(``pooch.retrieve``): the cached copy is checked against the published SHA-256 (TensorFlow Datasets'
checksum lists) and every download lands in a temporary file first and is renamed into place only once
its checksum matches, so the cache never holds a half-written or unverified file, and two processes
downloading the same file at once both succeed (each has its own temporary file; the last rename wins, and
both renamed the same verified bytes — no lock file is needed, so none can go stale). pooch's own HTTP
downloader is replaced by ``CappedDownloader`` (see there why): https only, a size cap and an overall
deadline; a ``.part`` file left by a killed download is removed by the next download of that file.

Images are kept as uint8 (N, 1, 28, 28) to save memory (the full MNIST is 47 MB as uint8, 188 MB as
float32); ``to_unit_float`` turns a batch into floats in [0, 1].
"""
import contextlib
import errno
import gzip
import hashlib
import http.client
import inspect
import logging
import math
import os
import re
import socket
import ssl
import stat
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pooch

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
CACHE_DIR = DATA_DIR / "cache"
SUBSET_PATH = DATA_DIR / "mnist_5k.npz"
SUBSET_SHA256 = "bbe2f0f7ba51aaf766c97e62b2316a027e91502a842c8abdbe45fde632c8f756"
FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")

DIGITS = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

# (file name, size in bytes, SHA-256), as published in tensorflow/datasets' url_checksums/mnist.txt
MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", 9912422,
                     "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "train_labels": ("train-labels-idx1-ubyte.gz", 28881,
                     "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "test_images": ("t10k-images-idx3-ubyte.gz", 1648877,
                    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", 4542,
                    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}
MNIST_MIRRORS = ("https://storage.googleapis.com/cvdf-datasets/mnist/",
                 "https://ossci-datasets.s3.amazonaws.com/mnist/")

# as published in tensorflow/datasets' url_checksums/fashion_mnist.txt
FASHION_FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", 26421880,
                     "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
    "train_labels": ("train-labels-idx1-ubyte.gz", 29515,
                     "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
    "test_images": ("t10k-images-idx3-ubyte.gz", 4422102,
                    "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", 5148,
                    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
}
# https only: the authors' repository on GitHub, their S3 bucket's https endpoint (their page links the
# bucket's plain-http website endpoint, which is not used), then Keras's copy (same names and sizes).
FASHION_MIRRORS = ("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
                   "https://fashion-mnist.s3.eu-central-1.amazonaws.com/",
                   "https://storage.googleapis.com/tensorflow/tf-keras-datasets/")

NAMES = ("subset", "mnist", "fashion")

READ_TIMEOUT = 20.0       # seconds: a mirror that sends nothing for this long is given up
DEADLINE = 300.0          # seconds: one file from one mirror, everything included (connect, headers, body)
SIZE_MARGIN = 64 * 1024   # bytes: a mirror is cut off once it sends this much more than the published size
MAX_REDIRECTS = 3
MAX_IDX_BYTES = 64 * 2**20  # the largest idx file of MNIST or Fashion-MNIST holds 47,040,016 bytes
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")  # plain http is allowed only to these (local tests)

LOG = logging.getLogger(__name__)
LOG.addHandler(logging.NullHandler())  # silent unless the user configures logging


class DownloadError(OSError):
    """No mirror delivered a file that passed verification (offline, blocked, or corrupted).

    failures: [(url, reason), ...], one per mirror tried (empty when the cache folder itself is unusable)
    """

    def __init__(self, message, failures=()):
        super().__init__(message)
        self.failures = list(failures)


class DataFileError(ValueError):
    """A data file is truncated, has the wrong checksum, or is not the expected idx/npz content."""


@dataclass
class Dataset:
    """Images and labels, split into train and test.

    x_train: (N, 1, 28, 28) uint8 pixels 0…255;  y_train: (N,) int64 labels 0…9
    x_test:  (M, 1, 28, 28) uint8;               y_test:  (M,) int64
    name:    "subset", "mnist" or "fashion";  classes: the 10 class names
    note:    one sentence for the learner: where the data came from (and why, after a fallback)
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    classes: tuple
    note: str


def to_unit_float(images, dtype=np.float32):
    """uint8 pixels (any shape) → floats in [0, 1] of dtype np.float32 or np.float64."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 pixels 0…255; got dtype {images.dtype}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    return images.astype(dtype) / dtype.type(255)


def _as_path(name, value):
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or pathlib.Path); got {type(value).__name__} {value!r:.100}")
    return Path(value)


def _why_unreadable(error):
    """A few words for why a path cannot be opened (an OSError, or the ValueError of a name the OS refuses)."""
    if isinstance(error, ValueError):  # an embedded NUL, or a lone surrogate the file system cannot encode
        return "characters the file system refuses"
    if isinstance(error, (FileNotFoundError, NotADirectoryError)):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "a directory"
    if isinstance(error, PermissionError):
        return "permission denied"
    if error.errno == errno.ENAMETOOLONG:
        return "name too long"
    return error.strerror or type(error).__name__


def _unreadable(name, path, why):
    return ValueError(f"{name} must name a readable file; got {str(path)!r:.100} ({why})")


def _readable_file(name, value):
    """value as the Path of an existing regular file. TypeError when value is not a path; ValueError naming
    ``name`` when nothing readable is there (missing, a directory, a device, a name the file system refuses)."""
    path = _as_path(name, value)
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError) as error:
        raise _unreadable(name, path, _why_unreadable(error)) from None
    if stat.S_ISDIR(mode):
        raise _unreadable(name, path, "a directory")
    if not stat.S_ISREG(mode):
        raise _unreadable(name, path, "not a regular file")
    return path


def _open_readable(name, path):
    """open(path, "rb"), an OSError (e.g. the file vanished or is not readable) as a ValueError naming name."""
    try:
        return open(path, "rb")
    except OSError as error:
        raise _unreadable(name, path, _why_unreadable(error)) from None


def _check_sha256(name, value):
    if not (isinstance(value, str) and re.fullmatch("[0-9a-fA-F]{64}", value)):
        raise ValueError(f"{name} must be a SHA-256 as 64 hex digits; got {value!r:.100}")
    return value.lower()


def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number ≥ {minimum}; got {value!r:.100}")
    return int(value)


def sha256_of(path):
    """Hex SHA-256 of a file, read in 1 MB blocks.

    path: str or pathlib.Path of a regular file. Raises TypeError when path is not a path, ValueError naming
    path when no readable file is there (missing, a directory, a device, characters the file system refuses).
    """
    digest = hashlib.sha256()
    with _open_readable("path", _readable_file("path", path)) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------- the shipped subset

def load_subset(path=SUBSET_PATH, sha256=SUBSET_SHA256):
    """The shipped 5,000 MNIST digits: 4,000 for training and 1,000 held out (100 of each digit)."""
    path = _as_path("path", path)
    sha256 = None if sha256 is None else _check_sha256("sha256", sha256)
    if not path.is_file():
        raise DataFileError(f"path: the shipped subset {path} is missing; restore it with git "
                            "(git checkout -- data/mnist_5k.npz)")
    actual = sha256_of(path)
    if sha256 is not None and actual != sha256:
        raise DataFileError(f"path: {path} has SHA-256 {actual}, expected {sha256}; the file is damaged "
                            "or was regenerated without updating data/README.md and SUBSET_SHA256")
    with np.load(path) as arrays:
        parts = {k: arrays[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    return Dataset(parts["x_train"][:, None], parts["y_train"].astype(np.int64),
                   parts["x_test"][:, None], parts["y_test"].astype(np.int64), "subset", DIGITS,
                   "the 5,000 MNIST digits shipped with the course (4,000 train / 1,000 test)")


# ---------------------------------------------------------------------------- idx files

def read_idx(path, expected_count=None, max_bytes=MAX_IDX_BYTES):
    """Read a gzipped idx file (MNIST's format): images → uint8 (N, 28, 28), labels → uint8 (N,).

    path: str or pathlib.Path of the file; expected_count: None or the number of items it must hold (≥ 0);
    max_bytes: the most bytes its header may announce (≥ 1).
    The header is read and checked first; then exactly the bytes it announces are decompressed, in 1 MB
    steps, into one preallocated array. A file announcing more than max_bytes, or holding more or fewer
    bytes than it announces, is refused as soon as that is known — a gzip bomb never gets decompressed.
    Raises TypeError/ValueError naming the argument when an argument is wrong (path: no readable file there),
    DataFileError (a ValueError) when the file is truncated or its header does not describe its content.
    """
    path = _as_path("path", path)
    expected_count = None if expected_count is None else _check_count("expected_count", expected_count, 0)
    max_bytes = _check_count("max_bytes", max_bytes, 1)
    path = _readable_file("path", path)
    where = f"path {path.name!r:.100}"  # every message names the argument whose file is at fault
    raw = _open_readable("path", path)
    try:
        with raw, gzip.open(raw, "rb") as f:
            magic = f.read(4)
            if len(magic) < 4 or magic[:3] != b"\x00\x00\x08" or magic[3] not in (1, 3):
                raise DataFileError(f"{where}: not an idx file of unsigned bytes (header {magic.hex()})")
            ndim = magic[3]
            raw_dims = f.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                raise DataFileError(f"{where}: the idx header is cut short; the file is truncated")
            dims = tuple(int.from_bytes(raw_dims[4 * i:4 * i + 4], "big") for i in range(ndim))
            header, count = 4 + 4 * ndim, math.prod(dims)
            if expected_count is not None and dims[0] != expected_count:
                raise DataFileError(f"{where}: holds {dims[0]} items, expected {expected_count}")
            if count > max_bytes:
                raise DataFileError(f"{where}: the header announces shape {dims} ({count:,} bytes), more "
                                    f"than the {max_bytes:,} bytes an MNIST-like file may hold")
            values = np.empty(count, dtype=np.uint8)
            view, filled = memoryview(values), 0
            while filled < count:
                got = f.readinto(view[filled:filled + (1 << 20)])
                if not got:
                    break
                filled += got
            if filled < count or f.read(1):
                held = f"{header + filled} bytes" if filled < count else "more"
                raise DataFileError(f"{where}: the header announces shape {dims} ({header + count} bytes) "
                                    f"but the file holds {held}; it is truncated or damaged")
    except (OSError, EOFError, zlib.error) as error:  # gzip raises EOFError on a truncated stream
        raise DataFileError(f"{where}: cannot be decompressed ({error}); "
                            "the file is truncated or damaged") from None
    return values.reshape(dims)


def _dataset_from_idx(paths, name, classes, note):
    x_train = read_idx(paths["train_images"], 60000)
    y_train = read_idx(paths["train_labels"], 60000)
    x_test = read_idx(paths["test_images"], 10000)
    y_test = read_idx(paths["test_labels"], 10000)
    for labels, key in ((y_train, "train_labels"), (y_test, "test_labels")):
        if labels.max() > 9:
            raise DataFileError(f"{Path(paths[key]).name}: labels must be 0…9; found {labels.max()}")
    return Dataset(x_train[:, None], y_train.astype(np.int64), x_test[:, None], y_test.astype(np.int64),
                   name, classes, note)


# ---------------------------------------------------------------------------- downloads

class _Watchdog:
    """Shuts a TCP connection down at a fixed time: that wakes any read blocked on it (TLS handshake,
    headers or body), so the deadline is overall, not per read."""

    def __init__(self, seconds):
        self.fired = False
        self._sock = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def watch(self, sock):
        """Start watching a connected TCP socket (before any TLS layer is put on it)."""
        with self._lock:
            # a duplicate of the descriptor: the TLS layer takes the original over, the connection is the same
            self._sock = sock.dup()
        self._timer.start()

    def _fire(self):
        with self._lock:
            if self._sock is None:
                return
            self.fired = True
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)

    def cancel(self):
        self._timer.cancel()
        with self._lock:
            if self._sock is not None:
                self._sock.close()
            self._sock = None


def _is_https(url):
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)


def _check_mirrors(mirrors):
    if isinstance(mirrors, str) or not all(isinstance(m, str) for m in mirrors):
        raise TypeError(f"mirrors must be a list or tuple of base URLs (str); got {mirrors!r:.200}")
    if not mirrors:
        raise ValueError("mirrors: give at least one base URL")
    for base in mirrors:
        if not _is_https(base):
            raise ValueError(f"mirrors: {base!r:.200} is not an https URL; downloads use https only")
        if not base.endswith("/"):
            raise ValueError(f"mirrors: {base!r:.200} must end with '/' (the file name is appended)")


def _check_seconds(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive number of seconds; got {value!r:.200}")


class CappedDownloader:
    """A pooch downloader (callable(url, output_file, pooch)) with a size cap and an overall deadline.

    pooch's own HTTPDownloader calls ``requests.get(url, timeout=...)``; requests applies that timeout to
    each read, not to the whole download, and writes however many bytes the server sends. A server
    dripping one byte every 5 s is then never cut off, and an endless reply fills the disk. This class
    replaces it, on the standard library's http.client:

    - https only (plain http only to 127.0.0.1, for the tests), at most MAX_REDIRECTS redirects;
    - max_bytes: the download stops as soon as more arrive (or a larger Content-Length is announced);
    - deadline: seconds for everything, enforced by a watchdog that shuts the socket down; timeout:
      seconds without any byte;
    - it writes into ``<file name>.<pooch's temporary name>.part`` beside the cache and hands the bytes to
      pooch's temporary file only when complete, so a download killed mid-way leaves only a ``.part``
      file, which ``fetch`` removes once it is older than the deadline.

    opener: for tests and cache-only runs, a callable(url, timeout=...) returning a readable response used
    instead of http.client (size cap and deadline still apply, the deadline between reads).
    """

    def __init__(self, max_bytes, expected_size=None, timeout=READ_TIMEOUT, deadline=DEADLINE, opener=None):
        self.max_bytes, self.expected_size = max_bytes, expected_size
        self.timeout, self.deadline, self.opener = timeout, deadline, opener

    def __call__(self, url, output_file, pooch_instance=None, check_only=False):
        if check_only:
            raise NotImplementedError("CappedDownloader does not check availability")
        output_file = Path(output_file)
        part = output_file.with_name(f"{Path(urllib.parse.urlsplit(url).path).name}.{output_file.name}.part")
        os.replace(output_file, part)  # pooch's empty temporary file takes a name that marks it as ours
        try:
            with open(part, "wb") as out:
                received = self._download(url, out)
            if self.expected_size is not None and received != self.expected_size:
                raise DownloadError(f"received {received} bytes, expected {self.expected_size} (truncated)")
            os.replace(part, output_file)  # complete: pooch now checks the SHA-256 and renames it into place
        finally:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()

    def _copy(self, read, out, stop_at):
        received = 0
        while block := read(1 << 16):
            received += len(block)
            if received > self.max_bytes:
                raise DownloadError(f"sent more than the {self.max_bytes:,} bytes expected; cut off")
            out.write(block)
            if time.monotonic() > stop_at:
                raise DownloadError(f"took longer than the {self.deadline:g} s deadline; cut off")
        return received

    def _download(self, url, out):
        stop_at = time.monotonic() + self.deadline
        if self.opener is not None:
            with self.opener(url, timeout=self.timeout) as response:
                return self._copy(response.read, out, stop_at)
        for _ in range(MAX_REDIRECTS + 1):
            parts = urllib.parse.urlsplit(url)
            if not _is_https(url):
                raise DownloadError(f"redirected to {url:.200}, which is not https")
            https = parts.scheme == "https"
            kind = http.client.HTTPSConnection if https else http.client.HTTPConnection
            connection = kind(parts.hostname, parts.port, timeout=self.timeout)
            watchdog, sock = _Watchdog(stop_at - time.monotonic()), None
            try:
                # connect here rather than in http.client, so that the watchdog covers the TLS handshake too
                sock = socket.create_connection((parts.hostname, connection.port), timeout=self.timeout)
                watchdog.watch(sock)
                if https:  # certificate and host name verified (ssl's defaults)
                    sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
                connection.sock = sock  # http.client then speaks HTTP over this socket
                connection.request("GET", urllib.parse.urlunsplit(("", "", parts.path, parts.query, "")),
                                   headers={"Accept-Encoding": "identity", "User-Agent": "how-filters-learn"})
                response = connection.getresponse()
                if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                    url = urllib.parse.urljoin(url, response.getheader("Location"))
                    continue
                if response.status != 200:
                    raise DownloadError(f"HTTP {response.status} {response.reason}")
                announced = response.getheader("Content-Length", "")
                if announced.isdigit() and int(announced) > self.max_bytes:
                    raise DownloadError(f"announces {int(announced):,} bytes, more than the "
                                        f"{self.max_bytes:,} expected")
                received = self._copy(response.read, out, stop_at)
                if watchdog.fired:
                    raise TimeoutError
                return received
            except (OSError, http.client.HTTPException) as error:
                if watchdog.fired:
                    raise DownloadError(f"took longer than the {self.deadline:g} s deadline; cut off") from None
                if isinstance(error, TimeoutError):
                    raise DownloadError(f"sent nothing for {self.timeout:g} s") from None
                raise
            finally:
                watchdog.cancel()
                connection.close()
                if sock is not None:
                    sock.close()
        raise DownloadError(f"more than {MAX_REDIRECTS} redirects")


def _reason(error):
    """A failure in a few words for the learner (the exception class stays visible in the log)."""
    if isinstance(error, DownloadError):
        return str(error)
    if isinstance(error, socket.gaierror):
        return "no network: the server's name cannot be resolved"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return "no answer in time"
    if isinstance(error, http.client.IncompleteRead):
        return "the reply was cut short (incomplete read)"
    if isinstance(error, http.client.BadStatusLine):
        return "the server's reply is not HTTP (bad status line)"
    if isinstance(error, http.client.HTTPException):
        return f"the server's reply is not valid HTTP ({type(error).__name__})"
    if isinstance(error, ssl.SSLError):
        detail = getattr(error, "verify_message", None)  # e.g. "self-signed certificate"
        return f"the secure connection failed ({error.reason or error}{': ' + detail if detail else ''})"
    if isinstance(error, ValueError) and "hash" in str(error):  # pooch's checksum message
        return "its SHA-256 does not match the published one"
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}: {error.filename}" if error.filename else error.strerror
    return f"{type(error).__name__}: {error}"


@contextlib.contextmanager
def _quiet_pooch():
    """pooch logs every download to stderr; a failed mirror is reported once, by load(), instead."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _remove_stale_parts(cache_dir, filename, older_than):
    """Delete ``filename.*.part`` left by a download that was killed (not written to for older_than s)."""
    now = time.time()
    for part in cache_dir.glob(f"{filename}.*.part"):
        with contextlib.suppress(FileNotFoundError):  # another process may clean it at the same moment
            if now - part.stat().st_mtime > older_than:
                part.unlink()


def fetch(filename, size, sha256, mirrors, cache_dir=CACHE_DIR, opener=None, timeout=READ_TIMEOUT,
          deadline=None):
    """A verified local copy of a published file: from the cache, or downloaded from the first mirror that works.

    filename: name at each mirror and in the cache; size, sha256: the published size and checksum
    mirrors:  base URLs ending in "/", https (tried in order); any failure moves on to the next one
    timeout:  seconds without a byte; deadline: seconds for one file from one mirror, all included
              (None: DEADLINE, read at call time)
    opener:   callable(url, timeout=...) returning a readable response, used instead of http.client
              (tests, or a cache-only run with an opener that refuses)
    Returns the Path of the cached file. Raises DownloadError naming every mirror's failure.
    """
    if not isinstance(filename, str) or not re.fullmatch(r"[\w.-]+", filename) or filename.strip(".") == "":
        raise ValueError(f"filename must be a plain file name (letters, digits, . _ -); got {filename!r:.100}")
    size = _check_count("size", size, 1)
    sha256 = _check_sha256("sha256", sha256)
    _check_mirrors(mirrors)
    cache_dir = _as_path("cache_dir", cache_dir)
    if opener is not None and not callable(opener):
        raise TypeError(f"opener must be None or a callable(url, timeout=...); got {opener!r:.100}")
    deadline = DEADLINE if deadline is None else deadline
    _check_seconds("timeout", timeout)
    _check_seconds("deadline", deadline)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_parts(cache_dir, filename, deadline)
    except OSError as error:
        raise DownloadError(f"the cache folder {cache_dir} is not usable ({error.strerror or error})") from None
    downloader = CappedDownloader(size + SIZE_MARGIN, size, timeout, deadline, opener)
    failures = []
    for base in mirrors:
        url = base + filename
        try:
            with _quiet_pooch():
                return Path(pooch.retrieve(url, known_hash=f"sha256:{sha256}", fname=filename, path=cache_dir,
                                           downloader=downloader, progressbar=False))
        except Exception as error:  # noqa: BLE001 — network, disk, checksum: every failure tries the next mirror
            LOG.debug("%s failed: %r", url, error)
            failures.append((url, _reason(error)))
    raise DownloadError(f"could not download {filename}:\n  " + "\n  ".join(f"{u}: {r}" for u, r in failures),
                        failures)


def load_mnist(cache_dir=CACHE_DIR, mirrors=MNIST_MIRRORS, opener=None, timeout=READ_TIMEOUT, deadline=None):
    """The full MNIST: 60,000 training and 10,000 test digits (downloads about 11 MB once)."""
    paths = {key: fetch(name, size, sha, mirrors, cache_dir, opener, timeout, deadline)
             for key, (name, size, sha) in MNIST_FILES.items()}
    return _dataset_from_idx(paths, "mnist", DIGITS, "the full MNIST: 60,000 train / 10,000 test digits")


def load_fashion_mnist(system_dir=FASHION_SYSTEM_DIR, cache_dir=CACHE_DIR, mirrors=FASHION_MIRRORS,
                       opener=None, timeout=READ_TIMEOUT, deadline=None):
    """Fashion-MNIST (60,000 / 10,000 images of clothing), from Debian's files when present, else downloaded.

    Debian's package recompresses the files (its .gz differ from the published ones by the stored file
    name), so the system copy is checked by content instead: idx headers, exact sizes, counts and labels.
    A damaged system copy is skipped (and logged): the files are then downloaded.
    """
    system_dir = _as_path("system_dir", system_dir)
    local = {key: system_dir / name for key, (name, _, _) in FASHION_FILES.items()}
    if all(p.is_file() for p in local.values()):
        try:
            return _dataset_from_idx(local, "fashion", FASHION_CLASSES,
                                     f"Fashion-MNIST from Debian's dataset-fashion-mnist ({system_dir})")
        except (ValueError, OSError) as error:  # DataFileError, or a file that vanished or is unreadable
            LOG.info("skipping the damaged system copy of Fashion-MNIST: %s", error)
    paths = {key: fetch(name, size, sha, mirrors, cache_dir, opener, timeout, deadline)
             for key, (name, size, sha) in FASHION_FILES.items()}
    return _dataset_from_idx(paths, "fashion", FASHION_CLASSES, "Fashion-MNIST, downloaded and verified")


def _summary(error):
    """One short reason for a failed load: the last mirror's, or what stopped it before any mirror."""
    failures = getattr(error, "failures", [])
    if failures:
        reasons = [reason for _, reason in failures]
        host = urllib.parse.urlsplit(failures[-1][0]).hostname
        return reasons[-1] if len(set(reasons)) == 1 else f"{host}: {reasons[-1]}"
    if isinstance(error, DownloadError):
        return str(error).splitlines()[0]
    return _reason(error) if isinstance(error, OSError) else f"{type(error).__name__}: {error}"


def load(name="subset", **options):
    """Load a data set by name: "subset" (offline), "mnist" or "fashion".

    options go to the loader (load_subset, load_mnist or load_fashion_mnist); unknown or malformed
    options raise TypeError/ValueError. For "mnist" and "fashion", any failure — network, disk, checksum,
    file format, memory — falls back to the shipped subset: the returned Dataset's name is then "subset"
    and its note says why, in one sentence; the same sentence is logged once as a warning.
    (fetch already tried every mirror. A file that passed its published SHA-256 but is not a valid idx
    file would be the same bytes from every mirror, so a format error goes straight to the subset.)
    """
    loaders = {"subset": load_subset, "mnist": load_mnist, "fashion": load_fashion_mnist}
    if not isinstance(name, str) or name not in loaders:
        raise ValueError(f"name must be one of {NAMES}; got {name!r:.200}")
    loader = loaders[name]
    allowed = tuple(inspect.signature(loader).parameters)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"options: {name!r} accepts {', '.join(allowed)}; got unknown {', '.join(unknown)}")
    for key in ("cache_dir", "system_dir", "path"):  # the arguments' own mistakes are raised, not hidden
        if key in options:
            _as_path(key, options[key])
    if "mirrors" in options:
        _check_mirrors(options["mirrors"])
    for key in ("timeout", "deadline"):
        if options.get(key) is not None:
            _check_seconds(key, options[key])
    if options.get("opener") is not None and not callable(options["opener"]):
        raise TypeError(f"opener must be None or a callable(url, timeout=...); got {options['opener']!r:.100}")
    if name == "subset":
        return load_subset(**options)
    try:
        return loader(**options)
    except Exception as error:  # noqa: BLE001 — whatever went wrong, the learner still gets data
        LOG.debug("loading %r failed: %r", name, error)
        subset = load_subset()
        subset.note = (f"'{name}' is not available here ({_summary(error)}); using the 5,000 MNIST digits "
                       "shipped with the course instead (4,000 train / 1,000 test)")
        LOG.warning(subset.note)
        return subset
