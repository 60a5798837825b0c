# One entry point for learners, maintainers and CI. Every target sets up .venv first if needed.
PY      := .venv/bin/python
BIN     := .venv/bin
STAMP   := .venv/.installed
PORT    ?= 8888
# extra JupyterLab options, e.g. LAB_ARGS=--no-browser; --allow-root is added when run as root (containers, CI)
LAB_ARGS ?=
ROOT_ARG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test nbtest pytest sync docs readme workflows clean-venv

# Create the virtual environment and install the course. torch is pinned and installed first, so that the rest
# does not pull the newest torch. On Linux, PyPI's torch is a multi-GB CUDA build: for the CPU build, run e.g.
# `make lab TORCH_ARGS="--index-url https://download.pytorch.org/whl/cpu"` (CI sets PIP_EXTRA_INDEX_URL instead).
TORCH_ARGS ?=
$(STAMP): pyproject.toml
	python3 -m venv .venv
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install torch==2.13.0 $(TORCH_ARGS)
	$(BIN)/pip install -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (backprop_course)"
	touch $(STAMP)

## make lab: set up and open the course in JupyterLab
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=nbs --ip=127.0.0.1 --port=$(PORT) $(ROOT_ARG) $(LAB_ARGS)

## make test: set up and run the whole test suite (every notebook, then the project checks)
# Two notebooks run at once, one per core: each gets one OpenMP thread, since threads spin-waiting for a core that
# the other notebook holds made a 20 s lesson take minutes. The lessons themselves never set thread counts.
test: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/nbdev-test --n-workers 2 --do-print --timing
	$(BIN)/pytest -v

## make sync: regenerate the package and clean the notebooks; fails if anything changed
sync: $(STAMP)
	$(BIN)/nbdev-export
	$(BIN)/nbdev-clean
	git diff --exit-code
	test -z "$$(git status --porcelain)" || { git status --porcelain; echo "nbdev-export/nbdev-clean changed or created files: commit them"; exit 1; }

## make readme: regenerate README.md from nbs/index.ipynb
readme: $(STAMP)
	$(PY) tools/make_readme.py

## make docs: build the documentation site into _docs/
docs: $(STAMP)
	$(PY) tools/build_docs.py

## make workflows: validate .github/workflows against the GitHub workflow schema and audit them with zizmor, offline
## (both also run by pytest, tests/test_workflows.py)
workflows: $(STAMP)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yaml
	$(BIN)/zizmor --offline .github/workflows/

clean-venv:
	rm -rf .venv
