;; start_trap: the start function writes "start\n" and then executes
;; unreachable, during instantiation, before the entry is ever called:
;; the job must fail with trap:unreachable and keep only "start\n".
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "start\n")
  (data (i32.const 48) "run\n")
  (func $init
    (i32.store (i32.const 0) (i32.const 32))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
      (i32.const 8)))
    unreachable)
  (start $init)
  (func (export "run")
    (i32.store (i32.const 0) (i32.const 48))
    (i32.store (i32.const 4) (i32.const 4))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
      (i32.const 8)))))
