@testable import MailHookServer
import Testing

struct BodyReaderTests {
    @Test("JSON content types: parameters, case and +json suffixes")
    func contentTypes() {
        for accepted in ["application/json", "application/json; charset=utf-8", "Application/JSON", " application/json ;x=y",
                         "application/cloudevents+json", "application/vnd.api+JSON; charset=utf-8"] {
            #expect(BodyReader.isJSON(accepted), "\(accepted)")
        }
        for refused in [nil, "", "text/plain", "application/jsonx", "application/xml", "text/json", "application/json-patch", "+json"] {
            #expect(!BodyReader.isJSON(refused), "\(refused ?? "nil")")
        }
    }
}
