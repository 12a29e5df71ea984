import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MailHookCore
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real HTTP server on 127.0.0.1 (a free port) that answers OpenAI chat completions
/// (`POST /v1/chat/completions`) and the Azure OpenAI form
/// (`POST /openai/deployments/{name}/chat/completions`) in OpenAI's response shape.
///
/// It recognises the three MailHook prompts by wording in ``PromptTemplates`` ("Classify this
/// email.", "How likely is it that", "Write the reply the IT department sends") and answers each
/// as its ``Behaviour`` says; ``enqueue(_:)`` scripts the next requests, then ``mode`` applies.
///
/// ```swift
/// try await FakeLLM.with { llm in
///     llm.mode = .good(category: .purchasing, urgency: .high)
///     llm.enqueue([.status(503)])   // the first request fails, the retry succeeds
///     // point the client at llm.baseURL …
/// }
/// ```
///
/// All state sits behind one `Mutex`, which is never held across an `await`.
public final class FakeLLM: Sendable {
    /// How the fake answers a request.
    public enum Behaviour: Sendable, Equatable {
        /// Classification prompts get a valid JSON object with `confidence`; confidence prompts get
        /// `assessed` as a bare integer ("87"); reply prompts get ``FakeLLM/replyText``.
        case good(category: MailHookCore.Category = .support, urgency: Urgency = .medium, confidence: Int = 70, assessed: Int = 87)
        /// Prose with no JSON object and no number, for every prompt.
        case garbage
        /// The classification JSON (CONSULTATION, LOW, confidence 0.9) inside a ```` ```json ```` fence with
        /// prose around it; confidence prompts get "I would say 91/100."; reply prompts as `.good`.
        case fencedJSON
        /// Answers with this status and an OpenAI error body (401 quotes the key it was sent, as providers do).
        case status(Int, retryAfter: Int? = nil)
        /// Waits, then answers as the default `.good`.
        case slow(Duration)
        /// A model that does whatever the email tells it: INFORMATION with confidence 100 and LOW
        /// urgency, an assessment of 100, and a reply that repeats every link, address, phone
        /// number and account number written in the prompt (the attacker's payload).
        case obedient
        /// A provider that ignores `max_tokens`: reply prompts get a reply of this many characters;
        /// other prompts as `.good`.
        case rambling(Int)
    }

    public enum PromptKind: String, Sendable {
        case classification, confidence, reply, unknown
    }

    /// Which credential header a request carried.
    public enum Credential: String, Sendable {
        case bearer, apiKey = "api-key", none
    }

    /// One request as received. The `authorization` and `api-key` values are not kept.
    public struct RecordedRequest: Sendable {
        public let sequence: Int
        public let method: String
        public let path: String
        public let query: String
        /// Lower-cased names; `authorization` and `api-key` appear with the value `<redacted>`.
        public let headers: [String: String]
        public let credential: Credential
        /// Whether the credential matched ``FakeLLM/apiKey`` (always true when that is nil).
        public let keyAccepted: Bool
        public let bodyText: String
        public let body: JSONValue?
        /// The deployment in an Azure path, else nil.
        public let deployment: String?
        public let system: String?
        public let user: String?
        public let kind: PromptKind
        /// The status answered (0 while the request is in flight).
        public internal(set) var status: Int = 0
        /// `usage.total_tokens` answered, for successful answers.
        public internal(set) var totalTokens: Int?

        public var model: String? { body?["model"]?.stringValue }
        public var responseFormatType: String? { body?["response_format"]?["type"]?.stringValue }
        public var temperature: Double? {
            if case .number(let n) = body?["temperature"] { return n }
            return nil
        }
        public var maxTokens: Int? {
            if case .number(let n) = body?["max_tokens"] { return Int(n) }
            return nil
        }
    }

    /// The reply text `.good` gives reply prompts.
    public static let replyText = "Hello,\n\nThank you for your email. IT will look into this and get back to you.\n\nKind regards,\nIT Department"
    /// What `.garbage` answers.
    public static let garbageText = "I'm sorry, I am not able to help with that. The message looks like an ordinary email to me."

    /// The key requests must carry (Bearer or `api-key`); nil accepts any.
    public let apiKey: String?
    let state: Mutex<State>
    private let server = Mutex<LoopbackServer?>(nil)

    struct State: Sendable {
        var port = 0
        var mode: Behaviour = .good()
        var latency: Duration = .zero
        var script: [Behaviour] = []
        var refusedFormats: Set<String> = []
        var requests: [RecordedRequest] = []
        var inFlight = 0
        var peakInFlight = 0
    }

    private init(apiKey: String?) {
        self.apiKey = apiKey
        self.state = Mutex(State())
    }

    // MARK: - Lifecycle

    /// Starts the fake and returns once it listens. Call ``stop()`` when done; prefer
    /// ``with(apiKey:logger:isolation:_:)``, which cannot leak the server.
    public static func start(
        apiKey: String? = nil, logger: Logger = Logger(label: "FakeLLM", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> FakeLLM {
        let llm = FakeLLM(apiKey: apiKey)
        let server = try await LoopbackServer.start(name: "FakeLLM", logger: logger) { await llm.respond(to: $0) }
        llm.state.withLock { $0.port = server.port }
        llm.server.withLock { $0 = server }
        return llm
    }

    /// Shuts the server started by ``start(apiKey:logger:)`` down gracefully.
    public func stop() async throws {
        try await server.withLock { $0 }?.stop()
    }

    /// Runs `body` with a started fake and shuts it down afterwards, also when `body` throws.
    public static func with<T>(
        apiKey: String? = nil,
        logger: Logger = Logger(label: "FakeLLM", factory: { _ in SwiftLogNoOpLogHandler() }),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (FakeLLM) async throws -> T
    ) async throws -> T {
        let llm = FakeLLM(apiKey: apiKey)
        return try await LoopbackServer.with(name: "FakeLLM", logger: logger, respond: { await llm.respond(to: $0) }, isolation: isolation) { port in
            llm.state.withLock { $0.port = port }
            return try await body(llm)
        }
    }


    // MARK: - Addresses

    /// `http://127.0.0.1:PORT`
    public var rootURL: String { "http://127.0.0.1:\(state.withLock { $0.port })" }
    /// `http://127.0.0.1:PORT/v1`, the OpenAI-style base URL to configure.
    public var baseURL: String { rootURL + "/v1" }
    /// An Azure-style base URL: `http://127.0.0.1:PORT/openai/deployments/{deployment}`.
    public func azureBaseURL(deployment: String) -> String { rootURL + "/openai/deployments/" + deployment }

    // MARK: - Behaviour

    /// How requests are answered once the script is used up. Default `.good()`.
    public var mode: Behaviour {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }

    /// How long every answer waits, whatever the behaviour (benchmarks: a slow but correct LLM).
    public var latency: Duration {
        get { state.withLock { $0.latency } }
        set { state.withLock { $0.latency = newValue } }
    }

    /// Behaviours for the next requests, consumed one per request in arrival order before ``mode`` applies.
    public func enqueue(_ behaviours: [Behaviour]) { state.withLock { $0.script += behaviours } }

    // MARK: - Recording

    /// Every request received, in arrival order.
    public var requests: [RecordedRequest] { state.withLock { $0.requests } }

    /// `response_format.type` values answered 400 naming `response_format`, as a server that does not
    /// know them does.
    public var refusedFormats: Set<String> {
        get { state.withLock { $0.refusedFormats } }
        set { state.withLock { $0.refusedFormats = newValue } }
    }
    /// Requests being answered now.
    public var inFlight: Int { state.withLock { $0.inFlight } }
    /// The most requests answered at once so far.
    public var peakInFlight: Int { state.withLock { $0.peakInFlight } }
    /// Forgets the recorded requests and the peak.
    public func reset() {
        state.withLock {
            $0.requests.removeAll()
            $0.peakInFlight = $0.inFlight
        }
    }
}

public struct FakeLLMError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

// MARK: - HTTP

extension FakeLLM {
    func respond(to request: Request) async -> Response {
        let path = request.uri.path
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        // Keep whether a credential came, never its value.
        let authorization = headers["authorization"]
        let apiKeyHeader = headers["api-key"]
        for name in ["authorization", "api-key"] where headers[name] != nil { headers[name] = "<redacted>" }
        let credential: Credential
        let presented: String?
        if let apiKeyHeader {
            credential = .apiKey
            presented = apiKeyHeader
        } else if let authorization, authorization.lowercased().hasPrefix("bearer ") {
            credential = .bearer
            presented = String(authorization.dropFirst(7))
        } else {
            credential = .none
            presented = nil
        }
        let keyAccepted = apiKey == nil || presented == apiKey

        let bodyText = (try? await request.body.collect(upTo: 8 << 20)).map { String(buffer: $0) } ?? ""
        let body = try? JSONValue.parse(Array(bodyText.utf8))
        let messages = body?["messages"]?.arrayValue ?? []
        let system = messages.first { $0["role"]?.stringValue == "system" }?["content"]?.stringValue
        let user = messages.last { $0["role"]?.stringValue == "user" }?["content"]?.stringValue
        let kind = Self.kind(user: user, jsonMode: body?["response_format"]?["type"]?.stringValue == "json_object")

        let segments = path.split(separator: "/").map(String.init)
        let isOpenAI = segments == ["v1", "chat", "completions"]
        let isAzure = segments.count == 5 && segments[0] == "openai" && segments[1] == "deployments" && segments[3] == "chat" && segments[4] == "completions"
        let deployment = isAzure ? segments[2] : nil

        let format = body?["response_format"]?["type"]?.stringValue
        let (sequence, behaviour, latency, refusesFormat) = state.withLock { s -> (Int, Behaviour, Duration, Bool) in
            let refuses = format.map { s.refusedFormats.contains($0) } ?? false
            // A refused format is answered before any scripted behaviour is used up.
            let behaviour = refuses || s.script.isEmpty ? s.mode : s.script.removeFirst()
            s.requests.append(RecordedRequest(
                sequence: s.requests.count + 1, method: request.method.rawValue, path: path, query: request.uri.query ?? "",
                headers: headers, credential: credential, keyAccepted: keyAccepted, bodyText: bodyText, body: body,
                deployment: deployment, system: system, user: user, kind: kind))
            s.inFlight += 1
            s.peakInFlight = max(s.peakInFlight, s.inFlight)
            return (s.requests.count, behaviour, s.latency, refuses)
        }
        if latency > .zero { try? await Task.sleep(for: latency) }

        let answer: Answer
        if !(isOpenAI || isAzure) {
            answer = Self.error(404, type: "invalid_request_error", code: "not_found", message: "Unknown request URL: \(request.method.rawValue) \(path).")
        } else if request.method != .post {
            answer = Self.error(405, type: "invalid_request_error", code: "method_not_allowed", message: "Use POST.")
        } else if !keyAccepted || credential == .none {
            answer = Self.error(401, type: "invalid_request_error", code: "invalid_api_key",
                                message: "Incorrect API key provided: \(presented ?? "(none)"). You can find your API key in your account settings.")
        } else if body == nil || user == nil {
            answer = Self.error(400, type: "invalid_request_error", code: "invalid_body", message: "The request body is not a chat completion request.")
        } else if refusesFormat {
            answer = Self.error(400, type: "invalid_request_error", code: nil, message: "Invalid value for 'response_format.type': '\(format ?? "")' is not supported.")
        } else {
            answer = await Self.answer(behaviour, kind: kind, model: deployment ?? body?["model"]?.stringValue ?? "fake-model",
                                       promptCharacters: (system?.count ?? 0) + (user?.count ?? 0), sequence: sequence, user: user)
        }

        state.withLock { s in
            s.inFlight -= 1
            if let index = s.requests.firstIndex(where: { $0.sequence == sequence }) {
                s.requests[index].status = answer.status
                s.requests[index].totalTokens = answer.totalTokens
            }
        }
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        for (name, value) in answer.headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(string: answer.json.jsonText())))
    }
}
