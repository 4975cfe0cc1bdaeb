# The two commands of the Quick start, and the benchmarks. Each installs what is missing first.
SWIFT ?= swift
ARGS ?=

.PHONY: run test bench bootstrap build clean

bootstrap:
	@bash Tools/bootstrap.sh

build: bootstrap
	$(SWIFT) build

# Starts the daemon on the embedded defaults: data in ./data, HTTP on 127.0.0.1:8080, its own Mosquitto,
# and the demo data (a citizen and a development OpenID client, printed in the log at first start).
# Extra options: make run ARGS="--http 127.0.0.1:9090 --log-format json"
run: bootstrap
	$(SWIFT) build --product smartnationd
	SMARTNATION_DEMO_DATA=true exec .build/debug/smartnationd $(ARGS)

test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Release build; prints each figure beside its baseline, measured in the same run.
bench: bootstrap
	$(SWIFT) build -c release --product smartnation-bench
	.build/release/smartnation-bench $(ARGS)

clean:
	rm -rf .build
