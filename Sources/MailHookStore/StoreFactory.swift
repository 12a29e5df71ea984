import Logging
import MailHookCore
import ServiceLifecycle

/// Opens the store named by `database.url`. PostgreSQL's pool needs its `run()` active, so the
/// factory returns the services to add to the process's `ServiceGroup` next to the store.
public enum StoreFactory {
    public static func open(_ database: MailHookConfiguration.Database, logger: Logger) async throws -> (store: any MailHookStore, services: [any Service]) {
        switch database.url {
        case .sqlite(let path):
            return (try await SQLiteStore.open(path: path, logger: logger), [])
        case .postgres(let url):
            let store = PostgresStore(configuration: url, maxConnections: database.maxConnections, logger: logger)
            return (store, [PostgresPoolService(store: store)])
        }
    }

    /// Runs `body` with a store outside a ServiceGroup (CLI commands), keeping the pool alive meanwhile.
    public static func withStore<T: Sendable>(
        _ database: MailHookConfiguration.Database, logger: Logger, _ body: @Sendable (any MailHookStore) async throws -> T
    ) async throws -> T {
        let (store, services) = try await open(database, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            defer { group.cancelAll() }
            let value = try await body(store)
            try await store.close()
            return value
        }
    }
}

struct PostgresPoolService: Service {
    let store: PostgresStore
    func run() async throws { await store.run() }
}
