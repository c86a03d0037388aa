;; paths.wat — path arguments from a hostile guest: a path that runs past
;; the end of memory, starts at 0xFFFFFFFF, has length 0xFFFFFFFF or wraps
;; around 2^32, given to every path call (both paths of rename, link and
;; symlink), must be fault (21) and have no effect (file.txt stays, no new
;; names); result buffers past the end likewise, with the canaries intact.
;; A valid name that ends exactly at the end of memory (no NUL after it:
;; WASI paths are pointer + length) must work.  An embedded NUL
;; ("file.txt\0x") and the empty path must fail.  Long paths: 60000 bytes of
;; "sub/../" plus `..` (the walk must not overflow a counter or the stack),
;; 300 links to `.` then `..` (dot -> .), and 1300 `../`: all must fail
;; without a crash, and never succeed in getting out.
;; expect-exit: 42
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get" (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_set_times" (func $path_filestat_set_times (param i32 i32 i32 i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_link" (func $path_link (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_readlink" (func $path_readlink (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_remove_directory" (func $path_remove_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename" (func $path_rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $path_unlink_file (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (global $M i32 (i32.const 0x20000))
  (data (i32.const 0x80) "file.txt")
  (data (i32.const 0x88) "newname")
  (data (i32.const 0x90) "file.txt\00x")
  (data (i32.const 0xa0) "sub/../")
  (data (i32.const 0xa8) "dot/")
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
  (func $open (param $p i32) (param $len i32) (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (local.get $p) (local.get $len) (i32.const 0)
      (i64.const 0xe001ff) (i64.const 0) (i32.const 0) (i32.const 0x2f8)))
  ;; every path call with (p, len) as its path; all must be want
  (func $all_paths (param $p i32) (param $len i32) (param $b i32) (param $want i32)
    (call $check (i32.add (local.get $b) (i32.const 0)) (call $open (local.get $p) (local.get $len)) (local.get $want))
    (call $check (i32.add (local.get $b) (i32.const 1)) (call $path_open (i32.const 3) (i32.const 0) (local.get $p) (local.get $len) (i32.const 1)
      (i64.const 0xe001ff) (i64.const 0) (i32.const 0) (i32.const 0x2f8)) (local.get $want))
    (call $check (i32.add (local.get $b) (i32.const 2)) (call $path_create_directory (i32.const 3) (local.get $p) (local.get $len)) (local.get $want))
    (call $check (i32.add (local.get $b) (i32.const 3)) (call $path_filestat_get (i32.const 3) (i32.const 0) (local.get $p) (local.get $len) (i32.const 0x300)) (local.get $want))
    (call $check (i32.add (local.get $b) (i32.const 4)) (call $path_filestat_set_times (i32.const 3) (i32.const 0) (local.get $p) (local.get $len) (i64.const 0) (i64.const 0) (i32.const 0)) (local.get $want))
    (call $check (i32.add (local.get $b) (i32.const 5)) (call $path_unlink_file (i32.const 3) (local.get $p) (local.get $len)) (local.get $want))
    (call $check (i32.add (local.get $b) (i32.const 6)) (call $path_remove_directory (i32.const 3) (local.get $p) (local.get $len)) (local.get $want))
    (call $check (i32.add (local.get $b) (i32.const 7)) (call $path_readlink (i32.const 3) (local.get $p) (local.get $len) (i32.const 0x300) (i32.const 64) (i32.const 0x2f0)) (local.get $want))
    (call $check (i32.add (local.get $b) (i32.const 8)) (call $path_symlink (local.get $p) (local.get $len) (i32.const 3) (i32.const 0x88) (i32.const 7)) (local.get $want))
    (call $check (i32.add (local.get $b) (i32.const 9)) (call $path_symlink (i32.const 0x80) (i32.const 8) (i32.const 3) (local.get $p) (local.get $len)) (local.get $want))
    (call $check (i32.add (local.get $b) (i32.const 10)) (call $path_rename (i32.const 3) (local.get $p) (local.get $len) (i32.const 3) (i32.const 0x88) (i32.const 7)) (local.get $want))
    (call $check (i32.add (local.get $b) (i32.const 11)) (call $path_rename (i32.const 3) (i32.const 0x80) (i32.const 8) (i32.const 3) (local.get $p) (local.get $len)) (local.get $want))
    (call $check (i32.add (local.get $b) (i32.const 12)) (call $path_link (i32.const 3) (i32.const 0) (local.get $p) (local.get $len) (i32.const 3) (i32.const 0x88) (i32.const 7)) (local.get $want))
    (call $check (i32.add (local.get $b) (i32.const 13)) (call $path_link (i32.const 3) (i32.const 0) (i32.const 0x80) (i32.const 8) (i32.const 3) (local.get $p) (local.get $len)) (local.get $want))
    ;; no effect
    (call $check (i32.add (local.get $b) (i32.const 20)) (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 0x80) (i32.const 8) (i32.const 0x300)) (i32.const 0))
    (call $check (i32.add (local.get $b) (i32.const 21)) (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 0x88) (i32.const 7) (i32.const 0x300)) (i32.const 44))
    (call $canary (i32.add (local.get $b) (i32.const 22))))
  ;; fills n copies of the len-byte pattern at src into dst; returns the length
  (func $repeat (param $dst i32) (param $src i32) (param $len i32) (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (memory.copy (i32.add (local.get $dst) (i32.mul (local.get $i) (local.get $len))) (local.get $src) (local.get $len))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.mul (local.get $n) (local.get $len)))
  (func (export "_start")
    (local $n i32) (local $e i32)
    ;; a name that ends at the very end of memory works
    (memory.copy (i32.sub (global.get $M) (i32.const 8)) (i32.const 0x80) (i32.const 8))
    (call $check (i32.const 100) (call $open (i32.sub (global.get $M) (i32.const 8)) (i32.const 8)) (i32.const 0))
    (call $check (i32.const 101) (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.sub (global.get $M) (i32.const 8)) (i32.const 8) (i32.const 0x300)) (i32.const 0))
    (call $canary_set)
    (call $all_paths (i32.const 0x1fffe) (i32.const 8) (i32.const 1000) (i32.const 21))
    (call $all_paths (i32.const 0x20000) (i32.const 1) (i32.const 2000) (i32.const 21))
    (call $all_paths (i32.const 0xffffffff) (i32.const 1) (i32.const 3000) (i32.const 21))
    (call $all_paths (i32.const 0x80) (i32.const 0xffffffff) (i32.const 4000) (i32.const 21))
    (call $all_paths (i32.const 0xffffff00) (i32.const 0x180) (i32.const 5000) (i32.const 21))
    (call $all_paths (i32.const 0x80) (i32.const 0x20000) (i32.const 6000) (i32.const 21))
    ;; embedded NUL and the empty path: some error, nothing made
    (call $check_err (i32.const 200) (call $open (i32.const 0x90) (i32.const 10)))
    (call $check_err (i32.const 201) (call $path_create_directory (i32.const 3) (i32.const 0x90) (i32.const 10)))
    (call $check_err (i32.const 202) (call $path_rename (i32.const 3) (i32.const 0x80) (i32.const 8) (i32.const 3) (i32.const 0x90) (i32.const 10)))
    (call $check_err (i32.const 203) (call $path_open (i32.const 3) (i32.const 0) (i32.const 0x90) (i32.const 0) (i32.const 1)
      (i64.const 0xe001ff) (i64.const 0) (i32.const 0) (i32.const 0x2f8)))
    (call $check_err (i32.const 204) (call $path_create_directory (i32.const 3) (i32.const 0x90) (i32.const 0)))
    (call $check (i32.const 205) (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 0x80) (i32.const 8) (i32.const 0x300)) (i32.const 0))
    ;; long paths, at 0x1000..0x1f000
    (local.set $n (call $repeat (i32.const 0x1000) (i32.const 0xa0) (i32.const 7) (i32.const 8571)))
    (i32.store16 (i32.add (i32.const 0x1000) (local.get $n)) (i32.const 0x2e2e)) ;; ".."
    (call $check_err (i32.const 210) (call $open (i32.const 0x1000) (i32.add (local.get $n) (i32.const 2))))
    (call $check_err (i32.const 211) (call $path_create_directory (i32.const 3) (i32.const 0x1000) (i32.add (local.get $n) (i32.const 2))))
    (memory.copy (i32.add (i32.const 0x1000) (local.get $n)) (i32.const 0x80) (i32.const 8))
    (local.set $e (call $open (i32.const 0x1000) (i32.add (local.get $n) (i32.const 8))))
    (call $check2 (i32.const 212) (local.get $e) (i32.const 0) (i32.const 37))
    (local.set $n (call $repeat (i32.const 0x1000) (i32.const 0xa8) (i32.const 4) (i32.const 300)))
    (i32.store16 (i32.add (i32.const 0x1000) (local.get $n)) (i32.const 0x2e2e))
    (call $check_err (i32.const 213) (call $open (i32.const 0x1000) (i32.add (local.get $n) (i32.const 2))))
    (call $check_err (i32.const 214) (call $path_create_directory (i32.const 3) (i32.const 0x1000) (i32.add (local.get $n) (i32.const 2))))
    (memory.copy (i32.add (i32.const 0x1000) (local.get $n)) (i32.const 0x80) (i32.const 8))
    (local.set $e (call $open (i32.const 0x1000) (i32.add (local.get $n) (i32.const 8))))
    (call $check2 (i32.const 215) (local.get $e) (i32.const 0) (i32.const 32))
    (local.set $n (call $repeat (i32.const 0x1000) (i32.const 0xa4) (i32.const 3) (i32.const 1300)))
    (call $check_err (i32.const 216) (call $open (i32.const 0x1000) (local.get $n)))
    (memory.copy (i32.add (i32.const 0x1000) (local.get $n)) (i32.const 0x80) (i32.const 8))
    (call $check_err (i32.const 217) (call $open (i32.const 0x1000) (i32.add (local.get $n) (i32.const 8))))
    (call $canary (i32.const 290))
    (call $done))
)
