package bridge

import (
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// clusterKey is what a template cluster is made from besides the modules: the share files
// in pglite.data (catalog data, timezones, dictionaries) that initdb reads. Two asset sets
// with the same modules and different share files must not share a template.
type clusterKey struct {
	once sync.Once
	sum  string // hex CRC-32C of files.json, then pglite.data
	err  error
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ClusterKey identifies everything a new cluster is made from: the modules and the share
// files. It keys the template clusters. A folder's pglite.data is read once, on first use,
// with read(2) rather than through the mapping the file system serves it from, so that its
// 6 MB do not join the process's RSS; reading and a CRC-32C, which the CPU computes in
// hardware, take 0.6-2 ms. It only tells asset sets apart, so it need not be a
// cryptographic digest.
func (a *Assets) ClusterKey() (string, error) {
	a.cluster.once.Do(func() {
		if a.cluster.sum != "" {
			return // set at load (embedded assets, already in memory)
		}
		h := crc32.New(castagnoli)
		for _, name := range []string{"files.json", "pglite.data"} {
			if err := hashFile(h, filepath.Join(a.Dir, name)); err != nil {
				a.cluster.err = fmt.Errorf("bridge: assets: %w", err)
				return
			}
		}
		a.cluster.sum = hex.EncodeToString(h.Sum(nil))
	})
	if a.cluster.err != nil {
		return "", a.cluster.err
	}
	return a.Hash + "-" + a.cluster.sum, nil
}

// setClusterSum sets the share files' part of ClusterKey from their bytes.
func (a *Assets) setClusterSum(table, data []byte) {
	h := crc32.New(castagnoli)
	h.Write(table)
	h.Write(data)
	a.cluster.sum = hex.EncodeToString(h.Sum(nil))
}

func hashFile(h hash.Hash, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}
