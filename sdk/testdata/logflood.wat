;; Writes 1000-byte chunks of 'y' to stderr forever: log_limit.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run")
    (memory.fill (i32.const 64) (i32.const 121) (i32.const 1000))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 1000))
    (loop $l
      (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1)
        (i32.const 8)))
      (br $l))))
