package bridge

import (
	"math"

	"github.com/pglite-go/pglite/emscripten"
)

// PostgreSQL's per-encoding character length and verifier (common/wchar.c, the mblen and
// mbverifychar columns of pg_wchar_table), which the conversion helpers of radixconv.go need
// and which pglite.wasm does not export. Encodings are numbered as in mb/pg_wchar.h
// (encodingNames).
//
// https://github.com/postgres/postgres/blob/REL_18_STABLE/src/common/wchar.c

func init() {
	// int pg_encoding_verifymbchar(int encoding, const char *mbstr, int len), which
	// euc_jp_and_sjis.so, euc_kr_and_mic.so and euc_tw_and_big5.so import.
	emscripten.ProvideImport("pg_encoding_verifymbchar", "iii", "i", func(p *emscripten.Process, s []uint64) {
		enc, str, n := int32(s[0]), uint32(s[1]), int32(s[2])
		s[0] = uint64(uint32(int32(verifyChar(enc, p.Bytes(str, uint32(max(n, 0)))))))
	})
}

// Encoding numbers the functions below tell apart.
const (
	encSQLASCII     = 0
	encEUCJP        = 1
	encEUCCN        = 2
	encEUCKR        = 3
	encEUCTW        = 4
	encEUCJIS2004   = 5
	encMule         = 7
	encSJIS         = 35
	encBIG5         = 36
	encGBK          = 37
	encUHC          = 38
	encGB18030      = 39
	encJOHAB        = 40
	encShiftJIS2004 = 41
	// encodingCount is _PG_LAST_ENCODING_: PG_VALID_ENCODING(e) is 0 <= e < encodingCount.
	encodingCount = 42
)

const (
	ss2 = 0x8e // EUC single shift 2
	ss3 = 0x8f // EUC single shift 3
)

func highBit(c byte) bool       { return c&0x80 != 0 }
func eucRangeValid(c byte) bool { return c >= 0xa1 && c <= 0xfe }

// mbLen is pg_encoding_mblen: the length of the character starting at s[0], judged by its
// first byte (GB18030 also looks at the second). An invalid encoding counts as SQL_ASCII.
func mbLen(enc int32, s []byte) int {
	c := s[0]
	switch enc {
	case encEUCJP, encEUCJIS2004, encEUCKR, encJOHAB:
		switch {
		case c == ss2:
			return 2
		case c == ss3:
			return 3
		case highBit(c):
			return 2
		}
	case encEUCCN, encBIG5, encGBK, encUHC:
		if highBit(c) {
			return 2
		}
	case encEUCTW:
		switch {
		case c == ss2:
			return 4
		case c == ss3:
			return 3
		case highBit(c):
			return 2
		}
	case encodingUTF8:
		return utf8Len(c)
	case encMule:
		return muleLen(c)
	case encSJIS, encShiftJIS2004:
		if highBit(c) && (c < 0xa1 || c > 0xdf) {
			return 2
		}
	case encGB18030:
		switch {
		case !highBit(c):
			return 1
		case len(s) > 1 && s[1] >= 0x30 && s[1] <= 0x39:
			return 4
		default:
			return 2
		}
	}
	return 1
}

// mbLenOrIncomplete is pg_encoding_mblen_or_incomplete, which the error reports use: as
// mbLen, but "more than is left" when the input ends too early to tell.
func mbLenOrIncomplete(enc int32, s []byte) int {
	if len(s) < 1 || enc == encGB18030 && highBit(s[0]) && len(s) < 2 {
		return math.MaxInt32
	}
	return mbLen(enc, s)
}

// utf8Len is pg_utf_mblen.
func utf8Len(c byte) int {
	switch {
	case c&0x80 == 0:
		return 1
	case c&0xe0 == 0xc0:
		return 2
	case c&0xf0 == 0xe0:
		return 3
	case c&0xf8 == 0xf0:
		return 4
	}
	return 1
}

// muleLen is pg_mule_mblen: the leading byte names the character set (IS_LC1, IS_LCPRV1,
// IS_LC2, IS_LCPRV2 of mb/pg_wchar.h).
func muleLen(c byte) int {
	switch {
	case c >= 0x81 && c <= 0x8d:
		return 2
	case c == 0x9a || c == 0x9b:
		return 3
	case c >= 0x90 && c <= 0x99:
		return 3
	case c == 0x9c || c == 0x9d:
		return 4
	}
	return 1
}

// verifyChar is pg_encoding_verifymbchar: the length of the validly encoded character that
// starts s (len(s) > 0 and s[0] != 0, as the callers guarantee), or -1.
func verifyChar(enc int32, s []byte) int {
	if len(s) == 0 {
		return -1
	}
	switch enc {
	case encEUCJP, encEUCJIS2004:
		return verifyEUCJP(s)
	case encEUCCN, encEUCKR:
		return verifyEUCKR(s)
	case encEUCTW:
		return verifyEUCTW(s)
	case encodingUTF8:
		return verifyUTF8(s)
	case encMule:
		return verifyTrail(s, muleLen(s[0]), highBit)
	case encSJIS, encShiftJIS2004:
		return verifySJIS(s)
	case encBIG5, encGBK, encUHC:
		return verifyTrail(s, mbLen(enc, s), func(c byte) bool { return c != 0 })
	case encGB18030:
		return verifyGB18030(s)
	case encJOHAB:
		if !highBit(s[0]) {
			return 1
		}
		return verifyTrail(s, mbLen(enc, s), eucRangeValid)
	}
	return 1 // SQL_ASCII and the single-byte encodings
}

// verifyTrail checks that s holds an l-byte character whose bytes after the first all pass ok.
func verifyTrail(s []byte, l int, ok func(byte) bool) int {
	if len(s) < l {
		return -1
	}
	for _, c := range s[1:l] {
		if !ok(c) {
			return -1
		}
	}
	return l
}

func verifyEUCJP(s []byte) int {
	switch c := s[0]; {
	case c == ss2: // JIS X 0201 kana
		if len(s) < 2 || s[1] < 0xa1 || s[1] > 0xdf {
			return -1
		}
		return 2
	case c == ss3: // JIS X 0212
		return verifyTrail(s, 3, eucRangeValid)
	case highBit(c): // JIS X 0208
		if !eucRangeValid(c) {
			return -1
		}
		return verifyTrail(s, 2, eucRangeValid)
	}
	return 1
}

func verifyEUCKR(s []byte) int {
	if !highBit(s[0]) {
		return 1
	}
	if len(s) < 2 || !eucRangeValid(s[0]) {
		return -1
	}
	return verifyTrail(s, 2, eucRangeValid)
}

func verifyEUCTW(s []byte) int {
	switch c := s[0]; {
	case c == ss2: // CNS 11643 planes 1-7
		if len(s) < 4 || s[1] < 0xa1 || s[1] > 0xa7 || !eucRangeValid(s[2]) || !eucRangeValid(s[3]) {
			return -1
		}
		return 4
	case c == ss3:
		return -1
	case highBit(c): // CNS 11643 plane 1; PostgreSQL checks only the second byte
		return verifyTrail(s, 2, eucRangeValid)
	}
	return 1
}

func verifyUTF8(s []byte) int {
	if !highBit(s[0]) {
		if s[0] == 0 {
			return -1
		}
		return 1
	}
	l := utf8Len(s[0])
	if l > len(s) || !utf8IsLegal(s[:l]) {
		return -1
	}
	return l
}

func verifySJIS(s []byte) int {
	l := mbLen(encSJIS, s)
	if len(s) < l {
		return -1
	}
	if l == 1 {
		return 1
	}
	head := s[0] >= 0x81 && s[0] <= 0x9f || s[0] >= 0xe0 && s[0] <= 0xfc
	tail := s[1] >= 0x40 && s[1] <= 0x7e || s[1] >= 0x80 && s[1] <= 0xfc
	if !head || !tail {
		return -1
	}
	return 2
}

func verifyGB18030(s []byte) int {
	c := s[0]
	switch {
	case !highBit(c):
		return 1
	case len(s) >= 4 && s[1] >= 0x30 && s[1] <= 0x39:
		if c >= 0x81 && c <= 0xfe && s[2] >= 0x81 && s[2] <= 0xfe && s[3] >= 0x30 && s[3] <= 0x39 {
			return 4
		}
	case len(s) >= 2 && c >= 0x81 && c <= 0xfe:
		if s[1] >= 0x40 && s[1] <= 0x7e || s[1] >= 0x80 && s[1] <= 0xfe {
			return 2
		}
	}
	return -1
}
