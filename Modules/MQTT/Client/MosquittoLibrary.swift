import CMosquitto

/// Process-wide libmosquitto set-up and the translation of its return codes.
enum MosquittoLibrary {
    /// The granted-QoS byte of a SUBACK that refuses the subscription.
    static let subscriptionFailure: Int32 = 0x80

    /// `mosquitto_lib_init` keeps an unsynchronised reference count, so it must run exactly once;
    /// a static stored property is initialised exactly once, thread-safely, on first use.
    private static let initialization: Void = {
        let result = mosquitto_lib_init()
        precondition(result == MOSQ_ERR_SUCCESS.rawValue, "mosquitto_lib_init failed with \(result)")
    }()

    /// Initialises libmosquitto if this process has not yet done so.
    static func ensureInitialized() {
        initialization
    }

    /// The error for a libmosquitto return code; `nil` for success.
    static func error(for returnCode: Int32, operation: String) -> MQTTError? {
        guard returnCode != MOSQ_ERR_SUCCESS.rawValue else { return nil }
        let parameters = [
            "operation": operation,
            "reason": String(cString: mosquitto_strerror(returnCode)),
            "returnCode": String(returnCode),
        ]
        return MQTTError(code(for: returnCode), parameters: parameters)
    }

    private static func code(for returnCode: Int32) -> MQTTError.Code {
        switch mosq_err_t(rawValue: returnCode) {
        case MOSQ_ERR_NO_CONN:
            .notConnected
        case MOSQ_ERR_CONN_LOST, MOSQ_ERR_KEEPALIVE, MOSQ_ERR_ERRNO, MOSQ_ERR_EAI, MOSQ_ERR_LOOKUP, MOSQ_ERR_TIMEOUT:
            .connectionLost
        case MOSQ_ERR_CONN_REFUSED, MOSQ_ERR_AUTH, MOSQ_ERR_ACL_DENIED:
            .connectionRefused
        case MOSQ_ERR_TLS, MOSQ_ERR_TLS_HANDSHAKE, MOSQ_ERR_OCSP:
            .tlsConfiguration
        case MOSQ_ERR_PAYLOAD_SIZE, MOSQ_ERR_OVERSIZE_PACKET:
            .payloadTooLarge
        case MOSQ_ERR_INVAL, MOSQ_ERR_NOT_SUPPORTED, MOSQ_ERR_QOS_NOT_SUPPORTED:
            .invalidConfiguration
        case MOSQ_ERR_MALFORMED_UTF8:
            .invalidTopic
        default:
            .protocolError
        }
    }
}
