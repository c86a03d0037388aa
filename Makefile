# kiln — build, test, benchmark.
#
#   make            build/kiln (CLI) and build/libkiln.a (library)
#   make test       install missing tools (apt-get), build, run every suite;
#                   ends with "N passed, N failed"
#   make spec       the official spec testsuite only
#   make bench      benchmarks: native vs kiln vs node vs wasm-interp
#   make fuzz       libFuzzer target under build/fuzz/
#   make SAN=1 ...  the same with ASan+UBSan, in build-san/
#   make CC=clang-19 ...  another compiler
#   make SIMD=scalar ...  v128 instructions as portable lane loops instead of
#                   the compiler's vector extensions (src/engine/simd.h)

CC      ?= cc
SAN     ?= 0
OPT     ?= -O2
ifeq ($(SAN),1)
BUILD   ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
else
BUILD   ?= build
SANFLAGS =
endif

WARN    = -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) $(SANFLAGS) -fvisibility=hidden -ffp-contract=off \
           -Iinclude -Isrc -Isrc/engine -MMD -MP
ifeq ($(SIMD),scalar)
CFLAGS  += -DKN_SIMD_SCALAR
endif
LDFLAGS += $(SANFLAGS)
LDLIBS  += -lm -lpthread

LIB_SRC := $(wildcard src/*/*.c)
CLI_SRC := $(wildcard cli/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)

all: $(BUILD)/kiln $(BUILD)/libkiln.a

$(BUILD)/libkiln.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/kiln: $(CLI_OBJ) $(BUILD)/libkiln.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libkiln.a $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# --- tests --------------------------------------------------------------
$(BUILD)/spec-runner: tests/spec/runner.c $(BUILD)/libkiln.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libkiln.a $(LDFLAGS) $(LDLIBS) -lcjson

$(BUILD)/invoke-check: tests/cli/invoke_check.c $(BUILD)/libkiln.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libkiln.a $(LDFLAGS) $(LDLIBS) -lcjson

UNIT_SRC := $(wildcard tests/unit/*.c)
$(BUILD)/unit-tests: $(UNIT_SRC) $(BUILD)/libkiln.a
	$(CC) $(CFLAGS) -o $@ $(UNIT_SRC) $(BUILD)/libkiln.a $(LDFLAGS) $(LDLIBS)

test:
	@bash tests/run.sh

spec: $(BUILD)/spec-runner $(BUILD)/kiln
	@bash tests/spec/run.sh $(BUILD)

bench: all
	@bash bench/run.sh

fuzz:
	$(MAKE) -f tests/fuzz/fuzz.mk

clean:
	rm -rf build build-san

.PHONY: all test spec bench fuzz clean
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
