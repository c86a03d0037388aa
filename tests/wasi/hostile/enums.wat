;; enums.wat — out-of-range enum and flag values must be inval (28), never
;; reinterpreted: whence 3, 255, 256, 0xFFFFFFFF (and seeks before the start
;; of the file); clock ids 4, 256, 0xFFFFFFFF for clock_time_get and
;; clock_res_get; advice 6, 255, 256; fstflags with both ATIM and ATIM_NOW
;; (or MTIM and MTIM_NOW) set, and unknown fstflags, oflags, fdflags and
;; lookupflags bits.  Controls: the valid values work, and a failed seek
;; leaves the offset where it was.
;; expect-exit: 42
(module
  (import "wasi_snapshot_preview1" "clock_res_get" (func $clock_res_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_advise" (func $fd_advise (param i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $fd_fdstat_set_flags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_times" (func $fd_filestat_set_times (param i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_tell" (func $fd_tell (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get" (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_set_times" (func $path_filestat_set_times (param i32 i32 i32 i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (global $M i32 (i32.const 0x10000))
  (data (i32.const 0x80) "file.txt")
  (data (i32.const 0x88) "newfile")
  ;; ---- harness (the same in every hostile module) ----------------------
  ;; Layout: 0x000-0x03f low canary, 0x040-0x0ff strings, 0x100-0x1ff the
  ;; report buffer, 0x200-0x2ff iovecs and results, 0x300-... buffers, and
  ;; the last 256 bytes of memory the high canary.  $check prints
  ;; "FAIL check ID got G want W" on stderr for every mismatch; $done exits
  ;; 42 when everything passed and 99 otherwise.
  (global $nfail (mut i32) (i32.const 0))
  (data (i32.const 0x40) "FAIL check ")
  (data (i32.const 0x50) " got ")
  (data (i32.const 0x58) " want ")
  (func $putnum (param $p i32) (param $v i32) (result i32)
    (local $q i32)
    (local.set $q (i32.const 0x1f0))
    (loop $l
      (local.set $q (i32.sub (local.get $q) (i32.const 1)))
      (i32.store8 (local.get $q) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $l (local.get $v)))
    (memory.copy (local.get $p) (local.get $q) (i32.sub (i32.const 0x1f0) (local.get $q)))
    (i32.add (local.get $p) (i32.sub (i32.const 0x1f0) (local.get $q))))
  (func $report (param $id i32) (param $got i32) (param $want i32)
    (local $p i32)
    (memory.copy (i32.const 0x100) (i32.const 0x40) (i32.const 11))
    (local.set $p (call $putnum (i32.const 0x10b) (local.get $id)))
    (memory.copy (local.get $p) (i32.const 0x50) (i32.const 5))
    (local.set $p (call $putnum (i32.add (local.get $p) (i32.const 5)) (local.get $got)))
    (memory.copy (local.get $p) (i32.const 0x58) (i32.const 6))
    (local.set $p (call $putnum (i32.add (local.get $p) (i32.const 6)) (local.get $want)))
    (i32.store8 (local.get $p) (i32.const 10))
    (i32.store (i32.const 0x1f0) (i32.const 0x100))
    (i32.store (i32.const 0x1f4) (i32.sub (i32.add (local.get $p) (i32.const 1)) (i32.const 0x100)))
    (drop (call $fd_write (i32.const 2) (i32.const 0x1f0) (i32.const 1) (i32.const 0x1f8))))
  (func $fail (param $id i32) (param $got i32) (param $want i32)
    (global.set $nfail (i32.add (global.get $nfail) (i32.const 1)))
    (call $report (local.get $id) (local.get $got) (local.get $want)))
  ;; got must be want
  (func $check (param $id i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want))
      (then (call $fail (local.get $id) (local.get $got) (local.get $want)))))
  ;; got must be a or b
  (func $check2 (param $id i32) (param $got i32) (param $a i32) (param $b i32)
    (if (i32.and (i32.ne (local.get $got) (local.get $a)) (i32.ne (local.get $got) (local.get $b)))
      (then (call $fail (local.get $id) (local.get $got) (local.get $a)))))
  ;; got must be an error (want prints as 65535: "anything but 0")
  (func $check_err (param $id i32) (param $got i32)
    (if (i32.eqz (local.get $got))
      (then (call $fail (local.get $id) (local.get $got) (i32.const 65535)))))
  (func $canary_set
    (memory.fill (i32.const 0) (i32.const 0xa5) (i32.const 0x40))
    (memory.fill (i32.sub (global.get $M) (i32.const 256)) (i32.const 0xa5) (i32.const 256)))
  ;; both canaries intact, else FAIL with got = the first changed offset
  (func $canary (param $id i32)
    (local $i i32)
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (i32.const 0x40)))
        (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0xa5))
          (then (call $fail (local.get $id) (local.get $i) (i32.const 0xa5)) (return)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.set $i (i32.sub (global.get $M) (i32.const 256)))
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (global.get $M)))
        (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0xa5))
          (then (call $fail (local.get $id) (local.get $i) (i32.const 0xa5)) (return)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))
  (func $done
    (if (global.get $nfail) (then (call $proc_exit (i32.const 99))))
    (call $proc_exit (i32.const 42)))
  ;; ---- end of the harness -------------------------------------------------
  (func $open (result i32)
    (call $check (i32.const 1)
      (call $path_open (i32.const 3) (i32.const 0) (i32.const 0x80) (i32.const 8) (i32.const 0)
        (i64.const 0xe001ff) (i64.const 0) (i32.const 0) (i32.const 0x2f8))
      (i32.const 0))
    (i32.load (i32.const 0x2f8)))
  (func (export "_start")
    (local $fd i32)
    (local.set $fd (call $open))
    (call $canary_set)
    ;; whence
    (call $check (i32.const 100) (call $fd_seek (local.get $fd) (i64.const 4) (i32.const 0) (i32.const 0x300)) (i32.const 0))
    (call $check (i32.const 101) (i32.load (i32.const 0x300)) (i32.const 4))
    (call $check (i32.const 102) (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 3) (i32.const 0x300)) (i32.const 28))
    (call $check (i32.const 103) (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 255) (i32.const 0x300)) (i32.const 28))
    (call $check (i32.const 104) (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 256) (i32.const 0x300)) (i32.const 28))
    (call $check (i32.const 105) (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 0xffffffff) (i32.const 0x300)) (i32.const 28))
    (call $check (i32.const 106) (call $fd_seek (local.get $fd) (i64.const -1) (i32.const 0) (i32.const 0x300)) (i32.const 28))
    (call $check (i32.const 107) (call $fd_seek (local.get $fd) (i64.const -100) (i32.const 1) (i32.const 0x300)) (i32.const 28))
    (call $check (i32.const 108) (call $fd_seek (local.get $fd) (i64.const 0x8000000000000000) (i32.const 2) (i32.const 0x300)) (i32.const 28))
    (call $check (i32.const 109) (call $fd_tell (local.get $fd) (i32.const 0x300)) (i32.const 0))
    (call $check (i32.const 110) (i32.load (i32.const 0x300)) (i32.const 4))
    (call $check (i32.const 111) (call $fd_seek (local.get $fd) (i64.const -2) (i32.const 2) (i32.const 0x300)) (i32.const 0))
    (call $check (i32.const 112) (i32.load (i32.const 0x300)) (i32.const 11))
    ;; clocks
    (call $check (i32.const 120) (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 0x300)) (i32.const 0))
    (call $check (i32.const 121) (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 0x300)) (i32.const 0))
    (call $check (i32.const 122) (call $clock_time_get (i32.const 4) (i64.const 1) (i32.const 0x300)) (i32.const 28))
    (call $check (i32.const 123) (call $clock_time_get (i32.const 256) (i64.const 1) (i32.const 0x300)) (i32.const 28))
    (call $check (i32.const 124) (call $clock_time_get (i32.const 0xffffffff) (i64.const 1) (i32.const 0x300)) (i32.const 28))
    (call $check (i32.const 125) (call $clock_res_get (i32.const 0) (i32.const 0x300)) (i32.const 0))
    (call $check (i32.const 126) (i32.eqz (i32.or (i32.load (i32.const 0x300)) (i32.load (i32.const 0x304)))) (i32.const 0))
    (call $check (i32.const 127) (call $clock_res_get (i32.const 4) (i32.const 0x300)) (i32.const 28))
    (call $check (i32.const 128) (call $clock_res_get (i32.const 0x80000001) (i32.const 0x300)) (i32.const 28))
    (call $check (i32.const 129) (call $clock_res_get (i32.const 0xffffffff) (i32.const 0x300)) (i32.const 28))
    ;; advice
    (call $check (i32.const 130) (call $fd_advise (local.get $fd) (i64.const 0) (i64.const 0) (i32.const 0)) (i32.const 0))
    (call $check (i32.const 131) (call $fd_advise (local.get $fd) (i64.const 0) (i64.const 0) (i32.const 6)) (i32.const 28))
    (call $check (i32.const 132) (call $fd_advise (local.get $fd) (i64.const 0) (i64.const 0) (i32.const 255)) (i32.const 28))
    (call $check (i32.const 133) (call $fd_advise (local.get $fd) (i64.const 0) (i64.const 0) (i32.const 256)) (i32.const 28))
    ;; fstflags
    (call $check (i32.const 140) (call $fd_filestat_set_times (local.get $fd) (i64.const 0) (i64.const 0) (i32.const 3)) (i32.const 28))
    (call $check (i32.const 141) (call $fd_filestat_set_times (local.get $fd) (i64.const 0) (i64.const 0) (i32.const 12)) (i32.const 28))
    (call $check (i32.const 142) (call $fd_filestat_set_times (local.get $fd) (i64.const 0) (i64.const 0) (i32.const 16)) (i32.const 28))
    (call $check (i32.const 143) (call $path_filestat_set_times (i32.const 3) (i32.const 0) (i32.const 0x80) (i32.const 8) (i64.const 0) (i64.const 0) (i32.const 3)) (i32.const 28))
    (call $check (i32.const 144) (call $path_filestat_set_times (i32.const 3) (i32.const 0) (i32.const 0x80) (i32.const 8) (i64.const 0) (i64.const 0) (i32.const 0x8000)) (i32.const 28))
    (call $check (i32.const 145) (call $fd_filestat_set_times (local.get $fd) (i64.const 0) (i64.const 0) (i32.const 10)) (i32.const 0))
    ;; oflags, fdflags, lookupflags
    (call $check (i32.const 150) (call $path_open (i32.const 3) (i32.const 0) (i32.const 0x88) (i32.const 7) (i32.const 0x10)
      (i64.const 0xe001ff) (i64.const 0) (i32.const 0) (i32.const 0x2f8)) (i32.const 28))
    (call $check (i32.const 151) (call $path_open (i32.const 3) (i32.const 0) (i32.const 0x80) (i32.const 8) (i32.const 0)
      (i64.const 0xe001ff) (i64.const 0) (i32.const 0x20) (i32.const 0x2f8)) (i32.const 28))
    (call $check (i32.const 152) (call $path_open (i32.const 3) (i32.const 2) (i32.const 0x80) (i32.const 8) (i32.const 0)
      (i64.const 0xe001ff) (i64.const 0) (i32.const 0) (i32.const 0x2f8)) (i32.const 28))
    (call $check (i32.const 153) (call $fd_fdstat_set_flags (local.get $fd) (i32.const 0x20)) (i32.const 28))
    (call $check (i32.const 154) (call $path_filestat_get (i32.const 3) (i32.const 0x100) (i32.const 0x80) (i32.const 8) (i32.const 0x300)) (i32.const 28))
    (call $check (i32.const 155) (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 0x88) (i32.const 7) (i32.const 0x300)) (i32.const 44))
    (call $canary (i32.const 190))
    (call $done))
)
