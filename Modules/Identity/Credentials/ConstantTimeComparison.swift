/// Compares two byte sequences in time that depends only on their lengths, never on where they first
/// differ, so an attacker timing comparisons learns nothing about a secret.
///
/// Every byte is compared; differences are accumulated and judged once at the end.
public func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices {
        difference |= lhs[index] ^ rhs[index]
    }
    return difference == 0
}
