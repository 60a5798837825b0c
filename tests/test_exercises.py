"""Every exercise check of the course is proven both ways, and every lesson runs as a learner would run it:
once with its exercise stubs untouched (the committed outputs say "not attempted") and once with each stub replaced
by the reference answer (every check then says "right")."""
import re
from pathlib import Path

import nbformat, pytest
from nbclient import NotebookClient

from backprop_course.exercises import exercise, exercises, prove

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT/'nbs').glob('0[1-9]_*.ipynb'))
MARK = re.compile(r'^# Exercise (\S+): your answer\s*$', re.M)
ALL = exercises()


def lesson_module(nb) -> str:
    "The module a lesson exports to (its `#| default_exp`)."
    for c in nb.cells:
        if c.cell_type == 'code' and (m := re.search(r'^#\|\s*default_exp\s+(\S+)', c.source, re.M)): return m.group(1)
    return ''


def stub_cells(nb) -> dict:
    "{exercise name: cell index} of the learner's cells, found by their first line."
    out = {}
    for i, c in enumerate(nb.cells):
        if c.cell_type == 'code' and (m := MARK.match(c.source)): out[m.group(1)] = i
    return out


def text_of(cell) -> str:
    "Everything a code cell printed or displayed as text."
    parts = []
    for o in cell.get('outputs', []):
        if 'text' in o: parts.append(o['text'])
        parts.append(str(o.get('data', {}).get('text/plain', '')))
    return ''.join(parts)


def lessons_with_exercises():
    return [p for p in LESSONS if stub_cells(nbformat.read(p, as_version=4)) or lesson_module(nbformat.read(p, as_version=4))
            in {e.name.split('.')[0] for e in ALL}]


def test_every_lesson_has_exercises():
    lessons = [p for p in LESSONS if re.match(r'0[1-5]_', p.name) and 'appendix' not in p.name]
    assert len(lessons) == 5, lessons
    for p in lessons:
        nb = nbformat.read(p, as_version=4)
        mod, stubs = lesson_module(nb), stub_cells(nb)
        registered = {e.name for e in exercises(mod)}
        assert len(stubs) >= 4, f'{p.name}: {len(stubs)} exercise cells, at least 4 expected'
        assert set(stubs) == registered, f'{p.name}: stubs {sorted(stubs)} but registered exercises {sorted(registered)}'


@pytest.mark.parametrize('ex', ALL, ids=lambda e: e.name)
def test_check_is_proven_both_ways(ex):
    "The check accepts its reference, rejects every plausible wrong answer (at least two) and calls a stub 'not attempted'."
    prove(ex)


@pytest.mark.parametrize('path', lessons_with_exercises(), ids=lambda p: p.name)
def test_committed_lesson_shows_untouched_exercises(path):
    "The committed, executed lesson shows each stub as 'not attempted' (the learner's starting point) and a solution toggle."
    nb = nbformat.read(path, as_version=4)
    for name, i in stub_cells(nb).items():
        assert 'raise NotImplementedError' in nb.cells[i].source, f'{path.name}: {name} is not a stub'
        later = nb.cells[i + 1:]
        checks = [c for c in later if c.cell_type == 'code' and f"check('{name}'" in c.source]
        assert checks, f"{path.name}: no check('{name}', ...) cell after the stub"
        assert f'{name}: not attempted' in text_of(checks[0]), f'{path.name}: the saved check of {name} does not say "not attempted"'
        assert any(f"solution('{name}')" in c.source for c in later if c.cell_type == 'code'), f'{path.name}: no solution toggle for {name}'


@pytest.mark.parametrize('path', lessons_with_exercises(), ids=lambda p: p.name)
def test_lesson_asks_before_it_tells(path):
    "The committed lesson's first check sits in its first 15% of cells, at least three before its last quarter, and each `use` fell back to the reference."
    nb = nbformat.read(path, as_version=4)
    n = len(nb.cells)
    checks = [i for i, c in enumerate(nb.cells) if c.cell_type == 'code' and 'not attempted' in text_of(c)]
    assert checks and checks[0] <= 0.15 * n, f'{path.name}: first check at cell {checks and checks[0]} of {n}: ask within the first 15%'
    assert sum(i < 0.75 * n for i in checks) >= 3, f'{path.name}: {sum(i < 0.75 * n for i in checks)} checks before the last quarter, 3 expected'
    for c in nb.cells:
        if c.cell_type == 'code' and re.search(r"= use\('", c.source):
            assert "goes on with the course's" in text_of(c), f'{path.name}: untouched, `{c.source.strip()}` should fall back to the reference'


@pytest.mark.parametrize('path', lessons_with_exercises(), ids=lambda p: p.name)
def test_lesson_runs_with_reference_answers(path):
    "Put each reference answer where the learner writes theirs, run the whole lesson, and every check says 'right'."
    nb = nbformat.read(path, as_version=4)
    stubs = stub_cells(nb)
    for name, i in stubs.items():
        nb.cells[i].source = f'# Exercise {name}: reference answer\n' + exercise(name).solution_code
    NotebookClient(nb, timeout=900, kernel_name='python3', resources={'metadata': {'path': str(ROOT/'nbs')}}).execute()
    for name, i in stubs.items():
        checks = [c for c in nb.cells[i + 1:] if c.cell_type == 'code' and f"check('{name}'" in c.source]
        assert f'{name}: right' in text_of(checks[0]), f'{path.name}: with the reference answer, {name} says: {text_of(checks[0])!r}'
    for c in nb.cells:                     # every `use` now goes on with the learner's (here: the reference's) answer
        if c.cell_type == 'code' and re.search(r"= use\('", c.source):
            assert 'goes on with your' in text_of(c), f'{path.name}: with the reference answers, `{c.source.strip()}` says {text_of(c)!r}'
