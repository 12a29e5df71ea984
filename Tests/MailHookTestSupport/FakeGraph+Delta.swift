import Foundation
import MailHookCore
import Synchronization

/// Delta queries: pages of changes since a state, a delta link at the end, and 410 once invalidated.
extension FakeGraph.State {
    private static func syncStateNotFound() -> Reply {
        .error(410, "SyncStateNotFound", "The sync state generation is not found.")
    }

    /// One page of `mailFolders/{folder}/messages/delta`: every message on the first round, then what
    /// changed since the deltaLink was issued; `@odata.nextLink` until the last page, which has the deltaLink.
    mutating func deltaPage(_ request: GraphRequest, mailbox reference: String, folder folderReference: String) -> Reply {
        var mailbox = mailboxKey(reference)
        var folder = resolveFolder(mailbox: mailbox, folderReference)
        let items: [JSONValue]
        let upTo: Int
        let skipToken = FormCoding.value("$skiptoken", in: request.query)
        if let token = skipToken ?? FormCoding.value("$deltatoken", in: request.query) {
            guard let sync = syncStates[token] else { return Self.syncStateNotFound() }
            switch sync {
            case .skip(let m, let f, let remaining, let end):
                (mailbox, folder, items, upTo) = (m, f, remaining, end)
            case .delta(let m, let f, let since):
                (mailbox, folder, upTo) = (m, f, changeSequence)
                items = changes(mailbox: m, folder: f, since: since)
            }
        } else {
            _ = folderId(mailbox: mailbox, folder: folder)
            let box = mailboxes[mailbox]
            items = (box?.order ?? []).compactMap { box?.messages[$0] }.filter { $0.folder == folder }.map { deltaItemJSON($0, mailbox: mailbox) }
            upTo = changeSequence
        }
        let maxPageSize = request.prefer.maxPageSize
        let size = maxPageSize ?? deltaPageSize
        let token = GraphIDs.syncToken()
        let link = baseURL + request.rawPath
        var object: [String: JSONValue] = [
            "@odata.context": .string("\(baseURL)/v1.0/$metadata#Collection(message)"),
            "value": .array(Array(items.prefix(size))),
        ]
        if items.count > size {
            syncStates[token] = .skip(mailbox: mailbox, folder: folder, remaining: Array(items.dropFirst(size)), upTo: upTo)
            object["@odata.nextLink"] = .string(link + "?$skiptoken=" + token)
        } else {
            syncStates[token] = .delta(mailbox: mailbox, folder: folder, since: upTo)
            object["@odata.deltaLink"] = .string(link + "?$deltatoken=" + token)
        }
        return .json(200, .object(object), headers: maxPageSize.map { [("Preference-Applied", "odata.maxpagesize=\($0)")] } ?? [])
    }

    /// Messages added or changed after `since`, and `@removed` entries for ones that existed then and are gone.
    func changes(mailbox: String, folder: String, since: Int) -> [JSONValue] {
        guard let box = mailboxes[mailbox] else { return [] }
        var changed: [(Int, JSONValue)] = box.messages.values
            .filter { $0.folder == folder && $0.changedSequence > since }
            .map { ($0.changedSequence, deltaItemJSON($0, mailbox: mailbox)) }
        for tombstone in box.tombstones
        where tombstone.folder == folder && tombstone.removedSequence > since && tombstone.createdSequence <= since {
            changed.append((tombstone.removedSequence, .object([
                "@odata.type": .string("#microsoft.graph.message"),
                "id": .string(tombstone.id),
                "@removed": .object(["reason": .string("deleted")]),
            ])))
        }
        return changed.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
