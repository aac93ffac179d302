package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Host runs statements on one PostgreSQL host.
type Host interface {
	Name() string
	// Open starts a fresh in-memory database, replacing any earlier one.
	Open(ctx context.Context) error
	// Run sends one statement as a simple-protocol Query and collects its outcome.
	Run(ctx context.Context, sql string) (*Outcome, error)
	Close()
}

// Compared is one statement with what each host produced.
type Compared struct {
	Stmt      Statement
	Go, Ref   []string // Outcome.Lines of pglite-go and of the reference
	Different bool     // and not excluded
}

// Report is the result of one script.
type Report struct {
	Name      string
	Compared  []Compared
	Diffs     int
	Excluded  int
	Truncated bool // stopped at the first difference
}

// First returns the first differing statement, or nil.
func (r *Report) First() *Compared {
	for i := range r.Compared {
		if r.Compared[i].Different {
			return &r.Compared[i]
		}
	}
	return nil
}

// runScript runs stmts on a fresh database of each host, both hosts at the same time, and
// compares every statement's outcome. It stops after the first difference unless all is
// set; each, if not nil, sees every statement as it is compared.
func runScript(ctx context.Context, goh, ref Host, name string, stmts []Statement, all bool, each func(*Compared)) (*Report, error) {
	if err := both(func() error { return goh.Open(ctx) }, func() error { return ref.Open(ctx) }); err != nil {
		return nil, fmt.Errorf("%s: open: %w", name, err)
	}
	rep := &Report{Name: name}
	for i, st := range stmts {
		var g, r *Outcome
		err := both(
			func() (err error) { g, err = goh.Run(ctx, st.SQL); return err },
			func() (err error) { r, err = ref.Run(ctx, st.SQL); return err })
		if err != nil {
			return rep, fmt.Errorf("%s:%d: %w", name, st.Line, err)
		}
		c := Compared{Stmt: st, Go: g.Lines(), Ref: r.Lines()}
		c.Different = st.Exclude == "" && !equalLines(c.Go, c.Ref)
		if st.Exclude != "" {
			rep.Excluded++
		}
		if c.Different {
			rep.Diffs++
		}
		rep.Compared = append(rep.Compared, c)
		if each != nil {
			each(&rep.Compared[len(rep.Compared)-1])
		}
		if c.Different && !all && i < len(stmts)-1 {
			rep.Truncated = true
			break
		}
	}
	return rep, nil
}

// both runs f and g at the same time and returns the first error.
func both(f, g func() error) error {
	var wg sync.WaitGroup
	var ef error
	wg.Add(1)
	go func() { defer wg.Done(); ef = f() }()
	eg := g()
	wg.Wait()
	if ef != nil {
		return ef
	}
	return eg
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// printCompared writes a statement and the line diff of its two outcomes: "  " for lines
// both hosts produced, "- " for pglite-go's only, "+ " for the reference's only.
func printCompared(w io.Writer, name string, c *Compared) {
	state := "same"
	switch {
	case c.Stmt.Exclude != "":
		state = "excluded: " + c.Stmt.Exclude
	case c.Different:
		state = "DIFFERENT"
	}
	fmt.Fprintf(w, "%s:%d: %s\n", name, c.Stmt.Line, state)
	for _, l := range strings.Split(c.Stmt.SQL, "\n") {
		fmt.Fprintf(w, "    > %s\n", l)
	}
	if !c.Different {
		for _, l := range c.Go {
			fmt.Fprintf(w, "      %s\n", l)
		}
		if c.Stmt.Exclude != "" && !equalLines(c.Go, c.Ref) {
			fmt.Fprintf(w, "    (the reference, not compared:)\n")
			for _, l := range c.Ref {
				fmt.Fprintf(w, "      %s\n", l)
			}
		}
		return
	}
	fmt.Fprintf(w, "    --- pglite-go\n    +++ PGlite %s on Node\n", refVersion)
	for _, d := range lineDiff(c.Go, c.Ref) {
		fmt.Fprintf(w, "    %s\n", d)
	}
}

// lineDiff is a longest-common-subsequence diff of two short line lists.
func lineDiff(a, b []string) []string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, "  "+a[i])
			i, j = i+1, j+1
		case j == m || (i < n && lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "- "+a[i])
			i++
		default:
			out = append(out, "+ "+b[j])
			j++
		}
	}
	return out
}
