# The two commands of the README. Each sets up what is missing first (scripts/bootstrap.sh).
.PHONY: run test lint bench setup

setup:
	@scripts/bootstrap.sh

run: setup
	@.venv/bin/ruralnet run

test:
	@scripts/bootstrap.sh --with-browser
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/pytest $(PYTEST_ARGS)

bench: setup
	@.venv/bin/python -m bench $(BENCH_ARGS)
