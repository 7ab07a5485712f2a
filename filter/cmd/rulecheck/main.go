// Command rulecheck parses and compiles fosbury rules files the way the
// appliance will, so an admin can check a file before loading it:
//
//	go run ./filter/cmd/rulecheck fosbury.rules [more.rules ...]
//
// It prints each error as file:line:column: message, or a one-line summary
// per good file, and exits 1 if any file has errors.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/fosbury-net/fosbury/filter"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rulecheck FILE.rules ...")
		os.Exit(2)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run checks every file and returns the exit status.
func run(files []string, stdout, stderr io.Writer) int {
	status := 0
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(stderr, err)
			status = 1
			continue
		}
		rs, err := filter.Parse(name, src)
		if err == nil {
			_, err = filter.Compile(rs, filter.Options{})
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			status = 1
			continue
		}
		state := 0
		for _, r := range rs.Rules {
			if r.KeepState {
				state++
			}
		}
		fmt.Fprintf(stdout, "%s: ok: %d rules (%d stateful), %d tables, default %v\n",
			name, len(rs.Rules), state, len(rs.Tables), rs.Default)
	}
	return status
}
