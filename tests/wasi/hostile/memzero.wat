;; memzero.wat — an exported memory of zero pages: every pointer is out of
;; bounds, even 0 (a host that takes the memory's base pointer, which may be
;; NULL, and adds the offset must still check).  Each call must be fault
;; (21); with nowhere to print, the module exits with the number of the
;; first check that failed, or 42.
;; expect-exit: 42
(module
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (memory (export "memory") 0)
  (func $c (param $id i32) (param $got i32)
    (if (i32.ne (local.get $got) (i32.const 21)) (then (call $proc_exit (local.get $id)))))
  (func (export "_start")
    (call $c (i32.const 10) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)))
    (call $c (i32.const 11) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $c (i32.const 12) (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (call $c (i32.const 13) (call $environ_sizes_get (i32.const 0) (i32.const 4)))
    (call $c (i32.const 14) (call $random_get (i32.const 0) (i32.const 1)))
    (call $c (i32.const 15) (call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 0)))
    (call $c (i32.const 16) (call $fd_fdstat_get (i32.const 1) (i32.const 0)))
    (call $c (i32.const 17) (call $fd_prestat_get (i32.const 3) (i32.const 0)))
    (call $c (i32.const 18) (call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 8) (i32.const 0)
      (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0)))
    (call $c (i32.const 19) (call $args_get (i32.const 0) (i32.const 0)))
    (call $proc_exit (i32.const 42)))
)
