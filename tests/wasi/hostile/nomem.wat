;; nomem.wat — a module with no memory at all calling WASI functions that
;; need one (fd_write, args_sizes_get, random_get, clock_time_get): kiln must
;; refuse it cleanly (exit 1 with a message), trap (exit 134 with a message),
;; or return an error from each call (the module then exits 42); never crash
;; and never report success.
;; expect-exit: 42 1 134
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (func (export "_start")
    (if (i32.eqz (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0)))
      (then (call $proc_exit (i32.const 10))))
    (if (i32.eqz (call $args_sizes_get (i32.const 0) (i32.const 4)))
      (then (call $proc_exit (i32.const 11))))
    (if (i32.eqz (call $random_get (i32.const 0) (i32.const 16)))
      (then (call $proc_exit (i32.const 12))))
    (if (i32.eqz (call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 0)))
      (then (call $proc_exit (i32.const 13))))
    (call $proc_exit (i32.const 42)))
)
