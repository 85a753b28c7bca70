# Two commands on a fresh machine with Python 3.11+:
#   make lab    set up .venv and open the course in JupyterLab
#   make test   set up .venv (with the test tools) and run every test
#   make lab-zh opens the Chinese edition (中文版: chapters/zh, the same as LAB_DIR=chapters/zh)
# make lab options: LAB_DIR=solutions opens the complete notebooks; LAB_ARGS passes options to
# JupyterLab, e.g. a remote or headless machine:  make lab LAB_ARGS="--no-browser --port=8888"
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# The browser test drives Debian's Chromium (never `playwright install`), with a CJK font for the
# glossaries' Chinese terms (without one they show as boxes); the grader isolates each submission
# with bubblewrap (`bwrap`). All come from Debian; sudo only when not root.
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHROMIUM := (command -v chromium && command -v bwrap) >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium bubblewrap)
CJK_FONT := (command -v fc-list >/dev/null && fc-list :lang=zh | grep -q .) || ($(SUDO) apt-get update && $(SUDO) apt-get install -y fonts-noto-cjk)

# make lab hides the instructor's tools that `make test` adds to the same .venv (nbgrader's menus
# and pages): tools/learner-lab/ disables them for this server only (JUPYTER_CONFIG_PATH).
# make lab serves a working copy in work/ (git-ignored), so running, saving and presenting a
# notebook never modifies the tracked chapters/ and solutions/; a notebook already in work/ is
# kept (it holds the learner's answers): delete it to get the course's version again.
LAB_DIR  ?= chapters
LAB_ARGS ?=
WORK     := work
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

.PHONY: lab lab-zh test notebooks check-notebooks bench clean setup setup-dev

lab: $(VENV)/.learner $(LAB_SETTINGS)
	@$(PY) -c "import shutil; from pathlib import Path; \
	new = [shutil.copy2(f, Path('$(WORK)') / f) for d in ('chapters', 'solutions', 'chapters/zh', 'solutions/zh') \
	       for f in sorted(Path(d).glob('*.ipynb')) \
	       if (Path('$(WORK)') / d).mkdir(parents=True, exist_ok=True) or not (Path('$(WORK)') / f).exists()]; \
	print(f'$(WORK)/: {len(new)} notebook(s) copied from chapters/ and solutions/, both editions (JupyterLab edits only $(WORK)/)')"
	JUPYTER_CONFIG_PATH=$(CURDIR)/tools/learner-lab$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH} \
	$(BIN)/jupyter lab --ServerApp.root_dir=$(WORK) --LabApp.default_url=/lab/tree/$(LAB_DIR) $(ALLOW_ROOT) $(LAB_ARGS)

lab-zh:
	$(MAKE) lab LAB_DIR=chapters/zh

# JupyterLab's "get news?" pop-up would cover the notebook in front of a class: answered "no".
$(LAB_SETTINGS): | $(PY)
	mkdir -p $(dir $@)
	echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' > $@

# Two workers (this course's reference machine has two cores), one test file per worker at a time:
# module fixtures (a JupyterLab server, built decks) and nbval's one kernel per notebook stay whole.
test: $(VENV)/.dev
	$(PY) -m pytest -n 2 --dist loadfile

notebooks: $(VENV)/.dev
	$(PY) tools/build_notebooks.py

bench: $(VENV)/.dev
	$(PY) benchmarks/bench_gradients.py
	$(PY) benchmarks/bench_training.py
	$(PY) benchmarks/bench_widgets.py
	$(PY) benchmarks/bench_widgets.py --lang zh
	$(PY) benchmarks/profile_epoch.py

# Lecturing (docs/lecturing.md): offline HTML slide decks and a static site of the course,
# rendered from the stored notebooks. Decks default to the complete notebooks (a lecturer's),
# the site to the learners' copies (what a class may see); hidden tests appear in neither.
.PHONY: slides site
slides: $(VENV)/.dev
	$(PY) tools/slides.py --from $(or $(FROM),solutions)

site: $(VENV)/.dev
	$(PY) tools/build_site.py --from $(or $(FROM),chapters)

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
	$(CJK_FONT)
	touch $(VENV)/.learner $@

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
