/// The outcome of checking a password against its stored hash.
///
/// A wrong password is an expected outcome of a login, so it is a value the caller must handle, not a
/// thrown error.
public enum PasswordVerification: Sendable, Hashable {
    /// The password is correct. `needsRehash` is true when the stored hash was made with a different
    /// cost than the hasher's, so the caller should hash the password again and store the new form.
    case matches(needsRehash: Bool)
    /// The password is wrong.
    case doesNotMatch
    /// The stored form is malformed, so no password can match it.
    case unreadable
}
