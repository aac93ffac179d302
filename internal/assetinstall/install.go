package assetinstall

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Options tune Install.
type Options struct {
	// Pins is the set to install (nil: Pinned).
	Pins *Pins
	// Progress receives a line for each step a user waits for. Nil: quiet.
	Progress func(msg string)
	// Verify checks every sha256 of an install that is already complete and replaces it
	// when one differs; without it a complete install is taken as it is.
	Verify bool
}

func (o *Options) pins() *Pins {
	if o.Pins == nil {
		return Pinned
	}
	return o.Pins
}

func (o *Options) progress(msg string) {
	if o.Progress != nil {
		o.Progress(msg)
	}
}

// completeFile marks a finished install; it holds the pin set's marker.
const completeFile = ".complete"

// parallelPacks is how many `npm pack` run at once.
const parallelPacks = 4

// Install makes dest a complete, checked assets folder. It is safe to call from many
// goroutines and processes at once: they take turns on a lock next to dest, and the ones
// that wait find the first one's install and return. The folder is built in a temporary
// sibling and renamed into place, so dest is either absent, an older install, or complete;
// temporary folders an interrupted install left behind are removed by the next one.
func Install(ctx context.Context, dest string, o Options) error {
	pins := o.pins()
	dest, err := filepath.Abs(dest)
	if err != nil {
		return err
	}
	parent, base := filepath.Dir(dest), filepath.Base(dest)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", parent, err)
	}
	unlock, err := lock(ctx, filepath.Join(parent, "."+base+".lock"), o.progress)
	if err != nil {
		return err
	}
	defer unlock()
	if IsComplete(dest, pins) {
		if !o.Verify {
			return nil
		}
		err := Check(dest, pins)
		if err == nil {
			return nil
		}
		o.progress(fmt.Sprintf("%s fails its check, installing it again: %v", dest, err))
	}
	cleanStale(parent, base)
	npm, err := findNpm()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return fmt.Errorf("install into %s: %w", parent, err)
	}
	defer os.RemoveAll(tmp) // gone already after a successful rename
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	start := time.Now()
	o.progress(fmt.Sprintf("fetching PGlite %s assets, once: %d npm packages with `npm pack`, into %s",
		pins.Version, len(pins.Packages), dest))
	if err := fetchAll(ctx, npm, pins, tmp); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(tmp, npmWorkDir)); err != nil {
		return err
	}
	if err := derive(tmp, pins); err != nil {
		return err
	}
	if err := verifyFiles(tmp, pins); err != nil {
		return err
	}
	if err := writeSynced(filepath.Join(tmp, completeFile), []byte(pins.Marker+"\n")); err != nil {
		return err
	}
	if err := swapIn(tmp, dest); err != nil {
		return err
	}
	o.progress(fmt.Sprintf("installed PGlite %s assets into %s in %.1fs", pins.Version, dest, time.Since(start).Seconds()))
	return nil
}

// npmWorkDir holds the tarballs while they are extracted, inside the temporary folder.
const npmWorkDir = ".npm"

// fetchAll packs and extracts every package: the last one alone first, then the rest a few
// at a time. That first pack is the reachability check: where the registry cannot be
// reached, one npm process fails in about 0.3 s, whereas several started together share
// the CPU and the first failure comes later (over 1 s on a busy 2-core machine). The pins
// list the main package (9 MB) first and the extension packages (under 1 MB each) after it,
// so the check downloads little before the big one starts. The first failure cancels the
// others and is the one returned.
func fetchAll(ctx context.Context, npm string, pins *Pins, tmp string) error {
	n := len(pins.Packages)
	if n == 0 {
		return nil
	}
	work := func(i int) string { return filepath.Join(tmp, npmWorkDir, strconv.Itoa(i)) }
	if err := fetchOne(ctx, npm, pins.Packages[n-1], work(n-1), tmp); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n-1)
	sem := make(chan struct{}, parallelPacks)
	var wg sync.WaitGroup
	for i, p := range pins.Packages[:n-1] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if errs[i] = ctx.Err(); errs[i] != nil {
				return
			}
			if errs[i] = fetchOne(ctx, npm, p, work(i), tmp); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}

// fetchOne packs one package into work, an empty folder it creates, and extracts the files
// it keeps into tmp.
func fetchOne(ctx context.Context, npm string, p Package, work, tmp string) error {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	tgz, err := pack(ctx, npm, p, work)
	if err != nil {
		return err
	}
	return extract(tgz, p, tmp)
}

// IsComplete reports whether dir holds a finished install of pins (its marker; see Check
// for the contents).
func IsComplete(dir string, pins *Pins) bool {
	b, err := os.ReadFile(filepath.Join(dir, completeFile))
	return err == nil && string(b) == pins.Marker+"\n"
}

// cleanStale removes what interrupted installs left next to dest. The caller holds the
// lock, so no live installer owns them.
func cleanStale(parent, base string) {
	for _, pat := range []string{".tmp-*", ".old-*"} {
		m, _ := filepath.Glob(filepath.Join(parent, "."+base+pat))
		for _, d := range m {
			_ = os.RemoveAll(d)
		}
	}
}

// swapIn renames the finished folder to dest, moving an older dest aside first (a folder
// cannot be renamed over a non-empty one).
func swapIn(tmp, dest string) error {
	parent, base := filepath.Dir(dest), filepath.Base(dest)
	old := ""
	if _, err := os.Lstat(dest); err == nil {
		d, err := os.MkdirTemp(parent, "."+base+".old-")
		if err != nil {
			return err
		}
		old = filepath.Join(d, base)
		if err := os.Rename(dest, old); err != nil {
			os.Remove(d)
			return fmt.Errorf("replace %s: %w", dest, err)
		}
		defer os.RemoveAll(d)
	}
	if err := os.Rename(tmp, dest); err != nil {
		if old != "" {
			_ = os.Rename(old, dest)
		}
		return fmt.Errorf("install %s: %w", dest, err)
	}
	return syncDir(parent)
}

// writeSynced writes a file and flushes it to disk.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
