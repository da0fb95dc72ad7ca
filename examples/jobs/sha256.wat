;; SHA-256 of the input (FIPS 180-4): prints the digest as 64 lowercase hex digits and a
;; newline, as `sha256sum` does. The whole input is read into memory, which grows as needed.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  ;; 0: one iovec; 8: bytes read or written; 16..81: the printed digest; 256: K (64 words);
  ;; 512: H (8 words); 768: the message schedule W (64 words); 4096..: the input, then its
  ;; padding.
  (memory (export "memory") 2)
  (global $input i32 (i32.const 4096))
  (global $piece i32 (i32.const 65536))

  (data (i32.const 256)
    "\98\2f\8a\42\91\44\37\71\cf\fb\c0\b5\a5\db\b5\e9"
    "\5b\c2\56\39\f1\11\f1\59\a4\82\3f\92\d5\5e\1c\ab"
    "\98\aa\07\d8\01\5b\83\12\be\85\31\24\c3\7d\0c\55"
    "\74\5d\be\72\fe\b1\de\80\a7\06\dc\9b\74\f1\9b\c1"
    "\c1\69\9b\e4\86\47\be\ef\c6\9d\c1\0f\cc\a1\0c\24"
    "\6f\2c\e9\2d\aa\84\74\4a\dc\a9\b0\5c\da\88\f9\76"
    "\52\51\3e\98\6d\c6\31\a8\c8\27\03\b0\c7\7f\59\bf"
    "\f3\0b\e0\c6\47\91\a7\d5\51\63\ca\06\67\29\29\14"
    "\85\0a\b7\27\38\21\1b\2e\fc\6d\2c\4d\13\0d\38\53"
    "\54\73\0a\65\bb\0a\6a\76\2e\c9\c2\81\85\2c\72\92"
    "\a1\e8\bf\a2\4b\66\1a\a8\70\8b\4b\c2\a3\51\6c\c7"
    "\19\e8\92\d1\24\06\99\d6\85\35\0e\f4\70\a0\6a\10"
    "\16\c1\a4\19\08\6c\37\1e\4c\77\48\27\b5\bc\b0\34"
    "\b3\0c\1c\39\4a\aa\d8\4e\4f\ca\9c\5b\f3\6f\2e\68"
    "\ee\82\8f\74\6f\63\a5\78\14\78\c8\84\08\02\c7\8c"
    "\fa\ff\be\90\eb\6c\50\a4\f7\a3\f9\be\f2\78\71\c6")
  (data (i32.const 512)
    "\67\e6\09\6a\85\ae\67\bb\72\f3\6e\3c\3a\f5\4f\a5"
    "\7f\52\0e\51\8c\68\05\9b\ab\d9\83\1f\19\cd\e0\5b")

  (func $word (param $base i32) (param $t i32) (result i32)
    (i32.load (i32.add (local.get $base) (i32.shl (local.get $t) (i32.const 2)))))

  (func $set_word (param $base i32) (param $t i32) (param $value i32)
    (i32.store (i32.add (local.get $base) (i32.shl (local.get $t) (i32.const 2))) (local.get $value)))

  ;; The big-endian word at $ptr.
  (func $load_be (param $ptr i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load (local.get $ptr)))
    (i32.or
      (i32.or (i32.shl (local.get $x) (i32.const 24))
              (i32.and (i32.shl (local.get $x) (i32.const 8)) (i32.const 0xff0000)))
      (i32.or (i32.and (i32.shr_u (local.get $x) (i32.const 8)) (i32.const 0xff00))
              (i32.shr_u (local.get $x) (i32.const 24)))))

  ;; Reads all of stdin to $input, growing memory so that a whole piece always fits;
  ;; returns its length.
  (func $read_all (result i32)
    (local $len i32) (local $n i32)
    (block $eof
      (loop $more
        ;; Room for a piece and the padding after it.
        (if (i32.gt_u (i32.add (i32.add (global.get $input) (local.get $len))
                               (i32.add (global.get $piece) (i32.const 128)))
                      (i32.shl (memory.size) (i32.const 16)))
          (then
            (if (i32.eq (memory.grow (i32.const 2)) (i32.const -1))
              (then (call $proc_exit (i32.const 2))))))
        (i32.store (i32.const 0) (i32.add (global.get $input) (local.get $len)))
        (i32.store (i32.const 4) (global.get $piece))
        (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
          (then (call $proc_exit (i32.const 1))))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $eof (i32.eqz (local.get $n)))
        (local.set $len (i32.add (local.get $len) (local.get $n)))
        (br $more)))
    (local.get $len))

  ;; One 64-byte block at $ptr into H.
  (func $compress (param $ptr i32)
    (local $t i32) (local $s0 i32) (local $s1 i32) (local $t1 i32) (local $t2 i32)
    (local $w15 i32) (local $w2 i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local $e i32) (local $f i32) (local $g i32) (local $h i32)
    (local.set $t (i32.const 0))
    (loop $load
      (call $set_word (i32.const 768) (local.get $t)
        (call $load_be (i32.add (local.get $ptr) (i32.shl (local.get $t) (i32.const 2)))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $load (i32.lt_u (local.get $t) (i32.const 16))))
    (loop $extend
      (local.set $w15 (call $word (i32.const 768) (i32.sub (local.get $t) (i32.const 15))))
      (local.set $w2 (call $word (i32.const 768) (i32.sub (local.get $t) (i32.const 2))))
      (local.set $s0 (i32.xor (i32.xor (i32.rotr (local.get $w15) (i32.const 7))
                                       (i32.rotr (local.get $w15) (i32.const 18)))
                              (i32.shr_u (local.get $w15) (i32.const 3))))
      (local.set $s1 (i32.xor (i32.xor (i32.rotr (local.get $w2) (i32.const 17))
                                       (i32.rotr (local.get $w2) (i32.const 19)))
                              (i32.shr_u (local.get $w2) (i32.const 10))))
      (call $set_word (i32.const 768) (local.get $t)
        (i32.add (i32.add (call $word (i32.const 768) (i32.sub (local.get $t) (i32.const 16)))
                          (local.get $s0))
                 (i32.add (call $word (i32.const 768) (i32.sub (local.get $t) (i32.const 7)))
                          (local.get $s1))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $extend (i32.lt_u (local.get $t) (i32.const 64))))
    (local.set $a (call $word (i32.const 512) (i32.const 0)))
    (local.set $b (call $word (i32.const 512) (i32.const 1)))
    (local.set $c (call $word (i32.const 512) (i32.const 2)))
    (local.set $d (call $word (i32.const 512) (i32.const 3)))
    (local.set $e (call $word (i32.const 512) (i32.const 4)))
    (local.set $f (call $word (i32.const 512) (i32.const 5)))
    (local.set $g (call $word (i32.const 512) (i32.const 6)))
    (local.set $h (call $word (i32.const 512) (i32.const 7)))
    (local.set $t (i32.const 0))
    (loop $round
      (local.set $s1 (i32.xor (i32.xor (i32.rotr (local.get $e) (i32.const 6))
                                       (i32.rotr (local.get $e) (i32.const 11)))
                              (i32.rotr (local.get $e) (i32.const 25))))
      (local.set $t1
        (i32.add
          (i32.add (i32.add (local.get $h) (local.get $s1))
                   (i32.xor (i32.and (local.get $e) (local.get $f))
                            (i32.and (i32.xor (local.get $e) (i32.const -1)) (local.get $g))))
          (i32.add (call $word (i32.const 256) (local.get $t))
                   (call $word (i32.const 768) (local.get $t)))))
      (local.set $s0 (i32.xor (i32.xor (i32.rotr (local.get $a) (i32.const 2))
                                       (i32.rotr (local.get $a) (i32.const 13)))
                              (i32.rotr (local.get $a) (i32.const 22))))
      (local.set $t2
        (i32.add (local.get $s0)
                 (i32.xor (i32.xor (i32.and (local.get $a) (local.get $b))
                                   (i32.and (local.get $a) (local.get $c)))
                          (i32.and (local.get $b) (local.get $c)))))
      (local.set $h (local.get $g))
      (local.set $g (local.get $f))
      (local.set $f (local.get $e))
      (local.set $e (i32.add (local.get $d) (local.get $t1)))
      (local.set $d (local.get $c))
      (local.set $c (local.get $b))
      (local.set $b (local.get $a))
      (local.set $a (i32.add (local.get $t1) (local.get $t2)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $round (i32.lt_u (local.get $t) (i32.const 64))))
    (call $set_word (i32.const 512) (i32.const 0) (i32.add (call $word (i32.const 512) (i32.const 0)) (local.get $a)))
    (call $set_word (i32.const 512) (i32.const 1) (i32.add (call $word (i32.const 512) (i32.const 1)) (local.get $b)))
    (call $set_word (i32.const 512) (i32.const 2) (i32.add (call $word (i32.const 512) (i32.const 2)) (local.get $c)))
    (call $set_word (i32.const 512) (i32.const 3) (i32.add (call $word (i32.const 512) (i32.const 3)) (local.get $d)))
    (call $set_word (i32.const 512) (i32.const 4) (i32.add (call $word (i32.const 512) (i32.const 4)) (local.get $e)))
    (call $set_word (i32.const 512) (i32.const 5) (i32.add (call $word (i32.const 512) (i32.const 5)) (local.get $f)))
    (call $set_word (i32.const 512) (i32.const 6) (i32.add (call $word (i32.const 512) (i32.const 6)) (local.get $g)))
    (call $set_word (i32.const 512) (i32.const 7) (i32.add (call $word (i32.const 512) (i32.const 7)) (local.get $h))))

  (func (export "_start")
    (local $len i32) (local $end i32) (local $ptr i32) (local $t i32) (local $x i32)
    (local $digit i32)
    (local.set $len (call $read_all))
    ;; Padding: 0x80, zeros up to 56 mod 64, then the length in bits as a big-endian u64
    ;; (memory past the input is still zero).
    (local.set $end (i32.add (global.get $input) (local.get $len)))
    (i32.store8 (local.get $end) (i32.const 0x80))
    (local.set $end
      (i32.and (i32.add (local.get $end) (i32.const 72)) (i32.const -64)))
    (i64.store (i32.sub (local.get $end) (i32.const 8))
      (i64.or
        (i64.or
          (i64.shl (i64.extend_i32_u (i32.and (i32.shl (local.get $len) (i32.const 3)) (i32.const 0xff))) (i64.const 56))
          (i64.shl (i64.extend_i32_u (i32.and (i32.shr_u (local.get $len) (i32.const 5)) (i32.const 0xff))) (i64.const 48)))
        (i64.or
          (i64.or
            (i64.shl (i64.extend_i32_u (i32.and (i32.shr_u (local.get $len) (i32.const 13)) (i32.const 0xff))) (i64.const 40))
            (i64.shl (i64.extend_i32_u (i32.and (i32.shr_u (local.get $len) (i32.const 21)) (i32.const 0xff))) (i64.const 32)))
          (i64.shl (i64.extend_i32_u (i32.shr_u (local.get $len) (i32.const 29))) (i64.const 24)))))
    (local.set $ptr (global.get $input))
    (loop $blocks
      (call $compress (local.get $ptr))
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 64)))
      (br_if $blocks (i32.lt_u (local.get $ptr) (local.get $end))))
    ;; Hex digits of H0..H7, most significant nibble first.
    (local.set $t (i32.const 0))
    (loop $nibble
      (local.set $x (call $word (i32.const 512) (i32.shr_u (local.get $t) (i32.const 3))))
      (local.set $digit
        (i32.and (i32.shr_u (local.get $x)
                            (i32.sub (i32.const 28)
                                     (i32.shl (i32.and (local.get $t) (i32.const 7)) (i32.const 2))))
                 (i32.const 15)))
      (i32.store8 (i32.add (i32.const 16) (local.get $t))
        (i32.add (local.get $digit)
                 (select (i32.const 87) (i32.const 48) (i32.gt_u (local.get $digit) (i32.const 9)))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $nibble (i32.lt_u (local.get $t) (i32.const 64))))
    (i32.store8 (i32.const 80) (i32.const 10))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 65))
    (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
      (then (call $proc_exit (i32.const 1)))))
)
