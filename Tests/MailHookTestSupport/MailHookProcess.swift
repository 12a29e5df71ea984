import Foundation
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// The real `mailhook` binary run as a child process, for tests of what only a process shows:
/// CLI output and exit codes, SIGKILL in the middle of traffic, SIGTERM shutdown.
public final class MailHookProcess: Sendable {
    private let process: Process
    private let output = CapturedOutput()
    private let lines: AsyncStream<String>
    private let linesContinuation: AsyncStream<String>.Continuation
    private let exited: AsyncStream<Int32>
    private let exitContinuation: AsyncStream<Int32>.Continuation
    /// Finishes when both pipes reached end of file (their handlers are removed by then).
    private let drained: AsyncStream<Void>
    private let drainedContinuation: AsyncStream<Void>.Continuation

    /// The binary built next to the test bundle (`MAILHOOK_BINARY` overrides).
    public static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["MAILHOOK_BINARY"] { return URL(fileURLWithPath: path) }
        let me = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var directory = me.deletingLastPathComponent()
        // Inside an .xctest bundle directory on some layouts.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("mailhook").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("mailhook")
    }

    /// `executable`: another program to run the same way (a browser, say); `mailhook` by default.
    public init(arguments: [String], environment: [String: String] = [:], executable: URL? = nil, directory: URL) throws {
        process = Process()
        process.executableURL = executable ?? Self.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MAILHOOK_") }
        env.merge(environment) { $1 }
        process.environment = env
        process.currentDirectoryURL = directory
        (lines, linesContinuation) = AsyncStream.makeStream(of: String.self)
        (exited, exitContinuation) = AsyncStream.makeStream(of: Int32.self)
        (drained, drainedContinuation) = AsyncStream.makeStream(of: Void.self)
        let openPipes = PipeCount()
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        // One plain thread per pipe doing blocking reads: Foundation's readabilityHandler on Linux
        // can crash libdispatch when a pipe closes, and blocking here keeps the cooperative pool free.
        Self.readInBackground(out.fileHandleForReading) { [output] data in
            output.text.withLock { $0.stdout += String(decoding: data, as: UTF8.self) }
        } atEnd: { [drainedContinuation] in
            if openPipes.close() { drainedContinuation.finish() }
        }
        // A read can end inside a line: the unfinished tail waits for the next read.
        let partial = PartialLine()
        Self.readInBackground(err.fileHandleForReading) { [output, linesContinuation] data in
            output.text.withLock { $0.stderr += String(decoding: data, as: UTF8.self) }
            let complete = partial.bytes.withLock { tail -> [String] in
                tail.append(contentsOf: data)
                guard let end = tail.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
                let lines = tail[..<end].split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
                tail.removeSubrange(...end)
                return lines
            }
            for line in complete { linesContinuation.yield(line) }
        } atEnd: { [linesContinuation, drainedContinuation] in
            let rest = partial.bytes.withLock { tail in defer { tail = [] }; return tail }
            if !rest.isEmpty { linesContinuation.yield(String(decoding: rest, as: UTF8.self)) }
            linesContinuation.finish()
            if openPipes.close() { drainedContinuation.finish() }
        }
        process.terminationHandler = { [exitContinuation, linesContinuation] p in
            exitContinuation.yield(p.terminationStatus)
            exitContinuation.finish()
            linesContinuation.finish()
        }
        try process.run()
    }

    private static func readInBackground(_ handle: FileHandle, _ onData: @escaping @Sendable (Data) -> Void, atEnd: @escaping @Sendable () -> Void) {
        let thread = Thread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                onData(data)
            }
            atEnd()
        }
        thread.start()
    }

    public var stdout: String { output.text.withLock { $0.stdout } }
    public var stderr: String { output.text.withLock { $0.stderr } }
    public var pid: Int32 { process.processIdentifier }

    /// Waits for the "mailhook listening" line and returns the bound port; throws when the process
    /// exits first or has not listened within `limit` (it is then killed).
    public func waitUntilListening(limit: Duration = .seconds(60)) async throws -> Int {
        let port = try? await withDeadline(limit, "mailhook listening") { [lines] () -> Int? in
            for await line in lines where line.contains("mailhook listening") {
                if let range = line.range(of: "mailhook.port="), let port = Int(line[range.upperBound...].prefix(while: \.isNumber)) {
                    return port
                }
            }
            return nil
        }
        if let port { return port }
        kill(process.processIdentifier, SIGKILL)
        throw TestSupportError("mailhook did not listen within \(limit) or exited first:\n\(stderr)")
    }

    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// The exit status (or the signal number for a process killed by a signal); -1 when it had not
    /// exited within `limit`, and is then killed, so a stuck shutdown fails its test instead of hanging it.
    public func waitForExit(limit: Duration = .seconds(60)) async -> Int32 {
        do {
            let status = try await withDeadline(limit, "mailhook exiting") { [exited] () -> Int32? in
                for await status in exited { return status }
                return nil
            }
            return status ?? process.terminationStatus
        } catch {
            kill(process.processIdentifier, SIGKILL)
            FileHandle.standardError.write(Data("mailhook (pid \(process.processIdentifier)) did not exit within \(limit); killed\n".utf8))
            return -1
        }
    }

    /// Runs a command to completion: (exit status, stdout, stderr).
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], executable: String? = nil, directory: URL
    ) async throws -> (Int32, String, String) {
        let p = try MailHookProcess(
            arguments: arguments, environment: environment, executable: executable.map { URL(fileURLWithPath: $0) }, directory: directory)
        let status = await p.waitForExit()
        // Let the pipes drain what the process wrote last.
        _ = try? await withDeadline(.seconds(30), "mailhook's output closing") { [drained = p.drained] in
            for await _ in drained {}
        }
        return (status, p.stdout, p.stderr)
    }
}

/// What a read left after its last newline.
private final class PartialLine: Sendable {
    let bytes = Mutex([UInt8]())
}

private final class CapturedOutput: Sendable {
    let text = Mutex<(stdout: String, stderr: String)>(("", ""))
}

/// Counts the two pipes down to zero.
private final class PipeCount: Sendable {
    private let open = Mutex(2)
    /// Returns true for the call that closed the last pipe.
    func close() -> Bool { open.withLock { $0 -= 1; return $0 == 0 } }
}

extension MailHookProcess {
    /// POSTs `body` to the shipped configuration's `helpdesk` endpoint (`/webhooks/email`, HMAC
    /// signed with `secret`) of a binary listening on `port`; the status and the answer's text.
    public static func postHelpdeskEvent(port: Int, body: String, secret: String = "dev-secret") async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/email")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Signature", value: Signing.hmacHeader(body, secret: secret).1)
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.test.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 16)))
    }
}
