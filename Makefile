# fosbury — build, run and test the appliance.
#
#   make qemu       build the firmware and boot it in QEMU (mcimx6ul-evk)
#   make test       host tests, bounded fuzzing, and the QEMU firmware tests
#   make bench      benchmarks (host, side by side with the baselines)
#   make firmware   ELF, raw .bin and flashable .imx under build/
#   make toolchain  the offline GOOS=tamago Go toolchain (cached)
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
endif

# GOOSPKG is read by upstream TamaGo only; our port ships runtime/goos itself.
TAMAGO_ENV := GOOS=tamago GOARCH=arm GOARM=7 GOOSPKG=github.com/usbarmory/tamago
TEXT_START := 0x80010000
LDFLAGS := -T $(TEXT_START) -R 0x1000 -X main.Version=$(VERSION)

QEMU := qemu-system-arm
QEMU_BASE := $(QEMU) -machine mcimx6ul-evk -cpu cortex-a7 -m 512M -nographic -semihosting -monitor none
DEBIAN_PKGS := qemu-system-arm u-boot-tools

.PHONY: all deps toolchain firmware selftest qemu test test-host test-fuzz test-qemu bench clean

all: firmware

# Debian packages: installed when running as root, else the exact command is printed.
deps:
	@missing=""; \
	command -v $(QEMU) >/dev/null || missing="$$missing qemu-system-arm"; \
	command -v mkimage >/dev/null || missing="$$missing u-boot-tools"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo ">> installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null || exit 1; \
	  else \
	    echo "missing Debian packages; run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

toolchain:
	@mkdir -p $(BUILD)
	@bash toolchain/build.sh > $(BUILD)/goroot.tmp && mv $(BUILD)/goroot.tmp $(BUILD)/goroot
	@echo ">> toolchain: $$(cat $(BUILD)/goroot)"

# The appliance for the MCIMX6UL(L)-EVK, which is also what QEMU's mcimx6ul-evk runs.
firmware: $(TOOLCHAIN_DEP) deps
	@mkdir -p $(BUILD)
	$(TAMAGO_ENV) $(GO_TAMAGO) build -trimpath -tags linkramsize -ldflags "$(LDFLAGS)" -o $(BUILD)/fosbury-evk.elf ./firmware/fosbury
	$(GO) run ./tools/imgtool bin $(BUILD)/fosbury-evk.elf $(BUILD)/fosbury-evk.bin
	mkimage -n $$($(GO) list -m -f '{{.Dir}}' github.com/usbarmory/tamago)/board/nxp/mx6ullevk/imximage.cfg \
	  -T imximage -e $(TEXT_START) -d $(BUILD)/fosbury-evk.bin $(BUILD)/fosbury-evk.imx >/dev/null
	$(GO) run ./tools/imgtool imx-entry $(BUILD)/fosbury-evk.elf $(BUILD)/fosbury-evk.imx
	@ls -l $(BUILD)/fosbury-evk.elf $(BUILD)/fosbury-evk.bin $(BUILD)/fosbury-evk.imx

# Test-only firmware that checks the runtime port and reports through semihosting.
selftest: $(TOOLCHAIN_DEP)
	@mkdir -p $(BUILD)
	$(TAMAGO_ENV) $(GO_TAMAGO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BUILD)/selftest.elf ./firmware/selftest

qemu: firmware
	@echo ">> booting $(BUILD)/fosbury-evk.elf in QEMU (quit: Ctrl-A X)"
	$(QEMU_BASE) -kernel $(BUILD)/fosbury-evk.elf

test: test-host test-fuzz

test-host:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test-fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

test-qemu: deps firmware selftest
	$(GO) test -count=1 -tags hwtest -v ./hw-tests/ \
	  -firmware $(CURDIR)/$(BUILD)/fosbury-evk.elf -selftest $(CURDIR)/$(BUILD)/selftest.elf

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

clean:
	rm -rf $(BUILD)
