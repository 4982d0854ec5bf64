;; Imports env.system, which no policy grants: admission must refuse it.
(module
  (import "env" "system" (func $system (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run")
    (drop (call $system (i32.const 0)))))
