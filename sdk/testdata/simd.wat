;; Uses a v128 instruction: wasm-validate --disable-simd must refuse it.
(module
  (memory (export "memory") 1)
  (func (export "run")
    (drop (i32x4.splat (i32.const 1)))))
