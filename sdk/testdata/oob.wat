;; run loads past the end of its one-page memory: trap:oob.
(module
  (memory (export "memory") 1)
  (global $addr (mut i32) (i32.const 70000))
  (func (export "run")
    (drop (i32.load (global.get $addr)))))
