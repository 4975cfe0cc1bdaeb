/// What `GET /readyz` answers: whether the daemon can serve, and the state of each dependency.
///
/// ```json
/// {"status":"ready","checks":[{"name":"storage","status":"up","detail":"…"},{"name":"broker","status":"up","detail":"…"}]}
/// ```
public struct ReadinessReport: Codable, Sendable, Hashable {
    /// The outcome of one dependency check.
    public struct Check: Codable, Sendable, Hashable {
        /// The dependency, such as `storage` or `broker`.
        public var name: String
        /// `up` or `down`.
        public var status: String
        /// What was checked, or why it failed.
        public var detail: String

        /// Whether the dependency is up.
        public var isUp: Bool { status == "up" }

        /// Creates a check result.
        public init(name: String, isUp: Bool, detail: String) {
            self.name = name
            self.status = isUp ? "up" : "down"
            self.detail = detail
        }
    }

    /// `ready` or `not_ready`.
    public var status: String
    /// Every dependency checked.
    public var checks: [Check]

    /// Whether every check is up.
    public var isReady: Bool { status == "ready" }

    /// A report from its checks: ready when every check is up.
    public init(checks: [Check]) {
        self.checks = checks
        self.status = checks.allSatisfy(\.isUp) ? "ready" : "not_ready"
    }
}
