;; tests/oom/files.wat — the WASI guest of the oom suite (tests/oom/oom.c).
;;
;; In its preopened directory (fd 3), which holds a directory `d` and a
;; symlink `ln` -> `f.txt`, it writes "hello, kiln" to `d/../f.txt`, reads
;; it back through `ln`, compares, and lists the directory.  Any errno ends
;; it with proc_exit(100 + errno), so a host-side allocation that fails
;; inside a WASI call shows as exit code 148 (100 + `nomem`).  A wrong read
;; back or an empty listing is exit code 2.  It also has the kinds of
;; definitions the engine allocates for: globals, a table with an active and
;; a passive element segment, active and passive data, a start function.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir"
    (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (memory (export "memory") 1)
  (global $started (mut i32) (i32.const 0))
  (global $len i32 (i32.const 11))
  (table $t 4 funcref)
  (type $check_t (func (param i32)))
  (elem (table $t) (i32.const 0) func $check $differ)
  (elem $later funcref (ref.func $check) (ref.null func))

  ;; 16: the paths; 64: the text; 128: iovec; 256: read buffer;
  ;; 512: results (fd at 512, sizes at 520, 524); 1024: readdir buffer
  (data (i32.const 16) "d/../f.txt")
  (data (i32.const 32) "ln")
  (data (i32.const 64) "hello, kiln")
  (data $spare "spare bytes")

  (func $start
    (memory.init $spare (i32.const 2048) (i32.const 0) (i32.const 11))
    (data.drop $spare)
    (table.init $t $later (i32.const 2) (i32.const 0) (i32.const 2))
    (elem.drop $later)
    (global.set $started (i32.const 1)))
  (start $start)

  ;; errno -> proc_exit(100 + errno)
  (func $check (param $e i32)
    (if (local.get $e)
      (then (call $proc_exit (i32.add (i32.const 100) (local.get $e))))))
  (func $differ (param $bad i32)
    (if (local.get $bad) (then (call $proc_exit (i32.const 2)))))
  (func $ok (param $e i32)
    (call_indirect $t (type $check_t) (local.get $e) (i32.const 0)))

  (func $open (param $path i32) (param $len i32) (param $oflags i32) (param $follow i32)
              (result i32)
    (call $ok (call $path_open (i32.const 3) (local.get $follow) (local.get $path)
                (local.get $len) (local.get $oflags) (i64.const -1) (i64.const -1)
                (i32.const 0) (i32.const 512)))
    (i32.load (i32.const 512)))

  (func (export "_start")
    (local $fd i32)
    (call $differ (i32.eqz (global.get $started)))
    (call $ok (call $args_sizes_get (i32.const 520) (i32.const 524)))
    ;; write: creat | trunc
    (local.set $fd (call $open (i32.const 16) (i32.const 10) (i32.const 9) (i32.const 0)))
    (i32.store (i32.const 128) (i32.const 64))
    (i32.store (i32.const 132) (global.get $len))
    (call $ok (call $fd_write (local.get $fd) (i32.const 128) (i32.const 1) (i32.const 520)))
    (call $differ (i32.ne (i32.load (i32.const 520)) (global.get $len)))
    (call $ok (call $fd_close (local.get $fd)))
    ;; read back through the symlink
    (local.set $fd (call $open (i32.const 32) (i32.const 2) (i32.const 0) (i32.const 1)))
    (i32.store (i32.const 128) (i32.const 256))
    (i32.store (i32.const 132) (i32.const 64))
    (call $ok (call $fd_read (local.get $fd) (i32.const 128) (i32.const 1) (i32.const 520)))
    (call $differ (i32.ne (i32.load (i32.const 520)) (global.get $len)))
    (call $differ (i64.ne (i64.load (i32.const 256)) (i64.load (i32.const 64))))
    (call $ok (call $fd_close (local.get $fd)))
    ;; list: at least the three entries d, ln, f.txt (24-byte headers)
    (call $ok (call $fd_readdir (i32.const 3) (i32.const 1024) (i32.const 1024) (i64.const 0)
                (i32.const 520)))
    (call $differ (i32.lt_u (i32.load (i32.const 520)) (i32.const 80)))
    ;; the passive segments reached memory and the table
    (call $differ (i32.ne (i32.load8_u (i32.const 2048)) (i32.const 115)))
    (call_indirect $t (type $check_t) (i32.const 0) (i32.const 2))))
