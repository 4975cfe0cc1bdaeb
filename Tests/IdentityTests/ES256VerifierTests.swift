import Crypto
import Foundation
import Testing

@testable import Identity

@Suite("ES256 verification: a hot key's table answers as swift-crypto does, within its bounds")
struct ES256VerifierTests {
    /// The order n of P-256, big-endian.
    private static let order = P256OrderInverse.order.bigEndianBytes

    /// swift-crypto's answer: the reference every table answer must equal.
    private static func reference(_ signature: [UInt8], _ digest: SHA256Digest, _ key: P256.Signing.PublicKey) -> Bool {
        guard let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
        return key.isValidSignature(ecdsa, for: digest)
    }

    /// `value` (32 bytes, big-endian) minus `other`, mod 2²⁵⁶.
    private static func subtract(_ value: [UInt8], _ other: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for index in (0..<32).reversed() {
            let difference = Int(value[index]) - Int(other[index]) - borrow
            result[index] = UInt8((difference + 256) % 256)
            borrow = difference < 0 ? 1 : 0
        }
        return result
    }

    /// `value` plus `other` (32 bytes each, big-endian); `nil` when the sum needs 257 bits.
    private static func add(_ value: [UInt8], _ other: [UInt8]) -> [UInt8]? {
        var result = [UInt8](repeating: 0, count: 32)
        var carry = 0
        for index in (0..<32).reversed() {
            let sum = Int(value[index]) + Int(other[index]) + carry
            result[index] = UInt8(sum % 256)
            carry = sum / 256
        }
        return carry == 0 ? result : nil
    }

    /// Signatures a verifier must judge exactly as swift-crypto does: the valid one, its high-s twin
    /// (ECDSA accepts both), and forgeries — flipped bits, swapped halves, values out of range, the
    /// wrong length.
    private static func variants(of signature: [UInt8]) -> [(String, [UInt8])] {
        let r = Array(signature[..<32]), s = Array(signature[32...])
        let zero = [UInt8](repeating: 0, count: 32), ones = [UInt8](repeating: 0xFF, count: 32)
        var flippedR = r
        flippedR[31] ^= 1
        var flippedS = s
        flippedS[0] ^= 0x80
        let one = [UInt8](repeating: 0, count: 31) + [1]
        let orderPlusOne = add(order, one)!
        // r + n is r again mod n, but out of range: refused (when it fits in 32 bytes at all).
        let rPlusOrder = add(r, order).map { [("r + n", $0 + s)] } ?? []
        return rPlusOrder + [
            ("valid", signature),
            ("high s (n − s)", r + subtract(order, s)),
            ("r with a bit flipped", flippedR + s),
            ("s with a bit flipped", r + flippedS),
            ("r and s swapped", s + r),
            ("r = 0", zero + s), ("s = 0", r + zero),
            ("r = n", order + s), ("s = n", r + order),
            ("r = n + 1", orderPlusOne + s), ("s = n + 1", r + orderPlusOne),
            ("r = 2²⁵⁶ − 1", ones + s), ("s = 2²⁵⁶ − 1", r + ones),
            ("63 bytes", Array(signature.dropLast())), ("65 bytes", signature + [0]),
            ("empty", []),
        ]
    }

    @Test("a table accepts and refuses exactly what swift-crypto does, for many keys, messages and forgeries")
    func tableMatchesSwiftCrypto() throws {
        for keyIndex in 0..<12 {
            let privateKey = P256.Signing.PrivateKey()
            let other = P256.Signing.PrivateKey()
            let table = try #require(P256VerificationTable(rawKey: privateKey.publicKey.rawRepresentation))
            for messageIndex in 0..<8 {
                let message = Data("message \(keyIndex)-\(messageIndex) \(UUID())".utf8)
                let digest = SHA256.hash(data: message)
                let signature = Array(try privateKey.signature(for: digest).rawRepresentation)
                #expect(table.isValidSignature(signature, digest: digest), "a valid signature verifies")
                for (name, variant) in Self.variants(of: signature) {
                    #expect(
                        table.isValidSignature(variant, digest: digest) == Self.reference(variant, digest, privateKey.publicKey),
                        "\(name): the table and swift-crypto disagree")
                }
                let otherDigest = SHA256.hash(data: message + Data("!".utf8))
                #expect(!table.isValidSignature(signature, digest: otherDigest), "a signature of another message is refused")
                let byOther = Array(try other.signature(for: digest).rawRepresentation)
                #expect(!table.isValidSignature(byOther, digest: digest), "another key's signature is refused")
            }
        }
    }

    @Test("coordinates that are not a point on P-256 get no table")
    func keysOffTheCurve() throws {
        var raw = Array(P256.Signing.PrivateKey().publicKey.rawRepresentation)
        #expect(P256VerificationTable(rawKey: raw) != nil)
        raw[63] ^= 1
        #expect(P256VerificationTable(rawKey: raw) == nil, "y changed: off the curve")
        #expect(P256VerificationTable(rawKey: Array(raw.prefix(63))) == nil, "too short")
        #expect(P256VerificationTable(rawKey: [UInt8](repeating: 0, count: 64)) == nil, "the point (0, 0)")
    }

    @Test("a key gets its table only after enough valid signatures; invalid ones do not count")
    func tableAfterValidSignatures() throws {
        let verifier = ES256Verifier(limits: .init(verificationsBeforeTable: 3, tableInterval: .zero))
        let privateKey = P256.Signing.PrivateKey()
        let key = VerificationKey(privateKey.publicKey)
        let digest = SHA256.hash(data: Data("payload".utf8))
        let signature = Array(try privateKey.signature(for: digest).rawRepresentation)
        var forged = signature
        forged[40] ^= 1
        for _ in 0..<2 { #expect(verifier.isValidSignature(signature, digest: digest, by: key)) }
        for _ in 0..<10 { #expect(!verifier.isValidSignature(forged, digest: digest, by: key)) }
        #expect(!verifier.hasTable(for: key), "two valid signatures and ten forgeries are not three valid ones")
        #expect(verifier.isValidSignature(signature, digest: digest, by: key))
        #expect(verifier.hasTable(for: key))
        #expect(verifier.isValidSignature(signature, digest: digest, by: key), "the table accepts what swift-crypto accepted")
        #expect(!verifier.isValidSignature(forged, digest: digest, by: key), "and refuses the forgery")
    }

    @Test("at most tablesMax tables are kept, the least recently used giving way")
    func tablesBounded() throws {
        let verifier = ES256Verifier(limits: .init(verificationsBeforeTable: 1, tablesMax: 2, tableInterval: .zero))
        let digest = SHA256.hash(data: Data("payload".utf8))
        let signers = (0..<3).map { _ in P256.Signing.PrivateKey() }
        let keys = signers.map { VerificationKey($0.publicKey) }
        let signatures = try signers.map { Array(try $0.signature(for: digest).rawRepresentation) }
        #expect(verifier.isValidSignature(signatures[0], digest: digest, by: keys[0]))
        #expect(verifier.isValidSignature(signatures[1], digest: digest, by: keys[1]))
        #expect(verifier.isValidSignature(signatures[0], digest: digest, by: keys[0]), "key 0 used again: key 1 is now the least recent")
        #expect(verifier.isValidSignature(signatures[2], digest: digest, by: keys[2]))
        #expect(verifier.tableCount == 2)
        #expect(verifier.hasTable(for: keys[0]) && verifier.hasTable(for: keys[2]) && !verifier.hasTable(for: keys[1]))
        #expect(verifier.isValidSignature(signatures[1], digest: digest, by: keys[1]), "a key without its table still verifies")
    }

    @Test("at most one table is built per interval")
    func oneTablePerInterval() throws {
        let verifier = ES256Verifier(limits: .init(verificationsBeforeTable: 1, tableInterval: .seconds(3600)))
        let digest = SHA256.hash(data: Data("payload".utf8))
        let signers = (0..<2).map { _ in P256.Signing.PrivateKey() }
        for signer in signers {
            let key = VerificationKey(signer.publicKey)
            for _ in 0..<3 { #expect(verifier.isValidSignature(Array(try signer.signature(for: digest).rawRepresentation), digest: digest, by: key)) }
        }
        #expect(verifier.hasTable(for: VerificationKey(signers[0].publicKey)))
        #expect(!verifier.hasTable(for: VerificationKey(signers[1].publicKey)), "the second waits for the interval to pass")
    }

    @Test("at most countedKeysMax keys are counted: past it the counts start over")
    func countsBounded() throws {
        let verifier = ES256Verifier(limits: .init(verificationsBeforeTable: 3, tableInterval: .zero, countedKeysMax: 2))
        let digest = SHA256.hash(data: Data("payload".utf8))
        let signers = (0..<3).map { _ in P256.Signing.PrivateKey() }
        func verify(_ index: Int) throws {
            let signature = Array(try signers[index].signature(for: digest).rawRepresentation)
            #expect(verifier.isValidSignature(signature, digest: digest, by: VerificationKey(signers[index].publicKey)))
        }
        try verify(0)
        try verify(0)
        try verify(1)
        try verify(2)
        try verify(0)
        #expect(!verifier.hasTable(for: VerificationKey(signers[0].publicKey)), "key 0's two earlier signatures were forgotten when key 2 came")
        try verify(0)
        try verify(0)
        #expect(verifier.hasTable(for: VerificationKey(signers[0].publicKey)))
    }
}

@Suite("Inverses modulo the order of P-256")
struct P256OrderInverseTests {
    private typealias Limbs = P256OrderInverse.Limbs

    private static func inverse(_ value: Limbs) -> Limbs {
        let bytes = value.bigEndianBytes
        let inverse = bytes.withUnsafeBytes { P256OrderInverse.inverse(ofBigEndian: $0) }
        return inverse!.withUnsafeBytes { Limbs(bigEndian: $0) }
    }

    @Test("known inverses: 1, n − 1 and 2, whose inverse is (n + 1) / 2")
    func knownInverses() {
        let order = P256OrderInverse.order
        #expect(Self.inverse(Limbs(1, 0, 0, 0)) == Limbs(1, 0, 0, 0))
        var minusOne = order
        minusOne.subtract(Limbs(1, 0, 0, 0))
        #expect(Self.inverse(minusOne) == minusOne)
        var half = order
        half.add(Limbs(1, 0, 0, 0))
        half = Limbs(half.l0 >> 1 | half.l1 << 63, half.l1 >> 1 | half.l2 << 63, half.l2 >> 1 | half.l3 << 63, half.l3 >> 1)
        #expect(Self.inverse(Limbs(2, 0, 0, 0)) == half)
    }

    /// `a + b mod n`, for both in [0, n).
    private static func addModOrder(_ a: Limbs, _ b: Limbs) -> Limbs {
        var sum = a
        let carry = sum.add(b)
        if carry || !(sum < P256OrderInverse.order) { sum.subtract(P256OrderInverse.order) }
        return sum
    }

    /// `a · b mod n` by doubling and adding, bit by bit from the top of `b`.
    private static func multiplyModOrder(_ a: Limbs, _ b: Limbs) -> Limbs {
        var product = Limbs(0, 0, 0, 0)
        for limb in [b.l3, b.l2, b.l1, b.l0] {
            for bit in (0..<64).reversed() {
                product = addModOrder(product, product)
                if limb >> UInt64(bit) & 1 == 1 { product = addModOrder(product, a) }
            }
        }
        return product
    }

    @Test("a value times its inverse is 1 mod n, and the inverse of the inverse is the value, across the range")
    func inverseOfInverse() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var value = Limbs(generator.next(), generator.next(), generator.next(), generator.next() >> UInt64.random(in: 0...63))
            if !(value < P256OrderInverse.order) { value.subtract(P256OrderInverse.order) }
            guard !value.isZero else { continue }
            let inverse = Self.inverse(value)
            #expect(Self.multiplyModOrder(value, inverse) == Limbs(1, 0, 0, 0))
            #expect(Self.inverse(inverse) == value)
        }
    }

    @Test("powers of two, whose runs of zeros the division steps skip many at a time, across every limb boundary")
    func powersOfTwo() {
        for exponent in 0..<256 {
            var power = Limbs(0, 0, 0, 0)
            switch exponent / 64 {
            case 0: power.l0 = 1 << UInt64(exponent % 64)
            case 1: power.l1 = 1 << UInt64(exponent % 64)
            case 2: power.l2 = 1 << UInt64(exponent % 64)
            default: power.l3 = 1 << UInt64(exponent % 64)
            }
            let inverse = Self.inverse(power)
            #expect(Self.multiplyModOrder(power, inverse) == Limbs(1, 0, 0, 0), "2^\(exponent)")
            #expect(Self.inverse(inverse) == power, "2^\(exponent)")
        }
    }

    @Test("0, n and values above n have no inverse here")
    func outOfRange() {
        let zero = [UInt8](repeating: 0, count: 32)
        #expect(zero.withUnsafeBytes { P256OrderInverse.inverse(ofBigEndian: $0) } == nil)
        let order = P256OrderInverse.order.bigEndianBytes
        #expect(order.withUnsafeBytes { P256OrderInverse.inverse(ofBigEndian: $0) } == nil)
        let ones = [UInt8](repeating: 0xFF, count: 32)
        #expect(ones.withUnsafeBytes { P256OrderInverse.inverse(ofBigEndian: $0) } == nil)
        #expect([UInt8](repeating: 1, count: 31).withUnsafeBytes { P256OrderInverse.inverse(ofBigEndian: $0) } == nil)
    }
}

/// Sums and differences for building test values; the inverse itself needs neither.
extension P256OrderInverse.Limbs {
    /// Adds `other` and `carry`; returns the carry out of the top limb.
    @discardableResult
    mutating func add(_ other: Self, carry carryIn: Bool = false) -> Bool {
        var carry = carryIn
        for keyPath in [\Self.l0, \Self.l1, \Self.l2, \Self.l3] {
            let (sum, overflow) = self[keyPath: keyPath].addingReportingOverflow(other[keyPath: keyPath])
            let (total, overflowCarry) = sum.addingReportingOverflow(carry ? 1 : 0)
            self[keyPath: keyPath] = total
            carry = overflow || overflowCarry
        }
        return carry
    }

    /// Subtracts `other` (adds its two's complement); returns the borrow out of the top limb.
    @discardableResult
    mutating func subtract(_ other: Self) -> Bool {
        !add(Self(~other.l0, ~other.l1, ~other.l2, ~other.l3), carry: true)
    }
}
