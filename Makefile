# Linli: the two commands are `make run` and `make test`. Everything they need is installed from here.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench eval install browser pgclient clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Debian's chromium for the back-office browser tests; never `playwright install` (it downloads a browser).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: run 'apt-get install -y chromium' as root"; fi; \
	fi

# Debian's postgresql-client for backups of PostgreSQL (pg_dump, pg_restore) and their tests.
pgclient:
	@if ! command -v pg_dump >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null; \
	  else echo "pg_dump is missing: run 'apt-get install -y postgresql-client' as root"; fi; \
	fi

run: $(STAMP)
	$(BIN)/linli db upgrade
	$(BIN)/linli demo
	$(BIN)/linli serve

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) browser pgclient
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python benchmarks/webhook.py
	$(BIN)/python benchmarks/retrieval.py
	$(BIN)/python benchmarks/duplicates.py
	$(BIN)/python benchmarks/backoffice.py
	$(BIN)/python benchmarks/routing.py

# The FAQ assistant's figures: each blind community imported into a fresh scope, its questions asked, everything fitted
# leave-one-community-out, beside the two baselines (plain e5 nearest question; jieba BM25) in the same run.
eval: $(STAMP)
	$(BIN)/linli kb eval-communities
	$(BIN)/python -m linli.eval_conversations $(addprefix bot/eval/conversations/,dev.jsonl holdout.jsonl \
	  holdout2.jsonl dev3.jsonl holdout3a.jsonl holdout3b.jsonl holdout4a.jsonl holdout4b.jsonl holdout5a.jsonl \
	  holdout5b.jsonl holdout6a.jsonl holdout6b.jsonl holdout7a.jsonl holdout7b.jsonl holdout8a.jsonl holdout8b.jsonl \
	  holdout9a.jsonl holdout9b.jsonl holdout10a.jsonl holdout10b.jsonl holdout11a.jsonl holdout11b.jsonl \
	  holdout12a.jsonl holdout12b.jsonl holdout13a.jsonl holdout13b.jsonl)

clean:
	rm -rf $(VENV) var build
