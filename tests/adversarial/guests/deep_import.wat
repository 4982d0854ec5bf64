;; deep_import: unbounded recursion that calls a host import at every
;; level, so the native stack runs out inside host code (the WASI import
;; or libsodium) as well as in guest code.  stdin's first byte picks the
;; import: 'w' fd_write of 0 iovecs, 'r' random_get of 64 bytes, 'c'
;; clock_time_get.  Must end trap:stack, with the controller unharmed.
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get"
    (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (global $sel (mut i32) (i32.const 0))
  (func $down (param $n i32) (result i32)
    (if (i32.eq (global.get $sel) (i32.const 119))	;; 'w'
      (then (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0)
        (i32.const 32)))))
    (if (i32.eq (global.get $sel) (i32.const 114))	;; 'r'
      (then (drop (call $random_get (i32.const 64) (i32.const 64)))))
    (if (i32.eq (global.get $sel) (i32.const 99))	;; 'c'
      (then (drop (call $clock_time_get (i32.const 1) (i64.const 0)
        (i32.const 128)))))
    (i32.add (call $down (i32.add (local.get $n) (i32.const 1)))
      (local.get $n)))
  (func (export "run")
    (i32.store (i32.const 0) (i32.const 8))
    (i32.store (i32.const 4) (i32.const 1))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1)
      (i32.const 12)))
    (global.set $sel (i32.load8_u (i32.const 8)))
    (drop (call $down (i32.const 0)))))
