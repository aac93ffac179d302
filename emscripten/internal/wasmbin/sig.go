package wasmbin

import "fmt"

// SigFromLetters converts an Emscripten signature string to a FuncType. The
// first letter is the result ('v' for none), the rest are the params:
// 'i' i32, 'j' i64, 'f' f32, 'd' f64, and 'p' (pointer) as i32 on wasm32.
//
// For an import named invoke_<letters>, the letters describe the target
// function only; the import itself has type (i32 table index, params...) ->
// results. So invoke_viij has type (i32,i32,i64)->() and calls a
// (i32,i64)->() function, and its helper export is dyncall_viij.
// https://emscripten.org/docs/porting/connecting_cpp_and_javascript/Interacting-with-code.html#calling-javascript-functions-as-function-pointers-from-c
func SigFromLetters(letters string) (FuncType, error) {
	if letters == "" {
		return FuncType{}, fmt.Errorf("wasmbin: empty signature")
	}
	var t FuncType
	for i := 0; i < len(letters); i++ {
		c := letters[i]
		if i == 0 && c == 'v' {
			continue
		}
		v, ok := letterType(c)
		if !ok {
			return FuncType{}, fmt.Errorf("wasmbin: signature %q: bad letter %q", letters, c)
		}
		if i == 0 {
			t.Results = []ValType{v}
		} else {
			t.Params = append(t.Params, v)
		}
	}
	return t, nil
}

func letterType(c byte) (ValType, bool) {
	switch c {
	case 'i', 'p':
		return I32, true
	case 'j':
		return I64, true
	case 'f':
		return F32, true
	case 'd':
		return F64, true
	}
	return 0, false
}

// LettersFromType is the inverse of SigFromLetters (it never writes 'p').
// It returns "" for types Emscripten signatures cannot express: more than
// one result, or a non-numeric value type.
func LettersFromType(t FuncType) string {
	if len(t.Results) > 1 {
		return ""
	}
	out := make([]byte, 0, 1+len(t.Params))
	if len(t.Results) == 0 {
		out = append(out, 'v')
	}
	for _, v := range append(append([]ValType(nil), t.Results...), t.Params...) {
		c := typeLetter(v)
		if c == 0 {
			return ""
		}
		out = append(out, c)
	}
	return string(out)
}

func typeLetter(v ValType) byte {
	switch v {
	case I32:
		return 'i'
	case I64:
		return 'j'
	case F32:
		return 'f'
	case F64:
		return 'd'
	}
	return 0
}
