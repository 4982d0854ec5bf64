;; mem_max: declares 65536 initial pages (4 GiB, one more than a 32-bit
;; size field can describe): must be refused at admission for any tenant
;; (for a tenant whose max_pages is 65536 it is not yet: EXPECTED_FAIL in
;; test_admission.py).
(module
  (memory (export "memory") 65536)
  (func (export "run")))
