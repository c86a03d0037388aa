;; Every kind of trap, an infinite loop (fuel) and unbounded recursion.
(module
  (func (export "unreachable") unreachable)
  (func (export "div_zero") (result i32)
    (i32.div_s (i32.const 1) (i32.const 0)))
  (func (export "overflow") (result i32)
    (i32.div_s (i32.const 0x80000000) (i32.const -1)))
  (func (export "bad_conv") (result i32)
    (i32.trunc_f32_s (f32.const nan)))
  (func (export "sat_conv") (result i32)
    (i32.trunc_sat_f64_u (f64.const -1e300)))
  (func (export "spin") (loop $l (br $l)))
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))
