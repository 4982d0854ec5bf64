;; Hands fd_write an iovec whose buffer lies past the end of memory: the
;; host's bounds check must end the guest with trap:oob.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run")
    (i32.store (i32.const 0) (i32.const 65000))
    (i32.store (i32.const 4) (i32.const 1000))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
      (i32.const 8)))))
