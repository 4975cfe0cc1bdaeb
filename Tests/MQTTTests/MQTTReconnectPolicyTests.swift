import MQTT
import Testing

@Suite("MQTTReconnectPolicy")
struct MQTTReconnectPolicyTests {
    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    @Test("without jitter the delays double from the initial delay and stop at the cap")
    func exponentialAndCapped() {
        let policy = MQTTReconnectPolicy(
            initialDelay: .milliseconds(250), maximumDelay: .seconds(30), jitterFraction: 0)
        var generator = SeededGenerator(seed: 1)
        let delays = (1...10).map { Self.seconds(policy.delay(afterFailedAttempts: $0, using: &generator)) }
        let expected = [0.25, 0.5, 1, 2, 4, 8, 16, 30, 30, 30]
        for (delay, expectation) in zip(delays, expected) {
            #expect(abs(delay - expectation) < 1e-9)
        }
    }

    @Test("no failure yet means no delay")
    func zeroAttempts() {
        var generator = SeededGenerator(seed: 1)
        #expect(MQTTReconnectPolicy().delay(afterFailedAttempts: 0, using: &generator) == .zero)
    }

    @Test("jitter only shortens a delay, by less than the jitter fraction, and spreads the delays")
    func jitterStaysWithinFraction() {
        let policy = MQTTReconnectPolicy(
            initialDelay: .milliseconds(100), maximumDelay: .seconds(5), jitterFraction: 0.2)
        var generator = SeededGenerator(seed: 42)
        var ratios: [Double] = []
        for sample in 0..<2_000 {
            let failedAttempts = sample % 12 + 1
            let undisturbed = min(0.1 * Double(1 << (failedAttempts - 1)), 5)
            let delay = Self.seconds(policy.delay(afterFailedAttempts: failedAttempts, using: &generator))
            ratios.append(delay / undisturbed)
        }
        #expect(ratios.allSatisfy { $0 <= 1 + 1e-9 && $0 > 0.8 - 1e-9 })
        #expect(ratios.min()! < 0.82)
        #expect(ratios.max()! > 0.98)
    }

    @Test("the same seed gives the same delays")
    func deterministicWithSeed() {
        let policy = MQTTReconnectPolicy()
        var first = SeededGenerator(seed: 7)
        var second = SeededGenerator(seed: 7)
        let a = (1...20).map { policy.delay(afterFailedAttempts: $0, using: &first) }
        let b = (1...20).map { policy.delay(afterFailedAttempts: $0, using: &second) }
        #expect(a == b)
    }

    @Test("a huge attempt count stays at the cap instead of overflowing")
    func hugeAttemptCount() {
        let policy = MQTTReconnectPolicy(jitterFraction: 0)
        var generator = SeededGenerator(seed: 3)
        #expect(policy.delay(afterFailedAttempts: 100_000, using: &generator) == .seconds(30))
        #expect(policy.delay(afterFailedAttempts: Int.max, using: &generator) == .seconds(30))
    }
}
