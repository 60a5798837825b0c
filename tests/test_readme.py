"README.md is generated from nbs/index.ipynb and must match it; it states the two commands CI and learners use."
import importlib.util, re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT/"tools"/f"{name}.py")
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod

def test_readme_in_sync_with_index():
    assert (ROOT/"README.md").read_text(encoding="utf-8") == load_tool("make_readme").render_readme(), \
        "README.md is out of date with nbs/index.ipynb: run `make readme` and commit it."

def test_readme_commands_are_what_ci_runs():
    readme = (ROOT/"README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    commands = [l.strip() for b in blocks for l in b.splitlines() if l.strip()]
    assert "make lab" in commands and "make test" in commands, commands
    assert re.search(r"^\s*make test\s*$", (ROOT/".ci"/"run").read_text(encoding="utf-8"), re.M), ".ci/run must run the README's test command"

def test_readme_links_resolve():
    readme = (ROOT/"README.md").read_text(encoding="utf-8")
    for link in re.findall(r"\]\((nbs/[^)]+)\)", readme): assert (ROOT/link).exists(), link

def test_nbdev3_layout():
    assert not (ROOT/"settings.ini").exists(), "nbdev 3 keeps its settings in pyproject.toml and refuses settings.ini"
    assert "[tool.nbdev]" in (ROOT/"pyproject.toml").read_text()

COLAB = "https://colab.research.google.com/github/backprop-course/backprop_course/blob/main/nbs/"

def test_readme_lists_every_lesson_with_a_colab_link():
    readme = (ROOT/"README.md").read_text(encoding="utf-8")
    for nb in sorted((ROOT/"nbs").glob("[0-9]*.ipynb")):
        assert f"](nbs/{nb.name})" in readme, f"README's lesson table does not list {nb.name}"
        assert f"]({COLAB}{nb.name})" in readme, f"README: no Open-in-Colab link for {nb.name}"

def test_readme_gives_the_plain_commands_for_every_system():
    "Next to `make lab` / `make test`: the venv, the torch pin of the Makefile, the editable install, JupyterLab, the tests."
    readme = (ROOT/"README.md").read_text(encoding="utf-8")
    pin = re.search(r"pip install (torch==[\w.]+)", (ROOT/"Makefile").read_text()).group(1)
    bash = [l.strip() for b in re.findall(r"```bash\n(.*?)```", readme, re.S) for l in b.splitlines()]
    ps = [l.strip() for b in re.findall(r"```powershell\n(.*?)```", readme, re.S) for l in b.splitlines()]
    for cmds in (bash, ps):
        for want in [f"pip install {pin}", 'pip install -e ".[dev]"', "jupyter lab --notebook-dir=nbs"]:
            assert want in cmds, f"README: `{want}` missing from {cmds}"
    assert "python3 -m venv .venv" in bash and "py -m venv .venv" in ps and r".venv\Scripts\Activate.ps1" in ps
    assert "pytest" in bash and any(c.startswith("nbdev-test") for c in bash)

def test_lesson_times_in_the_table_come_from_the_tool(tmp_path):
    "The README's 'time' column is what tools/lesson_times.py recorded, for every page; no page claims a time by hand."
    import json, shutil
    lt = load_tool("lesson_times")
    record = json.loads((ROOT/"tools"/"lesson_times.json").read_text())
    pages = [p.stem for p in lt.pages()]
    assert set(record["pages"]) == set(pages), f"pages not measured: {sorted(set(pages) - set(record['pages']))}; run tools/lesson_times.py"
    index = tmp_path/"index.ipynb"; shutil.copy(ROOT/"nbs"/"index.ipynb", index)
    lt.write_table(record, index)
    assert index.read_text(encoding="utf-8") == (ROOT/"nbs"/"index.ipynb").read_text(encoding="utf-8"), \
        "the lesson table's times differ from tools/lesson_times.json: run `python tools/lesson_times.py --table-only`"
    readme = (ROOT/"README.md").read_text(encoding="utf-8")
    assert "well under a minute" not in readme and "(not measured)" not in readme

def test_every_lesson_runs_in_a_minute():
    "Lessons 00-05, as a learner opens them: at most 60 s on a quiet 2-core machine, 120 s beside a busy process."
    import json
    record = json.loads((ROOT/"tools"/"lesson_times.json").read_text())
    slow = {k: (v["quiet"]["seconds"], v.get("busy", {}).get("seconds")) for k, v in record["pages"].items()
            if re.match(r"0[0-5]", k) and (v["quiet"]["seconds"] > 60 or v.get("busy", {}).get("seconds", 0) > 120 or "busy" not in v)}
    assert not slow, f"lessons over a minute (quiet, busy seconds): {slow}"
