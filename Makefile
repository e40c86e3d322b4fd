# Gau: the two commands a new machine needs are `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: run test test-remote bench-smoke e2e chart lint typecheck contracts pytest fuzz bench install install-dev worker beat migrate clean

# A virtualenv with the runtime requirements, rebuilt when requirements.txt changes.
$(VENV)/.installed: requirements.txt
	@test -x $(PY) || { PYBIN=$$(tools/find-python) && $$PYBIN -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, migrate and serve on http://127.0.0.1:$(PORT) (embedded defaults unless *_URL variables are set)
run: export DEBUG ?= true
run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	@echo ""
	@echo "  Gau is starting on http://127.0.0.1:$(PORT)"
	@echo "  API docs:  http://127.0.0.1:$(PORT)/api/docs/"
	@echo "  Admin:     http://127.0.0.1:$(PORT)/admin/   (create a user: $(PY) manage.py createsuperuser)"
	@echo "  Health:    http://127.0.0.1:$(PORT)/healthz  and /readyz"
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## make test: lint, type checks, import contract, then the test suite against the real services, with the
## benchmark smoke (tests/test_bench_smoke.py: every benchmark, tiny sizes); `make test BENCH_SMOKE_SKIP="split load"`
## leaves the named ones out
BENCH_SMOKE_SKIP ?=
test: $(VENV)/.installed-dev
	$(PY) -m tests.support.services
	$(PY) -m tests.support.browser --install
	$(PY) -m tests.support.nginx --install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest $(foreach b,$(BENCH_SMOKE_SKIP),--deselect "tests/test_bench_smoke.py::test_benchmark_runs[$(b)]") $(PYTEST_ARGS)

## make bench-smoke: every benchmark end to end with tiny sizes (BENCH_SMOKE=1), no ratio enforced
bench-smoke: $(VENV)/.installed-dev
	$(VENV)/bin/pytest tests/test_bench_smoke.py $(PYTEST_ARGS)

## make test-remote: each app's tests with the apps it calls behind the signed RPC endpoint (a split)
test-remote: $(VENV)/.installed-dev
	PYTHONPATH=. $(VENV)/bin/pytest -p tests.support.remote_apps -m "not live" --remote-apps=authz,upload,email apps/account/tests
	PYTHONPATH=. $(VENV)/bin/pytest -p tests.support.remote_apps -m "not live" --remote-apps=account,email apps/authz/tests
	PYTHONPATH=. $(VENV)/bin/pytest -p tests.support.remote_apps -m "not live" --remote-apps=cdn apps/upload/tests
	PYTHONPATH=. $(VENV)/bin/pytest -p tests.support.remote_apps -m "not live" --remote-apps=upload apps/cdn/tests
	PYTHONPATH=. $(VENV)/bin/pytest -p tests.support.remote_apps -m "not live" --remote-apps=account,upload,email apps/kanban/tests

## make e2e TOPOLOGY=monolith|split|three: the black-box suite (HTTP and email only) against one topology
## of the Helm chart started on the real services, behind nginx routed from the chart's Ingress; stops
## everything it started. Without TOPOLOGY all three run (as in `make test`).
TOPOLOGY ?=
e2e: $(VENV)/.installed-dev
	$(PY) -m tests.support.services
	$(PY) -m tests.support.nginx --install
	E2E_TOPOLOGY=$(TOPOLOGY) $(VENV)/bin/pytest -p no:cacheprovider tests/e2e/test_topologies.py $(PYTEST_ARGS)

## make chart: the Helm chart's three layouts rendered by Helm's engine and validated against the Kubernetes
## OpenAPI schemas (offline), its production features, and the Dockerfile checked and run (make test runs these too)
chart: $(VENV)/.installed-dev
	$(PY) -m tests.support.services
	$(VENV)/bin/pytest -p no:cacheprovider tests/test_chart.py tests/test_chart_image.py tests/test_deploy_files.py \
		tests/e2e/test_topologies.py::test_topologies_are_described_by_the_chart $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy .

contracts: $(VENV)/.installed-dev
	$(VENV)/bin/lint-imports

pytest: $(VENV)/.installed-dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## make fuzz: the long schema-fuzzing run (random, many examples per operation; make test runs a bounded one)
FUZZ_EXAMPLES ?= 100
fuzz: $(VENV)/.installed-dev
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_RANDOM=1 FUZZ_OPERATION_SECONDS=0 \
		$(VENV)/bin/pytest -p no:cacheprovider -o timeout=3600 -s tests/fuzz $(PYTEST_ARGS)

## make bench: benchmarks against a baseline measured in the same run
bench: $(VENV)/.installed-dev
	$(PY) bench/run.py $(BENCH_ARGS)

worker: $(VENV)/.installed
	$(VENV)/bin/celery -A gau worker -Q default,email -l info

beat: $(VENV)/.installed
	$(VENV)/bin/celery -A gau beat -l info

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
