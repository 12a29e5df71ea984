import PostgresNIO
import SQLiteNIO

extension Error {
    /// Whether the database as a whole cannot be used right now — unreachable, restarting,
    /// out of disk or connections — rather than this statement or these rows being wrong. An
    /// outage fails every write alike, so retrying a batch row by row only delays the 503.
    public var isStoreOutage: Bool {
        switch self {
        case is StoreUnavailable:
            return true
        case let error as PostgresTransactionError:
            return [error.beginError, error.closureError, error.commitError].contains { $0?.isStoreOutage ?? false }
        case let error as PSQLError:
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
                return true
            case .server:
                // 08: connection exception; 53: insufficient resources (disk full, out of
                // connections); 57P01–57P03: administrator or crash shutdown, cannot connect now.
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || state.hasPrefix("53") || ["57P01", "57P02", "57P03"].contains(state)
            default:
                return false
            }
        case let error as SQLiteWriterError:
            return error.isOutage
        case let error as SQLiteError:
            switch error.reason {
            case .full, .ioError, .cantOpen, .busy, .locked, .readOnly, .noMemory:
                return true
            default:
                return false
            }
        default:
            return false
        }
    }
}
