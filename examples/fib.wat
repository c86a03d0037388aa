;; fib.wat — the example used by the README's quick start.
;;
;; Naive recursive Fibonacci on i64, exported as `fib`:
;;
;;   kiln run --invoke fib examples/fib.wasm 30      # prints 832040
;;
;; fib.wasm next to this file is built from it (with the name section, so
;; traps and `kiln inspect` show function names):
;;
;;   wat2wasm --debug-names examples/fib.wat -o examples/fib.wasm
(module $fib
  (func $fib (export "fib") (param $n i64) (result i64)
    (if (result i64) (i64.lt_u (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else
        (i64.add
          (call $fib (i64.sub (local.get $n) (i64.const 1)))
          (call $fib (i64.sub (local.get $n) (i64.const 2))))))))
