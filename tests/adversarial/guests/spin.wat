;; spin: an endless loop with no imports and no memory traffic; only the
;; launcher's deadline can stop it (TIMED_OUT, reason timeout).
(module
  (memory (export "memory") 1)
  (global $n (mut i64) (i64.const 0))
  (func (export "_start")
    (loop $l
      (global.set $n (i64.add (global.get $n) (i64.const 1)))
      (br $l))))
