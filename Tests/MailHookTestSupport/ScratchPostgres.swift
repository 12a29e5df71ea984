import Foundation
import MailHookCore

/// A PostgreSQL cluster of a test's own (`Scripts/lib/pg-cluster`), for tests that stop and start
/// the server under a running MailHook; the shared test cluster must stay up for the others.
public struct ScratchPostgres: Sendable {
    /// `postgres://…/postgres`.
    public let url: String
    let directory: String

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/lib/pg-cluster").path
    }

    public static func start() async throws -> ScratchPostgres {
        let output = try await Command.run(script, ["start"])
        let parts = output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard parts.count == 2 else { throw TestSupportError("pg-cluster start printed \(output)") }
        return ScratchPostgres(url: parts[0], directory: parts[1])
    }

    /// Stops the server with a fast shutdown (sessions cut, as in `pg_ctl restart -m fast`).
    public func stopServer() async throws { _ = try await Command.run(Self.script, ["stop", directory]) }

    /// Starts it again on the same port.
    public func resumeServer() async throws { _ = try await Command.run(Self.script, ["resume", directory]) }

    public func remove() async { _ = try? await Command.run(Self.script, ["remove", directory]) }

    public var database: MailHookConfiguration.Database {
        get throws {
            guard case .success(let url) = DatabaseURL.parse(url) else { throw TestSupportError("not a database URL: \(url)") }
            return MailHookConfiguration.Database(url: url, maxConnections: 8)
        }
    }
}

/// Runs a helper command to completion without blocking a thread of the cooperative pool.
public enum Command {
    /// Standard output; throws with standard error when the command fails. Output goes through
    /// files, not pipes: a daemon the command starts may inherit the descriptors and keep a pipe
    /// open for its whole life.
    public static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        let directory = TemporaryDirectory.make()
        let outURL = directory.appendingPathComponent("stdout")
        let errURL = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
            try? FileManager.default.removeItem(at: directory)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let status = try await Self.exitStatus(of: process)
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        guard status == 0 else { throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) exited \(status): \(stderr)") }
        return stdout
    }

    /// Polls for the child's exit: Foundation's termination handler was seen not to fire for a
    /// script whose daemon outlives it.
    static func exitStatus(of process: Process) async throws -> Int32 {
        let pid = process.processIdentifier
        while true {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                // Exited: the code; killed: 128 + the signal, as shells report it.
                return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            }
            if reaped < 0, !process.isRunning { return process.terminationStatus }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
