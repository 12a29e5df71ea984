import Foundation
import Logging
@testable import MailHookStore
import MailHookTestSupport
import Synchronization
import Testing

/// SQLite's group commit: writes queued while a commit runs share the next one, each write
/// keeps its own outcome, and checkpoints leave the commit path.
@Suite("SQLite commit queue")
struct SQLiteCommitQueueTests {
    /// A gate a transaction body waits at, so a test can queue writes behind it.
    final class Gate: Sendable {
        private let state = Mutex<(entered: Bool, open: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, false, nil))
        var entered: Bool { state.withLock { $0.entered } }

        func wait() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resume = state.withLock { s -> Bool in
                    s.entered = true
                    if s.open { return true }
                    s.waiter = continuation
                    return false
                }
                if resume { continuation.resume() }
            }
        }

        func open() {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                s.open = true
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }

    struct Refused: Error {}

    final class Outcomes: Sendable {
        private let values = Mutex<[String: Bool]>([:])
        var all: [String: Bool] { values.withLock { $0 } }
        func set(_ key: String, _ ok: Bool) { values.withLock { $0[key] = ok } }
    }

    static func database() async throws -> SQLiteDatabase {
        let path = TemporaryDirectory.make().appendingPathComponent("queue.sqlite").path
        let database = try await SQLiteDatabase.open(path: path, logger: Logger(label: "test"))
        _ = try await database.write("CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT NOT NULL UNIQUE)", urgent: false)
        return database
    }

    static func keys(_ database: SQLiteDatabase) async throws -> [String] {
        try await database.read("SELECT k FROM t ORDER BY seq").compactMap { $0.string("k") }
    }

    /// Runs `queue` while a transaction holds the writer, opening it once `queued` writes wait behind it.
    static func behindBlocker(_ database: SQLiteDatabase, queued: Int, _ queue: @escaping @Sendable () async -> Void) async throws {
        let gate = Gate()
        async let blocker: Void = database.transaction(urgent: false) { db in
            try await db.run("INSERT INTO t (k) VALUES ('blocker')")
            await gate.wait()
        }
        try await eventually { gate.entered }
        async let queuedWork: Void = queue()
        try await eventually { database.commits.queuedCount == queued }
        gate.open()
        try await blocker
        await queuedWork
    }

    @Test("writes queued while a commit runs are committed together, once, and each is answered")
    func groupCommit() async throws {
        let database = try await Self.database()
        let before = database.commits.commitCount
        try await Self.behindBlocker(database, queued: 20) {
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask { _ = try? await database.write("INSERT INTO t (k) VALUES (\("k\(i)")) RETURNING seq", urgent: false) }
                }
            }
        }
        #expect(database.commits.commitCount - before == 2, "the blocker's commit, then one for all twenty")
        #expect(try await Self.keys(database).count == 21)
        try await database.close()
    }

    @Test("a write that fails in a shared commit fails alone: its own statements roll back, its neighbours commit")
    func isolation() async throws {
        let database = try await Self.database()
        let outcomes = Outcomes()
        try await Self.behindBlocker(database, queued: 4) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    let ok = (try? await database.write("INSERT INTO t (k) VALUES ('a')", urgent: false)) != nil
                    outcomes.set("a", ok)
                }
                group.addTask {
                    let ok = (try? await database.transaction(urgent: false) { db in
                        try await db.run("INSERT INTO t (k) VALUES ('b-half')")
                        throw Refused()
                    }) != nil
                    outcomes.set("b", ok)
                }
                group.addTask {
                    let ok = (try? await database.write("INSERT INTO t (k) VALUES ('blocker')", urgent: false)) != nil
                    outcomes.set("duplicate", ok)
                }
                group.addTask {
                    let ok = (try? await database.write("INSERT INTO t (k) VALUES ('c')", urgent: false)) != nil
                    outcomes.set("c", ok)
                }
            }
        }
        #expect(outcomes.all == ["a": true, "b": false, "duplicate": false, "c": true])
        #expect(Set(try await Self.keys(database)) == ["blocker", "a", "c"])
        try await database.close()
    }

    @Test("urgent writes (acknowledgements) go ahead of queued pipeline writes")
    func urgentFirst() async throws {
        let database = try await Self.database()
        try await Self.behindBlocker(database, queued: 2) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { _ = try? await database.write("INSERT INTO t (k) VALUES ('normal')", urgent: false) }
                try? await eventually { database.commits.queuedCount == 1 }
                group.addTask { _ = try? await database.write("INSERT INTO t (k) VALUES ('urgent')", urgent: true) }
            }
        }
        #expect(try await Self.keys(database) == ["blocker", "urgent", "normal"])
        try await database.close()
    }

    static func autocheckpoint(_ database: SQLiteDatabase) async throws -> Int? {
        try await database.write("PRAGMA wal_autocheckpoint", urgent: false).first?.int("wal_autocheckpoint")
    }

    @Test("while the checkpointer runs, commits never checkpoint themselves; it checkpoints, and hands back when it stops")
    func checkpoints() async throws {
        let database = try await Self.database()
        #expect(try await Self.autocheckpoint(database) == 1000)
        let checkpointer = Task { try await database.runCheckpoints(every: .milliseconds(20), logger: Logger(label: "test")) }
        try await eventually { try await Self.autocheckpoint(database) == 0 }
        for i in 0..<50 { _ = try await database.write("INSERT INTO t (k) VALUES (\("w\(i)"))", urgent: false) }
        try await eventually { database.checkpoints.load(ordering: .relaxed) >= 2 }
        checkpointer.cancel()
        try await checkpointer.value
        #expect(try await Self.autocheckpoint(database) == 1000)
        try await database.close()
    }

    @Test("under steady writes the log starts over instead of growing without bound")
    func logStartsOver() async throws {
        let database = try await Self.database()
        let checkpointer = Task { try await database.runCheckpoints(every: .milliseconds(10), restartAbove: 100, logger: Logger(label: "test")) }
        try await eventually { try await Self.autocheckpoint(database) == 0 }
        // Eight writers keep the queue from ever emptying: no idle moment lets a checkpoint catch up by itself.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for i in 0..<250 {
                        _ = try await database.write("INSERT INTO t (k) VALUES (\("s\(writer)-\(i)" + String(repeating: "x", count: 2000)))", urgent: false)
                    }
                }
            }
            try await group.waitForAll()
        }
        checkpointer.cancel()
        try await checkpointer.value
        // 2,000 rows of 2 KB wrote well over 1,000 pages; a log that never started over would hold them all.
        let frames = try await database.write("PRAGMA wal_checkpoint(PASSIVE)", urgent: false).first?.int("log") ?? -1
        #expect(frames >= 0 && frames < 1000, "frames in the log: \(frames)")
        try await database.close()
    }
}
