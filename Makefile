# Two commands on a fresh machine with Python 3.11+:
#   make lab    set up .venv and open the course in JupyterLab
#   make test   set up .venv (with the test tools) and run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# The browser test drives Debian's Chromium (never `playwright install`); the grader isolates each
# submission with bubblewrap (`bwrap`). Both come from Debian; sudo only when not root.
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHROMIUM := (command -v chromium && command -v bwrap) >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium bubblewrap)

.PHONY: lab test notebooks check-notebooks bench clean setup setup-dev

lab: $(VENV)/.learner
	$(BIN)/jupyter lab chapters/

test: $(VENV)/.dev
	$(PY) -m pytest

notebooks: $(VENV)/.dev
	$(PY) tools/build_notebooks.py

bench: $(VENV)/.dev
	$(PY) benchmarks/bench_gradients.py
	$(PY) benchmarks/bench_widgets.py

# Lecturing (docs/lecturing.md): offline HTML slide decks and a static site of the course,
# rendered from the stored notebooks; FROM=chapters renders the learners' copies instead.
FROM ?= solutions
.PHONY: slides site
slides: $(VENV)/.dev
	$(PY) tools/slides.py --from $(FROM)

site: $(VENV)/.dev
	$(PY) tools/build_site.py --from $(FROM)

setup: $(VENV)/.learner
setup-dev: $(VENV)/.dev

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.learner: requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt -e .
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt -e .
	$(CHROMIUM)
	touch $(VENV)/.learner $@

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
