;; registers.wast — the native tier's register slots (src/jit/x64_compile.c,
;; "Slots in registers"): functions with more hot locals than registers, so
;; that every general register that holds slots is used (rdx among them,
;; which div and rem need too) and every xmm register that holds float
;; slots.  Expected values are the interpreter's; tests/run.sh (the
;; lowering suite) runs this file on both tiers.

(module
  (memory 1)
  ;; six hot i32 locals: the native tier keeps each in a register, the
  ;; sixth in rdx, which div and rem also use
  (func (export "div32") (param $n i32) (param $z i32) (result i64)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32) (local $g i32)
    (local $h i64)
    (local.set $a (i32.const 1000003)) (local.set $b (i32.const 7))
    (local.set $c (i32.const -13)) (local.set $d (i32.const 99991))
    (local.set $e (i32.const 5)) (local.set $g (i32.const -1))
    (loop $l
      (local.set $a (i32.add (local.get $a) (i32.div_u (local.get $d) (local.get $b))))
      (local.set $b (i32.add (i32.rem_u (local.get $a) (local.get $e)) (i32.const 3)))
      (local.set $c (i32.sub (local.get $c) (i32.rem_s (local.get $a) (local.get $g))))
      (local.set $d (i32.xor (local.get $d) (i32.div_s (local.get $c) (local.get $g))))
      (local.set $e (i32.add (i32.rem_s (local.get $d) (i32.const 7)) (i32.const 9)))
      (local.set $g (i32.sub (i32.div_s (local.get $a) (local.get $e)) (local.get $g)))
      (local.set $g (i32.or (i32.rem_u (local.get $g) (local.get $b)) (i32.const 1)))
      (if (i32.eqz (local.get $z)) (then (local.set $g (i32.const -1))))
      (local.set $a (i32.div_s (local.get $a) (local.get $g)))
      (local.set $b (i32.div_u (local.get $b) (i32.add (i32.sub (local.get $n) (local.get $z)) (i32.const 1))))
      (local.set $b (i32.add (local.get $b) (i32.const 2)))
      (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 31))
        (i64.extend_i32_u (i32.add (i32.add (i32.add (local.get $a) (local.get $b))
          (i32.add (local.get $c) (local.get $d))) (i32.add (local.get $e) (local.get $g))))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $h))
  (func (export "div64") (param $n i32) (result i64)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64) (local $e i64) (local $g i64)
    (local.set $a (i64.const 0x123456789abcdef)) (local.set $b (i64.const 7))
    (local.set $c (i64.const -13)) (local.set $d (i64.const 0x7fffffffffff))
    (local.set $e (i64.const 5)) (local.set $g (i64.const -1))
    (loop $l
      (local.set $a (i64.add (local.get $a) (i64.div_u (local.get $d) (local.get $b))))
      (local.set $b (i64.add (i64.rem_u (local.get $a) (local.get $e)) (i64.const 3)))
      (local.set $c (i64.sub (local.get $c) (i64.rem_s (local.get $a) (local.get $g))))
      (local.set $d (i64.xor (local.get $d) (i64.div_s (local.get $c) (local.get $b))))
      (local.set $e (i64.add (i64.rem_s (local.get $d) (i64.const 7)) (i64.const 9)))
      (local.set $g (i64.sub (i64.const 0) (i64.rem_u (local.get $a) (local.get $e))))
      (local.set $g (i64.or (local.get $g) (i64.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i64.add (i64.add (i64.add (local.get $a) (local.get $b)) (i64.add (local.get $c) (local.get $d)))
             (i64.add (local.get $e) (local.get $g))))
  ;; fourteen hot f64 locals: more than the xmm registers that hold slots
  (func (export "floats") (param $n i32) (result f64)
    (local $a f64) (local $b f64) (local $c f64) (local $d f64) (local $e f64) (local $f f64)
    (local $g f64) (local $h f64) (local $i f64) (local $j f64) (local $k f64) (local $l f64)
    (local $m f64) (local $o f64)
    (local.set $a (f64.const 1.5)) (local.set $b (f64.const -2.25)) (local.set $c (f64.const 3))
    (local.set $d (f64.const 0.125)) (local.set $e (f64.const 7)) (local.set $f (f64.const -0.5))
    (local.set $g (f64.const 11)) (local.set $h (f64.const 1e-3)) (local.set $i (f64.const 2))
    (local.set $j (f64.const 5.5)) (local.set $k (f64.const -3)) (local.set $l (f64.const 0.75))
    (local.set $m (f64.const 9)) (local.set $o (f64.const 1))
    (loop $lp
      (local.set $a (f64.add (local.get $a) (f64.mul (local.get $b) (local.get $h))))
      (local.set $b (f64.sub (local.get $b) (f64.mul (local.get $c) (local.get $h))))
      (local.set $c (f64.add (local.get $c) (f64.div (local.get $d) (local.get $e))))
      (local.set $d (f64.sub (local.get $d) (f64.mul (local.get $f) (local.get $h))))
      (local.set $e (f64.add (local.get $e) (f64.sqrt (f64.abs (local.get $g)))))
      (local.set $f (f64.mul (local.get $f) (f64.const -0.999)))
      (local.set $g (f64.add (local.get $g) (f64.mul (local.get $i) (local.get $j))))
      (local.set $i (f64.sub (local.get $i) (f64.mul (local.get $k) (local.get $h))))
      (local.set $j (f64.add (local.get $j) (f64.div (local.get $l) (local.get $m))))
      (local.set $k (f64.add (local.get $k) (f64.min (local.get $a) (local.get $o))))
      (local.set $l (f64.sub (local.get $l) (f64.max (local.get $d) (local.get $f))))
      (local.set $m (f64.add (local.get $m) (f64.abs (local.get $k))))
      (local.set $o (f64.mul (local.get $o) (f64.const 1.0001)))
      (br_if $lp (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f64.add (f64.add (f64.add (local.get $a) (local.get $b)) (f64.add (local.get $c) (local.get $d)))
      (f64.add (f64.add (f64.add (local.get $e) (local.get $f)) (f64.add (local.get $g) (local.get $i)))
        (f64.add (f64.add (local.get $j) (local.get $k)) (f64.add (f64.add (local.get $l) (local.get $m)) (local.get $o))))))
)

(assert_return (invoke "div32" (i32.const 1000) (i32.const 1)) (i64.const -3400167864294485625))
(assert_return (invoke "div32" (i32.const 1000) (i32.const 0)) (i64.const 7935377987326543264))
(assert_return (invoke "div32" (i32.const 1) (i32.const 1)) (i64.const 1114291))
;; divides by zero when n = 4, with a slot in rdx kept on the machine stack
(assert_trap (invoke "div32" (i32.const 1000) (i32.const 5)) "integer divide by zero")
(assert_return (invoke "div32" (i32.const 1000) (i32.const 1)) (i64.const -3400167864294485625))
(assert_return (invoke "div64" (i32.const 1000)) (i64.const -5198613500299150146))
(assert_return (invoke "floats" (i32.const 10)) (f64.const 257.60450689970025))
(assert_return (invoke "floats" (i32.const 1000)) (f64.const 183505.7040973767))

;; r14 holds a slot with guard pages, so memory.size and memory.grow may
;; not read it as the memory's size (seven hot i32 locals and the i64)
(module
  (memory 1 4)
  (func (export "grow") (param $n i32) (result i64)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32) (local $g i32)
    (local $h i64)
    (local.set $a (i32.const 3)) (local.set $b (i32.const 5)) (local.set $c (i32.const 7))
    (local.set $d (i32.const 11)) (local.set $e (i32.const 13)) (local.set $g (i32.const 17))
    (loop $l
      (local.set $a (i32.add (local.get $a) (i32.mul (local.get $b) (local.get $c))))
      (local.set $b (i32.xor (local.get $b) (i32.shl (local.get $d) (i32.const 3))))
      (local.set $c (i32.add (local.get $c) (memory.size)))
      (local.set $d (i32.sub (local.get $d) (i32.rotl (local.get $e) (local.get $a))))
      (local.set $e (i32.add (local.get $e) (local.get $g)))
      (if (i32.eqz (i32.and (local.get $n) (i32.const 63)))
        (then (local.set $g (i32.add (local.get $g) (memory.grow (i32.const 1))))))
      (i32.store offset=100 (i32.and (local.get $a) (i32.const 0xfffc)) (local.get $b))
      (local.set $g (i32.add (local.get $g) (i32.load offset=100 (i32.and (local.get $e) (i32.const 0xfffc)))))
      (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 31))
        (i64.extend_i32_u (i32.add (i32.add (i32.add (local.get $a) (local.get $b))
          (i32.add (local.get $c) (local.get $d))) (i32.add (local.get $e) (local.get $g))))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i64.add (local.get $h) (i64.extend_i32_u (memory.size))))
  (func (export "far-trap") (param $x i32) (result i32)
    (i32.load offset=0x80000000 (local.get $x)))
)

(assert_return (invoke "grow" (i32.const 200)) (i64.const 6535430861556251495))
(assert_trap (invoke "far-trap" (i32.const 0)) "out of bounds memory access")

(module
  (memory 1)
  ;; an offset past the guard span: the bounds are checked explicitly,
  ;; with a slot in r14; the memory grows past 2 GiB first (untouched, so
  ;; it costs address space, not memory)
  (func (export "far") (param $x i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32) (local $g i32)
    (local $n i32)
    (local.set $n (i32.const 50))
    (if (i32.lt_u (memory.size) (i32.const 32769))
      (then (drop (memory.grow (i32.sub (i32.const 32769) (memory.size))))))
    (i32.store offset=0x80000000 (i32.const 0x8000) (i32.const 7))
    (loop $l
      (local.set $a (i32.add (local.get $a) (local.get $n)))
      (local.set $b (i32.add (local.get $b) (local.get $a)))
      (local.set $c (i32.add (local.get $c) (local.get $b)))
      (local.set $d (i32.add (local.get $d) (local.get $c)))
      (local.set $e (i32.add (local.get $e) (local.get $d)))
      (local.set $g (i32.add (local.get $g) (local.get $e)))
      (local.set $g (i32.add (local.get $g) (i32.load offset=0x80000000 (local.get $x))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i32.add (local.get $g) (local.get $a)))
)

(assert_return (invoke "far" (i32.const 0x8000)) (i32.const 1246557650))
;; the last four bytes of the memory, and one past them
(assert_return (invoke "far" (i32.const 0xfffc)) (i32.const 1246557300))
(assert_trap (invoke "far" (i32.const 0x10000)) "out of bounds memory access")

(module
  (memory 1)
  (data (i32.const 16) "\2a\00\00\00\05\00\00\00")
  ;; An i32 in a register indexes memory as it is when its upper half is
  ;; known to be zero (x64_compile.c, "Zero-extended registers").  $sum's
  ;; $addr is such a register; its slot in memory is the caller's argument
  ;; slot, written with a 32-bit store over an i64 whose upper half is set
  ;; (left there by $fill's arguments), so only a 32-bit load of the
  ;; parameter gives the address.
  (func $fill (param i64 i64 i64 i64) (result i64) (local.get 0))
  (func $sum (param $addr i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $addr))))
      (local.set $s (i32.add (local.get $s) (i32.load offset=4 (local.get $addr))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
  (func (export "param") (param $big i64) (result i32)
    (drop (call $fill (i64.const -1) (i64.const -1) (i64.const -1) (i64.const -1)))
    (call $sum (i32.wrap_i64 (local.get $big)) (i32.const 3)))
  ;; $p, an address in a register, is a copy of $q on one path: $q is a
  ;; parameter that stays in memory (the hot locals take the registers),
  ;; so the copy brings its slot's upper half along.  On the other path
  ;; $p is an i32 sum; where the paths meet, $p is not known clean.
  (func $merge (param $q i32) (param $which i32) (param $n i32) (result i32)
    (local $p i32) (local $s i32) (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (loop $l
      (if (local.get $which)
        (then (local.set $p (local.get $q)))
        (else (local.set $p (i32.add (local.get $a) (i32.const 16)))))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (local.set $s (i32.add (local.get $s) (i32.load offset=4 (local.get $p))))
      (local.set $a (i32.and (i32.add (local.get $a) (local.get $s)) (i32.const 0)))
      (local.set $b (i32.add (local.get $b) (local.get $a)))
      (local.set $c (i32.add (local.get $c) (local.get $b)))
      (local.set $d (i32.add (local.get $d) (local.get $c)))
      (local.set $s (i32.add (local.get $s) (i32.add (local.get $d) (local.get $b))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
  (func (export "merge") (param $big i64) (param $which i32) (result i32)
    (drop (call $fill (i64.const -1) (i64.const -1) (i64.const -1) (i64.const -1)))
    (call $merge (i32.wrap_i64 (local.get $big)) (local.get $which) (i32.const 3)))
)

(assert_return (invoke "param" (i64.const 0xffffffff00000010)) (i32.const 141))
(assert_return (invoke "merge" (i64.const 0xffffffff00000010) (i32.const 1)) (i32.const 141))
(assert_return (invoke "merge" (i64.const 0xffffffff00000010) (i32.const 0)) (i32.const 141))

(module
  ;; A v128 value takes two slots; the second may also hold scalars
  ;; elsewhere in the function (the stack slot one above).  Here it does,
  ;; in a hot loop, and the v128 is live across a call: the second slot
  ;; must never be given a register, or the call's spill would overwrite
  ;; the v128's upper half.
  (func $id (param i32) (result i32) (local.get 0))
  (func (export "v128-half") (param $n i32) (result i32)
    (local $s i32) (local $t i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.mul (local.get $n) (i32.add (local.get $s) (i32.const 3)))))
      (local.set $t (i32.xor (local.get $t) (i32.add (local.get $s) (i32.mul (local.get $t) (i32.const 5)))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i32x4.extract_lane 3
      (v128.or (v128.const i32x4 1 2 3 4) (i32x4.splat (call $id (i32.and (local.get $t) (i32.const 0)))))))
)

(assert_return (invoke "v128-half" (i32.const 20)) (i32.const 4))

(module
  ;; The slot a call's arguments and results start at (its base) is a hot
  ;; scalar in the same loop, so it has a register: the argument goes to
  ;; memory before the call and the result comes back into the register.
  (func $mix (param i32 i32) (result i32)
    (i32.add (i32.mul (local.get 0) (i32.const 31)) (local.get 1)))
  (func (export "call-base") (param $n i32) (result i32)
    (local $s i32)
    (loop $l
      (local.set $s (i32.xor (i32.add (local.get $s) (local.get $n)) (i32.shl (local.get $s) (i32.const 3))))
      (local.set $s (i32.xor (i32.add (local.get $s) (local.get $n)) (i32.shl (local.get $s) (i32.const 5))))
      (local.set $s (i32.xor (i32.add (local.get $s) (local.get $n)) (i32.shr_u (local.get $s) (i32.const 7))))
      (local.set $s (i32.xor (i32.add (local.get $s) (local.get $n)) (i32.shl (local.get $s) (i32.const 11))))
      (local.set $s (call $mix (i32.add (local.get $s) (i32.const 7)) (local.get $n)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
)

(assert_return (invoke "call-base" (i32.const 1000)) (i32.const 2123778945))

(module
  (memory 1)
  (data (i32.const 16) "\2a\00\00\00")
  (global $g (mut i64) (i64.const 0))
  ;; A conversion reads an integer in a register (f64.convert_i32_s), and
  ;; a helper's result (i32.trunc_f64_u, computed in C) lands in a register
  ;; that held an i64 with its upper half set just before: the helper
  ;; writes the low half of the slot in memory, so the register it is
  ;; reloaded into is not known zero-extended, and indexing memory with
  ;; it takes a 32-bit copy first.
  (func (export "helper-dst") (param $big i64) (param $n i32) (result i32)
    (local $i i32) (local $f f64) (local $acc i32) (local $x i32) (local $facc f64)
    (local.set $f (f64.const 16))
    (loop $l
      (global.set $g (i64.add (local.get $big) (i64.extend_i32_u (local.get $i))))
      (local.set $x (i32.load (i32.trunc_f64_u (local.get $f))))
      (local.set $acc (i32.add (local.get $acc) (local.get $x)))
      (local.set $facc (f64.add (local.get $facc) (f64.convert_i32_s (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.add (local.get $acc) (i32.trunc_f64_s (local.get $facc))))
)

(assert_return (invoke "helper-dst" (i64.const 0xffffffff00000000) (i32.const 10)) (i32.const 465))

(module
  ;; select into a register: the destination is the first value, the
  ;; second, the condition, or none of them (each a cmov of its own form),
  ;; with i64 values whose upper halves matter.
  (func (export "select") (param $n i32) (result i64)
    (local $a i64) (local $b i64) (local $c i32) (local $d i64) (local $i i32) (local $h i64)
    (local.set $a (i64.const 0x1234567800000001))
    (local.set $b (i64.const -3))
    (loop $l
      (local.set $c (i32.and (local.get $i) (i32.const 3)))
      (local.set $a (select (local.get $a) (i64.add (local.get $b) (i64.const 5)) (local.get $c)))
      (local.set $b (select (i64.mul (local.get $a) (i64.const 3)) (local.get $b)
                            (i32.and (local.get $i) (i32.const 1))))
      (local.set $d (select (local.get $a) (local.get $b) (i32.and (local.get $i) (i32.const 2))))
      (local.set $c (select (local.get $c) (i32.const 7) (i32.and (local.get $c) (i32.const 1))))
      (local.set $c (i32.and (local.get $c) (i32.const 2)))
      (local.set $c (select (i32.add (local.get $c) (i32.const 2)) (i32.const 1) (local.get $c)))
      (local.set $d (i64.rotl (local.get $d) (i64.extend_i32_u (local.get $c))))
      (local.set $d (i64.xor (local.get $d) (i64.shr_u (local.get $d) (i64.const 7))))
      (local.set $d (i64.add (local.get $d) (i64.shl (local.get $d) (i64.const 3))))
      (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 31))
                    (i64.add (i64.xor (local.get $a) (local.get $b))
                             (i64.add (local.get $d) (i64.extend_i32_u (local.get $c))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $h))
  (func (export "select-b") (param $n i32) (result i64)
    (local $b i64) (local $i i32)
    (local.set $b (i64.const -3))
    (loop $l
      (local.set $b (select (i64.add (i64.mul (local.get $b) (i64.const 3)) (i64.extend_i32_u (local.get $i))) (local.get $b)
                            (i32.and (local.get $i) (i32.const 1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $b))
)

(assert_return (invoke "select" (i32.const 1000)) (i64.const -2189647705951167990))
(assert_return (invoke "select-b" (i32.const 1000)) (i64.const 7052949593718014953))
