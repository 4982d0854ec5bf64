;; Calls proc_exit(3): exit_code 3, reason "".
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "run")
    (call $exit (i32.const 3))
    unreachable))
