;; Redact: a job over a dataset version. The input is the version's files as a tar archive;
;; the output is the same archive with every ASCII digit in the regular files' contents
;; replaced by '#', so a version published from it holds the same paths, anonymized.
;; Headers are copied unchanged, so paths, sizes and checksums stay valid.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  ;; 0: one iovec {buf, len}; 8: bytes read or written; 1024..: the whole input.
  (memory (export "memory") 2)
  (global $start i32 (i32.const 1024))

  ;; Reads all of stdin from $start, growing memory as it goes; returns its length.
  (func $read_all (result i32)
    (local $end i32) (local $n i32)
    (local.set $end (global.get $start))
    (loop $more
      ;; Keep 64 KiB free after $end.
      (if (i32.gt_u (i32.add (local.get $end) (i32.const 65536))
                    (i32.mul (memory.size) (i32.const 65536)))
        (then
          (if (i32.eq (memory.grow (i32.const 2)) (i32.const -1))
            (then (call $proc_exit (i32.const 2))))))
      (i32.store (i32.const 0) (local.get $end))
      (i32.store (i32.const 4) (i32.const 65536))
      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
        (then (call $proc_exit (i32.const 1))))
      (local.set $n (i32.load (i32.const 8)))
      (local.set $end (i32.add (local.get $end) (local.get $n)))
      (br_if $more (local.get $n)))
    (i32.sub (local.get $end) (global.get $start)))

  ;; The octal number in the 12-byte field at $at (digits, padded by spaces or NULs).
  (func $octal (param $at i32) (result i32)
    (local $i i32) (local $b i32) (local $n i32)
    (block $done
      (loop $digit
        (br_if $done (i32.ge_u (local.get $i) (i32.const 12)))
        (local.set $b (i32.sub (i32.load8_u (i32.add (local.get $at) (local.get $i))) (i32.const 48)))
        (if (i32.le_u (local.get $b) (i32.const 7))
          (then
            (local.set $n (i32.add (i32.shl (local.get $n) (i32.const 3)) (local.get $b)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $digit)))
    (local.get $n))

  ;; Replaces each ASCII digit in [$from, $to) by '#'.
  (func $redact (param $from i32) (param $to i32)
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $from) (local.get $to)))
        (if (i32.le_u (i32.sub (i32.load8_u (local.get $from)) (i32.const 48)) (i32.const 9))
          (then (i32.store8 (local.get $from) (i32.const 35))))
        (local.set $from (i32.add (local.get $from) (i32.const 1)))
        (br $byte))))

  (func $write_all (param $ptr i32) (param $len i32)
    (local $n i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
          (then (call $proc_exit (i32.const 1))))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $ptr (i32.add (local.get $ptr) (local.get $n)))
        (local.set $len (i32.sub (local.get $len) (local.get $n)))
        (br $more))))

  (func (export "_start")
    (local $len i32) (local $end i32) (local $at i32) (local $size i32) (local $type i32)
    (local $to i32)
    (local.set $len (call $read_all))
    (local.set $end (i32.add (global.get $start) (local.get $len)))
    (local.set $at (global.get $start))
    (block $last
      (loop $entry
        (br_if $last (i32.gt_u (i32.add (local.get $at) (i32.const 512)) (local.get $end)))
        ;; A zero block ends the archive: no header's name starts with NUL.
        (br_if $last (i32.eqz (i32.load8_u (local.get $at))))
        (local.set $size (call $octal (i32.add (local.get $at) (i32.const 124))))
        (local.set $type (i32.load8_u (i32.add (local.get $at) (i32.const 156))))
        (local.set $at (i32.add (local.get $at) (i32.const 512)))
        ;; Regular files ('0', or NUL in old archives); long names and the rest as they are.
        (if (i32.or (i32.eq (local.get $type) (i32.const 48)) (i32.eqz (local.get $type)))
          (then
            (local.set $to (i32.add (local.get $at) (local.get $size)))
            (call $redact (local.get $at)
              (select (local.get $end) (local.get $to) (i32.gt_u (local.get $to) (local.get $end))))))
        (local.set $at (i32.add (local.get $at)
          (i32.and (i32.add (local.get $size) (i32.const 511)) (i32.const -512))))
        (br $entry)))
    (call $write_all (global.get $start) (local.get $len)))
)
