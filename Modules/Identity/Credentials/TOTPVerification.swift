/// The outcome of checking a one-time code.
///
/// A wrong or replayed code is an expected outcome of a login, so it is a value the caller must
/// handle, not a thrown error.
public enum TOTPVerification: Sendable, Hashable {
    /// The code is right for `step`, the 30-second interval it belongs to. Store `step` as the last
    /// used step so the same code cannot be used again.
    case accepted(step: Int64)
    /// The code is wrong, outside the window, or malformed.
    case rejected
    /// The code is right but its step is not after the last used step: it has been used before, or
    /// a later code has.
    case replayed
}
