;; grow_oob: grows one page at a time until memory.grow answers -1 (the
;; tenant's max_pages cap), tries two absurd grows, writes
;; [final pages, grow(65536), grow(0xffffffff)] as three little-endian
;; i32 to stdout, then stores one byte past the end: trap:oob.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run")
    (block $done
      (loop $more
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $more)))
    (i32.store (i32.const 0) (memory.size))
    (i32.store (i32.const 4) (memory.grow (i32.const 65536)))
    (i32.store (i32.const 8) (memory.grow (i32.const -1)))
    (i32.store (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1)
      (i32.const 24)))
    (i32.store8 (i32.mul (memory.size) (i32.const 65536)) (i32.const 1))))
