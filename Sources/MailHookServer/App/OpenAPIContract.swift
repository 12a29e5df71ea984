import Foundation
import MailHookSchemas

/// `Schemas/openapi.yaml`, read once from the resources and served at `/openapi.yaml`.
enum OpenAPIContract {
    static let bytes: [UInt8]? = MailHookSchemas.openAPIDocument.flatMap { FileManager.default.contents(atPath: $0.path) }.map(Array.init)
}
