# Newswire. `make demo` and `make test` work on a fresh machine: each installs what it
# is missing (the wasm32 target, pinned wasm-bindgen-cli, wasm-pack and geckodriver, Debian's
# chromium, firefox-esr and WebKitGTK driver, and the npm dev tools) and downloads nothing but
# packages from registries.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# A recipe that fails (say, wasm-opt) leaves no half-made target behind to look up to date.
.DELETE_ON_ERROR:

export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

WASM_TARGET := wasm32-unknown-unknown
WASM_BINDGEN_VERSION := 0.2.130
WASM_PACK_VERSION := 0.15.1
GECKODRIVER_VERSION := 0.37.1
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PKG := target/pkg
# The release wasm builds in a target folder of its own, so that it can run beside the
# server's build (cargo locks a target folder to one build at a time).
WASM_BUILD := target/wasm
FAULTS := target/faults
DIST := dist
SERVER := target/server/newswire-server
TEST_SERVER := target/debug/newswire-server
# Lighthouse, pinned (13 needs Node 22), from npm into a folder of its own: only make bench
# uses it, so make demo and make test never download it. It drives Debian's Chromium.
LIGHTHOUSE := target/lighthouse/node_modules/lighthouse/package.json
LIGHTHOUSE_VERSION := 12.2.3
WIDGET_SOURCES := $(shell find src -name '*.rs') Cargo.toml Cargo.lock
# The server renders the widget's own components, so the widget's sources are its too; the
# store is a crate of its own (store/).
STORE_SOURCES := $(shell find store/src store/migrations -type f) store/Cargo.toml
SERVER_SOURCES := $(shell find server/src server/templates -type f) server/Cargo.toml server/build.rs \
	$(STORE_SOURCES) $(WIDGET_SOURCES)
PAGES := $(wildcard www/*.html) www/sample-feed.json www/configurator.js www/demo.css \
	www/configurator.css www/story.css

# For wasm-bindgen-test's runner: Debian's driver, and the flags Chromium needs as root here.
export CHROMEDRIVER := /usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT := 120

.PHONY: help demo demo-built test bench size-nightly fuzz build package tools dev clean \
	tool-wasm-target tool-wasm-bindgen tool-wasm-pack tool-chromium tool-postgres \
	tool-firefox tool-webkit tool-geckodriver tool-sqlite3 tool-nginx \
	fmt-check clippy test-native test-browser test-server test-e2e

help:
	@echo "make demo   build everything and serve the demo partner page on http://127.0.0.1:8080/ (console at /admin)"
	@echo "make test   fmt, clippy (host and wasm32), native, browser, store and server (SQLite and PostgreSQL) and end-to-end tests"
	@echo "make bench  bytes, time to content, host impact and memory in Chromium; server load"
	@echo "make size-nightly  the wire bytes of an optional nightly build-std variant (installs nightly)"
	@echo "make fuzz   the feed parser's property tests, $(FUZZ_CASES) cases each"
	@echo "make dev    trunk serve: the widget's dev loop (needs 'make demo' running for the API)"

# ---------------------------------------------------------------- tools

tools: tool-wasm-target tool-wasm-bindgen tool-wasm-pack tool-chromium tool-postgres \
	tool-firefox tool-webkit tool-geckodriver tool-sqlite3 tool-nginx node_modules/.installed

tool-wasm-target:
	@rustup target list --installed | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET)

# The tools are built without optimisation (TOOL_BUILD): they drive cargo, the browsers and
# one transform of the wasm, which takes a third of a second so, and they build in half the
# time (about 50 s each on 2 cores, against 100-120 s). wasm-bindgen-cli is installed
# without --locked: with it, this version fails to build here.
TOOL_BUILD := --config profile.release.opt-level=0
tool-wasm-bindgen:
	@[ "$$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $(WASM_BINDGEN_VERSION)" ] || \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force $(TOOL_BUILD)

tool-wasm-pack:
	@wasm-pack --version 2>/dev/null | grep -q ' $(WASM_PACK_VERSION)$$' || \
		cargo install wasm-pack --version $(WASM_PACK_VERSION) --locked --force $(TOOL_BUILD)

tool-chromium:
	@[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; }

# Firefox and WebKit for the cross-engine end-to-end tests (tests/e2e/engines.test.mjs), driven
# over plain W3C WebDriver: Debian's Firefox ESR through geckodriver, and WebKitGTK's
# MiniBrowser through Debian's WebKitWebDriver under xvfb-run. Nothing downloads a browser.
tool-firefox:
	@[ -x /usr/bin/firefox-esr ] || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends firefox-esr; }

tool-webkit:
	@[ -x /usr/bin/WebKitWebDriver ] && [ -x /usr/bin/xvfb-run ] && command -v xauth >/dev/null || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			webkit2gtk-driver xvfb xauth; }

# Debian's sqlite3: the end-to-end tests read and change the server's SQLite file with it.
tool-sqlite3:
	@command -v sqlite3 >/dev/null || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends sqlite3; }

# Debian's nginx (and openssl, for the test's certificate): the end-to-end tests run
# docs/nginx/newswire.conf in front of the server.
# Installed without starting the package's own service (a policy-rc.d that refuses, for the
# length of the install, unless the machine has one already): the tests start their own, on
# free ports, and nothing is left listening on port 80.
tool-nginx:
	@{ command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; } && command -v openssl >/dev/null || { \
		own=; [ -e /usr/sbin/policy-rc.d ] || { own=1; \
			printf '#!/bin/sh\nexit 101\n' | $(SUDO) tee /usr/sbin/policy-rc.d >/dev/null; \
			$(SUDO) chmod +x /usr/sbin/policy-rc.d; }; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nginx openssl; \
		status=$$?; [ -z "$$own" ] || $(SUDO) rm -f /usr/sbin/policy-rc.d; exit $$status; }

# Built from crates.io once (about 1.5 minutes here, unoptimised as the other tools are).
tool-geckodriver:
	@geckodriver --version 2>/dev/null | grep -Eq '^geckodriver $(GECKODRIVER_VERSION)( |$$)' || \
		cargo install geckodriver --version $(GECKODRIVER_VERSION) --locked --force $(TOOL_BUILD)

# PostgreSQL for the store's tests and the benchmark, which start throwaway clusters of their
# own (server/tests/support/pg.rs). Installed without the package's main cluster, so nothing
# runs on port 5432; the existing configuration is kept if there is one.
tool-postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		$(SUDO) mkdir -p /etc/postgresql-common && \
		{ [ -e /etc/postgresql-common/createcluster.conf ] || \
			echo 'create_main_cluster = false' | $(SUDO) tee /etc/postgresql-common/createcluster.conf >/dev/null; } && \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql-15; }

# playwright-core drives /usr/bin/chromium and never downloads a browser;
# binaryen provides wasm-opt 132 (Debian's 108 emits broken wasm); esbuild bundles the loader
# and terser minifies it.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# ---------------------------------------------------------------- build

ASSETS := $(DIST)/newswire/newswire_bg.wasm $(PKG)/embed.min.js $(DIST)/newswire/newswire.css

# The npm package `newswire-widget` (packages/widget), pinned to the release just built.
package: target/package/package.json

target/package/package.json: $(DIST)/newswire/.precompressed $(wildcard packages/widget/*) www/newswire.d.ts scripts/package.mjs
	node scripts/package.mjs $(DIST) target/package

build: $(DIST)/newswire/.precompressed $(DIST)/newswire/newswire.d.ts $(patsubst www/%,$(DIST)/%,$(PAGES))

# wasm-pack builds with the size-tuned release profile (its own wasm-opt step is off, so it
# never tries to download one).
$(PKG)/newswire_bg.wasm: $(WIDGET_SOURCES) | tool-wasm-target tool-wasm-bindgen tool-wasm-pack node_modules/.installed
	CARGO_TARGET_DIR=$(WASM_BUILD) wasm-pack --quiet build --release --target web \
		--out-dir $(abspath $(PKG)) --out-name newswire --no-typescript --no-pack

# Then what every build of the widget goes through (scripts/post-link.mjs): wasm-opt, the
# loader's guard hook in the glue, short import names, and the glue minified.
POST_LINK := scripts/post-link.mjs scripts/guard-glue.mjs scripts/shorten-imports.mjs
$(DIST)/newswire/newswire_bg.wasm: $(PKG)/newswire_bg.wasm $(POST_LINK) node_modules/.installed
	node scripts/post-link.mjs $(PKG)/newswire_bg.wasm $(PKG)/newswire.js $(@D) --optimise --minify

# The loader is two bundles of the modules in www/loader/ (scripts/bundle-loader.mjs:
# esbuild, then terser): the first stage (embed.js), a classic script that paints, and the
# second (newswire-live.js), a module that runs the widget. Both get the widget's attribute
# facts from src/config.rs; scripts/release.mjs stamps each stage with the SRI hashes it
# checks (and the first with where its release's files are).
LOADER_SOURCES := $(wildcard www/loader/*.js) scripts/bundle-loader.mjs
$(PKG)/facts.js: $(WIDGET_SOURCES) examples/loader-facts.rs
	@mkdir -p $(@D)
	cargo run --quiet -p newswire --example loader-facts > $@.tmp
	mv $@.tmp $@

# Readable, for the dev loop (both stages).
$(PKG)/embed.js: $(LOADER_SOURCES) $(PKG)/facts.js node_modules/.installed
	node scripts/bundle-loader.mjs $(PKG)/facts.js $@ $(PKG)/newswire-live.js

$(PKG)/embed.min.js: $(LOADER_SOURCES) $(PKG)/facts.js node_modules/.installed
	node scripts/bundle-loader.mjs $(PKG)/facts.js $@ $(PKG)/newswire-live.min.js --minify

# The stylesheet ships minified; its readable source stays in www/newswire.css.
$(DIST)/newswire/newswire.css: www/newswire.css scripts/minify-css.mjs
	@mkdir -p $(@D)
	node scripts/minify-css.mjs $< $@

$(DIST)/newswire/%: www/%
	@mkdir -p $(@D)
	cp $< $@

# The release: the four files under newswire/v/{content hash}/, the stamped loaders, and
# release.json; NAME.br and NAME.gz beside each, for the server to pick by Accept-Encoding.
$(DIST)/newswire/.precompressed: $(ASSETS) scripts/precompress.mjs scripts/wire-size.mjs scripts/release.mjs
	node scripts/release.mjs $(DIST)/newswire $(PKG)/embed.min.js $(PKG)/newswire-live.min.js
	@touch $@

$(DIST)/%: www/%
	@mkdir -p $(@D)
	cp $< $@

$(SERVER): $(SERVER_SOURCES)
	cargo build --profile server -p newswire-server

# ---------------------------------------------------------------- demo

# The demo needs the build tools, not the browser the tests drive, and builds side by side
# what nothing orders (the two tool installs, the npm tools, the loader's facts and the
# server, the wasm in its own target folder): about 6 minutes on a fresh 2-core machine
# (docs/contributing.md). The publisher's console is on at /admin: with NEWSWIRE_ADMIN_TOKEN
# from the environment, or a token made for this run and printed. The first start stores a
# few sample reviews, from made-up partner sites that the demo allows
# (server/demo-partners.txt), beside loopback pages.
DEMO_JOBS ?= 4
demo:
	@$(MAKE) --no-print-directory -j$(DEMO_JOBS) --output-sync=line demo-built
	@token="$${NEWSWIRE_ADMIN_TOKEN:-}"; \
	if [ -z "$$token" ]; then \
		token=$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n'); \
		echo "The console's token for this run: $$token (set NEWSWIRE_ADMIN_TOKEN to choose one)"; \
	fi; \
	NEWSWIRE_ADMIN_TOKEN="$$token" $(SERVER) --addr 127.0.0.1:8080 --feed www/sample-feed.json \
		--db newswire.db --www $(DIST) --seed-demo \
		--allow-origins server/demo-partners.txt --allow-loopback

demo-built: build $(SERVER)

# (The page loads the loader stamped with the attribute facts, target/pkg/embed.js.)
dev: tools $(PKG)/embed.js
	@command -v trunk >/dev/null || cargo install trunk --version 0.21.14 --locked
	trunk serve

# ---------------------------------------------------------------- test

test: tools fmt-check clippy test-native test-browser test-server test-e2e

fmt-check:
	cargo fmt --all --check

clippy: tool-wasm-target
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p newswire --all-targets --target $(WASM_TARGET) -- -D warnings

test-native:
	cargo test -p newswire

# With the browser tier's own feed host (tests/browser-server.mjs) on a free port, for the
# 304s, retries, aborts and the body cap; stopped when the tests end, however they end.
test-browser: tool-wasm-target tool-wasm-bindgen tool-chromium
	@mkdir -p target; rm -f target/browser-server.addr
	node tests/browser-server.mjs > target/browser-server.addr & server=$$!; \
		trap 'kill $$server' EXIT; \
		for _ in $$(seq 100); do [ -s target/browser-server.addr ] && break; sleep 0.1; done; \
		NEWSWIRE_TEST_SERVER=$$(cat target/browser-server.addr) \
		CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
		cargo test -p newswire --target $(WASM_TARGET) --test browser

test-server: tool-postgres
	cargo test -p newswire-store -p newswire-server

test-e2e: build package $(FAULTS)/.built node_modules/.installed tool-chromium tool-postgres \
		tool-firefox tool-webkit tool-geckodriver tool-sqlite3 tool-nginx
	cargo build -p newswire-server
	NEWSWIRE_SERVER=$(TEST_SERVER) NEWSWIRE_DIST=$(DIST) NEWSWIRE_FAULTS=$(FAULTS) \
		node --test --test-concurrency=1 tests/e2e/

# The release build plus the fault-injection feature, with the guarded glue, beside the
# release loader and stylesheet. Only the end-to-end tests load it, to watch a trap being
# contained. It shares every dependency with the release build; only the crate is rebuilt.
$(FAULTS)/.built: $(WIDGET_SOURCES) $(POST_LINK) $(DIST)/newswire/.precompressed | tool-wasm-bindgen
	CARGO_TARGET_DIR=$(WASM_BUILD) cargo build -p newswire --lib --release --target $(WASM_TARGET) \
		--features fault-injection
	wasm-bindgen --target web --no-typescript --out-dir $(FAULTS) --out-name newswire \
		$(WASM_BUILD)/$(WASM_TARGET)/release/newswire.wasm
	node scripts/post-link.mjs $(FAULTS)/newswire_bg.wasm $(FAULTS)/newswire.js $(FAULTS)
	cp $(DIST)/newswire/newswire.css $(FAULTS)/
	node scripts/release.mjs --here $(FAULTS) $(PKG)/embed.min.js $(PKG)/newswire-live.min.js
	@touch $@

# The feed parser and mapper's property tests, far longer than the bounded run in `make test`.
FUZZ_CASES ?= 20000
fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) cargo test --release -p newswire --test properties

# ---------------------------------------------------------------- bench

# Bytes, then the demo page in headless Chromium (time to content, host impact, rendering at
# scale, memory), then the server under load. Timing lives here, never in pass/fail tests.
bench: tools build $(SERVER) tool-postgres $(LIGHTHOUSE)
	node tests/bench/size.mjs $(DIST)/newswire
	NEWSWIRE_SERVER=$(SERVER) NEWSWIRE_DIST=$(DIST) node tests/bench/timing.mjs
	NEWSWIRE_SERVER=$(SERVER) NEWSWIRE_DIST=$(DIST) node tests/bench/streams.mjs
	NEWSWIRE_SERVER=$(SERVER) NEWSWIRE_DIST=$(DIST) node tests/bench/failover.mjs
	NEWSWIRE_SERVER=$(SERVER) NEWSWIRE_DIST=$(DIST) node tests/bench/lighthouse.mjs
	cargo run --quiet --profile server -p newswire-server --example load

$(LIGHTHOUSE): | tool-chromium
	npm install --prefix target/lighthouse lighthouse@$(LIGHTHOUSE_VERSION) --no-audit --no-fund --loglevel=error

# The optional nightly variant, for comparison only: std rebuilt for size with
# panic=immediate-abort (a panic then stops the instance without its message; the loader
# still contains it). Stable stays the shipped build. Installs nightly if it is missing.
NIGHTLY := target/nightly
size-nightly: tools build
	rustup toolchain list | grep -q '^nightly' || \
		rustup toolchain install nightly --profile minimal --component rust-src --target $(WASM_TARGET)
	RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" cargo +nightly build --release \
		--target $(WASM_TARGET) -p newswire --lib -Z build-std=std,panic_abort --target-dir target/nightly-build
	wasm-bindgen --target web --no-typescript --out-dir $(NIGHTLY) --out-name newswire \
		target/nightly-build/$(WASM_TARGET)/release/newswire.wasm
	node scripts/post-link.mjs $(NIGHTLY)/newswire_bg.wasm $(NIGHTLY)/newswire.js $(NIGHTLY) --optimise --minify
	cp $(DIST)/newswire/newswire.css $(NIGHTLY)/
	node scripts/release.mjs --here $(NIGHTLY) $(PKG)/embed.min.js $(PKG)/newswire-live.min.js
	node tests/bench/size.mjs $(NIGHTLY) target/bench/size-nightly.json

clean:
	rm -rf $(DIST) $(PKG)
