import Foundation
import Testing
import ToolSupport

@testable import Identity

/// Runs a Python snippet in the project's virtualenv and returns what it printed, trimmed.
func runPython(_ script: String) async throws -> String {
    let outcome = try await PythonScript.runInterpreter(["-c", script])
    try #require(outcome.status == 0, "python failed: \(outcome.standardError)")
    return outcome.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
}

@Suite("TOTP against pyotp, a real third-party implementation")
struct TOTPInteropTests {
    @Test("codes pyotp makes from our otpauth:// URI are accepted by our verifier, and ours by pyotp")
    func pyotpAgreesWithUs() async throws {
        let secret = TOTPSecret.generate()
        let generator = TOTPGenerator(secret: secret)
        let uri = generator.provisioningURI(account: "S1234567D", issuer: "Smart Nation")
        let times: [Int64] = [59, 1_111_111_109, 1_795_000_000, 2_000_000_000]
        let script = """
            import pyotp
            totp = pyotp.parse_uri(\(String(reflecting: uri)))
            print(" ".join(totp.at(t) for t in \(times)))
            ok = all(totp.verify(c, for_time=t) for c, t in zip(\(String(reflecting: times.map { generator.code(at: Date(timeIntervalSince1970: TimeInterval($0))) })), \(times)))
            print("verified" if ok else "refused")
            """
        let lines = try await runPython(script).split(separator: "\n")
        #expect(lines.count == 2)
        let theirCodes = lines[0].split(separator: " ").map(String.init)
        for (code, time) in zip(theirCodes, times) {
            let date = Date(timeIntervalSince1970: TimeInterval(time))
            #expect(generator.verify(code, at: date, lastUsedStep: nil) == .accepted(step: TOTPGenerator.step(at: date)))
        }
        #expect(lines[1] == "verified", "pyotp accepts the codes we generate")
    }
}
