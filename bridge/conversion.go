package bridge

import (
	"path"
	"strings"
)

// isConversionLibrary reports whether a side module is one of PostgreSQL's encoding
// conversion modules (utf8_and_euc_jp.so and the like). Their functions run while a message
// is converted for the client, including the error message about their own failure, where
// raising an error cannot be reported and ended the backend. Loaded strictly, a module whose
// functions this build lacks fails to load when the conversion is first looked up, so that
// SET client_encoding fails with an error and the session keeps its encoding.
func isConversionLibrary(lib string) bool {
	base := path.Base(lib)
	return strings.HasSuffix(base, ".so") && strings.Contains(base, "_and_")
}
