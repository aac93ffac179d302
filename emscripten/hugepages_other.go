//go:build !linux

package emscripten

// adviseHugePages is a no-op: only Linux takes the advice.
func adviseHugePages([]byte) {}
