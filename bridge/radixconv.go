package bridge

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/pglite-go/pglite/emscripten"
)

// LocalToUtf and UtfToLocal are PostgreSQL's table-driven converters between UTF8 and the
// other server and client encodings (utils/mb/conv.c). Fifteen conversion modules
// (utf8_and_euc_jp.so, utf8_and_euc_kr.so, utf8_and_sjis.so, utf8_and_win.so, ...) call them
// with their maps; pglite.wasm does not export them, so without these the modules could not
// load and client_encoding EUC_JP, convert_from(..., 'EUC_KR') or COPY ... ENCODING 'SJIS'
// failed. The host runs them on the guest's memory: the maps are the modules' own data.
//
// https://github.com/postgres/postgres/blob/REL_18_STABLE/src/backend/utils/mb/conv.c

func init() {
	// int LocalToUtf(const unsigned char *iso, int len, unsigned char *utf,
	//     const pg_mb_radix_tree *map, const pg_local_to_utf_combined *cmap, int cmapsize,
	//     utf_local_conversion_func conv_func, int encoding, bool noError)
	emscripten.ProvideImport("LocalToUtf", "iiiiiiiii", "i", func(p *emscripten.Process, s []uint64) {
		s[0] = uint64(uint32(localToUtf(p, convArgs(s))))
	})
	// int UtfToLocal(const unsigned char *utf, int len, unsigned char *iso,
	//     const pg_mb_radix_tree *map, const pg_utf_to_local_combined *cmap, int cmapsize,
	//     utf_local_conversion_func conv_func, int encoding, bool noError)
	emscripten.ProvideImport("UtfToLocal", "iiiiiiiii", "i", func(p *emscripten.Process, s []uint64) {
		s[0] = uint64(uint32(utfToLocal(p, convArgs(s))))
	})
}

// convCall holds the arguments LocalToUtf and UtfToLocal share.
type convCall struct {
	src      uint32 // input, not NUL-terminated
	n        int32  // its length
	dst      uint32 // output, large enough, NUL-terminated on return
	tree     uint32 // pg_mb_radix_tree *, or 0
	cmap     uint32 // the combined-character map, or 0
	cmapSize int32
	conv     uint32 // table slot of uint32 (*)(uint32), or 0
	enc      int32  // the encoding that is not UTF8
	noError  bool   // stop at the first bad character instead of raising an error
}

func convArgs(s []uint64) convCall {
	return convCall{src: uint32(s[0]), n: int32(s[1]), dst: uint32(s[2]), tree: uint32(s[3]),
		cmap: uint32(s[4]), cmapSize: int32(s[5]), conv: uint32(s[6]), enc: int32(s[7]), noError: uint32(s[8]) != 0}
}

// checkEncoding raises conv.c's error for an encoding number out of range.
func checkEncoding(p *emscripten.Process, enc int32) {
	if enc < 0 || enc >= encodingCount {
		raiseError(p, "22023", fmt.Sprintf("invalid encoding number: %d", enc), "")
	}
}

// localToUtf converts c.n bytes of encoding c.enc at c.src into UTF8 at c.dst and returns
// how many input bytes it consumed. Each character is looked up in the radix tree, then in
// the combined map (one local character for two Unicode ones), then given to the
// conversion function.
func localToUtf(p *emscripten.Process, c convCall) int32 {
	checkEncoding(p, c.enc)
	src, n, dst := c.src, c.n, c.dst
	for n > 0 {
		b := p.Bytes(src, 1)[0]
		if b == 0 {
			break
		}
		if !highBit(b) {
			dst = putBytes(p, dst, b)
			src, n = src+1, n-1
			continue
		}
		l := verifyChar(c.enc, p.Bytes(src, uint32(n)))
		if l < 0 {
			break
		}
		var bs [4]byte // right-aligned: b1 b2 b3 b4 of conv.c
		copy(bs[4-l:], p.Bytes(src, uint32(l)))
		code := binary.BigEndian.Uint32(bs[:])
		if out, ok := c.local(p, l, bs, code); ok {
			dst = storeCodes(p, dst, out...)
			src, n = src+uint32(l), n-int32(l)
			continue
		}
		if c.noError {
			break
		}
		reportUntranslatableChar(p, c.enc, encodingUTF8, src, n)
	}
	if n > 0 && !c.noError {
		reportInvalidEncoding(p, c.enc, src, n)
	}
	putBytes(p, dst, 0)
	return int32(src - c.src)
}

// local finds the UTF8 for one local character: the codes to store, or false.
func (c convCall) local(p *emscripten.Process, l int, bs [4]byte, code uint32) ([]uint32, bool) {
	if c.tree != 0 {
		if u := radixLookup(p, c.tree, l, bs); u != 0 {
			return []uint32{u}, true
		}
		if c.cmap != 0 {
			// pg_local_to_utf_combined {uint32 code, utf1, utf2}, sorted by code
			if e, ok := searchCombined(p, c.cmap, c.cmapSize, func(e [3]uint32) int { return cmp32(code, e[0]) }); ok {
				return []uint32{e[1], e[2]}, true
			}
		}
	}
	if u := c.callConv(p, code); u != 0 {
		return []uint32{u}, true
	}
	return nil, false
}

func (c convCall) callConv(p *emscripten.Process, code uint32) uint32 {
	if c.conv == 0 {
		return 0
	}
	return uint32(p.CallTableNested("ii", c.conv, uint64(code)))
}

// utfToLocal converts c.n bytes of UTF8 at c.src into encoding c.enc at c.dst and returns how
// many input bytes it consumed. A pair of characters is first looked up in the combined map,
// then each character in the radix tree, then given to the conversion function.
func utfToLocal(p *emscripten.Process, c convCall) int32 {
	checkEncoding(p, c.enc)
	src, n, dst := c.src, c.n, c.dst
	for n > 0 {
		b := p.Bytes(src, 1)[0]
		if b == 0 {
			break
		}
		l := utf8Len(b)
		if n < int32(l) || !utf8IsLegal(p.Bytes(src, uint32(l))) {
			break
		}
		if l == 1 {
			dst = putBytes(p, dst, b)
			src, n = src+1, n-1
			continue
		}
		var bs [4]byte
		copy(bs[4-l:], p.Bytes(src, uint32(l)))
		code := binary.BigEndian.Uint32(bs[:])
		if c.cmap != 0 && n > int32(l) {
			next := src + uint32(l)
			l2 := utf8Len(p.Bytes(next, 1)[0])
			rest := n - int32(l)
			if rest < int32(l2) {
				// More input is needed to tell whether this is a combined character:
				// conv.c stops here with the remaining length already reduced.
				n = rest
				break
			}
			if !utf8IsLegal(p.Bytes(next, uint32(l2))) {
				if !c.noError {
					reportInvalidEncoding(p, encodingUTF8, next, rest)
				}
				n = rest
				break
			}
			if l2 > 1 {
				var bs2 [4]byte
				copy(bs2[4-l2:], p.Bytes(next, uint32(l2)))
				code2 := binary.BigEndian.Uint32(bs2[:])
				// pg_utf_to_local_combined {uint32 utf1, utf2, code}, sorted by (utf1, utf2)
				if e, ok := searchCombined(p, c.cmap, c.cmapSize, func(e [3]uint32) int {
					if r := cmp32(code, e[0]); r != 0 {
						return r
					}
					return cmp32(code2, e[1])
				}); ok {
					dst = storeCodes(p, dst, e[2])
					src, n = next+uint32(l2), rest-int32(l2)
					continue
				}
			}
		}
		out := uint32(0)
		if c.tree != 0 {
			out = radixLookup(p, c.tree, l, bs)
		}
		if out == 0 {
			out = c.callConv(p, code)
		}
		if out != 0 {
			dst = storeCodes(p, dst, out)
			src, n = src+uint32(l), n-int32(l)
			continue
		}
		if c.noError {
			break
		}
		reportUntranslatableChar(p, encodingUTF8, c.enc, src, n)
	}
	if n > 0 && !c.noError {
		reportInvalidEncoding(p, encodingUTF8, src, n)
	}
	putBytes(p, dst, 0)
	return int32(src - c.src)
}

// radixLookup is pg_mb_radix_conv: the code for the l-byte character bs (right-aligned) in
// the radix tree at tree, or 0. The tree (mb/pg_wchar.h, wasm32 layout): chars16 and
// chars32 pointers (one is used), then for 1, 2, 3 and 4-byte inputs the offset of the root
// table and the lowest and highest valid value of each byte. Following an offset gives the
// next byte's table; the last gives the code.
func radixLookup(p *emscripten.Process, tree uint32, l int, bs [4]byte) uint32 {
	var root, bounds uint32 // offsets of bNroot and of bN_1_lower in the struct
	switch l {
	case 1:
		root, bounds = 8, 12
	case 2:
		root, bounds = 16, 20
	case 3:
		root, bounds = 24, 28
	case 4:
		root, bounds = 36, 40
	default:
		return 0
	}
	in := bs[4-l:]
	lim := p.Bytes(tree+bounds, uint32(2*l))
	for i, b := range in {
		if b < lim[2*i] || b > lim[2*i+1] {
			return 0
		}
	}
	chars16, chars32 := p.U32(tree), p.U32(tree+4)
	idx := p.U32(tree + root)
	if chars32 == 0 {
		idx &= 0xffff // conv.c keeps the index in a uint16 for 16-bit trees
	}
	for i, b := range in {
		at := uint32(b) + idx - uint32(lim[2*i])
		if chars32 != 0 {
			idx = p.U32(chars32 + 4*at)
		} else {
			idx = uint32(binary.LittleEndian.Uint16(p.Bytes(chars16+2*at, 2)))
		}
	}
	return idx
}

// searchCombined binary-searches n entries of three uint32 at base; order compares the key
// with an entry (negative: the key sorts before it).
func searchCombined(p *emscripten.Process, base uint32, n int32, order func([3]uint32) int) ([3]uint32, bool) {
	entry := func(i int) [3]uint32 {
		a := base + uint32(i)*12
		return [3]uint32{p.U32(a), p.U32(a + 4), p.U32(a + 8)}
	}
	i := sort.Search(int(max(n, 0)), func(i int) bool { return order(entry(i)) <= 0 })
	if i < int(n) && order(entry(i)) == 0 {
		return entry(i), true
	}
	return [3]uint32{}, false
}

func cmp32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// storeCodes is conv.c's store_coded_char for each code: its non-zero bytes, high first.
func storeCodes(p *emscripten.Process, dst uint32, codes ...uint32) uint32 {
	for _, code := range codes {
		for shift := 24; shift >= 0; shift -= 8 {
			if b := byte(code >> shift); b != 0 {
				dst = putBytes(p, dst, b)
			}
		}
	}
	return dst
}

func putBytes(p *emscripten.Process, dst uint32, b byte) uint32 {
	p.Bytes(dst, 1)[0] = b
	return dst + 1
}
