package main

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

func main() {
	mainWasm, _ := os.ReadFile(os.Args[1])
	m, err := wasmbin.Parse(mainWasm)
	if err != nil {
		panic(err)
	}
	exp := map[string]wasmbin.Export{}
	for _, e := range m.Exports {
		exp[e.Name] = e
	}
	for _, n := range []string{"errstart", "errmsg_internal", "errmsg", "errfinish", "errcode", "elog_start", "pg_re_throw", "errstart_cold", "errhint", "errdetail"} {
		if e, ok := exp[n]; ok {
			fmt.Println("export", n, m.FuncType(e.Index))
		} else {
			fmt.Println("missing", n)
		}
	}
	for _, f := range os.Args[2:] {
		fh, _ := os.Open(f)
		gz, err := gzip.NewReader(fh)
		if err != nil {
			panic(err)
		}
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if !strings.HasSuffix(h.Name, ".so") {
				continue
			}
			b, _ := io.ReadAll(tr)
			sm, err := wasmbin.Parse(b)
			if err != nil {
				fmt.Println(h.Name, "parse error", err)
				continue
			}
			own := map[string]bool{}
			for _, e := range sm.Exports {
				own[e.Name] = true
			}
			var miss []string
			var missGot []string
			sigs := map[string]bool{}
			for _, im := range sm.Imports {
				switch im.Module {
				case "env":
					if im.Kind != wasmbin.KindFunc {
						continue
					}
					if strings.HasPrefix(im.Name, "invoke_") {
						sigs[im.Name] = true
						continue
					}
					if e, ok := exp[im.Name]; ok {
						if m.FuncType(e.Index).String() != im.Func.String() {
							miss = append(miss, im.Name+"(type "+im.Func.String()+" vs "+m.FuncType(e.Index).String()+")")
						}
						continue
					}
					w := ""
					if sm.Dylink.WeakImports[[2]string{im.Module, im.Name}] {
						w = "(weak)"
					}
					miss = append(miss, im.Name+w)
				case "GOT.mem", "GOT.func":
					if _, ok := exp[im.Name]; ok || own[im.Name] {
						continue
					}
					w := ""
					if sm.Dylink.WeakImports[[2]string{im.Module, im.Name}] {
						w = "(weak)"
					}
					missGot = append(missGot, im.Module+":"+im.Name+w)
				}
			}
			sort.Strings(miss)
			fmt.Printf("%s mem=%d table=%d needed=%v imports=%d\n  unresolved env: %v\n  unresolved GOT: %v\n", h.Name, sm.Dylink.MemSize, sm.Dylink.TableSize, sm.Dylink.Needed, len(sm.Imports), miss, missGot)
		}
	}
}
