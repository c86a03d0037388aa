;; Numeric operators across types, sign extension, multi-value, select,
;; br_table.
(module
  (func (export "bits") (param i32 i64) (result i32 i64)
    (i32.add (i32.popcnt (local.get 0)) (i32.clz (local.get 0)))
    (i64.rotl (i64.extend32_s (local.get 1)) (i64.ctz (local.get 1))))
  (func (export "float") (param f32 f64) (result f64)
    (f64.add (f64.promote_f32 (f32.sqrt (local.get 0)))
             (f64.copysign (f64.nearest (local.get 1)) (f64.const -0.0))))
  (func (export "pick") (param i32) (result i32)
    (block $c (block $b (block $a
      (br_table $a $b $c (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (select (i32.const 30) (i32.const 40) (local.get 0)))
  (func (export "swap") (param i32 i32) (result i32 i32)
    (local.get 1) (local.get 0)))
