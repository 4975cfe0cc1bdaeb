/// Inverses modulo the order n of P-256, for ECDSA verification's `w = s⁻¹ mod n`.
///
/// OpenSSL's `BN_mod_inverse` runs the same binary algorithm over its general big numbers, a
/// function call per shift and per bit test, and took as long as a quarter of a verification; over
/// four fixed 64-bit limbs it takes a fraction of that. Its time depends on the value, which is
/// fine for what it serves: a signature's `s` is public.
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

    /// The binary extended Euclidean algorithm, with the invariants `x1·value ≡ u` and
    /// `x2·value ≡ v (mod n)`, `x1` and `x2` kept in [0, n) and `u`, `v` odd between steps.
    ///
    /// Each step subtracts the smaller of `u` and `v` from the larger and strips the difference's
    /// trailing zeros in one shift; its coefficient is divided by the same power of two in one
    /// Montgomery step (``Limbs/divideModOrder(byPowerOfTwo:)``) rather than halved bit by bit.
    /// n is prime, so `u` and `v` meet at their gcd, 1.
    static func inverse(of value: Limbs) -> Limbs {
        var u = value, v = order
        var x1 = Limbs(1, 0, 0, 0), x2 = Limbs(0, 0, 0, 0)
        x1.divideModOrder(byPowerOfTwo: u.removeTrailingZeros())
        while u != v {
            if v < u {
                u.subtract(v)
                x1.subtractModOrder(x2)
                x1.divideModOrder(byPowerOfTwo: u.removeTrailingZeros())
            } else {
                v.subtract(u)
                x2.subtractModOrder(x1)
                x2.divideModOrder(byPowerOfTwo: v.removeTrailingZeros())
            }
        }
        assert(u.isOne, "n is prime: every value in [1, n − 1] is invertible")
        return x1
    }

    /// `−n⁻¹ mod 2⁶⁴`, by Newton's iteration (each round doubles the correct low bits: 1, 2, 4 … 64).
    static let negativeInverseOfOrderLimb: UInt64 = {
        var inverse: UInt64 = 1
        for _ in 0..<6 { inverse = inverse &* (2 &- order.l0 &* inverse) }
        return 0 &- inverse
    }()

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
        var isOne: Bool { l0 == 1 && l1 | l2 | l3 == 0 }

        static func < (left: Limbs, right: Limbs) -> Bool {
            (left.l3, left.l2, left.l1, left.l0) < (right.l3, right.l2, right.l1, right.l0)
        }

        /// Shifts right past the trailing zero bits of a non-zero value; returns how many there were.
        mutating func removeTrailingZeros() -> Int {
            precondition(!isZero, "zero has no lowest set bit")
            var removed = 0
            while l0 == 0 {
                (l0, l1, l2, l3) = (l1, l2, l3, 0)
                removed += 64
            }
            let shift = l0.trailingZeroBitCount
            if shift > 0 {
                l0 = l0 >> shift | l1 << (64 - shift)
                l1 = l1 >> shift | l2 << (64 - shift)
                l2 = l2 >> shift | l3 << (64 - shift)
                l3 = l3 >> shift
            }
            return removed + shift
        }

        /// Adds `other`; returns the carry out of the top limb.
        @discardableResult
        mutating func add(_ other: Limbs) -> Bool {
            var carry = false
            (l0, carry) = Self.add(l0, other.l0, carry)
            (l1, carry) = Self.add(l1, other.l1, carry)
            (l2, carry) = Self.add(l2, other.l2, carry)
            (l3, carry) = Self.add(l3, other.l3, carry)
            return carry
        }

        /// Subtracts `other`; returns the borrow out of the top limb.
        @discardableResult
        mutating func subtract(_ other: Limbs) -> Bool {
            var borrow = false
            (l0, borrow) = Self.subtract(l0, other.l0, borrow)
            (l1, borrow) = Self.subtract(l1, other.l1, borrow)
            (l2, borrow) = Self.subtract(l2, other.l2, borrow)
            (l3, borrow) = Self.subtract(l3, other.l3, borrow)
            return borrow
        }

        /// `self / 2^bits mod n` for `self` in [0, n), at most 63 bits at a time: adding `m·n`, with
        /// `m` chosen so the sum's low bits are zero (`m = self·(−n⁻¹) mod 2^step`), leaves the value
        /// unchanged mod n and makes the shift exact. The sum is below `2^step·n`, so the result is
        /// below n.
        mutating func divideModOrder(byPowerOfTwo bits: Int) {
            var remaining = bits
            while remaining > 0 {
                let step = min(remaining, 63)
                let multiplier = (l0 &* P256OrderInverse.negativeInverseOfOrderLimb) & (1 << UInt64(step) &- 1)
                let order = P256OrderInverse.order
                var carry: UInt64 = 0
                let t0 = Self.multiplyAdd(multiplier, order.l0, l0, &carry)
                let t1 = Self.multiplyAdd(multiplier, order.l1, l1, &carry)
                let t2 = Self.multiplyAdd(multiplier, order.l2, l2, &carry)
                let t3 = Self.multiplyAdd(multiplier, order.l3, l3, &carry)
                assert(t0 & (1 << UInt64(step) &- 1) == 0, "m·n cancels the low bits")
                l0 = t0 >> step | t1 << (64 - step)
                l1 = t1 >> step | t2 << (64 - step)
                l2 = t2 >> step | t3 << (64 - step)
                l3 = t3 >> step | carry << (64 - step)
                remaining -= step
            }
        }

        /// `a·b + c + carry`: returns the low limb and leaves the high one in `carry`.
        private static func multiplyAdd(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ carry: inout UInt64) -> UInt64 {
            var (high, low) = a.multipliedFullWidth(by: b)
            var overflow: Bool
            (low, overflow) = low.addingReportingOverflow(c)
            if overflow { high += 1 }
            (low, overflow) = low.addingReportingOverflow(carry)
            if overflow { high += 1 }
            carry = high
            return low
        }

        /// `self − other mod n` for both in [0, n).
        mutating func subtractModOrder(_ other: Limbs) {
            if subtract(other) { add(P256OrderInverse.order) }
        }

        private static func add(_ a: UInt64, _ b: UInt64, _ carry: Bool) -> (UInt64, Bool) {
            let (sum, overflow) = a.addingReportingOverflow(b)
            let (total, overflowCarry) = sum.addingReportingOverflow(carry ? 1 : 0)
            return (total, overflow || overflowCarry)
        }

        private static func subtract(_ a: UInt64, _ b: UInt64, _ borrow: Bool) -> (UInt64, Bool) {
            let (difference, underflow) = a.subtractingReportingOverflow(b)
            let (total, underflowBorrow) = difference.subtractingReportingOverflow(borrow ? 1 : 0)
            return (total, underflow || underflowBorrow)
        }
    }
}
