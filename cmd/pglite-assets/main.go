// Command pglite-assets installs the pinned PGlite runtime assets ahead of time, for CI
// caches and machines that will be offline, and checks or embeds an install:
//
//	go run github.com/pglite-go/pglite/cmd/pglite-assets              # into the user cache
//	go run github.com/pglite-go/pglite/cmd/pglite-assets -dir DIR     # into DIR (PGLITE_ASSETS_DIR=DIR)
//	go run github.com/pglite-go/pglite/cmd/pglite-assets -check       # verify every sha256
//	go run github.com/pglite-go/pglite/cmd/pglite-assets -embed DIR   # a Go package embedding them
//
// It fetches with the user's npm client (`npm pack`), so npm's configured registry, mirror
// or proxy is used. The library does the same on first use; this command only does it
// earlier.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/pglite-go/pglite/internal/assetinstall"
)

const usage = `pglite-assets installs the pinned PGlite %s assets (npm packages, sha256-checked).

Usage:
  pglite-assets [-dir DIR] [-check] [-embed DIR [-pkg NAME]] [-q]

Flags:
  -dir DIR     assets folder (default: the user cache, where the library looks: %s)
  -check       verify the install in -dir instead of installing; exit 1 if it is incomplete
               or any sha256 differs
  -embed DIR   also write a Go package into DIR that embeds the assets (core and extension
               bundles) and registers them with the library from init; import it for its
               side effect. Typical use: //go:generate go run github.com/pglite-go/pglite/cmd/pglite-assets -embed .
  -pkg NAME    package name for -embed (default: $GOPACKAGE under go generate with -embed .,
               else DIR's base name)
  -q           print errors only
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	def, defErr := assetinstall.DefaultDir()
	fs := flag.NewFlagSet("pglite-assets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, usage, assetinstall.Version, def) }
	dir := fs.String("dir", "", "")
	check := fs.Bool("check", false, "")
	embed := fs.String("embed", "", "")
	pkg := fs.String("pkg", "", "")
	quiet := fs.Bool("q", false, "")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pglite-assets: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *dir == "" {
		if defErr != nil {
			fmt.Fprintf(stderr, "pglite-assets: %v; name a folder with -dir\n", defErr)
			return 1
		}
		*dir = def
	}
	if *check {
		if err := assetinstall.Check(*dir, nil); err != nil {
			fmt.Fprintf(stderr, "pglite-assets: %v\n", err)
			return 1
		}
		if !*quiet {
			fmt.Fprintf(stdout, "pglite-assets: %s holds PGlite %s, every sha256 as pinned\n", *dir, assetinstall.Version)
		}
		return 0
	}
	progress := func(msg string) {
		if !*quiet {
			fmt.Fprintln(stdout, "pglite-assets:", msg)
		}
	}
	already := assetinstall.IsComplete(*dir, assetinstall.Pinned)
	if err := assetinstall.Install(ctx, *dir, assetinstall.Options{Progress: progress, Verify: true}); err != nil {
		fmt.Fprintf(stderr, "pglite-assets: %v\n", err)
		return 1
	}
	if already {
		progress(fmt.Sprintf("%s is up to date (PGlite %s)", *dir, assetinstall.Version))
	}
	if *embed == "" {
		return 0
	}
	name := *pkg
	if name == "" {
		// go generate names the package it runs in; elsewhere the folder's name stands in.
		if name = os.Getenv("GOPACKAGE"); name == "" || !samePath(*embed, ".") {
			name = assetinstall.PackageName(*embed)
		}
	}
	if err := assetinstall.WriteEmbed(*dir, *embed, name, nil); err != nil {
		fmt.Fprintf(stderr, "pglite-assets: -embed %s: %v\n", *embed, err)
		return 1
	}
	progress(fmt.Sprintf("wrote package %s into %s; import it for its side effect", name, *embed))
	return 0
}

// samePath reports whether a and b name the same folder.
func samePath(a, b string) bool {
	x, err1 := filepath.Abs(a)
	y, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && x == y
}
