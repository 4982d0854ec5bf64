;; The lightest module with an entry: one page of memory, run does nothing.
(module
  (memory (export "memory") 1)
  (func (export "run")))
