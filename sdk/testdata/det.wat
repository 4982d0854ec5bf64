;; Writes 16 + 48 bytes from random_get (two calls), then realtime and
;; monotonic clock readings (8 bytes each, little-endian): 80 bytes.
(module
  (import "wasi_snapshot_preview1" "random_get"
    (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run")
    (drop (call $random (i32.const 256) (i32.const 16)))
    (drop (call $random (i32.const 272) (i32.const 48)))
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 320)))
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 328)))
    (i32.store (i32.const 0) (i32.const 256))
    (i32.store (i32.const 4) (i32.const 80))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
      (i32.const 8)))))
