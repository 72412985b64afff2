# Two commands for a newcomer: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv from PATH when there is one; otherwise a private copy in var/tools (git-ignored).
UV := $(or $(shell command -v uv 2>/dev/null),var/tools/bin/uv)
VENV := .venv
MANAGE := $(VENV)/bin/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run test bench load lint format vendor compose-check messages compilemessages i18n-check

# Translations: English is the source; one catalogue per other language (README, "Adding a
# language"). GNU gettext (msgfmt, xgettext, msgmerge) builds and checks them.
LANGS := fr de es
PO_FILES := $(foreach l,$(LANGS),locale/$(l)/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
MAKEMESSAGES := DEBUG=1 $(MANAGE) makemessages $(foreach l,$(LANGS),-l $(l)) --ignore='var/*' \
	--ignore='tests/*' --ignore='static/*' --ignore='node_modules/*' --ignore='deploy/*' \
	--add-location=file --no-obsolete --no-wrap
GETTEXT_MISSING := msgfmt (GNU gettext) is not installed: on Debian or Ubuntu `sudo apt-get install gettext`, on macOS `brew install gettext`

help:
	@echo "make run     install, migrate, seed the demo, serve http://$(HOST):$(PORT) with a worker, beat and a local identity provider"
	@echo "make test    install, then run the whole test suite"
	@echo "make bench   print performance figures"
	@echo "make load    32 signed-in users for 60 s on the 20,000-person organisation, next to /healthz (tests/load/run.py)"
	@echo "make lint    ruff, and import-linter (layers, no cycles)"
	@echo "make messages      re-extract every marked string into locale/*/LC_MESSAGES/django.po"
	@echo "make i18n-check    fail on any untranslated or fuzzy string (what CI runs)"

var/tools/bin/uv:
	@echo "uv is not installed: installing it into var/tools"
	$(PYTHON) -m venv var/tools
	var/tools/bin/python -m pip install --quiet --disable-pip-version-check uv

install: $(UV)
	@$(UV) sync --locked --quiet

# The compiled catalogues (.mo) are built here from the committed .po files, never committed.
compilemessages: $(MO_FILES)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	@command -v msgfmt >/dev/null || { echo "$(GETTEXT_MISSING)"; exit 1; }
	msgfmt --check -o $@ $<

# After changing or adding strings: extract them (new ones come out untranslated), translate
# them in each locale/<lang>/LC_MESSAGES/django.po, then `make compilemessages`.
messages: install
	@command -v xgettext >/dev/null || { echo "$(GETTEXT_MISSING)"; exit 1; }
	$(MAKEMESSAGES)

# CI: extracting again must leave no string untranslated or fuzzy in any catalogue, so no change
# can add an English-only string silently.
i18n-check: messages
	@status=0; for po in $(PO_FILES); do \
		stats=$$(LC_ALL=C msgfmt --check --statistics -o /dev/null $$po 2>&1) || status=1; \
		echo "$$po: $$stats"; \
		case "$$stats" in *untranslated*|*fuzzy*) status=1;; esac; \
	done; \
	if [ $$status -ne 0 ]; then \
		echo "Untranslated or fuzzy strings (msgattrib --untranslated / --only-fuzzy on the files above):"; \
		for po in $(PO_FILES); do msgattrib --untranslated --no-wrap $$po | grep -A1 '^msgid' | grep -v '^msgid ""$$' | head -20; done; \
		exit 1; \
	fi

# DEBUG is on for `make run` only. Ctrl-C reaches every process of the group; if one of them
# stops on its own (say, the port is taken), the others are stopped too.
run: export DEBUG ?= 1
run: install compilemessages
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	@echo "Starting the web server on http://$(HOST):$(PORT), a Celery worker, beat and the local identity provider on http://127.0.0.1:9400. Ctrl-C stops all."
	@trap 'trap - INT TERM; kill 0' INT TERM; \
	$(VENV)/bin/celery -A mentorship worker --loglevel=INFO --concurrency=2 & \
	$(VENV)/bin/celery -A mentorship beat --loglevel=INFO & \
	($(VENV)/bin/oidc-provider-mock --port 9400 --require-nonce \
		--user-claims "$$($(VENV)/bin/python -c 'from mentorship.identity.demo import demo_identity_provider_claims as c; print(c())')" \
		|| { echo "The local identity provider (port 9400) did not start: single sign-on is unavailable"; sleep infinity; }) & \
	$(MANAGE) runserver $(HOST):$(PORT) & \
	wait -n; kill 0

test: install compilemessages
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install compilemessages
	$(VENV)/bin/python -m tests.bench.run

# Its own database and Redis database (LOAD_DATABASE_URL, LOAD_REDIS_URL): both are wiped.
load: install
	$(VENV)/bin/python -m tests.load.run

# ruff, then import-linter: the layers and cycles of pyproject.toml's [tool.importlinter].
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Re-fetch the vendored front-end assets from the npm registry (versions in static/vendor/versions.txt;
# axe-core for the tests: tests/e2e/vendor/VERSION).
# chart.umd.js loses its sourceMappingURL line: the .map is not vendored, and the manifest storage
# of collectstatic fails on a reference to a missing file (swagger-ui.css likewise).
vendor:
	@tmp=$$(mktemp -d) && cd $$tmp && \
	npm pack --silent @picocss/pico@2.1.1 htmx.org@2.0.11 chart.js@4.6.1 axe-core@4.14.1 swagger-ui-dist@5.36.0 >/dev/null && \
	tar xzf picocss-pico-2.1.1.tgz && cp package/css/pico.min.css package/LICENSE.md $(CURDIR)/static/vendor/pico/ && rm -rf package && \
	tar xzf htmx.org-2.0.11.tgz && cp package/dist/htmx.min.js package/LICENSE $(CURDIR)/static/vendor/htmx/ && rm -rf package && \
	tar xzf chart.js-4.6.1.tgz && cp package/LICENSE.md $(CURDIR)/static/vendor/chartjs/ && \
	sed '/^\/\/# sourceMappingURL=/d' package/dist/chart.umd.js > $(CURDIR)/static/vendor/chartjs/chart.umd.js && \
	rm -rf package && tar xzf swagger-ui-dist-5.36.0.tgz && \
	cp package/swagger-ui-bundle.js package/LICENSE package/NOTICE $(CURDIR)/static/vendor/swagger-ui/ && \
	sed '/sourceMappingURL=/d' package/swagger-ui.css > $(CURDIR)/static/vendor/swagger-ui/swagger-ui.css && \
	rm -rf package && tar xzf axe-core-4.14.1.tgz && cp package/axe.min.js package/LICENSE package/LICENSE-3RD-PARTY.txt $(CURDIR)/tests/e2e/vendor/ && \
	rm -rf $$tmp && echo "static/vendor and tests/e2e/vendor refreshed"

compose-check:
	SECRET_KEY=check ALLOWED_HOSTS=localhost docker-compose -f docker-compose.yml config --quiet
