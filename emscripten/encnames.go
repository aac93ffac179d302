package emscripten

// pgEncodingNames are PostgreSQL's encoding names by encoding id (pg_enc2name_tbl in
// src/common/encnames.c, PostgreSQL 18).
var pgEncodingNames = [...]string{
	"SQL_ASCII", "EUC_JP", "EUC_CN", "EUC_KR", "EUC_TW", "EUC_JIS_2004", "UTF8", "MULE_INTERNAL",
	"LATIN1", "LATIN2", "LATIN3", "LATIN4", "LATIN5", "LATIN6", "LATIN7", "LATIN8", "LATIN9", "LATIN10",
	"WIN1256", "WIN1258", "WIN866", "WIN874", "KOI8R", "WIN1251", "WIN1252",
	"ISO_8859_5", "ISO_8859_6", "ISO_8859_7", "ISO_8859_8",
	"WIN1250", "WIN1253", "WIN1254", "WIN1255", "WIN1257", "KOI8U",
	"SJIS", "BIG5", "GBK", "UHC", "GB18030", "JOHAB", "SHIFT_JIS_2004",
}

// encodingToChar is libpq's pg_encoding_to_char for modules (pg_dump.wasm) that import it
// instead of linking libpgcommon's: the name of an encoding id, "" for an unknown one, as
// PostgreSQL answers. The string is malloc'd in the guest and never freed; pg_dump asks a
// handful of times per run, and the process ends with the dump.
func encodingToChar(p *Process, s []uint64) {
	name := ""
	if id := int32(s[0]); id >= 0 && int(id) < len(pgEncodingNames) {
		name = pgEncodingNames[id]
	}
	ptr := uint32(p.mustCall("malloc", uint64(len(name)+1)))
	if ptr == 0 {
		s[0] = 0
		return
	}
	p.WriteCString(ptr, name)
	s[0] = uint64(ptr)
}
