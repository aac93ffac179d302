package test

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// nativePostgres is a throwaway PostgreSQL server cluster, for tests that prove something
// against the real thing (a restore of our dump).
type nativePostgres struct {
	dsn     string
	version string // major version, "15"
}

// startNativePostgres runs Debian's PostgreSQL server (apt-get install postgresql when it is
// missing) as a throwaway cluster: initdb into a temporary directory, listening only on a
// Unix socket there, on a free port number; as the postgres user when the test runs as
// root, since initdb and postgres refuse root. The cluster is stopped and removed at the
// end of the test.
func startNativePostgres(t *testing.T) *nativePostgres {
	t.Helper()
	bin := nativeBin(t)
	if bin == "" {
		installNativePostgres(t)
		if bin = nativeBin(t); bin == "" {
			t.Fatal("apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/pg_ctl appeared")
		}
	}
	version := filepath.Base(filepath.Dir(bin))
	dir, err := os.MkdirTemp("", "pglite-native-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, and there is no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	data := filepath.Join(dir, "data")
	run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	port := freePort(t)
	run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-c listen_addresses='' -k %s -p %d -c fsync=off -c TimeZone=UTC", dir, port), "start")
	t.Cleanup(func() {
		cmd := exec.Command(filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		_ = cmd.Run()
	})
	return &nativePostgres{dsn: fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable", dir, port), version: version}
}

// nativeBin is the bin directory of the newest installed PostgreSQL server, or "".
func nativeBin(t *testing.T) string {
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	sort.Slice(m, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[i]))))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m[j]))))
		return a < b
	})
	if len(m) == 0 {
		return ""
	}
	return filepath.Dir(m[len(m)-1])
}

// installNativePostgres installs Debian's server package, as `make psql` installs the
// client: with sudo unless root.
func installNativePostgres(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Fatal("no PostgreSQL server in /usr/lib/postgresql and no apt-get to install one (install postgresql)")
	}
	sudo := []string{}
	if os.Geteuid() != 0 {
		sudo = []string{"sudo", "-n"}
	}
	t.Log("installing Debian's postgresql package for the restore test")
	if os.Geteuid() == 0 {
		// The package would create and start a cluster of its own on port 5432; this test
		// makes its own.
		conf := "/etc/postgresql-common/createcluster.conf"
		if _, err := os.Stat(conf); os.IsNotExist(err) {
			_ = os.MkdirAll(filepath.Dir(conf), 0o755)
			_ = os.WriteFile(conf, []byte("create_main_cluster = false\n"), 0o644)
		}
	}
	for _, args := range [][]string{{"apt-get", "update", "-qq"}, {"apt-get", "install", "-y", "-qq", "--no-install-recommends",
		// keep the createcluster.conf written above, which no package owned yet
		"-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "postgresql"}} {
		cmd := exec.Command(append(sudo, args...)[0], append(sudo, args...)[1:]...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
