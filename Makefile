# The two commands: `make demo` and `make test`. Everything else here serves them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# BSI's CSAF validator (npm) for the CSAF tests; `npm ci` installs exactly the lock file.
CSAF_VALIDATOR := tools/csaf-validator
CSAF_STAMP := $(CSAF_VALIDATOR)/node_modules/.package-lock.json

.PHONY: demo test install lint typecheck pytest lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

$(CSAF_STAMP): $(CSAF_VALIDATOR)/package.json $(CSAF_VALIDATOR)/package-lock.json
	cd $(CSAF_VALIDATOR) && npm ci --no-audit --no-fund
	touch $(CSAF_STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	KIR_INSECURE_TEST_KEY=1 $(BIN)/mypy src

pytest: $(STAMP) $(CSAF_STAMP)
	@test -x /usr/bin/chromium || scripts/install_chromium.sh
	@command -v java >/dev/null || scripts/install_java.sh
	$(BIN)/python scripts/run_tests.py

test: lint typecheck pytest

# Regenerate the lock after changing dependencies in pyproject.toml.
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var/test-* $(CSAF_VALIDATOR)/node_modules
