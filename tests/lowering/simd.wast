;; simd.wast — kiln's lowering of v128 code (src/engine/compile.c,
;; compile_simd) at the places where it rewrites: shift counts taken as
;; immediates (masked to the lane width at run time, like register counts),
;; v128 loads that absorb the i32.add of their address (which wraps before
;; the offset is added), results redirected into v128 locals that are also
;; operands, v128 values through select, globals, blocks and calls, and
;; v128 operands around the fused scalar forms.

(module
  (memory 1)
  (data (i32.const 0) "\00\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13")
  (global $g (mut v128) (v128.const i32x4 1 2 3 4))

  ;; constant shift counts: in range, at the width, beyond it, negative
  (func (export "shl-k") (param v128) (result v128) (i32x4.shl (local.get 0) (i32.const 3)))
  (func (export "shl-k-width") (param v128) (result v128) (i32x4.shl (local.get 0) (i32.const 32)))
  (func (export "shr-s-k-big") (param v128) (result v128) (i8x16.shr_s (local.get 0) (i32.const 15)))
  (func (export "shr-u-k-neg") (param v128) (result v128) (i16x8.shr_u (local.get 0) (i32.const -1)))
  (func (export "shl64-k") (param v128) (result v128) (i64x2.shl (local.get 0) (i32.const 65)))
  (func (export "shl-var") (param v128 i32) (result v128) (i64x2.shl (local.get 0) (local.get 1)))

  ;; address absorption: base + constant, and the add wrapping around
  (func (export "load-add") (param i32) (result v128)
    (v128.load offset=2 (i32.add (local.get 0) (i32.const 1))))
  (func (export "load-add-wrap") (param i32) (result v128)
    (v128.load (i32.add (local.get 0) (i32.const -1))))
  (func (export "load-splat-add") (param i32) (result v128)
    (v128.load16_splat (i32.add (local.get 0) (i32.const 4))))
  (func (export "load-zero-add") (param i32) (result v128)
    (v128.load64_zero offset=1 (i32.add (local.get 0) (i32.const 2))))
  (func (export "load-ext-add") (param i32) (result v128)
    (v128.load8x8_s (i32.add (local.get 0) (i32.const 8))))
  ;; the add's result is still needed: not absorbed away
  (func (export "load-add-tee") (param i32) (result i32)
    (local i32)
    (drop (v128.load (local.tee 1 (i32.add (local.get 0) (i32.const 3)))))
    (local.get 1))

  ;; a result redirected into a local that is also an operand
  (func (export "acc") (param v128 v128) (result v128)
    (local.set 0 (i32x4.add (local.get 0) (local.get 1)))
    (local.set 0 (i8x16.shuffle 16 1 18 3 20 5 22 7 24 9 26 11 28 13 30 15 (local.get 1) (local.get 0)))
    (local.get 0))
  (func (export "swap-lanes") (param v128) (result v128)
    (local.set 0 (i8x16.replace_lane 0 (local.get 0) (i8x16.extract_lane_u 15 (local.get 0))))
    (local.get 0))

  ;; v128 through select, a global, a block with a result, a call
  (func $id (param v128) (result v128) (local.get 0))
  (func (export "mix") (param i32) (result v128)
    (global.set $g (i32x4.add (global.get $g) (v128.const i32x4 10 10 10 10)))
    (block (result v128)
      (select (call $id (global.get $g)) (v128.const i64x2 -1 -1) (local.get 0))))
  ;; a comparison fused with a branch, between v128 operations
  (func (export "lane-branch") (param v128) (result i32)
    (block (br_if 0 (i32.gt_s (i32x4.extract_lane 1 (local.get 0)) (i32.const 5)))
           (return (i32.const 0)))
    (i32.const 1))
)

;; What lowering must have made of each function above (see lowering.wast).
;; lowered: shl-k i32x4.shl/k !i32x4.shl
;; lowered: shl-k-width i32x4.shl/k
;; lowered: shr-s-k-big i8x16.shr_s/k
;; lowered: shr-u-k-neg i16x8.shr_u/k
;; lowered: shl64-k i64x2.shl/k
;; lowered: shl-var i64x2.shl !i64x2.shl/k
;; lowered: load-add v128.load/a !i32.add/k
;; lowered: load-add-wrap v128.load/a
;; lowered: load-splat-add v128.load16_splat/a
;; lowered: load-zero-add v128.load64_zero/a
;; lowered: load-ext-add v128.load8x8_s/a
;; lowered: load-add-tee i32.add/k v128.load !v128.load/a
;; lowered: mix global.get.v128 global.set.v128 call select.v128
;; lowered: lane-branch i32x4.extract_lane i32.gt_s/kjt

(assert_return (invoke "shl-k" (v128.const i32x4 1 -1 0x10000000 3)) (v128.const i32x4 8 -8 0x80000000 24))
(assert_return (invoke "shl-k-width" (v128.const i32x4 1 2 3 4)) (v128.const i32x4 1 2 3 4))
(assert_return (invoke "shr-s-k-big" (v128.const i8x16 -128 127 -1 64 0 0 0 0 0 0 0 0 0 0 0 -2)) (v128.const i8x16 -1 0 -1 0 0 0 0 0 0 0 0 0 0 0 0 -1))
(assert_return (invoke "shr-u-k-neg" (v128.const i16x8 -1 0x8000 1 0 0 0 0 0x7fff)) (v128.const i16x8 1 1 0 0 0 0 0 0))
(assert_return (invoke "shl64-k" (v128.const i64x2 1 -1)) (v128.const i64x2 2 -2))
(assert_return (invoke "shl-var" (v128.const i64x2 1 3) (i32.const 66)) (v128.const i64x2 4 12))
(assert_return (invoke "load-add" (i32.const 0)) (v128.const i8x16 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18))
(assert_return (invoke "load-add-wrap" (i32.const 1)) (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))
(assert_trap (invoke "load-add-wrap" (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "load-add" (i32.const 65520)) "out of bounds memory access")
(assert_return (invoke "load-splat-add" (i32.const 0)) (v128.const i16x8 0x0504 0x0504 0x0504 0x0504 0x0504 0x0504 0x0504 0x0504))
(assert_return (invoke "load-zero-add" (i32.const 0)) (v128.const i8x16 3 4 5 6 7 8 9 10 0 0 0 0 0 0 0 0))
(assert_return (invoke "load-ext-add" (i32.const 0)) (v128.const i16x8 8 9 10 11 12 13 14 15))
(assert_return (invoke "load-add-tee" (i32.const 5)) (i32.const 8))
(assert_return (invoke "acc" (v128.const i32x4 1 2 3 4) (v128.const i32x4 0x100 0x200 0x300 0x400))
  (v128.const i8x16 1 1 0 0 2 2 0 0 3 3 0 0 4 4 0 0))
(assert_return (invoke "swap-lanes" (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)) (v128.const i8x16 16 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16))
(assert_return (invoke "mix" (i32.const 1)) (v128.const i32x4 11 12 13 14))
(assert_return (invoke "mix" (i32.const 0)) (v128.const i64x2 -1 -1))
(assert_return (invoke "mix" (i32.const 1)) (v128.const i32x4 31 32 33 34))
(assert_return (invoke "lane-branch" (v128.const i32x4 0 6 0 0)) (i32.const 1))
(assert_return (invoke "lane-branch" (v128.const i32x4 0 5 0 0)) (i32.const 0))
