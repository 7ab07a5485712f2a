# fosbury — build, run and test the appliance.
#
#   make qemu       build the firmware and boot it in QEMU (mcimx6ul-evk) with
#                   the card image build/sdcard.img (made once, kept after)
#   make sdimage    (re)write the card image: firmware .imx and the
#                   configuration of CONFIG=dir (default: the compiled-in one)
#   make test       host tests, bounded fuzzing, and the QEMU firmware tests
#   make bench      benchmarks (host, side by side with the baselines)
#   make firmware   ELF, raw .bin and flashable .imx under build/
#   make toolchain  the offline GOOS=tamago Go toolchain (cached)
#   make linuxref   the Linux reference bundle (cached); bench-linuxref measures it
#
# TAMAGO may name an upstream TamaGo `go` binary instead of our own port:
#   make firmware TAMAGO=/path/to/tamago-go/bin/go

SHELL := /bin/bash
GO ?= go
BUILD := build
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
FUZZTIME ?= 10s

TAMAGO ?=
ifeq ($(strip $(TAMAGO)),)
# Our own port: toolchain/build.sh prints the cached GOROOT (building it once).
TOOLCHAIN_DEP := toolchain
GO_TAMAGO = $(shell cat $(BUILD)/goroot)/bin/go
else
TOOLCHAIN_DEP :=
GO_TAMAGO = $(TAMAGO)
# Upstream TamaGo's runtime lacks our port's wall-clock offset: the
# firmware then steps the date with tamago's SetTime.
TAMAGO_TAGS := upstream_tamago
endif

# GOOSPKG is read by upstream TamaGo only; our port ships runtime/goos itself.
TAMAGO_ENV := GOOS=tamago GOARCH=arm GOARM=7 GOOSPKG=github.com/usbarmory/tamago
TEXT_START := 0x80010000
LDFLAGS := -T $(TEXT_START) -R 0x1000 -X main.Version=$(VERSION)

QEMU := qemu-system-arm
QEMU_BASE := $(QEMU) -machine mcimx6ul-evk -cpu cortex-a7 -m 512M -nographic -semihosting

.PHONY: all deps linuxref-deps linuxref bench-linuxref toolchain firmware selftest storetest baseline sdimage qemu test test-host test-fuzz test-mutation test-qemu bench bench-host bench-qemu clean

all: firmware

# Debian packages, as command:package pairs: those whose command is missing
# are installed when running as root, else the exact command is printed.
define apt-need
	@missing=""; \
	for p in $(1); do command -v $${p%%:*} >/dev/null || missing="$$missing $${p#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo ">> installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq $$missing) >/dev/null || exit 1; \
	  else \
	    echo "missing Debian packages; run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

deps:
	$(call apt-need,$(QEMU):qemu-system-arm mkimage:u-boot-tools ip:iproute2 ping:iputils-ping iperf3:iperf3 nmap:nmap tcpdump:tcpdump)

# The Linux reference (hw-tests/linuxref): the tools that build its bundle
# (the hosts' tools come with deps). Benchmark only: `make test` needs none.
linuxref-deps: deps
	$(call apt-need,cpio:cpio fdtput:device-tree-compiler depmod:kmod readelf:binutils)

# Debian's armhf Linux 6.1 bridging the two ENETs under nftables rules like
# the appliance's, cached in ~/.cache/fosbury/linuxref-<hash>.
linuxref: linuxref-deps
	@dir=$$(bash hw-tests/linuxref/image/build.sh) && echo ">> linuxref: $$dir" && cat $$dir/manifest

# Its guest instructions per frame under -icount, side by side with the
# same workloads later; prints a table (also in build/linuxref.txt). Root.
bench-linuxref: linuxref
	@mkdir -p $(BUILD)
	$(GO) test -count=1 -timeout 60m -tags 'hwtest hwbench' -run TestLinuxRef -v ./hw-tests/linuxref \
	  -linuxref.out $(CURDIR)/$(BUILD)/linuxref.txt

toolchain:
	@mkdir -p $(BUILD)
	@bash toolchain/build.sh > $(BUILD)/goroot.tmp && mv $(BUILD)/goroot.tmp $(BUILD)/goroot
	@echo ">> toolchain: $$(cat $(BUILD)/goroot)"

# Firmware images: ELF, raw .bin and flashable .imx (the board's DCD from
# tamago's board package; IVT entry set to the ELF's e_entry).
#   fosbury-evk: MCIMX6UL(L)-EVK, also what QEMU's mcimx6ul-evk runs
#   mk2lan:      USB armory Mk II LAN
TAMAGO_DIR = $$($(GO) list -m -f '{{.Dir}}' github.com/usbarmory/tamago)
define image
	$(TAMAGO_ENV) $(GO_TAMAGO) build -trimpath -tags 'linkramsize $(TAMAGO_TAGS)' -ldflags "$(LDFLAGS)" -o $(BUILD)/$(1).elf ./firmware/$(2)
	$(GO) run ./tools/imgtool bin $(BUILD)/$(1).elf $(BUILD)/$(1).bin
	mkimage -n $(TAMAGO_DIR)/board/$(3)/imximage.cfg -T imximage -e $(TEXT_START) -d $(BUILD)/$(1).bin $(BUILD)/$(1).imx >/dev/null
	$(GO) run ./tools/imgtool imx-entry $(BUILD)/$(1).elf $(BUILD)/$(1).imx
	@ls -l $(BUILD)/$(1).elf $(BUILD)/$(1).bin $(BUILD)/$(1).imx
endef

firmware: $(TOOLCHAIN_DEP) deps
	@mkdir -p $(BUILD)
	$(call image,fosbury-evk,fosbury,nxp/mx6ullevk)
	$(call image,mk2lan,mk2lan,usbarmory/mk2)

# Test-only firmware that checks the runtime port and reports through semihosting.
selftest: $(TOOLCHAIN_DEP)
	@mkdir -p $(BUILD)
	$(TAMAGO_ENV) $(GO_TAMAGO) build -trimpath -tags '$(TAMAGO_TAGS)' -ldflags "$(LDFLAGS)" -o $(BUILD)/selftest.elf ./firmware/selftest

# Test-only firmware that writes the configuration store on QEMU's card.
storetest: $(TOOLCHAIN_DEP)
	@mkdir -p $(BUILD)
	$(TAMAGO_ENV) $(GO_TAMAGO) build -trimpath -tags 'linkramsize $(TAMAGO_TAGS)' -ldflags "$(LDFLAGS)" -o $(BUILD)/storetest.elf ./firmware/storetest

# The card image (cfgstore's package doc has the layout): 4 GiB sparse.
# make qemu creates it once and keeps it, so the configuration saved on it
# survives QEMU restarts; make sdimage rewrites it.
SDIMAGE ?= $(BUILD)/sdcard.img
SDIMAGE_IMX ?= $(BUILD)/fosbury-evk.imx
CONFIG ?= firmware/internal/defaults
MAKE_SDIMAGE = $(GO) run ./tools/imgtool sdimage $(SDIMAGE) $(SDIMAGE_IMX) $(CONFIG)

sdimage: firmware
	$(MAKE_SDIMAGE)
	@$(GO) run ./tools/imgtool sdshow $(SDIMAGE)

# The lan port (ENET1) is on QEMU's user network (10.0.2.0/24, no root
# needed) with host port $(HTTP_PORT) forwarded to the appliance's HTTP API.
HTTP_PORT ?= 8080
# The measurement baseline: tamago's copy driver under the same stack.
baseline: $(TOOLCHAIN_DEP)
	@mkdir -p $(BUILD)
	$(TAMAGO_ENV) $(GO_TAMAGO) build -trimpath -tags '$(TAMAGO_TAGS)' -ldflags "$(LDFLAGS)" -o $(BUILD)/baseline.elf ./firmware/baseline

# The EVK keeps its store on uSDHC2: QEMU's second SD drive (index=1).
qemu: firmware
	@test -e $(SDIMAGE) || $(MAKE_SDIMAGE)
	@echo ">> booting $(BUILD)/fosbury-evk.elf in QEMU (quit: Ctrl-A X), card $(SDIMAGE)"
	@echo ">> management API: curl -u fosbury:TOKEN http://127.0.0.1:$(HTTP_PORT)/status"
	@echo ">> Prometheus metrics: curl -u fosbury:TOKEN http://127.0.0.1:$(HTTP_PORT)/metrics (TOKEN: printed at boot)"
	@echo ">> log: curl -u fosbury:TOKEN http://127.0.0.1:$(HTTP_PORT)/log (?follow=1 streams); syslog goes to QEMU's host, UDP 127.0.0.1:514"
	@echo ">> capture: curl -u fosbury:TOKEN -o x.pcap 'http://127.0.0.1:$(HTTP_PORT)/capture?port=lan&count=100&seconds=30&match=inet+proto+icmp'"
	@echo ">> clock: SNTP to 10.0.2.2, which QEMU forwards to an NTP server on this host's 127.0.0.1:123, if any"
	$(QEMU_BASE) -kernel $(BUILD)/fosbury-evk.elf -drive if=sd,index=1,file=$(SDIMAGE),format=raw \
	  -netdev user,id=lan,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:$(HTTP_PORT)-10.0.2.15:80 -net nic,netdev=lan

test: test-host test-fuzz test-mutation test-qemu

test-host:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test-fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

# Removing each sync, barrier or reference check from the rings must make
# their tests fail.
test-mutation:
	bash scripts/mutation/run.sh

# The bridge and Mk II LAN tests put Linux hosts in network namespaces on
# tap devices (root only; skipped otherwise). HWTEST_FLAGS adds test flags,
# e.g. HWTEST_FLAGS='-run Bridge -netprefix me'.
HWTEST_FLAGS ?=
test-qemu: deps firmware selftest storetest
	$(GO) test -count=1 -timeout 40m -tags hwtest -v ./hw-tests/ \
	  -firmware $(CURDIR)/$(BUILD)/fosbury-evk.elf -selftest $(CURDIR)/$(BUILD)/selftest.elf \
	  -storetest $(CURDIR)/$(BUILD)/storetest.elf -mk2lan $(CURDIR)/$(BUILD)/mk2lan.elf $(HWTEST_FLAGS)

bench: bench-host bench-qemu

bench-host:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

# fosbury, the copy baseline and the Linux reference under QEMU -icount
# (busy guest time = guest instructions), one after the other in one run,
# with the same two Linux hosts and the same traffic; then TCG wall-clock
# TCP through the bridges. Root. Prints the table, also in build/bench.txt.
bench-qemu: deps firmware baseline linuxref
	$(GO) test -count=1 -timeout 90m -tags 'hwtest hwbench' -run TestBenchSideBySide -v ./hw-tests/ \
	  -ours $(CURDIR)/$(BUILD)/fosbury-evk.elf -baseline $(CURDIR)/$(BUILD)/baseline.elf \
	  -bench.out $(CURDIR)/$(BUILD)/bench.txt $(BENCH_FLAGS)

clean:
	rm -rf $(BUILD)
