# The two set-up commands of the README: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libgdal-dev libgeos-dev libproj-dev libsqlite3-dev libcairo2-dev zlib1g-dev pkg-config gdal-bin fonts-dejavu-core zip curl libxml2-utils python3-venv
BENCH_PACKAGES := wrk
DATA ?= data
PORT ?= 8080

.PHONY: deps deps-bench build release run test bench bench-upload clean

## Install the Debian packages that are missing (GDAL, GEOS, PROJ, SQLite, cairo, ...).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

deps-bench: deps
	@dpkg -s $(BENCH_PACKAGES) >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(BENCH_PACKAGES); }

build: deps
	swift build

release: deps
	swift build -c release --product layerserver

## Build in release mode, load the demo data (first run only) and serve on http://127.0.0.1:$(PORT).
run: release
	.build/release/layerserver demo --data $(DATA) --port $(PORT)

TEST_VENV := .build/test-venv

## The tests' Python clients (OWSLib and what it needs), pinned in Tests/clients/requirements.txt.
$(TEST_VENV)/.installed: Tests/clients/requirements.txt
	python3 -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/pip install -q -r Tests/clients/requirements.txt
	touch $@

## Build and run every test.
test: deps $(TEST_VENV)/.installed
	swift build --build-tests
	swift test --skip-build --disable-xctest --skip ImportConcurrencyTests
	# The 1M-point import beside token revocations runs alone: its claim (a revocation takes
	# effect within a second) is about the store, not about a machine shared with every other test.
	swift test --skip-build --disable-xctest --filter ImportConcurrencyTests

## The benchmarks of bench/README.md (1M hydrants; takes several minutes).
bench: release deps-bench
	bench/run.sh

## Upload a 1M-feature GeoPackage over HTTP against ogr2ogr (issue 4).
bench-upload: release deps-bench
	bench/upload.sh

clean:
	rm -rf .build
