package assetinstall

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNpmMissing means no npm client is on PATH; the assets are npm packages and are
// fetched with it.
var ErrNpmMissing = errors.New("npm is not installed (no npm on PATH); the PGlite assets are npm packages fetched with `npm pack`, so install npm (it comes with Node.js)")

// NpmError is a failed `npm pack`: offline, a registry or proxy refusing, an unknown
// package. Output is what npm printed, which says which.
type NpmError struct {
	Spec   string
	Err    error
	Output string
}

func (e *NpmError) Error() string {
	out := strings.TrimSpace(e.Output)
	if out == "" {
		return fmt.Sprintf("npm pack %s: %v", e.Spec, e.Err)
	}
	// One line: npm's own lines joined, for a log line or a terminal's single error line.
	return fmt.Sprintf("npm pack %s: %v: %s", e.Spec, e.Err, strings.Join(strings.Fields(strings.ReplaceAll(summarize(out, 12), "\n", " ; ")), " "))
}

func (e *NpmError) Unwrap() error { return e.Err }

// ChecksumError is a file whose sha256 is not the pinned one: the registry (or a mirror)
// served other bytes than the release, or a file on disk was changed.
type ChecksumError struct {
	File      string
	Want, Got string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("sha256 mismatch for %s: expected %s, got %s", e.File, e.Want, e.Got)
}

// summarize keeps what npm says about a failure and drops the stack trace and the dump of
// the error object it prints after it.
func summarize(out string, max int) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		body := strings.TrimRight(line, " ")
		rest, isErr := strings.CutPrefix(body, "npm error")
		if isErr && (rest == "" || rest == " }" || strings.HasPrefix(rest, "   ")) {
			continue // blank, stack frame, or a field of the dumped error object
		}
		if body != "" {
			keep = append(keep, body)
		}
	}
	if len(keep) > max {
		keep = append(keep[:max], "...")
	}
	return strings.Join(keep, "\n")
}
