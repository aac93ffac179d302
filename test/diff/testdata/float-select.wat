;; A float select that wazero v1.12.0's amd64 compiler gets wrong (wazero#2534): the
;; backend lowers it to "movsd y, tmp; xmmCMov c, x, tmp" and tells the register allocator
;; that xmmCMov only defines tmp, so the copy of y into tmp counts as dead and the reload
;; of x may take its register. When c is false the select then yields whatever tmp's new
;; register held. This is the shape of PostgreSQL's cost_memoize_rescan:
;;   ndistinct = estimate_num_groups(..., est_calls, ...);
;;   if (estinfo.flags & SELFLAG_USED_DEFAULT) ndistinct = est_calls;
;; where pick(13, 0) plays est_calls = 13, and $next plays estimate_num_groups, which
;; leaves 1.0 in a scratch register. Built with wat2wasm (wabt).
(module
  (memory 1)
  ;; $next returns v + 1 and leaves 1.0 in another xmm register on amd64.
  (func $next (param $v f64) (result f64)
    (local $t f64)
    (local.set $t (f64.add (f64.const 1.0) (f64.const 0.0)))
    (drop (f64.mul (local.get $t) (local.get $t)))
    (f64.add (local.get $v) (f64.const 1.0)))
  ;; pick(x, c): a = x, read back from memory; n = next(a); s = (mem[16] & c) ? a : n;
  ;; returns s / a, with a kept live after the select. pick(13, 0) = 14/13.
  (func (export "pick") (param $x f64) (param $c i32) (result f64)
    (local $a f64) (local $n f64) (local $s f64)
    (f64.store (i32.const 8) (local.get $x))
    (local.set $a (f64.load (i32.const 8)))
    (local.set $n (call $next (local.get $a)))
    (local.set $s
      (select (local.get $a) (local.get $n)
        (i32.and (i32.load (i32.const 16)) (local.get $c))))
    (f64.add (f64.div (local.get $s) (local.get $a))
             (f64.mul (f64.sub (local.get $a) (local.get $s)) (f64.const 0.0)))))
