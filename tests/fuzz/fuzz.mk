# fuzz.mk — builds the libFuzzer target build/fuzz/kiln-fuzz.
#
#   make fuzz                                  (runs: make -f tests/fuzz/fuzz.mk)
#   build/fuzz/kiln-fuzz tests/fuzz/corpus -max_total_time=600
#
# libFuzzer writes new inputs into its first directory; to keep the seeds
# apart:  mkdir -p build/fuzz/corpus &&
#         build/fuzz/kiln-fuzz build/fuzz/corpus tests/fuzz/corpus -max_len=4096
#
# The library is compiled again with clang-19 and
# -fsanitize=fuzzer-no-link,address,undefined into build/fuzz/obj, so its
# edges are instrumented for libFuzzer; the target itself links with
# -fsanitize=fuzzer,address,undefined.  Needs clang-19 and libclang-rt-19-dev
# (tests/run.sh installs both).
#
# Other targets:
#   make -f tests/fuzz/fuzz.mk corpus   regenerate tests/fuzz/corpus/*.wasm
#                                       from tests/fuzz/seeds/*.wat (wat2wasm)
#   make -f tests/fuzz/fuzz.mk smoke    run the target once over the corpus
#                                       and every reproducer (no mutation)

FUZZ_CC    ?= clang-19
FUZZ_DIR   ?= build/fuzz
FUZZ_SAN    = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Wno-unused-parameter -ffp-contract=off \
              -fvisibility=hidden -Iinclude -Isrc -Isrc/engine -MMD -MP $(FUZZ_SAN)

FUZZ_LIB_SRC := $(wildcard src/*/*.c)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BIN     := $(FUZZ_DIR)/kiln-fuzz

SEEDS := $(wildcard tests/fuzz/seeds/*.wat)

all: $(FUZZ_BIN)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/obj/fuzz.o: tests/fuzz/fuzz.c include/kiln.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BIN): $(FUZZ_DIR)/obj/fuzz.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ -lm -lpthread

corpus: $(SEEDS:tests/fuzz/seeds/%.wat=tests/fuzz/corpus/%.wasm)

tests/fuzz/corpus/%.wasm: tests/fuzz/seeds/%.wat
	wat2wasm $< -o $@

# Every corpus file and reproducer once, no mutation: quick and deterministic.
smoke: $(FUZZ_BIN)
	@files=$$(find tests/fuzz/corpus tests/fuzz/regress tests/regress -maxdepth 1 -type f \
	          ! -name 'README*' ! -name '*.md' ! -name '*.c' 2>/dev/null); \
	 $(FUZZ_BIN) -runs=1 $$files

.PHONY: all corpus smoke
-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_DIR)/obj/fuzz.d
