package bridge

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

func rawQ(t *testing.T, inst *Instance, sql string) string {
	var out string
	for _, m := range exchange(t, inst, &pgproto3.Query{String: sql}) {
		switch m := m.(type) {
		case *pgproto3.DataRow:
			for _, v := range m.Values {
				out += string(v) + "|"
			}
			out += "\n"
		case *pgproto3.ErrorResponse:
			out += "ERROR " + m.Code + " " + m.Message + " / " + m.Detail + "\n"
		}
	}
	return out
}

func TestScratch(t *testing.T) {
	t0 := time.Now()
	var preload []string
	if p := os.Getenv("PRELOAD"); p != "" {
		preload = strings.Split(p, ",")
	}
	inst := openTest(t, Config{Preload: preload, CacheDir: os.Getenv("CDIR")})
	fmt.Println("open", time.Since(t0))
	for _, q := range strings.Split(os.Getenv("QS"), "\n") {
		if q == "" {
			continue
		}
		t1 := time.Now()
		fmt.Printf("%s => %s (%v)\n", q, rawQ(t, inst, q), time.Since(t1))
	}
}
