//go:build !race

package wasmbin

const raceEnabled = false
