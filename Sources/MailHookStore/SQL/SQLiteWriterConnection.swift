import MailHookCore
import NIOCore
import SQLiteNIO
// SQLiteNIO's own copy of SQLite (its symbols prefixed `sqlite_nio_`), the library the reader uses too.
import VaporCSQLite

/// SQLite's writer connection, driven synchronously on the writer's event loop.
///
/// SQLiteNIO runs each statement on a thread pool and answers on an event loop: two thread
/// wake-ups per statement, and a group commit runs its statements one after another. Under
/// pipeline load the writer was busy 99 % of the time, mostly waiting for those wake-ups. Here a
/// whole commit (BEGIN, every queued job's statements, COMMIT) runs on one thread without a hop.
/// That thread does nothing else, so blocking it (a commit's fsync, a busy wait) delays only the
/// writer. Prepared statements are kept: the receive path's insert, the claim and the pipeline's
/// writes repeat the same SQL.
final class SQLiteWriterConnection: @unchecked Sendable {
    // @unchecked Sendable: `handle` and `cache` are touched only on `loop` (``execute(_:)`` and
    // ``closeOnLoop()`` check it; ``open(path:on:)``, ``run(_:)`` and ``close()`` submit to it)
    // or in deinit, when nobody else holds the connection. One thread at a time, always.
    let loop: any EventLoop
    private var handle: OpaquePointer?
    private var cache: [String: OpaquePointer] = [:]
    /// Distinct statements kept prepared; beyond it the cache starts over (multi-row inserts vary).
    static let cacheLimit = 256

    private init(handle: OpaquePointer, loop: any EventLoop) {
        self.handle = handle
        self.loop = loop
    }

    deinit {
        for prepared in cache.values { sqlite_nio_sqlite3_finalize(prepared) }
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
    }

    static func open(path: String, on loop: any EventLoop) async throws -> SQLiteWriterConnection {
        try await loop.submit {
            var raw: OpaquePointer?
            let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
            let code = sqlite_nio_sqlite3_open_v2(path, &raw, flags, nil)
            guard code == SQLITE_OK, let raw else {
                let message = raw.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open the database"
                sqlite_nio_sqlite3_close_v2(raw)
                throw SQLiteWriterError(code: code, message: message)
            }
            return SQLiteWriterConnection(handle: raw, loop: loop)
        }.get()
    }

    /// Runs `statement` from anywhere, between whatever else runs on the loop: for set-up, and
    /// for a commit-queue job that is waiting for it (so nothing else writes meanwhile).
    func run(_ statement: SQLStatement) async throws -> [SQLRow] {
        try await loop.submit { try self.execute(statement) }.get()
    }

    /// Statements prepared and kept now.
    func preparedCount() async -> Int {
        (try? await loop.submit { self.cache.count }.get()) ?? 0
    }

    func close() async {
        try? await loop.submit { self.closeOnLoop() }.get()
    }

    private func closeOnLoop() {
        loop.preconditionInEventLoop()
        for prepared in cache.values { sqlite_nio_sqlite3_finalize(prepared) }
        cache = [:]
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs one statement and returns its rows; on the writer's loop only.
    func execute(_ statement: SQLStatement) throws -> [SQLRow] {
        loop.preconditionInEventLoop()
        guard let handle else { throw StoreUnavailable("the SQLite writer connection is closed") }
        guard let prepared = try prepare(statement.sql(.sqlite), on: handle) else { return [] }
        defer {
            sqlite_nio_sqlite3_reset(prepared)
            sqlite_nio_sqlite3_clear_bindings(prepared)
        }
        for (index, value) in statement.binds.enumerated() {
            let code = Self.bind(value, at: Int32(clamping: index + 1), to: prepared)
            guard code == SQLITE_OK else { throw Self.error(code, on: handle) }
        }
        let count = sqlite_nio_sqlite3_column_count(prepared)
        var names: [String] = []
        var rows: [SQLRow] = []
        while true {
            let step = sqlite_nio_sqlite3_step(prepared)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw Self.error(step, on: handle) }
            if names.isEmpty {
                names = (0..<count).map { sqlite_nio_sqlite3_column_name(prepared, $0).map { String(cString: $0) } ?? "" }
            }
            rows.append(SQLRow(columns: names, values: (0..<count).map { Self.value(prepared, column: $0) }))
        }
        return rows
    }

    /// The statement prepared once and kept, or nil when the SQL holds no statement.
    private func prepare(_ sql: String, on handle: OpaquePointer) throws -> OpaquePointer? {
        if let cached = cache[sql] { return cached }
        if cache.count >= Self.cacheLimit {
            for prepared in cache.values { sqlite_nio_sqlite3_finalize(prepared) }
            cache = [:]
        }
        var prepared: OpaquePointer?
        let code = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard code == SQLITE_OK else { throw Self.error(code, on: handle) }
        if let prepared { cache[sql] = prepared }
        return prepared
    }

    /// Binds as the reader's statements do (``SQLiteDatabase/data(_:)``: booleans as 0/1, dates as text).
    private static func bind(_ value: SQLValue, at index: Int32, to prepared: OpaquePointer) -> Int32 {
        switch SQLiteDatabase.data(value) {
        case .null: sqlite_nio_sqlite3_bind_null(prepared, index)
        case .integer(let n): sqlite_nio_sqlite3_bind_int64(prepared, index, Int64(n))
        case .float(let d): sqlite_nio_sqlite3_bind_double(prepared, index, d)
        case .text(let text):
            // SQLITE_TRANSIENT: SQLite copies the bytes before the call returns.
            sqlite_nio_sqlite3_bind_text64(
                prepared, index, text, UInt64(text.utf8.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self), UInt8(SQLITE_UTF8))
        case .blob(let buffer):
            buffer.withUnsafeReadableBytes {
                sqlite_nio_sqlite3_bind_blob64(prepared, index, $0.baseAddress, UInt64($0.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            }
        }
    }

    /// A column as the store reads it: through the reader's mapping (``SQLiteDatabase/value(_:)``).
    private static func value(_ prepared: OpaquePointer, column: Int32) -> SQLValue {
        SQLiteDatabase.value(data(prepared, column: column))
    }

    /// A column as SQLiteNIO would hand it to the reader.
    private static func data(_ prepared: OpaquePointer, column: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(prepared, column) {
        case SQLITE_INTEGER:
            return .integer(Int(sqlite_nio_sqlite3_column_int64(prepared, column)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(prepared, column))
        case SQLITE_TEXT:
            let count = Int(sqlite_nio_sqlite3_column_bytes(prepared, column))
            guard let bytes = sqlite_nio_sqlite3_column_text(prepared, column), count > 0 else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(prepared, column))
            guard let bytes = sqlite_nio_sqlite3_column_blob(prepared, column), count > 0 else { return .blob(ByteBuffer()) }
            return .blob(ByteBuffer(bytes: UnsafeRawBufferPointer(start: bytes, count: count)))
        default:
            return .null
        }
    }

    private static func error(_ code: Int32, on handle: OpaquePointer) -> SQLiteWriterError {
        SQLiteWriterError(code: code, message: sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "unknown error")
    }
}

/// A failed statement on the writer connection: SQLite's result code and message.
struct SQLiteWriterError: Error, CustomStringConvertible {
    let code: Int32
    let message: String

    var description: String { "SQLite error \(code): \(message)" }

    /// The database file cannot be written right now (disk full, I/O error, locked, read-only, out of memory).
    var isOutage: Bool {
        [SQLITE_FULL, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_NOMEM].contains(code & 0xff)
    }
}
