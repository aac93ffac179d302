package soak

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// buildDaemon compiles the real daemon, as a user would run it.
func buildDaemon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pglited")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/pglited")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build pglited: %v\n%s", err, out)
	}
	return bin
}

// daemon is one pglited process; each start after a SIGKILL is a new lifetime on the same
// ports and data directory.
type daemon struct {
	bin, dataDir, logDir string
	port, metricsPort    int

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	lifetime int
	broken   int // "instance broken" log lines in the current lifetime
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (d *daemon) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", d.port)
}

func (d *daemon) addr() string { return fmt.Sprintf("127.0.0.1:%d", d.port) }

// start runs a new lifetime and waits until it answers a query.
func (d *daemon) start(ctx context.Context) error {
	d.mu.Lock()
	d.lifetime++
	d.broken = 0
	logPath := filepath.Join(d.logDir, fmt.Sprintf("pglited-%03d.log", d.lifetime))
	d.mu.Unlock()
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(d.bin, "--listen", "127.0.0.1", "--port", strconv.Itoa(d.port),
		"--data-dir", d.dataDir, "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", d.metricsPort),
		"--log-format", "json", "--log-level", "info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return err
	}
	exited := make(chan struct{})
	d.mu.Lock()
	d.cmd, d.exited = cmd, exited
	d.mu.Unlock()
	go d.scanLog(stderr, logFile, cmd, exited)
	return d.waitReady(ctx, 90*time.Second)
}

// scanLog copies the daemon's log to its file and counts instance failures, which the
// metrics scrape could miss in the moment before a kill.
func (d *daemon) scanLog(r io.Reader, f *os.File, cmd *exec.Cmd, exited chan struct{}) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(f, line)
		if strings.Contains(line, `"message":"instance broken; restarting"`) {
			d.mu.Lock()
			if d.cmd == cmd {
				d.broken++
			}
			d.mu.Unlock()
		}
	}
	_ = cmd.Wait()
	f.Close()
	close(exited)
}

func (d *daemon) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var err error
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var c *pgx.Conn
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if c, err = pgx.Connect(cctx, d.dsn()); err == nil {
			_, err = c.Exec(cctx, "select 1")
			c.Close(cctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-d.exitedCh():
			return fmt.Errorf("pglited exited during start (see %s)", d.logDir)
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("pglited not ready after %v: %v", limit, err)
}

func (d *daemon) exitedCh() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.exited
}

func (d *daemon) pid() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cmd.Process.Pid
}

// brokenLines counts the current lifetime's instance failures seen in its log.
func (d *daemon) brokenLines() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.broken
}

// kill ends the current lifetime with SIGKILL and waits for the process to be gone.
func (d *daemon) kill() error {
	d.mu.Lock()
	cmd, exited := d.cmd, d.exited
	d.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("pglited %d did not die after SIGKILL", cmd.Process.Pid)
	}
}

// stop shuts the current lifetime down with SIGTERM and returns its exit code.
func (d *daemon) stop() (int, error) {
	d.mu.Lock()
	cmd, exited := d.cmd, d.exited
	d.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return -1, err
	}
	select {
	case <-exited:
		return cmd.ProcessState.ExitCode(), nil
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		return -1, fmt.Errorf("pglited %d did not exit within 60s of SIGTERM", cmd.Process.Pid)
	}
}

// metrics scrapes the Prometheus endpoint into name -> value.
func (d *daemon) metrics(ctx context.Context) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", d.metricsPort), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			out[name] = f
		}
	}
	return out, sc.Err()
}

// rss reads the daemon's resident set and its high-water mark, in bytes, from /proc.
func rss(pid int) (now, peak uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) < 1 {
			continue
		}
		kb, _ := strconv.ParseUint(fields[0], 10, 64)
		switch name {
		case "VmRSS":
			now = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	return now, peak, nil
}
