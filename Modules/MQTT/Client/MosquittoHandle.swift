import CMosquitto
import Foundation

/// libmosquitto's client instance, shared by the caller's tasks and the client's network thread.
///
/// `OpaquePointer` is not `Sendable`, and the compiler cannot see libmosquitto's own locks, hence
/// `@unchecked`. Sharing is sound because of three rules the client keeps:
/// - the instance runs in threaded mode (`mosquitto_threaded_set`), in which `mosquitto_publish`,
///   `mosquitto_subscribe`, `mosquitto_unsubscribe` and `mosquitto_disconnect` take libmosquitto's
///   mutexes and only queue packets, which the network thread alone writes;
/// - settings (credentials, will, TLS) change only in `configure`, which runs while no network thread
///   exists (`ClientPhase.idle` → `.connecting`, under the client's mutex);
/// - `destroy` runs only from `ClientCore.deinit`, after the network thread, which owns a reference
///   to the core, has exited.
struct MosquittoHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Creates a client instance. An empty identifier lets the broker choose one.
    init(configuration: MQTTClientConfiguration) {
        MosquittoLibrary.ensureInitialized()
        let clientID = configuration.clientID.isEmpty ? nil : configuration.clientID
        // libmosquitto refuses a persistent session without an identifier; `connect()` reports
        // that combination as `invalidConfiguration` before the handle is ever used.
        let cleanSession = configuration.cleanSession || clientID == nil
        guard let pointer = mosquitto_new(clientID, cleanSession, nil) else {
            preconditionFailure("mosquitto_new failed: \(String(cString: strerror(errno)))")
        }
        self.pointer = pointer
        mosquitto_threaded_set(pointer, true)
        mosquitto_int_option(pointer, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311)
        mosquitto_int_option(pointer, MOSQ_OPT_TCP_NODELAY, 1)
    }

    /// Frees the instance and closes its socket without DISCONNECT.
    func destroy() {
        mosquitto_destroy(pointer)
    }

    /// Applies credentials, last will and TLS. Runs only while no network thread exists.
    func configure(with configuration: MQTTClientConfiguration) throws(MQTTError) {
        try check(
            mosquitto_username_pw_set(pointer, configuration.username, configuration.password),
            operation: "username_pw_set"
        )
        if let will = configuration.will {
            let result = will.payload.withUnsafeBytes { payload in
                mosquitto_will_set(
                    pointer, will.topic, Int32(payload.count), payload.baseAddress, will.qos.rawValue, will.retain
                )
            }
            try check(result, operation: "will_set")
        } else {
            try check(mosquitto_will_clear(pointer), operation: "will_clear")
        }
        if let tls = configuration.tls {
            try configureTLS(tls)
        }
    }

    /// Queues a PUBLISH; returns its packet identifier.
    func publish(_ message: MQTTMessage) throws(MQTTError) -> Int32 {
        var identifier: Int32 = 0
        let result = message.payload.withUnsafeBytes { payload in
            mosquitto_publish(
                pointer, &identifier, message.topic, Int32(payload.count), payload.baseAddress,
                message.qos.rawValue, message.retain
            )
        }
        try check(result, operation: "publish")
        return identifier
    }

    /// Queues a SUBSCRIBE; returns its packet identifier.
    func subscribe(_ topicFilter: String, qos: MQTTQoS) throws(MQTTError) -> Int32 {
        var identifier: Int32 = 0
        try check(mosquitto_subscribe(pointer, &identifier, topicFilter, qos.rawValue), operation: "subscribe")
        return identifier
    }

    /// Queues an UNSUBSCRIBE; returns its packet identifier.
    func unsubscribe(_ topicFilter: String) throws(MQTTError) -> Int32 {
        var identifier: Int32 = 0
        try check(mosquitto_unsubscribe(pointer, &identifier, topicFilter), operation: "unsubscribe")
        return identifier
    }

    private func configureTLS(_ tls: MQTTTLSConfiguration) throws(MQTTError) {
        for file in [tls.caFile, tls.certificateFile, tls.keyFile].compactMap({ $0 }) {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw MQTTError(
                    .tlsConfiguration, parameters: ["file": file, "reason": "the file is missing or unreadable"])
            }
        }
        let result = mosquitto_tls_set(pointer, tls.caFile, nil, tls.certificateFile, tls.keyFile, nil)
        guard result == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTError(
                .tlsConfiguration,
                parameters: ["file": tls.caFile, "reason": String(cString: mosquitto_strerror(result))]
            )
        }
    }

    private func check(_ result: Int32, operation: String) throws(MQTTError) {
        if let error = MosquittoLibrary.error(for: result, operation: operation) {
            throw error
        }
    }
}
