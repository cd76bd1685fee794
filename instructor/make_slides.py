"""Static slide decks: every notebook as reveal.js HTML (nbconvert's slides exporter), with the speaker notes.

    .venv/bin/python instructor/make_slides.py [NOTEBOOK ...] [--execute] [--out slides]

The notebooks carry no speaker notes (a learner alone never meets one); docs/speaker_notes.md holds them, each
under a heading that names the cell it follows. This script puts each note back, as a slide_type "notes" cell
after that cell, in a copy of the notebook, and converts the copy with nbconvert's SlidesExporter (the exporter
behind `jupyter nbconvert --to slides`): the notes become reveal.js speaker notes (press S in the deck).
--execute runs each notebook first (its folder as working directory), so that figures and printed numbers are
on the slides (all seven: 81 s on a busy 2-core machine). With HOW_FILTERS_LEARN_PROJECTOR=1 in the environment
the figures get projector-size type (see helpers/widgets/projector.py). The decks load reveal.js from unpkg.com,
so they need a network connection when opened; `slides/` is gitignored.
"""
import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "docs" / "speaker_notes.md"
NOTE_HEADING = re.compile(r"^### (\d\d) · after cell `([^`]+)`.*$", re.MULTILINE)


def speaker_notes(path=NOTES):
    """{notebook number "01": [(cell id, note text), …]} from docs/speaker_notes.md, in the file's order."""
    text = path.read_text(encoding="utf-8")
    headings = list(NOTE_HEADING.finditer(text))
    notes = {}
    for heading, following in zip(headings, headings[1:] + [None], strict=True):
        body = text[heading.end():following.start() if following else len(text)]
        body = re.split(r"^## ", body, flags=re.MULTILINE)[0].strip()   # a note ends at the next notebook's heading
        notes.setdefault(heading.group(1), []).append((heading.group(2), body))
    return notes


def with_notes(nb, notes):
    """nb with a markdown "notes" cell after each cell named in notes; ValueError naming a cell id not found."""
    ids = [cell.get("id") for cell in nb.cells]
    for cell_id, text in reversed(notes):
        if cell_id not in ids:
            raise ValueError(f"docs/speaker_notes.md: a note follows cell {cell_id!r}, which the notebook "
                             "no longer has")
        note = nbformat.v4.new_markdown_cell(text, id=f"note-after-{cell_id}"[:64],
                                             metadata={"slideshow": {"slide_type": "notes"}})
        nb.cells.insert(ids.index(cell_id) + 1, note)
    return nb


def build(notebook, out, execute=False, notes=None):
    """Write out/<stem>.slides.html for notebook (a Path); return its path."""
    nb = nbformat.read(notebook, as_version=4)
    nb = with_notes(nb, (speaker_notes() if notes is None else notes).get(notebook.name[:2], []))
    if execute:
        ExecutePreprocessor(timeout=600).preprocess(nb, {"metadata": {"path": str(notebook.parent)}})
    html, _ = SlidesExporter().from_notebook_node(nb)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{notebook.stem}.slides.html"
    target.write_text(html, encoding="utf-8")
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in notebooks/")
    parser.add_argument("--execute", action="store_true", help="run each notebook first, outputs on the slides")
    parser.add_argument("--out", type=Path, default=ROOT / "slides", help="folder for the decks (default: slides/)")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    notes = speaker_notes()
    for notebook in notebooks:
        target = build(notebook.resolve(), args.out, args.execute, notes)
        print(f"{target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target}: "
              f"{len(notes.get(notebook.name[:2], []))} speaker note(s)")


if __name__ == "__main__":
    sys.exit(main())
