package wirefuzz

// opKind is one thing the fuzzed client does: send a frontend message of a given type, send
// bytes that are no message at all, wait for the server, or cancel its own statement.
type opKind uint8

const (
	opQuery opKind = iota
	opParse
	opBind
	opDescribe
	opExecute
	opClose
	opSync
	opFlush
	opCopyData
	opCopyDone
	opCopyFail
	opFunctionCall
	opTerminate
	opPassword // 'p': valid only during authentication
	opRaw      // any type byte and body, with any length field
	opGarbage  // bytes sent as they are, no framing
	opWait     // let the server catch up (see waitFor)
	opCancel   // a CancelRequest for this session, on a second connection
	numOps
)

var opNames = [numOps]string{"Query", "Parse", "Bind", "Describe", "Execute", "Close", "Sync",
	"Flush", "CopyData", "CopyDone", "CopyFail", "FunctionCall", "Terminate", "Password", "Raw",
	"Garbage", "Wait", "Cancel"}

func (k opKind) String() string { return opNames[k] }

// lenMode says how a raw message's length field relates to its body.
type lenMode uint8

const (
	lenExact    lenMode = iota // 4 + len(body)
	lenOver1GB                 // 1 GiB + Delta
	lenNegative                // -(Delta + 1)
	lenShort                   // Delta bytes less than exact (can drop below 4)
	lenLong                    // Delta + 1 bytes more than exact: a truncated body
	lenLiteral                 // Delta itself
	numLenModes
)

// op is one step of the fuzzed client. Which fields count depends on Kind (see fields).
type op struct {
	Kind    opKind
	SQL     sqlText  // Query, Parse
	Name    string   // Parse: statement; Bind, Execute: portal; Describe, Close: target name
	Stmt    string   // Bind: statement
	Target  uint8    // Describe, Close: 'S', 'P' or any byte
	OIDs    []uint32 // Parse: parameter types
	Formats []uint32 // Bind, FunctionCall: argument format codes (sent as int16)
	Params  []param  // Bind, FunctionCall: arguments
	Results []uint32 // Bind: result format codes; FunctionCall: the first is the result format
	N       uint32   // Execute: max rows; FunctionCall: function OID; Wait: what to wait for
	Data    []byte   // CopyData, CopyFail, Password, Raw body, Garbage
	Type    uint8    // Raw: the message type byte
	Len     lenMode  // Raw
	Delta   uint32   // Raw
}

// param is a Bind or FunctionCall argument.
type param struct {
	Null  bool
	Value []byte
}

// maxList bounds every list in an op; maxOps bounds a program.
const (
	maxList = 16
	maxOps  = 48
)

// fields codes op's kind and the fields that kind uses.
func (o *op) fields(c coder) {
	k := uint8(o.Kind)
	c.u8(&k)
	o.Kind = opKind(k % uint8(numOps))
	switch o.Kind {
	case opQuery:
		o.SQL.fields(c)
	case opParse:
		str(c, &o.Name)
		o.SQL.fields(c)
		uvList(c, &o.OIDs)
	case opBind:
		str(c, &o.Name)
		str(c, &o.Stmt)
		uvList(c, &o.Formats)
		paramList(c, &o.Params)
		uvList(c, &o.Results)
	case opDescribe, opClose:
		c.u8(&o.Target)
		str(c, &o.Name)
	case opExecute:
		str(c, &o.Name)
		c.uv(&o.N)
	case opCopyData, opCopyFail, opPassword, opGarbage:
		c.bytes(&o.Data)
	case opFunctionCall:
		c.uv(&o.N)
		uvList(c, &o.Formats)
		paramList(c, &o.Params)
		uvList(c, &o.Results)
	case opRaw:
		c.u8(&o.Type)
		m := uint8(o.Len)
		c.u8(&m)
		o.Len = lenMode(m % uint8(numLenModes))
		c.uv(&o.Delta)
		c.bytes(&o.Data)
	case opWait:
		c.uv(&o.N)
	}
}

func uvList(c coder, l *[]uint32) {
	n := len(*l)
	c.count(&n, maxList)
	if len(*l) != n {
		*l = make([]uint32, n)
	}
	for i := range *l {
		c.uv(&(*l)[i])
	}
}

func paramList(c coder, l *[]param) {
	n := len(*l)
	c.count(&n, maxList)
	if len(*l) != n {
		*l = make([]param, n)
	}
	for i := range *l {
		p := &(*l)[i]
		var null uint8
		if p.Null {
			null = 1
		}
		c.u8(&null)
		p.Null = null&1 == 1
		if !p.Null {
			c.bytes(&p.Value)
		}
	}
}

// program is what one fuzz input decodes to: the fuzzed client's ops, and the point in
// them where the witness commits. Until then the witness's open transaction holds the
// shared backend, so what the fuzzed client sends meanwhile meets only its own reader and
// queue; from then on it meets the backend.
type program struct {
	CommitAt uint8 // the witness commits before op CommitAt (after all ops when past the end)
	Ops      []op
}

func (p *program) encode() []byte {
	e := &encoder{}
	e.u8(&p.CommitAt)
	for i := range p.Ops {
		p.Ops[i].fields(e)
	}
	return e.b
}

func decodeProgram(data []byte) program {
	d := &decoder{b: data}
	var p program
	d.u8(&p.CommitAt)
	for !d.done() && len(p.Ops) < maxOps {
		var o op
		o.fields(d)
		p.Ops = append(p.Ops, o)
	}
	return p
}
