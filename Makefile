# Every target works on a fresh machine: `make test` and `make run` create the virtualenv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup node-deps codegen check-codegen vectors lint ruff-check format-check typecheck test test-node conformance-node run bench bench-node clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The SDK's ABI, and the host-runtime example's own host function (generated on top of it).
EXTENSIONS := examples/host_runtime/codegen.toml

# The Node host's packages (protoc-gen-es for codegen, jco and the protobuf runtime for the host),
# exactly as package-lock.json pins them; reinstalled when the lockfile changes.
NODE_HOST  := hosts/node
NODE_STAMP := $(NODE_HOST)/node_modules/.installed

node-deps: $(NODE_STAMP)

$(NODE_STAMP): $(NODE_HOST)/package.json $(NODE_HOST)/package-lock.json
	cd $(NODE_HOST) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

codegen: $(STAMP) $(NODE_STAMP)
	for config in pyproject.toml $(EXTENSIONS); do $(BIN)/reglet-sdk codegen --config $$config || exit 1; done

check-codegen: $(STAMP) $(NODE_STAMP)
	for config in pyproject.toml $(EXTENSIONS); do $(BIN)/reglet-sdk codegen --config $$config --check || exit 1; done

# The ABI round-trip vectors of the conformance suite (conformance/vectors); tests fail when stale.
vectors: $(STAMP)
	$(BIN)/python -m conformance.export_vectors

LINT_PATHS := reglet_sdk codegen tests examples benchmarks conformance

lint: ruff-check format-check

ruff-check: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)

format-check: $(STAMP)
	$(BIN)/ruff format --check $(LINT_PATHS)

# Each plugin folder (examples/*/, tests/plugins/*/, tests/*/plugins/*/) is checked on its own: every one
# has its own module named plugin. The tests import the host-runtime example's generated kvdemo_abi.
# (pyproject.toml's mypy `exclude` keeps test plugin folders out of the `tests` run, so their files are named.)
typecheck: $(STAMP)
	MYPYPATH=examples/host_runtime/generated/python $(BIN)/mypy reglet_sdk codegen benchmarks examples/run.py tests conformance
	for folder in examples/*/; do MYPYPATH=generated/python:$${folder}generated/python $(BIN)/mypy "$$folder" || exit 1; done
	for folder in tests/plugins/*/ tests/*/plugins/*/; do \
		[ -d "$$folder" ] || continue; \
		$(BIN)/mypy $$(find "$$folder" -name '*.py' | sort) || exit 1; \
	done

# The README's test command: everything CI runs.
test: $(STAMP) check-codegen lint typecheck test-node conformance-node
	$(BIN)/python -m pytest -n 2

# The Node host's own tests (node --test), against components built by this checkout's SDK.
test-node: $(STAMP) $(NODE_STAMP)
	cd $(NODE_HOST) && PATH="$(CURDIR)/$(BIN):$$PATH" npm test --silent

# The host conformance suite (conformance/cases) against the Node host; the Python runner is part of
# pytest (tests/conformance/test_host_conformance.py). Both start `python -m conformance.serve`.
conformance-node: $(STAMP) $(NODE_STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" node --import ./conformance/runners/node/setup.mjs --test conformance/runners/node/

# The README's main job: build the example plugins and run them.
run: $(STAMP)
	$(BIN)/python examples/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build $(NODE_HOST)/node_modules

# Benchmarks: measurements next to a floor timed in the same run (not part of `make test`).
bench: $(STAMP)
	$(BIN)/python -m benchmarks

# The Node host next to the Python host: first transpile, cached load, one check (same run).
bench-node: $(STAMP) $(NODE_STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" node $(NODE_HOST)/bench/compare.mjs
