;; Imports fd_write with the wrong signature: admission must refuse it.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run")
    (drop (call $w (i32.const 0)))))
