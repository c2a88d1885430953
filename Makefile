# Two commands do all set-up: `make run` and `make test` (each builds .venv on first use).
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-all app clean

$(STAMP): pyproject.toml
	@PY=$$(./scripts/find-python) || exit 1; \
	echo "creating $(VENV) with $$PY"; \
	"$$PY" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: $(STAMP)  ## the main job on the embedded default district; extra Hydra overrides via ARGS="..."
	$(BIN)/python -m experiments.run $(ARGS)

LINT = $(BIN)/ruff check sim experiments benchmarks tests hydra_plugins
PYTEST = $(BIN)/python -m pytest -n 2 --dist loadfile  # two workers; a file's tests stay together

test: $(STAMP)  ## the test suite but its slow statistical and full-district tests (ruff first)
	$(LINT)
	$(PYTEST) -m "not slow" $(ARGS)

test-all: $(STAMP)  ## every test, the slow ones too (what CI runs)
	$(LINT)
	$(PYTEST) $(ARGS)

APP_HOST ?= 127.0.0.1
APP_PORT ?= 8765
app: $(STAMP)  ## the planner's dashboard on http://127.0.0.1:8765 (this machine only); settings via APP_ARGS="scale=0.05"
	RELAPSE_APP_ARGS="$(APP_ARGS)" SOLARA_TELEMETRY_MIXPANEL_ENABLE=False \
	  $(BIN)/solara run sim.app.page --host $(APP_HOST) --port $(APP_PORT) --production

clean:
	rm -rf $(VENV) outputs .pytest_cache
