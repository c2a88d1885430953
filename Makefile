# Two commands do all set-up: `make run` and `make test` (each builds .venv on first use).
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint clean

$(STAMP): pyproject.toml
	@PY=$$(./scripts/find-python) || exit 1; \
	echo "creating $(VENV) with $$PY"; \
	"$$PY" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: $(STAMP)  ## the main job on the embedded default district; extra Hydra overrides via ARGS="..."
	$(BIN)/python -m experiments.run $(ARGS)

test: $(STAMP)  ## the whole test suite (ruff first)
	$(BIN)/ruff check sim experiments benchmarks tests
	$(BIN)/python -m pytest $(ARGS)

clean:
	rm -rf $(VENV) outputs .pytest_cache
