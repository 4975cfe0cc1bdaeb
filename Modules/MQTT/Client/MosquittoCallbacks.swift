import CMosquitto
import Logging
import Synchronization

/// libmosquitto's callbacks. They run on the network thread, inside `mosquitto_loop`, and reach the
/// core through the unretained userdata pointer. C function pointers cannot capture context, so each
/// closure is capture-free and forwards to a method.
extension ClientCore {
    func installCallbacks() {
        let pointer = handle.pointer
        mosquitto_connect_with_flags_callback_set(pointer) { _, userdata, returnCode, flags in
            ClientCore.from(userdata).connectionAcknowledged(returnCode: returnCode, flags: flags)
        }
        mosquitto_message_callback_set(pointer) { _, userdata, message in
            guard let message else { return }
            ClientCore.from(userdata).messageArrived(message.pointee)
        }
        mosquitto_publish_callback_set(pointer) { _, userdata, identifier in
            ClientCore.from(userdata).acknowledgementArrived(identifier, value: 0)
        }
        mosquitto_subscribe_callback_set(pointer) { _, userdata, identifier, grantedCount, granted in
            let value = grantedCount > 0 ? granted?[0] : nil
            ClientCore.from(userdata).acknowledgementArrived(
                identifier,
                value: value ?? MosquittoLibrary.subscriptionFailure
            )
        }
        mosquitto_unsubscribe_callback_set(pointer) { _, userdata, identifier in
            ClientCore.from(userdata).acknowledgementArrived(identifier, value: 0)
        }
        // libmosquitto formats a line for every packet; ask for them only when someone reads them.
        if logger.logLevel <= .trace {
            mosquitto_log_callback_set(pointer) { _, userdata, _, text in
                guard let text else { return }
                ClientCore.from(userdata).logger.trace("libmosquitto: \(String(cString: text))")
            }
        }
    }

    private static func from(_ userdata: UnsafeMutableRawPointer?) -> ClientCore {
        guard let userdata else { preconditionFailure("a libmosquitto callback arrived without userdata") }
        return Unmanaged<ClientCore>.fromOpaque(userdata).takeUnretainedValue()
    }

    private func connectionAcknowledged(returnCode: Int32, flags: Int32) {
        guard returnCode == 0 else {
            let error = MQTTError(
                .connectionRefused,
                parameters: [
                    "reason": String(cString: mosquitto_connack_string(returnCode)), "returnCode": "\(returnCode)",
                ]
            )
            logger.info("MQTT connection refused", metadata: ["mqtt.error": "\(error)"])
            state.withLock { $0.connectionRefused(error) }
            return
        }
        let sessionPresent = flags & 1 == 1
        let renewals = transition { state, effects in
            state.connectionAccepted(sessionPresent: sessionPresent, effects: &effects)
        }
        guard !renewals.isEmpty else { return }
        var identifiers: [Int32: String] = [:]
        for (topicFilter, qos) in renewals {
            do {
                identifiers[try handle.subscribe(topicFilter, qos: qos)] = topicFilter
            } catch {
                logger.info(
                    "MQTT could not renew a subscription",
                    metadata: ["mqtt.topicFilter": "\(topicFilter)", "mqtt.error": "\(error)"]
                )
            }
        }
        transition { state, effects in state.resubscriptionsSent(identifiers, effects: &effects) }
    }

    private func messageArrived(_ message: mosquitto_message) {
        guard let topic = message.topic else { return }
        var payload: [UInt8] = []
        if let bytes = message.payload, message.payloadlen > 0 {
            payload = Array(UnsafeRawBufferPointer(start: bytes, count: Int(message.payloadlen)))
        }
        let received = MQTTMessage(
            topic: String(cString: topic),
            payload: payload,
            qos: MQTTQoS(rawValue: message.qos) ?? .atLeastOnce,
            retain: message.retain
        )
        if case .dropped(startsBurst: true) = buffer.offer(received) {
            logger.info(
                "MQTT incoming buffer full; dropping messages until the consumer catches up",
                metadata: ["mqtt.capacity": "\(buffer.capacity)", "mqtt.dropped": "\(buffer.droppedCount)"]
            )
        }
    }

    private func acknowledgementArrived(_ identifier: Int32, value: Int32) {
        transition { state, effects in state.acknowledgementArrived(identifier, value: value, effects: &effects) }
    }
}
