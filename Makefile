# Two commands: `make run` and `make test`. Only python3 (>= 3.11) and make are needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck pytest messages clean vnu

# requirements.lock comes from `uv pip compile` (its first lines); fonttools is pinned with the
# [woff] extra WeasyPrint asks for, or pip's hash mode refuses it once a newer fonttools exists.
$(STAMP): requirements.lock
	$(PYTHON) -c 'import sys; sys.exit("Kring needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed
	DEBUG=$${DEBUG:-true} KRING_MFA_REQUIRED=$${KRING_MFA_REQUIRED:-false} $(BIN)/python manage.py run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit --quiet --recursive kring --severity-level high --exclude kring/locale

typecheck: install
	$(BIN)/mypy kring tests

pytest: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# The Nu HTML Checker for tests/site/test_html_validity.py (needs java; CI installs it): the
# vnu-jar package from the npm registry, pinned by its SHA-256, unpacked into var/vnu/ (not
# committed).
VNU_VERSION := 26.9.27
VNU_SHA256 := 5970d3ffca91a627cf0965e5d91bb2e4242307c29292998de0b419d6a901b2b7
vnu: var/vnu/vnu.jar

var/vnu/vnu.jar:
	mkdir -p var/vnu
	cd var/vnu && npm pack --silent vnu-jar@$(VNU_VERSION) >/dev/null
	echo "$(VNU_SHA256)  var/vnu/vnu-jar-$(VNU_VERSION).tgz" | sha256sum --check --quiet
	tar -xzf var/vnu/vnu-jar-$(VNU_VERSION).tgz -C var/vnu --strip-components=3 package/build/dist/vnu.jar
	rm var/vnu/vnu-jar-$(VNU_VERSION).tgz

# After changing a translatable text: update the catalogue, translate, then `make messages`.
messages: install
	$(BIN)/python manage.py compilemessages_py

clean:
	rm -rf $(VENV) var
