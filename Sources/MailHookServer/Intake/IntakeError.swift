import Foundation
import HTTPTypes
import Hummingbird
import MailHookCore
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
        IntakeError(status: .unsupportedMediaType, reason: "expected Content-Type application/json, got \(got.map { "\"\($0.clipped(to: 100))\"" } ?? "none")")
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
        if let reason { return JSONWriter.text(Answer(status: .rejected, reason: reason)) }
        return JSONWriter.text(Answer(status: status == .unauthorized ? .unauthorized : .rejected))
    }
}

/// The `status` of a JSON answer (DESIGN §3 "HTTP endpoints").
enum AnswerStatus: String, Encodable {
    case accepted, duplicate, filtered, rejected, unauthorized
    case ok, ready, unavailable
}

/// The small JSON answers of the receive path and the probes.
struct Answer: Encodable {
    var status: AnswerStatus
    var id: Int64?
    var reason: String?
    var database: String?
}

enum JSONResponse {
    static func response(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.data(value))))
    }
}
