"""Navigation and presentation: where each notebook sits, links that resolve, slide metadata, alt text."""
import re
from pathlib import Path

import pytest
from conftest import NOTEBOOKS, ROOT, load_notebook, notebook_ids

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}


def markdown_of(path):
    return ["".join(c["source"]) for c in load_notebook(path)["cells"] if c["cell_type"] == "markdown"]


def local_targets(text):
    for target in LINK.findall(text):
        if not re.match(r"^(https?:|mailto:|#)", target):
            yield target.split("#")[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_ids())
def test_notebook_opens_with_where_it_sits_and_what_you_will_do(path):
    first = markdown_of(path)[0]
    assert "**Where you are:**" in first, f"{path.name}: the first cell must say where it sits in the course"
    assert "you will be able to" in first, f"{path.name}: the first cell must say what the learner will be able to do"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_ids())
def test_notebook_closes_with_a_link_to_the_next(path):
    index = NOTEBOOKS.index(path)
    expected = NOTEBOOKS[index + 1].name if index + 1 < len(NOTEBOOKS) else NOTEBOOKS[0].name
    last = markdown_of(path)[-1]
    assert "**Next:**" in last and f"({expected})" in last, f"{path.name}: the last cell must link to {expected}"


@pytest.mark.parametrize("path", [*NOTEBOOKS, ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))],
                         ids=lambda p: p.name)
def test_local_links_resolve(path):
    texts = markdown_of(path) if path.suffix == ".ipynb" else [path.read_text()]
    broken = [t for text in texts for t in local_targets(text) if not (path.parent / t).exists()]
    assert not broken, f"{path.name}: links to missing files {broken}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_ids())
def test_every_cell_has_slide_metadata(path):
    cells = load_notebook(path)["cells"]
    missing = [i for i, c in enumerate(cells) if c.get("metadata", {}).get("slideshow", {}).get("slide_type")
               not in SLIDE_TYPES]
    assert not missing, f"{path.name}: cells {missing} have no valid slideshow slide_type"
    assert cells[0]["metadata"]["slideshow"]["slide_type"] == "slide"


@pytest.mark.parametrize("path", [*NOTEBOOKS, ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))],
                         ids=lambda p: p.name)
def test_images_have_alt_text(path):
    texts = markdown_of(path) if path.suffix == ".ipynb" else [path.read_text()]
    for text in texts:
        for alt, target in IMAGE.findall(text):
            if "badge" not in target:
                assert alt.strip(), f"{path.name}: image {target} has no alt text"
        for tag in re.findall(r"<img\b[^>]*>", text):
            assert re.search(r'alt="[^"]+"', tag), f"{path.name}: {tag} has no alt text"


def test_docs_folder_exists():
    assert Path(ROOT / "docs").is_dir()
