;; lowering.wast — checks for kiln's lowering peepholes (src/engine/compile.c):
;; each case is a place where lowering rewrites instructions (immediates,
;; unwritten constants, fused compares and multiplies, folded address adds,
;; redirected results) and an edge where the rewrite could go wrong.
;; Expected values follow the WebAssembly spec; run by tests/run.sh through
;; the spec runner.

(module
  (memory 1)
  (func (export "add64k") (param i64) (result i64)
    (i64.add (local.get 0) (i64.const -5)))
  (func (export "add64big") (param i64) (result i64)
    (i64.add (local.get 0) (i64.const 0x100000000)))
  (func (export "shl-const-first") (param i32) (result i32)
    (i32.shl (i32.const 1) (local.get 0)))
  (func (export "fadd-nan") (param f64) (result f64)
    (f64.add (local.get 0) (f64.const nan:0x4)))
  (func (export "fmul-k") (param f64) (result f64)
    (f64.mul (local.get 0) (f64.const 0.1)))
  (func (export "f32-lt-k") (param f32) (result i32)
    (block (br_if 0 (f32.lt (local.get 0) (f32.const 0.5))) (return (i32.const 0)))
    (i32.const 1))
  (func (export "f64-ge-k") (param f64) (result i32)
    (if (result i32) (f64.ge (local.get 0) (f64.const -0.0)) (then (i32.const 1)) (else (i32.const 0))))
  (func (export "eqz-i64") (param i64) (result i32)
    (block (br_if 0 (i64.eqz (local.get 0))) (return (i32.const 0)))
    (i32.const 1))
  (func (export "load-const-addr") (result i32)
    (i32.store (i32.const 100) (i32.const 0x12345678))
    (i32.load offset=4 (i32.const 96)))
  (func (export "load-const-oob") (result i32)
    (i32.load (i32.const 65534)))
  (func (export "load-const-oob-wrap") (result i32)
    (i32.load offset=4294967295 (i32.const 4294967295)))
  (func (export "store-k") (result i64)
    (i64.store (i32.const 8) (i64.const -1))
    (i32.store8 (i32.const 8) (i32.const 0x100))
    (i64.load (i32.const 8)))
  (func (export "store-k-wide") (result i64)
    (i64.store (i32.const 16) (i64.const 0x100000000))
    (i64.load (i32.const 16)))
  (func (export "store-f64-k") (result f64)
    (f64.store (i32.const 24) (f64.const -0.0))
    (f64.store (i32.const 32) (f64.const 0.0))
    (f64.add (f64.load (i32.const 24)) (f64.load (i32.const 32))))
  (func (export "load-add-k") (param i32) (result i32)
    (i32.store (i32.const 0) (i32.const 42))
    (i32.load (i32.add (local.get 0) (i32.const -4))))
  (func (export "load-add-x") (param i32 i32) (result i32)
    (i32.store (i32.const 0) (i32.const 43))
    (i32.load (i32.add (local.get 0) (local.get 1))))
  (func (export "muladd") (param f64 f64 f64) (result f64)
    (f64.add (local.get 0) (f64.mul (local.get 1) (local.get 2))))
  (func (export "mulsub") (param f64 f64 f64) (result f64)
    (f64.sub (local.get 0) (f64.mul (local.get 1) (local.get 2))))
  (func (export "mulrsub") (param f64 f64 f64) (result f64)
    (f64.sub (f64.mul (local.get 1) (local.get 2)) (local.get 0)))
  (func (export "muladd32") (param f32 f32 f32) (result f32)
    (f32.add (f32.mul (local.get 1) (local.get 2)) (local.get 0)))
  (func (export "sub-params") (param i32 i32) (result i32)
    (i32.sub (local.get 1) (local.get 0)))
  (func (export "swap") (param i32 i32) (result i32 i32)
    (local.get 1) (local.get 0))
  (func (export "set-hazard") (param i32) (result i32)
    (local.get 0)
    (local.set 0 (i32.const 5))
    (local.get 0)
    (i32.sub))
  (func (export "tee-hazard") (param i32) (result i32)
    (local.get 0)
    (local.tee 0 (i32.add (local.get 0) (i32.const 1)))
    (i32.mul))
  (func (export "const-block") (param i32) (result i32)
    (block (result i32)
      (br_if 0 (i32.const 7) (local.get 0))
      (drop)
      (i32.const 8)))
  (func (export "const-if") (param i32) (result i64)
    (if (result i64) (local.get 0) (then (i64.const 0x123456789)) (else (i64.const -1))))
  (func (export "select-k") (param i32) (result f64)
    (select (f64.const 1.5) (f64.const -2.5) (local.get 0)))
  (func $add3 (param i32 i64 f32) (result f64)
    (f64.add (f64.convert_i32_s (local.get 0))
      (f64.add (f64.convert_i64_s (local.get 1)) (f64.promote_f32 (local.get 2)))))
  (func (export "call-k") (result f64)
    (call $add3 (i32.const -1) (i64.const 0x10000000000) (f32.const 0.5)))
  (func (export "br-table") (param i32) (result i32)
    (block (result i32)
      (block (result i32)
        (block (result i32)
          (br_table 0 1 2 1 (i32.const 10) (local.get 0)))
        (i32.add (i32.const 100)))
      (i32.add (i32.const 1000))))
  (func (export "dropped-const") (result i32)
    (i32.const 1) (drop) (i32.const 2))
  (func (export "zero-init") (param i32) (result i32) (local i32 i64)
    (local.set 1 (i32.const 0))          ;; already zero: no code needed
    (local.set 1 (i32.add (local.get 1) (local.get 0)))
    (local.set 1 (i32.const 0))          ;; written since: must be stored
    (local.set 2 (i64.const 0))
    (i32.add (local.get 1) (i32.wrap_i64 (local.get 2))))
  (func (export "zero-in-loop") (param i32) (result i32) (local i32 i32)
    (loop $l
      (local.set 2 (i32.add (local.get 2) (local.get 1)))
      (local.set 1 (i32.const 0))        ;; after a label: must be stored
      (local.set 1 (i32.add (local.get 1) (i32.const 3)))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 2))
  (func (export "store-ak") (param i32) (result i32)
    (i32.store16 (i32.add (local.get 0) (i32.const 8)) (i32.const 0x12345))
    (i32.load16_u (i32.add (local.get 0) (i32.const 8))))
  (func (export "lea") (param i32 i32) (result i32)
    (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 34))))
  (func (export "lea-rev") (param i32 i32) (result i32)
    (i32.add (i32.shl (local.get 1) (i32.const 3)) (local.get 0)))
  (func (export "shl-add-k") (param i32) (result i32)
    (i32.add (i32.shl (local.get 0) (i32.const 2)) (i32.const -4)))
  (func (export "load-xs") (param i32 i32) (result i32)
    (i32.store (i32.const 200) (i32.const 77))
    (i32.load offset=8 (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2)))))
  (func (export "load-as") (param i32) (result i64)
    (i64.store (i32.const 256) (i64.const 0x1122334455667788))
    (i64.load offset=16 (i32.add (i32.shl (local.get 0) (i32.const 3)) (i32.const 200))))
  (func (export "xor-rotl") (param i32 i32) (result i32)
    (i32.xor (local.get 0) (i32.rotl (local.get 1) (i32.const 37))))
  (func (export "rotr-or") (param i32 i32) (result i32)
    (i32.or (i32.rotr (local.get 1) (i32.const 8)) (local.get 0)))
  (func (export "and-shr") (param i32 i32) (result i32)
    (i32.and (local.get 0) (i32.shr_u (local.get 1) (i32.const 4))))
  (func (export "sha-sigma") (param i32) (result i32)
    (i32.xor (i32.xor (i32.rotr (local.get 0) (i32.const 6)) (i32.rotr (local.get 0) (i32.const 11)))
             (i32.rotr (local.get 0) (i32.const 25))))
  (func (export "xor-rotl64") (param i64 i64) (result i64)
    (i64.xor (local.get 0) (i64.rotl (local.get 1) (i64.const 65))))
  (func (export "add-shl64") (param i64 i64) (result i64)
    (i64.add (i64.shl (local.get 1) (i64.const 63)) (local.get 0)))
  (func (export "zero-after-if") (param i32) (result i32) (local i32 i32)
    (if (local.get 0) (then (local.set 1 (i32.const 9))))
    (local.set 1 (i32.const 0))          ;; written on one path: must be stored
    (local.set 2 (i32.const 0))          ;; no path writes it: nothing to do
    (i32.add (local.get 1) (local.get 2)))
  (func (export "div-k") (param i32) (result i32)
    (i32.div_s (local.get 0) (i32.const -1)))
)

;; What lowering must have made of each function above, checked by
;; tests/lowering/check.sh through `kiln inspect --lowered` (the engine's
;; listing of lowered code): "lowered: EXPORT OP..." means the function's
;; lowered code has these instructions in this order (others may come
;; between), and "!OP" that it has no OP at all.
;; lowered: add64k i64.add/k ret !const64
;; lowered: add64big const64 i64.add !i64.add/k
;; lowered: shl-const-first const32 i32.shl
;; lowered: fadd-nan f64.add/k !const64
;; lowered: fmul-k f64.mul/k !const64
;; lowered: f32-lt-k f32.lt/kjt !f32.lt !jmp.if
;; lowered: f64-ge-k f64.ge/kjf !jmp.unless
;; lowered: eqz-i64 i64.eqz/jt !i64.eqz
;; lowered: load-const-addr i32.store/k i32.load/k
;; lowered: load-const-oob i32.load/k
;; lowered: load-const-oob-wrap i32.load/k
;; lowered: store-k i64.store/k i32.store8/k i64.load/k
;; lowered: store-k-wide const64 i64.store !i64.store/k
;; lowered: store-f64-k f64.store f64.load/k f64.load/k f64.add
;; lowered: load-add-k i32.load/a !i32.add/k
;; lowered: load-add-x i32.load/x !i32.add
;; lowered: muladd f64.muladd !f64.mul !f64.add
;; lowered: mulsub f64.mulsub !f64.mul !f64.sub
;; lowered: mulrsub f64.mulrsub !f64.mul
;; lowered: muladd32 f32.muladd !f32.mul
;; lowered: sub-params i32.sub ret !copy
;; lowered: swap copy.pair copy.pair ret !copy
;; lowered: set-hazard copy.pair i32.sub
;; lowered: tee-hazard i32.add/k copy.pair i32.mul
;; lowered: const-block const32 jmp.if
;; lowered: const-if jmp.unless const64 jmp const64
;; lowered: select-k select
;; lowered: call-k call
;; lowered: br-table jmp.table i32.add/k i32.add/k
;; lowered: store-ak i32.store16/ak i32.load16_u/a
;; lowered: lea i32.add_shl !i32.shl/k
;; lowered: lea-rev i32.add_shl !i32.shl/k
;; lowered: shl-add-k i32.shl_add/k !i32.add/k
;; lowered: load-xs i32.load/xs !i32.add_shl
;; lowered: load-as i64.load/as !i32.shl_add/k
;; lowered: xor-rotl i32.xor_rotl !i32.rotl/k
;; lowered: rotr-or i32.or_rotr
;; lowered: and-shr i32.and_shr_u
;; lowered: sha-sigma i32.rotr/k i32.xor_rotr i32.xor_rotr
;; lowered: xor-rotl64 i64.xor_rotl
;; lowered: add-shl64 i64.add_shl
;; lowered: div-k i32.div_s

(assert_return (invoke "add64k" (i64.const 3)) (i64.const -2))
(assert_return (invoke "add64big" (i64.const 1)) (i64.const 0x100000001))
(assert_return (invoke "shl-const-first" (i32.const 33)) (i32.const 2))
(assert_return (invoke "fadd-nan" (f64.const 1)) (f64.const nan:arithmetic))
(assert_return (invoke "fmul-k" (f64.const 3)) (f64.const 0x1.3333333333334p-2))
(assert_return (invoke "f32-lt-k" (f32.const 0.25)) (i32.const 1))
(assert_return (invoke "f32-lt-k" (f32.const 0.5)) (i32.const 0))
(assert_return (invoke "f32-lt-k" (f32.const nan)) (i32.const 0))
(assert_return (invoke "f64-ge-k" (f64.const 0)) (i32.const 1))
(assert_return (invoke "f64-ge-k" (f64.const -0x1p-1074)) (i32.const 0))
(assert_return (invoke "eqz-i64" (i64.const 0)) (i32.const 1))
(assert_return (invoke "eqz-i64" (i64.const 0x100000000)) (i32.const 0))
(assert_return (invoke "load-const-addr") (i32.const 0x12345678))
(assert_trap (invoke "load-const-oob") "out of bounds memory access")
(assert_trap (invoke "load-const-oob-wrap") "out of bounds memory access")
(assert_return (invoke "store-k") (i64.const -256))
(assert_return (invoke "store-k-wide") (i64.const 0x100000000))
(assert_return (invoke "store-f64-k") (f64.const 0))
(assert_return (invoke "load-add-k" (i32.const 4)) (i32.const 42))
(assert_trap (invoke "load-add-k" (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "load-add-x" (i32.const -4) (i32.const 4)) (i32.const 43))
(assert_return (invoke "load-add-x" (i32.const 0x80000000) (i32.const 0x80000000)) (i32.const 43))
(assert_trap (invoke "load-add-x" (i32.const 0xfffffff0) (i32.const 0x0c)) "out of bounds memory access")
(assert_return (invoke "muladd" (f64.const -1) (f64.const 0x1.0000001p0) (f64.const 0x1.0000001p0)) (f64.const 0x1p-27))
(assert_return (invoke "mulsub" (f64.const 1) (f64.const 0x1.0000001p0) (f64.const 0x1.0000001p0)) (f64.const -0x1p-27))
(assert_return (invoke "mulrsub" (f64.const 1) (f64.const 0x1.0000001p0) (f64.const 0x1.0000001p0)) (f64.const 0x1p-27))
(assert_return (invoke "muladd32" (f32.const -1) (f32.const 0x1.001p0) (f32.const 0x1.001p0)) (f32.const 0x1p-11))
(assert_return (invoke "sub-params" (i32.const 3) (i32.const 10)) (i32.const 7))
(assert_return (invoke "swap" (i32.const 1) (i32.const 2)) (i32.const 2) (i32.const 1))
(assert_return (invoke "set-hazard" (i32.const 9)) (i32.const 4))
(assert_return (invoke "tee-hazard" (i32.const 6)) (i32.const 42))
(assert_return (invoke "const-block" (i32.const 1)) (i32.const 7))
(assert_return (invoke "const-block" (i32.const 0)) (i32.const 8))
(assert_return (invoke "const-if" (i32.const 1)) (i64.const 0x123456789))
(assert_return (invoke "const-if" (i32.const 0)) (i64.const -1))
(assert_return (invoke "select-k" (i32.const 1)) (f64.const 1.5))
(assert_return (invoke "select-k" (i32.const 0)) (f64.const -2.5))
(assert_return (invoke "call-k") (f64.const 0x1.ffffffffffp+39))
(assert_return (invoke "br-table" (i32.const 0)) (i32.const 1110))
(assert_return (invoke "br-table" (i32.const 1)) (i32.const 1010))
(assert_return (invoke "br-table" (i32.const 2)) (i32.const 10))
(assert_return (invoke "br-table" (i32.const 3)) (i32.const 1010))
(assert_return (invoke "br-table" (i32.const 99)) (i32.const 1010))
(assert_return (invoke "dropped-const") (i32.const 2))
(assert_return (invoke "zero-init" (i32.const 5)) (i32.const 0))
(assert_return (invoke "zero-in-loop" (i32.const 4)) (i32.const 9))
(assert_return (invoke "store-ak" (i32.const 40)) (i32.const 0x2345))
(assert_trap (invoke "store-ak" (i32.const 65530)) "out of bounds memory access")
(assert_return (invoke "store-ak" (i32.const -8)) (i32.const 0x2345))
(assert_return (invoke "lea" (i32.const 1) (i32.const 3)) (i32.const 13))
(assert_return (invoke "lea" (i32.const 4) (i32.const 0x80000001)) (i32.const 0x8))
(assert_return (invoke "lea-rev" (i32.const 1) (i32.const 3)) (i32.const 25))
(assert_return (invoke "shl-add-k" (i32.const 0)) (i32.const -4))
(assert_return (invoke "shl-add-k" (i32.const 5)) (i32.const 16))
(assert_return (invoke "load-xs" (i32.const 92) (i32.const 25)) (i32.const 77))
(assert_return (invoke "load-xs" (i32.const 192) (i32.const 0x40000000)) (i32.const 77))
(assert_trap (invoke "load-xs" (i32.const 65532) (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "load-as" (i32.const 5)) (i64.const 0x1122334455667788))
(assert_return (invoke "load-as" (i32.const 0x20000005)) (i64.const 0x1122334455667788))
(assert_trap (invoke "load-as" (i32.const 8200)) "out of bounds memory access")
(assert_return (invoke "xor-rotl" (i32.const 0xff) (i32.const 0x80000001)) (i32.const 0xcf))
(assert_return (invoke "rotr-or" (i32.const 1) (i32.const 0x12345678)) (i32.const 0x78123457))
(assert_return (invoke "and-shr" (i32.const 0xff) (i32.const 0xabcd)) (i32.const 0xbc))
(assert_return (invoke "sha-sigma" (i32.const 0x510e527f)) (i32.const 0x3587272b))
(assert_return (invoke "xor-rotl64" (i64.const 1) (i64.const 0x8000000000000001)) (i64.const 2))
(assert_return (invoke "add-shl64" (i64.const 5) (i64.const 3)) (i64.const 0x8000000000000005))
(assert_return (invoke "zero-after-if" (i32.const 1)) (i32.const 0))
(assert_return (invoke "zero-after-if" (i32.const 0)) (i32.const 0))
(assert_return (invoke "div-k" (i32.const 7)) (i32.const -7))
(assert_trap (invoke "div-k" (i32.const 0x80000000)) "integer overflow")
