;; start_exit: the start function calls proc_exit(7) during
;; instantiation: the job ends FAILED, reason exit_code, exit code 7, and
;; the entry (which would write "run\n") never runs.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 48) "run\n")
  (func $init (call $proc_exit (i32.const 7)))
  (start $init)
  (func (export "run")
    (i32.store (i32.const 0) (i32.const 48))
    (i32.store (i32.const 4) (i32.const 4))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
      (i32.const 8)))))
