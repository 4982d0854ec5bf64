;; Asks for 65535 initial pages (4 GiB less 64 KiB, the most the runtime
;; maps): over any sane quota, yet admissible with no quota at all.
(module
  (memory (export "memory") 65535)
  (func (export "run")))
