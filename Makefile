# Two commands do all the set-up on a fresh machine (Debian 12, Python 3.11 with venv and headers, a C++
# compiler, Node >= 20.19, root for apt):
#   make demo   install, build the frontend, ingest + embed + index the demo corpus, serve on $(PORT)
#   make test   install what the tests need (Debian packages too), then run every test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMPS := .stamps
# Real servers and clients the tests start on loopback (see ../shared/SETUP-NOTES.md).
TEST_APT_PACKAGES := chromium dcmtk orthanc orthanc-dicomweb redis-server postgresql-15 docker-compose
FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/vite.config.js

.PHONY: demo test serve setup-demo system-deps venv frontend translations messages clean

demo: venv frontend translations setup-demo serve

test: system-deps venv frontend translations
	$(PY) -m pytest

venv: $(STAMPS)/venv
$(STAMPS)/venv: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	@mkdir -p $(STAMPS) && touch $@

frontend: $(STAMPS)/frontend
$(STAMPS)/frontend: frontend/package.json frontend/package-lock.json $(FRONTEND_SOURCES)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build
	@mkdir -p $(STAMPS) && touch $@

# The UI's Spanish (Django's JavaScript catalogue): .po committed, .mo compiled here (polib, no gettext needed).
translations: venv
	$(PY) manage.py compile_catalogues -v0

# After changing UI strings: extract them into frontend/locale/*/djangojs.po, then translate the new entries.
messages: venv
	@command -v xgettext >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null)
	cd frontend && ../$(PY) ../manage.py makemessages -d djangojs -l es --ignore=node_modules --ignore=dist --ignore=tests --no-obsolete

system-deps:
	@missing=$$(for p in $(TEST_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

setup-demo: venv
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py setup_demo

serve: venv
	@echo "CBIR similarity browser: http://127.0.0.1:$(PORT)/"
	$(VENV)/bin/gunicorn cbir.wsgi -c cbir/gunicorn_conf.py --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 --timeout 300 --access-logfile -

clean:
	rm -rf $(STAMPS) frontend/dist
