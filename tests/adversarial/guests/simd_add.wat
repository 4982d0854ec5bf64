;; simd_add: uses a 128-bit SIMD instruction (i32x4.add).  wasm2c 1.0.32
;; cannot translate SIMD, so wasm-validate --disable-simd must refuse it:
;; 422 invalid_module, the validator's line as the detail.
(module
  (memory (export "memory") 1)
  (func (export "run")
    (v128.store (i32.const 0)
      (i32x4.add (v128.load (i32.const 0)) (v128.load (i32.const 16))))))
