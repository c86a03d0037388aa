;; tests/cli/plugin.wat — an Extism plugin written against the kernel's
;; imports (extism:host/env) directly, for kiln call's tests
;; (tests/cli/call.sh) and the second opinion of node's @extism/extism
;; (tests/plugin/node_check.sh).  Helpers: $str(ptr, len) copies linear
;; memory into a new kernel block and returns its handle; $out(ptr, len)
;; makes such a block the output.  Exports:
;;   echo          the input as output
;;   nothing       () -> (), no output
;;   fail          error "boom", returns 1
;;   fail_quietly  returns 3, no error message
;;   trap          unreachable
;;   spin          loops forever (timeouts, fuel, Ctrl-C)
;;   config        the config value "greeting", or error "boom" without one
;;   count         a counter in var "count": outputs 1, 2, 3, ... per call
;;   log           log_info "hello from the log", log_error "an error line"
;;   grow          memory.grow by 20 pages: "grew", or error "cannot grow"
;;   not_extism    (i32) -> i32, not a plugin function
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
  (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (import "extism:host/env" "log_info" (func $log_info (param i64)))
  (import "extism:host/env" "log_error" (func $log_error (param i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "boom")            ;; 0..4
  (data (i32.const 16) "greeting")       ;; 16..24
  (data (i32.const 32) "hello from the log") ;; 32..50
  (data (i32.const 64) "count")          ;; 64..69
  (data (i32.const 80) "grew")           ;; 80..84
  (data (i32.const 96) "cannot grow")    ;; 96..107
  (data (i32.const 112) "an error line") ;; 112..125
  (func $str (param $p i32) (param $n i32) (result i64)
    (local $h i64) (local $i i32)
    (local.set $h (call $alloc (i64.extend_i32_u (local.get $n))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $store_u8 (i64.add (local.get $h) (i64.extend_i32_u (local.get $i)))
                        (i32.load8_u (i32.add (local.get $p) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $h))
  (func $out (param $p i32) (param $n i32)
    (call $output_set (call $str (local.get $p) (local.get $n)) (i64.extend_i32_u (local.get $n))))
  (func (export "echo") (result i32)
    (local $n i64) (local $h i64) (local $i i64)
    (local.set $n (call $input_length))
    (local.set $h (call $alloc (local.get $n)))
    (block $done
      (loop $l
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $store_u8 (i64.add (local.get $h) (local.get $i)) (call $input_load_u8 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $l)))
    (call $output_set (local.get $h) (local.get $n))
    (i32.const 0))
  (func (export "nothing"))
  (func (export "fail") (result i32)
    (call $error_set (call $str (i32.const 0) (i32.const 4)))
    (i32.const 1))
  (func (export "fail_quietly") (result i32) (i32.const 3))
  (func (export "trap") (result i32) unreachable)
  (func (export "spin") (result i32) (loop $l (br $l)) (i32.const 0))
  ;; outputs config "greeting", or fails if it is not set
  (func (export "config") (result i32)
    (local $h i64)
    (local.set $h (call $config_get (call $str (i32.const 16) (i32.const 8))))
    (if (i64.eqz (local.get $h))
      (then (call $error_set (call $str (i32.const 0) (i32.const 4))) (return (i32.const 1))))
    (call $output_set (local.get $h) (call $length (local.get $h)))
    (i32.const 0))
  ;; a counter in var "count" (one byte), output as a digit: 1, 2, 3, ...
  (func (export "count") (result i32)
    (local $h i64) (local $c i32)
    (local.set $h (call $var_get (call $str (i32.const 64) (i32.const 5))))
    (if (i64.ne (local.get $h) (i64.const 0))
      (then (local.set $c (call $load_u8 (local.get $h)))))
    (local.set $c (i32.add (local.get $c) (i32.const 1)))
    (i32.store8 (i32.const 200) (local.get $c))
    (call $var_set (call $str (i32.const 64) (i32.const 5)) (call $str (i32.const 200) (i32.const 1)))
    (i32.store8 (i32.const 200) (i32.add (local.get $c) (i32.const 48)))
    (call $out (i32.const 200) (i32.const 1))
    (i32.const 0))
  (func (export "log") (result i32)
    (call $log_info (call $str (i32.const 32) (i32.const 18)))
    (call $log_error (call $str (i32.const 112) (i32.const 13)))
    (i32.const 0))
  ;; grows linear memory by 20 pages
  (func (export "grow") (result i32)
    (if (i32.eq (memory.grow (i32.const 20)) (i32.const -1))
      (then (call $error_set (call $str (i32.const 96) (i32.const 11))) (return (i32.const 1))))
    (call $out (i32.const 80) (i32.const 4))
    (i32.const 0))
  (func (export "not_extism") (param i32) (result i32) (local.get 0))
)
