package emscripten

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/pglite-go/pglite/emscripten/vfs"
)

// netFuncs: name resolution is numeric only, and sockets do not exist; PostgreSQL's own
// socket calls are PGlite's pgl_* wrappers and never reach the host.
var netFuncs = map[string]hostFunc{
	"getaddrinfo":           hf("iiii", "i", getaddrinfo),
	"getnameinfo":           hf("iiiiiii", "i", getnameinfo),
	"__syscall_socket":      hf("iiiiii", "i", enosys),
	"__syscall_bind":        hf("iiiiii", "i", enosys),
	"__syscall_connect":     hf("iiiiii", "i", enosys),
	"__syscall_listen":      hf("iiiiii", "i", enosys),
	"__syscall_accept4":     hf("iiiiii", "i", enosys),
	"__syscall_recvfrom":    hf("iiiiii", "i", enosys),
	"__syscall_sendto":      hf("iiiiii", "i", enosys),
	"__syscall_getsockname": hf("iiiiii", "i", enosys),
	"__syscall_getpeername": hf("iiiiii", "i", enosys),
	"__syscall_getsockopt":  hf("iiiiii", "i", enosys),
	"__syscall_setsockopt":  hf("iiiiii", "i", enosys),
	"__syscall_shutdown":    hf("iiiiii", "i", enosys),
	"__syscall_socketpair":  hf("iiiiii", "i", enosys),
	"__syscall_recvmsg":     hf("iiiiii", "i", enosys),
	"__syscall_sendmsg":     hf("iiiiii", "i", enosys),
}

func enosys(p *Process, s []uint64) { setErr(s, vfs.ENOSYS) }

const (
	afInet     = 2
	afInet6    = 10
	aiPassive  = 1
	eaiNoname  = -2
	eaiFamily  = -6
	eaiService = -8
)

// getaddrinfo builds one struct addrinfo (32 bytes) plus its sockaddr with the guest's own
// malloc, so that the guest's freeaddrinfo can release them.
func getaddrinfo(p *Process, s []uint64) {
	nodePtr, servPtr, hints, res := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	var flags, family, socktype, proto int32
	if hints != 0 {
		flags, family = int32(p.U32(hints)), int32(p.U32(hints+4))
		socktype, proto = int32(p.U32(hints+8)), int32(p.U32(hints+12))
	}
	if family != 0 && family != afInet && family != afInet6 {
		setRet(s, eaiFamily)
		return
	}
	var port uint16
	if servPtr != 0 {
		n, err := strconv.ParseUint(p.CString(servPtr), 10, 16)
		if err != nil {
			setRet(s, eaiService)
			return
		}
		port = uint16(n)
	}
	var addr netip.Addr
	if nodePtr == 0 {
		addr = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if flags&aiPassive != 0 {
			addr = netip.IPv4Unspecified()
		}
		if family == afInet6 {
			addr = netip.IPv6Loopback()
			if flags&aiPassive != 0 {
				addr = netip.IPv6Unspecified()
			}
		}
	} else {
		a, err := netip.ParseAddr(p.CString(nodePtr))
		if err != nil {
			setRet(s, eaiNoname)
			return
		}
		addr = a.Unmap()
	}
	if family == afInet && !addr.Is4() || family == afInet6 && !addr.Is6() {
		setRet(s, eaiFamily)
		return
	}
	if socktype == 0 {
		socktype = 1
	}
	if proto == 0 {
		proto = 6
		if socktype == 2 {
			proto = 17
		}
	}
	salen := uint32(16)
	fam := uint32(afInet)
	if addr.Is6() {
		salen, fam = 28, afInet6
	}
	ai := uint32(p.mustCall("malloc", uint64(32+salen)))
	if ai == 0 {
		setRet(s, -10) // EAI_MEMORY
		return
	}
	sa := ai + 32
	clear(p.Bytes(ai, 32+salen))
	p.PutU32(ai+0, uint32(flags))
	p.PutU32(ai+4, fam)
	p.PutU32(ai+8, uint32(socktype))
	p.PutU32(ai+12, uint32(proto))
	p.PutU32(ai+16, salen)
	p.PutU32(ai+20, sa)
	p.PutU16(sa, uint16(fam))
	binary.BigEndian.PutUint16(p.mem[sa+2:], port)
	if addr.Is4() {
		a4 := addr.As4()
		copy(p.mem[sa+4:], a4[:])
	} else {
		a16 := addr.As16()
		copy(p.mem[sa+8:], a16[:])
	}
	p.PutU32(res, ai)
	s[0] = 0
}

// getnameinfo formats an address and port numerically.
func getnameinfo(p *Process, s []uint64) {
	sa, host, hostlen, serv, servlen := uint32(s[0]), uint32(s[2]), uint32(s[3]), uint32(s[4]), uint32(s[5])
	var addr netip.Addr
	switch p.U16(sa) {
	case afInet:
		addr = netip.AddrFrom4([4]byte(p.Bytes(sa+4, 4)))
	case afInet6:
		addr = netip.AddrFrom16([16]byte(p.Bytes(sa+8, 16)))
	default:
		setRet(s, eaiFamily)
		return
	}
	port := binary.BigEndian.Uint16(p.mem[sa+2:])
	put := func(at, size uint32, v string) bool {
		if at == 0 {
			return true
		}
		if uint32(len(v))+1 > size {
			return false
		}
		p.WriteCString(at, v)
		return true
	}
	if !put(host, hostlen, addr.String()) || !put(serv, servlen, fmt.Sprint(port)) {
		setRet(s, -12) // EAI_OVERFLOW
		return
	}
	s[0] = 0
}
