package wirefuzz

import "encoding/binary"

// msg builds one frontend message by hand, so that any field may hold any byte (a NUL
// inside a name, a Describe of neither 'S' nor 'P'): a library encoder would refuse.
type msg struct{ b []byte }

func newMsg(typ byte) *msg { return &msg{b: []byte{typ, 0, 0, 0, 0}} }

func (m *msg) cstr(s string) *msg     { m.b = append(append(m.b, s...), 0); return m }
func (m *msg) i16(v uint32) *msg      { m.b = binary.BigEndian.AppendUint16(m.b, uint16(v)); return m }
func (m *msg) i32(v uint32) *msg      { m.b = binary.BigEndian.AppendUint32(m.b, v); return m }
func (m *msg) raw(b []byte) *msg      { m.b = append(m.b, b...); return m }
func (m *msg) byte1(c uint8) *msg     { m.b = append(m.b, c); return m }
func (m *msg) done() []byte           { return m.length(uint32(len(m.b) - 1)) }
func (m *msg) length(n uint32) []byte { binary.BigEndian.PutUint32(m.b[1:5], n); return m.b }

func (m *msg) params(ps []param) *msg {
	m.i16(uint32(len(ps)))
	for _, p := range ps {
		if p.Null {
			m.i32(0xffffffff)
			continue
		}
		m.i32(uint32(len(p.Value))).raw(p.Value)
	}
	return m
}

func (m *msg) i16s(l []uint32) *msg {
	m.i16(uint32(len(l)))
	for _, v := range l {
		m.i16(v)
	}
	return m
}

// wire is op's bytes on the wire; nil for the ops that send nothing on this connection.
func (o *op) wire() []byte {
	switch o.Kind {
	case opQuery:
		return newMsg('Q').cstr(o.SQL.String()).done()
	case opParse:
		m := newMsg('P').cstr(o.Name).cstr(o.SQL.String()).i16(uint32(len(o.OIDs)))
		for _, oid := range o.OIDs {
			m.i32(oid)
		}
		return m.done()
	case opBind:
		return newMsg('B').cstr(o.Name).cstr(o.Stmt).i16s(o.Formats).params(o.Params).i16s(o.Results).done()
	case opDescribe:
		return newMsg('D').byte1(o.Target).cstr(o.Name).done()
	case opClose:
		return newMsg('C').byte1(o.Target).cstr(o.Name).done()
	case opExecute:
		return newMsg('E').cstr(o.Name).i32(o.N).done()
	case opSync:
		return newMsg('S').done()
	case opFlush:
		return newMsg('H').done()
	case opCopyData:
		return newMsg('d').raw(o.Data).done()
	case opCopyDone:
		return newMsg('c').done()
	case opCopyFail:
		return newMsg('f').cstr(string(o.Data)).done()
	case opFunctionCall:
		m := newMsg('F').i32(o.N).i16s(o.Formats).params(o.Params)
		var res uint32
		if len(o.Results) > 0 {
			res = o.Results[0]
		}
		return m.i16(res).done()
	case opTerminate:
		return newMsg('X').done()
	case opPassword:
		return newMsg('p').raw(o.Data).done()
	case opRaw:
		return newMsg(o.Type).raw(o.Data).length(o.rawLength())
	case opGarbage:
		return o.Data
	}
	return nil
}

func (o *op) rawLength() uint32 {
	exact := uint32(4 + len(o.Data))
	switch o.Len {
	case lenOver1GB:
		return 1<<30 + o.Delta
	case lenNegative:
		return -(o.Delta + 1)
	case lenShort:
		return exact - o.Delta
	case lenLong:
		return exact + o.Delta + 1
	case lenLiteral:
		return o.Delta
	}
	return exact
}
