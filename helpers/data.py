"""The images notebook 06 trains on: shipped MNIST and Fashion-MNIST subsets, the full MNIST and Fashion-MNIST.

- ``load_subset()``         5,000 real MNIST digits shipped in data/mnist_5k.npz (4,000 train / 1,000 test, fixed);
                            works offline; ``load_fashion_subset()`` the same for 5,000 Fashion-MNIST images
                            (data/fashion_5k.npz). Provenance and licences: data/README.md.
- ``load_mnist()``          the full MNIST (60,000 / 10,000), downloaded once into data/cache/.
- ``load_fashion_mnist()``  Fashion-MNIST, from Debian's package ``dataset-fashion-mnist`` when installed,
                            otherwise downloaded like MNIST.
- ``load(name)``            any of them by name. When "mnist" or "fashion" cannot be had (no network, a
                            mirror that misbehaves, an unusable cache folder, a full disk, a damaged file), it
                            falls back to the shipped subset and says why in one sentence, ``Dataset.note``
                            (also logged once, as a warning of the logger "helpers.data").

Downloads happen only when one of these functions is called, never at import. pooch does them
(``pooch.retrieve``): a download lands in a temporary file beside the cache and is renamed into place only
once it matches the published SHA-256 (TensorFlow Datasets' checksum lists), so the cache never holds a
half-written or unverified file, and two processes downloading the same file at once both succeed.

Images are kept as uint8 (N, 1, 28, 28) to save memory (the full MNIST is 47 MB as uint8, 188 MB as
float32); ``to_unit_float`` turns a batch into floats in [0, 1].
"""
import gzip
import http.client
import logging
import os
import socket
import ssl
import struct
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
FASHION_SUBSET_PATH = DATA_DIR / "fashion_5k.npz"
FASHION_SUBSET_SHA256 = "9d13b4f323ed6ff80f9200767e00d466cc04a3f105fbc9d75e88d6ba758fb499"
FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")

DIGITS = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

# (file name, SHA-256), as published in tensorflow/datasets' url_checksums/mnist.txt
MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte.gz",
                     "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "train_labels": ("train-labels-idx1-ubyte.gz",
                     "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "test_images": ("t10k-images-idx3-ubyte.gz",
                    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz",
                    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}
MNIST_MIRRORS = ("https://storage.googleapis.com/cvdf-datasets/mnist/",
                 "https://ossci-datasets.s3.amazonaws.com/mnist/")

# as published in tensorflow/datasets' url_checksums/fashion_mnist.txt
FASHION_FILES = {
    "train_images": ("train-images-idx3-ubyte.gz",
                     "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
    "train_labels": ("train-labels-idx1-ubyte.gz",
                     "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
    "test_images": ("t10k-images-idx3-ubyte.gz",
                    "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz",
                    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
}
# https only: the authors' repository on GitHub, their S3 bucket's https endpoint (their page links the
# bucket's plain-http website endpoint, which is not used), then Keras's copy (same names and sizes).
FASHION_MIRRORS = ("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
                   "https://fashion-mnist.s3.eu-central-1.amazonaws.com/",
                   "https://storage.googleapis.com/tensorflow/tf-keras-datasets/")

NAMES = ("subset", "fashion_subset", "mnist", "fashion")

LOG = logging.getLogger(__name__)
LOG.addHandler(logging.NullHandler())  # silent unless the user configures logging


class DownloadError(OSError):
    """No mirror delivered a file that passed verification (offline, blocked, or corrupted).

    failures: [(url, reason), ...], one per mirror tried (none when the cache folder is unusable or mirrors=())
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
    name:    "subset", "fashion_subset", "mnist" or "fashion";  classes: the 10 class names
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


def _load_npz(path, sha256, name, classes, note):
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"the shipped subset {path} is missing; restore it with git (git checkout -- data/)")
    actual = pooch.file_hash(str(path))
    if actual != sha256:
        raise DataFileError(f"{path} has SHA-256 {actual}, expected {sha256}; the file is damaged "
                            "or was regenerated without updating data/README.md and helpers/data.py")
    with np.load(path) as arrays:
        return Dataset(arrays["x_train"][:, None], arrays["y_train"].astype(np.int64),
                       arrays["x_test"][:, None], arrays["y_test"].astype(np.int64), name, classes, note)


def load_subset(path=SUBSET_PATH):
    """The shipped 5,000 MNIST digits: 4,000 for training and 1,000 held out (100 of each digit).

    path: the .npz file; it must have the SHA-256 that data/README.md gives (SUBSET_SHA256).
    """
    return _load_npz(path, SUBSET_SHA256, "subset", DIGITS,
                     "the 5,000 MNIST digits shipped with the course (4,000 train / 1,000 test)")


def load_fashion_subset(path=FASHION_SUBSET_PATH):
    """The shipped 5,000 Fashion-MNIST images: 4,000 for training and 1,000 held out (100 of each class)."""
    return _load_npz(path, FASHION_SUBSET_SHA256, "fashion_subset", FASHION_CLASSES,
                     "the 5,000 Fashion-MNIST images shipped with the course (4,000 train / 1,000 test)")


# ---------------------------------------------------------------------------- idx files

def read_idx(path, count):
    """Read a gzipped idx file (MNIST's format) of count items: images → uint8 (count, 28, 28), labels → (count,).

    The header is checked first, against the shape expected; then exactly the bytes it announces are
    decompressed, so a damaged file (or a gzip bomb) is refused without being unpacked. Raises
    DataFileError naming the file when it is not a gzipped idx file of that shape, or holds more or
    fewer bytes than its header announces.
    """
    where = Path(path).name
    with gzip.open(path, "rb") as f:
        try:
            magic = f.read(4)
            if len(magic) < 4 or magic[:3] != b"\x00\x00\x08" or magic[3] not in (1, 3):
                raise DataFileError(f"{where}: not an idx file of unsigned bytes (header {magic.hex()})")
            ndim = magic[3]
            raw_dims = f.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                raise DataFileError(f"{where}: the idx header is cut short; the file is truncated")
            dims = struct.unpack(f">{ndim}I", raw_dims)
            expected = (count, 28, 28) if ndim == 3 else (count,)
            if dims != expected:
                raise DataFileError(f"{where}: holds shape {dims}, expected {expected}")
            values = np.empty(dims, dtype=np.uint8)
            filled = f.readinto(values)
            if filled < values.size or f.read(1):
                held = "fewer" if filled < values.size else "more"
                raise DataFileError(f"{where}: the header announces shape {dims} but the file holds {held} "
                                    "bytes; it is truncated or damaged")
        except (OSError, EOFError, zlib.error) as error:  # gzip raises EOFError on a truncated stream
            raise DataFileError(f"{where}: cannot be decompressed ({error}); "
                                "the file is truncated or damaged") from None
    return values


def _dataset_from_idx(paths, name, classes, note):
    """A Dataset from the four idx files {"train_images": path, ...} of an MNIST-like data set."""
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

# What a failed download comes down to, in a few words for the learner: the first of these found among the
# error and its causes (requests wraps the socket's error in two or three layers of its own).
REASONS = ((socket.gaierror, "no network: the server's name cannot be resolved"),
           (ConnectionRefusedError, "connection refused"),
           (TimeoutError, "no answer in time"),
           (http.client.IncompleteRead, "the reply was cut short (incomplete read)"),
           (http.client.BadStatusLine, "the server's reply is not HTTP (bad status line)"),
           (ssl.SSLError, "the secure connection failed"))


def _reason(error):
    """Why a download failed, in a few words (the SHA-256, the network, HTTP or the disk)."""
    if isinstance(error, ValueError) and "hash" in str(error):  # pooch's checksum message
        return "its SHA-256 does not match the published one"
    response = getattr(error, "response", None)  # requests' HTTPError
    if response is not None:
        return f"HTTP {response.status_code} {response.reason}"
    cause = error
    while cause is not None:
        for kind, words in REASONS:
            if isinstance(cause, kind):
                detail = getattr(cause, "verify_message", None)  # e.g. "self-signed certificate"
                return f"{words} ({detail})" if detail else words
        cause = cause.__cause__ or cause.__context__
    if type(error).__module__.startswith("requests"):  # its message repeats the URL and the whole chain
        return f"the download failed ({type(error).__name__})"
    return f"{error.strerror}: {error.filename}" if getattr(error, "strerror", None) else str(error)


def fetch(filename, sha256, mirrors, cache_dir=CACHE_DIR):
    """A verified local copy of a published file: from the cache, or downloaded from the first mirror that works.

    filename: name at each mirror and in the cache;  sha256: its published SHA-256 (64 hex digits)
    mirrors:  base URLs ending in "/", tried in order; any failure (network, HTTP, checksum, disk) moves on
              to the next one; () uses the cache only
    Returns the Path of the cached file. Raises DownloadError naming every mirror's failure.
    """
    cache_dir = Path(cache_dir)
    cached = cache_dir / filename
    if cached.is_file() and pooch.file_hash(str(cached)) == sha256:
        return cached
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"the cache folder {cache_dir} is not usable ({error.strerror or error})") from None
    pooch.get_logger().setLevel(logging.WARNING)  # pooch announces each download on stderr; load() reports once
    failures = []
    for base in mirrors:
        try:
            return Path(pooch.retrieve(base + filename, f"sha256:{sha256}", fname=filename, path=cache_dir))
        except (OSError, ValueError) as error:  # requests' errors are OSErrors, pooch's checksum one a ValueError
            failures.append((base + filename, _reason(error)))
    lines = "".join(f"\n  {url}: {reason}" for url, reason in failures) or " no mirror to try"
    raise DownloadError(f"could not download {filename}:{lines}", failures)


def _fetch_all(files, mirrors, cache_dir):
    return {key: fetch(name, sha256, mirrors, cache_dir) for key, (name, sha256) in files.items()}


def load_mnist(cache_dir=CACHE_DIR, mirrors=MNIST_MIRRORS):
    """The full MNIST: 60,000 training and 10,000 test digits (downloads about 11 MB once)."""
    return _dataset_from_idx(_fetch_all(MNIST_FILES, mirrors, cache_dir), "mnist", DIGITS,
                             "the full MNIST: 60,000 train / 10,000 test digits")


def load_fashion_mnist(system_dir=FASHION_SYSTEM_DIR, cache_dir=CACHE_DIR, mirrors=FASHION_MIRRORS):
    """Fashion-MNIST (60,000 / 10,000 images of clothing), from Debian's files when present, else downloaded.

    Debian's package recompresses the files (its .gz differ from the published ones by the stored file
    name), so the system copy is checked by content instead: idx headers, exact sizes, counts and labels.
    A damaged system copy is skipped (and logged): the files are then downloaded.
    """
    system_dir = Path(system_dir)
    local = {key: system_dir / name for key, (name, _) in FASHION_FILES.items()}
    if all(p.is_file() for p in local.values()):
        try:
            return _dataset_from_idx(local, "fashion", FASHION_CLASSES,
                                     f"Fashion-MNIST from Debian's dataset-fashion-mnist ({system_dir})")
        except (ValueError, OSError) as error:  # DataFileError, or a file that vanished or is unreadable
            LOG.info("skipping the damaged system copy of Fashion-MNIST: %s", error)
    return _dataset_from_idx(_fetch_all(FASHION_FILES, mirrors, cache_dir), "fashion", FASHION_CLASSES,
                             "Fashion-MNIST, downloaded and verified")


def load(name="subset", **options):
    """Load a data set by name: "subset" or "fashion_subset" (shipped, offline), "mnist" or "fashion".

    options go to the loader (load_subset, load_fashion_subset, load_mnist or load_fashion_mnist). For "mnist"
    and "fashion", any failure (network, disk, checksum, file format, memory) falls back to the shipped subset: the
    returned Dataset's name is then "subset" and its note says why, in one sentence; the same sentence
    is logged once as a warning. A wrong name or option is raised, not hidden by the fallback.
    """
    loaders = {"subset": load_subset, "fashion_subset": load_fashion_subset, "mnist": load_mnist,
               "fashion": load_fashion_mnist}
    if not isinstance(name, str) or name not in loaders:
        raise ValueError(f"name must be one of {NAMES}; got {name!r:.200}")
    for key in ("path", "cache_dir", "system_dir"):
        if key in options and not isinstance(options[key], (str, os.PathLike)):
            raise TypeError(f"{key} must be a path (str or pathlib.Path); got {type(options[key]).__name__}")
    if name in ("subset", "fashion_subset"):
        return loaders[name](**options)
    try:
        return loaders[name](**options)
    except (OSError, ValueError, MemoryError) as error:  # DownloadError, DataFileError, the disk, the memory
        if isinstance(error, DownloadError) and error.failures:  # every mirror failed: the last one says why
            url, why = error.failures[-1]
            if len({reason for _, reason in error.failures}) > 1:
                why = f"{urllib.parse.urlsplit(url).hostname}: {why}"
        else:
            why = str(error).splitlines()[0] or type(error).__name__
        subset = load_subset()
        subset.note = (f"'{name}' is not available here ({why}); using the 5,000 MNIST digits "
                       "shipped with the course instead (4,000 train / 1,000 test)")
        LOG.warning(subset.note)
        return subset
