;; table_bomb: a table of 2^20 + 1 elements, one over the runtime's cap:
;; the guest ends with memory_limit during instantiation.
(module
  (memory (export "memory") 1)
  (table 1048577 funcref)
  (func (export "run")))
