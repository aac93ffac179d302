//go:build !linux

package emscripten

// memImage holds a snapshot's linear memory as a plain copy on platforms without memfd.
type memImage struct {
	size int
	copy []byte
}

func newMemImage(mem []byte) (*memImage, error) {
	return &memImage{size: len(mem), copy: append([]byte(nil), mem...)}, nil
}

func (img *memImage) restoreInto(dst []byte) error {
	copy(dst, img.copy)
	return nil
}

func (img *memImage) bytes() []byte { return img.copy }
