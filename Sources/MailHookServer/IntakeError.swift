import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An answer that refuses a request. The body says why (never echoing a secret or a signature);
/// a 401 says nothing more than that.
struct IntakeError: HTTPResponseError {
    let status: HTTPResponse.Status
    let reason: String?
    var closeConnection = false

    static func badRequest(_ reason: String) -> IntakeError { IntakeError(status: .badRequest, reason: reason) }
    static let unauthorized = IntakeError(status: .unauthorized, reason: nil)
    static func tooLarge(limit: Int) -> IntakeError {
        IntakeError(status: .contentTooLarge, reason: "the body exceeds \(limit) bytes", closeConnection: true)
    }
    static func unsupportedMediaType(_ got: String?) -> IntakeError {
        IntakeError(status: .unsupportedMediaType, reason: "expected Content-Type application/json, got \(got.map { "\"\($0.prefix(100))\"" } ?? "none")")
    }
    static let timeout = IntakeError(status: .requestTimeout, reason: "the request body did not arrive in time", closeConnection: true)
    static let unavailable = IntakeError(status: .serviceUnavailable, reason: "storage is unavailable; retry later")

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if closeConnection { headers[.connection] = "close" }
        if status == .serviceUnavailable { headers[.retryAfter] = "5" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: jsonBody)))
    }

    var jsonBody: String {
        if let reason { return JSONResponse.object(["status": "rejected", "reason": reason]) }
        return JSONResponse.object(["status": status == .unauthorized ? "unauthorized" : "rejected"])
    }
}

enum JSONResponse {
    static func object(_ fields: [String: any Sendable]) -> String {
        guard JSONSerialization.isValidJSONObject(fields),
              let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func response(_ status: HTTPResponse.Status, _ fields: [String: any Sendable]) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: object(fields))))
    }
}
