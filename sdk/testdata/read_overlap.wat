;; fd_read with two iovecs where the first buffer overlaps the iovec array:
;; the input rewrites the second iovec to point past the end of memory.
;; The host must check each iovec as it uses it: trap:oob.
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run")
    ;; iov[0] = { buf = 0, len = 16 }, iov[1] = { buf = 100, len = 4 }
    (i32.store (i32.const 0) (i32.const 0))
    (i32.store (i32.const 4) (i32.const 16))
    (i32.store (i32.const 8) (i32.const 100))
    (i32.store (i32.const 12) (i32.const 4))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 2)
      (i32.const 200)))))
