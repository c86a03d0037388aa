;; poll.wat — poll_oneoff from a hostile guest: nsubscriptions 0 is inval
;; (28, as the WASI docs say); huge counts (0x10000000; 0x5555556, whose
;; 48-byte size wraps 2^32 to 0x20; 0xFFFFFFFF) and subscription or event
;; arrays or the nevents pointer beyond or straddling the end of memory are
;; fault (21), with the canaries intact; an unknown eventtype (3, 255) or
;; clock id (9) in a subscription is inval, either as the call's errno or
;; as the event's error; an fd_read subscription on a bad fd is badf the
;; same way.  Control: one relative 1 µs monotonic clock subscription
;; returns one clock event with our userdata and no error.
;; expect-exit: 42
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (global $M i32 (i32.const 0x10000))
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
  ;; a clock subscription at p: userdata, tag 0, clock id, timeout, flags
  (func $sub_clock (param $p i32) (param $id i32) (param $ns i64)
    (memory.fill (local.get $p) (i32.const 0) (i32.const 48))
    (i64.store (local.get $p) (i64.const 0x1234567890))
    (i32.store8 offset=8 (local.get $p) (i32.const 0))
    (i32.store offset=16 (local.get $p) (local.get $id))
    (i64.store offset=24 (local.get $p) (local.get $ns))
    (i64.store offset=32 (local.get $p) (i64.const 0)))
  ;; the result is want as the call's errno, or as the single event's error
  (func $check_poll (param $id i32) (param $got i32) (param $want i32)
    (if (i32.eqz (local.get $got))
      (then
        (call $check (i32.add (local.get $id) (i32.const 1)) (i32.load (i32.const 0x2f0)) (i32.const 1))
        (call $check (local.get $id) (i32.load16_u (i32.const 0x808)) (local.get $want)))
      (else (call $check (local.get $id) (local.get $got) (local.get $want)))))
  (func (export "_start")
    (call $canary_set)
    ;; control
    (call $sub_clock (i32.const 0x400) (i32.const 1) (i64.const 1000))
    (call $check (i32.const 100) (call $poll_oneoff (i32.const 0x400) (i32.const 0x800) (i32.const 1) (i32.const 0x2f0)) (i32.const 0))
    (call $check (i32.const 101) (i32.load (i32.const 0x2f0)) (i32.const 1))
    (call $check (i32.const 102) (i32.load (i32.const 0x800)) (i32.const 0x34567890))
    (call $check (i32.const 103) (i32.load16_u (i32.const 0x808)) (i32.const 0))
    (call $check (i32.const 104) (i32.load8_u (i32.const 0x80a)) (i32.const 0))
    ;; counts
    (call $check (i32.const 110) (call $poll_oneoff (i32.const 0x400) (i32.const 0x800) (i32.const 0) (i32.const 0x2f0)) (i32.const 28))
    (call $check (i32.const 111) (call $poll_oneoff (i32.const 0x400) (i32.const 0x800) (i32.const 0x10000000) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 112) (call $poll_oneoff (i32.const 0x400) (i32.const 0x800) (i32.const 0x5555556) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 113) (call $poll_oneoff (i32.const 0x400) (i32.const 0x800) (i32.const 0xffffffff) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 114) (call $poll_oneoff (i32.const 0x400) (i32.const 0x800) (i32.const 2000) (i32.const 0x2f0)) (i32.const 21))
    (call $canary (i32.const 115))
    ;; arrays out of bounds
    ;; a subscription whose last 8 bytes lie past the end
    (call $sub_clock (i32.const 0x400) (i32.const 1) (i64.const 1000))
    (memory.copy (i32.const 0xffd8) (i32.const 0x400) (i32.const 40))
    (call $check (i32.const 120) (call $poll_oneoff (i32.const 0xffd8) (i32.const 0x800) (i32.const 1) (i32.const 0x2f0)) (i32.const 21))
    (call $canary_set)
    (call $check (i32.const 121) (call $poll_oneoff (i32.const 0xffffffff) (i32.const 0x800) (i32.const 1) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 122) (call $poll_oneoff (i32.const 0x400) (i32.const 0xfff0) (i32.const 1) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 123) (call $poll_oneoff (i32.const 0x400) (i32.const 0xfffffff0) (i32.const 1) (i32.const 0x2f0)) (i32.const 21))
    (call $check (i32.const 124) (call $poll_oneoff (i32.const 0x400) (i32.const 0x800) (i32.const 1) (i32.const 0xfffe)) (i32.const 21))
    (call $check (i32.const 125) (call $poll_oneoff (i32.const 0x400) (i32.const 0x800) (i32.const 1) (i32.const 0x10000)) (i32.const 21))
    ;; two subscriptions, the second straddling the end; the events fit
    (call $sub_clock (i32.const 0xffc0) (i32.const 1) (i64.const 1000))
    (call $check (i32.const 126) (call $poll_oneoff (i32.const 0xffc0) (i32.const 0x800) (i32.const 2) (i32.const 0x2f0)) (i32.const 21))
    (call $canary_set)
    ;; events straddling: 2 events from 0xffd0 need 64 bytes
    (call $sub_clock (i32.const 0x400) (i32.const 1) (i64.const 1000))
    (call $sub_clock (i32.const 0x430) (i32.const 1) (i64.const 1000))
    (call $check (i32.const 127) (call $poll_oneoff (i32.const 0x400) (i32.const 0xffd0) (i32.const 2) (i32.const 0x2f0)) (i32.const 21))
    (call $canary (i32.const 128))
    ;; bad eventtype, bad clock id, bad fd
    (call $sub_clock (i32.const 0x400) (i32.const 1) (i64.const 1000))
    (i32.store8 (i32.const 0x408) (i32.const 3))
    (call $check_poll (i32.const 130) (call $poll_oneoff (i32.const 0x400) (i32.const 0x800) (i32.const 1) (i32.const 0x2f0)) (i32.const 28))
    (i32.store8 (i32.const 0x408) (i32.const 255))
    (call $check_poll (i32.const 132) (call $poll_oneoff (i32.const 0x400) (i32.const 0x800) (i32.const 1) (i32.const 0x2f0)) (i32.const 28))
    (call $sub_clock (i32.const 0x400) (i32.const 9) (i64.const 1000))
    (call $check_poll (i32.const 134) (call $poll_oneoff (i32.const 0x400) (i32.const 0x800) (i32.const 1) (i32.const 0x2f0)) (i32.const 28))
    (call $sub_clock (i32.const 0x400) (i32.const 0) (i64.const 0))
    (i32.store8 (i32.const 0x408) (i32.const 1))
    (i32.store (i32.const 0x410) (i32.const 0x7fffffff))
    (call $check_poll (i32.const 136) (call $poll_oneoff (i32.const 0x400) (i32.const 0x800) (i32.const 1) (i32.const 0x2f0)) (i32.const 8))
    (call $canary (i32.const 190))
    (call $done))
)
