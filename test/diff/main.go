// Command diff runs SQL scripts, statement by statement, through pglite-go (in this
// process) and through PGlite 0.5.17 on Node (the same pglite.wasm, driven by its own
// JavaScript host), each on a fresh in-memory database, and reports the first statement
// whose outcome differs: result columns and rows as text (EXPLAIN plans included), the
// command tag, the error's SQLSTATE, message and other fields, NOTICE and WARNING
// messages, notifications and the transaction status.
//
//	go run ./test/diff script.sql...
//	go run ./test/diff -all -v test/diff/corpus/*.sql
//
// The npm package is installed once into the user's cache directory (PGLITE_DIFF_CACHE
// overrides it). A comment line "-- diff: exclude <reason>" before a statement still runs
// it on both hosts but leaves its output out of the comparison. Exit status: 0 when no
// script differs, 1 when one does, 2 on any other failure.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
)

func main() {
	all := flag.Bool("all", false, "go on after a difference and report every differing statement")
	verbose := flag.Bool("v", false, "print every statement with its outcome")
	logs := flag.Bool("log", false, "show the reference host's output (PostgreSQL's log) on stderr")
	noStartup := flag.Bool("no-startup", false, "run the reference without a startup packet, as PGlite's own query API does (then no reported settings are compared)")
	var settings multiFlag
	flag.Var(&settings, "set", "a `name=value` server setting for pglite-go (repeatable), for probes")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./test/diff [flags] script.sql...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var logw io.Writer
	if *logs {
		logw = os.Stderr
	}
	differ, err := run(ctx, flag.Args(), options{all: *all, verbose: *verbose, noStartup: *noStartup, settings: settings}, logw)
	if err != nil {
		fmt.Fprintln(os.Stderr, "diff:", err)
		os.Exit(2)
	}
	if differ {
		os.Exit(1)
	}
}

// run compares every script and prints a summary line per script; it reports whether any
// script differed.
// options are the command's flags.
type options struct {
	all, verbose, noStartup bool
	settings                []string
}

type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func run(ctx context.Context, scripts []string, o options, logw io.Writer) (bool, error) {
	all, verbose := o.all, o.verbose
	ref, err := startNode(ctx, logw)
	if err != nil {
		return false, err
	}
	defer ref.Close()
	ref.noStartup = o.noStartup
	goh := &goHost{ignoreReported: o.noStartup, settings: o.settings}
	defer goh.Close()
	differ := false
	for _, path := range scripts {
		src, err := os.ReadFile(path)
		if err != nil {
			return differ, err
		}
		stmts, err := Split(string(src))
		if err != nil {
			return differ, fmt.Errorf("%s: %w", path, err)
		}
		name := filepath.ToSlash(path)
		var each func(*Compared)
		if verbose || all {
			each = func(c *Compared) {
				if verbose || c.Different {
					printCompared(os.Stdout, name, c)
				}
			}
		}
		rep, err := runScript(ctx, goh, ref, name, stmts, all, each)
		if err != nil {
			return differ, err
		}
		if first := rep.First(); first != nil {
			differ = true
			if each == nil {
				printCompared(os.Stdout, name, first)
			}
		}
		fmt.Println(summary(rep, len(stmts)))
	}
	return differ, nil
}

func summary(rep *Report, total int) string {
	s := fmt.Sprintf("%s: %d statements", rep.Name, total)
	if rep.Excluded > 0 {
		s += fmt.Sprintf(", %d excluded", rep.Excluded)
	}
	switch {
	case rep.Diffs == 0:
		return s + ", no difference"
	case rep.Truncated:
		return s + fmt.Sprintf(", stopped at the first difference (statement %d)", len(rep.Compared))
	default:
		return s + fmt.Sprintf(", %d different", rep.Diffs)
	}
}
