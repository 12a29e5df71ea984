import MailHookCore
@testable import MailHookGraph
import NIOCore
import NIOHTTP1
import Testing

/// Graph's and Entra's error answers are outside input: a megabyte-long code, message or request id
/// must not travel whole into logs and stored errors.
@Suite("Graph error bounds")
struct GraphErrorBoundsTests {
    @Test("an error answer's code, message and request id are cut to bounded lengths")
    func answerFieldsAreBounded() throws {
        let huge = String(repeating: "x", count: 200_000)
        let body = #"{"error":{"code":"\#(huge)","message":"\#(huge)","innerError":{"request-id":"\#(huge)"}}}"#
        let response = GraphClient.Response(status: 503, headers: [:], body: ByteBuffer(string: body))
        let error = GraphClient.error(from: response)
        #expect(error.code.count == GraphError.codeLimit)
        #expect(error.message.count == GraphError.messageLimit)
        #expect(error.requestId?.count == GraphError.codeLimit)
        #expect(error.description.count < 1_000)
    }

    @Test("a request id header is bounded like the body's fields")
    func headerIsBounded() {
        let headers = HTTPHeaders([("request-id", String(repeating: "r", count: 50_000))])
        let response = GraphClient.Response(status: 500, headers: headers, body: ByteBuffer(string: "not json"))
        let error = GraphClient.error(from: response)
        #expect(error.code == "HTTP500")
        #expect(error.requestId?.count == GraphError.codeLimit)
    }

    @Test("a code of one character and many combining marks is bounded too")
    func combiningMarks() {
        let bomb = "a" + String(repeating: "\u{301}", count: 100_000)
        let error = GraphError(kind: .http, status: 500, code: bomb, message: bomb, requestId: bomb)
        #expect(error.code.unicodeScalars.count == GraphError.codeLimit)
        #expect(error.message.unicodeScalars.count == GraphError.messageLimit)
        #expect(error.requestId?.unicodeScalars.count == GraphError.codeLimit)
    }

    @Test("an error built anywhere else (the token endpoint's) is bounded too")
    func initialiserBounds() {
        let error = GraphError(kind: .authentication, status: 400, code: String(repeating: "c", count: 10_000),
                               message: String(repeating: "m", count: 10_000))
        #expect(error.code.count == GraphError.codeLimit)
        #expect(error.message.count == GraphError.messageLimit)
    }
}
