;; Exports a memory but neither _start nor run.
(module
  (memory (export "memory") 1)
  (func (export "main")))
