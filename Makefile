# Every target works on a fresh machine: `make test` and `make run` create the virtualenv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup codegen check-codegen lint ruff-check format-check typecheck test run bench clean

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

LINT_PATHS := reglet_sdk codegen tests examples benchmarks

lint: ruff-check format-check

ruff-check: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)

format-check: $(STAMP)
	$(BIN)/ruff format --check $(LINT_PATHS)

# Each plugin folder (examples/*/, tests/plugins/*/, tests/*/plugins/*/) is checked on its own: every one
# has its own module named plugin. The tests import the host-runtime example's generated kvdemo_abi.
# (pyproject.toml's mypy `exclude` keeps test plugin folders out of the `tests` run, so their files are named.)
typecheck: $(STAMP)
	MYPYPATH=examples/host_runtime/generated/python $(BIN)/mypy reglet_sdk codegen benchmarks examples/run.py tests
	for folder in examples/*/; do MYPYPATH=generated/python:$${folder}generated/python $(BIN)/mypy "$$folder" || exit 1; done
	for folder in tests/plugins/*/ tests/*/plugins/*/; do \
		[ -d "$$folder" ] || continue; \
		$(BIN)/mypy $$(find "$$folder" -name '*.py' | sort) || exit 1; \
	done

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
