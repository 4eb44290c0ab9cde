# Two entry points (see README): `make demo` and `make test`. Both create or refresh
# .venv only when pyproject.toml changed, so a second run with nothing changed is fast.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.voc-installed
DEMO   := voc-demo
SOURCES := $(shell find voc configs models -type f -not -name '*.pyc' 2>/dev/null)

.PHONY: demo test install clean

install: $(STAMP)

# torch first, pinned: its CPU build comes from local disk; an unpinned torch would pull CUDA.
# The spark and postgres extras are installed too, so the suite tests the Spark path and the PostgreSQL
# store (ONNX Runtime is a core dependency).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev,spark,postgres]'
	touch $(STAMP)

demo: $(DEMO)/report.html
	@echo "report: $(abspath $(DEMO))/report.html"

$(DEMO)/report.html: $(STAMP) $(SOURCES)
	$(BIN)/voc demo --out $(DEMO)

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(DEMO) .pytest_cache
