// Not a real module: this file only keeps the port's GOROOT files (src/...)
// out of the fosbury module, so that `go build ./...` and `go vet ./...`
// do not try to compile runtime and std sources as fosbury packages.
// toolchain/apply does not copy it.
module fosbury.invalid/toolchain-overlay

go 1.26
