;; Word count: prints "LINES WORDS BYTES\n" of its input, as `wc` does (a word is a run of
;; bytes other than space, \t, \n, \v, \f and \r).
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  ;; 0: one iovec {buf, len}; 8: bytes read or written; 16..128: the printed line;
  ;; 1024..: the input buffer.
  (memory (export "memory") 2)
  (global $buffer i32 (i32.const 1024))
  (global $buffer_len i32 (i32.const 65536))

  ;; Reads the next piece of stdin into the buffer; returns its length (0 at the end).
  (func $read (result i32)
    (i32.store (i32.const 0) (global.get $buffer))
    (i32.store (i32.const 4) (global.get $buffer_len))
    (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
      (then (call $proc_exit (i32.const 1))))
    (i32.load (i32.const 8)))

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
      (then (call $proc_exit (i32.const 1)))))

  ;; Writes $n in decimal so that it ends just before $end; returns where it starts.
  (func $decimal (param $n i64) (param $end i32) (result i32)
    (local $at i32)
    (local.set $at (local.get $end))
    (loop $digit
      (local.set $at (i32.sub (local.get $at) (i32.const 1)))
      (i64.store8 (local.get $at)
        (i64.add (i64.const 48) (i64.rem_u (local.get $n) (i64.const 10))))
      (local.set $n (i64.div_u (local.get $n) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $n) (i64.const 0))))
    (local.get $at))

  ;; Puts a space before $at; returns the new start.
  (func $space (param $at i32) (result i32)
    (local.set $at (i32.sub (local.get $at) (i32.const 1)))
    (i32.store8 (local.get $at) (i32.const 32))
    (local.get $at))

  (func (export "_start")
    (local $n i32) (local $i i32) (local $b i32) (local $in_word i32) (local $at i32)
    (local $lines i64) (local $words i64) (local $bytes i64)
    (block $eof
      (loop $piece
        (local.set $n (call $read))
        (br_if $eof (i32.eqz (local.get $n)))
        (local.set $bytes (i64.add (local.get $bytes) (i64.extend_i32_u (local.get $n))))
        (local.set $i (i32.const 0))
        (loop $byte
          (local.set $b (i32.load8_u (i32.add (global.get $buffer) (local.get $i))))
          (if (i32.or (i32.eq (local.get $b) (i32.const 32))
                      (i32.le_u (i32.sub (local.get $b) (i32.const 9)) (i32.const 4)))
            (then
              (local.set $in_word (i32.const 0))
              (if (i32.eq (local.get $b) (i32.const 10))
                (then (local.set $lines (i64.add (local.get $lines) (i64.const 1))))))
            (else
              (if (i32.eqz (local.get $in_word))
                (then (local.set $words (i64.add (local.get $words) (i64.const 1)))))
              (local.set $in_word (i32.const 1))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $byte (i32.lt_u (local.get $i) (local.get $n))))
        (br $piece)))
    ;; The line is built backwards from offset 128.
    (i32.store8 (i32.const 127) (i32.const 10))
    (local.set $at (call $decimal (local.get $bytes) (i32.const 127)))
    (local.set $at (call $decimal (local.get $words) (call $space (local.get $at))))
    (local.set $at (call $decimal (local.get $lines) (call $space (local.get $at))))
    (call $write (local.get $at) (i32.sub (i32.const 128) (local.get $at))))
)
