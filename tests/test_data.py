"""helpers.data: the shipped subset, idx parsing, and verified downloads — all without the network.

Downloads are exercised against small servers on 127.0.0.1 (raw sockets in threads; every loop bounded,
every wait timed out) that misbehave on purpose. A guard answers any other address as an offline machine
would, and fails the test that tried.
"""
import gzip
import hashlib
import logging
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from helpers import data

LOOPBACK = ("127.0.0.1", "::1", "localhost")
REAL_GETADDRINFO = socket.getaddrinfo
REAL_CONNECT = socket.socket.connect


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Only loopback addresses may be reached; anything else fails as offline and fails the test.

    Guarded at the socket level, so it holds for pooch and requests alike.
    Returns the list of refused hosts; a test that expects refusals checks and clears it.
    """
    refused = []

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOOPBACK:
            refused.append(host)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return REAL_GETADDRINFO(host, *args, **kwargs)

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            refused.append(address[0])
            raise OSError(101, "Network is unreachable")
        return REAL_CONNECT(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield refused
    assert not refused, f"a test tried to reach the network: {refused}"


def idx_bytes(array):
    """Gzipped idx encoding of a uint8 array (MNIST's format)."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.tobytes(), mtime=0)


def sha(payload):
    return hashlib.sha256(payload).hexdigest()


# ---------------------------------------------------------------------------- a misbehaving server on 127.0.0.1

class Server:
    """Listens on 127.0.0.1; for each connection reads the request, then calls answer(server, conn, name).

    tls: an ssl.SSLContext to serve https (its URL then names "localhost", as the certificate does);
    read_request=False hands over the raw connection at once (no TLS handshake, no request read).
    Runs in daemon threads; close() stops it. Counts the bytes sent in .sent.
    """

    def __init__(self, answer, tls=None, read_request=True):
        self.answer, self.tls, self.read_request = answer, tls, read_request
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        port = self.sock.getsockname()[1]
        self.url = f"https://localhost:{port}/" if tls else f"http://127.0.0.1:{port}/"
        self.stopped = threading.Event()
        self.sent = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        with conn:
            conn.settimeout(5)
            try:
                if not self.read_request:
                    self.answer(self, conn, None)
                    return
                if self.tls:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                request = b""
                while b"\r\n\r\n" not in request and len(request) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                path = request.split(b" ")[1].decode()
                self.answer(self, conn, path.rsplit("/", 1)[-1])
            except OSError:
                pass  # the client hung up (or refused our certificate): what several tests want

    def send(self, conn, payload):
        conn.sendall(payload)
        self.sent += len(payload)

    def close(self):
        self.stopped.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def serve():
    servers = []

    def start(answer, **options):
        servers.append(Server(answer, **options))
        return servers[-1]
    yield start
    for server in servers:
        server.close()


def files_answer(files, pieces=1, pause=0.0):
    """Answer GET <name> with files[name] (in `pieces` writes, `pause` s apart), 404 otherwise."""
    def answer(server, conn, name):
        if name not in files:
            server.send(conn, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        body = files[name]
        server.send(conn, f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
        step = max(1, len(body) // pieces)
        for start in range(0, len(body), step):
            server.send(conn, body[start:start + step])
            time.sleep(pause)
    return answer


def bad_status_line(server, conn, name):
    server.send(conn, b"X\r\n\r\n")


def truncated_chunked(server, conn, name):
    server.send(conn, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                      b"1000\r\n" + b"x" * 100)


PAYLOAD = b"pretend this is a gzipped idx file" * 100
NAME = "file.gz"


def run_python(code, *args, timeout=30):
    """Run code in a fresh interpreter from the repository root; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})


# ---------------------------------------------------------------------------- the shipped subset

def test_subset_is_the_documented_file():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert data.SUBSET_SHA256 in readme, "data/README.md must give the shipped file's SHA-256"
    assert sha(data.SUBSET_PATH.read_bytes()) == data.SUBSET_SHA256
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
    with pytest.raises(ValueError, match="images"):
        data.to_unit_float(pixels.astype(float))
    with pytest.raises(ValueError, match="dtype"):
        data.to_unit_float(pixels, np.int32)


# ---------------------------------------------------------------------------- idx files

def test_read_idx_round_trip(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.uint32).reshape(3, 28, 28) % 256
    path = tmp_path / "images.gz"
    path.write_bytes(idx_bytes(images))
    assert np.array_equal(data.read_idx(path, 3), images)
    labels = tmp_path / "labels.gz"
    labels.write_bytes(idx_bytes([7, 2, 1]))
    assert data.read_idx(labels, 3).tolist() == [7, 2, 1]


def test_read_idx_refuses_truncated_and_inconsistent_files(tmp_path):
    whole = idx_bytes(np.ones((4, 28, 28)))
    cut = tmp_path / "cut.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(data.DataFileError, match="^cut.gz: .*truncated"):
        data.read_idx(cut, 4)
    # a complete gzip stream whose content is shorter than its header announces
    short = tmp_path / "short.gz"
    raw = gzip.decompress(whole)
    short.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(data.DataFileError, match=r"announces shape \(4, 28, 28\) but the file holds fewer"):
        data.read_idx(short, 4)
    longer = tmp_path / "long.gz"
    longer.write_bytes(gzip.compress(raw + b"\0"))
    with pytest.raises(data.DataFileError, match="holds more"):
        data.read_idx(longer, 4)
    wrong_magic = tmp_path / "magic.gz"
    wrong_magic.write_bytes(gzip.compress(b"\x00\x00\x0d\x03" + raw[4:]))
    with pytest.raises(data.DataFileError, match="not an idx file"):
        data.read_idx(wrong_magic, 4)
    cut_header = tmp_path / "header.gz"
    cut_header.write_bytes(gzip.compress(raw[:10]))
    with pytest.raises(data.DataFileError, match="header is cut short"):
        data.read_idx(cut_header, 4)
    not_gzip = tmp_path / "plain.gz"
    not_gzip.write_bytes(raw)
    with pytest.raises(data.DataFileError, match="cannot be decompressed"):
        data.read_idx(not_gzip, 4)
    with pytest.raises(data.DataFileError, match=r"expected \(60000, 28, 28\)"):
        data.read_idx(longer, 60000)


BOMB_CHILD = """
import gzip, resource, sys, tracemalloc
from helpers import data
path, dims = sys.argv[1], tuple(int(d) for d in sys.argv[2].split(","))
header = bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
zeros = gzip.compress(b"\\0" * (64 << 20), compresslevel=9, mtime=0)   # 64 MB of zeros in 65 kB
with open(path, "wb") as f:
    f.write(gzip.compress(header, mtime=0))
    for _ in range(32):                                                   # 2 GB once decompressed
        f.write(zeros)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
try:
    data.read_idx(path, 1000)
    print("accepted")
except data.DataFileError as error:
    print("refused:", error)
peak = tracemalloc.get_traced_memory()[1]
grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(f"bytes {__import__('os').path.getsize(path)} peak {peak} grew_kb {grew}")
"""


@pytest.mark.parametrize("dims", ["1000,28,28", "2000000,28,28"])
def test_a_gzip_bomb_is_refused_with_bounded_memory(tmp_path, dims):
    """Issue 14: a 2 MB gzip bomb reached 4 GB RSS. The header is checked first, then at most what it announces."""
    result = run_python(BOMB_CHILD, tmp_path / "bomb.gz", dims, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("refused:"), lines
    assert ("holds more" in lines[0]) if dims.startswith("1000,") else ("expected (1000, 28, 28)" in lines[0])
    size, peak, grew_kb = (int(v) for v in re.findall(r"\d+", lines[1]))
    assert 1_900_000 < size < 2_400_000, "the bomb is a 2 MB file"
    assert peak < 4_000_000 and grew_kb < 8_000, f"decompressing took {peak:,} B (Python), RSS grew {grew_kb} kB"


# ---------------------------------------------------------------------------- fetch: verified, atomic downloads

def test_fetch_downloads_verifies_and_caches(tmp_path, serve):
    server = serve(files_answer({NAME: PAYLOAD}))
    path = data.fetch(NAME, sha(PAYLOAD), [server.url], tmp_path)
    assert path == tmp_path / NAME and path.read_bytes() == PAYLOAD
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME], "no temporary file may be left behind"
    # a second call uses the verified cache and does not download again
    sent = server.sent
    data.fetch(NAME, sha(PAYLOAD), [server.url], tmp_path)
    assert server.sent == sent
    # no mirrors: the cache only
    assert data.fetch(NAME, sha(PAYLOAD), (), tmp_path) == path
    with pytest.raises(data.DownloadError, match="no mirror to try"):
        data.fetch("other.gz", sha(PAYLOAD), (), tmp_path)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_a_downloaded_file_is_as_readable_as_the_umask_allows(tmp_path, serve, umask, mode):
    """pooch's temporary file is private (0600); a cache an instructor fills must serve the students (umask 022)."""
    server = serve(files_answer({NAME: PAYLOAD}))
    previous = os.umask(umask)
    try:
        path = data.fetch(NAME, sha(PAYLOAD), [server.url], tmp_path / "cache")
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == mode


def test_a_cached_file_another_account_cannot_read_says_how_to_fix_it(tmp_path, monkeypatch):
    (tmp_path / NAME).write_bytes(PAYLOAD)

    def unreadable(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", path)
    monkeypatch.setattr(data.pooch, "file_hash", unreadable)   # the tests may run as root, who reads anything
    with pytest.raises(data.DownloadError, match=f"cannot be read by this account.*chmod a\\+r {tmp_path / NAME}"):
        data.fetch(NAME, sha(PAYLOAD), (), tmp_path)


def test_fetch_refuses_a_wrong_checksum_and_keeps_nothing(tmp_path, serve):
    server = serve(files_answer({NAME: PAYLOAD[:-1] + b"!"}))
    with pytest.raises(data.DownloadError, match="SHA-256 does not match"):
        data.fetch(NAME, sha(PAYLOAD), [server.url], tmp_path)
    assert list(tmp_path.iterdir()) == [], "a file that failed verification must not stay in the cache"


def test_fetch_refuses_a_truncated_download(tmp_path, serve):
    def short(server, conn, name):
        server.send(conn, f"HTTP/1.1 200 OK\r\nContent-Length: {len(PAYLOAD)}\r\nConnection: close\r\n\r\n".encode()
                    + PAYLOAD[:100])
    server = serve(short)
    with pytest.raises(data.DownloadError, match=r"cut short \(incomplete read\)"):
        data.fetch(NAME, sha(PAYLOAD), [server.url], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_fetch_falls_through_to_the_next_mirror(tmp_path, serve):
    first, second = serve(files_answer({})), serve(files_answer({NAME: PAYLOAD}))
    path = data.fetch(NAME, sha(PAYLOAD), [first.url, second.url], tmp_path)
    assert path.read_bytes() == PAYLOAD and first.sent > 0
    with pytest.raises(data.DownloadError, match="HTTP 404 Not Found"):
        data.fetch("other.gz", sha(PAYLOAD), [first.url], tmp_path)


def test_fetch_replaces_a_damaged_cached_copy(tmp_path, serve):
    (tmp_path / NAME).write_bytes(b"half a file")
    server = serve(files_answer({NAME: PAYLOAD}))
    assert data.fetch(NAME, sha(PAYLOAD), [server.url], tmp_path).read_bytes() == PAYLOAD


def test_fetch_offline_names_every_mirror(tmp_path, no_network):
    with pytest.raises(data.DownloadError) as caught:
        data.fetch(NAME, "0" * 64, ["https://a.example/", "https://b.example/"], tmp_path)
    message = str(caught.value)
    assert "https://a.example/file.gz" in message and "https://b.example/file.gz" in message
    assert "no network" in message and len(caught.value.failures) == 2
    assert sorted(set(no_network)) == ["a.example", "b.example"]
    no_network.clear()


def test_every_mirror_is_https():
    for base in data.MNIST_MIRRORS + data.FASHION_MIRRORS:
        assert base.startswith("https://") and base.endswith("/"), base


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A throw-away self-signed certificate for localhost (made with the openssl tool)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert],
                       check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"cannot make a test certificate with openssl: {error}")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    return cert, server


def test_an_https_download_verifies_the_certificate(tmp_path, serve, certificate, monkeypatch):
    cert, tls = certificate
    server = serve(files_answer({NAME: PAYLOAD}), tls=tls)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # trust the test certificate; verification stays on
    path = data.fetch(NAME, sha(PAYLOAD), [server.url], tmp_path)
    assert path.read_bytes() == PAYLOAD
    # without trusting it, the same server's certificate is refused and nothing is kept
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with pytest.raises(data.DownloadError, match="secure connection failed.*self-signed certificate"):
        data.fetch("other.gz", sha(PAYLOAD), [server.url], tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]


# ---------------------------------------------------------------------------- the reproducers

def fallback_note(ds, name="mnist"):
    assert ds.name == "subset" and ds.x_train.shape == (4000, 1, 28, 28)
    assert ds.note.startswith(f"'{name}' is not available here (") and "shipped with the course" in ds.note
    assert "\n" not in ds.note
    return ds.note


def test_a_bad_status_line_falls_back_to_the_next_mirror_then_the_subset(tmp_path, serve):
    """Issue 14: a non-HTTP reply raised http.client.BadStatusLine out of load()."""
    bad = serve(bad_status_line)
    ds = data.load("mnist", cache_dir=tmp_path, mirrors=(bad.url, "http://127.0.0.1:1/"))
    assert "connection refused" in fallback_note(ds)
    with pytest.raises(data.DownloadError, match="bad status line"):
        data.fetch(NAME, sha(PAYLOAD), [bad.url], tmp_path)


def test_a_truncated_chunked_body_falls_back(tmp_path, serve):
    """Issue 14: a truncated chunked body raised IncompleteRead out of load()."""
    cut = serve(truncated_chunked)
    good = serve(files_answer({NAME: PAYLOAD}))
    with pytest.raises(data.DownloadError, match="incomplete read"):
        data.fetch(NAME, sha(PAYLOAD), [cut.url], tmp_path)
    assert data.fetch(NAME, sha(PAYLOAD), [cut.url, good.url], tmp_path).read_bytes() == PAYLOAD
    assert "incomplete read" in fallback_note(data.load("mnist", cache_dir=tmp_path / "c", mirrors=(cut.url,)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", NAME]


def test_an_unusable_cache_folder_falls_back(tmp_path, serve):
    """Issue 14: a read-only cache directory raised OSError from mkstemp/mkdir out of load().

    The tests run as root, whom chmod does not stop: the cache is made unusable by a regular file
    standing where its parent folder should be.
    """
    server = serve(files_answer({NAME: PAYLOAD}))
    (tmp_path / "blocker").write_text("a file, not a folder")
    ds = data.load("mnist", cache_dir=tmp_path / "blocker" / "cache", mirrors=(server.url,))
    assert "cache folder" in fallback_note(ds) and "Not a directory" in ds.note
    assert server.sent == 0, "no mirror is bothered when the cache cannot hold the file"


def test_a_full_disk_falls_back(tmp_path, serve, monkeypatch):
    """mkstemp/NamedTemporaryFile failing with ENOSPC inside the download: no traceback, the subset."""
    server = serve(files_answer({NAME: PAYLOAD}))

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(tempfile, "mkstemp", full)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", full)
    ds = data.load("mnist", cache_dir=tmp_path, mirrors=(server.url,))
    assert "No space left on device" in fallback_note(ds)


CONCURRENT_CHILD = """
import hashlib, sys
from helpers import data
name, digest = sys.argv[1:]
print("ready", flush=True)
for line in sys.stdin:                                 # one line per round: both processes get it at once
    url, cache = line.split()
    try:
        path = data.fetch(name, digest, [url], cache)
        print(hashlib.sha256(path.read_bytes()).hexdigest() == digest, flush=True)
    except Exception as error:
        print(repr(error).replace("\\n", " "), flush=True)
"""


@pytest.mark.parametrize("cached", ["damaged", "absent"])
def test_two_processes_at_once(tmp_path, serve, cached):
    """Issue 14: two processes finding the same damaged cached file crashed at unlink(), 5 times out of 5.

    The damaged copy has the right size, so both spend time hashing it before either replaces it. The
    server holds each reply until both requests have arrived, so the two downloads really overlap.
    Both processes must succeed, five rounds in a row; the cache ends with the one verified file.
    """
    payload = np.random.default_rng(0).integers(0, 256, 2 << 20, dtype=np.uint8).tobytes()
    damaged = bytearray(payload)
    damaged[-1] ^= 0xFF
    children = [subprocess.Popen([sys.executable, "-c", CONCURRENT_CHILD, NAME, sha(payload)],
                                 cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for _ in range(2)]
    try:
        for child in children:  # an empty line (EOF) if the child died: no hang
            assert child.stdout.readline().strip() == "ready", child.stderr.read()[-1500:]
        for attempt in range(5):
            both_asked = threading.Barrier(2, timeout=5)
            overlapped = []

            def answer(server, conn, name, both_asked=both_asked, overlapped=overlapped):
                try:
                    both_asked.wait()
                    overlapped.append(True)
                except threading.BrokenBarrierError:
                    overlapped.append(False)
                files_answer({NAME: payload}, pieces=8, pause=0.01)(server, conn, name)

            server = serve(answer)
            cache = tmp_path / f"cache{attempt}"
            cache.mkdir()
            if cached == "damaged":
                (cache / NAME).write_bytes(bytes(damaged))
            for child in children:
                child.stdin.write(f"{server.url} {cache}\n")
                child.stdin.flush()
            results = [child.stdout.readline().strip() for child in children]
            assert results == ["True", "True"], f"round {attempt + 1}: {results}"
            assert overlapped == [True, True], "both processes downloaded at the same time"
            assert sorted(p.name for p in cache.iterdir()) == [NAME]
            assert (cache / NAME).read_bytes() == payload
    finally:
        for child in children:
            child.stdin.close()
            child.wait(10)


# ---------------------------------------------------------------------------- whole data sets

def fake_mnist_files(monkeypatch):
    """MNIST-shaped idx files (blank images, labels 0…9 repeated), with their checksums published."""
    rng = np.random.default_rng(0)
    arrays = {"train_images": np.zeros((60000, 28, 28)), "train_labels": np.arange(60000) % 10,
              "test_images": rng.integers(0, 256, (10000, 28, 28)), "test_labels": np.arange(10000) % 10}
    files, table = {}, {}
    for key, (name, _) in data.MNIST_FILES.items():
        files[name] = idx_bytes(arrays[key])
        table[key] = (name, sha(files[name]))
    monkeypatch.setattr(data, "MNIST_FILES", table)
    return files, arrays


def test_load_mnist_end_to_end_from_a_local_mirror(tmp_path, monkeypatch, serve):
    files, arrays = fake_mnist_files(monkeypatch)
    server = serve(files_answer(files))
    ds = data.load("mnist", cache_dir=tmp_path, mirrors=[server.url])
    assert ds.name == "mnist" and ds.x_train.shape == (60000, 1, 28, 28) and ds.x_test.shape == (10000, 1, 28, 28)
    assert np.array_equal(ds.x_test[:, 0], arrays["test_images"]) and ds.y_train[:12].tolist() == [*range(10), 0, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)


def test_a_bad_idx_file_with_a_matching_checksum_falls_back(tmp_path, monkeypatch, serve):
    files, _ = fake_mnist_files(monkeypatch)
    files["train-labels-idx1-ubyte.gz"] = idx_bytes(np.arange(60000) % 11)  # a label 10
    monkeypatch.setitem(data.MNIST_FILES, "train_labels",
                        ("train-labels-idx1-ubyte.gz", sha(files["train-labels-idx1-ubyte.gz"])))
    server = serve(files_answer(files))
    assert "labels must be 0…9" in fallback_note(data.load("mnist", cache_dir=tmp_path, mirrors=[server.url]))


def test_no_network_gives_the_subset_with_one_clear_line(tmp_path, no_network, caplog, capfd):
    """Done when: data.load on a machine without a network still gives the shipped subset with one clear line."""
    with caplog.at_level(logging.DEBUG, logger="pooch"):
        caplog.set_level(logging.INFO, logger="helpers.data")
        ds = data.load("mnist", cache_dir=tmp_path)
    note = fallback_note(ds)
    assert "no network" in note, note
    assert [r.getMessage() for r in caplog.records] == [note], "exactly one line is logged: the note"
    assert capfd.readouterr() == ("", ""), "nothing is printed (pooch logs to stderr on its own handler)"
    assert sorted(set(no_network)) == sorted({"storage.googleapis.com", "ossci-datasets.s3.amazonaws.com"})
    no_network.clear()
    ds = data.load("fashion", system_dir=tmp_path / "absent", cache_dir=tmp_path)
    assert "no network" in fallback_note(ds, "fashion")
    no_network.clear()
    assert data.load("subset").note.startswith("the 5,000 MNIST digits shipped")


def _fashion_system_copy(folder, **changes):
    """Four idx files as Debian's dataset-fashion-mnist installs them; changes replace some arrays."""
    folder.mkdir(exist_ok=True)
    arrays = {"train_images": np.full((60000, 28, 28), 3), "train_labels": np.arange(60000) % 10,
              "test_images": np.full((10000, 28, 28), 7), "test_labels": np.arange(10000) % 10} | changes
    for key, (name, _) in data.FASHION_FILES.items():
        (folder / name).write_bytes(idx_bytes(arrays[key]))
    return folder


def test_fashion_prefers_debian_files(tmp_path):
    system = _fashion_system_copy(tmp_path / "fashion-mnist")
    ds = data.load_fashion_mnist(system_dir=system, cache_dir=tmp_path / "cache", mirrors=())
    assert ds.name == "fashion" and ds.classes[9] == "Ankle boot" and "Debian" in ds.note
    assert ds.x_test[0, 0, 0, 0] == 7 and ds.x_train.shape == (60000, 1, 28, 28)
    with pytest.raises(data.DownloadError, match="no mirror to try"):   # system_dir=None: downloads instead
        data.load_fashion_mnist(system_dir=None, cache_dir=tmp_path / "cache", mirrors=())


@pytest.mark.parametrize("changes, words", [
    (dict(train_images=np.zeros((60000, 32, 32))), r"train-images-idx3-ubyte.gz: holds shape \(60000, 32, 32\), "
                                                   r"expected \(60000, 28, 28\)"),
    (dict(test_images=np.arange(10000) % 10, test_labels=np.full((10000, 28, 28), 7)),
     "t10k-images-idx3-ubyte.gz: holds labels of shape \\(10000,\\), not images: are the images and labels files "
     "swapped"),
    (dict(train_labels=np.arange(59999) % 10), r"train-labels-idx1-ubyte.gz: holds shape \(59999,\)"),
    (dict(test_labels=np.arange(10000) % 12), r"t10k-labels-idx1-ubyte.gz: labels must be 0…9; found 11"),
])
def test_a_damaged_fashion_system_copy_is_refused_naming_the_file(tmp_path, changes, words):
    """The probe of issue 22: a system copy with 32×32 images, or with images and labels swapped, loaded as right."""
    system = _fashion_system_copy(tmp_path / "fashion-mnist", **changes)
    with pytest.raises(data.DataFileError, match=f"system copy of Fashion-MNIST in {system} is damaged: {words}"):
        data.load_fashion_mnist(system_dir=system, cache_dir=tmp_path / "cache", mirrors=())
    note = fallback_note(data.load("fashion", system_dir=system, cache_dir=tmp_path / "cache"), "fashion")
    assert re.search(words, note) and "system_dir=None" in note, note


def test_a_truncated_fashion_system_copy_is_refused(tmp_path):
    system = _fashion_system_copy(tmp_path / "fashion-mnist")
    (system / "t10k-labels-idx1-ubyte.gz").write_bytes(b"damaged")
    with pytest.raises(data.DataFileError, match="t10k-labels-idx1-ubyte.gz: cannot be decompressed"):
        data.load_fashion_mnist(system_dir=system, cache_dir=tmp_path / "cache", mirrors=())


def test_published_checksums_are_well_formed():
    for table in (data.MNIST_FILES, data.FASHION_FILES):
        assert set(table) == {"train_images", "train_labels", "test_images", "test_labels"}
        for name, digest in table.values():
            assert name.endswith("-ubyte.gz") and re.fullmatch("[0-9a-f]{64}", digest)


def test_bad_names_and_options_are_refused_not_hidden_by_the_fallback():
    for name in ("cifar", ["mnist"]):
        with pytest.raises(ValueError, match="name"):
            data.load(name)
    with pytest.raises(TypeError, match="cach_dir"):
        data.load("mnist", cach_dir="/tmp")
    with pytest.raises(TypeError, match="cache_dir"):
        data.load("mnist", cache_dir=3)
    with pytest.raises(TypeError, match="path"):
        data.load("subset", path=None)
    with pytest.raises(TypeError, match="system_dir"):
        data.load("fashion", system_dir=3)


@pytest.mark.skipif(not data.FASHION_SYSTEM_DIR.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_debian_fashion_mnist_reads():
    ds = data.load_fashion_mnist(mirrors=())
    assert np.bincount(ds.y_test).tolist() == [1000] * 10 and ds.x_train.shape == (60000, 1, 28, 28)


def test_module_does_not_touch_the_network_at_import():
    source = Path(data.__file__).read_text(encoding="utf-8")
    top_level_calls = [line for line in source.splitlines() if re.match(r"^(load|fetch|urllib|pooch)\w*\(", line)]
    assert not top_level_calls
    result = run_python("import socket\ndef no(*a, **k): raise SystemExit('network at import')\n"
                        "socket.getaddrinfo = socket.create_connection = no\nfrom helpers import data\nprint('ok')")
    assert result.stdout.strip() == "ok", result.stderr[-1000:]
