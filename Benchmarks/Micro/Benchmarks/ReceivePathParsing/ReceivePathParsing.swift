import Benchmark
import Foundation
import MailHookCore

// The receive path parses Graph notification batches with its own JSON reader (JSONValue), which
// also keeps each item's exact bytes for the inbox row. These benchmarks show what that costs or
// saves against Foundation's JSONDecoder decoding the same fields into Codable structs (which
// cannot keep the bytes), on the notification the intake benchmark posts (Scripts/bench-intake):
// one item, and a batch of 50.

/// The same fields the receive path reads, as Codable.
struct CodableBatch: Decodable {
    struct Item: Decodable {
        struct ResourceData: Decodable {
            let id: String?
            let odataType: String?
            let odataId: String?
            let etag: String?

            enum CodingKeys: String, CodingKey {
                case id
                case odataType = "@odata.type"
                case odataId = "@odata.id"
                case etag = "@odata.etag"
            }
        }

        let subscriptionId: String
        let subscriptionExpirationDateTime: String?
        let clientState: String?
        let changeType: String?
        let resource: String?
        let tenantId: String?
        let lifecycleEvent: String?
        let resourceData: ResourceData?
    }

    let value: [Item]
}

func notificationItem(_ n: Int) -> String {
    let id = "AAMkAGI2TG93AAAbench00\(String(format: "%010d", n))="
    return ##"{"id":null,"subscriptionId":"7a1c0e9e-0000-4000-8000-000000000001","subscriptionExpirationDateTime":"2026-12-08T10:00:00+00:00","clientState":"bench-client-state-0123456789abcdef","changeType":"created","resource":"Users/0f0e0d0c-0000-4000-8000-0000000000aa/Messages/\##(id)","tenantId":"c0ffee00-0000-4000-8000-0000000000bb","resourceData":{"@odata.type":"#Microsoft.Graph.Message","@odata.id":"Users/0f0e0d0c-0000-4000-8000-0000000000aa/Messages/\##(id)","@odata.etag":"W/\"CQAAABYAAAExampleEtag\"","id":"\##(id)"}}"##
}

func batch(items: Int) -> [UInt8] {
    Array(#"{"value":["#.utf8) + Array((0..<items).map(notificationItem).joined(separator: ",").utf8) + Array("]}".utf8)
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(5))

    for items in [1, 50] {
        let bytes = batch(items: items)
        let data = Data(bytes)
        Benchmark("receive-path parser, \(items) item(s)", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try GraphNotificationBatch(bytes: bytes))
            }
        }
        Benchmark("JSONDecoder (Codable), \(items) item(s)", configuration: configuration) { benchmark in
            let decoder = JSONDecoder()
            for _ in benchmark.scaledIterations {
                blackHole(try decoder.decode(CodableBatch.self, from: data))
            }
        }
    }
}
