package bridge

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSize reads a memory size the way PostgreSQL reads memory settings: a whole number
// of bytes, or one followed by B, kB, MB, GB or TB (units in any case, a space allowed).
func ParseSize(s string) (uint64, error) { return parseSize(s, 1) }

func parseSize(s string, unit uint64) (uint64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bridge: size %q: want a number with an optional unit (kB, MB, GB, TB)", s)
	}
	switch strings.ToLower(strings.TrimSpace(s[i:])) {
	case "":
	case "b":
		unit = 1
	case "kb":
		unit = 1 << 10
	case "mb":
		unit = 1 << 20
	case "gb":
		unit = 1 << 30
	case "tb":
		unit = 1 << 40
	default:
		return 0, fmt.Errorf("bridge: size %q: unknown unit %q (kB, MB, GB, TB)", s, strings.TrimSpace(s[i:]))
	}
	if n > (1<<64-1)/unit {
		return 0, fmt.Errorf("bridge: size %q is too large", s)
	}
	return n * unit, nil
}

// FormatSize writes a byte count in the largest PostgreSQL unit that divides it.
func FormatSize(n uint64) string {
	for _, u := range []struct {
		name string
		size uint64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"kB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatUint(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatUint(n, 10) + "B"
}
