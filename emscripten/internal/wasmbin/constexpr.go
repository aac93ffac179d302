package wasmbin

import "fmt"

// constKind tells which single instruction a constant expression held, when
// it held exactly one of interest.
type constKind int

const (
	constOther   constKind = iota // anything else (global.get, extended const, floats)
	constNum                      // i32.const or i64.const
	constRefFunc                  // ref.func
	constRefNull                  // ref.null
)

type constVal struct {
	kind constKind
	num  int64  // value for constNum
	fn   uint32 // function index for constRefFunc
}

// readConstExpr reads a constant expression up to its end opcode. It reports
// a lone i32.const/i64.const/ref.func/ref.null and skips any other valid
// constant instruction, including the extended-const arithmetic. ok is false
// on a malformed expression.
// https://webassembly.github.io/spec/core/valid/instructions.html#constant-expressions
func readConstExpr(s *cursor) (v constVal, ok bool) {
	n := 0
	for s.err == nil {
		op := s.byte()
		if op == 0x0b { // end
			if n != 1 {
				v = constVal{}
			}
			return v, s.err == nil
		}
		n++
		v = constVal{}
		switch op {
		case 0x41: // i32.const
			v = constVal{kind: constNum, num: int64(int32(s.sN(32)))}
		case 0x42: // i64.const
			v = constVal{kind: constNum, num: s.sN(64)}
		case 0x43: // f32.const
			s.bytes(4)
		case 0x44: // f64.const
			s.bytes(8)
		case 0x23: // global.get
			s.u32()
		case 0xd0: // ref.null
			s.byte()
			v.kind = constRefNull
		case 0xd2: // ref.func
			v = constVal{kind: constRefFunc, fn: s.u32()}
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // i32/i64 add, sub, mul
		default:
			s.fail(fmt.Errorf("opcode 0x%02x in constant expression", op))
		}
	}
	return constVal{}, false
}
