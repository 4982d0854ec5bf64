;; data_oob: an active data segment that ends 2 bytes past the end of the
;; one-page memory.  Instantiation must trap (trap:oob) before the entry
;; runs, so "run\n" is never written.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 48) "run\n")
  (data (i32.const 65534) "abcd")
  (func (export "run")
    (i32.store (i32.const 0) (i32.const 48))
    (i32.store (i32.const 4) (i32.const 4))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
      (i32.const 8)))))
