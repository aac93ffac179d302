package bridge

import (
	"fmt"
	"strings"

	"github.com/pglite-go/pglite/emscripten"
)

// PostgreSQL's encoding conversion modules import a few functions of the server that
// pglite.wasm does not export. The simple ones are provided by the host, so that the modules
// needing only them load: utf8_and_iso8859_1.so (LATIN1, the common case) and
// euc_cn_and_mic.so; radixconv.go adds the radix-tree converters the other utf8_and_*
// modules need, and mbverify.go the character verifier.
func init() {
	emscripten.ProvideImport("pg_utf8_islegal", "ii", "i", func(p *emscripten.Process, s []uint64) {
		legal := utf8IsLegal(p.Bytes(uint32(s[0]), uint32(max(int32(s[1]), 0))))
		s[0] = 0
		if legal {
			s[0] = 1
		}
	})
	emscripten.ProvideImport("report_invalid_encoding", "iii", "", func(p *emscripten.Process, s []uint64) {
		reportInvalidEncoding(p, int32(s[0]), uint32(s[1]), int32(s[2]))
	})
	emscripten.ProvideImport("report_untranslatable_char", "iiii", "", func(p *emscripten.Process, s []uint64) {
		reportUntranslatableChar(p, int32(s[0]), int32(s[1]), uint32(s[2]), int32(s[3]))
	})
}

// reportInvalidEncoding is PostgreSQL's report_invalid_encoding: the ERROR for the bad
// character at str (n bytes left) in encoding enc. It does not return.
func reportInvalidEncoding(p *emscripten.Process, enc int32, str uint32, n int32) {
	raiseError(p, "22021", fmt.Sprintf("invalid byte sequence for encoding %q: %s",
		encodingName(enc), charBytes(p, enc, str, n)), "")
}

// reportUntranslatableChar is PostgreSQL's report_untranslatable_char: the character at str
// of encoding src has no equivalent in dst. It does not return.
func reportUntranslatableChar(p *emscripten.Process, src, dst int32, str uint32, n int32) {
	raiseError(p, "22P05", fmt.Sprintf("character with byte sequence %s in encoding %q has no equivalent in encoding %q",
		charBytes(p, src, str, n), encodingName(src), encodingName(dst)), "")
}

// utf8IsLegal is PostgreSQL's pg_utf8_islegal: whether b is one well-formed UTF-8 character
// of exactly len(b) bytes.
func utf8IsLegal(b []byte) bool {
	if len(b) < 1 || len(b) > 4 {
		return false
	}
	for _, c := range b[min(2, len(b)):] {
		if c < 0x80 || c > 0xBF {
			return false
		}
	}
	if len(b) >= 2 {
		lo, hi := byte(0x80), byte(0xBF)
		switch b[0] {
		case 0xE0:
			lo = 0xA0
		case 0xED:
			hi = 0x9F
		case 0xF0:
			lo = 0x90
		case 0xF4:
			hi = 0x8F
		}
		if b[1] < lo || b[1] > hi {
			return false
		}
	}
	return !(b[0] >= 0x80 && b[0] < 0xC2) && b[0] <= 0xF4
}

// charBytes formats the bytes of the character at str as PostgreSQL's error messages do
// ("0xc3 0x28"): as many as the encoding says the character has (at most what is left), at
// most 8.
func charBytes(p *emscripten.Process, enc int32, str uint32, n int32) string {
	if n <= 0 {
		return ""
	}
	l := min(mbLenOrIncomplete(enc, p.Bytes(str, uint32(n))), int(n), 8)
	parts := make([]string, 0, l)
	for _, c := range p.Bytes(str, uint32(l)) {
		parts = append(parts, fmt.Sprintf("0x%02x", c))
	}
	return strings.Join(parts, " ")
}

const encodingUTF8 = 6 // PG_UTF8

// encodingNames are PostgreSQL's encoding names by their pg_enc number (mb/pg_wchar.h).
var encodingNames = [...]string{"SQL_ASCII", "EUC_JP", "EUC_CN", "EUC_KR", "EUC_TW", "EUC_JIS_2004",
	"UTF8", "MULE_INTERNAL", "LATIN1", "LATIN2", "LATIN3", "LATIN4", "LATIN5", "LATIN6", "LATIN7",
	"LATIN8", "LATIN9", "LATIN10", "WIN1256", "WIN1258", "WIN866", "WIN874", "KOI8R", "WIN1251",
	"WIN1252", "ISO_8859_5", "ISO_8859_6", "ISO_8859_7", "ISO_8859_8", "WIN1250", "WIN1253",
	"WIN1254", "WIN1255", "WIN1257", "KOI8U", "SJIS", "BIG5", "GBK", "UHC", "GB18030", "JOHAB",
	"SHIFT_JIS_2004"}

func encodingName(enc int32) string {
	if enc >= 0 && int(enc) < len(encodingNames) {
		return encodingNames[enc]
	}
	return fmt.Sprintf("encoding %d", enc)
}
