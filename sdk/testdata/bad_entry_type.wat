;; Exports run with a parameter: not a valid entry.
(module
  (memory (export "memory") 1)
  (func (export "run") (param i32)))
