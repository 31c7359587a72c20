# stegwatch: `make run` starts the product, `make test` runs the tests. Both install first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8080

# The first Python >= 3.12 found: $PYTHON, python3.13/3.12 on PATH, then pyenv's versions
# (the pyenv shim fails without PYENV_VERSION, so we call the real binaries), then /usr/bin.
FIND_PYTHON = for c in "$$PYTHON" python3.13 python3.12 python3 \
	  $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) \
	  /usr/bin/python3.13 /usr/bin/python3.12; do \
	  [ -n "$$c" ] || continue; \
	  if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo "$$c"; break; fi; \
	done

.PHONY: install run test bench eval tables clean system-deps

install: $(STAMP)

$(STAMP): pyproject.toml
	@py="$$($(FIND_PYTHON))"; \
	if [ -z "$$py" ]; then \
	  echo "stegwatch needs Python >= 3.12 (mitmproxy 12 requires it) and none was found." >&2; \
	  echo "Install one, e.g. 'pyenv install 3.12' or 'apt-get install python3.12 python3.12-venv'," >&2; \
	  echo "or point PYTHON=/path/to/python3.12 at it." >&2; exit 1; \
	fi; \
	echo "using $$py ($$("$$py" --version))"; \
	rm -rf $(VENV) && "$$py" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

run: install
	$(VENV)/bin/stegwatch run --listen-port $(PORT)

# The report tests drive a real headless Chromium (Debian's package; Playwright never downloads one).
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing chromium for the report tests (apt-get)"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium; \
	fi

test: install system-deps
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: install
	$(PY) bench/run.py
	$(PY) bench/splice_bench.py
	$(PY) bench/addon_bench.py
	$(PY) bench/capture_bench.py
	$(PY) bench/baseline_bench.py
	$(PY) bench/probe_bench.py
	$(PY) bench/differ_bench.py

eval: install
	$(PY) scripts/evaluate.py

tables: install
	$(PY) scripts/gen_tables.py

clean:
	rm -rf $(VENV) build *.egg-info
