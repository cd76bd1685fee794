"""Your own images (docs/own_data.md): data.from_files reads an .npz or idx files under your own name and class
names, refuses what the network cannot take with a message naming the array and what is wrong, and notebook 06
runs on them through the call its DATASET cell documents."""
import gzip
import json
import os
import re
import subprocess
import sys

import nbformat
import numpy as np
import pytest
from conftest import NOTEBOOK_DIR, ROOT
from nbclient import NotebookClient
from test_notebooks_run import find_problems

from helpers import data

CLASSES = ["zero", "one", "seven"]


@pytest.fixture(scope="module")
def three_digits():
    """1,200 shipped digits of three classes (0, 1 and 7), relabelled 0, 1, 2: images a network can learn."""
    subset = data.load_subset()
    images = np.concatenate([subset.x_train, subset.x_test])[:, 0]
    labels = np.concatenate([subset.y_train, subset.y_test])
    keep = np.flatnonzero(np.isin(labels, [0, 1, 7]))[:1200]
    return images[keep], np.searchsorted([0, 1, 7], labels[keep])


def idx_bytes(array):
    array = np.asarray(array, dtype=np.uint8)
    return bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape) + array.tobytes()


def test_an_npz_without_a_split_is_split_by_the_documented_rule(tmp_path, three_digits):
    images, labels = three_digits
    np.savez_compressed(tmp_path / "mine.npz", images=(images / 255).astype(np.float32), labels=labels)
    ds = data.from_files(tmp_path / "mine.npz", name="My digits", classes=CLASSES)
    assert ds.name == "My digits" and ds.classes == tuple(CLASSES) and "My digits" in ds.note
    assert "shipped" not in ds.note and "20% of each class held out" in ds.note
    assert ds.x_train.dtype == np.uint8 and ds.x_train.shape[1:] == (1, 28, 28)
    counts = np.bincount(labels)
    assert np.bincount(ds.y_test).tolist() == [round(0.2 * n) for n in counts]
    assert len(ds.y_train) + len(ds.y_test) == 1200
    # floats in [0, 1] are stored as pixels round(255 x): here the very pixels they came from
    every = np.concatenate([ds.x_train, ds.x_test])[:, 0]
    assert sorted(map(bytes, every)) == sorted(map(bytes, images))
    again = data.from_files(tmp_path / "mine.npz", name="My digits", classes=CLASSES)
    assert np.array_equal(again.y_test, ds.y_test) and np.array_equal(again.x_test, ds.x_test)   # the same split


@pytest.mark.parametrize("shape", [(28, 28), (784,), (1, 28, 28), (28, 28, 1)])
def test_a_given_split_and_every_accepted_image_shape(tmp_path, three_digits, shape):
    images, labels = three_digits
    x = images.reshape((len(images),) + shape)
    np.savez(tmp_path / "keras.npz", x_train=x[:1000], y_train=labels[:1000], x_test=x[1000:],
             y_test=labels[1000:, None])
    ds = data.from_files(str(tmp_path / "keras.npz"), "My digits", CLASSES)
    assert np.array_equal(ds.x_test[:, 0], images[1000:]) and ds.y_test.tolist() == labels[1000:].tolist()
    assert "split as the files give it" in ds.note


def test_idx_files_a_folder_under_mnist_s_names_or_a_pair(tmp_path, three_digits):
    images, labels = three_digits
    folder = tmp_path / "idx"
    folder.mkdir()
    for stem, values in (("train-images-idx3-ubyte.gz", images[:900]), ("train-labels-idx1-ubyte.gz", labels[:900]),
                         ("t10k-images-idx3-ubyte", images[900:]), ("t10k-labels.idx1-ubyte", labels[900:])):
        payload = idx_bytes(values)
        (folder / stem).write_bytes(gzip.compress(payload) if stem.endswith(".gz") else payload)
    ds = data.from_files(folder, "My digits", CLASSES)
    assert len(ds.y_train) == 900 and np.array_equal(ds.x_test[:, 0], images[900:])
    ds = data.from_files((folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz"),
                         "My digits", CLASSES, test_fraction=0.1)
    assert len(ds.y_test) == sum(round(0.1 * n) for n in np.bincount(labels[:900]))
    with pytest.raises(data.DataFileError, match=r"path\[0\].*swapped|swapped"):
        data.from_files((folder / "train-labels-idx1-ubyte.gz", folder / "train-images-idx3-ubyte.gz"),
                        "My digits", CLASSES)


def _refusal(tmp_path, **arrays):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(data.DataFileError) as error:
        data.from_files(tmp_path / "bad.npz", "My digits", CLASSES)
    return str(error.value)


def test_what_the_network_cannot_take_is_refused_naming_the_array(tmp_path, three_digits):
    images, labels = three_digits
    floats = images / 255.0
    cases = [
        (dict(images=labels, labels=images), r"\['images'\] holds \(1200,\).*swapped"),
        (dict(images=np.zeros((100, 32, 32)), labels=np.zeros(100, int)), r"\['images'\].*28×28.*\(100, 32, 32\)"),
        (dict(images=images[:, :27], labels=labels), r"\['images'\].*got shape \(1200, 27, 28\)"),
        (dict(images=floats, labels=labels[:-1]), "1,200 images but .*1,199 labels"),
        (dict(images=floats, labels=labels + 1), r"labels 1…3.*labels 0…2.*subtract 1"),
        (dict(images=floats, labels=np.where(labels == 2, 5, labels)), r"\['labels'\] holds labels 0…5"),
        (dict(images=floats, labels=np.eye(3)[labels]), "one-hot"),
        (dict(images=floats, labels=labels + 0.5), "whole numbers"),
        (dict(images=images.astype(float), labels=labels), r"\['images'\]: floats must be in \[0, 1\].*divide"),
        (dict(images=floats - 0.5, labels=labels), "standardized"),
        (dict(images=images.astype(np.int64) * 2, labels=labels), "0…255"),
        (dict(images=np.where(floats > 0.5, np.nan, floats), labels=labels), "NaN"),
        (dict(x_train=floats[:40], y_train=labels[:40], x_test=floats[40:], y_test=labels[40:]), "at least 64"),
        (dict(pixels=floats, labels=labels), "holds labels, pixels"),
    ]
    for arrays, words in cases:
        message = _refusal(tmp_path, **arrays)
        assert re.search(words, message), (words, message)


def test_the_arguments_are_checked_at_the_door(tmp_path, three_digits):
    images, labels = three_digits
    np.savez(tmp_path / "mine.npz", images=images, labels=labels)
    good = dict(path=tmp_path / "mine.npz", name="My digits", classes=CLASSES)
    for change, error, words in [(dict(path=tmp_path / "absent.npz"), ValueError, "path: no such file"),
                                 (dict(path=3), TypeError, "path"), (dict(path=[tmp_path]), TypeError, "path"),
                                 (dict(path=tmp_path), ValueError, "no train-images-idx3-ubyte"),
                                 (dict(name="subset"), ValueError, "name 'subset' is a data set of the course's"),
                                 (dict(name=""), TypeError, "name"), (dict(classes="abc"), TypeError, "classes"),
                                 (dict(classes=["a"]), ValueError, "classes must name 2 to 10"),
                                 (dict(classes=[str(k) for k in range(11)]), ValueError, "classes must name 2 to 10"),
                                 (dict(classes=["a", "a", "b"]), ValueError, "distinct"),
                                 (dict(classes=["a", None]), TypeError, r"classes\[1\]"),
                                 (dict(classes=["a", "b"]), ValueError, "classes names 2 classes"),
                                 (dict(test_fraction=1), ValueError, "test_fraction")]:
        with pytest.raises(error, match=words):
            data.from_files(**(good | change))
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(data.DataFileError, match="path: broken.npz cannot be read as an .npz"):
        data.from_files(tmp_path / "broken.npz", "My digits", CLASSES)


def test_the_course_s_names_are_not_given_to_other_files(tmp_path, three_digits):
    images, labels = three_digits
    np.savez(tmp_path / "mnist_5k.npz", x_train=images[:1000], y_train=labels[:1000], x_test=images[1000:],
             y_test=labels[1000:])
    with pytest.raises(data.DataFileError, match="not the course's file.*data.from_files"):
        data.load("subset", path=tmp_path / "mnist_5k.npz")
    with pytest.raises(TypeError, match="sha256"):
        data.load("subset", path=tmp_path / "mnist_5k.npz", sha256=None)


def test_the_documented_example_runs_and_prints_what_the_page_says(tmp_path):
    page = (ROOT / "docs" / "own_data.md").read_text(encoding="utf-8")
    example = re.findall(r"```python\n(.*?)```", page, re.S)[-1]
    promised = re.search(r"It prints\n\n```\n(.*?)```", page, re.S).group(1)
    result = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == promised
    for link in ("README.md", "docs/instructor_guide.md"):
        assert "own_data.md" in (ROOT / link).read_text(encoding="utf-8"), f"{link} links to docs/own_data.md"


# ---------------------------------------------------------------------------- notebook 06 on your own images

def test_notebook_06_runs_on_your_own_npz_through_the_documented_call(tmp_path, three_digits):
    """Done when: 06 runs on a user-supplied npz through the documented call."""
    images, labels = three_digits
    mine = tmp_path / "mine.npz"
    np.savez_compressed(mine, images=(images / 255).astype(np.float32), labels=labels)
    nb = nbformat.read(NOTEBOOK_DIR / "06_train_mnist.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("DATASET = "))
    documented = next(line for line in cell.source.splitlines() if "data.from_files(" in line)
    assert documented.startswith("# ") and "docs/own_data.md" in cell.source
    call = documented.removeprefix("# ")                # dataset = data.from_files("mine.npz", name=..., ...)
    call = re.sub(r'from_files\("[^"]*", name="[^"]*", classes=\[[^]]*\]\)',
                  f"from_files({str(mine)!r}, name='My digits', classes={CLASSES!r})", call)
    assert str(mine) in call, f"the documented call changed its form: {documented}"
    cell.source = cell.source.replace("dataset = data.load(DATASET)\n", "").replace(documented, call)
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}}, store_widget_state=True)
    client.execute()
    assert not find_problems(nb), find_problems(nb)

    def printed(index):
        return "\n".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/markdown", ""))
                         for o in nb.cells[index].get("outputs", []))
    index = {c.get("id"): k for k, c in enumerate(nb.cells)}
    loaded = printed(nb.cells.index(cell))
    assert "Data: My digits: your own images from mine.npz" in loaded and "shipped" not in loaded, loaded
    record = printed(index["s2-record-code"])
    assert "the stored study is about the course's shipped data" in record and "My digits" in record, record
    runs = printed(next(k for k, c in enumerate(nb.cells) if "converged.runs_table" in c.source))
    assert "| subset |" in runs and "| fashion_subset |" in runs and "My digits" not in runs
    widget_state = json.dumps(nb.metadata["widgets"])
    assert all(name in widget_state for name in CLASSES), "the linked view names the given classes"
    trained = printed(next(k for k, c in enumerate(nb.cells) if "history = network.train(" in c.source))
    accuracy = [float(a) for a in re.search(r"after each epoch: \[([^]]*)\]", trained).group(1).split(",")]
    assert accuracy[-1] > 90, f"three epochs on three digit classes should learn them (chance: 33 %): {trained}"
