;; Grows memory one page at a time until memory.grow fails, then writes
;; the final page count (4 bytes, little-endian) to stdout and returns.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run")
    (block $done
      (loop $more
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $more)))
    (i32.store (i32.const 0) (memory.size))
    ;; iovec at 8: { buf = 0, len = 4 }
    (i32.store (i32.const 8) (i32.const 0))
    (i32.store (i32.const 12) (i32.const 4))
    (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1)
      (i32.const 16)))))
