/// Inverses modulo the order n of P-256, for ECDSA verification's `w = s⁻¹ mod n`.
///
/// OpenSSL's `BN_mod_inverse` runs the binary extended Euclidean algorithm over its general big
/// numbers and took a quarter of a verification; the same algorithm over four fixed limbs still
/// took ~10 µs, a branch mispredicted at nearly every one of its ~300 steps. This is Bernstein and
/// Yang's safegcd in its variable-time form ("Fast constant-time gcd computation and modular
/// inversion", 2019; the layout of libsecp256k1's `modinv64_var`): 62 division steps at a time on
/// the low 64 bits alone, recorded as a 2×2 matrix and then applied to the full numbers, some
/// ten rounds for a 256-bit value — ~2.5 µs. Its time depends on the value, which is fine for what
/// it serves: a signature's `s` is public.
enum P256OrderInverse {
    /// n, little-endian limbs.
    static let order = Limbs(0xF3B9_CAC2_FC63_2551, 0xBCE6_FAAD_A717_9E84, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_0000_0000)

    /// `value⁻¹ mod n`, for `value` in [1, n − 1] (each 32 bytes, big-endian); `nil` for any other value.
    static func inverse(ofBigEndian bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard bytes.count == 32 else { return nil }
        let value = Limbs(bigEndian: bytes)
        guard !value.isZero, value < order else { return nil }
        return inverse(of: value).bigEndianBytes
    }

    /// `value⁻¹ mod n` for `value` in [1, n − 1].
    ///
    /// Invariants (the paper's names): `f` and `g` start as n and `value` and keep
    /// `d·value ≡ f` and `e·value ≡ g (mod n)` up to the common factor 2⁶² per round that
    /// ``Signed62/applyModular(_:_:_:)`` divides out of `d` and `e` as it divides it out of `f` and `g`.
    /// When `g` reaches 0, `f` is ±gcd = ±1, so `±d` is the inverse.
    static func inverse(of value: Limbs) -> Limbs {
        var d = Signed62(0), e = Signed62(1)
        var f = Signed62(order), g = Signed62(value)
        var length = 5
        var eta: Int64 = -1
        for round in 1... {
            precondition(round <= roundsMax, "safegcd ends within \(roundsMax) rounds for 256-bit inputs")
            let matrix = DivstepMatrix(eta: &eta, f: UInt64(bitPattern: f[0]), g: UInt64(bitPattern: g[0]))
            Signed62.applyModular(matrix, &d, &e)
            Signed62.apply(matrix, &f, &g, length: length)
            if g.isZero(length: length) { break }
            // Drop the top limb once it carries only sign in both f and g.
            let fTop = f[length - 1], gTop = g[length - 1]
            if length > 1, fTop == fTop >> 63, gTop == gTop >> 63 {
                f[length - 2] |= Int64(bitPattern: UInt64(bitPattern: fTop) << 62)
                g[length - 2] |= Int64(bitPattern: UInt64(bitPattern: gTop) << 62)
                length -= 1
            }
        }
        assert(f[length - 1] == 1 || f[length - 1] == -1, "n is prime: the gcd is 1")
        d.normalize(negating: f[length - 1] < 0)
        return d.limbs
    }

    /// Rounds of 62 division steps a 256-bit input needs at most (the paper's bound: 724 steps).
    private static let roundsMax = 12

    /// `n⁻¹ mod 2⁶²`, by Newton's iteration (each round doubles the correct low bits: 1, 2, 4 … 64).
    private static let orderInverse62: UInt64 = {
        var inverse: UInt64 = 1
        for _ in 0..<6 { inverse = inverse &* (2 &- order.l0 &* inverse) }
        return inverse & Signed62.limbMask
    }()

    /// 62 division steps on the low 64 bits of `f` (odd) and `g`, as the matrix `[u v; q r]` that
    /// takes `(f, g)` to `2⁶²·(f′, g′)`. Several steps that only halve `g` are taken at once (its
    /// trailing zeros), and up to 6 low bits of `g` are cancelled at once by adding a multiple of `f`.
    struct DivstepMatrix {
        let u, v, q, r: Int64

        init(eta: inout Int64, f f0: UInt64, g g0: UInt64) {
            var u: UInt64 = 1, v: UInt64 = 0, q: UInt64 = 0, r: UInt64 = 1
            var f = f0, g = g0
            var remaining = 62
            while true {
                // A sentinel bit stops the count at the steps remaining.
                let zeros = (g | UInt64.max << UInt64(remaining)).trailingZeroBitCount
                g >>= UInt64(zeros)
                u <<= UInt64(zeros)
                v <<= UInt64(zeros)
                eta -= Int64(zeros)
                remaining -= zeros
                if remaining == 0 { break }
                assert(f & 1 == 1 && g & 1 == 1, "f and g are odd between steps")
                let limit = min(Int(eta.magnitude) + 1, remaining)
                let multiple: UInt64
                if eta < 0 {
                    eta = -eta
                    (f, g) = (g, 0 &- f)
                    (u, q) = (q, 0 &- u)
                    (v, r) = (r, 0 &- v)
                    let mask = UInt64.max >> UInt64(64 - limit) & 63
                    multiple = f &* g &* (f &* f &- 2) & mask
                } else {
                    let mask = UInt64.max >> UInt64(64 - limit) & 15
                    multiple = (0 &- (f &+ ((f &+ 1) & 4) << 1)) &* g & mask
                }
                g = g &+ f &* multiple
                q = q &+ u &* multiple
                r = r &+ v &* multiple
            }
            (self.u, self.v, self.q, self.r) = (Int64(bitPattern: u), Int64(bitPattern: v), Int64(bitPattern: q), Int64(bitPattern: r))
        }
    }

    /// A signed number in five limbs of 62 bits, least significant first, each limb in (−2⁶², 2⁶²)
    /// (the top one may carry the sign).
    struct Signed62 {
        var limbs62: InlineArray<5, Int64>

        static let limbMask = UInt64.max >> 2

        init(_ small: Int64) {
            limbs62 = [small, 0, 0, 0, 0]
        }

        /// A number in [0, 2²⁵⁶), regrouped into 62-bit limbs.
        init(_ x: Limbs) {
            let mask = Self.limbMask
            limbs62 = [
                Int64(x.l0 & mask), Int64((x.l0 >> 62 | x.l1 << 2) & mask), Int64((x.l1 >> 60 | x.l2 << 4) & mask),
                Int64((x.l2 >> 58 | x.l3 << 6) & mask), Int64(x.l3 >> 56),
            ]
        }

        subscript(index: Int) -> Int64 {
            get { limbs62[index] }
            set { limbs62[index] = newValue }
        }

        /// The number, non-negative and normalised (``normalize(negating:)``), in 64-bit limbs.
        var limbs: Limbs {
            let v0 = UInt64(bitPattern: self[0]), v1 = UInt64(bitPattern: self[1]), v2 = UInt64(bitPattern: self[2])
            let v3 = UInt64(bitPattern: self[3]), v4 = UInt64(bitPattern: self[4])
            return Limbs(v0 | v1 << 62, v1 >> 2 | v2 << 60, v2 >> 4 | v3 << 58, v3 >> 6 | v4 << 56)
        }

        func isZero(length: Int) -> Bool {
            var any: Int64 = 0
            for index in 0..<length { any |= self[index] }
            return any == 0
        }

        /// `(f, g) ← matrix·(f, g) / 2⁶²` over the low `length` limbs; the division is exact.
        static func apply(_ matrix: DivstepMatrix, _ f: inout Signed62, _ g: inout Signed62, length: Int) {
            let mask = Int128(limbMask)
            var cf = Int128(matrix.u) * Int128(f[0]) + Int128(matrix.v) * Int128(g[0])
            var cg = Int128(matrix.q) * Int128(f[0]) + Int128(matrix.r) * Int128(g[0])
            assert(cf & mask == 0 && cg & mask == 0, "the matrix clears the low 62 bits")
            cf >>= 62
            cg >>= 62
            for index in 1..<length {
                cf += Int128(matrix.u) * Int128(f[index]) + Int128(matrix.v) * Int128(g[index])
                cg += Int128(matrix.q) * Int128(f[index]) + Int128(matrix.r) * Int128(g[index])
                f[index - 1] = Int64(truncatingIfNeeded: cf & mask)
                g[index - 1] = Int64(truncatingIfNeeded: cg & mask)
                cf >>= 62
                cg >>= 62
            }
            f[length - 1] = Int64(truncatingIfNeeded: cf)
            g[length - 1] = Int64(truncatingIfNeeded: cg)
        }

        /// `(d, e) ← (matrix·(d, e) + n·(md, me)) / 2⁶²`, with `md` and `me` chosen so the division
        /// is exact: the same transformation as ``apply(_:_:_:length:)``, modulo n. Keeps `d` and `e`
        /// in (−2n, n).
        static func applyModular(_ matrix: DivstepMatrix, _ d: inout Signed62, _ e: inout Signed62) {
            let mask = Int128(limbMask)
            let modulus = P256OrderInverse.modulus62
            // Start md, me so that negative inputs come out in range.
            let dSign = d[4] >> 63, eSign = e[4] >> 63
            var md = (matrix.u & dSign) &+ (matrix.v & eSign)
            var me = (matrix.q & dSign) &+ (matrix.r & eSign)
            var cd = Int128(matrix.u) * Int128(d[0]) + Int128(matrix.v) * Int128(e[0])
            var ce = Int128(matrix.q) * Int128(d[0]) + Int128(matrix.r) * Int128(e[0])
            md -= Int64(bitPattern: (orderInverse62 &* UInt64(truncatingIfNeeded: cd) &+ UInt64(bitPattern: md)) & limbMask)
            me -= Int64(bitPattern: (orderInverse62 &* UInt64(truncatingIfNeeded: ce) &+ UInt64(bitPattern: me)) & limbMask)
            cd += Int128(modulus[0]) * Int128(md)
            ce += Int128(modulus[0]) * Int128(me)
            assert(cd & mask == 0 && ce & mask == 0, "md and me clear the low 62 bits")
            cd >>= 62
            ce >>= 62
            for index in 1..<5 {
                cd += Int128(matrix.u) * Int128(d[index]) + Int128(matrix.v) * Int128(e[index]) + Int128(modulus[index]) * Int128(md)
                ce += Int128(matrix.q) * Int128(d[index]) + Int128(matrix.r) * Int128(e[index]) + Int128(modulus[index]) * Int128(me)
                d[index - 1] = Int64(truncatingIfNeeded: cd & mask)
                e[index - 1] = Int64(truncatingIfNeeded: ce & mask)
                cd >>= 62
                ce >>= 62
            }
            d[4] = Int64(truncatingIfNeeded: cd)
            e[4] = Int64(truncatingIfNeeded: ce)
        }

        /// From (−2n, n), negated first when asked, to [0, n) with every limb in [0, 2⁶²).
        mutating func normalize(negating: Bool) {
            let modulus = P256OrderInverse.modulus62
            if self[4] < 0 { add(modulus) }
            if negating {
                for index in 0..<5 { self[index] = -self[index] }
            }
            carry()
            if self[4] < 0 { add(modulus) }
            carry()
        }

        private mutating func add(_ other: Signed62) {
            for index in 0..<5 { self[index] += other[index] }
        }

        /// Moves each limb's bits above 62 into the next limb.
        private mutating func carry() {
            for index in 0..<4 {
                self[index + 1] += self[index] >> 62
                self[index] &= Int64(Self.limbMask)
            }
        }
    }

    /// n in 62-bit limbs.
    private static let modulus62 = Signed62(order)

    /// A 256-bit unsigned integer as four 64-bit limbs, least significant first.
    struct Limbs: Equatable, Comparable {
        var l0, l1, l2, l3: UInt64

        init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64) {
            (self.l0, self.l1, self.l2, self.l3) = (l0, l1, l2, l3)
        }

        /// The number in 32 big-endian bytes.
        init(bigEndian bytes: UnsafeRawBufferPointer) {
            precondition(bytes.count == 32, "a 256-bit number is 32 bytes")
            func limb(_ index: Int) -> UInt64 {
                var word: UInt64 = 0
                for byte in bytes[(24 - 8 * index)..<(32 - 8 * index)] { word = word << 8 | UInt64(byte) }
                return word
            }
            self.init(limb(0), limb(1), limb(2), limb(3))
        }

        /// The number as 32 big-endian bytes.
        var bigEndianBytes: [UInt8] {
            var bytes = [UInt8](repeating: 0, count: 32)
            for (index, word) in [l3, l2, l1, l0].enumerated() {
                for shift in 0..<8 { bytes[index * 8 + 7 - shift] = UInt8(truncatingIfNeeded: word >> (shift * 8)) }
            }
            return bytes
        }

        var isZero: Bool { l0 | l1 | l2 | l3 == 0 }

        static func < (left: Limbs, right: Limbs) -> Bool {
            (left.l3, left.l2, left.l1, left.l0) < (right.l3, right.l2, right.l1, right.l0)
        }
    }
}
