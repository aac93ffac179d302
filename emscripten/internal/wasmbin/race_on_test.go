//go:build race

package wasmbin

// raceEnabled: the race detector slows wazero's compiler down by an order of magnitude.
const raceEnabled = true
