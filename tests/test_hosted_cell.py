"""Every lesson notebook starts with the hosted-notebook cell of CONTRIBUTING.md ("Hosted notebooks"), so that it runs
in Colab with nothing else to do. (That the cell installs the package when it is missing and does nothing when it is
present is tested in a fresh environment by tests/test_wheel.py.)"""
import re
from pathlib import Path
import nbformat, pytest

ROOT = Path(__file__).resolve().parent.parent


def hosted_cell() -> str:
    section = (ROOT/"CONTRIBUTING.md").read_text(encoding="utf-8").split("## Hosted notebooks", 1)[1]
    return re.search(r"```python\n(.*?)\n```", section, re.S).group(1)


def first_code_cell(nb):
    "The first code cell that runs code: a cell of nbdev directives only (`#| default_exp mlp`) runs nothing."
    for c in nb.cells:
        if c.cell_type != "code": continue
        if all(re.match(r"\s*#\|", l) for l in c.source.strip().splitlines()): continue
        return c


def test_contract_cell_is_the_one_documented():
    cell = hosted_cell()
    assert cell.startswith("#| hide\n") and 'find_spec("backprop_course") is None' in cell and "BACKPROP_COURSE_SOURCE" in cell
    compile(cell, "<hosted cell>", "exec")


@pytest.mark.parametrize("nb_path", sorted((ROOT/"nbs").glob("[0-9]*.ipynb")), ids=lambda p: p.name)
def test_lesson_starts_with_the_hosted_cell(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    cell = first_code_cell(nb)
    if cell is None: return                     # a page of prose only (the notation page) runs nothing, so needs nothing
    assert cell.source == hosted_cell(), \
        f"{nb_path.name}: the first code cell must be exactly the hosted-notebook cell of CONTRIBUTING.md, found:\n{cell and cell.source}"


def test_lesson_pages_link_to_colab():
    "Each lesson page's run-it-yourself note opens that notebook in Colab (tools/build_docs.py)."
    import importlib.util
    pytest.importorskip("tomllib", reason="tools/build_docs.py needs Python >= 3.11")
    spec = importlib.util.spec_from_file_location("build_docs", ROOT/"tools"/"build_docs.py")
    bd = importlib.util.module_from_spec(spec); spec.loader.exec_module(bd)
    site = bd.Site()
    note = site.run_note({"source": "01_neuron.ipynb"})
    assert "[Open it in Colab](https://colab.research.google.com/github/backprop-course/backprop_course/blob/main/nbs/01_neuron.ipynb)" in note, note
