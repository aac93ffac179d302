package pgtest_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pglite-go/pglite"
	"github.com/pglite-go/pglite/test/pgtest"
)

// firstQuery connects in-process and runs SELECT 1.
func firstQuery(b testing.TB, srv *pglite.Server) {
	ctx := context.Background()
	c, err := srv.Connect(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Exec(ctx, "select 1"); err != nil {
		b.Fatal(err)
	}
	c.Close(ctx)
}

// BenchmarkNewDatabase measures a new database to its first query, closed again: by clone
// of the template (what pgtest.New does) against the cold path (pglite.Start: a
// copy-on-write copy of the cached cluster and a PostgreSQL boot). Both include the actor
// tree, an in-process connection and a clean shutdown.
func BenchmarkNewDatabase(b *testing.B) {
	ctx := context.Background()
	warm, err := pgtest.Open(ctx) // the template exists before timing starts
	if err != nil {
		b.Skip(err)
	}
	warm.Close()
	b.Run("clone", func(b *testing.B) {
		for b.Loop() {
			db, err := pgtest.Open(ctx)
			if err != nil {
				b.Fatal(err)
			}
			firstQuery(b, db.Server)
			db.Close()
		}
	})
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			srv, err := pglite.Start(ctx, pglite.Options{NoTCP: true})
			if err != nil {
				b.Fatal(err)
			}
			firstQuery(b, srv)
			srv.Close()
		}
	})
}

// BenchmarkLiveInstances keeps 8 cloned databases alive, each with a table of 10,000 rows,
// and reports the process's memory: resident (VmRSS, and its peak VmHWM) and proportional
// (Pss, which counts pages shared copy-on-write between clones once), before and with the
// 8 instances, and per instance.
func BenchmarkLiveInstances(b *testing.B) {
	const n = 8
	ctx := context.Background()
	warm, err := pgtest.Open(ctx)
	if err != nil {
		b.Skip(err)
	}
	firstQuery(b, warm.Server)
	for b.Loop() {
		runtime.GC()
		before := readMem()
		var dbs []*pgtest.DB
		for range n {
			db, err := pgtest.Open(ctx)
			if err != nil {
				b.Fatal(err)
			}
			dbs = append(dbs, db)
			if _, err := db.Conn().Exec(ctx, "create table t as select g, md5(g::text) from generate_series(1, 10000) g"); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		with := readMem()
		b.ReportMetric(with.rss, "rss_MB")
		b.ReportMetric(with.hwm, "peak_rss_MB")
		b.ReportMetric(with.pss, "pss_MB")
		b.ReportMetric((with.rss-before.rss)/n, "rss_MB/instance")
		b.ReportMetric((with.pss-before.pss)/n, "pss_MB/instance")
		for _, db := range dbs {
			db.Close()
		}
	}
	warm.Close()
}

type memUse struct{ rss, hwm, pss float64 }

// readMem reads the process's memory use in MB from /proc (zero elsewhere).
func readMem() memUse {
	var m memUse
	m.rss = procField("/proc/self/status", "VmRSS:")
	m.hwm = procField("/proc/self/status", "VmHWM:")
	m.pss = procField("/proc/self/smaps_rollup", "Pss:")
	return m
}

func procField(file, key string) float64 {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == key {
			kb, _ := strconv.ParseFloat(fields[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// TestMeasureFirstQuery reports the time to the first query in this process (assets,
// compile or compilation-cache load, the template's boot, the clone, the connection), and
// then the next database's. It only runs with PGLITE_MEASURE=1, in a fresh process, and
// asserts nothing about time.
func TestMeasureFirstQuery(t *testing.T) {
	if os.Getenv("PGLITE_MEASURE") == "" {
		t.Skip("set PGLITE_MEASURE=1")
	}
	for i := range 3 {
		start := time.Now()
		db := pgtest.New(t)
		firstQuery(t, db.Server)
		fmt.Printf("database %d: first query after %v\n", i, time.Since(start))
	}
}
