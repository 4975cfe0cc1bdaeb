import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import Identity
import IdentityHTTP
import NIOCore
import NIOHTTP1
import SmartNationCore
import SmartNationHTTP
import Synchronization

/// The identity platform's figures beside `openssl speed ecdsap256` from the same run: ID tokens
/// signed and verified in process, device-key logins, and token-endpoint requests over HTTP on
/// loopback (FAPI 2.0 profile: `private_key_jwt` + DPoP + PKCE, load generated in the same process).
/// Password hashing is reported apart: it is slow on purpose.
struct IdentityBenchmarks {
    let tokenCount: Int
    let httpRequests: Int
    let concurrency: Int

    static let issuer = "https://id.bench.sg"
    static let redirectURI = "https://app.bench.sg/cb"

    func run(into table: inout ResultTable, repetitions: Int) async throws {
        let openssl = try OpenSSLSpeed.measure()
        print(String(format: "openssl speed ecdsap256: %.0f sign/s, %.0f verify/s", openssl.signRate, openssl.verifyRate))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smartnation-bench-identity-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let platform = try await IdentityPlatform.open(in: directory, sealer: .random(), issuer: Self.issuer)
        let citizen = try await platform.citizens.register(CitizenRegistration(
            nric: "S1234567D", name: "Tan Ah Kow", dateOfBirth: "1980-01-31", sex: .male, nationality: "SINGAPORE CITIZEN",
            address: try RegisteredAddress(block: "1", street: "Orchard Road", postalCode: "238801")))

        let claims = IDTokenClaims(
            issuer: Self.issuer, subject: citizen.subject, audience: "sn-bench", issuedAt: Int(Date().timeIntervalSince1970),
            expiresAt: Int(Date().timeIntervalSince1970) + 600, authTime: Int(Date().timeIntervalSince1970), nonce: "n",
            authenticationMethods: ["pwd", "otp"], attributes: ["name": .object(["value": .string("Tan Ah Kow")])])
        var token = ""
        let signRate = try await medianRate(count: tokenCount, repetitions: repetitions) {
            for _ in 0..<tokenCount { token = try platform.openID.signingKeys.sign(claims) }
        }
        table.add("ID tokens signed (ES256)", rate: signRate, baseline: "openssl speed ecdsap256 sign", baselineRate: openssl.signRate, target: "≥ 50%")
        let verifyRate = try await medianRate(count: tokenCount, repetitions: repetitions) {
            for _ in 0..<tokenCount { _ = try await platform.openID.verifyIDToken(token, audience: "sn-bench") }
        }
        table.add("ID tokens verified", rate: verifyRate, baseline: "openssl speed ecdsap256 verify", baselineRate: openssl.verifyRate, target: "—")

        let deviceKey = P256.Signing.PrivateKey()
        _ = try await platform.devices.register(
            deviceID: "bench-phone", subject: citizen.subject, displayName: "Bench phone", publicKey: deviceKey.publicKey.x963Representation)
        let deviceLogins = tokenCount / 4
        let deviceRate = try await medianRate(count: deviceLogins, repetitions: repetitions) {
            for _ in 0..<deviceLogins {
                let challenge = try await platform.devices.challenge(deviceID: "bench-phone", purpose: "login")
                let signature = try deviceKey.signature(for: challenge.signedBytes).derRepresentation
                _ = try await platform.devices.login(nonce: challenge.nonce, signature: signature, clientAddress: "127.0.0.1")
            }
        }
        table.add("device-key logins (challenge, sign, verify, audit)", rate: deviceRate, baseline: "openssl speed ecdsap256 verify",
                  baselineRate: openssl.verifyRate, target: "—")

        let (httpRate, helloRate) = try await tokenEndpointOverHTTP(platform: platform, subject: citizen.subject, repetitions: repetitions)
        table.add("token endpoint over HTTP (private_key_jwt + DPoP + PKCE)", rate: httpRate,
                  baseline: "HTTP GET of a static route, same server", baselineRate: helloRate, target: "≥ 5,000/s")

        let hasher = PasswordHasher()
        let started = ContinuousClock.now
        _ = try hasher.hash("correct horse battery staple")
        print("password hash (PBKDF2-HMAC-SHA256, \(PasswordHasher.roundsDefault) rounds): \(ContinuousClock.now - started) per hash, slow on purpose")
    }

    /// Token requests with codes, assertions and DPoP proofs made before the clock starts.
    private func tokenEndpointOverHTTP(platform: IdentityPlatform, subject: String, repetitions: Int) async throws -> (Double, Double) {
        let client = BenchClient()
        let registered = try await platform.openID.clients.register(ClientRegistration(
            name: "Bench", redirectURIs: [Self.redirectURI], scopes: ["openid", "name"], jwks: client.jwks))
        let clientID = registered.client.clientID
        let router = Router(context: SmartNationRequestContext.self)
        IdentityRoutes(platform: platform, adminToken: "bench-admin-token-0123456789").add(to: router)
        router.get("/bench/hello") { _, _ in "hello" }
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "bench"),
            onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) })
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            defer { group.cancelAll() }
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next() else { throw CancellationError() }
            let base = "http://127.0.0.1:\(port)"
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)))
            defer { _ = http.shutdown() }
            let helloRate = try await medianRate(count: httpRequests, repetitions: repetitions) {
                try await send(http, count: httpRequests) { _ in
                    var request = HTTPClientRequest(url: base + "/bench/hello")
                    request.method = .GET
                    return request
                }
            }
            var rates: [Double] = []
            for _ in 0..<max(1, repetitions) {
                var bodies: [String] = []
                let preparation = ContinuousClock.now
                for _ in 0..<httpRequests {
                    let form = ["response_type": "code", "client_id": clientID, "redirect_uri": Self.redirectURI, "scope": "openid name",
                                "code_challenge": BenchClient.challenge, "code_challenge_method": "S256", "nonce": "n"]
                    let pushed = try await platform.openID.pushAuthorizationRequest(
                        form: form, credentials: ClientCredentials(assertionType: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                                                   assertion: try client.assertion(clientID: clientID, audience: Self.issuer)),
                        dpopProof: nil)
                    let redirect = try await platform.openID.completeAuthorization(
                        clientID: clientID, requestURI: pushed.requestURI, subject: subject, methods: ["pwd"], authenticatedAt: Date(), approved: true)
                    let code = URLComponents(string: redirect)?.queryItems?.first { $0.name == "code" }?.value ?? ""
                    bodies.append([
                        "grant_type=authorization_code", "code=\(code)", "redirect_uri=\(Self.redirectURI.formEncoded)",
                        "code_verifier=\(BenchClient.verifier)", "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer",
                        "client_assertion=\(try client.assertion(clientID: clientID, audience: Self.issuer))",
                    ].joined(separator: "&"))
                }
                let prepared = ContinuousClock.now - preparation
                print(String(
                    format: "in process, one task: %.0f pushed requests + approvals/s (made the codes for the HTTP run)",
                    Double(httpRequests) / (Double(prepared.components.seconds) + Double(prepared.components.attoseconds) / 1e18)))
                let requestBodies = bodies
                let proofs = try (0..<httpRequests).map { _ in try client.dpopProof(url: Self.issuer + "/oauth2/token") }
                let failures = Failures()
                let clock = ContinuousClock()
                let elapsed = try await clock.measure {
                    try await send(http, count: httpRequests, failures: failures) { index in
                        var request = HTTPClientRequest(url: base + "/oauth2/token")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                        request.headers.add(name: "DPoP", value: proofs[index])
                        request.body = .bytes(ByteBuffer(string: requestBodies[index]))
                        return request
                    }
                }
                guard failures.count == 0 else { throw BenchmarkFailure(reason: "\(failures.count) token requests failed, the first with \(failures.first)") }
                rates.append(Double(httpRequests) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
            }
            return (rates.sorted()[rates.count / 2], helloRate)
        }
    }

    /// Sends `count` requests, `concurrency` at a time; non-200 answers are counted in `failures`.
    private func send(
        _ http: HTTPClient, count: Int, failures: Failures = Failures(), _ make: @escaping @Sendable (Int) -> HTTPClientRequest
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    for index in stride(from: worker, to: count, by: concurrency) {
                        let response = try await http.execute(make(index), timeout: .seconds(30))
                        let body = try await response.body.collect(upTo: 1 << 20)
                        if response.status != .ok { failures.record("\(response.status.code) \(String(buffer: body))") }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// Counts failed requests across tasks and keeps the first answer, to report why.
final class Failures: Sendable {
    private let state = Mutex((count: 0, first: String?.none))
    func record(_ answer: String) { state.withLock { $0.count += 1; $0.first = $0.first ?? answer } }
    var count: Int { state.withLock { $0.count } }
    var first: String { state.withLock { $0.first ?? "" } }
}

/// A benchmark that could not measure what it set out to.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// `openssl speed ecdsap256`, run for a few seconds: the raw P-256 sign and verify rates of the
/// system OpenSSL on one core.
struct OpenSSLSpeed {
    let signRate: Double
    let verifyRate: Double

    static func measure() throws -> OpenSSLSpeed {
        // `openssl speed` times itself with SIGALRM; a child inherits its parent thread's signal mask,
        // and the Swift runtime's threads may block that signal.
        var alarm = sigset_t()
        sigemptyset(&alarm)
        sigaddset(&alarm, SIGALRM)
        pthread_sigmask(SIG_UNBLOCK, &alarm, nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "speed", "-seconds", "3", "ecdsap256"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let line = text.split(separator: "\n").first(where: { $0.contains("ecdsa (nistp256)") }) else {
            throw BenchmarkFailure(reason: "openssl speed printed no nistp256 line")
        }
        let numbers = line.split(separator: " ").compactMap { Double($0) }
        guard numbers.count >= 2 else { throw BenchmarkFailure(reason: "cannot read \(line)") }
        return OpenSSLSpeed(signRate: numbers[numbers.count - 2], verifyRate: numbers[numbers.count - 1])
    }
}

/// The integrator's side of the benchmark: ES256 client assertions and DPoP proofs made with swift-crypto.
struct BenchClient: Sendable {
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    let clientKey = P256.Signing.PrivateKey()
    let dpopKey = P256.Signing.PrivateKey()

    var jwks: String {
        #"{"keys":[\#(Self.jwk(clientKey.publicKey, kid: "bench-1"))]}"#
    }

    func assertion(clientID: String, audience: String) throws -> String {
        let now = Int(Date().timeIntervalSince1970)
        return try Self.sign(
            header: #"{"alg":"ES256","typ":"JWT","kid":"bench-1"}"#,
            claims: #"{"iss":"\#(clientID)","sub":"\#(clientID)","aud":"\#(audience)","iat":\#(now),"exp":\#(now + 110),"jti":"\#(UUID().uuidString)"}"#,
            key: clientKey)
    }

    func dpopProof(url: String) throws -> String {
        try Self.sign(
            header: #"{"alg":"ES256","typ":"dpop+jwt","jwk":\#(Self.jwk(dpopKey.publicKey))}"#,
            claims: #"{"jti":"\#(UUID().uuidString)","htm":"POST","htu":"\#(url)","iat":\#(Int(Date().timeIntervalSince1970))}"#,
            key: dpopKey)
    }

    private static func jwk(_ key: P256.Signing.PublicKey, kid: String? = nil) -> String {
        let raw = key.rawRepresentation
        let kidMember = kid.map { #","kid":"\#($0)""# } ?? ""
        return #"{"kty":"EC","crv":"P-256","x":"\#(Data(raw.prefix(32)).base64URL)","y":"\#(Data(raw.suffix(32)).base64URL)"\#(kidMember)}"#
    }

    private static func sign(header: String, claims: String, key: P256.Signing.PrivateKey) throws -> String {
        let input = Data(header.utf8).base64URL + "." + Data(claims.utf8).base64URL
        return input + "." + (try key.signature(for: Data(input.utf8)).rawRepresentation.base64URL)
    }
}

extension Data {
    fileprivate var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

extension String {
    fileprivate var formEncoded: String {
        addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? self
    }
}
