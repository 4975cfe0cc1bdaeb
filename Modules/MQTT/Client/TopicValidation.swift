import CMosquitto

/// Checks topics and topic filters before they reach the broker, so bad input gets a clear error.
enum TopicValidation {
    /// The largest payload MQTT 3.1.1 can carry (the maximum remaining length).
    static let payloadSizeMax = 268_435_455

    /// Checks a topic to publish to: non-empty, at most 65,535 bytes of valid UTF-8, no NUL, no wildcards.
    static func validateTopic(_ topic: String) throws(MQTTError) {
        try validateEncoding(topic)
        let result = topic.withCString { mosquitto_pub_topic_check2($0, topic.utf8.count) }
        guard result == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTError(
                .invalidTopic,
                parameters: ["topic": topic, "reason": "a topic to publish to must not contain + or #"]
            )
        }
    }

    /// Checks a subscription filter: `+` stands alone in a level, `#` only as the last level.
    static func validateTopicFilter(_ filter: String) throws(MQTTError) {
        try validateEncoding(filter)
        let result = filter.withCString { mosquitto_sub_topic_check2($0, filter.utf8.count) }
        guard result == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTError(
                .invalidTopic,
                parameters: ["topic": filter, "reason": "+ must fill a whole level and # must be the last level"]
            )
        }
    }

    /// Checks a payload's size against the protocol maximum.
    static func validatePayloadSize(_ byteCount: Int) throws(MQTTError) {
        guard byteCount <= payloadSizeMax else {
            throw MQTTError(
                .payloadTooLarge,
                parameters: ["size": String(byteCount), "maximum": String(payloadSizeMax)]
            )
        }
    }

    private static func validateEncoding(_ topic: String) throws(MQTTError) {
        let byteCount = topic.utf8.count
        guard byteCount > 0 else {
            throw MQTTError(.invalidTopic, parameters: ["topic": topic, "reason": "the topic is empty"])
        }
        guard byteCount <= 65_535, !topic.utf8.contains(0) else {
            throw MQTTError(
                .invalidTopic, parameters: ["topic": topic, "reason": "the topic is too long or contains NUL"])
        }
        let result = topic.withCString { mosquitto_validate_utf8($0, Int32(byteCount)) }
        guard result == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTError(.invalidTopic, parameters: ["topic": topic, "reason": "the topic is not valid MQTT UTF-8"])
        }
    }
}
