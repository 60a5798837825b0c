"""The GitHub workflows are valid (checked against the published workflow schema, offline, with check-jsonschema from
the dev extra) and do what the README promises: the package on three systems and two Pythons, a release on a tag."""
import re, subprocess, sys
from pathlib import Path
import pytest, yaml

tomllib = pytest.importorskip("tomllib", reason="tomllib is Python >= 3.11; the workflows are checked on the newer Pythons")

ROOT = Path(__file__).resolve().parent.parent
WF = ROOT/".github"/"workflows"


def lint(paths):
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
                          capture_output=True, text=True)


def load(name):
    wf = yaml.safe_load((WF/name).read_text())
    wf["on"] = wf.pop(True, wf.get("on"))        # YAML 1.1 reads the key `on` as True
    return wf


def test_workflows_are_valid():
    r = lint(sorted(WF.glob("*.y*ml")))
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_linter_catches_a_broken_workflow(tmp_path):
    bad = tmp_path/"bad.yaml"
    bad.write_text("name: bad\non: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    step:\n      - run: echo\n")
    assert lint([bad]).returncode != 0


def test_package_tests_run_on_every_system_and_the_oldest_and_newest_python():
    job = load("test.yaml")["jobs"]["package"]
    m = job["strategy"]["matrix"]
    assert set(m["os"]) == {"ubuntu-latest", "macos-latest", "windows-latest"}
    oldest = tomllib.loads((ROOT/"pyproject.toml").read_text())["project"]["requires-python"].removeprefix(">=")
    assert oldest in m["python"] and max(m["python"], key=lambda v: tuple(map(int, v.split(".")))) != oldest, m["python"]
    steps = " ".join(s.get("run", "") for s in job["steps"])
    assert "tests/test_wheel.py" in steps and "torch==2.13.0" in steps and 'pip install -e ".[dev]"' in steps
    nb = load("test.yaml")["jobs"]["notebooks-and-site"]
    assert nb["runs-on"] == "ubuntu-latest" and any(s.get("run") == "make test" for s in nb["steps"])


def test_release_on_a_tag_checks_and_publishes_with_trusted_publishing():
    wf = load("release.yaml")
    assert wf["on"]["push"]["tags"]
    steps = " ".join(s.get("run", "") for s in wf["jobs"]["build"]["steps"])
    assert "python -m build" in steps and "twine check" in steps and "tests/test_wheel.py" in steps
    pub = wf["jobs"]["publish"]
    assert pub["permissions"] == {"id-token": "write"} and pub["needs"] == "build"
    assert any(s.get("uses", "").startswith("pypa/gh-action-pypi-publish@") for s in pub["steps"])
    assert "password" not in (WF/"release.yaml").read_text()          # trusted publishing: no token


def test_one_version_number():
    "The version lives in backprop_course/__init__.py only; pyproject.toml reads it from there."
    pp = tomllib.loads((ROOT/"pyproject.toml").read_text())
    assert "version" in pp["project"]["dynamic"] and "version" not in pp["project"]
    assert pp["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "backprop_course.__version__"}
    assert re.fullmatch(r'__version__ = "\d+\.\d+\.\d+"\n', (ROOT/"backprop_course"/"__init__.py").read_text())
