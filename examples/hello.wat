;; hello.wat — a WASI command in the text format: kiln runs it as it is.
;;
;;   kiln run examples/hello.wat                      # prints Hello, world!
;;   kiln parse examples/hello.wat -o hello.wasm      # the same as a binary
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param $fd i32) (param $iovs i32) (param $n i32) (param $written i32)
                    (result i32)))
  (memory (export "memory") 1)
  ;; an iovec {ptr, len} at 0, the text at 16
  (data (i32.const 0) "\10\00\00\00\0e\00\00\00")
  (data (i32.const 16) "Hello, world!\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
