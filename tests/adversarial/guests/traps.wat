;; traps: one hostile guest per trap kind.  The first byte of stdin picks
;; the attack ('a', 'b', ...); the guest writes "go\n" to stdout first, so
;; a test sees that the guest ran up to the attack and nothing after it
;; ("after\n" is written only if the attack did not trap).
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (type $v_v (func))
  (type $i_i (func (param i32) (result i32)))
  (memory (export "memory") 1 1)
  (table $t 4 funcref)
  (elem (i32.const 0) $nop $recur_ind $ret_i)
  (data (i32.const 256) "go\n")
  (data (i32.const 260) "after\n")
  (data (i32.const 270) "ok\n")
  (data $passive "abcd")
  (global $sink (mut i32) (i32.const 0))
  (global $nan (mut f32) (f32.const nan))
  (global $big (mut f64) (f64.const 1e10))
  (global $neg1 (mut i32) (i32.const -1))
  (global $zero (mut i32) (i32.const 0))
  (func $nop)
  (func $ret_i (param i32) (result i32) (local.get 0))
  (func $say (param $p i32) (param $n i32)
    (i32.store (i32.const 16) (local.get $p))
    (i32.store (i32.const 20) (local.get $n))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1)
      (i32.const 24))))
  ;; not a tail call: the result is used after the call returns
  (func $recur (param $n i32) (result i32)
    (i32.add (call $recur (i32.add (local.get $n) (i32.const 1)))
      (local.get $n)))
  (func $recur_ind
    (call_indirect (type $v_v) (i32.const 1))
    (global.set $sink (i32.add (global.get $sink) (i32.const 1))))
  (func (export "run")
    ;; iovec at 0: { buf = 8, len = 1 }; the selector lands at 8
    (i32.store (i32.const 0) (i32.const 8))
    (i32.store (i32.const 4) (i32.const 1))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1)
      (i32.const 12)))
    (call $say (i32.const 256) (i32.const 3))
    (block $done
      (block $z (block $y (block $x (block $w (block $v (block $u
      (block $t (block $s (block $r (block $q (block $p (block $o
      (block $n (block $m (block $l (block $k (block $j (block $i
      (block $h (block $g (block $f (block $e (block $d (block $c
      (block $b (block $a
        (br_table $a $b $c $d $e $f $g $h $i $j $k $l $m $n $o $p $q $r
          $s $t $u $v $w $x $y $z $done
          (i32.sub (i32.load8_u (i32.const 8)) (i32.const 97))))
      ;; a: store just past the end of memory
      (i32.store (i32.const 65536) (i32.const 1)) (br $done))
      ;; b: the last byte is readable, a 4-byte load over it is not
      (global.set $sink (i32.load8_u (i32.const 65535)))
      (call $say (i32.const 270) (i32.const 3))
      (global.set $sink (i32.load (i32.const 65533))) (br $done))
      ;; c: a huge offset immediate on a small address
      (global.set $sink (i32.load offset=0xffffffff (i32.const 1)))
      (br $done))
      ;; d: address and offset both near 4 GiB (effective 8 GiB - 16)
      (global.set $sink (i32.wrap_i64 (i64.load offset=0xfffffff8
        (i32.const 0xfffffff8)))) (br $done))
      ;; e: call_indirect past the end of the table
      (call_indirect (type $v_v) (i32.const 7)) (br $done))
      ;; f: call_indirect of a null table entry
      (call_indirect (type $v_v) (i32.const 3)) (br $done))
      ;; g: call_indirect with the wrong signature
      (global.set $sink (call_indirect (type $i_i) (i32.const 5)
        (i32.const 0))) (br $done))
      ;; h: unreachable
      unreachable)
      ;; i: i32 divide by zero
      (global.set $sink (i32.div_u (i32.const 7) (global.get $zero)))
      (br $done))
      ;; j: i64 remainder by zero
      (global.set $sink (i32.wrap_i64 (i64.rem_s (i64.const 7)
        (i64.extend_i32_s (global.get $zero))))) (br $done))
      ;; k: INT_MIN / -1 (i32)
      (global.set $sink (i32.div_s (i32.const 0x80000000)
        (global.get $neg1))) (br $done))
      ;; l: INT64_MIN / -1
      (global.set $sink (i32.wrap_i64 (i64.div_s
        (i64.const 0x8000000000000000)
        (i64.extend_i32_s (global.get $neg1))))) (br $done))
      ;; m: INT_MIN rem -1 is 0, not a trap
      (global.set $sink (i32.rem_s (i32.const 0x80000000)
        (global.get $neg1)))
      (if (i32.eqz (global.get $sink))
        (then (call $say (i32.const 270) (i32.const 3))))
      (br $done))
      ;; n: NaN to i32
      (global.set $sink (i32.trunc_f32_s (global.get $nan))) (br $done))
      ;; o: 1e10 to i32: out of range
      (global.set $sink (i32.trunc_f64_s (global.get $big))) (br $done))
      ;; p: -1.0 to u64: out of range
      (global.set $sink (i32.wrap_i64 (i64.trunc_f64_u (f64.neg
        (f64.const 1)))))
      (br $done))
      ;; q: the saturating conversion of NaN is 0, not a trap
      (global.set $sink (i32.trunc_sat_f32_s (global.get $nan)))
      (if (i32.eqz (global.get $sink))
        (then (call $say (i32.const 270) (i32.const 3))))
      (br $done))
      ;; r: unbounded direct recursion
      (global.set $sink (call $recur (i32.const 0))) (br $done))
      ;; s: unbounded recursion through call_indirect
      (call_indirect (type $v_v) (i32.const 1)) (br $done))
      ;; t: an address just below 0 (0xffffffff)
      (i32.store8 (i32.const -1) (i32.const 1)) (br $done))
      ;; u: memory.fill past the end
      (memory.fill (i32.const 65000) (i32.const 0) (i32.const 1000))
      (br $done))
      ;; v: memory.copy from past the end
      (memory.copy (i32.const 0) (i32.const 65500) (i32.const 100))
      (br $done))
      ;; w: memory.grow past the declared maximum (1) answers -1
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1))
        (then (call $say (i32.const 270) (i32.const 3))))
      (br $done))
      ;; x: memory.init of a passive segment past the end of memory
      (memory.init $passive (i32.const 65534) (i32.const 0) (i32.const 4))
      (br $done))
      ;; y: memory.init of a dropped segment (its length is now 0)
      (data.drop $passive)
      (memory.init $passive (i32.const 0) (i32.const 0) (i32.const 1))
      (br $done))
      ;; z: table.get past the end of the table
      (drop (table.get $t (i32.const 4)))
      (br $done))
    (call $say (i32.const 260) (i32.const 6))))
