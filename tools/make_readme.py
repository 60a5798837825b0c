"""Generate README.md from nbs/index.ipynb (nbdev-readme needs Quarto, which this course does without).

Usage: `make readme` (or `python tools/make_readme.py`); `--check` exits 1 if README.md is out of date.
"""
import re, sys
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter

ROOT = Path(__file__).resolve().parent.parent
HEADER = "<!-- Generated from nbs/index.ipynb by `make readme`: edit the notebook, not this file. -->\n\n"

def is_hidden(cell) -> bool:
    "True for cells nbdev keeps out of rendered pages (`#| hide`, `#| export`, `#| default_exp`)."
    first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
    return bool(re.match(r"#\|\s*(hide|export|exporti|default_exp)\b", first))

def render_readme(nb_path: Path = ROOT/"nbs"/"index.ipynb") -> str:
    "The README text for the notebook at `nb_path`: visible cells as Markdown, lesson links pointing into nbs/."
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells = [c for c in nb.cells if not is_hidden(c)]
    body, _ = MarkdownExporter().from_notebook_node(nb)
    body = re.sub(r"\]\((?!https?:|/|#)([^)]+\.ipynb)\)", r"](nbs/\1)", body)
    return HEADER + re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"

if __name__ == "__main__":
    text, readme = render_readme(), ROOT/"README.md"
    if "--check" in sys.argv:
        if readme.read_text(encoding="utf-8") != text: sys.exit("README.md is out of date: run `make readme`.")
    else: readme.write_text(text, encoding="utf-8"); print(f"wrote {readme}")
