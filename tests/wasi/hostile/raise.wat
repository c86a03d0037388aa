;; raise.wat — proc_raise must not let the guest signal the host process.
;; `raise SIG` is invoked once per signal (WASI numbering: hup 1, int 2,
;; abrt 6, kill 9, segv 11, term 15, stop 18, tstp 19, ttin 20, an unknown
;; 255 and 256): kiln may return an errno (the call then returns and kiln
;; exits 0) or end the guest with a trap (exit 134, "kiln: trap" on stderr),
;; but kiln itself must not die of the signal, stop, or hang.
;; invoke: raise 1 => 0 134
;; invoke: raise 2 => 0 134
;; invoke: raise 6 => 0 134
;; invoke: raise 9 => 0 134
;; invoke: raise 11 => 0 134
;; invoke: raise 15 => 0 134
;; invoke: raise 18 => 0 134
;; invoke: raise 19 => 0 134
;; invoke: raise 20 => 0 134
;; invoke: raise 255 => 0 134
;; invoke: raise 256 => 0 134
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "proc_raise" (func $proc_raise (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "raise") (param $sig i32) (result i32)
    (call $proc_raise (local.get $sig)))
)
