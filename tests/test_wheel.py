"""The course as a learner who did not clone it gets it: build the sdist and wheel, check them with twine, install the
wheel (non-editable, with its dependencies) into a fresh virtual environment outside the repository, import every
module found in the wheel and load every offline dataset there. Then the hosted-notebook cell of CONTRIBUTING.md is
run in that environment, offline, with the built wheel as its source: it installs the package when it is missing and
does nothing when it is present.

The torch pin of the Makefile is installed first: without it pip would take the newest torch, on Linux a multi-GB CUDA
build. Set BACKPROP_COURSE_WHEEL_DIR to test wheels built elsewhere (the release workflow does) instead of building.
"""
import os, re, shutil, subprocess, sys, tempfile, time, zipfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMINGS = {}


def torch_pin() -> str:
    "The torch requirement the Makefile installs first (one pin for learners, CI and this test)."
    m = re.search(r"pip install (torch==[\w.]+)", (ROOT/"Makefile").read_text())
    assert m, "Makefile: no `pip install torch==...` line"
    return m.group(1)


def hosted_cell() -> str:
    "The hosted-notebook first cell, exactly as CONTRIBUTING.md states it."
    text = (ROOT/"CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## Hosted notebooks", 1)[1]
    return re.search(r"```python\n(.*?)\n```", section, re.S).group(1)


def run(cmd, **kw):
    "Run `cmd`; on failure show its output."
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    shown = " ".join(str(c) for c in cmd)
    shown = shown if len(shown) < 300 else shown[:300] + " ..."
    if r.returncode: pytest.fail(f"`{shown}` failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}", pytrace=False)
    return r.stdout


def venv_python(venv: Path) -> Path:
    return venv/("Scripts/python.exe" if os.name == "nt" else "bin/python")


def clean_env(**extra) -> dict:
    "The environment of a learner's shell: nothing pointing at this repository or its .venv."
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "BACKPROP_COURSE_DATA", "BACKPROP_COURSE_SOURCE")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONNOUSERSITE="1", **extra)
    return env


@pytest.fixture(scope="module")
def built():
    "(folder outside the repository, wheel, sdist, python of a fresh venv with the wheel installed)."
    work = Path(tempfile.mkdtemp(prefix="backprop_course_wheel_"))
    assert ROOT not in work.parents
    t0 = time.time()
    if os.environ.get("BACKPROP_COURSE_WHEEL_DIR"): dist = Path(os.environ["BACKPROP_COURSE_WHEEL_DIR"])
    else:
        dist = work/"dist"
        run([sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "-o", dist, ROOT], cwd=work)
    (wheel,), (sdist,) = list(dist.glob("backprop_course-*.whl")), list(dist.glob("backprop_course-*.tar.gz"))
    t1 = time.time()
    run([sys.executable, "-m", "venv", work/"venv"])
    py = venv_python(work/"venv")
    run([py, "-m", "pip", "install", "-q", torch_pin()], env=clean_env(), cwd=work)
    t2 = time.time()
    run([py, "-m", "pip", "install", "-q", wheel], env=clean_env(), cwd=work)   # with its dependencies, not editable
    t3 = time.time()
    TIMINGS.update(build=t1 - t0, venv_and_torch=t2 - t1, wheel_with_deps=t3 - t2)
    print(f"\ntimings (s): {', '.join(f'{k} {v:.1f}' for k, v in TIMINGS.items())}")
    yield work, wheel, sdist, py
    # deleting a venv with torch in it takes minutes on a slow disk: let a detached process do it
    subprocess.Popen([sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)", str(work)],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     **({"start_new_session": True} if os.name != "nt" else {}))


def test_dists_pass_twine_check(built):
    work, wheel, sdist, _ = built
    out = run([sys.executable, "-m", "twine", "check", "--strict", wheel, sdist])
    assert out.count("PASSED") == 2, out


def test_wheel_holds_every_module_and_the_data(built):
    "Every module of the source tree is in the wheel, and the CSV tables in it are the repository's data/ files."
    _, wheel, _, _ = built
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for f in ["cell_data.csv", "boston_housing.csv"]:
            assert z.read(f"backprop_course/csv/{f}") == (ROOT/"data"/f).read_bytes(), f"the wheel's {f} differs from data/{f}"
    source = {p.relative_to(ROOT).as_posix() for p in (ROOT/"backprop_course").rglob("*.py")}
    assert source <= names, f"modules missing from the wheel: {sorted(source - names)}"
    assert "backprop_course/solutions/__init__.py" in names


INSTALLED_CHECK = r'''
import importlib, os, pkgutil, sys, tempfile, shutil
from pathlib import Path
import backprop_course
pkg = Path(backprop_course.__file__).resolve().parent
assert Path(sys.prefix).resolve() in pkg.parents, f"imported from {pkg}, not from the venv"
mods = [m.name for m in pkgutil.walk_packages(backprop_course.__path__, "backprop_course.")]
for name in mods: importlib.import_module(name)
from backprop_course import data
assert not data.in_checkout() and data.data_dir() == data.PACKAGE_DATA, data.data_dir()
assert data.load_cell_data().shape == (569, 2)
assert data.load_boston().shape == (506, 14)
xt, yt, xv, yv = data.load_mnist()
assert xt.shape == (4000, 784) and xv.shape == (1000, 784)
assert data.mnist_dir() != data.PACKAGE_DATA and pkg not in data.mnist_dir().parents   # downloads never go into site-packages
other = Path(tempfile.mkdtemp())                           # BACKPROP_COURSE_DATA still overrides
os.environ["BACKPROP_COURSE_DATA"] = str(other)
try: data.load_cell_data(); raise SystemExit("an empty BACKPROP_COURSE_DATA folder was not used")
except FileNotFoundError as e: assert str(other) in str(e) and "reinstall" in str(e), e
shutil.copy(data.PACKAGE_DATA/"boston_housing.csv", other)
assert data.load_boston().shape == (506, 14)
print("MODULES", " ".join(sorted(mods)))
'''


def test_installed_wheel_imports_every_module_and_loads_the_data(built):
    work, wheel, _, py = built
    t0 = time.time()
    out = run([py, "-c", INSTALLED_CHECK], env=clean_env(), cwd=work)
    TIMINGS["import_and_load"] = time.time() - t0
    mods = set(out.split("MODULES", 1)[1].split())
    with zipfile.ZipFile(wheel) as z:
        in_wheel = {n[:-3].replace("/", ".").removesuffix(".__init__") for n in z.namelist() if n.endswith(".py")}
    assert in_wheel - {"backprop_course"} <= mods, f"modules in the wheel that were not imported: {in_wheel - mods}"
    assert {"backprop_course.data", "backprop_course.solutions"} <= mods


def test_hosted_cell_installs_when_missing_and_does_nothing_when_present(built):
    "CONTRIBUTING.md's first cell, run as a hosted notebook would, offline, with the built wheel as the source."
    work, wheel, _, py = built
    code = hosted_cell()
    probe = "import importlib.util; print(importlib.util.find_spec('backprop_course') is not None)"
    offline = dict(PIP_NO_INDEX="1", PIP_FIND_LINKS="", PIP_CONFIG_FILE=os.devnull)
    run([py, "-m", "pip", "uninstall", "-y", "-q", "backprop_course"], env=clean_env(), cwd=work)
    assert run([py, "-c", probe], env=clean_env(), cwd=work).strip() == "False"
    # missing: the cell installs it (its dependencies are already there; no index, no network)
    run([py, "-c", code + "\nimport backprop_course.data as d; print(d.load_cell_data().shape)"],
        env=clean_env(BACKPROP_COURSE_SOURCE=str(wheel), **offline), cwd=work)
    assert run([py, "-c", probe], env=clean_env(), cwd=work).strip() == "True"
    before = run([py, "-m", "pip", "freeze"], env=clean_env(), cwd=work)
    # present: the cell does nothing (a source that does not exist would make pip fail if it were called)
    run([py, "-c", code], env=clean_env(BACKPROP_COURSE_SOURCE=str(work/"no-such-source.whl"), **offline), cwd=work)
    assert run([py, "-m", "pip", "freeze"], env=clean_env(), cwd=work) == before
    # and the check of "missing" is real: with the package gone and a bad source, the cell fails loudly
    run([py, "-m", "pip", "uninstall", "-y", "-q", "backprop_course"], env=clean_env(), cwd=work)
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=work,
                       env=clean_env(BACKPROP_COURSE_SOURCE=str(work/"no-such-source.whl"), **offline))
    assert r.returncode != 0 and "CalledProcessError" in r.stderr, r.stderr[-2000:]
