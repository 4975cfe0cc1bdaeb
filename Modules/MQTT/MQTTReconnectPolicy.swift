/// How long a client waits before each reconnection attempt: capped exponential backoff with jitter.
///
/// After `n` failed attempts the undisturbed delay is `initialDelay × 2^(n−1)`, capped at
/// `maximumDelay`. Jitter then shortens it by a random fraction in `[0, jitterFraction)`, so a delay
/// never exceeds `maximumDelay` and never falls below `(1 − jitterFraction)` of the undisturbed value.
/// Jitter matters when a broker restarts: every client lost its connection at the same instant,
/// and without it they would all come back at the same instants too.
public struct MQTTReconnectPolicy: Sendable, Hashable {
    /// The delay after the first failure (before jitter).
    public var initialDelay: Duration
    /// The longest delay, however many attempts failed.
    public var maximumDelay: Duration
    /// The largest fraction jitter removes from a delay, in `0...1`.
    public var jitterFraction: Double

    /// Creates a policy.
    ///
    /// - Precondition: `initialDelay > .zero`, `maximumDelay >= initialDelay`, `jitterFraction` in `0...1`.
    public init(
        initialDelay: Duration = .milliseconds(250),
        maximumDelay: Duration = .seconds(30),
        jitterFraction: Double = 0.2
    ) {
        precondition(initialDelay > .zero, "initialDelay must be positive")
        precondition(maximumDelay >= initialDelay, "maximumDelay must not be shorter than initialDelay")
        precondition((0.0...1.0).contains(jitterFraction), "jitterFraction must lie in 0...1")
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.jitterFraction = jitterFraction
    }

    /// The delay to wait after `failedAttempts` consecutive failures; `.zero` when nothing failed yet.
    ///
    /// Pass a seeded generator to get a reproducible sequence. Settings changed after `init` to values
    /// outside its preconditions are clamped: a negative delay counts as zero, the jitter as `0...1`.
    public func delay(afterFailedAttempts failedAttempts: Int, using generator: inout some RandomNumberGenerator)
        -> Duration
    {
        guard failedAttempts > 0 else { return .zero }
        let initialSeconds = Self.seconds(initialDelay)
        let maximumSeconds = max(Self.seconds(maximumDelay), 0)
        guard initialSeconds > 0 else { return .zero }
        let jitter = min(max(jitterFraction, 0), 1)
        // 2^(n−1) overflows to +infinity for large n, and min() then picks the cap.
        let exponentialSeconds = initialSeconds * Double.pow2(failedAttempts - 1)
        let cappedSeconds = min(exponentialSeconds, maximumSeconds)
        let reduction = jitter > 0 ? Double.random(in: 0..<jitter, using: &generator) : 0
        let delaySeconds = cappedSeconds * (1 - reduction)
        assert(delaySeconds >= 0 && delaySeconds <= maximumSeconds)
        return .seconds(delaySeconds)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

extension Double {
    /// 2 raised to a non-negative integer power, +infinity once it no longer fits.
    fileprivate static func pow2(_ exponent: Int) -> Double {
        exponent > Double.greatestFiniteMagnitude.exponent
            ? .infinity : Double(sign: .plus, exponent: exponent, significand: 1)
    }
}
