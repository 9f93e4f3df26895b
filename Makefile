# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
APP        := tlsmem
VERSION    := 0.1.0
OUTPUT     ?= .output
CLANG      ?= clang
BPFTOOL    ?= bpftool
PKG_CONFIG ?= pkg-config
prefix     ?= /usr/local
ARCH       ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX    := vmlinux/$(ARCH)

CFLAGS     ?= -g -O2
WARNINGS   := -Wall -Wextra -Wshadow -Wundef -Wformat=2 \
	      -Wstrict-prototypes -Wmissing-prototypes -Wno-format-nonliteral
SANITIZE   ?= -fsanitize=address,undefined -fno-omit-frame-pointer
# user/ is grouped by stage (README, Layout); every stage folder is on the include path
STAGES     := attach model detect symbols output live
INCLUDES   := -I$(OUTPUT) -Ibpf -Iuser $(addprefix -Iuser/,$(STAGES))
DEFINES    := -D_GNU_SOURCE -DTLSMEM_VERSION='"$(VERSION)"'
LIBS       := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz -llzma -ldl -lpthread -lcapstone \
	      $(shell $(PKG_CONFIG) --libs ncursesw 2>/dev/null || echo -lncursesw) -lm

# Sources that use libbpf or curses; every other user/ source is pure or
# plain-libc and is linked into the unit tests.
SYS_SRCS   := user/main.c user/attach/probe.c user/attach/wraps.c user/attach/umulti.c \
	      user/attach/reader.c user/session.c user/session_check.c user/session_targets.c \
	      user/session_all.c user/session_out.c user/live/tui.c
USER_SRCS  := $(wildcard user/*.c $(addsuffix /*.c,$(addprefix user/,$(STAGES))))
USER_OBJS  := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
UNIT_SRCS  := $(filter-out $(SYS_SRCS),$(USER_SRCS))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_*.c))
TARGETS    := $(patsubst tests/targets/%.c,$(OUTPUT)/targets/%,$(wildcard tests/targets/*.c))

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)';
MAKEFLAGS += --no-print-directory
endif

.PHONY: all test unit e2e demo bench soak deps clean install uninstall vmlinux-h targets fuzz
all: $(APP) targets

targets: $(TARGETS)

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests $(OUTPUT)/targets:
	$(Q)mkdir -p $@

$(OUTPUT)/$(APP).bpf.o: bpf/$(APP).bpf.c $(VMLINUX)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) \
		-I$(VMLINUX) -Ibpf -MMD -MP -c $< -o $@

$(OUTPUT)/$(APP).skel.h: $(OUTPUT)/$(APP).bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# the only includers of the skeleton
$(OUTPUT)/user/attach/probe.o $(OUTPUT)/user/attach/wraps.o: $(OUTPUT)/$(APP).skel.h

$(OUTPUT)/user/%.o: user/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(DEFINES) $(INCLUDES) -MMD -MP -c $< -o $@

$(APP): $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

# the pure and plain-libc sources, built once with the sanitizers for every unit test
UNIT_OBJS  := $(patsubst user/%.c,$(OUTPUT)/san/%.o,$(UNIT_SRCS))

$(OUTPUT)/san/%.o: user/%.c
	$(call msg,SAN-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(DEFINES) $(SANITIZE) $(INCLUDES) -MMD -MP -c $< -o $@

$(OUTPUT)/tests/%: tests/unit/%.c $(UNIT_OBJS) | $(OUTPUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(DEFINES) $(SANITIZE) $(INCLUDES) -Itests/unit \
		-MMD -MP $< $(UNIT_OBJS) -lelf -lz -llzma -ldl -lpthread -lm -lcapstone -o $@

$(OUTPUT)/targets/%: tests/targets/%.c | $(OUTPUT)/targets
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(DEFINES) -MMD -MP $< -lssl -lcrypto -lpthread -o $@

$(OUTPUT)/bench/ingest: tests/bench/ingest.c $(wildcard user/model/*.c)
	$(call msg,BENCH-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g $(WARNINGS) $(DEFINES) $(INCLUDES) $^ -o $@

$(OUTPUT)/bench/tlsload: tests/bench/tlsload.c
	$(call msg,BENCH-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g $(WARNINGS) $^ -lssl -lcrypto -lpthread -o $@

# Test targets of other shapes: static OpenSSL, deleted and late-loaded libraries, BoringSSL
SHAPES        := $(OUTPUT)/shapes
SHAPE_TARGETS := $(addprefix $(SHAPES)/,gt_server_static gt_server_static_stripped libtcn.so \
		   dl_host hold_client)
# libnames (tests/targets/shapes/names.c), stripped in every way debuggers find names again
NAMES         := $(SHAPES)/names
NAMES_TARGETS := $(addprefix $(NAMES)/,libnames.so libnames.so.debug libnames_stripped.so \
		   libnames_link.so libnames_link.so.debug libnames_mini.so libnames_jni.so \
		   libnames_jni_full.so)
SHAPE_TARGETS += $(NAMES_TARGETS)
BORING_INC    := /usr/include/android
BORING_LIB    := /usr/lib/$(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/android
ifneq ($(wildcard $(BORING_INC)/openssl/ssl.h),)
SHAPE_TARGETS += $(SHAPES)/boring_target
endif

targets: $(SHAPE_TARGETS)

$(SHAPES):
	$(Q)mkdir -p $@

$(SHAPES)/gt_server_static: tests/targets/gt_server.c | $(SHAPES)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(DEFINES) -MMD -MP $< \
		-Wl,-Bstatic -lssl -lcrypto -Wl,-Bdynamic -lpthread -ldl -o $@

$(SHAPES)/gt_server_static_stripped: $(SHAPES)/gt_server_static
	$(call msg,STRIP,$@)
	$(Q)strip -o $@ $<

$(SHAPES)/libtcn.so: tests/targets/shapes/tcn.c | $(SHAPES)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(DEFINES) -MMD -MP -fPIC -shared $< -lcrypto -o $@

$(NAMES):
	$(Q)mkdir -p $@

$(NAMES)/libnames.so: tests/targets/shapes/names.c | $(NAMES)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(DEFINES) -fno-toplevel-reorder -MMD -MP -fPIC -shared -Wl,--build-id $< -lcrypto -o $@

$(NAMES)/libnames_jni_full.so: tests/targets/shapes/names.c | $(NAMES)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(DEFINES) -DNAMES_JNI -fno-toplevel-reorder -MMD -MP -fPIC -shared -Wl,--build-id \
		$< -lcrypto -o $@

$(NAMES)/libnames.so.debug: $(NAMES)/libnames.so
	$(call msg,DEBUG,$@)
	$(Q)objcopy --only-keep-debug $< $@

$(NAMES)/libnames_stripped.so: $(NAMES)/libnames.so
	$(call msg,STRIP,$@)
	$(Q)strip --strip-all -o $@ $<

$(NAMES)/libnames_jni.so: $(NAMES)/libnames_jni_full.so
	$(call msg,STRIP,$@)
	$(Q)strip --strip-all -o $@ $<

# the debuglink records the debug file's name and CRC
$(NAMES)/libnames_link.so.debug: $(NAMES)/libnames.so.debug
	$(Q)cp $< $@

$(NAMES)/libnames_link.so: $(NAMES)/libnames_stripped.so $(NAMES)/libnames_link.so.debug
	$(call msg,LINK,$@)
	$(Q)objcopy --add-gnu-debuglink=$(NAMES)/libnames_link.so.debug $< $@

# MiniDebugInfo as Fedora makes it: an xz'd ELF with the .symtab, in .gnu_debugdata
$(NAMES)/libnames_mini.so: $(NAMES)/libnames_stripped.so $(NAMES)/libnames.so.debug
	$(call msg,MINIDBG,$@)
	$(Q)strip --strip-debug --remove-section=.comment -o $@.mini $(NAMES)/libnames.so.debug
	$(Q)xz -f -k $@.mini
	$(Q)objcopy --add-section .gnu_debugdata=$@.mini.xz $< $@
	$(Q)rm -f $@.mini $@.mini.xz

$(SHAPES)/dl_host: tests/targets/shapes/dl_host.c | $(SHAPES)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(DEFINES) -MMD -MP $< -ldl -o $@

$(SHAPES)/hold_client: tests/targets/shapes/hold_client.c | $(SHAPES)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(DEFINES) -MMD -MP $< -lssl -lcrypto -o $@

$(SHAPES)/boring_target: tests/targets/shapes/boring_target.c | $(SHAPES)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(DEFINES) -MMD -MP -I$(BORING_INC) $< -rdynamic \
		-L$(BORING_LIB) -Wl,-rpath,$(BORING_LIB) -lssl -lcrypto -o $@

deps:
	$(Q)tests/deps.sh

# unit tests, then end-to-end tests (root); ends with "N passed, N failed"
# the benchmark's programs are built too, so that a change cannot break them unseen
test: deps
	$(Q)$(MAKE) $(APP) $(UNIT_TESTS) targets $(OUTPUT)/bench/ingest $(OUTPUT)/bench/tlsload
	$(Q)OUTPUT=$(OUTPUT) CLANG=$(CLANG) FUZZ_SEED=1 tests/run-all.sh $(UNIT_TESTS) tests/fuzz/run.sh

FUZZ_SECONDS ?= 300

# libFuzzer targets under ASan/UBSan (clang): FUZZ_SECONDS each; crashes in $(OUTPUT)/fuzz/crashes
fuzz:
	$(Q)OUTPUT=$(OUTPUT) CLANG=$(CLANG) tests/fuzz/run.sh $(FUZZ_SECONDS)

unit: $(UNIT_TESTS)
	$(Q)tests/run-all.sh --unit-only $(UNIT_TESTS)

# 30 minutes of churn against gt_server and nginx (SOAK_S=seconds); not part of make test
soak: deps
	$(Q)$(MAKE) $(APP) targets
	$(Q)SOAK_S=$${SOAK_S:-1800} bash tests/soak.sh

demo: deps
	$(Q)$(MAKE) $(APP) targets
	$(Q)tests/demo.sh ./$(APP)

bench: deps
	$(Q)$(MAKE) $(APP) targets $(OUTPUT)/bench/ingest $(OUTPUT)/bench/tlsload
	$(Q)BASE=$(BASE) tests/bench/run.sh ./$(APP)

install: $(APP)
	$(call msg,INSTALL,$(DESTDIR)$(prefix)/sbin/$(APP))
	$(Q)install -d -m 0755 $(DESTDIR)$(prefix)/sbin
	$(Q)install -m 0755 $(APP) $(DESTDIR)$(prefix)/sbin/$(APP)

uninstall:
	$(Q)rm -f $(DESTDIR)$(prefix)/sbin/$(APP)

clean:
	$(call msg,CLEAN,$(OUTPUT) $(APP))
	$(Q)rm -rf $(OUTPUT) $(APP)

# refresh the checked-in header from the running kernel's BTF
vmlinux-h:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX)/vmlinux.h.tmp
	mv $(VMLINUX)/vmlinux.h.tmp $(VMLINUX)/vmlinux.h

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/user/*.d $(OUTPUT)/user/*/*.d $(OUTPUT)/san/*.d \
	$(OUTPUT)/san/*/*.d $(OUTPUT)/tests/*.d \
	$(OUTPUT)/targets/*.d \
	$(SHAPES)/*.d $(NAMES)/*.d)

.DELETE_ON_ERROR:
.SECONDARY:
