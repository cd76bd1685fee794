"""What only a class needs, beside the course in helpers/ (which self-study never leaves).

- graded.py  graded mode on the student's side: each student's own numbers and the graded check cell
             (shipped in the student package that instructor/make_assignments.py writes);
- the instructor's side, beside it: the points nbgrader's autograde gives and its audit of submissions
  (left out of the student package).
"""
