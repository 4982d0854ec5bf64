;; run never returns: only the process deadline / RLIMIT_CPU stops it.
(module
  (memory (export "memory") 1)
  (func (export "run")
    (loop $l (br $l))))
