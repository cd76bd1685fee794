"""instructor/make_slides.py builds every notebook's reveal.js deck (nbconvert's slides exporter) with the speaker
notes of docs/speaker_notes.md, and a title slide that holds the title cell alone; RISE's live slideshow hides
JupyterLab's "Click to add a cell." button (notebooks/rise.css)."""
import importlib.util
import re

import nbformat
import pytest
from conftest import NOTEBOOK_DIR, NOTEBOOKS, ROOT, notebook_ids

spec = importlib.util.spec_from_file_location("make_slides", ROOT / "instructor" / "make_slides.py")
make_slides = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_slides)

NOTES = make_slides.speaker_notes()
CELL = re.compile(r'<div class="jp-Cell (jp-\w+Cell)[^"]*" id="cell-id=([^"]+)">')


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    return {nb.stem: make_slides.build(nb, out).read_text(encoding="utf-8") for nb in NOTEBOOKS}


def title_slide(html):
    slides = html[html.index('<div class="slides">'):]
    return slides[:slides.index("</section>")]


def test_every_note_names_a_notebook_and_says_something():
    assert sum(len(notes) for notes in NOTES.values()) >= 5, "docs/speaker_notes.md: no notes found"
    numbers = {nb.name[:2] for nb in NOTEBOOKS}
    for number, notes in NOTES.items():
        assert number in numbers, f"docs/speaker_notes.md: notes for notebook {number}, which does not exist"
        assert all(len(text.split()) >= 5 for _, text in notes), f"an empty note for notebook {number}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_ids())
def test_deck_has_its_speaker_notes_and_a_clean_title_slide(decks, path):
    html = decks[path.stem]
    notes = NOTES.get(path.name[:2], [])
    assert html.count('<aside class="notes">') == len(notes), f"{path.name}: each note must become one aside"
    for _, text in notes:
        assert text.split()[0] in html
    title = title_slide(html)
    cells = CELL.findall(title.split('<aside class="notes">')[0])
    first = nbformat.read(path, as_version=4).cells[0]
    assert cells == [("jp-MarkdownCell", first.id)], f"{path.name}: the title slide must hold the title cell alone"
    assert "<h1" in title and "Click to add a cell" not in html


def test_a_note_after_a_missing_cell_is_an_error():
    nb = nbformat.read(NOTEBOOK_DIR / "01_convolution_by_hand.ipynb", as_version=4)
    with pytest.raises(ValueError, match="no-such-cell"):
        make_slides.with_notes(nb, [("no-such-cell", "Ask the room.")])


def test_rise_hides_the_add_a_cell_button_and_slides_are_not_committed():
    rise_css = (NOTEBOOK_DIR / "rise.css").read_text()
    assert re.search(r"\.jp-Notebook-footer\s*\{\s*display:\s*none", rise_css)
    assert "slides/" in (ROOT / ".gitignore").read_text().split()


def test_readme_gives_the_slide_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- slides-command -->\s*```bash\n(.+?)\n```", readme)
    assert match and match.group(1) == ".venv/bin/python instructor/make_slides.py"
