"""helpers.data: the shipped subset, idx parsing, and verified downloads — all without the network.

Downloads are exercised with local fakes: an opener that serves bytes from memory, one that fails like
an offline machine, and real urllib on file:// URLs. A guard makes any other URL fail the test.
"""
import gzip
import hashlib
import io
import re
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from helpers import data

REAL_URLOPEN = urllib.request.urlopen


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Only file:// URLs may be opened during these tests."""
    def guarded(url, *args, **kwargs):
        if not str(url).startswith("file:"):
            raise AssertionError(f"a test tried to reach the network: {url}")
        return REAL_URLOPEN(url, *args, **kwargs)
    monkeypatch.setattr(urllib.request, "urlopen", guarded)


def idx_bytes(array):
    """Gzipped idx encoding of a uint8 array (MNIST's format)."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.tobytes(), mtime=0)


def sha(payload):
    return hashlib.sha256(payload).hexdigest()


class FakeServer:
    """An opener serving {url: bytes}; unknown URLs fail as an unreachable host does. Counts requests."""

    def __init__(self, files):
        self.files = files
        self.requests = []

    def __call__(self, url, timeout=None):
        self.requests.append(url)
        if url not in self.files:
            raise urllib.error.URLError("[Errno -2] Name or service not known")
        return io.BytesIO(self.files[url])


def offline(url, timeout=None):
    raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


# ---------------------------------------------------------------------------- the shipped subset

def test_subset_is_the_documented_file():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert data.SUBSET_SHA256 in readme, "data/README.md must give the shipped file's SHA-256"
    assert data.sha256_of(data.SUBSET_PATH) == data.SUBSET_SHA256
    assert data.SUBSET_PATH.stat().st_size <= 2_000_000


def test_subset_shapes_balance_and_split():
    ds = data.load_subset()
    assert ds.x_train.shape == (4000, 1, 28, 28) and ds.x_test.shape == (1000, 1, 28, 28)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    assert np.bincount(ds.y_train).tolist() == [400] * 10
    assert np.bincount(ds.y_test).tolist() == [100] * 10
    assert ds.x_train.max() == 255 and ds.x_train.min() == 0
    # held out really means held out: no test image is also a training image
    train_rows = {row.tobytes() for row in ds.x_train.reshape(4000, -1)}
    assert not any(row.tobytes() in train_rows for row in ds.x_test.reshape(1000, -1))


def test_damaged_subset_is_refused(tmp_path):
    damaged = tmp_path / "mnist_5k.npz"
    payload = bytearray(data.SUBSET_PATH.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    damaged.write_bytes(bytes(payload))
    with pytest.raises(data.DataFileError, match="SHA-256"):
        data.load_subset(damaged)
    with pytest.raises(data.DataFileError, match="missing"):
        data.load_subset(tmp_path / "nothing.npz")


def test_to_unit_float():
    pixels = np.array([0, 51, 255], dtype=np.uint8)
    assert np.allclose(data.to_unit_float(pixels), [0, 0.2, 1]) and data.to_unit_float(pixels).dtype == np.float32
    assert data.to_unit_float(pixels, np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="uint8"):
        data.to_unit_float(pixels.astype(float))
    with pytest.raises(ValueError, match="dtype"):
        data.to_unit_float(pixels, np.int32)


# ---------------------------------------------------------------------------- idx files

def test_read_idx_round_trip(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.uint32).reshape(3, 28, 28) % 256
    path = tmp_path / "images.gz"
    path.write_bytes(idx_bytes(images))
    assert np.array_equal(data.read_idx(path), images)
    labels = tmp_path / "labels.gz"
    labels.write_bytes(idx_bytes([7, 2, 1]))
    assert data.read_idx(labels, expected_count=3).tolist() == [7, 2, 1]


def test_read_idx_refuses_truncated_and_inconsistent_files(tmp_path):
    whole = idx_bytes(np.ones((4, 28, 28)))
    cut = tmp_path / "cut.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(data.DataFileError, match="truncated"):
        data.read_idx(cut)
    # a complete gzip stream whose content is shorter than its header announces
    short = tmp_path / "short.gz"
    raw = gzip.decompress(whole)
    short.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(data.DataFileError, match=r"announces shape \(4, 28, 28\)"):
        data.read_idx(short)
    wrong_magic = tmp_path / "magic.gz"
    wrong_magic.write_bytes(gzip.compress(b"\x00\x00\x0d\x03" + raw[4:]))
    with pytest.raises(data.DataFileError, match="not an idx file"):
        data.read_idx(wrong_magic)
    count = tmp_path / "count.gz"
    count.write_bytes(whole)
    with pytest.raises(data.DataFileError, match="expected 60000"):
        data.read_idx(count, expected_count=60000)


# ---------------------------------------------------------------------------- fetch: verified, atomic downloads

PAYLOAD = b"pretend this is a gzipped idx file" * 100
NAME = "file.gz"


def test_fetch_downloads_verifies_and_caches(tmp_path):
    server = FakeServer({"https://mirror.example/" + NAME: PAYLOAD})
    path = data.fetch(NAME, len(PAYLOAD), sha(PAYLOAD), ["https://mirror.example/"], tmp_path, server)
    assert path == tmp_path / NAME and path.read_bytes() == PAYLOAD
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME], "no temporary file may be left behind"
    # a second call uses the verified cache and does not download again
    data.fetch(NAME, len(PAYLOAD), sha(PAYLOAD), ["https://mirror.example/"], tmp_path, server)
    assert len(server.requests) == 1


def test_fetch_refuses_a_wrong_checksum_and_keeps_nothing(tmp_path):
    tampered = PAYLOAD[:-1] + b"!"
    server = FakeServer({"https://mirror.example/" + NAME: tampered})
    with pytest.raises(data.DownloadError, match="SHA-256 .* does not match"):
        data.fetch(NAME, len(PAYLOAD), sha(PAYLOAD), ["https://mirror.example/"], tmp_path, server)
    assert list(tmp_path.iterdir()) == [], "a file that failed verification must not stay in the cache"


def test_fetch_refuses_a_truncated_download(tmp_path):
    server = FakeServer({"https://mirror.example/" + NAME: PAYLOAD[:100]})
    with pytest.raises(data.DownloadError, match=r"received 100 bytes, expected 3400 \(truncated\)"):
        data.fetch(NAME, len(PAYLOAD), sha(PAYLOAD), ["https://mirror.example/"], tmp_path, server)
    assert list(tmp_path.iterdir()) == []


def test_fetch_falls_through_to_the_next_mirror(tmp_path):
    server = FakeServer({"https://second.example/" + NAME: PAYLOAD})
    path = data.fetch(NAME, len(PAYLOAD), sha(PAYLOAD), ["https://first.example/", "https://second.example/"],
                      tmp_path, server)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == ["https://first.example/" + NAME, "https://second.example/" + NAME]


def test_fetch_replaces_a_damaged_cached_copy(tmp_path):
    (tmp_path / NAME).write_bytes(b"half a file")
    server = FakeServer({"https://mirror.example/" + NAME: PAYLOAD})
    assert data.fetch(NAME, len(PAYLOAD), sha(PAYLOAD), ["https://mirror.example/"], tmp_path, server
                      ).read_bytes() == PAYLOAD


def test_fetch_offline_names_every_mirror(tmp_path):
    with pytest.raises(data.DownloadError) as caught:
        data.fetch(NAME, 1, "0" * 64, ["https://a.example/", "https://b.example/"], tmp_path, offline)
    message = str(caught.value)
    assert "https://a.example/file.gz" in message and "https://b.example/file.gz" in message
    assert "name resolution" in message
    with pytest.raises(ValueError, match="mirrors"):
        data.fetch(NAME, 1, "0" * 64, [], tmp_path, offline)


def test_fetch_with_real_urllib_on_a_file_url(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / NAME).write_bytes(PAYLOAD)
    cache = tmp_path / "cache"
    path = data.fetch(NAME, len(PAYLOAD), sha(PAYLOAD), [mirror.as_uri() + "/"], cache)  # default opener
    assert path.read_bytes() == PAYLOAD


# ---------------------------------------------------------------------------- whole data sets

def fake_mnist_server(monkeypatch, base="https://mirror.example/"):
    """Serve MNIST-shaped idx files (blank images, labels 0…9 repeated) and publish their checksums."""
    rng = np.random.default_rng(0)
    arrays = {"train_images": np.zeros((60000, 28, 28)), "train_labels": np.arange(60000) % 10,
              "test_images": rng.integers(0, 256, (10000, 28, 28)), "test_labels": np.arange(10000) % 10}
    files, table = {}, {}
    for key, (name, _, _) in data.MNIST_FILES.items():
        payload = idx_bytes(arrays[key])
        files[base + name] = payload
        table[key] = (name, len(payload), sha(payload))
    monkeypatch.setattr(data, "MNIST_FILES", table)
    return FakeServer(files), arrays


def test_load_mnist_end_to_end_with_a_fake_mirror(tmp_path, monkeypatch):
    server, arrays = fake_mnist_server(monkeypatch)
    ds = data.load("mnist", cache_dir=tmp_path, mirrors=["https://mirror.example/"], opener=server)
    assert ds.name == "mnist" and ds.x_train.shape == (60000, 1, 28, 28) and ds.x_test.shape == (10000, 1, 28, 28)
    assert np.array_equal(ds.x_test[:, 0], arrays["test_images"]) and ds.y_train[:12].tolist() == [*range(10), 0, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(n for n, _, _ in data.MNIST_FILES.values())


def test_offline_falls_back_to_the_subset_and_says_so(tmp_path):
    ds = data.load("mnist", cache_dir=tmp_path, opener=offline)
    assert ds.name == "subset" and ds.x_train.shape == (4000, 1, 28, 28)
    assert re.search(r"'mnist' is not available here \(offline\?.*\).*shipped", ds.note)
    ds = data.load("fashion", system_dir=tmp_path / "absent", cache_dir=tmp_path, opener=offline)
    assert ds.name == "subset" and "'fashion' is not available" in ds.note


def test_fashion_prefers_debian_files(tmp_path):
    system = tmp_path / "fashion-mnist"
    system.mkdir()
    arrays = {"train_images": np.full((60000, 28, 28), 3), "train_labels": np.arange(60000) % 10,
              "test_images": np.full((10000, 28, 28), 7), "test_labels": np.arange(10000) % 10}
    for key, (name, _, _) in data.FASHION_FILES.items():
        (system / name).write_bytes(idx_bytes(arrays[key]))
    ds = data.load_fashion_mnist(system_dir=system, cache_dir=tmp_path / "cache", opener=offline)
    assert ds.name == "fashion" and ds.classes[9] == "Ankle boot" and "Debian" in ds.note
    assert ds.x_test[0, 0, 0, 0] == 7 and ds.x_train.shape == (60000, 1, 28, 28)


def test_published_checksums_are_well_formed():
    for table in (data.MNIST_FILES, data.FASHION_FILES):
        assert set(table) == {"train_images", "train_labels", "test_images", "test_labels"}
        for name, size, digest in table.values():
            assert name.endswith("-ubyte.gz") and size > 4000 and re.fullmatch("[0-9a-f]{64}", digest)


def test_bad_names_are_refused():
    with pytest.raises(ValueError, match="name must be one of"):
        data.load("cifar")


@pytest.mark.skipif(not data.FASHION_SYSTEM_DIR.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_debian_fashion_mnist_reads():
    ds = data.load_fashion_mnist(opener=offline)
    assert np.bincount(ds.y_test).tolist() == [1000] * 10 and ds.x_train.shape == (60000, 1, 28, 28)


def test_module_does_not_touch_the_network_at_import():
    source = Path(data.__file__).read_text(encoding="utf-8")
    top_level_calls = [line for line in source.splitlines() if re.match(r"^(load|fetch|urllib)\w*\(", line)]
    assert not top_level_calls
