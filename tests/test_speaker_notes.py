"""Self-study and lecture are two modes of the same notebooks: a learner alone meets no speaker note and no
lecture plan. Those live in docs/speaker_notes.md and docs/instructor_guide.md; instructor/make_slides.py puts the
notes into the slide decks (tests/test_slides.py)."""
import re

import pytest
from conftest import NOTEBOOKS, load_notebook, notebook_ids

INSTRUCTOR_TEXT = re.compile(r"speaker notes?\b|plan for an? .{0,40}lecture|\b\d+[- ]minute (lecture|session)",
                             re.IGNORECASE)


def instructor_cells(notebook):
    """(index, why) of every cell that speaks to an instructor rather than to the learner."""
    found = []
    for index, cell in enumerate(notebook["cells"]):
        if cell.get("metadata", {}).get("slideshow", {}).get("slide_type") == "notes":
            found.append((index, "slide_type notes"))
        elif cell["cell_type"] == "markdown" and (match := INSTRUCTOR_TEXT.search("".join(cell["source"]))):
            found.append((index, repr(match.group(0))))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_ids())
def test_no_notebook_shows_a_speaker_note_or_a_lecture_plan(path):
    found = instructor_cells(load_notebook(path))
    assert not found, f"{path.name}: cells for the instructor, not the learner (move them to docs/speaker_notes.md " \
                      f"or the instructor guide): {found}"


@pytest.mark.parametrize("text", ["Speaker notes: ask the room first.", "Plan for a 40-minute lecture: 1–3 live.",
                                  "A 120-minute session:"])
def test_the_detector_finds_instructor_text(text):
    def markdown(slide_type, source):
        return {"cell_type": "markdown", "metadata": {"slideshow": {"slide_type": slide_type}}, "source": [source]}
    notebook = {"cells": [markdown("-", text), markdown("notes", "x")]}
    assert [why != "slide_type notes" for _, why in instructor_cells(notebook)] == [True, False]
