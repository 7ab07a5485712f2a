//go:build !tamago

// The embedded configuration must parse: a firmware with a bad default
// file would come up without a management plane.
package main

import (
	"os"
	"testing"

	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/stack"
)

func TestEmbeddedConfig(t *testing.T) {
	src, err := os.ReadFile("fosbury.conf")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := stack.ParseConfig("fosbury.conf", src)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port("lan") == nil || cfg.HTTPPort == 0 {
		t.Fatalf("config %+v lacks the lan port or HTTP", cfg)
	}
	rules, err := os.ReadFile("fosbury.rules")
	if err != nil {
		t.Fatal(err)
	}
	if err := filter.NewEngine(filter.Options{}).Load("fosbury.rules", rules); err != nil {
		t.Fatal(err)
	}
}
