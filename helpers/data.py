"""The images notebook 06 trains on: the shipped MNIST and Fashion-MNIST subsets (offline; provenance and licences
in data/README.md), the full MNIST and Fashion-MNIST (downloaded once into data/cache/; Fashion-MNIST from Debian's
package dataset-fashion-mnist when installed), any of them by name (``load``), and your own images
(``from_files``, docs/own_data.md).

Downloads happen only when one of these functions is called, never at import. pooch does them
(``pooch.retrieve``): a download lands in a temporary file beside the cache and is renamed into place only
once it matches the published SHA-256 (TensorFlow Datasets' checksum lists), so the cache never holds a
half-written or unverified file, and two processes downloading the same file at once both succeed. A
downloaded file is made readable as the umask allows (pooch's temporary files are private, mode 0600), so a
cache an instructor filled serves every account.

Images are kept as uint8 (N, 1, 28, 28) to save memory (the full MNIST is 47 MB as uint8, 188 MB as
float32); ``to_unit_float`` turns a batch into floats in [0, 1].
"""
import gzip
import http.client
import logging
import math
import os
import socket
import ssl
import struct
import urllib.parse
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pooch

from helpers.door import MEMORY_BUDGET, class_names, number

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
IMAGE_SHAPES = ((28, 28), (784,), (1, 28, 28), (28, 28, 1))   # what from_files takes per image (real files hold these)
MIN_TRAIN = 64   # notebook 06 trains in batches of 64

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

    x_train: (N, 1, 28, 28) uint8 pixels 0…255;  y_train: (N,) int64 labels 0…len(classes) − 1
    x_test:  (M, 1, 28, 28) uint8;               y_test:  (M,) int64
    name:    "subset", "fashion_subset", "mnist" or "fashion" (the course's), or the name given to from_files
    classes: the class names, label k naming classes[k] (10 for the course's data sets)
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
        raise DataFileError(f"{path} has SHA-256 {actual}, expected {sha256}: it is not the course's file "
                            f"({name}). To train on your own images, load them under their own name with "
                            "data.from_files(path, name=..., classes=[...]) (docs/own_data.md); if this is the "
                            "shipped file, it is damaged: restore it with git (git checkout -- data/)")
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

def read_idx(path, count=None):
    """Read an idx file (MNIST's format) of unsigned bytes: images → uint8 (count, 28, 28), labels → (count,).

    count: how many items the file must hold (a published file, gzipped); None takes any shape of 1 to 4
    dimensions and an uncompressed file too (your own files: from_files checks what they hold).
    The header is checked first, against the shape expected; then exactly the bytes it announces are
    decompressed, so a damaged file (or a gzip bomb) is refused without being unpacked. Raises
    DataFileError naming the file when it is not an idx file of that shape, or holds more or
    fewer bytes than its header announces.
    """
    where = Path(path).name
    with open(path, "rb") as raw:
        zipped = raw.read(2) == b"\x1f\x8b"
    with (gzip.open if zipped or count is not None else open)(path, "rb") as f:
        try:
            magic = f.read(4)
            if len(magic) < 4 or magic[:3] != b"\x00\x00\x08" or magic[3] not in (range(1, 5) if count is None
                                                                               else (1, 3)):
                raise DataFileError(f"{where}: not an idx file of unsigned bytes (header {magic.hex()})")
            ndim = magic[3]
            raw_dims = f.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                raise DataFileError(f"{where}: the idx header is cut short; the file is truncated")
            dims = struct.unpack(f">{ndim}I", raw_dims)
            expected = (count, 28, 28) if ndim == 3 else (count,)
            if count is not None and dims != expected:
                raise DataFileError(f"{where}: holds shape {dims}, expected {expected}")
            if math.prod(dims) > MEMORY_BUDGET:
                raise DataFileError(f"{where}: its header announces shape {dims}, over the "
                                    f"{MEMORY_BUDGET >> 30} GB one call may read")
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
    """A Dataset from the four idx files {"train_images": path, ...} of an MNIST-like data set (60,000 / 10,000).

    Each file is checked for what its name says it holds: 28×28 images or labels 0…9, as many as published.
    """
    arrays = {}
    for key in ("train_images", "train_labels", "test_images", "test_labels"):
        arrays[key] = values = read_idx(paths[key], 60000 if key.startswith("train") else 10000)
        where, images = Path(paths[key]).name, key.endswith("images")
        if values.ndim != (3 if images else 1):
            held, other = ("labels", "images") if values.ndim == 1 else ("images", "labels")
            raise DataFileError(f"{where}: holds {held} of shape {values.shape}, not {other}: are the images and "
                                "labels files swapped?")
        if not images and values.max() > 9:
            raise DataFileError(f"{where}: labels must be 0…9; found {values.max()}")
    return Dataset(arrays["train_images"][:, None], arrays["train_labels"].astype(np.int64),
                   arrays["test_images"][:, None], arrays["test_labels"].astype(np.int64), name, classes, note)


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
    try:
        if cached.is_file() and pooch.file_hash(str(cached)) == sha256:
            return cached
    except PermissionError:   # a cache filled by another account before downloads were made readable
        raise DownloadError(f"the cached {cached} cannot be read by this account; whoever filled the cache can "
                            f"make it readable: chmod a+r {cached}") from None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"the cache folder {cache_dir} is not usable ({error.strerror or error})") from None
    pooch.get_logger().setLevel(logging.WARNING)  # pooch announces each download on stderr; load() reports once
    failures = []
    for base in mirrors:
        try:
            path = Path(pooch.retrieve(base + filename, f"sha256:{sha256}", fname=filename, path=cache_dir))
            _readable_by_all(path)
            return path
        except (OSError, ValueError) as error:  # requests' errors are OSErrors, pooch's checksum one a ValueError
            failures.append((base + filename, _reason(error)))
    lines = "".join(f"\n  {url}: {reason}" for url, reason in failures) or " no mirror to try"
    raise DownloadError(f"could not download {filename}:{lines}", failures)


def _readable_by_all(path):
    """Give a downloaded file the mode a new file gets (0644 under the usual umask 022), not pooch's private 0600."""
    umask = os.umask(0o022)   # the only way to read the umask is to set it; put it back at once
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _fetch_all(files, mirrors, cache_dir):
    return {key: fetch(name, sha256, mirrors, cache_dir) for key, (name, sha256) in files.items()}


def load_mnist(cache_dir=CACHE_DIR, mirrors=MNIST_MIRRORS):
    """The full MNIST: 60,000 training and 10,000 test digits (downloads about 11 MB once)."""
    return _dataset_from_idx(_fetch_all(MNIST_FILES, mirrors, cache_dir), "mnist", DIGITS,
                             "the full MNIST: 60,000 train / 10,000 test digits")


def load_fashion_mnist(system_dir=FASHION_SYSTEM_DIR, cache_dir=CACHE_DIR, mirrors=FASHION_MIRRORS):
    """Fashion-MNIST (60,000 / 10,000 images of clothing), from Debian's files when present, else downloaded.

    Debian's package recompresses the files (its .gz differ from the published ones by the stored file
    name), so the system copy is checked by content instead: idx headers, 28×28 images, 60,000 / 10,000 of
    them with as many labels, labels 0…9, images and labels not swapped. A damaged system copy raises
    DataFileError naming the file (through load("fashion"): the shipped subset, with that sentence as its note);
    system_dir=None skips the system copy and downloads.
    """
    local = {} if system_dir is None else {key: Path(system_dir) / name for key, (name, _) in FASHION_FILES.items()}
    if local and all(p.is_file() for p in local.values()):
        try:
            return _dataset_from_idx(local, "fashion", FASHION_CLASSES,
                                     f"Fashion-MNIST from Debian's dataset-fashion-mnist ({system_dir})")
        except (ValueError, OSError) as error:  # DataFileError, or a file that vanished or is unreadable
            raise DataFileError(f"the system copy of Fashion-MNIST in {system_dir} is damaged: {error}; reinstall "
                                "it (apt-get install --reinstall dataset-fashion-mnist), or download it instead: "
                                "load('fashion', system_dir=None)") from None
    return _dataset_from_idx(_fetch_all(FASHION_FILES, mirrors, cache_dir), "fashion", FASHION_CLASSES,
                             "Fashion-MNIST, downloaded and verified")


def load(name="subset", **options):
    """Load a data set by name: "subset" or "fashion_subset" (shipped, offline), "mnist" or "fashion".

    Your own images are loaded by from_files, under their own name (docs/own_data.md); the course's names and
    their notes belong to the course's files only (load("subset", path=...) refuses any other file).
    options go to the loader (load_subset, load_fashion_subset, load_mnist or load_fashion_mnist). For "mnist"
    and "fashion", any failure (network, disk, checksum, file format, memory) falls back to the shipped subset: the
    returned Dataset's name is then "subset" and its note says why, in one sentence; the same sentence
    is logged once as a warning (logger "helpers.data"). A wrong name or option is raised, not hidden by the fallback.
    """
    loaders = {"subset": load_subset, "fashion_subset": load_fashion_subset, "mnist": load_mnist,
               "fashion": load_fashion_mnist}
    if not isinstance(name, str) or name not in loaders:
        raise ValueError(f"name must be one of {NAMES} (your own images: data.from_files, docs/own_data.md); "
                         f"got {name!r:.200}")
    for key in ("path", "cache_dir", "system_dir"):
        if key in options and not isinstance(options[key], (str, os.PathLike)) and not (
                key == "system_dir" and options[key] is None):
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
        subset.note = f"'{name}' is not available here ({why}); using {subset.note} instead"
        LOG.warning(subset.note)
        return subset


# ---------------------------------------------------------------------------- your own images

def from_files(path, name, classes, test_fraction=0.2):
    """Your own 28×28 grey images as a Dataset, under your own name and class names (docs/own_data.md).

    path:    an .npz file holding x_train, y_train, x_test, y_test (the layout of Keras' mnist.npz and of the
             course's subsets) or images, labels (then split); or a folder holding the four idx files under
             MNIST's names (train-images-idx3-ubyte[.gz], train-labels-…, t10k-images-…, t10k-labels-…); or a
             pair (images file, labels file) of idx files (then split)
    name:    what your images are called, in every line that mentions them (e.g. "my handwritten letters")
    classes: the class names, 2 to 10 (the network has 10 outputs): label k names classes[k]
    test_fraction: when the files give no split, the share of each class held out: of the count images of a
             class, round(test_fraction · count) chosen at random with seed 0, so the same files always give
             the same split
    Images: (N, 28, 28), (N, 784), (N, 1, 28, 28) or (N, 28, 28, 1); uint8 pixels 0…255 (kept, as MNIST's),
    other integers 0…255, or floats in [0, 1] (stored as pixels round(255 x)). Labels: (N,) or (N, 1) integers
    0…len(classes) − 1. At least MIN_TRAIN training images and one held out.
    Raises TypeError / ValueError (DataFileError for what the files hold) naming the argument or the file and
    array, and what is wrong.
    """
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        raise TypeError(f"name must be a short text naming your images (1 to 80 characters); got {name!r:.60}")
    if name.strip() in NAMES:
        raise ValueError(f"name {name!r} is a data set of the course's; call yours something else")
    classes = class_names(classes, "classes", 2, 10)
    test_fraction = number(test_fraction, "test_fraction", 0.0, strict=True)
    if test_fraction >= 1:
        raise ValueError(f"test_fraction must be below 1 (the share held out); got {test_fraction:g}")
    if isinstance(path, (list, tuple)):
        if len(path) != 2 or not all(isinstance(p, (str, os.PathLike)) for p in path):
            raise TypeError("path as a pair must be (images file, labels file), two paths of idx files")
        files = [_existing(p, f"path[{k}]") for k, p in enumerate(path)]
        arrays = {"images": _own_idx(files[0], "path[0]"), "labels": _own_idx(files[1], "path[1]")}
        wheres = {"images": f"path[0] ({files[0].name})", "labels": f"path[1] ({files[1].name})"}
        source = f"{files[0].name} and {files[1].name}"
    elif isinstance(path, (str, os.PathLike)):
        path = _existing(path, "path")
        arrays, wheres = _own_idx_folder(path) if path.is_dir() else _own_npz(path)
        source = path.name
    else:
        raise TypeError(f"path must be a path (str or pathlib.Path) of an .npz file or a folder of idx files, or a "
                        f"pair (images file, labels file); got {type(path).__name__}")
    if "x_train" in arrays:
        (x_train, y_train), (x_test, y_test) = (_own_part(arrays[f"x_{part}"], arrays[f"y_{part}"], wheres[f"x_{part}"],
                                                          wheres[f"y_{part}"], classes) for part in ("train", "test"))
        split = "split as the files give it"
    else:
        images, labels = _own_part(arrays["images"], arrays["labels"], wheres["images"], wheres["labels"], classes)
        order = np.random.default_rng(0).permutation(len(labels))
        held = np.zeros(len(labels), bool)
        for k in range(len(classes)):
            of_k = order[labels[order] == k]
            held[of_k[:round(test_fraction * len(of_k))]] = True
        x_train, y_train, x_test, y_test = images[~held], labels[~held], images[held], labels[held]
        split = f"{test_fraction:.0%} of each class held out (seed 0)"
    if len(y_train) < MIN_TRAIN or not len(y_test):
        raise DataFileError(f"path ({source}): {len(y_train)} training and {len(y_test)} held-out images; notebook 06 "
                            f"needs at least {MIN_TRAIN} to train on (its batches) and one held out")
    note = (f"{name}: your own images from {source} ({len(y_train):,} train / {len(y_test):,} test, {split}; "
            f"classes {', '.join(classes)})")
    return Dataset(x_train, y_train, x_test, y_test, name.strip(), classes, note)


def _existing(path, argument):
    try:
        path = Path(path)
        if not str(path).strip() or not path.exists():
            raise DataFileError(f"{argument}: no such file or folder: {str(path)!r:.200}")
    except OSError as error:   # e.g. a name too long for the file system
        raise DataFileError(f"{argument}: cannot be read ({error.strerror or error})") from None
    return path


def _own_idx(path, where):
    try:
        return read_idx(path)
    except IsADirectoryError:
        raise DataFileError(f"{where}: {path} is a folder, not an idx file") from None
    except OSError as error:
        raise DataFileError(f"{where}: {path} cannot be read ({error.strerror or error})") from None


def _own_idx_folder(folder):
    """({"x_train": array, ...}, {"x_train": where, ...}) from the four idx files under MNIST's names in folder."""
    arrays, wheres = {}, {}
    for key, (published, _) in MNIST_FILES.items():   # e.g. train-images-idx3-ubyte.gz; t10k-labels.idx1-ubyte too
        stem = published.split("-idx")[0]
        found = sorted(p for p in folder.glob(f"{stem}[-.]idx[1-4]-ubyte*") if p.is_file())
        if not found:
            raise DataFileError(f"path: the folder {folder} has no {published.removesuffix('.gz')}[.gz]; "
                                "it must hold the four idx files under MNIST's names (docs/own_data.md)")
        short = ("x_" if "images" in key else "y_") + key.split("_")[0]
        arrays[short], wheres[short] = _own_idx(found[0], found[0].name), found[0].name
    return arrays, wheres


def _own_npz(path):
    """({"x_train": array, ...} or {"images": ..., "labels": ...}, where each came from) of an .npz file."""
    try:
        with zipfile.ZipFile(path) as archive:   # the sizes it declares bound what np.load unpacks
            sizes = {info.filename.removesuffix(".npy"): info.file_size for info in archive.infolist()}
        for key, size in sizes.items():
            if size > MEMORY_BUDGET:
                raise DataFileError(f"path: the array {key!r} of {path.name} would take {size / 2**30:.1f} GB, over "
                                    f"the {MEMORY_BUDGET >> 30} GB one call may read")
        with np.load(path, allow_pickle=False) as npz:
            keys = set(npz.files)
            for wanted in ({"x_train", "y_train", "x_test", "y_test"}, {"images", "labels"}):
                if wanted <= keys:
                    return {key: npz[key] for key in wanted}, {key: f"{path.name}[{key!r}]" for key in wanted}
    except DataFileError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as error:
        raise DataFileError(f"path: {path.name} cannot be read as an .npz file ({str(error)[:200]})") from None
    raise DataFileError(f"path: {path.name} must hold the arrays x_train, y_train, x_test, y_test (a split) or "
                        f"images, labels; it holds {', '.join(sorted(keys)) or 'none'}")


def _own_part(images, labels, where_images, where_labels, classes):
    """(uint8 (N, 1, 28, 28), int64 (N,)) from one part's arrays, each checked: DataFileError saying what is wrong."""
    images, labels = np.asarray(images), np.asarray(labels)
    def image_like(a):
        return a.ndim >= 2 and a.shape[1:] in IMAGE_SHAPES
    if image_like(labels) and not image_like(images) and images.ndim <= 2:
        raise DataFileError(f"{where_images} holds {images.shape} and {where_labels} {labels.shape}: the images "
                            "and labels are swapped")
    if not image_like(images) or not len(images):
        sides = images.shape[1:3] if images.ndim in (3, 4) and images.shape[1:3] != (28, 28) else None
        hint = f" ({sides[0]}×{sides[1]} images: resize them to 28×28 first)" if sides and images.ndim == 3 else ""
        raise DataFileError(f"{where_images} must hold N ≥ 1 images of 28×28 pixels, shaped (N, 28, 28), (N, 784), "
                            f"(N, 1, 28, 28) or (N, 28, 28, 1); got shape {images.shape}{hint}")
    if labels.ndim == 2 and labels.shape[1] > 1:
        raise DataFileError(f"{where_labels} has shape {labels.shape}: one label per image, shaped (N,), is wanted "
                            "(one-hot rows? labels.argmax(axis=1) gives the labels)")
    labels = labels.reshape(-1) if labels.ndim == 2 else labels
    if labels.ndim != 1:
        raise DataFileError(f"{where_labels} must be one label per image, shaped (N,); got shape {labels.shape}")
    if len(labels) != len(images):
        raise DataFileError(f"{where_images} holds {len(images):,} images but {where_labels} {len(labels):,} "
                            "labels: one label per image")
    if labels.dtype.kind == "f" and np.isfinite(labels).all() and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iu":
        raise DataFileError(f"{where_labels} must hold whole numbers (the class of each image); got dtype "
                            f"{labels.dtype}")
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= len(classes):
        hint = " (labels count from 0: subtract 1)" if low == 1 and high == len(classes) else ""
        raise DataFileError(f"{where_labels} holds labels {low}…{high}, but classes names {len(classes)} classes: "
                            f"labels 0…{len(classes) - 1}{hint}")
    images = images.reshape(len(images), 1, 28, 28)
    kind = images.dtype.kind
    if kind not in "fiu":
        raise DataFileError(f"{where_images} must hold pixel values (uint8 0…255 or floats in [0, 1]); got dtype "
                            f"{images.dtype}")
    if kind == "f" and not np.isfinite(images).all():
        raise DataFileError(f"{where_images} holds NaN or ±inf")
    lowest, highest = images.min(), images.max()
    if kind == "f" and (lowest < 0 or highest > 1):
        hint = ("pixels 0…255 as floats: divide them by 255, or store them as uint8" if lowest >= 0 and highest <= 255
                else "standardized images? store the raw pixels instead")
        raise DataFileError(f"{where_images}: floats must be in [0, 1]; they run from {lowest:.3g} to {highest:.3g} "
                            f"({hint})")
    if kind in "iu" and (lowest < 0 or highest > 255):
        raise DataFileError(f"{where_images}: integer pixels must be 0…255; they run from {lowest} to {highest}")
    if kind == "f":
        images = np.round(images * 255)
    return images.astype(np.uint8), labels.astype(np.int64)
