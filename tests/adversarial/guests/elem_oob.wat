;; elem_oob: an active element segment that runs past the end of its
;; 2-element table.  Instantiation must trap (trap:oob) before the entry
;; runs, so "run\n" is never written.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table 2 funcref)
  (func $f)
  (elem (i32.const 1) $f $f)
  (data (i32.const 48) "run\n")
  (func (export "run")
    (i32.store (i32.const 0) (i32.const 48))
    (i32.store (i32.const 4) (i32.const 4))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
      (i32.const 8)))))
