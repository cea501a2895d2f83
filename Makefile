# wamr-agent: every task is defined here.  `make help` lists them.
#
# Everything a target needs is installed by `make setup` (Debian packages via
# apt-get, Python packages into .venv), which the other targets depend on.

SHELL   := /bin/bash
PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
BUILD   := build
RUNTIME := firmware/core/runtime
# wasm3 files built through a file of ours that includes them (wa_m3_core.c:
# the allocator; wa_m3_compile.c: the loop operation) instead of directly.
WASM3_WRAPPED  := %/m3_core.c %/m3_compile.c
WASM3_WRAPPERS := %/wa_m3_core.c %/wa_m3_compile.c
# Sources every device build (QEMU firmware, simulated boards) shares besides the
# runtime, the agent and the port: shared port helpers, the SMP server, the OTA
# bundle verifier (our SHA-256 and SHA-512, Monocypher's EdDSA core) and zcbor.
# -DBLAKE2_NO_UNROLLING no longer changes the firmware: bundles are Ed25519
# (SHA-512) since format 2, so no BLAKE2b is linked; it is harmless and kept
# for builds that would link Monocypher's BLAKE2b again.
ZCBOR        := $(BUILD)/deps/zcbor
MONOCYPHER   := $(BUILD)/deps/monocypher
CORE_SOURCES  = $(wildcard firmware/core/port/*.c firmware/core/smp/*.c firmware/core/crypto/*.c \
                           firmware/core/ota/*.c) \
                $(addprefix $(ZCBOR)/,zcbor_common.c zcbor_decode.c zcbor_encode.c) \
                $(MONOCYPHER)/monocypher.c
CORE_INCLUDES := -Ifirmware/core/port -Ifirmware/core/smp -Ifirmware/core/crypto \
                 -Ifirmware/core/ota -I$(ZCBOR) -I$(MONOCYPHER) -DBLAKE2_NO_UNROLLING
# The public keys whose bundles devices install (ota/FORMAT.md). The default is
# the published test key, for emulated and simulated boards: the firmware says so
# at boot. Build real devices with TRUSTED_KEYS="release.pub ..." REQUIRE_SIGNED=1
# (bare module uploads refused). Both go into <out>/keys/wa_trusted_keys.h.
TRUSTED_KEYS ?= ota/vectors/test.pub
REQUIRE_SIGNED ?= 0
gen_keys = $(PYTHON) firmware/tools/gen_trusted_keys.py --out $(1)/keys \
           $(if $(filter 1,$(REQUIRE_SIGNED)),--require-signed) $(TRUSTED_KEYS)

# Debian 12 packages the current tasks need (pinned by the Debian release).
APT_PACKAGES := python3-venv clang lld wasi-libc libclang-rt-14-dev-wasm32 libclang-rt-14-dev wabt \
                gcc-arm-none-eabi libnewlib-arm-none-eabi clang-format openssl \
                mosquitto mosquitto-clients
# The simulated boards build as 32-bit processes on an x86-64 host (SIM_ARCH below).
HOST_ARCH    := $(shell uname -m)
APT_PACKAGES += $(if $(filter x86_64,$(HOST_ARCH)),gcc-multilib)
# App toolchains (docs/app-languages.md): C is clang above; Rust is Debian's rustc
# 1.63 with the wasm32 standard libraries; AssemblyScript is npm's, run by node.
# A node from elsewhere brings its own npm: Debian's npm only when none is on PATH.
# Zig is PyPI's ziglang (pyproject's dev extra).
APT_PACKAGES += rustc libstd-rust-dev-wasm32 nodejs $(if $(shell command -v npm),,npm)
APPDEV_NPM   := agent/wamr_agent/appdev/npm

.PHONY: help setup deps gen build examples test demo demo-device demo-local bench lint format clean selftest tools bench-firmware aot-diff-firmware \
        faultfw sweep fuzz fuzz-build

# Our C sources (the generated header and the X-macro table are left alone).
C_SOURCES := $(wildcard $(RUNTIME)/*.c $(RUNTIME)/*.h firmware/core/agent/*.[ch] firmware/core/port/*.[ch] \
             firmware/core/smp/*.[ch] firmware/core/crypto/*.[ch] firmware/core/ota/*.[ch] \
             firmware/tests/*.c firmware/bench/*.c examples/*/*.c bench/kernels/*.[ch] bench/*.c \
             agent/wamr_agent/appdev/templates/c/*/src/*.c \
             firmware/fuzz/*.[ch])

help:
	@echo "make demo      the whole chain: broker, controller, gateway with 3 emulated boards, deploy via MQTT, a rollout, telemetry"
	@echo "make demo-device  boot one emulated board, deploy the sensor example over SMP, show its telemetry"
	@echo "make demo-local  run the sensor example locally under the esp32 budget"
	@echo "make test      install what is needed and run every test tier"
	@echo "make bench     print the benchmark tables"
	@echo "make setup     install Debian packages and the Python venv (.venv)"
	@echo "make deps      fetch the pinned third-party C sources into build/deps"
	@echo "make gen       regenerate the app bindings (C, Rust, Zig, AssemblyScript) and docs from the native API table"
	@echo "make build     build the cffi binding (the device runtime, on the host)"
	@echo "make examples  build the example wasm apps into build/examples"
	@echo "make firmware  build the QEMU firmware (BOARD=mps2-an386; default: all mps2 boards)"
	@echo "make sim       build the simulated boards (BOARD=esp32; default: all host boards)"
	@echo "make selftest  build the port self-test image (BOARD=...)"
	@echo "make faultfw   build the QEMU firmware with the flash fault injector (BOARD=...)"
	@echo "make sweep     the full power-cut sweep (a cut before, during and after every flash op), chaotic link and runaway matrix"
	@echo "make fuzz      run each libFuzzer and atheris harness FUZZ_SECONDS (default 300), then the validator's differential test (FUZZ_EXAMPLES cases)"
	@echo "make fuzz-build  build the fuzz harnesses and their seed corpora (build/fuzz)"
	@echo "make tools     install smpmgr in its own venv (for the SMP interop tests)"
	@echo "make lint      ruff, mypy and clang-format --dry-run"
	@echo "make format    apply clang-format to our C sources"

# ---- setup -----------------------------------------------------------------

setup: $(BUILD)/.stamp-apt $(VENV)/.stamp-installed $(BUILD)/npm/.stamp-npm

$(BUILD)/.stamp-apt: Makefile
	@if command -v dpkg-query >/dev/null; then \
	  missing=$$(for p in $(APT_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:" $$missing; \
	    sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	    $$sudo apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	  fi; \
	else echo "not a Debian system: install the equivalents of: $(APT_PACKAGES)"; fi
	@mkdir -p $(BUILD) && touch $@

# The AssemblyScript compiler, at the version package-lock.json pins.
$(BUILD)/npm/.stamp-npm: $(APPDEV_NPM)/package.json $(APPDEV_NPM)/package-lock.json \
                         | $(BUILD)/.stamp-apt
	@mkdir -p $(@D)
	cp $^ $(@D)/
	cd $(@D) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The editable install builds the binding too, hence the binding stamp.
$(VENV)/.stamp-installed: pyproject.toml setup.py | $(BUILD)/.stamp-apt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q setuptools==80.9.0 cffi==2.0.0
	$(PY) firmware/tools/fetch_deps.py wasm3
	$(PY) -m pip install -q --no-build-isolation -e '.[dev]'
	@touch $@ $(BUILD)/.stamp-binding

# ---- build -----------------------------------------------------------------

deps:
	$(PYTHON) firmware/tools/fetch_deps.py

gen: setup
	$(PY) firmware/tools/gen_native_api.py

BINDING_SRC := $(wildcard $(RUNTIME)/*.c $(RUNTIME)/*.h $(RUNTIME)/*.def $(RUNTIME)/*.flags) \
               $(wildcard firmware/core/port/wa_tmp105.[ch]) \
               agent/wamr_agent/pywamr/_build.py

# --force: a changed compile flag in _build.py must rebuild every object.
$(BUILD)/.stamp-binding: $(VENV)/.stamp-installed $(BINDING_SRC)
	$(PY) firmware/tools/fetch_deps.py wasm3
	$(PY) setup.py -q build_ext --inplace --force
	@touch $@

build: setup $(BUILD)/.stamp-binding

# ---- examples and benchmark kernels (wasm32-wasi via clang + wasi-libc) ----
# (section owned by examples/; see examples/README.md)
#@EXAMPLES-BEGIN
WASM_CC      ?= clang
EXAMPLES_OUT := $(BUILD)/examples
BENCH_OUT    := $(BUILD)/bench
WASM_OBJ     := $(BUILD)/obj/wasm
# Compile and link are separate steps on purpose: when clang links with an -O flag
# it runs binaryen's wasm-opt if one is on PATH, which drops the `name` section and
# makes the output depend on the machine. Linking without -O never does.
WASM_CFLAGS  := -Os -Wall -Wextra -Iagent/wamr_agent/appdev/bindings
# Small, MCU-friendly modules: a 2 KiB stack placed first in memory (an overflow
# then traps out of bounds instead of corrupting data), one 64 KiB page, no DWARF;
# --strip-debug keeps the `name` section, so traps name the function. __heap_base
# and __data_end exported: a device gives a module without memory.grow only the
# memory below them (docs/app-languages.md, "Linear memory").
WASM_STACK   ?= 2048
WASM_LDFLAGS := -Wl,-z,stack-size=$(WASM_STACK) -Wl,--stack-first -Wl,--initial-memory=65536 \
                -Wl,--export=__heap_base -Wl,--export=__data_end \
                -Wl,--strip-debug
EXAMPLES_ALL := $(EXAMPLES_OUT)/sensor.wasm $(EXAMPLES_OUT)/hello_wasi.wasm \
                $(EXAMPLES_OUT)/thermostat.wasm $(EXAMPLES_OUT)/io_probe.wasm \
                $(EXAMPLES_OUT)/kv_probe.wasm $(EXAMPLES_OUT)/kv_writer.wasm \
                $(BENCH_OUT)/kernels.wasm $(BENCH_OUT)/libkernels.so \
                $(BENCH_OUT)/libkernels_scalar.so $(BENCH_OUT)/coremark_like.wasm \
                $(BENCH_OUT)/libcoremark_like.so

examples: $(EXAMPLES_ALL)

# The compile and link flags of the wasm apps, rewritten only when they change:
# every object and module below depends on it, so a changed flag (WASM_STACK,
# an export) rebuilds them instead of leaving stale modules in a developer's tree.
WASM_FLAGS_STAMP := $(WASM_OBJ)/flags.txt
.PHONY: FORCE
FORCE:
$(WASM_FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(WASM_CC) $(WASM_CFLAGS) | $(WASM_LDFLAGS)' | cmp -s - $@ || \
	    echo '$(WASM_CC) $(WASM_CFLAGS) | $(WASM_LDFLAGS)' > $@

$(WASM_OBJ)/sensor.o: examples/sensor/sensor.c agent/wamr_agent/appdev/bindings/wamr_agent.h \
                      $(WASM_FLAGS_STAMP) | $(BUILD)/.stamp-apt
	@mkdir -p $(@D)
	$(WASM_CC) --target=wasm32-wasi $(WASM_CFLAGS) -c -o $@ $<

$(WASM_OBJ)/thermostat.o: examples/thermostat/thermostat.c \
                          agent/wamr_agent/appdev/bindings/wamr_agent.h $(WASM_FLAGS_STAMP) \
                          | $(BUILD)/.stamp-apt
	@mkdir -p $(@D)
	$(WASM_CC) --target=wasm32-wasi $(WASM_CFLAGS) -c -o $@ $<

# Test apps (tests/device_io.py): each device I/O or storage call once, its result logged.
$(WASM_OBJ)/io_probe.o $(WASM_OBJ)/kv_probe.o $(WASM_OBJ)/kv_writer.o: \
$(WASM_OBJ)/%.o: tests/fixtures/apps/%.c tests/fixtures/apps/kv_report.h \
                        agent/wamr_agent/appdev/bindings/wamr_agent.h $(WASM_FLAGS_STAMP) \
                        | $(BUILD)/.stamp-apt
	@mkdir -p $(@D)
	$(WASM_CC) --target=wasm32-wasi $(WASM_CFLAGS) -c -o $@ $<

# Reactors like the sensor; snprintf comes from wasi-libc and imports nothing.
$(EXAMPLES_OUT)/thermostat.wasm $(EXAMPLES_OUT)/io_probe.wasm \
$(EXAMPLES_OUT)/kv_probe.wasm $(EXAMPLES_OUT)/kv_writer.wasm: $(EXAMPLES_OUT)/%.wasm: \
                                                               $(WASM_OBJ)/%.o $(WASM_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(WASM_CC) --target=wasm32-wasi -mexec-model=reactor $(WASM_LDFLAGS) -o $@ $<

$(WASM_OBJ)/hello.o: examples/hello_wasi/hello.c $(WASM_FLAGS_STAMP) | $(BUILD)/.stamp-apt
	@mkdir -p $(@D)
	$(WASM_CC) --target=wasm32-wasi $(WASM_CFLAGS) -c -o $@ $<

$(WASM_OBJ)/kernels.o $(WASM_OBJ)/coremark_like.o: $(WASM_OBJ)/%.o: bench/kernels/%.c \
                         bench/kernels/%.h bench/kernels/bench_common.h | $(BUILD)/.stamp-apt
	@mkdir -p $(@D)
	$(WASM_CC) --target=wasm32 -O2 -Wall -Wextra -ffreestanding -c -o $@ $<

# Reactor: exports setup/loop (and _initialize), imports only from "wamr_agent".
$(EXAMPLES_OUT)/sensor.wasm: $(WASM_OBJ)/sensor.o $(WASM_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(WASM_CC) --target=wasm32-wasi -mexec-model=reactor $(WASM_LDFLAGS) -o $@ $<

# Command: _start runs main() once; printf etc. come from wasi-libc.
$(EXAMPLES_OUT)/hello_wasi.wasm: $(WASM_OBJ)/hello.o $(WASM_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(WASM_CC) --target=wasm32-wasi $(WASM_LDFLAGS) -o $@ $<

# Benchmark kernels and the CoreMark-like workload, one source twice: wasm (no
# imports, exactly one page) and native.
$(BENCH_OUT)/kernels.wasm $(BENCH_OUT)/coremark_like.wasm: $(BENCH_OUT)/%.wasm: $(WASM_OBJ)/%.o \
                                                          $(WASM_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(WASM_CC) --target=wasm32 -nostdlib -Wl,--no-entry $(WASM_LDFLAGS) \
	    -Wl,--max-memory=65536 -o $@ $<

$(BENCH_OUT)/libkernels.so $(BENCH_OUT)/libcoremark_like.so: $(BENCH_OUT)/lib%.so: \
                            bench/kernels/%.c bench/kernels/%.h bench/kernels/bench_common.h
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -shared -fPIC -o $@ $<

# Without auto-vectorization: closer to an MCU core, which has no wide SIMD.
$(BENCH_OUT)/libkernels_scalar.so: bench/kernels/kernels.c bench/kernels/kernels.h \
                                   bench/kernels/bench_common.h
	@mkdir -p $(@D)
	$(CC) -O2 -fno-tree-vectorize -Wall -Wextra -shared -fPIC -o $@ $<
#@EXAMPLES-END

#@FIRMWARE-BEGIN
# ---- device firmware: Cortex-M port on QEMU's mps2 boards ------------------
# (section owned by firmware/ports/cortex-m/; see its README.md)
# `make firmware [BOARD=mps2-an386]` builds build/firmware/<board>/firmware.elf.
# The board profile becomes wa_board.h + board.ld (firmware/tools/gen_board.py),
# which gives the firmware exactly the profile's RAM and refuses boards below 256 KiB.
APT_PACKAGES += qemu-system-arm
C_SOURCES    += $(wildcard firmware/ports/cortex-m/*.[ch])
FW_BOARDS  := $(or $(BOARD),mps2-an385 mps2-an386 mps2-an500 mps2-an505)
FW_CC      ?= arm-none-eabi-gcc
FW_SIZE    ?= arm-none-eabi-size
FW_PORT    := firmware/ports/cortex-m
FW_WASM3   := $(BUILD)/deps/wasm3
# Overridable so a test image can replace the agent core (e.g. with a test main);
# give such an image its own FIRMWARE_OUT so it never replaces the real firmware.
FIRMWARE_AGENT_SOURCES ?= $(wildcard firmware/core/agent/*.c)
FIRMWARE_OUT ?= $(BUILD)/firmware
# Extra compile flags of a test image (e.g. -DWA_FLASH_FAULTS=1 for `make faultfw`).
FW_EXTRA_CFLAGS ?=
FW_SOURCES  = $(wildcard $(FW_PORT)/*.c $(RUNTIME)/*.c) $(FIRMWARE_AGENT_SOURCES) \
              $(CORE_SOURCES) $(filter-out $(WASM3_WRAPPED),$(wildcard $(FW_WASM3)/m3_*.c))
FW_CPU_cortex-m3  := -mcpu=cortex-m3 -mthumb
FW_CPU_cortex-m4  := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
FW_CPU_cortex-m7  := -mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16
FW_CPU_cortex-m33 := -mcpu=cortex-m33 -mthumb -mfloat-abi=hard -mfpu=fpv5-sp-d16
FW_ENGINE_FLAGS := $(shell grep -v '^\#' $(RUNTIME)/wa_engine_wasm3.flags)
# Link-time optimisation: 4.7 KB less flash on mps2-an386 than per-file -Os;
# no jump tables (compare-and-branch is smaller here), no tail merging and no
# mod/ref analysis of the middle end (both let later passes grow the code here)
# and points-to analysis across the whole program: 0.6 KB less (docs/boards.md).
# The link repeats -ffunction-sections -fdata-sections for the code it
# generates, so --gc-sections drops what the link-time compile left unused.
# FW_SIZE_OPT: passes -Os still runs that, here, grow the code (1.8 KB on
# mps2-an386; the interpreter runs 1 to 3% fewer instructions in `make
# bench`). Given per file (link-time optimisation keeps each function's
# options), not to the bench's native kernels (bench/), which stay plain
# -Os: loop-invariant motion is worth 27% of matmul there. -fno-math-errno:
# sqrt as the FPU's instruction where it has one, no errno (nothing reads it).
FW_SIZE_OPT := -fno-schedule-insns2 -fno-move-loop-invariants -fno-caller-saves \
               -fno-tree-loop-im -fno-tree-sra -fno-tree-dominator-opts -fno-forward-propagate \
               -fno-isolate-erroneous-paths-dereference -fno-auto-inc-dec \
               -fno-shrink-wrap -fno-ira-hoist-pressure -fno-math-errno
# FW_SIZE_OPT_OURS: for every file but wasm3's (and wa_m3_compile.c, which is
# m3_compile.c with our loop operation), whose operation handlers are
# smaller with if-conversion (conditional instructions in place of branches)
# and must keep their tail calls (each handler jumps to the next).
FW_SIZE_OPT_OURS := -fno-if-conversion -fno-reorder-blocks -fno-optimize-sibling-calls -fno-partial-inlining
FW_OPT     := -Os -fno-jump-tables -fno-tree-tail-merge -fno-ipa-modref
FW_CFLAGS  := -std=gnu11 $(FW_OPT) -flto -g -ffunction-sections -fdata-sections -DWA_THREAD_LOCAL= \
              $(FW_ENGINE_FLAGS) -I$(RUNTIME) -I$(FW_PORT) $(CORE_INCLUDES) \
              -Ifirmware/core/agent -I$(FW_WASM3) -I$(FIRMWARE_OUT)/keys $(FW_EXTRA_CFLAGS)
FW_LDFLAGS := $(FW_OPT) -fipa-pta -ffunction-sections -fdata-sections -flto=auto --specs=nano.specs --specs=nosys.specs -nostartfiles -Wl,--gc-sections \
              -L$(FW_PORT)
# Third-party code (and our wrappers that include wasm3's files) builds with -w.
fw_warn = $(if $(filter $(BUILD)/deps/% $(WASM3_WRAPPERS),$(1)),-w,-Wall -Wextra -Werror)
fw_size_opt = $(if $(filter bench/%,$(1)),,$(FW_SIZE_OPT) \
              $(if $(filter $(FW_WASM3)/% %/wa_m3_compile.c,$(1)),,$(FW_SIZE_OPT_OURS)))
board_cpu = $(shell sed -n 's/^cpu *= *"\([^"]*\)".*/\1/p' boards/$(1).toml | head -n1)
fw_cpu = $(FW_CPU_$(call board_cpu,$(1)))

.PHONY: firmware firmware-elfs

firmware: $(BUILD)/.stamp-apt
	$(PYTHON) firmware/tools/fetch_deps.py wasm3 zcbor monocypher
	$(call gen_keys,$(FIRMWARE_OUT))
	@$(MAKE) --no-print-directory firmware-elfs BOARD="$(FW_BOARDS)"

firmware-elfs: $(foreach b,$(FW_BOARDS),$(FIRMWARE_OUT)/$(b)/firmware.elf)

define FW_BOARD_RULES
$(FIRMWARE_OUT)/$(1)/wa_board.h $(FIRMWARE_OUT)/$(1)/board.ld &: boards/$(1).toml \
                                                               firmware/tools/gen_board.py
	$(PYTHON) firmware/tools/gen_board.py $(1) --out $(FIRMWARE_OUT)/$(1)

$(FIRMWARE_OUT)/$(1)/obj/%.o: %.c $(FIRMWARE_OUT)/$(1)/wa_board.h Makefile \
                                 $(RUNTIME)/wa_engine_wasm3.flags
	@mkdir -p $$(@D)
	$(FW_CC) $(call fw_cpu,$(1)) $(FW_CFLAGS) $$(call fw_warn,$$<) $$(call fw_size_opt,$$<) -I$(FIRMWARE_OUT)/$(1) \
	    -MMD -MP -c $$< -o $$@

$(FIRMWARE_OUT)/$(1)/firmware.elf: $$(patsubst %.c,$(FIRMWARE_OUT)/$(1)/obj/%.o,$$(FW_SOURCES)) \
                                     $(FIRMWARE_OUT)/$(1)/board.ld $(FW_PORT)/wa_sections.ld
	$(FW_CC) $(call fw_cpu,$(1)) $(FW_LDFLAGS) -T$(FIRMWARE_OUT)/$(1)/board.ld \
	    -Wl,-Map=$(FIRMWARE_OUT)/$(1)/firmware.map -o $$@ \
	    $$(patsubst %.c,$(FIRMWARE_OUT)/$(1)/obj/%.o,$$(FW_SOURCES)) -lm
	@$(FW_SIZE) -A $$@ | awk -v elf=$$@ \
	    '$$$$1==".text"||$$$$1==".ARM.exidx"{f+=$$$$2} $$$$1==".data"{f+=$$$$2; r+=$$$$2} \
	     $$$$1==".bss"{r+=$$$$2} END{printf "%s: flash %d bytes, static RAM %d bytes\n", elf, f, r}'

-include $$(patsubst %.c,$(FIRMWARE_OUT)/$(1)/obj/%.d,$$(FW_SOURCES))
endef
$(foreach b,$(FW_BOARDS),$(eval $(call FW_BOARD_RULES,$(b))))
#@FIRMWARE-END

# The port self-test (firmware/tests/wa_port_selftest.c) in place of the agent:
# build/selftest/<board>/firmware.elf, booted by tests/qemu/test_device.py.
selftest:
	$(MAKE) firmware FIRMWARE_OUT=$(BUILD)/selftest \
	    FIRMWARE_AGENT_SOURCES="firmware/tests/wa_port_selftest.c \
	    firmware/core/agent/wa_console.c firmware/core/agent/wa_log.c"

# The firmware with the flash fault injector (firmware/core/port/wa_flash_faults.h,
# firmware/ports/cortex-m/port_faults.c): build/faultfw/<board>/firmware.elf, booted
# by the QEMU power-cut sweep (tests/qemu/test_power_cut_sweep.py). The normal
# firmware has no injector and does not grow.
faultfw:
	$(MAKE) firmware FIRMWARE_OUT=$(BUILD)/faultfw \
	    FW_EXTRA_CFLAGS="-DWA_FLASH_FAULTS=1 -DWA_TEST_HOOKS=1"

#@SIM-BEGIN
# ---- simulated boards: the firmware core as a host process ---------------------
# (section owned by firmware/ports/host/; see its README.md)
# `make sim [BOARD=esp32]` builds build/sim/<board>/wamr-agent-sim with the host's cc:
# boards QEMU cannot emulate (emulation = "host") run the same agent core, runtime
# and wasm3 configuration, with the board's RAM as a hard heap limit.
C_SOURCES    += $(wildcard firmware/ports/host/*.[ch])
SIM_BOARDS := $(or $(BOARD),esp32 esp32-c3 nrf52840 stm32f4)
SIM_CC     ?= cc
# 32-bit, like the boards' MCUs: pointers, structs and wasm3's compiled code take
# what they take on the device, so an app's RAM on a simulated board is the
# device's figure, not a 64-bit upper bound (docs/boards.md, "RAM per app").
SIM_ARCH   ?= $(if $(filter x86_64,$(HOST_ARCH)),-m32)
SIM_PORT   := firmware/ports/host
SIM_WASM3  := $(BUILD)/deps/wasm3
# Overridable like the firmware's (a test image in place of the agent core).
SIM_AGENT_SOURCES ?= $(wildcard firmware/core/agent/*.c)
SIM_OUT ?= $(BUILD)/sim
SIM_SOURCES = $(wildcard $(SIM_PORT)/*.c $(RUNTIME)/*.c) $(SIM_AGENT_SOURCES) \
              $(CORE_SOURCES) $(filter-out $(WASM3_WRAPPED),$(wildcard $(SIM_WASM3)/m3_*.c))
SIM_ENGINE_FLAGS := $(shell grep -v '^\#' $(RUNTIME)/wa_engine_wasm3.flags)
SIM_CFLAGS := -std=gnu11 -O2 -g -DWA_THREAD_LOCAL= -DWA_TEST_HOOKS=1 $(SIM_ENGINE_FLAGS) -I$(RUNTIME) \
              -I$(SIM_PORT) $(CORE_INCLUDES) -Ifirmware/core/agent -I$(SIM_WASM3) \
              -I$(SIM_OUT)/keys
# Third-party code (and our wrappers that include wasm3's files) builds with -w.
sim_warn = $(if $(filter $(BUILD)/deps/% $(WASM3_WRAPPERS),$(1)),-w,-Wall -Wextra -Werror)

.PHONY: sim sim-bins

sim:
	$(PYTHON) firmware/tools/fetch_deps.py wasm3 zcbor monocypher
	$(call gen_keys,$(SIM_OUT))
	@$(MAKE) --no-print-directory sim-bins BOARD="$(SIM_BOARDS)"

sim-bins: $(foreach b,$(SIM_BOARDS),$(SIM_OUT)/$(b)/wamr-agent-sim)

define SIM_BOARD_RULES
$(SIM_OUT)/$(1)/wa_board.h: boards/$(1).toml firmware/tools/gen_board.py
	$(PYTHON) firmware/tools/gen_board.py $(1) --out $(SIM_OUT)/$(1)

$(SIM_OUT)/$(1)/obj/%.o: %.c $(SIM_OUT)/$(1)/wa_board.h Makefile \
                            $(RUNTIME)/wa_engine_wasm3.flags
	@mkdir -p $$(@D)
	$(SIM_CC) $(SIM_ARCH) $(SIM_CFLAGS) $$(call sim_warn,$$<) -I$(SIM_OUT)/$(1) -MMD -MP -c $$< -o $$@

$(SIM_OUT)/$(1)/wamr-agent-sim: $$(patsubst %.c,$(SIM_OUT)/$(1)/obj/%.o,$$(SIM_SOURCES))
	$(SIM_CC) $(SIM_ARCH) -o $$@.tmp $$^ -lm
	mv $$@.tmp $$@

-include $$(patsubst %.c,$(SIM_OUT)/$(1)/obj/%.d,$$(SIM_SOURCES))
endef
$(foreach b,$(SIM_BOARDS),$(eval $(call SIM_BOARD_RULES,$(b))))
#@SIM-END

# AOT (docs/aot.md): the kernels and the CoreMark-like module with their blobs
# for the M4 (firmware/tools/aot_cases.py), for the bench's AOT column; the
# differential test image build/aotdiff/<board>/firmware.elf
# (tests/qemu/test_aot_diff.py) has its own cases, below.
AOT_CASES_C  := $(BUILD)/bench/aot_cases.c
AOT_SOURCES  := $(wildcard agent/wamr_agent/aot/*.py agent/wamr_agent/aot/c/*) \
                $(RUNTIME)/wa_wasm.c $(RUNTIME)/wa_wasm.h
# Examples in the cases too, for the bench's load times (firmware/bench/wa_bench_load.c).
AOT_EXAMPLES := sensor hello_wasi

$(BUILD)/bench/wat/%.wasm: tests/fixtures/wat/%.wat | $(BUILD)/.stamp-apt
	@mkdir -p $(@D)
	wat2wasm $< -o $@

$(AOT_CASES_C): $(BUILD)/bench/kernels.wasm $(BUILD)/bench/coremark_like.wasm \
                firmware/tools/aot_cases.py $(AOT_SOURCES) $(AOT_EXAMPLES:%=$(EXAMPLES_OUT)/%.wasm)
	$(VENV)/bin/python firmware/tools/aot_cases.py cortex-m4 $@ \
	    kernels=$(BUILD)/bench/kernels.wasm coremark_like=$(BUILD)/bench/coremark_like.wasm \
	    $(foreach e,$(AOT_EXAMPLES),$(e)=$(EXAMPLES_OUT)/$(e).wasm)

# The differential image is built for each mps2 board (AOT_DIFF_BOARDS, or
# BOARD=...) with the blobs for that board's CPU; every wat fixture and example is embedded
# (a refused one with aot_len 0): which of them run is wa_aot_diff_main.c's CALLS.
AOT_DIFF_BOARDS := $(or $(BOARD),mps2-an385 mps2-an386 mps2-an500 mps2-an505)
AOT_DIFF_WAT    := $(patsubst tests/fixtures/wat/%.wat,%,$(wildcard tests/fixtures/wat/*.wat))
AOT_DIFF_APPS   := sensor thermostat io_probe kv_probe kv_writer hello_wasi

AOT_DIFF_CASES  := $(foreach c,cortex-m3 cortex-m4 cortex-m7 cortex-m33,$(BUILD)/aotdiff/cases-$(c).c)

# A static pattern: a plain one would also match the generated sources' .d files.
$(AOT_DIFF_CASES): $(BUILD)/aotdiff/cases-%.c: $(BUILD)/bench/kernels.wasm \
                            $(BUILD)/bench/coremark_like.wasm $(AOT_DIFF_WAT:%=$(BUILD)/bench/wat/%.wasm) \
                            $(AOT_DIFF_APPS:%=$(EXAMPLES_OUT)/%.wasm) firmware/tools/aot_cases.py $(AOT_SOURCES) \
                            Makefile
	@mkdir -p $(@D)
	$(VENV)/bin/python firmware/tools/aot_cases.py $* $@ kernels=$(BUILD)/bench/kernels.wasm \
	    coremark_like=$(BUILD)/bench/coremark_like.wasm \
	    $(foreach f,$(AOT_DIFF_WAT),$(f)=$(BUILD)/bench/wat/$(f).wasm) \
	    $(foreach e,$(AOT_DIFF_APPS),$(e)=$(EXAMPLES_OUT)/$(e).wasm)

aot-diff-firmware: $(foreach b,$(AOT_DIFF_BOARDS),$(BUILD)/aotdiff/cases-$(call board_cpu,$(b)).c)
	$(foreach b,$(AOT_DIFF_BOARDS),$(MAKE) firmware FIRMWARE_OUT=$(BUILD)/aotdiff BOARD=$(b) \
	    FW_EXTRA_CFLAGS=-Ifirmware/bench \
	    FIRMWARE_AGENT_SOURCES="firmware/bench/wa_aot_diff_main.c firmware/core/agent/wa_console.c \
	    firmware/core/agent/wa_log.c $(BUILD)/aotdiff/cases-$(call board_cpu,$(b)).c" &&) true

# The benchmark kernels on the device (firmware/bench/wa_bench_main.c) in place of
# the agent: native and wasm, with kernels.wasm embedded as a C array, and the
# check of a bundle of the sensor example signed by the test key (which the
# default TRUSTED_KEYS trusts); build/benchfw/<board>/firmware.elf, booted by
# bench/qemu_bench.py (`make bench`).
BENCH_WASM_C   := $(BUILD)/bench/kernels_wasm.c
BENCH_CML_C    := $(BUILD)/bench/coremark_like_wasm.c
# The CoreMark-like workload alone for the M4 as the firmware compiles it, but
# without -flto (whose objects hold no code): its code and data bytes for `make bench`.
BENCH_CML_M4   := $(BUILD)/bench/coremark_like-cortex-m4.o
BENCH_BUNDLE   := $(BUILD)/bench/sensor.wab
BENCH_BUNDLE_C := $(BUILD)/bench/sensor_bundle.c

bench-firmware: $(AOT_CASES_C)
	$(MAKE) firmware FIRMWARE_OUT=$(BUILD)/benchfw FW_EXTRA_CFLAGS=-Ifirmware/bench \
	    FIRMWARE_AGENT_SOURCES="firmware/bench/wa_bench_main.c firmware/core/agent/wa_console.c \
	    firmware/core/agent/wa_log.c bench/kernels/kernels.c bench/kernels/coremark_like.c \
	    $(BENCH_WASM_C) $(BENCH_CML_C) $(BENCH_BUNDLE_C) firmware/bench/wa_bench_aot.c \
	    firmware/bench/wa_bench_load.c $(AOT_CASES_C)"
	$(MAKE) --no-print-directory $(BENCH_CML_M4)

$(BENCH_WASM_C): $(BUILD)/bench/kernels.wasm firmware/tools/bin2c.py
	$(PYTHON) firmware/tools/bin2c.py wa_bench_kernels_wasm $< $@

$(BENCH_CML_C): $(BUILD)/bench/coremark_like.wasm firmware/tools/bin2c.py
	$(PYTHON) firmware/tools/bin2c.py wa_bench_coremark_like_wasm $< $@

$(BENCH_CML_M4): bench/kernels/coremark_like.c bench/kernels/coremark_like.h \
                 bench/kernels/bench_common.h
	@mkdir -p $(@D)
	$(FW_CC) $(FW_CPU_cortex-m4) -std=gnu11 $(FW_OPT) -ffunction-sections -fdata-sections \
	    -Wall -Wextra -Werror -c -o $@ $<

$(BENCH_BUNDLE): $(BUILD)/examples/sensor.wasm ota/vectors/test.key
	$(VENV)/bin/wamr-agent bundle build $< --key ota/vectors/test.key --version 1.0.0 \
	    --seq 1 -b mps2-an386 -o $@ >/dev/null

$(BENCH_BUNDLE_C): $(BENCH_BUNDLE) firmware/tools/bin2c.py
	$(PYTHON) firmware/tools/bin2c.py wa_bench_bundle $< $@

#@FUZZ-BEGIN
# ---- fuzzing: libFuzzer + ASan + UBSan harnesses (firmware/fuzz/) ---------------
# (docs/testing.md "Fuzzing"). `make fuzz-build` builds build/fuzz/<target> and the
# seed corpora build/fuzz/corpus/<target>/ (from the test vectors); `make fuzz`
# runs every target FUZZ_SECONDS (and the atheris harnesses of the host's frame
# decoder and bundle parser) and prints a summary. The agent targets (smp, install)
# run the simulated board's port.c with a RAM flash (firmware/fuzz/fuzz_port.c),
# board FUZZ_BOARD. Third-party code (wasm3, zcbor, Monocypher) gets ASan but not
# UBSan: wasm3's own undefined behaviour is not ours to report.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_BOARD   ?= esp32
FUZZ_OUT     := $(BUILD)/fuzz
FUZZ_TARGETS := smp_frame smp bundle wasm install
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -fno-omit-frame-pointer -DWA_THREAD_LOCAL= \
                $(shell grep -v '^\#' $(RUNTIME)/wa_engine_wasm3.flags) -I$(RUNTIME) \
                -I$(SIM_PORT) $(CORE_INCLUDES) -Ifirmware/core/agent -I$(SIM_WASM3) \
                -Ifirmware/fuzz -I$(FUZZ_OUT)/keys -I$(FUZZ_OUT)/board
fuzz_san = $(if $(filter $(BUILD)/deps/% $(WASM3_WRAPPERS),$(1)),-fsanitize=address -w,$(FUZZ_SAN) \
           -Wall -Wextra -Werror)
FUZZ_CRYPTO := $(wildcard firmware/core/crypto/*.c) $(MONOCYPHER)/monocypher.c \
               $(addprefix $(ZCBOR)/,zcbor_common.c zcbor_decode.c)
FUZZ_SRC_smp_frame := firmware/core/smp/wa_smp_frame.c
FUZZ_SRC_bundle    := firmware/core/ota/wa_bundle.c $(FUZZ_CRYPTO)
FUZZ_SRC_wasm      := $(RUNTIME)/wa_wasm.c $(RUNTIME)/wa_validate.c
# The device: agent, runtime, wasm3 and the core, on the host port's port.c.
FUZZ_DEVICE = $(wildcard $(RUNTIME)/*.c firmware/core/agent/*.c) $(CORE_SOURCES) \
              $(SIM_PORT)/port.c firmware/fuzz/fuzz_port.c \
              $(filter-out $(WASM3_WRAPPED),$(wildcard $(SIM_WASM3)/m3_*.c))
FUZZ_SRC_smp       = $(FUZZ_DEVICE)
FUZZ_SRC_install   = $(FUZZ_DEVICE)
FUZZ_WASM_SEEDS := $(FUZZ_OUT)/seeds/wat

fuzz-build: $(BUILD)/.stamp-apt $(VENV)/.stamp-installed
	$(PYTHON) firmware/tools/fetch_deps.py wasm3 zcbor monocypher
	$(call gen_keys,$(FUZZ_OUT))
	@$(MAKE) --no-print-directory $(FUZZ_OUT)/board/wa_board.h
	@$(MAKE) --no-print-directory $(addprefix $(FUZZ_OUT)/,$(FUZZ_TARGETS)) $(FUZZ_OUT)/.stamp-corpus

$(FUZZ_OUT)/board/wa_board.h: boards/$(FUZZ_BOARD).toml firmware/tools/gen_board.py
	$(PYTHON) firmware/tools/gen_board.py $(FUZZ_BOARD) --out $(FUZZ_OUT)/board

$(FUZZ_OUT)/obj/%.o: %.c $(FUZZ_OUT)/board/wa_board.h Makefile $(RUNTIME)/wa_engine_wasm3.flags
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(call fuzz_san,$<) -MMD -MP -c $< -o $@

define FUZZ_TARGET_RULES
$(FUZZ_OUT)/$(1): $$(patsubst %.c,$(FUZZ_OUT)/obj/%.o,firmware/fuzz/fuzz_$(1).c $$(FUZZ_SRC_$(1)))
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $$@ $$^ -lm
-include $$(patsubst %.c,$(FUZZ_OUT)/obj/%.d,firmware/fuzz/fuzz_$(1).c $$(FUZZ_SRC_$(1)))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_TARGET_RULES,$(t))))

# Seeds: the wat fixtures compiled (those wat2wasm refuses are skipped: some are
# invalid on purpose), the examples, the SMP and OTA vectors.
$(FUZZ_OUT)/.stamp-corpus: firmware/fuzz/make_corpus.py tests/fixtures/smp/vectors.txt \
                           ota/vectors/vectors.txt $(wildcard tests/fixtures/wat/*.wat) \
                           $(EXAMPLES_ALL)
	@mkdir -p $(FUZZ_WASM_SEEDS)
	@for w in tests/fixtures/wat/*.wat; do \
	  wat2wasm "$$w" -o $(FUZZ_WASM_SEEDS)/$$(basename "$$w" .wat).wasm 2>/dev/null || true; done
	$(PY) firmware/fuzz/make_corpus.py --out $(FUZZ_OUT)/corpus --wasm $(FUZZ_WASM_SEEDS) \
	    --wasm $(EXAMPLES_OUT) --wasm $(BENCH_OUT)
	@touch $@

# FUZZ_RUN: the targets to run (default: all, the atheris ones py_smp_frame, py_bundle too).
FUZZ_RUN ?=
FUZZ_EXAMPLES ?= 50000
fuzz: fuzz-build build examples
	$(PY) firmware/fuzz/run_fuzz.py --seconds $(FUZZ_SECONDS) --out $(FUZZ_OUT) $(FUZZ_RUN)
	WAMR_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider --timeout=0 \
	    tests/runtime/test_validator_differential.py
#@FUZZ-END

# ---- tasks -----------------------------------------------------------------

# smpmgr (PyPI) lives in its own venv: it is an independent SMP client that the
# interop tests run as a separate process, and its pins differ from ours.
SMPMGR := $(BUILD)/tools/smpmgr/bin/smpmgr
$(SMPMGR): | $(BUILD)/.stamp-apt
	$(PYTHON) -m venv $(BUILD)/tools/smpmgr
	$(BUILD)/tools/smpmgr/bin/pip install -q smpmgr==0.19.1
	@test -x $@

tools: $(SMPMGR)

# Firmware and simulators are built up front: the harness would build them on
# demand, but inside a test that time would count against its boot timeout.
# Test files run in TEST_JOBS pytest-xdist workers (each file whole on one
# worker): most of the suite waits on emulated boards, brokers and trial
# windows, so two workers halve it even on two cores. TEST_JOBS=0 runs serially.
TEST_JOBS ?= 2
test: build examples $(SMPMGR)
	$(MAKE) --no-print-directory firmware BOARD=
	$(MAKE) --no-print-directory faultfw BOARD=
	$(MAKE) --no-print-directory sim BOARD=
	$(MAKE) --no-print-directory fuzz-build
	$(PY) -m pytest -n $(TEST_JOBS) --dist loadfile

# The full power-cut sweep (docs/testing.md): a cut before, during and after every
# flash op of the update and revert scenarios, a silent failure of every program,
# more multi-cut seeds, a larger QEMU sample. Reports: build/sweep/*.txt.
# `make test` runs the same tests quick (every op, modes sampled for long scenarios).
sweep: build examples
	$(MAKE) --no-print-directory firmware BOARD=
	$(MAKE) --no-print-directory faultfw BOARD=
	$(MAKE) --no-print-directory sim BOARD=
	WAMR_SWEEP=full $(PY) -m pytest tests/hostport/test_power_cut_sweep.py \
	    tests/qemu/test_power_cut_sweep.py tests/hostport/test_chaos_link.py \
	    tests/qemu/test_chaos_link.py tests/qemu/test_runaway_matrix.py

# The main job on an embedded default, the whole chain (examples/fleet/demo.py): a
# local mosquitto, the rollout controller, a gateway serving three devices (the
# simulated esp32 and esp32-c3, a QEMU mps2-an386), a deploy through MQTT, a
# two-wave rollout of a new version, the sensor's telemetry on its topic.
DEMO_STATE := $(BUILD)/demo
demo: build examples
	$(MAKE) --no-print-directory firmware BOARD=mps2-an386
	$(MAKE) --no-print-directory sim BOARD=esp32
	$(MAKE) --no-print-directory sim BOARD=esp32-c3
	@rm -rf $(DEMO_STATE)
	WAMR_AGENT_STATE=$(DEMO_STATE) $(PY) examples/fleet/demo.py

# One device, no broker: `deploy` with no --port boots an emulated Cortex-M4 (QEMU
# mps2-an386, 256 KiB RAM), uploads the sensor example over SMP and starts it; then
# the device's console shows its log and telemetry.
demo-device: build examples
	$(MAKE) --no-print-directory firmware BOARD=mps2-an386
	@rm -rf $(DEMO_STATE)-device
	@export WAMR_AGENT_STATE=$(DEMO_STATE)-device; \
	  $(VENV)/bin/wamr-agent deploy $(BUILD)/examples/sensor.wasm --board mps2-an386 && \
	  sleep 6 && echo "--- device console (UART0) ---" && \
	  $(VENV)/bin/wamr-agent board console mps2-an386 | grep -E \
	    '^(wamr-agent|budget|boot|app |agent|\[sensor\] (ALERT|ok|sensor)|telemetry sensor temp)' \
	    | head -n 30 && \
	  echo "--- wamr-agent status sensor --board mps2-an386 ---" && \
	  $(VENV)/bin/wamr-agent status sensor --board mps2-an386; \
	  status=$$?; $(VENV)/bin/wamr-agent board down mps2-an386 >/dev/null; exit $$status

# The same app run locally by the C runtime through pywamr, with recorded sensor data.
demo-local: build examples
	$(VENV)/bin/wamr-agent run $(BUILD)/examples/sensor.wasm --board esp32 \
	    --sensor-data examples/sensor/sensor-data.csv --repeat 40

# Cold start (bench/coldstart.c): load to first call timed in C, our runtime
# against wasm3 alone, both from the fetched wasm3 and the binding's compile
# flags; the large module is bench/coldstart_large.c (about 40 KB of wasm).
COLDSTART_CFLAGS = -std=gnu11 -O3 -fomit-frame-pointer -fno-stack-protector -w \
                   $(shell grep -v '^\#' $(RUNTIME)/wa_engine_wasm3.flags) -I$(BUILD)/deps/wasm3
COLDSTART_WASM3  = $(filter-out $(WASM3_WRAPPED),$(wildcard $(BUILD)/deps/wasm3/m3_*.c))
COLDSTART_ALL   := $(BENCH_OUT)/coldstart $(BENCH_OUT)/coldstart_bare $(BENCH_OUT)/coldstart_large.wasm

$(BENCH_OUT)/coldstart: bench/coldstart.c $(wildcard $(RUNTIME)/*.[ch] $(RUNTIME)/*.def \
                        $(RUNTIME)/*.flags) | $(BUILD)/.stamp-binding
	@mkdir -p $(@D)
	$(CC) $(COLDSTART_CFLAGS) -I$(RUNTIME) -o $@ $< $(wildcard $(RUNTIME)/*.c) \
	    $(COLDSTART_WASM3) -lm

$(BENCH_OUT)/coldstart_bare: bench/coldstart.c $(RUNTIME)/wa_engine_wasm3.flags \
                             | $(BUILD)/.stamp-binding
	@mkdir -p $(@D)
	$(CC) $(COLDSTART_CFLAGS) -DWA_COLDSTART_BARE -o $@ $< $(COLDSTART_WASM3) \
	    $(BUILD)/deps/wasm3/m3_core.c $(BUILD)/deps/wasm3/m3_compile.c -lm

$(WASM_OBJ)/coldstart_large.o: bench/coldstart_large.c | $(BUILD)/.stamp-apt
	@mkdir -p $(@D)
	$(WASM_CC) --target=wasm32 -O2 -Wall -Wextra -ffreestanding -c -o $@ $<

$(BENCH_OUT)/coldstart_large.wasm: $(WASM_OBJ)/coldstart_large.o
	@mkdir -p $(@D)
	$(WASM_CC) --target=wasm32 -nostdlib -Wl,--no-entry $(WASM_LDFLAGS) -o $@ $<

bench: build examples $(COLDSTART_ALL)
	$(PY) bench/run.py

lint: setup
	$(VENV)/bin/ruff check agent tests bench firmware/tools firmware/fuzz examples
	$(VENV)/bin/mypy
	clang-format --dry-run -Werror $(C_SOURCES)

format: setup
	clang-format -i $(C_SOURCES)

clean:
	rm -rf $(BUILD) agent/wamr_agent/pywamr/_wamr*.so agent/*.egg-info
