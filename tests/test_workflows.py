"""The GitHub workflows are valid (checked against the published workflow schema, offline, with check-jsonschema from
the dev extra), do what the README promises (the package on three systems and two Pythons, a release on a tag), and
pass a security audit (zizmor from the dev extra, offline): every action pinned to a commit, no permissions beyond what
each job uses, no credentials left in the checkouts. The release workflow publishes to PyPI with trusted publishing, so
whoever can change what it runs can publish in the course's name."""
import json, re, shutil, subprocess, sys, sysconfig
from pathlib import Path
import pytest, yaml

tomllib = pytest.importorskip("tomllib", reason="tomllib is Python >= 3.11; the workflows are checked on the newer Pythons")

ROOT = Path(__file__).resolve().parent.parent
WF = ROOT/".github"/"workflows"


def lint(paths):
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
                          capture_output=True, text=True)


def zizmor(*args):
    "Run zizmor (from the dev extra: next to this Python, else on PATH) offline; returns the CompletedProcess."
    exe = shutil.which("zizmor", path=sysconfig.get_path("scripts")) or shutil.which("zizmor")
    assert exe, "zizmor is not installed: it comes with the dev extra, `pip install -e \".[dev]\"`"
    return subprocess.run([exe, "--offline", "--no-progress", "--color=never", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT)


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


# The security audit. zizmor's exit code is 0 only when it has nothing to report (10-14 for findings, by severity;
# 1 for an error), so any finding, or a zizmor that cannot read the workflows, fails the test.

def test_zizmor_finds_nothing():
    r = zizmor(WF.relative_to(ROOT))
    assert r.returncode == 0, f"zizmor --offline .github/workflows/ (exit {r.returncode}):\n{r.stdout}\n{r.stderr}"


def test_the_audit_catches_an_unpinned_action_and_persisted_credentials(tmp_path):
    bad = tmp_path/"bad.yaml"
    bad.write_text("name: bad\non: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - uses: actions/checkout@v4\n      - uses: actions/upload-artifact@v4\n"
                   "        with:\n          name: all\n          path: .\n")
    r = zizmor("--no-config", "--format=json", bad)
    assert r.returncode >= 10, (r.returncode, r.stdout, r.stderr)
    found = {f["ident"] for f in json.loads(r.stdout)}
    assert {"unpinned-uses", "artipacked", "excessive-permissions"} <= found, found


# The same properties, checked directly (so that a weakened zizmor default could not hide them).

def workflows(): return {p.name: load(p.name) for p in sorted(WF.glob("*.y*ml"))}

def steps(wf): return [(job, s) for job, j in wf["jobs"].items() for s in j.get("steps", [])]


def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment():
    pins = {}
    for p in sorted(WF.glob("*.y*ml")):
        lines = [l for l in p.read_text().splitlines() if re.match(r"\s*(- )?uses:", l)]
        used = [s["uses"] for job, j in load(p.name)["jobs"].items() for s in [j, *j.get("steps", [])] if "uses" in s]
        assert len(lines) == len(used) > 0, (p.name, lines, used)
        for l in lines:
            m = re.fullmatch(r"\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)", l)
            assert m, f"{p.name}: not `uses: owner/repo@<40-hex commit> # vX.Y.Z`: {l.strip()}"
            pins.setdefault(m[1], set()).add((m[2], m[3]))
    assert all(len(v) == 1 for v in pins.values()), f"one action pinned to different commits: {pins}"


def test_no_permissions_at_the_workflow_level_and_each_job_asks_for_what_it_uses():
    writes = set()
    for name, wf in workflows().items():
        assert wf.get("permissions") == {}, f"{name}: the workflow must set `permissions: {{}}`"
        for job, j in wf["jobs"].items():
            perms = j.get("permissions")
            assert isinstance(perms, dict), f"{name} {job}: no job-level permissions"
            assert set(perms.values()) <= {"read", "write"}, (name, job, perms)
            if any(s.get("uses", "").startswith("actions/checkout@") for s in j.get("steps", [])):
                assert perms.get("contents") == "read", (name, job, perms)
            writes |= {(name, job, k) for k, v in perms.items() if v == "write"}
    assert writes == {("release.yaml", "publish", "id-token"),                 # trusted publishing to PyPI
                      ("deploy.yaml", "deploy", "pages"), ("deploy.yaml", "deploy", "id-token")}, writes


def test_no_checkout_persists_its_credentials():
    checkouts = [(name, job, s) for name, wf in workflows().items() for job, s in steps(wf)
                 if s.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) >= 4
    for name, job, s in checkouts:                      # no workflow pushes, so none needs the token in .git/config
        assert s.get("with", {}).get("persist-credentials") is False, (name, job, s)
