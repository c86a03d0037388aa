;; A few fixed-width SIMD operations.
(module
  (memory 1)
  (func (export "dot") (result i32)
    (v128.store (i32.const 0) (v128.const i32x4 1 2 3 4))
    (i32x4.extract_lane 3
      (i32x4.add (v128.load (i32.const 0))
                 (i32x4.mul (v128.load (i32.const 0)) (i32x4.splat (i32.const 10))))))
  (func (export "shuffle") (param v128) (result v128)
    (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0
      (local.get 0) (f32x4.abs (local.get 0)))))
