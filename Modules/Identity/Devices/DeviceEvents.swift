import Foundation
import SmartNationCore

/// A device registration was refused (malformed id or key, id taken, too many devices, unknown
/// citizen): the audit trail of bad input. Nothing was registered.
public struct DeviceRegistrationRejected: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.device.registration_rejected"
    /// The citizen whose session asked.
    public var subject: String
    /// The device id as the request named it, at most 64 bytes of it.
    public var deviceID: String
    /// The stable error code of the refusal.
    public var code: String
}
