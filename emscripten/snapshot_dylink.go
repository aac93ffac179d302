package emscripten

import (
	"fmt"
	"maps"
)

// linkImage is the dynamic linker's state in a snapshot: the loaded side modules in load
// order and every table slot the linker filled outside their element segments.
type linkImage struct {
	libs      []*libImage
	handles   map[uint32]int // dso handle -> index into libs
	firstOpen []uint32       // per library, the handle it was first opened with
	allSlots  []bool         // per library, see library.allSlots
	funcSlots map[string]uint32
	runs      []runImage
}

// runImage is a slotRun with its library as an index into linkImage.libs (-1: main module).
type runImage struct {
	lib  int
	base uint32
	mod  *lazyModule
}

// capture records the linker's state into s, or nothing when no side module was ever
// linked. The table must hold exactly what the linker added on top of its size before the
// first side module, because a restore can only reproduce the linker's slots.
func (l *linker) capture(s *Snapshot) error {
	if !l.growing && len(l.order) == 0 && len(l.funcSlots) == 0 {
		return nil
	}
	if l.growing {
		if s.tableSize != l.tableStart+l.grown {
			return fmt.Errorf("%w: the function table has %d entries, but the side modules account for %d on top of %d",
				ErrNotSnapshottable, s.tableSize, l.grown, l.tableStart)
		}
		s.baseTable = l.tableStart
	}
	img := &linkImage{handles: map[uint32]int{}, funcSlots: maps.Clone(l.funcSlots)}
	index := map[*library]int{}
	for i, lib := range l.order {
		index[lib] = i
		img.libs = append(img.libs, lib.libImage)
		img.firstOpen = append(img.firstOpen, lib.handle)
		img.allSlots = append(img.allSlots, lib.allSlots)
	}
	for h, lib := range l.libs {
		i, ok := index[lib]
		if !ok {
			return fmt.Errorf("%w: dso handle %#x names a library that is not loaded", ErrNotSnapshottable, h)
		}
		img.handles[h] = i
	}
	for _, r := range l.runs {
		i := -1
		if r.lib != nil {
			var ok bool
			if i, ok = index[r.lib]; !ok {
				continue // a library that failed to link; its slots stay null in clones
			}
		}
		img.runs = append(img.runs, runImage{lib: i, base: r.base, mod: r.mod})
	}
	s.dl = img
	return nil
}

// restore links the snapshot's side modules into p (a fresh process whose table has the
// snapshot's base size) at their recorded bases, refills the linker's extra slots and
// restores the linker's bookkeeping. Constructors and data relocations are not run again:
// their effects are part of the snapshot's memory, which the caller restores afterwards.
func (l *linker) restore(s *Snapshot) error {
	p := l.p
	if s.tableSize > s.baseTable {
		if _, err := p.callHelper("grow", uint64(s.tableSize-s.baseTable)); err != nil {
			return err
		}
		l.tableStart, l.grown, l.growing = s.baseTable, s.tableSize-s.baseTable, true
	}
	img := s.dl
	if img == nil {
		return nil
	}
	libs := make([]*library, len(img.libs))
	for i, li := range img.libs {
		lib := &library{libImage: li, handle: img.firstOpen[i], allSlots: img.allSlots[i]}
		if err := l.relink(lib); err != nil {
			lib.release()
			return fmt.Errorf("relink %s: %w", li.name, err)
		}
		libs[i] = lib
		l.order = append(l.order, lib)
		l.byName[li.name] = lib
	}
	for h, i := range img.handles {
		l.libs[h] = libs[i]
	}
	l.funcSlots = maps.Clone(img.funcSlots)
	for _, r := range img.runs {
		c, err := r.mod.compiled(p.rt)
		if err != nil {
			return err
		}
		src, lib := p.guest, (*library)(nil)
		if r.lib >= 0 {
			lib = libs[r.lib]
			src = lib.inst
		}
		if err := l.runInstaller(c, src, r.base); err != nil {
			return fmt.Errorf("table slots at %d: %w", r.base, err)
		}
		l.runs = append(l.runs, slotRun{lib: lib, base: r.base, mod: r.mod})
	}
	return nil
}

// relink instantiates one recorded side module and its shims. The module's start function
// runs (it sets the module's internal GOT globals from the bases); its element segment
// fills its own table region.
func (l *linker) relink(lib *library) error {
	p := l.p
	if len(lib.invokeSigs) > 0 {
		if err := l.ensureDyncalls(lib.invokeSigs); err != nil {
			return err
		}
	}
	sources := map[string]instance{srcGuest: p.guest}
	shims := map[string]instance{}
	for _, sh := range lib.shimMods {
		c, err := sh.mod.compiled(p.rt)
		if err != nil {
			return fmt.Errorf("%s shim: %w", sh.module, err)
		}
		inst, err := p.store.instantiate(c, l.resolver(sources))
		if err != nil {
			return fmt.Errorf("%s shim: %w", sh.module, err)
		}
		shims[sh.module] = inst
		lib.shims = append(lib.shims, inst)
	}
	inst, err := p.store.instantiate(lib.compiled, func(n string) instance { return shims[n] })
	if err != nil {
		return fmt.Errorf("instantiate: %w", err)
	}
	lib.inst = inst
	if lib.global {
		// Later libraries' env shims import this one's exports under this name.
		l.addSource("lib:"+lib.name, inst)
	}
	return nil
}
