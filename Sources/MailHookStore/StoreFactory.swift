import Foundation
import Logging
import MailHookCore
import ServiceLifecycle

/// Opens the store named by `database.url`. PostgreSQL's pool needs its `run()` active, so the
/// factory returns the services to add to the process's `ServiceGroup` next to the store.
public enum StoreFactory {
    public static func open(
        _ configuration: MailHookConfiguration.Database, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> (store: SQLStore, services: [any Service]) {
        switch configuration.url {
        case .sqlite(let path):
            let database = try await SQLiteDatabase.open(path: path, logger: logger)
            let checkpoints: [any Service] = path == ":memory:" ? [] : [SQLiteCheckpointService(database: database, interval: .milliseconds(250), logger: logger)]
            return (SQLStore(database: database, now: now), checkpoints)
        case .postgres(let url):
            let database = PostgresDatabase(
                configuration: url, maxConnections: configuration.maxConnections, intakeConnections: configuration.intakeConnections, logger: logger,
                preparedStatements: configuration.preparedStatements)
            return (SQLStore(database: database, now: now), [PostgresPoolService(database: database)])
        }
    }

    /// Runs `body` with a store outside a ServiceGroup (CLI commands), keeping the pool alive meanwhile.
    public static func withStore<T: Sendable>(
        _ configuration: MailHookConfiguration.Database, logger: Logger, _ body: @Sendable (SQLStore) async throws -> T
    ) async throws -> T {
        let (store, services) = try await open(configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            defer { group.cancelAll() }
            let value: T
            do {
                value = try await body(store)
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
            return value
        }
    }
}

struct PostgresPoolService: Service {
    let database: PostgresDatabase
    func run() async throws { await database.run() }
}
