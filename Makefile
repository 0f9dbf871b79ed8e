# Two commands from a fresh clone: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/trackrecord demo  # serves http://127.0.0.1:8000 until Ctrl-C; --no-serve stops after setting up

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

docs: $(STAMP)
	$(BIN)/trackrecord readme README.md

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/evaluate.py
	$(BIN)/python benchmarks/github.py
	$(BIN)/python benchmarks/refresh.py
	$(BIN)/python benchmarks/dashboard.py

clean:
	rm -rf $(VENV) var .pytest_cache
