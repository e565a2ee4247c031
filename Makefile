# Entry points for a fresh clone: `make tour` (install, then the guided tour), `make serve` (the playground)
# and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: install tour serve test lint bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# The CPU build of PyTorch first: a plain `torch` requirement would pull a multi-GB CUDA build.
	$(PIP) install -q torch==2.13.0
	# The ray extra too: the Ray backend's tests run a small cluster on this machine.
	$(PIP) install -q -e '.[test,ray]'
	touch $@

install: $(VENV)/.installed

tour: install
	$(VENV)/bin/actlab tour --out actlab-report

serve: install
	$(VENV)/bin/actlab serve --open

# The checks, cheapest first: lint, format, types (mypy, [tool.mypy]), the layers contract (import-linter,
# [tool.importlinter]: a lower layer never imports a higher one), then the tests (doctests included).
test: install
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks
	$(PY) -m mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/run_all.py
