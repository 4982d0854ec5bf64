;; Unbounded, non-tail recursion that touches memory: trap:stack.
(module
  (memory (export "memory") 1)
  (func $f (param $n i32) (result i32)
    (i32.store (i32.const 0) (local.get $n))
    (i32.add
      (call $f (i32.add (local.get $n) (i32.const 1)))
      (i32.load (i32.const 0))))
  (func (export "run")
    (drop (call $f (i32.const 0)))))
