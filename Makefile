# Every target works on a fresh machine: `make test` and `make run` create the virtualenv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup codegen check-codegen lint typecheck test run bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The SDK's ABI, and the host-runtime example's own host function (generated on top of it).
EXTENSIONS := examples/host_runtime/codegen.toml

codegen: $(STAMP)
	for config in pyproject.toml $(EXTENSIONS); do $(BIN)/reglet-sdk codegen --config $$config || exit 1; done

check-codegen: $(STAMP)
	for config in pyproject.toml $(EXTENSIONS); do $(BIN)/reglet-sdk codegen --config $$config --check || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check reglet_sdk codegen tests examples benchmarks
	$(BIN)/ruff format --check reglet_sdk codegen tests examples benchmarks

# Each example folder is checked on its own: every plugin folder has its own plugin.py.
typecheck: $(STAMP)
	$(BIN)/mypy reglet_sdk benchmarks examples/run.py
	for folder in examples/*/; do MYPYPATH=generated/python:$${folder}generated/python $(BIN)/mypy "$$folder" || exit 1; done

# The README's test command: everything CI runs.
test: $(STAMP) check-codegen lint typecheck
	$(BIN)/python -m pytest -n 2

# The README's main job: build the example plugins and run them.
run: $(STAMP)
	$(BIN)/python examples/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build

# Benchmarks: measurements next to a floor timed in the same run (not part of `make test`).
bench: $(STAMP)
	$(BIN)/python -m benchmarks
