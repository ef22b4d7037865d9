# axnet - top-level build.
#
#   make            build/axnet and libaxnet (installs missing Debian packages first)
#   make check      unit tests, fuzz smoke, end-to-end tests (as root)
#   make demo       the demo on namespaces it makes itself (as root)
#   make bench      benchmarks against the kernel as the peer (as root)
#   make bench-exec stock programs under `axnet exec` against the kernel
#   make bench-vm   TCP goodput through axnet in a QEMU guest vs its kernel
#   make bench-ipv6 TCP goodput through axnet over IPv6 next to IPv4
#   make bench-axiom authorizations/s and connect() latency, local-file vs etcd Axiom
#
# The test build (build/asan/) has ASan and UBSan; both builds use
# -Wall -Wextra -Werror.

BUILD   ?= build
CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool

WARN    := -Wall -Wextra -Werror
CPPFLAGS := -I. -Iinclude -Iuserspace -Idriver -I$(BUILD)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN)
LDLIBS  := -lxdp -lbpf -lelf -lz -lsodium -lcurl -ljansson -lm
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

BPF_CFLAGS := -O2 -g $(WARN) -target bpf -D__TARGET_ARCH_x86 \
	-I/usr/include/x86_64-linux-gnu -Iinclude

# The engine: protocol code with no I/O of its own (unit-testable).
NET_SRCS := $(wildcard userspace/net/*.c)
# Shared utilities (util/: log, durable writes, instances), Axiom (the
# commit log), policy (language, matcher) and the authorizer joining them
# with the engine: no I/O of their own beyond Axiom's storage backend;
# linked into unit tests too.
LIB_SRCS := $(wildcard util/*.c etcd/*.c axiom/*.c policy/*.c authz/*.c sock/*.c)
# Packet I/O backends and the XDP loader.
DRV_SRCS := $(wildcard driver/*.c)
# The daemon (event loop, control server, built-in services) and the
# command-line program's subcommands.
CLI_SRCS := $(wildcard daemon/*.c userspace/cli/*.c)
# The daemon's server for programs, which tests and fuzzers link without
# the rest of the daemon: the readers of what programs write, the segment
# allocator, sessions and rings (over sock/ and the engine).
IPC_SRCS := daemon/ipc_decode.c daemon/segalloc.c daemon/sockserv.c daemon/sockserv_data.c \
	daemon/ringown.c

SKEL := $(BUILD)/axnet_xdp.skel.h

obj = $(patsubst %.c,$(1)/obj/%.o,$(2))

.PHONY: all deps check layers unit fuzz e2e demo bench bench-exec bench-vm bench-ipv6 bench-axiom clean libaxnet

all: $(BUILD)/axnet libaxnet

deps:
	@scripts/deps.sh

# --- BPF -------------------------------------------------------------------
$(BUILD)/axnet_xdp.bpf.o: bpf/axnet_xdp.bpf.c include/axnet/xdp_shared.h | deps
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL): $(BUILD)/axnet_xdp.bpf.o
	$(BPFTOOL) gen skeleton $< name axnet_xdp > $@.tmp && mv $@.tmp $@

# --- user space --------------------------------------------------------------
HDRS := $(wildcard include/axnet/*.h userspace/net/*.h driver/*.h userspace/cli/*.h daemon/*.h \
	axiom/*.h policy/*.h authz/*.h util/*.h sock/*.h etcd/*.h)

$(BUILD)/obj/%.o: %.c $(HDRS) $(SKEL) | deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c $(HDRS) $(SKEL) | deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -O1 -c $< -o $@

# `axnet nc` is a libaxnet program: the static library (only ax_* visible).
$(BUILD)/axnet: $(call obj,$(BUILD),$(NET_SRCS) $(LIB_SRCS) $(DRV_SRCS) $(CLI_SRCS)) $(BUILD)/libaxnet.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -pthread

$(BUILD)/asan/axnet: $(call obj,$(BUILD)/asan,$(NET_SRCS) $(LIB_SRCS) $(DRV_SRCS) $(CLI_SRCS)) \
		$(BUILD)/asan/libaxnet.a
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS) -pthread

# --- libaxnet: the socket API for programs ------------------------------------
# Built position-independent with every symbol hidden but the ax_* calls
# (AX_API). The shared library has a versioned soname; the static one is
# one relocatable object whose hidden symbols are made local, so a program
# linking it sees only ax_* too. $(BUILD)/asan/libaxnet.a is the sanitized
# variant for test programs built with $(SANFLAGS).
LIBAX_SRCS := $(wildcard libaxnet/*.c) util/instance.c
LIBAX_HDRS := $(wildcard libaxnet/*.h) include/axnet/socket.h include/axnet/ipc.h util/instance.h
LIBAX_CFLAGS := -fPIC -fvisibility=hidden -pthread

$(BUILD)/pic/obj/%.o: %.c $(LIBAX_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LIBAX_CFLAGS) -c $< -o $@

$(BUILD)/asan/pic/obj/%.o: %.c $(LIBAX_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LIBAX_CFLAGS) $(SANFLAGS) -O1 -c $< -o $@

$(BUILD)/libaxnet.so.0: $(call obj,$(BUILD)/pic,$(LIBAX_SRCS))
	$(CC) -shared -Wl,-soname,libaxnet.so.0 -Wl,--no-undefined -o $@ $^ -pthread

$(BUILD)/libaxnet.so: $(BUILD)/libaxnet.so.0
	ln -sf libaxnet.so.0 $@

define LIBAX_AR
	$(LD) -r -o $(@:.a=.o) $^
	objcopy --localize-hidden $(@:.a=.o)
	rm -f $@ && ar rcs $@ $(@:.a=.o)
endef
$(BUILD)/libaxnet.a: $(call obj,$(BUILD)/pic,$(LIBAX_SRCS))
	$(LIBAX_AR)
$(BUILD)/asan/libaxnet.a: $(call obj,$(BUILD)/asan/pic,$(LIBAX_SRCS))
	$(LIBAX_AR)

libaxnet: $(BUILD)/libaxnet.so $(BUILD)/libaxnet.a $(BUILD)/asan/libaxnet.a \
	$(BUILD)/libaxnet-preload.so

# The LD_PRELOAD library (`axnet exec`): libaxnet's sources again with
# AX_PRELOAD (its kernel calls through dlsym(RTLD_NEXT): libaxnet/sys.h)
# and preload/ (libc's names). Exports libc's names only. Never
# sanitized: an ASan library cannot be preloaded into a stock program.
PRELOAD_SRCS := $(wildcard preload/*.c)
PRELOAD_HDRS := $(LIBAX_HDRS) $(wildcard preload/*.h)
PRELOAD_CFLAGS := -fPIC -fvisibility=hidden -pthread -DAX_PRELOAD

$(BUILD)/preload-obj/%.o: %.c $(PRELOAD_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PRELOAD_CFLAGS) -c $< -o $@

$(BUILD)/libaxnet-preload.so: $(patsubst %.c,$(BUILD)/preload-obj/%.o,$(LIBAX_SRCS) $(PRELOAD_SRCS))
	$(CC) -shared -Wl,--no-undefined -Wl,-z,nodelete -o $@ $^ -ldl -pthread

# `build/asan/axnet exec` finds the library beside itself: the plain one
# (a sanitized library cannot be preloaded into a stock program).
$(BUILD)/asan/libaxnet-preload.so: $(BUILD)/libaxnet-preload.so
	@mkdir -p $(@D)
	ln -sf ../libaxnet-preload.so $@

# A program on libaxnet alone (the shared library, found by rpath), for
# tests/e2e/test-libaxnet-lib.sh.
$(BUILD)/tests/ax_cat: tests/tools/ax_cat.c include/axnet/socket.h $(BUILD)/libaxnet.so
	@mkdir -p $(@D)
	$(CC) -Iinclude $(CFLAGS) -pthread -o $@ $< -L$(BUILD) -laxnet -Wl,-rpath,$(abspath $(BUILD))

# Its unit tests: the pure pieces (headers), and the library against a
# fake daemon in the test (its objects linked directly).
$(BUILD)/asan/tests/test_libaxnet_pure: $(LIBAX_HDRS)
$(BUILD)/asan/tests/test_libaxnet: tests/unit/test_libaxnet.c tests/unit/testlib.h \
		$(call obj,$(BUILD)/asan/pic,$(LIBAX_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(SANFLAGS) -O1 -pthread -o $@ $< \
		$(call obj,$(BUILD)/asan/pic,$(LIBAX_SRCS))
# The descriptor and blocking semantics, on the same fake daemon.
$(BUILD)/asan/tests/test_libaxnet_sem: tests/unit/test_libaxnet_sem.c tests/unit/test_libaxnet.c \
		tests/unit/testlib.h $(LIBAX_HDRS) $(call obj,$(BUILD)/asan/pic,$(LIBAX_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(SANFLAGS) -O1 -pthread -o $@ $< \
		$(call obj,$(BUILD)/asan/pic,$(LIBAX_SRCS))

# The preload library's pure pieces.
$(BUILD)/asan/tests/test_preload_env: tests/unit/test_preload_env.c tests/unit/testlib.h \
		preload/env.c preload/env.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(SANFLAGS) -O1 -o $@ $< preload/env.c
$(BUILD)/asan/tests/test_preload_dns: tests/unit/test_preload_dns.c tests/unit/testlib.h \
		preload/dns.c preload/dns.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(SANFLAGS) -O1 -o $@ $< preload/dns.c

# --- tests -------------------------------------------------------------------
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/%,$(UNIT_SRCS))
NET_ASAN_OBJS := $(call obj,$(BUILD)/asan,$(NET_SRCS) $(LIB_SRCS) $(IPC_SRCS))

$(BUILD)/asan/tests/%: tests/unit/%.c tests/unit/testlib.h tests/unit/fake_netif.h tests/unit/tcp_check.h \
		tests/unit/tcp_helper.h tests/unit/tmpdir.h tests/unit/authz_helper.h $(NET_ASAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(SANFLAGS) -O1 -o $@ $< $(NET_ASAN_OBJS) -lsodium -lcurl -ljansson -lm

# The etcd store against an etcd in memory (tests/unit/fake_etcd.h takes
# etcd/etcd.c's place).
$(BUILD)/asan/tests/test_axiom_etcd_store: tests/unit/test_axiom_etcd_store.c tests/unit/fake_etcd.h \
		tests/unit/testlib.h tests/unit/tmpdir.h $(call obj,$(BUILD)/asan,$(wildcard util/*.c axiom/*.c))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(SANFLAGS) -O1 -pthread -o $@ $< \
		$(call obj,$(BUILD)/asan,$(wildcard util/*.c axiom/*.c)) -lsodium -lm

# test_tcp_table holds 100,000 connections. With opt.h's rings (2 x 256 KiB,
# allocated with the connection) that is 51 GB of address space and ~9 GB
# of ASan shadow, so it gets an engine of its own with 4 KiB rings: the
# table is under test there, not the buffers.
TABLE_DEFS := -DAX_TCP_SNDBUF=4096u -DAX_TCP_RCVBUF=4096u

$(BUILD)/asan/tests/test_tcp_table: tests/unit/test_tcp_table.c tests/unit/testlib.h \
		tests/unit/fake_netif.h $(NET_SRCS) $(LIB_SRCS) $(HDRS) | deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(TABLE_DEFS) -Itests/unit $(CFLAGS) $(SANFLAGS) -O1 -o $@ $< \
		$(NET_SRCS) $(LIB_SRCS) -lsodium -lcurl -ljansson -lm

# The connection-table benchmark: the plain (not sanitized) engine objects.
$(BUILD)/tests/tcp_table_bench: tests/bench/tcp_table_bench.c tests/unit/fake_netif.h \
		$(call obj,$(BUILD),$(NET_SRCS) $(LIB_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -o $@ $< \
		$(call obj,$(BUILD),$(NET_SRCS) $(LIB_SRCS)) -lsodium -lcurl -ljansson -lm

# The policy matcher's benchmark (ns per match for 10 to 10,000 rules).
$(BUILD)/tests/policy_bench: tests/bench/policy_bench.c $(call obj,$(BUILD),$(NET_SRCS) $(LIB_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ -lsodium -lcurl -ljansson -lm

# Load for Axiom's crash tests: kill -9 it anywhere, then every printed seq must be in the log.
$(BUILD)/tests/axiom_stress: tests/tools/axiom_stress.c $(call obj,$(BUILD),$(wildcard util/*.c etcd/*.c axiom/*.c)) | deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -pthread -o $@ $^ -lsodium -lcurl -ljansson

# Axiom on etcd, through the store's ops (tests/e2e/test-axiom-etcd-store.sh); sanitized.
$(BUILD)/tests/axiom_etcd_probe: tests/tools/axiom_etcd_probe.c \
		$(call obj,$(BUILD)/asan,$(wildcard util/*.c etcd/*.c axiom/*.c)) | deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -pthread -o $@ $^ -lsodium -lcurl -ljansson

# The etcd client against a real cluster (tests/e2e/test-etcd-client.sh).
ETCD_OBJS = $(call obj,$(1),$(wildcard etcd/*.c))
$(BUILD)/asan/tests/etcd_client_test: tests/tools/etcd_client_test.c tests/tools/sha256.h \
		$(call ETCD_OBJS,$(BUILD)/asan)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/tools $(CFLAGS) $(SANFLAGS) -O1 -pthread -o $@ $< \
		$(call ETCD_OBJS,$(BUILD)/asan) -lcurl -ljansson -lsodium

$(BUILD)/tests/garbage: tests/tools/garbage.c | deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $<

# The bench's kernel client and listener (tests/bench/axiom_bench.sh).
$(BUILD)/tests/connect_load: tests/tools/connect_load.c | deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -pthread -o $@ $<

# The relay builds its frag-needed messages with the engine's checksum.
$(BUILD)/tests/impair: tests/tools/impair.c $(BUILD)/obj/userspace/net/csum.o | deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^

# The XDP program's decisions under BPF_PROG_TEST_RUN (tests/e2e/test-xdp-prog.sh).
$(BUILD)/tests/xdp_testrun: tests/tools/xdp_testrun.c include/axnet/xdp_shared.h | deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< -lbpf -lelf -lz

$(BUILD)/tests/xdp_pass.bpf.o: tests/tools/xdp_pass.bpf.c | deps
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Programs of a user's (tests/tools/ax_*.c): built only against
# include/axnet/socket.h and -laxnet, as a program outside the tree is
# (ax_scribble also reads ipc.h, to aim). rpath: copies of them elsewhere
# (policy by program) still find the library.
AX_TOOL_FLAGS = -Iinclude -Itests/tools $(CFLAGS) -pthread
AX_TOOLS := $(BUILD)/tests/ax_xfer $(BUILD)/tests/ax_epoll_many $(BUILD)/tests/ax_scribble \
	$(BUILD)/tests/ax_errno $(BUILD)/tests/ax_xfer_kernel $(BUILD)/tests/ax_errno_kernel \
	$(BUILD)/tests/ax_idle $(BUILD)/tests/ax_sem $(BUILD)/tests/ax_sem_kernel

$(BUILD)/tests/ax_%: tests/tools/ax_%.c tests/tools/sha256.h include/axnet/socket.h \
		include/axnet/ipc.h $(BUILD)/libaxnet.so
	@mkdir -p $(@D)
	$(CC) $(AX_TOOL_FLAGS) -o $@ $< -L$(BUILD) -laxnet -Wl,-rpath,$(abspath $(BUILD))

# The same programs on the kernel's sockets: the bench's baseline, and the
# reference for ax_errno's outcomes.
$(BUILD)/tests/ax_%_kernel: tests/tools/ax_%.c tests/tools/ax_kernel.h tests/tools/sha256.h
	@mkdir -p $(@D)
	$(CC) -DAX_KERNEL $(AX_TOOL_FLAGS) -o $@ $<

# Unmodified programs' stand-ins (tests/tools/px_*.c): the kernel's socket
# calls only, no axnet header, run under libaxnet-preload.so. Fortified,
# so glibc's _chk variants are what they call.
PX_TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(wildcard tests/tools/px_*.c))

$(BUILD)/tests/px_%: tests/tools/px_%.c tests/tools/sha256.h
	@mkdir -p $(@D)
	$(CC) -Itests/tools -std=gnu11 $(WARN) -g -O2 -D_FORTIFY_SOURCE=2 -o $@ $<

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_TIME ?= 20

# fuzz_tcp walks the connection table after every record: a small one
# keeps that cheap and makes hash chains collide. Small rings let a few
# records fill a window, and keep LeakSanitizer's heap scans short.
$(BUILD)/fuzz/fuzz_tcp: FUZZ_DEFS := -DAX_TCP_HASH_BUCKETS=64u -DAX_TCP_SNDBUF=16384u \
	-DAX_TCP_RCVBUF=16384u

# The preload resolver's answer parser: dns.c alone.
$(BUILD)/fuzz/fuzz_dns: tests/fuzz/fuzz_dns.c preload/dns.c preload/dns.h
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) -std=gnu11 $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ \
		$< preload/dns.c

# The etcd client's answer decoders: json.c alone.
$(BUILD)/fuzz/fuzz_etcd: tests/fuzz/fuzz_etcd.c etcd/json.c etcd/json.h etcd/etcd.h
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) -std=gnu11 $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ \
		$< etcd/json.c -ljansson -lsodium

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/unit/fake_netif.h $(NET_SRCS) $(LIB_SRCS) $(IPC_SRCS) $(HDRS) | deps
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) $(FUZZ_DEFS) -std=gnu11 $(WARN) -g -O1 \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(NET_SRCS) $(LIB_SRCS) $(IPC_SRCS) -lsodium -lcurl -ljansson -lm

unit: $(UNIT_BINS)
	@tests/unit/run.sh $(UNIT_BINS)

# A target's seeds, when it has a tests/fuzz/NAME_seeds.py, join its corpus,
# and so do the inputs that once broke it (tests/fuzz/regress/NAME-*).
fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do \
		echo "fuzz: $$f for $(FUZZ_TIME)s"; \
		mkdir -p $(BUILD)/fuzz/corpus-$$(basename $$f); \
		seeds=tests/fuzz/$$(basename $$f)_seeds.py; \
		[ ! -f $$seeds ] || python3 $$seeds $(BUILD)/fuzz/corpus-$$(basename $$f) || exit 1; \
		cp tests/fuzz/regress/$$(basename $$f)-* $(BUILD)/fuzz/corpus-$$(basename $$f)/ 2>/dev/null; \
		$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=0 \
			$(BUILD)/fuzz/corpus-$$(basename $$f) 2>$(BUILD)/fuzz/$$(basename $$f).log \
			|| { tail -40 $(BUILD)/fuzz/$$(basename $$f).log; exit 1; }; \
		grep -h -E '^#[0-9]+.*DONE' $(BUILD)/fuzz/$$(basename $$f).log || true; \
	done

# The virtio-net guest runs the plain build; the host-side tests the ASan one.
E2E_DEPS := $(BUILD)/axnet $(BUILD)/asan/axnet $(BUILD)/tests/garbage $(BUILD)/tests/impair \
	$(BUILD)/tests/xdp_pass.bpf.o $(BUILD)/tests/xdp_testrun $(BUILD)/axnet_xdp.bpf.o $(AX_TOOLS) \
	$(BUILD)/tests/ax_cat $(BUILD)/libaxnet-preload.so $(BUILD)/asan/libaxnet-preload.so \
	$(PX_TOOLS) $(BUILD)/asan/tests/etcd_client_test $(BUILD)/tests/axiom_etcd_probe

e2e: $(E2E_DEPS)
	@AXNET=$(BUILD)/asan/axnet AXNET_GUEST=$(BUILD)/axnet GARBAGE=$(BUILD)/tests/garbage \
		IMPAIR=$(BUILD)/tests/impair XDP_PASS_OBJ=$(BUILD)/tests/xdp_pass.bpf.o \
		XDP_TESTRUN=$(BUILD)/tests/xdp_testrun XDP_OBJ=$(BUILD)/axnet_xdp.bpf.o \
		AX_TOOLS_DIR=$(BUILD)/tests \
		tests/e2e/run.sh $(TESTS)

# The dependency rules of ARCHITECTURE.md, on the #include lines.
layers:
	@scripts/check-layers.sh

check: layers unit fuzz e2e

demo: $(BUILD)/axnet
	$(BUILD)/axnet demo

bench: $(BUILD)/axnet $(BUILD)/tests/tcp_table_bench $(BUILD)/tests/policy_bench $(AX_TOOLS) \
		$(BUILD)/libaxnet-preload.so $(BUILD)/tests/connect_load
	AXNET=$(BUILD)/axnet tests/bench/ping_rtt.sh
	AXNET=$(BUILD)/axnet tests/bench/tcp_goodput.sh
	AXNET=$(BUILD)/axnet tests/bench/tcp_goodput6.sh
	$(BUILD)/tests/tcp_table_bench
	$(BUILD)/tests/policy_bench
	AXNET=$(BUILD)/axnet tests/bench/authz_connect.sh
	AXNET=$(BUILD)/axnet AX_TOOLS_DIR=$(BUILD)/tests tests/bench/libaxnet_bench.sh
	AXNET=$(BUILD)/axnet BENCH_JSON=$(BUILD)/bench.json tests/bench/exec_bench.sh
	AXNET=$(BUILD)/axnet BENCH_VM_JSON=$(BUILD)/bench-vm.json tests/bench/vm_bench.sh
	AXNET=$(BUILD)/axnet CONNECT_LOAD=$(BUILD)/tests/connect_load BENCH_JSON=$(BUILD)/bench.json \
		tests/bench/axiom_bench.sh

# Stock programs on the kernel and under `axnet exec` alone (the last part
# of `make bench`; BENCH_QUICK=1 for a short run): table, $(BUILD)/bench.json.
bench-exec: $(BUILD)/axnet $(BUILD)/libaxnet-preload.so
	AXNET=$(BUILD)/axnet BENCH_JSON=$(BUILD)/bench.json tests/bench/exec_bench.sh

# TCP goodput host <-> a QEMU guest (TCG) through axnet in the guest, next
# to the guest kernel's own TCP (part of `make bench`): table,
# $(BUILD)/bench-vm.json.
bench-vm: $(BUILD)/axnet $(BUILD)/libaxnet-preload.so
	AXNET=$(BUILD)/axnet BENCH_VM_JSON=$(BUILD)/bench-vm.json tests/bench/vm_bench.sh

# TCP goodput through axnet over IPv6 next to IPv4 on one veth pair (part of
# `make bench`).
bench-ipv6: $(BUILD)/axnet
	AXNET=$(BUILD)/axnet tests/bench/tcp_goodput6.sh

# Authorizations/s and the connect() latency axnet adds, with the local-file
# Axiom and with Axiom on a 3-member etcd cluster, next to the kernel's own
# listener, in one run (part of `make bench`): table, added to
# $(BUILD)/bench.json.
bench-axiom: $(BUILD)/axnet $(BUILD)/tests/connect_load
	AXNET=$(BUILD)/axnet CONNECT_LOAD=$(BUILD)/tests/connect_load BENCH_JSON=$(BUILD)/bench.json \
		tests/bench/axiom_bench.sh

clean:
	rm -rf $(BUILD)
