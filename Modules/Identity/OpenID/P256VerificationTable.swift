import COpenSSL
import Crypto
import Foundation

/// ECDSA P-256 verification for one public key, with the key's multiples precomputed.
///
/// Verifying `(r, s)` over a digest `e` computes `u1·G + u2·Q` and compares its `x` with `r`
/// (SEC 1 §4.1.4). `G`'s multiples are precomputed in every P-256 implementation, so `u1·G` costs a
/// few dozen point additions; `u2·Q` for a key seen for the first time needs some 255 doublings
/// on top, three quarters of a verification. This table holds the same comb of multiples for `Q`
/// (OpenSSL's `ecp_nistz256` table, 37 × 64 affine points, ~150 KB), built once in ~20 ms, after which
/// `u2·Q` costs what `u1·G` does and a verification about half what it did. Worth it for the keys a
/// provider verifies all day: its clients' assertion keys and their DPoP keys (``ES256Verifier``
/// decides which keys get one), or for an integrator, the one partner key it checks every message of.
///
/// Only public values go through here, so nothing needs constant time. The arithmetic is OpenSSL's;
/// what this type adds is the ECDSA verification equation around it, which the tests check against
/// swift-crypto's verifier on valid, tampered and out-of-range signatures.
public final class P256VerificationTable: @unchecked Sendable {
    // @unchecked: `keyGroup` is written only here, before the table is shared; afterwards OpenSSL
    // only reads it (as it reads the standard group from every thread).

    /// The key's group: P-256 with the key as its generator and that generator's multiples precomputed.
    private let keyGroup: OpaquePointer

    /// The table for the public key with these raw coordinates (`x ‖ y`, 32 bytes each); `nil` when
    /// they are not a point on the curve or OpenSSL cannot build the table.
    public init?(rawKey: some ContiguousBytes) {
        guard let curve = P256Curve.shared, let context = BN_CTX_new() else { return nil }
        defer { BN_CTX_free(context) }
        guard let group = EC_GROUP_dup(curve.group) else { return nil }
        let built = rawKey.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Bool in
            guard raw.count == 64, let point = EC_POINT_new(group) else { return false }
            defer { EC_POINT_free(point) }
            BN_CTX_start(context)
            defer { BN_CTX_end(context) }
            let xBytes = UnsafeRawBufferPointer(rebasing: raw[..<32]), yBytes = UnsafeRawBufferPointer(rebasing: raw[32...])
            guard let x = BN_CTX_get(context), let y = BN_CTX_get(context),
                  BN_bin2bn(xBytes.baseAddress, 32, x) != nil, BN_bin2bn(yBytes.baseAddress, 32, y) != nil,
                  EC_POINT_set_affine_coordinates(group, point, x, y, context) == 1
            else { return false }
            return EC_GROUP_set_generator(group, point, curve.order, BN_value_one()) == 1
                && sn_ec_group_precompute_mult(group, context) == 1
        }
        guard built else {
            EC_GROUP_free(group)
            ERR_clear_error()
            return nil
        }
        keyGroup = group
    }

    deinit {
        EC_GROUP_free(keyGroup)
    }

    /// Whether `signature` — `r ‖ s`, 32 bytes each, as JWS carries ES256 (RFC 7518 §3.4) — is this
    /// key's signature of `digest`.
    public func isValidSignature(_ signature: some ContiguousBytes, digest: SHA256Digest) -> Bool {
        guard let curve = P256Curve.shared else { return false }
        let valid = signature.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Bool in
            guard raw.count == 64 else { return false }
            return digest.withUnsafeBytes { (digestBytes: UnsafeRawBufferPointer) -> Bool in
                verify(r: UnsafeRawBufferPointer(rebasing: raw[..<32]), s: UnsafeRawBufferPointer(rebasing: raw[32...]),
                       digest: digestBytes, curve: curve)
            }
        }
        if !valid { ERR_clear_error() }
        return valid
    }

    /// SEC 1 §4.1.4 steps 1 and 4–8, with `u1·G` on the standard group and `u2·Q` on the key's.
    private func verify(r rBytes: UnsafeRawBufferPointer, s sBytes: UnsafeRawBufferPointer, digest: UnsafeRawBufferPointer, curve: P256Curve) -> Bool {
        guard let context = BN_CTX_new() else { return false }
        defer { BN_CTX_free(context) }
        BN_CTX_start(context)
        defer { BN_CTX_end(context) }
        guard let r = BN_CTX_get(context), let s = BN_CTX_get(context), let e = BN_CTX_get(context),
              let w = BN_CTX_get(context), let u1 = BN_CTX_get(context), let u2 = BN_CTX_get(context),
              let x = BN_CTX_get(context),
              BN_bin2bn(rBytes.baseAddress, 32, r) != nil, BN_bin2bn(sBytes.baseAddress, 32, s) != nil,
              BN_bin2bn(digest.baseAddress, Int32(digest.count), e) != nil
        else { return false }
        // 1: r and s in [1, n − 1].
        guard BN_is_zero(r) == 0, BN_is_zero(s) == 0, BN_cmp(r, curve.order) < 0, BN_cmp(s, curve.order) < 0 else { return false }
        // 4–5: w = s⁻¹, u1 = e·w, u2 = r·w (mod n); a 256-bit digest is used whole.
        guard let inverse = P256OrderInverse.inverse(ofBigEndian: sBytes), BN_bin2bn(inverse, 32, w) != nil,
              BN_mod_mul(u1, e, w, curve.order, context) == 1, BN_mod_mul(u2, r, w, curve.order, context) == 1
        else { return false }
        // 6: R = u1·G + u2·Q, each from its precomputed multiples; the key's group and the standard one
        // share the curve, the field and its representation, so a point moves between them as it is.
        guard let sum = EC_POINT_new(curve.group), let keyMultiple = EC_POINT_new(keyGroup), let addend = EC_POINT_new(curve.group) else {
            return false
        }
        defer {
            EC_POINT_free(sum)
            EC_POINT_free(keyMultiple)
            EC_POINT_free(addend)
        }
        guard EC_POINT_mul(curve.group, sum, u1, nil, nil, context) == 1,
              EC_POINT_mul(keyGroup, keyMultiple, u2, nil, nil, context) == 1,
              EC_POINT_copy(addend, keyMultiple) == 1,
              EC_POINT_add(curve.group, sum, sum, addend, context) == 1,
              EC_POINT_is_at_infinity(curve.group, sum) == 0,
              // 7–8: v = x(R) mod n, valid when v = r.
              EC_POINT_get_affine_coordinates(curve.group, sum, x, nil, context) == 1,
              BN_nnmod(x, x, curve.order, context) == 1
        else { return false }
        return BN_cmp(x, r) == 0
    }
}

/// OpenSSL's P-256 group (`prime256v1`, with its built-in table for `G`) and its order `n`: made once,
/// read by every table from any thread, never freed.
private final class P256Curve: @unchecked Sendable {
    // @unchecked: both pointers are only read after `shared` is made.
    let group: OpaquePointer
    let order: OpaquePointer

    /// The curve, or `nil` if this OpenSSL has no P-256 (then no table is ever built).
    static let shared: P256Curve? = {
        guard let group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1), let order = EC_GROUP_get0_order(group) else { return nil }
        return P256Curve(group: group, order: order)
    }()

    private init(group: OpaquePointer, order: OpaquePointer) {
        self.group = group
        self.order = order
    }
}
