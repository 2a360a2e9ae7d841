# patnav — two commands set everything up on a fresh machine:
#   make demo   environment + real data loaded + summary printed
#   make test   environment + the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= $(if $(PATNAV_DEMO_DATA),$(PATNAV_DEMO_DATA),../shared/data)
CORPUS ?= $(if $(PATNAV_CORPUS),$(PATNAV_CORPUS),var/corpus)
export PATNAV_CORPUS := $(CORPUS)

.PHONY: env demo test lint bench system-deps clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[spark,dev]'
	touch $@

env: $(VENV)/.installed

# Debian packages the Spark engine needs (Java); installed only where missing and when we may (root).
system-deps:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; \
	  else echo "note: Java not found; the Spark engine will be unavailable (install openjdk-17-jre-headless)"; fi; }

demo: env system-deps
	@echo "== loading $(DATA) into $(CORPUS)"
	$(BIN)/patnav ingest "$(DATA)" --corpus "$(CORPUS)"
	$(BIN)/patnav corpus stats --by country --corpus "$(CORPUS)"
	$(BIN)/patnav corpus stats --by source --corpus "$(CORPUS)"

test: env
	$(BIN)/pytest -q

lint: env
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: env
	$(BIN)/python bench/ingest.py

clean:
	rm -rf var .pytest_cache .ruff_cache
