# The two commands: `make run` (set up everything, then run the assistant) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
SPACY_DIR := build/spacy_pipeline
SENTENCE_MODEL := build/minilm/model-int8.onnx
MODEL := models/bme.tar.gz
RETRIEVAL_INDEX := build/retrieval/index.npz
URGENCY_MODEL := build/retrieval/urgency.npz
ANSWER_MODEL := build/retrieval/answers.npz
SPANISH_MODEL := build/retrieval/spanish.npz
DEVELOPMENT_CASES := $(wildcard tests/data/eval/development/answers_*.yml)
NODE_MODULES := node_modules/.installed
# rasa-webchat, the most used outside widget for Rasa, for the test that embeds it (tests/web): its
# standalone bundle only (npm would add its 590 build-time packages), from npm, checked by hash.
RASA_WEBCHAT_VERSION := 1.0.1
RASA_WEBCHAT_SHA512 := Ld1zVJvTAaTrs6A5p8t70agNNrKYRyXlvqXZRgBoDvKKUXbA0jhJKECi5bdPGlaR6jsmqWtVylHS+YqIqo0x8w==
RASA_WEBCHAT := build/rasa-webchat/index.js
CHROMIUM := /usr/bin/chromium
NGINX := /usr/sbin/nginx
DAYS ?= 30
# apt-get as root, or through sudo
APT_GET := $$([ "$$(id -u)" = 0 ] || echo sudo) env DEBIAN_FRONTEND=noninteractive apt-get
# What the trained model depends on: it is retrained when (and only when) one of these changes.
TRAINING_INPUTS := config.yml domain.yml $(wildcard data/*.yml) $(SPACY_DIR)/meta.json $(SENTENCE_MODEL) \
  bot/nlu/components.py bot/nlu/top_layers.py bot/nlu/policy.py

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONPATH := $(CURDIR)
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: setup run chat test test-quick lint screenshots clean chromium cluster retention content-review

setup: $(MODEL) $(NODE_MODULES) $(RETRIEVAL_INDEX) $(URGENCY_MODEL) $(ANSWER_MODEL) $(SPANISH_MODEL)

run: setup
	$(PY) -m bot.deploy.serve

chat: $(VENV)/.installed
	$(PY) -m bot.deploy.chat

# Benchmarks and quality reports into reports/ (README: Benchmarks). Not part of `make test`; about
# 20 to 45 minutes, every step bounded. BENCH_ARGS passes options: make bench BENCH_ARGS="--duration 10".
.PHONY: bench
bench: setup
	$(PY) -m bench $(BENCH_ARGS)

test: setup $(CHROMIUM) $(NGINX) $(RASA_WEBCHAT) lint
	$(PY) -m pytest

# The inner loop: the tests that need no trained model, no build, no server, no database and no
# network (those not marked slow: tests/conftest.py), in under a minute. `make test` runs them too.
test-quick: $(VENV)/.installed
	$(PY) -m pytest -q -m "not slow"

# ruff (default rules: errors and unused names) on the code and tests; mypy on bot/, actions/ and bench/
lint: $(VENV)/.installed
	$(PY) -m ruff check bot actions bench tests
	$(PY) -m mypy

# The README's screenshots of the widget, the kiosk and the staff dashboard (tests/web saves them
# elsewhere otherwise).
screenshots: setup $(CHROMIUM)
	BME_UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/web/test_accessibility.py tests/web/test_clinic_pages.py tests/web/test_take_home_browser.py

# Several Rasa processes behind nginx; needs BME_DATABASE_URL and BME_REDIS_URL (README: Deployment).
cluster: setup $(NGINX)
	$(PY) -m bot.deploy.cluster

# Print the hash of a new staff dashboard password, for BME_STAFF_PASSWORD_HASH (README: Staff dashboard).
.PHONY: staff-password
staff-password: $(VENV)/.installed
	@$(PY) -m bot.web.staff.auth

# Delete conversations idle for more than DAYS days (default 30) from the tracker store.
retention: $(VENV)/.installed
	$(PY) -m bot.stores.retention --days $(DAYS)

# The printable review sheet of every answer, for a clinician to check and sign:
# reports/content-review.html, and reports/content-review-es.html for the Spanish (to be signed by a
# qualified medical translator and a clinician) (docs/reviewers/review-workflow.md).
content-review: $(VENV)/.installed
	$(PY) -m bot.clinic.review_sheet
	$(PY) -m bot.clinic.review_sheet --language es

# Python 3.10 virtual environment with the pinned dependencies.
$(VENV)/.installed: requirements.lock requirements-models.lock scripts/find_python.sh
	@echo "==> Setting up the Python 3.10 environment in $(VENV)"
	@python310=$$(scripts/find_python.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  rm -rf $(VENV) && $$python310 -m venv $(VENV); fi
	$(PY) -m pip install --quiet --disable-pip-version-check pip==24.0
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
	  -r requirements-models.lock
	@touch $@

# Our own spaCy pipeline (blank English + lookup lemmatizer + entity ruler), built from code and data.
$(SPACY_DIR)/meta.json: $(VENV)/.installed bot/nlu/build.py bot/nlu/patterns.jsonl
	@echo "==> Building the spaCy pipeline"
	$(PY) -m bot.nlu.build $(SPACY_DIR)

# The sentence model all-MiniLM-L6-v2 as an ONNX graph with 8-bit weights, from the weights that
# requirements-models.lock installs (no PyTorch, nothing downloaded here).
$(SENTENCE_MODEL): $(VENV)/.installed bot/sentence_model/minilm.py bot/sentence_model/minilm_onnx.py
	@echo "==> Exporting the sentence model"
	$(PY) -m bot.sentence_model.minilm_onnx $(SENTENCE_MODEL)

# The index of the reviewed example questions of each answer (bot/content/unit_examples.yml),
# embedded by the whole pretrained sentence model; the answer engine finds a question's nearest.
$(RETRIEVAL_INDEX): $(VENV)/.installed bot/content/unit_examples.yml \
  bot/engine/retrieval.py bot/sentence_model/minilm.py bot/sentence_model/minilm_onnx.py
	@echo "==> Building the index of example questions"
	$(PY) -m bot.engine.retrieval

# The urgency model (the safety net behind the red-flag rules), trained on the reviewed stories and
# reference clauses with the same sentence model (about a minute).
$(URGENCY_MODEL): $(RETRIEVAL_INDEX) bot/content/urgency_stories.yml bot/content/urgent_examples.yml \
  bot/content/unit_examples.yml $(DEVELOPMENT_CASES) bot/engine/linear_models.py \
  bot/engine/urgency.py bot/engine/urgency_model.py bot/engine/urgency_training.py bot/engine/safety.py \
  bot/content/red_flags.yml
	@echo "==> Training the urgency model"
	$(PY) -m bot.engine.urgency_training

# The answer model (which answers a whole message asks for, beside the reading rules), trained on
# the example questions and the development answer cases (about 15 seconds).
$(ANSWER_MODEL): $(RETRIEVAL_INDEX) bot/content/unit_examples.yml $(DEVELOPMENT_CASES) \
  bot/content/answer_units.yml bot/content/knowledge.yml bot/engine/linear_models.py \
  bot/engine/answer_model.py bot/engine/answer_training.py
	@echo "==> Training the answer model"
	$(PY) -m bot.engine.answer_training

# The Spanish reading model (which answer or reply a Spanish question asks), trained on the Spanish
# example questions (bot/content/es/unit_examples.yml) with the same sentence model (seconds).
$(SPANISH_MODEL): $(RETRIEVAL_INDEX) bot/content/es/unit_examples.yml bot/engine/linear_models.py \
  bot/engine/spanish_model.py bot/engine/language.py $(wildcard tests/data/eval/development/es/answers_*.yml)
	@echo "==> Training the Spanish model"
	$(PY) -m bot.engine.spanish_model

$(MODEL): $(VENV)/.installed $(TRAINING_INPUTS)
	@echo "==> Training the Rasa model (data or config changed)"
	$(RASA) train --fixed-model-name bme --out models

# Browser libraries of the chat widget and kiosk (socket.io client, marked, DOMPurify; axe-core for
# the tests), exactly as package-lock.json pins them; bot/web serves them from node_modules.
$(NODE_MODULES): package.json package-lock.json
	@echo "==> Installing the browser libraries (npm ci)"
	@command -v npm >/dev/null || { echo "npm is needed: apt-get install -y npm" >&2; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

$(RASA_WEBCHAT):
	@echo "==> Fetching rasa-webchat $(RASA_WEBCHAT_VERSION) for the browser tests"
	@command -v npm >/dev/null || { echo "npm is needed: apt-get install -y npm" >&2; exit 1; }
	@rm -rf $(@D) && mkdir -p $(@D)/pack
	npm pack --silent --pack-destination $(@D)/pack rasa-webchat@$(RASA_WEBCHAT_VERSION) >/dev/null
	@[ "$$(openssl dgst -sha512 -binary $(@D)/pack/*.tgz | base64 -w0)" = "$(RASA_WEBCHAT_SHA512)" ] || \
	  { echo "rasa-webchat $(RASA_WEBCHAT_VERSION): the package's hash is not the pinned one" >&2; exit 1; }
	tar -xzf $(@D)/pack/*.tgz -C $(@D)/pack package/lib/index.js package/LICENSE
	mv $(@D)/pack/package/lib/index.js $@ && mv $(@D)/pack/package/LICENSE $(@D)/ && rm -rf $(@D)/pack

# Debian's Chromium for the browser tests (tests/web); Playwright cannot download a browser here.
chromium: $(CHROMIUM)
$(CHROMIUM):
	@echo "==> Installing Debian's Chromium for the browser tests"
	$(APT_GET) update -qq
	$(APT_GET) install -y -qq chromium

# Debian's nginx for the cluster (several Rasa processes behind one address) and its tests.
$(NGINX):
	@echo "==> Installing Debian's nginx for the cluster"
	$(APT_GET) update -qq
	$(APT_GET) install -y -qq --no-install-recommends nginx-light

clean:
	rm -rf build models var .rasa .pytest_cache

# Every evaluation set's score by role (tests/data/eval/: held-out, development, check; answer
# cases, intents, urgency stories), from the trained model; writes reports/eval.json.
# EVAL_ARGS passes options: make eval EVAL_ARGS="--only development --show-failed".
.PHONY: eval
eval: setup
	$(PY) -m bench.eval $(EVAL_ARGS)
