# The two commands of the README: `make run` and `make test`. Everything else is a helper of those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
FLASK := $(BIN)/flask --app app

.PHONY: install run test lint bench translations

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# The catalogues of words are compiled here, so a clean clone speaks French with no extra step.
MO := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
%.mo: %.po | $(STAMP)
	$(BIN)/pybabel --quiet compile -i $< -o $@

install: $(STAMP) $(MO)

# After adding or changing a message in the code: extract, update translations/*/messages.po (write
# the French of what arrives empty or fuzzy), compile. README, "Words".
translations: install
	$(BIN)/python -m scripts.translations

# Development settings, written once (mode 0600): RECOURS_ENV=development, a random Auth Token the
# simulator signs with, a random SECRET_KEY, local URLs and numbers from the range kept for fiction.
# `make run PORT=8000` serves on that port, and the .env's local PUBLIC_BASE_URL follows it.
PORT ?= 5000

.PHONY: env
env: | $(STAMP)
	$(BIN)/python -m core.devenv .env $(PORT)

run: install env
	$(FLASK) db upgrade
	$(FLASK) demo seed
	$(FLASK) twilio-setup
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The browser tests need Debian's chromium: installed when possible (root or password-less sudo),
# otherwise they are skipped — except under CI=true, where they fail.
test: install
	-bash scripts/install-browser.sh
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m bench.webhooks
