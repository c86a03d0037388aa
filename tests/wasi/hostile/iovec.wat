;; iovec.wat — scatter/gather arrays from a hostile guest: fd_read, fd_pread,
;; fd_write and fd_pwrite with the iovec array beyond or straddling the end
;; of memory or at 0xFFFFFFFF, entries whose buffer is out of bounds,
;; straddles the end, wraps around 2^32 or has length 0xFFFFFFFF, counts
;; whose byte size overflows 32 bits (0x20000000 and 0x20000001 entries of 8
;; bytes, 0xFFFFFFFF), the nread/nwritten pointer out of bounds: all must be
;; fault (21) with both canaries intact (a read that lands past the end
;; would overwrite them or the host's heap); for the huge counts inval (28,
;; over a limit such as IOV_MAX) is accepted too.  Then the legal extremes:
;; zero entries; 2000 one-byte entries (more than Linux's IOV_MAX of 1024:
;; must work, or be inval); and 1024 entries of 4 MiB each, whose lengths
;; sum to exactly 2^32 (a 32-bit sum wraps to 0): the read must return the
;; file's 13 bytes.
;; expect-exit: 42
(module
  (import "wasi_snapshot_preview1" "fd_pread" (func $fd_pread (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pwrite" (func $fd_pwrite (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 80)
  (global $M i32 (i32.const 0x500000))
  (data (i32.const 0x80) "file.txt")
  (data (i32.const 0x88) "scratch")
  (data (i32.const 0xa0) "0123456789abcdef")
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
  (func $open (param $path i32) (param $len i32) (param $oflags i32) (result i32)
    (call $check (i32.const 1)
      (call $path_open (i32.const 3) (i32.const 0) (local.get $path) (local.get $len) (local.get $oflags)
        (i64.const 0xe001ff) (i64.const 0) (i32.const 0) (i32.const 0x2f8))
      (i32.const 0))
    (i32.load (i32.const 0x2f8)))
  ;; one iovec at 0x200: {buf, len}
  (func $iov1 (param $buf i32) (param $len i32)
    (i32.store (i32.const 0x200) (local.get $buf))
    (i32.store (i32.const 0x204) (local.get $len)))
  (func (export "_start")
    (local $rd i32) (local $wr i32) (local $i i32) (local $e i32)
    (local.set $rd (call $open (i32.const 0x80) (i32.const 8) (i32.const 0)))
    (local.set $wr (call $open (i32.const 0x88) (i32.const 7) (i32.const 1)))
    (call $canary_set)
    ;; controls
    (call $iov1 (i32.const 0x300) (i32.const 64))
    (call $check (i32.const 100) (call $fd_pread (local.get $rd) (i32.const 0x200) (i32.const 1) (i64.const 0) (i32.const 0x2f0)) (i32.const 0))
    (call $check (i32.const 101) (i32.load (i32.const 0x2f0)) (i32.const 13))
    (call $iov1 (i32.const 0xa0) (i32.const 16))
    (call $check (i32.const 102) (call $fd_write (local.get $wr) (i32.const 0x200) (i32.const 1) (i32.const 0x2f0)) (i32.const 0))
    (call $check (i32.const 103) (i32.load (i32.const 0x2f0)) (i32.const 16))

    ;; the array itself out of bounds
    (call $check (i32.const 110) (call $fd_pread (local.get $rd) (i32.const 0x500000) (i32.const 1) (i64.const 0) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 111) (call $fd_pread (local.get $rd) (i32.const 0x4ffffc) (i32.const 1) (i64.const 0) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 112) (call $fd_read (local.get $rd) (i32.const 0xffffffff) (i32.const 1) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 113) (call $fd_write (local.get $wr) (i32.const 0x4ffffc) (i32.const 1) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 114) (call $fd_write (local.get $wr) (i32.const 0xfffffff8) (i32.const 2) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 115) (call $fd_pwrite (local.get $wr) (i32.const 0x500000) (i32.const 1) (i64.const 0) (i32.const 0x2f0)) (i32.const 21))
    (call $canary (i32.const 116))
    ;; counts whose size overflows
    (call $check2 (i32.const 120) (call $fd_pread (local.get $rd) (i32.const 0x200) (i32.const 0x20000000) (i64.const 0) (i32.const 0x2f0)) (i32.const 21) (i32.const 28))
    (call $check2 (i32.const 121) (call $fd_pread (local.get $rd) (i32.const 0x200) (i32.const 0x20000001) (i64.const 0) (i32.const 0x2f0)) (i32.const 21) (i32.const 28))
    (call $check2 (i32.const 122) (call $fd_read (local.get $rd) (i32.const 0x200) (i32.const 0xffffffff) (i32.const 0x2f0)) (i32.const 21) (i32.const 28))
    (call $check2 (i32.const 123) (call $fd_write (local.get $wr) (i32.const 0x200) (i32.const 0x20000001) (i32.const 0x2f0)) (i32.const 21) (i32.const 28))
    (call $check2 (i32.const 124) (call $fd_pwrite (local.get $wr) (i32.const 0) (i32.const 0x80000000) (i64.const 0) (i32.const 0x2f0)) (i32.const 21) (i32.const 28))
    (call $canary (i32.const 125))
    ;; entries out of bounds
    (call $iov1 (i32.const 0x4ffffc) (i32.const 16))
    (call $check (i32.const 130) (call $fd_pread (local.get $rd) (i32.const 0x200) (i32.const 1) (i64.const 0) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 131) (call $fd_read (local.get $rd) (i32.const 0x200) (i32.const 1) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 132) (call $fd_write (local.get $wr) (i32.const 0x200) (i32.const 1) (i32.const 0x2f0)) (i32.const 21))
    (call $canary (i32.const 133))
    (call $iov1 (i32.const 0xffffffff) (i32.const 1))
    (call $check (i32.const 134) (call $fd_pread (local.get $rd) (i32.const 0x200) (i32.const 1) (i64.const 0) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 135) (call $fd_pwrite (local.get $wr) (i32.const 0x200) (i32.const 1) (i64.const 0) (i32.const 0x2f0)) (i32.const 21))
    (call $iov1 (i32.const 0xfffffff0) (i32.const 0x20))
    (call $check (i32.const 136) (call $fd_pread (local.get $rd) (i32.const 0x200) (i32.const 1) (i64.const 0) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 137) (call $fd_write (local.get $wr) (i32.const 0x200) (i32.const 1) (i32.const 0x2f0)) (i32.const 21))
    (call $iov1 (i32.const 0x300) (i32.const 0xffffffff))
    (call $check (i32.const 138) (call $fd_pread (local.get $rd) (i32.const 0x200) (i32.const 1) (i64.const 0) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 139) (call $fd_write (local.get $wr) (i32.const 0x200) (i32.const 1) (i32.const 0x2f0)) (i32.const 21))
    (call $iov1 (i32.const 0x500000) (i32.const 0))
    (call $check2 (i32.const 140) (call $fd_pread (local.get $rd) (i32.const 0x200) (i32.const 1) (i64.const 0) (i32.const 0x2f0)) (i32.const 0) (i32.const 21))
    (call $iov1 (i32.const 0x500001) (i32.const 0))
    (call $check (i32.const 141) (call $fd_pread (local.get $rd) (i32.const 0x200) (i32.const 1) (i64.const 0) (i32.const 0x2f0)) (i32.const 21))
    (call $canary (i32.const 142))
    ;; a good entry, then a bad one: still fault, and nothing past the end
    (i32.store (i32.const 0x200) (i32.const 0x300))
    (i32.store (i32.const 0x204) (i32.const 4))
    (i32.store (i32.const 0x208) (i32.const 0x4ffffe))
    (i32.store (i32.const 0x20c) (i32.const 64))
    (call $check (i32.const 150) (call $fd_pread (local.get $rd) (i32.const 0x200) (i32.const 2) (i64.const 0) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 151) (call $fd_write (local.get $wr) (i32.const 0x200) (i32.const 2) (i32.const 0x2f0)) (i32.const 21))
    (call $canary (i32.const 152))
    ;; result pointers
    (call $iov1 (i32.const 0x300) (i32.const 8))
    (call $check (i32.const 160) (call $fd_pread (local.get $rd) (i32.const 0x200) (i32.const 1) (i64.const 0) (i32.const 0x4ffffe)) (i32.const 21))
    (call $check (i32.const 161) (call $fd_read (local.get $rd) (i32.const 0x200) (i32.const 1) (i32.const 0xffffffff)) (i32.const 21))
    (call $check (i32.const 162) (call $fd_write (local.get $wr) (i32.const 0x200) (i32.const 1) (i32.const 0x500000)) (i32.const 21))
    (call $check (i32.const 163) (call $fd_pwrite (local.get $wr) (i32.const 0x200) (i32.const 1) (i64.const 0) (i32.const 0xfffffffe)) (i32.const 21))
    (call $canary (i32.const 164))

    ;; legal extremes: 2000 one-byte entries at 0x1000.., buffers at 0x8000..
    (local.set $i (i32.const 0))
    (loop $l
      (i32.store (i32.add (i32.const 0x1000) (i32.shl (local.get $i) (i32.const 3))) (i32.add (i32.const 0x8000) (local.get $i)))
      (i32.store (i32.add (i32.const 0x1004) (i32.shl (local.get $i) (i32.const 3))) (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 2000))))
    (local.set $e (call $fd_pread (local.get $rd) (i32.const 0x1000) (i32.const 2000) (i64.const 0) (i32.const 0x2f0)))
    (call $check2 (i32.const 170) (local.get $e) (i32.const 0) (i32.const 28))
    (if (i32.eqz (local.get $e))
      (then
        (call $check (i32.const 171) (i32.load (i32.const 0x2f0)) (i32.const 13))
        (call $check (i32.const 172) (i32.load8_u (i32.const 0x8000)) (i32.const 0x68)) ;; 'h'
        (call $check (i32.const 173) (i32.load8_u (i32.const 0x800c)) (i32.const 10))))
    (local.set $e (call $fd_write (local.get $wr) (i32.const 0x1000) (i32.const 2000) (i32.const 0x2f0)))
    (call $check2 (i32.const 174) (local.get $e) (i32.const 0) (i32.const 28))
    (if (i32.eqz (local.get $e))
      (then (call $check (i32.const 175) (i32.gt_u (i32.load (i32.const 0x2f0)) (i32.const 0)) (i32.const 1))))
    (call $check (i32.const 176) (call $fd_pread (local.get $rd) (i32.const 0x1000) (i32.const 0) (i64.const 0) (i32.const 0x2f0)) (i32.const 0))
    (call $check (i32.const 177) (i32.load (i32.const 0x2f0)) (i32.const 0))
    ;; 1024 entries of 4 MiB at 0: the lengths sum to 2^32
    (local.set $i (i32.const 0))
    (loop $l
      (i32.store (i32.add (i32.const 0x10000) (i32.shl (local.get $i) (i32.const 3))) (i32.const 0))
      (i32.store (i32.add (i32.const 0x10004) (i32.shl (local.get $i) (i32.const 3))) (i32.const 0x400000))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1024))))
    (call $check (i32.const 180) (call $fd_pread (local.get $rd) (i32.const 0x10000) (i32.const 1024) (i64.const 0) (i32.const 0x2f0)) (i32.const 0))
    (call $check (i32.const 181) (i32.load (i32.const 0x2f0)) (i32.const 13))
    ;; the same with the last entry out of bounds: fault
    (i32.store (i32.const 0x11ff8) (i32.const 0x4fffff))
    (i32.store (i32.const 0x11ffc) (i32.const 2))
    (call $canary_set)
    (call $check (i32.const 182) (call $fd_pread (local.get $rd) (i32.const 0x10000) (i32.const 1024) (i64.const 0) (i32.const 0x2f0)) (i32.const 21))
    (call $canary (i32.const 183))
    (call $done))
)
