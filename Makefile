# knowme: two commands from a fresh clone.
#   make demo   set up .venv, install knowme, run the demo on the embedded default (offline)
#   make test   set up .venv, install knowme with its test tools, lint, type-check and run the tests
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck bench clean browser mailserver redis ocr

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel setuptools
	# torch first and pinned: on these machines 2.13.0 is a local CPU build; unpinned pulls GBs of CUDA.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# Federated training (knowme learn federate) uses Flower, whose release pins older fastapi/starlette/uvicorn/typer/
	# rich/protobuf than knowme runs on. Its code that knowme uses (the gRPC server and client) works with the newer
	# ones, so it is installed without its pins; `pip install knowme[federated]` is the resolver's way (docs/learning.md).
	$(BIN)/python -m pip install --quiet --no-deps 'flwr==1.42.0' 'grpcio-health-checking>=1.60' iterators tomli tomli-w
	$(BIN)/python -m pip install --quiet 'grpcio>=1.60' 'pycryptodome>=3.18' 'sqlalchemy>=2' 'alembic>=1.13'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/knowme demo

lint: install
	$(BIN)/ruff check knowme tests benchmarks tools
	$(BIN)/ruff format --check knowme tests benchmarks tools
	# the layering: import contracts in pyproject.toml (layers, store and connectors forbidden imports, no private names)
	PYTHONPATH=. $(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy

# The web page tests drive Debian's Chromium (never a browser downloaded by a test tool).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The IMAP source tests run Debian's Dovecot on 127.0.0.1 (configured and started by the test itself).
mailserver:
	@test -x /usr/sbin/dovecot || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd)

# The job tests run Debian's Redis on 127.0.0.1 (a random port, started and stopped by the tests).
redis:
	@test -x /usr/bin/redis-server || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server)

# Scanned PDF pages are read by Debian's Tesseract (knowme.connectors.ocr); the OCR tests run it.
ocr:
	@test -x /usr/bin/tesseract || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng)

test: install lint typecheck browser mailserver redis ocr
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

bench: install
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_search.py
	$(BIN)/python benchmarks/bench_graph.py
	$(BIN)/python benchmarks/bench_server.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
