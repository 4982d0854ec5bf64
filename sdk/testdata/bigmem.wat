;; Asks for 65536 initial pages (4 GiB): over any sane quota.
(module
  (memory (export "memory") 65536)
  (func (export "run")))
