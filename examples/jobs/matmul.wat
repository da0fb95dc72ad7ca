;; A small float matrix multiply: C = A x B for 8 x 8 matrices of f64 built from the input,
;; written to stdout as 64 little-endian f64 (512 bytes). A[i][j] is input byte (8i + j)
;; modulo the input's length, divided by 3, minus 40; B[i][j] is the square root of
;; A[j][i], a NaN wherever that is negative. The NaNs reach the output, so their bit
;; pattern (which WebAssembly leaves to the machine unless the engine canonicalizes it)
;; is part of the result. An empty input gives A = -40 everywhere.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  ;; 0: one iovec; 8: bytes read or written; 64..128: the first 64 input bytes;
  ;; 1024: A; 1536: B; 2048: C (64 f64 each); 4096..: input read past the first 64 bytes.
  (memory (export "memory") 2)

  ;; Reads up to 64 bytes of the input to offset 64, discarding the rest; returns how many.
  (func $read_head (result i32)
    (local $have i32) (local $n i32)
    (block $eof
      (loop $piece
        (i32.store (i32.const 0)
          (select (i32.add (i32.const 64) (local.get $have)) (i32.const 4096)
                  (i32.lt_u (local.get $have) (i32.const 64))))
        (i32.store (i32.const 4)
          (select (i32.sub (i32.const 64) (local.get $have)) (i32.const 60000)
                  (i32.lt_u (local.get $have) (i32.const 64))))
        (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
          (then (call $proc_exit (i32.const 1))))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $eof (i32.eqz (local.get $n)))
        (if (i32.lt_u (local.get $have) (i32.const 64))
          (then (local.set $have (i32.add (local.get $have) (local.get $n)))))
        (br $piece)))
    (local.get $have))

  (func $at (param $base i32) (param $i i32) (param $j i32) (result i32)
    (i32.add (local.get $base)
      (i32.shl (i32.add (i32.shl (local.get $i) (i32.const 3)) (local.get $j)) (i32.const 3))))

  (func (export "_start")
    (local $len i32) (local $i i32) (local $j i32) (local $k i32)
    (local $x f64) (local $sum f64)
    (local.set $len (call $read_head))
    ;; A
    (local.set $i (i32.const 0))
    (loop $ai
      (local.set $j (i32.const 0))
      (loop $aj
        (local.set $x (f64.const 0))
        (if (local.get $len)
          (then
            (local.set $x (f64.convert_i32_u (i32.load8_u (i32.add (i32.const 64)
              (i32.rem_u (i32.add (i32.shl (local.get $i) (i32.const 3)) (local.get $j))
                         (local.get $len))))))))
        (f64.store (call $at (i32.const 1024) (local.get $i) (local.get $j))
          (f64.sub (f64.div (local.get $x) (f64.const 3)) (f64.const 40)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $aj (i32.lt_u (local.get $j) (i32.const 8))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $ai (i32.lt_u (local.get $i) (i32.const 8))))
    ;; B = sqrt of A transposed
    (local.set $i (i32.const 0))
    (loop $bi
      (local.set $j (i32.const 0))
      (loop $bj
        (f64.store (call $at (i32.const 1536) (local.get $i) (local.get $j))
          (f64.sqrt (f64.load (call $at (i32.const 1024) (local.get $j) (local.get $i)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $bj (i32.lt_u (local.get $j) (i32.const 8))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $bi (i32.lt_u (local.get $i) (i32.const 8))))
    ;; C = A x B
    (local.set $i (i32.const 0))
    (loop $ci
      (local.set $j (i32.const 0))
      (loop $cj
        (local.set $sum (f64.const 0))
        (local.set $k (i32.const 0))
        (loop $ck
          (local.set $sum (f64.add (local.get $sum)
            (f64.mul (f64.load (call $at (i32.const 1024) (local.get $i) (local.get $k)))
                     (f64.load (call $at (i32.const 1536) (local.get $k) (local.get $j))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $ck (i32.lt_u (local.get $k) (i32.const 8))))
        (f64.store (call $at (i32.const 2048) (local.get $i) (local.get $j)) (local.get $sum))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $cj (i32.lt_u (local.get $j) (i32.const 8))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $ci (i32.lt_u (local.get $i) (i32.const 8))))
    (i32.store (i32.const 0) (i32.const 2048))
    (i32.store (i32.const 4) (i32.const 512))
    (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
      (then (call $proc_exit (i32.const 1)))))
)
