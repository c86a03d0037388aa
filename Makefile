# kiln — build, test, benchmark.
#
#   make            build/kiln (CLI), build/libkiln.a and build/libkiln.so
#                   (the library, static and shared)
#   make install PREFIX=/usr/local [DESTDIR=...]
#                   bin/kiln, include/kiln*.h, lib/libkiln.a,
#                   lib/libkiln.so.X.Y.Z (soname libkiln.so.X) with its
#                   links, lib/pkgconfig/kiln.pc; the plugin host beside
#                   it: lib/libkiln-plugin.a, lib/libkiln-plugin.so.X.Y.Z
#                   (soname libkiln-plugin.so.X), lib/pkgconfig/kiln-plugin.pc
#   make test       install missing tools (apt-get), build, run every suite;
#                   ends with "N passed, N failed"
#   make spec       the official spec testsuite only, through `kiln wast`
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
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
           -DKN_CHECK_RESET
else
BUILD   ?= build
SANFLAGS =
endif

WARN    = -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) $(SANFLAGS) -fvisibility=hidden -ffp-contract=off \
           -Iinclude -Isrc/common -MMD -MP
ifeq ($(SIMD),scalar)
CFLAGS  += -DKN_SIMD_SCALAR
endif
LDFLAGS += $(SANFLAGS)
LDLIBS  += -lm -lpthread

# Each directory sees only what it may use.  The engine (src/engine/) gets
# its private headers and src/ (for os/os.h); every other layer under src/
# (os, wasi, and those to come) and the CLI get include/ only, plus their
# own directory, where #include "..." looks first anyway, and src/common/,
# header-only helpers written on kiln.h alone (kn_alloc.h): a layer that
# includes an engine-private header does not build.
# The native tier (src/jit/) is part of the engine and sees the same.
ENGINE_INC = -Isrc -Isrc/engine
$(BUILD)/src/engine/%.o: DIR_INC = $(ENGINE_INC)
$(BUILD)/src/jit/%.o: DIR_INC = $(ENGINE_INC)

# One set of objects, all position-independent, makes both libraries.
# Measured: interpreter speed is unchanged (fib(35), matmul, lz), because
# -fvisibility=hidden already keeps internal calls direct, and
# -fno-semantic-interposition does the same for the exported ones.
PICFLAGS = -fPIC -fno-semantic-interposition

VERSION := $(shell sed -n 's/^\#define KILN_VERSION_STRING "\(.*\)"/\1/p' include/kiln.h)
MAJOR   := $(firstword $(subst ., ,$(VERSION)))
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
PCDIR   ?= $(LIBDIR)/pkgconfig

LIB_SRC := $(filter-out src/serve/% src/plugin/%,$(wildcard src/*/*.c))
CLI_SRC := $(filter-out cli/serve.c,$(wildcard cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)

# The server layer (src/serve/, `kiln serve`) is not part of libkiln: it is
# an embedder like cli/, sees include/ and its own directory only, and is
# linked with h2o (its own event loop), OpenSSL and cJSON into a program of
# its own, build/kiln-serve (cli/serve.c), which `kiln serve` runs in its
# place (cli/serve_exec.c): loading those libraries would cost every other
# start of kiln ~3.5 ms.  kiln-serve takes the CLI's helpers from
# $(BUILD)/kiln-cli.a, the CLI's objects but main.o.
SERVE_SRC  := $(wildcard src/serve/*.c)
SERVE_OBJ  := $(SERVE_SRC:%.c=$(BUILD)/%.o)
SERVE_LIBS := $(shell pkg-config --libs libh2o-evloop 2>/dev/null || echo -lh2o-evloop) \
              -lssl -lcrypto -lcjson
$(SERVE_OBJ) $(BUILD)/cli/serve.o: DIR_INC = -Isrc/serve

# The plugin host (src/plugin/, include/kiln_plugin.h) is a library of its
# own, libkiln-plugin, on top of libkiln: it sees include/, src/common and
# its own directory only, and brings libcurl (http_request), cJSON (the
# manifest) and OpenSSL's libcrypto (sha256), which libkiln does not need.
# libcurl is dlopen'd by the first http_request (src/plugin/curl_dl.c), so
# nothing links it: its ~25 shared objects would cost every start-up ~12 ms;
# libcrypto likewise by the first digest (src/plugin/sha256.c), ~2 ms.
PLUGIN_SRC  := $(wildcard src/plugin/*.c)
PLUGIN_OBJ  := $(PLUGIN_SRC:%.c=$(BUILD)/%.o)
PLUGIN_LIBS := -lcjson -ldl -lpthread
$(PLUGIN_OBJ): DIR_INC = -Isrc/plugin

all: $(BUILD)/kiln $(BUILD)/kiln-serve $(BUILD)/libkiln.a $(BUILD)/libkiln.so \
     $(BUILD)/libkiln-plugin.a $(BUILD)/libkiln-plugin.so

$(BUILD)/libkiln.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Exports exactly what include/*.h marks KILN_API (tests/symbols.sh checks).
$(BUILD)/libkiln.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libkiln.so.$(MAJOR) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libkiln-plugin.a: $(PLUGIN_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libkiln-plugin.so: $(PLUGIN_OBJ) $(BUILD)/libkiln.so
	$(CC) -shared -Wl,-soname,libkiln-plugin.so.$(MAJOR) $(LDFLAGS) -o $@ $(PLUGIN_OBJ) \
	    -L$(BUILD) -lkiln $(PLUGIN_LIBS) $(LDLIBS)

$(BUILD)/kiln: $(CLI_OBJ) $(BUILD)/libkiln-plugin.a $(BUILD)/libkiln.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libkiln-plugin.a $(BUILD)/libkiln.a \
	    $(PLUGIN_LIBS) $(LDLIBS)

$(BUILD)/kiln-cli.a: $(filter-out $(BUILD)/cli/main.o,$(CLI_OBJ))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/kiln-serve: $(BUILD)/cli/serve.o $(SERVE_OBJ) $(BUILD)/kiln-cli.a \
                     $(BUILD)/libkiln-plugin.a $(BUILD)/libkiln.a
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/cli/serve.o $(SERVE_OBJ) $(BUILD)/kiln-cli.a \
	    $(BUILD)/libkiln-plugin.a $(BUILD)/libkiln.a $(SERVE_LIBS) $(PLUGIN_LIBS) $(LDLIBS)

# Flags live here, so objects are rebuilt when this file changes.
$(LIB_OBJ) $(CLI_OBJ) $(BUILD)/cli/serve.o $(SERVE_OBJ) $(PLUGIN_OBJ): Makefile

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PICFLAGS) $(DIR_INC) -c -o $@ $<

# Written on every install, so it always names the PREFIX installed to.
$(BUILD)/kiln.pc: FORCE
	@mkdir -p $(dir $@)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCDIR)' '' \
	    'Name: kiln' 'Description: WebAssembly runtime for servers' 'Version: $(VERSION)' \
	    'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lkiln' 'Libs.private: $(LDLIBS)' >$@

# kiln-plugin.pc requires kiln.pc: an embedder of the plugin host also
# calls libkiln (kiln_engine_new); a static link adds the host's own libs.
$(BUILD)/kiln-plugin.pc: FORCE
	@mkdir -p $(dir $@)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCDIR)' '' \
	    'Name: kiln-plugin' 'Description: Extism-ABI plugin host on the kiln WebAssembly runtime' \
	    'Version: $(VERSION)' 'Requires: kiln' 'Cflags: -I$${includedir}' \
	    'Libs: -L$${libdir} -lkiln-plugin' 'Libs.private: $(PLUGIN_LIBS)' >$@

install: all $(BUILD)/kiln.pc $(BUILD)/kiln-plugin.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PCDIR)
	install -m 755 $(BUILD)/kiln $(DESTDIR)$(BINDIR)/kiln
	install -m 755 $(BUILD)/kiln-serve $(DESTDIR)$(BINDIR)/kiln-serve
	install -m 644 $(wildcard include/*.h) $(DESTDIR)$(INCDIR)/
	install -m 644 $(BUILD)/libkiln.a $(DESTDIR)$(LIBDIR)/libkiln.a
	install -m 755 $(BUILD)/libkiln.so $(DESTDIR)$(LIBDIR)/libkiln.so.$(VERSION)
	ln -sf libkiln.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkiln.so.$(MAJOR)
	ln -sf libkiln.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libkiln.so
	install -m 644 $(BUILD)/kiln.pc $(DESTDIR)$(PCDIR)/kiln.pc
	install -m 644 $(BUILD)/libkiln-plugin.a $(DESTDIR)$(LIBDIR)/libkiln-plugin.a
	install -m 755 $(BUILD)/libkiln-plugin.so $(DESTDIR)$(LIBDIR)/libkiln-plugin.so.$(VERSION)
	ln -sf libkiln-plugin.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkiln-plugin.so.$(MAJOR)
	ln -sf libkiln-plugin.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libkiln-plugin.so
	install -m 644 $(BUILD)/kiln-plugin.pc $(DESTDIR)$(PCDIR)/kiln-plugin.pc

# --- tests --------------------------------------------------------------
$(BUILD)/invoke-check: tests/cli/invoke_check.c $(BUILD)/libkiln.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libkiln.a $(LDFLAGS) $(LDLIBS) -lcjson

# The text-format parser's checks (tests/wat/run.sh): against wast2json on
# the spec testsuite, and its unit tests.
$(BUILD)/wat-spec-check: tests/wat/spec_check.c $(BUILD)/libkiln.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libkiln.a $(LDFLAGS) $(LDLIBS) -lcjson

WAT_UNIT_SRC := $(wildcard tests/wat/test_*.c) tests/unit/main.c
$(BUILD)/wat-unit: $(WAT_UNIT_SRC) $(BUILD)/libkiln.a
	$(CC) $(CFLAGS) -Itests/unit -o $@ $(WAT_UNIT_SRC) $(BUILD)/libkiln.a $(LDFLAGS) $(LDLIBS)

UNIT_SRC := $(wildcard tests/unit/*.c)
$(BUILD)/unit-tests: $(UNIT_SRC) $(BUILD)/libkiln.a
	$(CC) $(CFLAGS) $(ENGINE_INC) -o $@ $(UNIT_SRC) $(BUILD)/libkiln.a $(LDFLAGS) $(LDLIBS)

# The server layer's unit tests (tests/serve/test_*.c): router, CGI, WAGI,
# manifest, metrics, access log.
SERVE_UNIT_SRC := $(wildcard tests/serve/test_*.c) tests/unit/main.c
$(BUILD)/serve-unit-tests: $(SERVE_UNIT_SRC) $(SERVE_OBJ) $(BUILD)/libkiln.a
	$(CC) $(CFLAGS) -Isrc/serve -o $@ $(SERVE_UNIT_SRC) $(SERVE_OBJ) $(BUILD)/libkiln.a \
	    $(LDFLAGS) $(SERVE_LIBS) $(LDLIBS)

# The plugin host's unit and integration tests (tests/plugin/test_*.c), one
# binary for every part of src/plugin/; the test plugins they load are
# built by tests/plugin/run.sh.
PLUGIN_UNIT_SRC := $(wildcard tests/plugin/test_*.c) tests/unit/main.c
$(BUILD)/plugin-unit-tests: $(PLUGIN_UNIT_SRC) $(wildcard tests/plugin/*.h) $(PLUGIN_OBJ) $(BUILD)/libkiln.a
	$(CC) $(CFLAGS) -Isrc/plugin -Itests/unit -o $@ $(PLUGIN_UNIT_SRC) $(PLUGIN_OBJ) \
	    $(BUILD)/libkiln.a $(LDFLAGS) $(PLUGIN_LIBS) $(LDLIBS)

test:
	@bash tests/run.sh

spec: $(BUILD)/kiln
	@bash tests/spec/run.sh $(BUILD)

bench: all
	@bash bench/run.sh

fuzz:
	$(MAKE) -f tests/fuzz/fuzz.mk

clean:
	rm -rf build build-san

.PHONY: all install test spec bench fuzz clean FORCE
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(BUILD)/cli/serve.d $(SERVE_OBJ:.o=.d) $(PLUGIN_OBJ:.o=.d)
