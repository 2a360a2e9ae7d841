# patnav — two commands set everything up on a fresh machine:
#   make demo   environment + real data loaded + summary printed
#   make test   environment + the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= $(if $(PATNAV_DEMO_DATA),$(PATNAV_DEMO_DATA),../shared/data)
CORPUS ?= $(if $(PATNAV_CORPUS),$(PATNAV_CORPUS),var/corpus)
export PATNAV_CORPUS := $(CORPUS)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: env demo serve test lint bench system-deps clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[spark,dev]'
	touch $@

env: $(VENV)/.installed

# Debian packages the real parts need (Java for Spark, Chromium for report checks, poppler for PDF pages, CJK
# fonts for Chinese/Japanese PDFs); installed only where missing and when we may (root).
SYSTEM_PACKAGES := $(if $(shell command -v java),,openjdk-17-jre-headless) $(if $(shell command -v chromium),,chromium) \
  $(if $(shell command -v pdftoppm),,poppler-utils) $(if $(shell fc-list 2>/dev/null | grep -i "Noto Sans CJK"),,fonts-noto-cjk)
system-deps:
	@if [ -n "$(strip $(SYSTEM_PACKAGES))" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $(SYSTEM_PACKAGES); \
	  else echo "note: missing Debian packages: $(SYSTEM_PACKAGES) (Spark, report PDFs or browser checks need them)"; fi; fi

demo: env system-deps
	@echo "== loading $(DATA) into $(CORPUS)"
	$(BIN)/patnav ingest "$(DATA)" --corpus "$(CORPUS)"
	$(BIN)/patnav corpus stats --by country --corpus "$(CORPUS)"
	$(BIN)/patnav corpus stats --by source --corpus "$(CORPUS)"
	@echo "== indicators (legal status, OECD quality, CNIPA high-value, industries) as of today"
	$(BIN)/patnav indicators compute $(if $(wildcard $(DATA)/classification),--reference-dir "$(DATA)/classification") --corpus "$(CORPUS)"
	@echo "== full-text index (with the legal status from the indicators, for the status facet)"
	$(BIN)/patnav index build --no-vectors --corpus "$(CORPUS)"
	@echo "== embedding title+abstract in the background (multilingual e5; slow on 2 cores)"
	@mkdir -p "$(CORPUS)"
	@nohup $(BIN)/patnav index build --no-text --corpus "$(CORPUS)" > "$(CORPUS)/embedding.log" 2>&1 &
	@sleep 5; $(BIN)/patnav index status --corpus "$(CORPUS)" || true
	@echo "== a sample search"
	$(BIN)/patnav search 'ti:(neural network) AND pa:"International Business Machines" AND pd:[2005 TO 2012]' --corpus "$(CORPUS)" -n 5
	$(BIN)/patnav indicators portfolio --by applicant --top 10 --corpus "$(CORPUS)"
	@echo "== a sample navigation report (industrial planning: neural networks / machine learning), four formats"
	$(BIN)/patnav project new ai-industry --type industry --force --lang zh \
	  --title "人工智能（神经网络）产业专利导航 · 示例" --query 'tac:(neural network OR machine learning)'
	$(BIN)/patnav project run ai-industry --out var/reports/ai-industry --corpus "$(CORPUS)"
	@echo "Sample report: var/reports/ai-industry/report.html (.pdf .docx .xlsx); project file var/projects/ai-industry.yaml"
	@echo "== the web platform: a demo organisation and its administrator"
	$(BIN)/patnav admin create-org demo --name "示范机构 Demo organisation" --exist-ok
	$(BIN)/patnav admin create-user admin --org demo --role administrator --exist-ok
	@echo
	@echo "CLI:  $(BIN)/patnav search 'pa:华为 OR ipc:G06N3' --corpus $(CORPUS)"
	@echo "      $(BIN)/patnav index status --corpus $(CORPUS)   (embedding progress; log: $(CORPUS)/embedding.log)"
	@echo "Web:  http://$(HOST):$(PORT)/  user 'admin' (password printed above on the first run;"
	@echo "      '$(BIN)/patnav admin reset-password admin' sets a new one). Ctrl-C stops the server."
	$(BIN)/patnav serve --host $(HOST) --port $(PORT)

serve: env
	$(BIN)/patnav serve --host $(HOST) --port $(PORT)

test: env
	$(BIN)/pytest -q

lint: env
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: env
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/search_quality.py
	$(BIN)/python bench/search_speed.py --docs 100000
	$(BIN)/python bench/indicators.py
	$(BIN)/python bench/landscape.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/load.py

clean:
	rm -rf var .pytest_cache .ruff_cache
