;; mem_over_quota: declares 33 initial pages; the adversarial tenants allow
;; 32, so admission refuses it (422 memory_quota) before compiling.
(module
  (memory (export "memory") 33)
  (func (export "run")))
