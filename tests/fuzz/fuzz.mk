# fuzz.mk — builds the libFuzzer targets build/fuzz/kiln-fuzz (input: a module
# binary), build/fuzz/kiln-fuzz-gen (input: choices for a generated module)
# and build/fuzz/kiln-fuzz-wasi (input: guest memory and WASI calls).
#
#   make fuzz                                  (runs: make -f tests/fuzz/fuzz.mk)
#   mkdir -p build/fuzz/corpus build/fuzz/artifacts
#   build/fuzz/kiln-fuzz build/fuzz/corpus tests/fuzz/corpus -max_len=4096 \
#       -max_total_time=600 -artifact_prefix=build/fuzz/artifacts/
#
# libFuzzer writes new inputs into its first directory and crash-* files
# into the current one: the scratch corpus and -artifact_prefix keep both
# out of the tracked tree (tests/fuzz/corpus holds only the seeds).
#
# The library is compiled again with clang-19 and
# -fsanitize=fuzzer-no-link,address,undefined into build/fuzz/obj, so its
# edges are instrumented for libFuzzer; the target itself links with
# -fsanitize=fuzzer,address,undefined.  Needs clang-19 and libclang-rt-19-dev
# (tests/run.sh installs both).
#
# The structure-aware target build/fuzz/kiln-fuzz-gen (tests/fuzz/fuzz_gen.c,
# generator tests/fuzz/wasmgen.c, driver shared with fuzz.c in
# tests/fuzz/fuzz_harness.h) reads its input as choices that build a valid,
# SIMD-heavy module, and aborts if kiln rejects one.  KILN_FUZZ_GEN_SIMD=0
# in the environment restricts it to scalar instructions:
#
#   mkdir -p build/fuzz/gen-corpus
#   build/fuzz/kiln-fuzz-gen build/fuzz/gen-corpus tests/fuzz/gen-corpus -max_total_time=600 \
#       -artifact_prefix=build/fuzz/artifacts/
#   KILN_FUZZ_DUMP=m.wasm build/fuzz/kiln-fuzz-gen build/fuzz/artifacts/crash-...
#                                              (the module of an input)
#   build/fuzz/kiln-gen-dump [--scalar] INPUT m.wasm           (the same, without kiln)
#
# build/fuzz/kiln-fuzz-wasi (tests/fuzz/fuzz_wasi.c) makes WASI calls with
# fuzzed arguments in a sandbox of two preopens and aborts if anything
# outside them (or in the read-only one) changes, or a host fd leaks;
# seeds in tests/fuzz/wasi-corpus/.
#
# Other targets:
#   make -f tests/fuzz/fuzz.mk corpus   regenerate tests/fuzz/corpus/*.wasm
#                                       from tests/fuzz/seeds/*.wat (wat2wasm)
#   make -f tests/fuzz/fuzz.mk smoke    run the target once over the corpus
#                                       and every reproducer (no mutation)
#   make -f tests/fuzz/fuzz.mk smoke-gen [GEN_SIMD=0|1] [GEN_RUNS=N]
#                                       kiln-fuzz-gen once over
#                                       tests/fuzz/gen-corpus, then N (default
#                                       5000) deterministic mutations (-seed=1)
#                                       in SIMD (default) or scalar-only mode
#   make -f tests/fuzz/fuzz.mk smoke-wasi [WASI_RUNS=N]
#                                       smoke-wasi-leak, then kiln-fuzz-wasi
#                                       once over its seeds, then N (default
#                                       5000) mutations
#   make -f tests/fuzz/fuzz.mk smoke-wasi-leak
#                                       a deliberately leaked or closed host
#                                       fd makes kiln-fuzz-wasi abort; fds
#                                       opened as the runtime does do not
#   make -f tests/fuzz/fuzz.mk smoke-empty [EMPTY_SECS=N]
#                                       every target from an empty corpus
#                                       for N (default 60) seconds each
#   make -f tests/fuzz/fuzz.mk smoke-cgi [CGI_RUNS=N]
#                                       kiln-fuzz-cgi (src/serve/cgi.c) once
#                                       over tests/fuzz/cgi-corpus, then N
#                                       (default 20000) mutations
#   make -f tests/fuzz/fuzz.mk gen-check [GEN_CHECK_N=N]
#                                       wasm-validate N (default 300) random
#                                       generated modules per mode, and check
#                                       the opcode table against wasm-objdump
#                                       (tests/fuzz/gen-check.sh; no kiln)

FUZZ_CC    ?= clang-19
FUZZ_DIR   ?= build/fuzz
FUZZ_SAN    = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Wno-unused-parameter -ffp-contract=off \
              -fvisibility=hidden -Iinclude -Isrc/common -Isrc -Isrc/engine -MMD -MP $(FUZZ_SAN)

# src/serve and src/plugin are not libkiln (they need h2o, cJSON, curl,
# libcrypto): their targets compile the files they test themselves.
FUZZ_LIB_SRC := $(filter-out src/serve/% src/plugin/%,$(wildcard src/*/*.c))
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BIN     := $(FUZZ_DIR)/kiln-fuzz
GEN_BIN      := $(FUZZ_DIR)/kiln-fuzz-gen
GEN_DUMP     := $(FUZZ_DIR)/kiln-gen-dump
GEN_OBJ      := $(FUZZ_DIR)/obj/fuzz_gen.o $(FUZZ_DIR)/obj/wasmgen.o
WASI_BIN     := $(FUZZ_DIR)/kiln-fuzz-wasi
CGI_BIN      := $(FUZZ_DIR)/kiln-fuzz-cgi

SEEDS := $(wildcard tests/fuzz/seeds/*.wat)

all: $(FUZZ_BIN) $(GEN_BIN) $(GEN_DUMP) $(WASI_BIN) $(CGI_BIN)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/obj/fuzz.o: tests/fuzz/fuzz.c tests/fuzz/fuzz_harness.h include/kiln.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BIN): $(FUZZ_DIR)/obj/fuzz.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ -lm -lpthread

$(FUZZ_DIR)/obj/fuzz_gen.o: tests/fuzz/fuzz_gen.c tests/fuzz/fuzz_harness.h tests/fuzz/wasmgen.h include/kiln.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# The WASI target: guest memory and a sequence of WASI calls (fuzz_wasi.c).
$(FUZZ_DIR)/obj/fuzz_wasi.o: tests/fuzz/fuzz_wasi.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(WASI_BIN): $(FUZZ_DIR)/obj/fuzz_wasi.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ -lm -lpthread

# GEN_CFLAGS=-DKILN_FUZZ_GEN_SIMD=0 makes scalar-only the default (the
# environment's KILN_FUZZ_GEN_SIMD still overrides it); rm build/fuzz/obj/wasmgen.o
# and build/fuzz/kiln-gen-dump after changing it.
GEN_CFLAGS ?=
$(FUZZ_DIR)/obj/wasmgen.o: tests/fuzz/wasmgen.c tests/fuzz/wasmgen.h tests/fuzz/wasmgen_ops.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(GEN_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(GEN_BIN): $(GEN_OBJ) $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ -lm -lpthread

# The generator alone (no libFuzzer, no kiln), still under ASan and UBSan.
$(GEN_DUMP): tests/fuzz/gen_dump.c tests/fuzz/wasmgen.c tests/fuzz/wasmgen.h tests/fuzz/wasmgen_ops.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(filter-out -MMD -MP,$(FUZZ_CFLAGS)) $(GEN_CFLAGS) -o $@ tests/fuzz/gen_dump.c tests/fuzz/wasmgen.c

corpus: $(SEEDS:tests/fuzz/seeds/%.wat=tests/fuzz/corpus/%.wasm)

tests/fuzz/corpus/%.wasm: tests/fuzz/seeds/%.wat
	wat2wasm $< -o $@

# Every corpus file and reproducer once, no mutation: quick and deterministic.
smoke: $(FUZZ_BIN)
	@files=$$(find tests/fuzz/corpus tests/fuzz/regress tests/regress -maxdepth 1 -type f \
	          ! -name 'README*' ! -name '*.md' ! -name '*.c' 2>/dev/null); \
	 $(FUZZ_BIN) -runs=1 $$files

# The generator target: every seed once, then a short deterministic mutation
# run from a scratch copy of the seeds.  GEN_SIMD=0 generates scalar code
# only (kiln without SIMD support rejects every SIMD module).
GEN_SIMD ?= 1
GEN_RUNS ?= 5000
GEN_WORK := $(FUZZ_DIR)/gen-work
smoke-gen: $(GEN_BIN)
	@files=$$(find tests/fuzz/gen-corpus -maxdepth 1 -type f ! -name 'README*' 2>/dev/null); \
	 KILN_FUZZ_GEN_SIMD=$(GEN_SIMD) $(GEN_BIN) -runs=1 $$files
	rm -rf $(GEN_WORK) && mkdir -p $(GEN_WORK) && cp tests/fuzz/gen-corpus/seed-* $(GEN_WORK)/
	KILN_FUZZ_GEN_SIMD=$(GEN_SIMD) $(GEN_BIN) -seed=1 -runs=$(GEN_RUNS) -max_len=4096 \
	    -len_control=0 -artifact_prefix=$(FUZZ_DIR)/ $(GEN_WORK)

# The WASI target over its seeds, then N deterministic mutations; first,
# smoke-wasi-leak shows that its fd check works.
WASI_RUNS ?= 5000
WASI_WORK := $(FUZZ_DIR)/wasi-work
smoke-wasi: $(WASI_BIN) smoke-wasi-leak
	$(WASI_BIN) -runs=1 tests/fuzz/wasi-corpus/seed-*
	rm -rf $(WASI_WORK) && mkdir -p $(WASI_WORK) && cp tests/fuzz/wasi-corpus/seed-* $(WASI_WORK)/
	$(WASI_BIN) -seed=1 -runs=$(WASI_RUNS) -max_len=4096 -artifact_prefix=$(FUZZ_DIR)/ $(WASI_WORK)

# KILN_FUZZ_WASI_LEAK makes the WASI harness leak (dir, dup) or close
# (close) a host fd itself: each must abort with the fd check's message,
# not with any other failure.  "pipe" opens fds as the fuzzing runtime
# does (its llvm-symbolizer pipes) and must run clean.
smoke-wasi-leak: $(WASI_BIN)
	@for m in dir dup close; do \
	   out=$$(KILN_FUZZ_WASI_LEAK=$$m $(WASI_BIN) -runs=1 -artifact_prefix=$(FUZZ_DIR)/leak- \
	          tests/fuzz/wasi-corpus/seed-misc 2>&1); \
	   if echo "$$out" | grep -qE '^fuzz_wasi: host fd [0-9]+ (is open after|was open before) the input'; then \
	     echo "smoke-wasi-leak: KILN_FUZZ_WASI_LEAK=$$m caught"; \
	   else echo "$$out" | tail -n 20; \
	     echo "smoke-wasi-leak: KILN_FUZZ_WASI_LEAK=$$m NOT caught"; exit 1; fi; \
	 done; rm -f $(FUZZ_DIR)/leak-crash-*
	KILN_FUZZ_WASI_LEAK=pipe $(WASI_BIN) -runs=1 tests/fuzz/wasi-corpus/seed-*

# Every libFuzzer target from an EMPTY corpus for EMPTY_SECS seconds each
# (default 60), in a fresh scratch corpus under $(FUZZ_DIR)/empty/, crashes
# into $(FUZZ_DIR)/artifacts/: what a first run on a new machine does, with
# nothing from the seeds to steer it.
EMPTY_SECS ?= 60
EMPTY_DIR  := $(FUZZ_DIR)/empty
smoke-empty: $(FUZZ_BIN) $(GEN_BIN) $(WASI_BIN) $(CGI_BIN)
	@mkdir -p $(FUZZ_DIR)/artifacts
	@for t in $(FUZZ_BIN) $(GEN_BIN) $(WASI_BIN) $(TOML_BIN) $(CGI_BIN) $(KERNEL_BIN) $(PM_BIN) \
	          $(WAT_BIN) $(KCW_BIN) $(DIFF_BIN); do \
	   d=$(EMPTY_DIR)/$$(basename $$t); rm -rf $$d && mkdir -p $$d || exit 1; \
	   echo "smoke-empty: $$t $$d -max_total_time=$(EMPTY_SECS)"; \
	   $$t $$d -max_total_time=$(EMPTY_SECS) -print_final_stats=1 \
	       -artifact_prefix=$(FUZZ_DIR)/artifacts/ || exit 1; \
	 done

# The WAGI output parser of `kiln serve` (src/serve/cgi.c, not in libkiln):
# its seeds once, then N deterministic mutations.
$(CGI_BIN): tests/fuzz/fuzz_cgi.c src/serve/cgi.c src/serve/cgi.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(filter-out -MMD -MP,$(FUZZ_CFLAGS)) -Isrc/serve -fsanitize=fuzzer -o $@ \
	    tests/fuzz/fuzz_cgi.c src/serve/cgi.c
CGI_RUNS ?= 20000
CGI_WORK := $(FUZZ_DIR)/cgi-work
smoke-cgi: $(CGI_BIN)
	$(CGI_BIN) -runs=1 tests/fuzz/cgi-corpus/*
	rm -rf $(CGI_WORK) && mkdir -p $(CGI_WORK) && cp tests/fuzz/cgi-corpus/* $(CGI_WORK)/
	$(CGI_BIN) -seed=1 -runs=$(CGI_RUNS) -max_len=4096 -artifact_prefix=$(FUZZ_DIR)/ $(CGI_WORK)

GEN_CHECK_N ?= 300
gen-check: $(GEN_DUMP)
	bash tests/fuzz/gen-check.sh $(GEN_CHECK_N) $(GEN_DUMP)

.PHONY: all corpus smoke smoke-gen smoke-wasi smoke-wasi-leak smoke-empty smoke-cgi gen-check
-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_DIR)/obj/fuzz.d $(GEN_OBJ:.o=.d) $(FUZZ_DIR)/obj/fuzz_wasi.d

# build/fuzz/kiln-fuzz-toml (tests/fuzz/fuzz_toml.c): the TOML parser
# (src/toml/) on arbitrary bytes; parses, walks the tree through every
# getter, frees.  No seed corpus: it starts from nothing.
#   mkdir -p build/fuzz/toml-corpus
#   build/fuzz/kiln-fuzz-toml build/fuzz/toml-corpus -max_total_time=300
#   make -f tests/fuzz/fuzz.mk smoke-toml [TOML_RUNS=N]   N (default 200000)
#                                       deterministic runs from an empty corpus
TOML_BIN := $(FUZZ_DIR)/kiln-fuzz-toml
all: $(TOML_BIN)
smoke-empty: $(TOML_BIN)

$(FUZZ_DIR)/obj/fuzz_toml.o: tests/fuzz/fuzz_toml.c include/kiln_toml.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(TOML_BIN): $(FUZZ_DIR)/obj/fuzz_toml.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ -lm -lpthread

TOML_RUNS ?= 200000
TOML_WORK := $(FUZZ_DIR)/toml-work
smoke-toml: $(TOML_BIN)
	rm -rf $(TOML_WORK) && mkdir -p $(TOML_WORK)
	$(TOML_BIN) -seed=1 -runs=$(TOML_RUNS) -max_len=4096 -artifact_prefix=$(FUZZ_DIR)/ $(TOML_WORK)

.PHONY: smoke-toml
-include $(FUZZ_DIR)/obj/fuzz_toml.d

# build/fuzz/kiln-fuzz-kernel (tests/fuzz/fuzz_kernel.c): the plugin kernel
# memory (src/plugin/kernel.c, not in libkiln) driven by arbitrary calls
# with arbitrary handles and lengths, checked against a model of the live
# blocks and a shadow of the arena.  No seed corpus.
#   mkdir -p build/fuzz/kernel-corpus
#   build/fuzz/kiln-fuzz-kernel build/fuzz/kernel-corpus -max_total_time=300
#   make -f tests/fuzz/fuzz.mk smoke-kernel [KERNEL_RUNS=N]   N (default 100000)
#                                       deterministic runs from an empty corpus
KERNEL_BIN := $(FUZZ_DIR)/kiln-fuzz-kernel
all: $(KERNEL_BIN)
smoke-empty: $(KERNEL_BIN)

$(FUZZ_DIR)/obj/fuzz_kernel.o: tests/fuzz/fuzz_kernel.c src/plugin/kernel.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Isrc/plugin -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/obj/src/plugin/kernel.o: src/plugin/kernel.c src/plugin/kernel.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Isrc/plugin -fsanitize=fuzzer-no-link -c -o $@ $<

$(KERNEL_BIN): $(FUZZ_DIR)/obj/fuzz_kernel.o $(FUZZ_DIR)/obj/src/plugin/kernel.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ -lm -lpthread

KERNEL_RUNS ?= 100000
KERNEL_WORK := $(FUZZ_DIR)/kernel-work
smoke-kernel: $(KERNEL_BIN)
	rm -rf $(KERNEL_WORK) && mkdir -p $(KERNEL_WORK)
	$(KERNEL_BIN) -seed=1 -runs=$(KERNEL_RUNS) -max_len=4096 -artifact_prefix=$(FUZZ_DIR)/ $(KERNEL_WORK)

.PHONY: smoke-kernel
-include $(FUZZ_DIR)/obj/fuzz_kernel.d $(FUZZ_DIR)/obj/src/plugin/kernel.d

# build/fuzz/kiln-fuzz-plugin-manifest (tests/fuzz/fuzz_plugin_manifest.c):
# the Extism manifest parser (src/plugin/manifest.c, not in libkiln) on
# arbitrary bytes, without file access; checks the result, frees it.  No
# seed corpus: it starts from nothing (smoke-empty runs it).
#   mkdir -p build/fuzz/pm-corpus
#   build/fuzz/kiln-fuzz-plugin-manifest build/fuzz/pm-corpus -max_total_time=300
PM_BIN := $(FUZZ_DIR)/kiln-fuzz-plugin-manifest
PM_SRC := tests/fuzz/fuzz_plugin_manifest.c src/plugin/manifest.c src/plugin/base64.c \
          src/plugin/sha256.c
all: $(PM_BIN)
smoke-empty: $(PM_BIN)

$(PM_BIN): $(PM_SRC) src/plugin/manifest.h src/plugin/base64.h src/plugin/sha256.h \
           include/kiln_plugin.h $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(filter-out -MMD -MP,$(FUZZ_CFLAGS)) -Isrc/plugin -fsanitize=fuzzer -o $@ \
	    $(PM_SRC) $(FUZZ_LIB_OBJ) -lcjson -lcrypto -lm -lpthread

# build/fuzz/kiln-fuzz-wat (tests/fuzz/fuzz_wat.c): the text-format parser
# (src/wat/) on arbitrary text, as a module and as a .wast script; what
# parses must pass kiln_module_new or fail cleanly.  Seeds: the .wat files
# of tests/fuzz/seeds and examples/.
#   mkdir -p build/fuzz/wat-corpus
#   build/fuzz/kiln-fuzz-wat build/fuzz/wat-corpus tests/fuzz/seeds -max_total_time=300
#   make -f tests/fuzz/fuzz.mk smoke-wat [WAT_RUNS=N]   the seeds once, then N
#                                       (default 20000) deterministic mutations
WAT_BIN := $(FUZZ_DIR)/kiln-fuzz-wat
all: $(WAT_BIN)
smoke-empty: $(WAT_BIN)

$(FUZZ_DIR)/obj/fuzz_wat.o: tests/fuzz/fuzz_wat.c include/kiln_wat.h include/kiln.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(WAT_BIN): $(FUZZ_DIR)/obj/fuzz_wat.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ -lm -lpthread

WAT_RUNS ?= 20000
WAT_WORK := $(FUZZ_DIR)/wat-work
smoke-wat: $(WAT_BIN)
	$(WAT_BIN) -runs=1 tests/fuzz/seeds/*.wat examples/*.wat
	rm -rf $(WAT_WORK) && mkdir -p $(WAT_WORK)
	for f in tests/fuzz/seeds/*.wat examples/*.wat; do cp $$f $(WAT_WORK)/$$(echo $$f | tr / _); done
	$(WAT_BIN) -seed=1 -runs=$(WAT_RUNS) -max_len=4096 -artifact_prefix=$(FUZZ_DIR)/ $(WAT_WORK)

.PHONY: smoke-wat
-include $(FUZZ_DIR)/obj/fuzz_wat.d

# build/fuzz/kiln-fuzz-kcw (tests/fuzz/fuzz_kcw.c): the compiled-code
# artifact reader (src/jit/artifact.c, kn_jit_load's checks): raw bytes,
# and edits of a valid artifact with the checksum (and module digest)
# re-sealed so they reach the structural checks.  No seed corpus: it
# starts from nothing (smoke-empty runs it).
#   mkdir -p build/fuzz/kcw-corpus
#   build/fuzz/kiln-fuzz-kcw build/fuzz/kcw-corpus -max_total_time=300
KCW_BIN := $(FUZZ_DIR)/kiln-fuzz-kcw
all: $(KCW_BIN)
smoke-empty: $(KCW_BIN)

$(FUZZ_DIR)/obj/fuzz_kcw.o: tests/fuzz/fuzz_kcw.c include/kiln.h include/kiln_wat.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(KCW_BIN): $(FUZZ_DIR)/obj/fuzz_kcw.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ -lm -lpthread

-include $(FUZZ_DIR)/obj/fuzz_kcw.d

# build/fuzz/kiln-fuzz-diff (tests/fuzz/fuzz_gen.c with -DKILN_FUZZ_DIFF):
# the differential target of the native tier.  Each input's generated module
# (as kiln-fuzz-gen makes it) runs on the interpreter, then on the native
# tier, each in a fresh engine; every call's results or trap, the hash of
# each exported memory and each exported global's bits must be the same
# (NaN payloads masked, as kiln-gen-diff does), or it aborts showing both.
#   make -f tests/fuzz/fuzz.mk smoke-diff [GEN_SIMD=0|1] [DIFF_RUNS=N]
#                                       its seeds (tests/fuzz/gen-corpus)
#                                       once, then N (default 3000)
#                                       deterministic mutations
DIFF_BIN := $(FUZZ_DIR)/kiln-fuzz-diff
all: $(DIFF_BIN)
smoke-empty: $(DIFF_BIN)

$(FUZZ_DIR)/obj/fuzz_diff.o: tests/fuzz/fuzz_gen.c tests/fuzz/fuzz_harness.h tests/fuzz/wasmgen.h include/kiln.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DKILN_FUZZ_DIFF -fsanitize=fuzzer-no-link -c -o $@ $<

$(DIFF_BIN): $(FUZZ_DIR)/obj/fuzz_diff.o $(FUZZ_DIR)/obj/wasmgen.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ -lm -lpthread

DIFF_RUNS ?= 3000
DIFF_WORK := $(FUZZ_DIR)/diff-work
smoke-diff: $(DIFF_BIN)
	KILN_FUZZ_GEN_SIMD=$(GEN_SIMD) $(DIFF_BIN) -runs=1 tests/fuzz/gen-corpus/seed-*
	rm -rf $(DIFF_WORK) && mkdir -p $(DIFF_WORK) && cp tests/fuzz/gen-corpus/seed-* $(DIFF_WORK)/
	KILN_FUZZ_GEN_SIMD=$(GEN_SIMD) $(DIFF_BIN) -seed=1 -runs=$(DIFF_RUNS) -max_len=4096 \
	    -len_control=0 -artifact_prefix=$(FUZZ_DIR)/ $(DIFF_WORK)

.PHONY: smoke-diff
-include $(FUZZ_DIR)/obj/fuzz_diff.d
