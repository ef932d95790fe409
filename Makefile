# The two set-up commands of the README: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libgdal-dev libgeos-dev libproj-dev libsqlite3-dev libcairo2-dev zlib1g-dev pkg-config gdal-bin fonts-dejavu-core zip curl libxml2-utils python3-venv
BENCH_PACKAGES := wrk
DATA ?= data
PORT ?= 8080

.PHONY: deps deps-bench deps-test build release run test bench bench-upload clean

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
run: release $(MAPLIBRE_DIR)/maplibre-gl.js
	.build/release/layerserver demo --data $(DATA) --port $(PORT)

TEST_VENV := .build/test-venv
## The browser tests: Debian's Chromium and its WebDriver.
TEST_APT_PACKAGES := chromium chromium-driver
## MapLibre GL JS from PyPI's maplibre wheel (srcjs/, v5.3.0, BSD-3), pinned and checked.
MAPLIBRE_WHEEL := maplibre-0.3.6-py3-none-any.whl
MAPLIBRE_SHA256 := eeafab617d4a1b71c0c174c71405f67c4b4e494fe1b27968d4d2359bc160e277
MAPLIBRE_DIR := .build/maplibre

## The tests' Python clients (OWSLib and what it needs), pinned in Tests/clients/requirements.txt.
$(TEST_VENV)/.installed: Tests/clients/requirements.txt
	python3 -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/pip install -q -r Tests/clients/requirements.txt
	touch $@

deps-test: deps
	@missing=""; for p in $(TEST_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

TOOLS_VENV := .build/tools-venv
$(TOOLS_VENV)/bin/pip:
	python3 -m venv $(TOOLS_VENV)

$(MAPLIBRE_DIR)/maplibre-gl.js: | $(TOOLS_VENV)/bin/pip
	rm -rf $(MAPLIBRE_DIR).download && mkdir -p $(MAPLIBRE_DIR).download
	$(TOOLS_VENV)/bin/pip download -q --no-deps --only-binary=:all: -d $(MAPLIBRE_DIR).download maplibre==0.3.6
	echo "$(MAPLIBRE_SHA256)  $(MAPLIBRE_DIR).download/$(MAPLIBRE_WHEEL)" | sha256sum -c --quiet -
	cd $(MAPLIBRE_DIR).download && python3 -m zipfile -e $(MAPLIBRE_WHEEL) wheel
	mkdir -p $(MAPLIBRE_DIR)
	cp $(MAPLIBRE_DIR).download/wheel/maplibre/srcjs/maplibre-gl.css $(MAPLIBRE_DIR)/
	cp $(MAPLIBRE_DIR).download/wheel/maplibre/srcjs/maplibre-gl.js $(MAPLIBRE_DIR)/
	rm -rf $(MAPLIBRE_DIR).download

## Build and run every test.
test: deps deps-test $(TEST_VENV)/.installed $(MAPLIBRE_DIR)/maplibre-gl.js
	swift build --build-tests
	swift test --skip-build --disable-xctest --skip ImportConcurrencyTests --skip '/(clients|browser)\(\)'
	# The tests that drive outside programs (GDAL and OWSLib clients, schemathesis, Chromium) run
	# apart: their processes load the machine beyond what the in-process servers' gate bounds, and
	# the other tests' clients wait at most 20 s for an answer.
	swift test --skip-build --disable-xctest --filter '/(clients|browser)\(\)'
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
