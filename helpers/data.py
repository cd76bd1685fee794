"""The images notebook 06 trains on: a shipped MNIST subset, the full MNIST, and Fashion-MNIST.

- ``load_subset()``         5,000 real MNIST digits shipped in data/mnist_5k.npz (4,000 train / 1,000 test, fixed);
                            works offline. Provenance and licence: data/README.md.
- ``load_mnist()``          the full MNIST (60,000 / 10,000), downloaded once into data/cache/.
- ``load_fashion_mnist()``  Fashion-MNIST, from Debian's package ``dataset-fashion-mnist`` when installed,
                            otherwise downloaded like MNIST.
- ``load(name)``            any of the three by name; when a download is impossible (offline) it falls back
                            to the shipped subset and says so in ``Dataset.note``.

Downloads happen only when one of these functions is called, never at import. Every downloaded file
is checked against its published SHA-256 (TensorFlow Datasets' checksum lists) and written atomically:
into a temporary file in the cache folder first, renamed into place only once verified.

Images are kept as uint8 (N, 1, 28, 28) to save memory (the full MNIST is 47 MB as uint8, 188 MB as
float32); ``to_unit_float`` turns a batch into floats in [0, 1].
"""
import gzip
import hashlib
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
FASHION_MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                   "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/")

NAMES = ("subset", "mnist", "fashion")


class DownloadError(OSError):
    """No mirror delivered a file that passed verification (offline, blocked, or corrupted)."""


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


def sha256_of(path):
    """Hex SHA-256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------- the shipped subset

def load_subset(path=SUBSET_PATH, sha256=SUBSET_SHA256):
    """The shipped 5,000 MNIST digits: 4,000 for training and 1,000 held out (100 of each digit)."""
    path = Path(path)
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

def read_idx(path, expected_count=None):
    """Read a gzipped idx file (MNIST's format): images → uint8 (N, 28, 28), labels → uint8 (N,).

    Raises DataFileError when the file is truncated or its header does not describe its content.
    """
    path = Path(path)
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as error:  # gzip raises EOFError on a truncated stream
        raise DataFileError(f"{path.name}: cannot be decompressed ({error}); "
                            "the file is truncated or damaged") from None
    if len(raw) < 8 or raw[:2] != b"\x00\x00" or raw[2] != 0x08 or raw[3] not in (1, 3):
        raise DataFileError(f"{path.name}: not an idx file of unsigned bytes (header {raw[:4].hex()})")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    header = 4 + 4 * ndim
    expected_bytes = header + int(np.prod(dims))
    if len(raw) != expected_bytes:
        raise DataFileError(f"{path.name}: the header announces shape {dims} ({expected_bytes} bytes) "
                            f"but the file holds {len(raw)} bytes; it is truncated or damaged")
    if expected_count is not None and dims[0] != expected_count:
        raise DataFileError(f"{path.name}: holds {dims[0]} items, expected {expected_count}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


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

def fetch(filename, size, sha256, mirrors, cache_dir=CACHE_DIR, opener=None, timeout=20):
    """A verified local copy of a published file: from the cache, or downloaded from the first mirror that works.

    filename: name at each mirror and in the cache; size, sha256: the published size and checksum
    mirrors:  base URLs ending in "/" (tried in order)
    opener:   callable(url, timeout=...) returning a file-like response; default urllib.request.urlopen
              (tests pass a fake)
    Returns the Path of the cached file. Raises DownloadError naming every mirror's failure.
    """
    if not mirrors:
        raise ValueError("mirrors: give at least one base URL")
    opener = urllib.request.urlopen if opener is None else opener
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / filename
    if target.is_file():
        if target.stat().st_size == size and sha256_of(target) == sha256:
            return target
        target.unlink()  # a damaged copy (e.g. from an older, interrupted version): fetch it again
    failures = []
    for base in mirrors:
        url = base + filename
        handle, temporary = tempfile.mkstemp(prefix=filename + ".", suffix=".part", dir=cache_dir)
        try:
            digest, received = hashlib.sha256(), 0
            with os.fdopen(handle, "wb") as out, opener(url, timeout=timeout) as response:
                for block in iter(lambda: response.read(1 << 16), b""):
                    digest.update(block)
                    received += len(block)
                    out.write(block)
            if received != size:
                failures.append(f"{url}: received {received} bytes, expected {size} (truncated)")
            elif digest.hexdigest() != sha256:
                failures.append(f"{url}: SHA-256 {digest.hexdigest()} does not match the published {sha256}")
            else:
                os.replace(temporary, target)  # atomic: the cache never holds a half-written file
                return target
        except OSError as error:  # URLError, timeouts, refused connections are all OSErrors
            failures.append(f"{url}: {error}")
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
    raise DownloadError(f"could not download {filename}:\n  " + "\n  ".join(failures))


def load_mnist(cache_dir=CACHE_DIR, mirrors=MNIST_MIRRORS, opener=None):
    """The full MNIST: 60,000 training and 10,000 test digits (downloads about 11 MB once)."""
    paths = {key: fetch(name, size, sha, mirrors, cache_dir, opener)
             for key, (name, size, sha) in MNIST_FILES.items()}
    return _dataset_from_idx(paths, "mnist", DIGITS, "the full MNIST: 60,000 train / 10,000 test digits")


def load_fashion_mnist(system_dir=FASHION_SYSTEM_DIR, cache_dir=CACHE_DIR, mirrors=FASHION_MIRRORS,
                       opener=None):
    """Fashion-MNIST (60,000 / 10,000 images of clothing), from Debian's files when present, else downloaded.

    Debian's package recompresses the files (its .gz differ from the published ones by the stored file
    name), so the system copy is checked by content instead: idx headers, exact sizes, counts and labels.
    """
    system_dir = Path(system_dir)
    local = {key: system_dir / name for key, (name, _, _) in FASHION_FILES.items()}
    if all(p.is_file() for p in local.values()):
        return _dataset_from_idx(local, "fashion", FASHION_CLASSES,
                                 f"Fashion-MNIST from Debian's dataset-fashion-mnist ({system_dir})")
    paths = {key: fetch(name, size, sha, mirrors, cache_dir, opener)
             for key, (name, size, sha) in FASHION_FILES.items()}
    return _dataset_from_idx(paths, "fashion", FASHION_CLASSES, "Fashion-MNIST, downloaded and verified")


def load(name="subset", **options):
    """Load a data set by name: "subset" (offline), "mnist" or "fashion".

    For "mnist" and "fashion", a failed download (offline) falls back to the shipped subset;
    the returned Dataset's name is then "subset" and its note says why. options go to the loader.
    """
    if name not in NAMES:
        raise ValueError(f"name must be one of {NAMES}; got {name!r}")
    if name == "subset":
        return load_subset(**options)
    loader = load_mnist if name == "mnist" else load_fashion_mnist
    try:
        return loader(**options)
    except DownloadError as error:
        subset = load_subset()
        first_reason = str(error).splitlines()[-1].strip()
        subset.note = (f"'{name}' is not available here (offline? {first_reason}); using the shipped "
                       f"5,000-digit MNIST subset instead")
        return subset
