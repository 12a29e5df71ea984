/// The rule lists of ``LocalClassifier``: (target, weight, patterns). Patterns are lower-case
/// words or phrases; `word*` matches words starting with `word`, `_` matches any one word, and
/// apostrophes are dropped ("can't" is written `cant`). A pattern listed under several targets
/// adds to each; a weight of 0 only hides the words it covers from shorter rules. Tuned on the `tuning` fixture split only; bump ``LocalClassifier/rulesVersion``
/// when changing them.
extension LocalClassifier {
    static let categoryRules: [(Category, Double, [String])] = [
        // MARK: PURCHASING — buy, order, renew, pay.
        (.purchasing, 3, [
            "purchas*", "please order", "can you order", "could you order", "go ahead and order", "place the order",
            "place an order", "purchase order", "cost center", "cost centre", "get a quote", "request a quote",
            "quote for", "renewal quote", "price it out", "price one out", "backorder*", "expedited shipping",
            "overnight shipping", "fast shipping", "same day courier", "more seats", "more licen*", "additional licen*",
            "buy a", "buy one", "buy the", "buy two", "buy three", "buy more", "to buy", "we buy", "order a", "order one",
            "order two", "order him", "order her", "order them", "order it", "ordered for", "order 2", "order 3",
            "order 4", "order 5", "order 6", "order 10", "could we order", "i could get", "send me a", "for the company to buy", "could you send me a",
            "can you send me a", "would it be possible to get", "is it possible to get",
        ]),
        (.purchasing, 2, [
            "buy", "order", "quote", "quotes", "quotation", "invoice*", "po", "renewal", "renew", "auto renew",
            "subscription", "seats", "seat", "reseller", "distributor", "pricing", "price", "expense it",
            "could we get", "can we get", "could i get", "can i get", "request a", "upgrade to",
            "add on", "replacement", "replacements", "new laptop", "spare", "spares", "budget approval",
            "approve the purchase", "net 30", "outstanding balance", "payment", "toner", "fuser", "wishlist",
            "is it possible to order", "approved by", "second monitor",
            "get a second", "new phone", "new iphone",
        ]),
        (.purchasing, 1, [
            "licen*", "cost", "costs", "budget", "approval", "approve", "vendor", "headset", "headsets", "monitor",
            "monitors", "keyboard", "mouse", "dock", "docks", "docking", "charger", "chargers", "webcam", "ssd",
            "new hire", "new hires", "starts", "starting on", "plan", "annual", "expense", "per year", "qty", "hub",
            "headphones", "adapter", "adapters",
        ]),

        // MARK: SUPPORT — broken, or do this for me.
        (.support, 3, [
            "not working", "isnt working", "doesnt work", "dont work", "stopped working", "wont turn on", "wont connect",
            "wont print", "cant log in", "cant login", "cant sign in", "cant connect", "cant print", "cant open",
            "cant access", "cannot access", "cannot log in", "unable to", "locked out", "account locked", "password reset",
            "reset my password", "reset it", "forgot my password", "password expired", "access denied",
            "dont have permission", "no signal", "keeps asking", "keeps crashing", "keeps dropping", "take a look",
            "can someone help", "could someone help", "can someone look", "could someone check", "can you check",
            "please help", "help me", "crashes", "crashing", "frozen", "freezes", "flicker*", "error", "errors",
            "not connected", "device offline", "says offline", "need access", "add me", "give me access", "unfreeze",
            "unlock", "restore", "recover", "disable his", "disable her", "deactivat*", "last day", "set up her",
            "set up his", "set up my", "setup help", "please install", "could you install", "can you install", "install it",
            "reinstall*", "activat*", "not arriving", "nothing arrives", "worked last week", "it worked", "used to work",
            "used to be able", "get them back", "get it back", "change my", "update my", "be updated", "be changed",
            "could you change", "can you change", "turn off", "get rid of",
        ]),
        (.support, 2, [
            "cant", "cannot", "wont", "broken", "fails", "failing", "failed", "stopped", "keeps", "slow", "lags",
            "offline", "disconnect*", "dropping", "drops", "jam*", "problem", "issue", "says", "tried", "restarted",
            "reboot*", "fix", "access to", "permission*", "reset", "set up", "setup", "configure",
            "missing", "disappeared", "deleted", "sync", "blank", "not showing", "doesnt", "wrong password",
            "sticking", "sticks", "echo", "expired", "arrived", "someone look", "look at it", "come by", "come down",
            "send someone", "is it real", "should i stop", "what should i do", "how do i move", "can you add",
            "since this morning", "since the update", "since yesterday", "since monday", "install", "installed",
            "got a new", "display name", "move", "moving", "didnt come over",
        ]),
        (.support, 1, ["for me", "help", "someone", "laptop", "printer", "password", "login", "log in", "mailbox", "vpn", "wifi"]),

        // MARK: INFORMATION — a fact, policy, status or document.
        (.information, 3, [
            "where can i find", "where do i find", "where is", "where are", "what is the", "what are the",
            "how many", "how long", "is there a policy", "policy", "policies", "are we allowed", "am i allowed",
            "allowed to", "for future reference", "difference between", "can you confirm", "could you confirm",
            "please confirm", "confirm the", "just checking", "checking on", "status of", "any update", "handbook",
            "is that true", "is it true", "who approves", "who is approving", "who has access", "who should we contact",
            "is there a list", "list of", "send us", "send me", "dial in", "just curious", "just wondering",
            "quick question", "quick q", "does it offer", "do you offer", "do we offer", "questionnaire", "provide evidence", "evidence of", "out of curiosity",
            "are files", "the same as", "do i need", "do we get", "does my", "do we have a",
            "what do we do with", "where should", "which system", "which printer", "what laptop", "what equipment",
            "what data", "what model", "specs", "how do i set", "how do i make",
        ]),
        (.information, 2, [
            "whats the", "please confirm", "please provide", "is there a way", "how do i get", "questions", "answers",
            "instructions", "can you send", "could you send", "send them", "do you have the", "do you have them",
            "couldnt find", "docs", "when is", "when will", "when does", "when do", "do we have", "where", "question", "curious", "wondering", "fyi", "documented",
            "documentation", "document", "guidance", "guide", "rules", "password for", "wifi password", "url",
            "details", "number", "numbers", "deadline", "dates", "maintenance window", "schedule", "audit*", "auditor*",
            "evidence", "how do i", "how does", "is there", "retention", "data limit", "allowed", "confirm",
            "can customers", "can i use", "can we use", "will it affect", "need to know", "let us know", "inform*",
            "is there any", "training", "the list", "a list",
        ]),
        (.information, 1, ["what", "who", "answer", "guidance"]),

        // MARK: ESCALATION — management now.
        (.escalation, 4, [
            "escalat*", "unacceptable", "not acceptable", "complaint", "complain*", "third time", "3rd time",
            "fourth time", "4th time", "second time", "still not", "still waiting", "still broken", "still empty",
            "no response", "no reply", "nobody has", "nobody responded", "nobody answered", "havent heard back",
            "no one has", "someone senior", "above helpdesk", "above the helpdesk", "it leadership", "it management",
            "ransom*", "breach*", "compromised", "hacked", "exfiltration", "fraud*", "down for everyone",
            "whole office", "entire office", "whole site", "all sites", "all offices", "nobody can", "no one can",
            "none of us", "whole warehouse", "whole company", "everyone in", "all users", "root cause", "sla",
            "data exposed", "publicly accessible", "costing us", "losing deals", "lost a", "threatening",
            "speak to someone", "speak with", "talk to someone", "who can i talk to", "closed without", "concern*",
            "litigation", "legal exposure", "incident response", "impossible travel", "bomb", "hijack*", "need a decision",
            "need you to decide", "overheating", "flooding", "not paid", "havent been paid", "on this now",
            "never sent", "didnt send", "didnt write", "permanent fix", "keeps happening", "times this month",
            "very concerning", "management response",
        ]),
        (.escalation, 2, [
            "again", "still", "tickets", "ticket", "followed up", "weeks", "a week", "for a month", "manager",
            "management", "leadership", "outage", "everyone", "entire", "whole", "down", "is down", "unavailable",
            "alert", "incident", "suspicious", "unauthori*", "legal", "exposed", "encrypted", "customers cant",
            "customers", "losing", "lost", "priority", "frustrat*", "immediately", "right now",
            "call me", "calling you", "emergency", "critical", "deficiency", "notify", "responsible", "owner",
            "owns this", "own this", "why", "what happened", "how this happened", "disappointed", "patched",
            "shut down", "downtime", "remediation", "feedback", "could be improved", "comes back", "every couple of weeks",
        ]),

        // Weight 0: phrases that only hide a misleading word inside them (a contract breach is no security breach).
        (.escalation, 0, ["breach the contract", "breach of contract", "breach our contract"]),

        // MARK: CONSULTATION — advice before a decision.
        (.consultation, 4, [
            "recommend*", "advice", "advise", "your opinion", "opinion", "your thoughts", "thoughts", "what do you think",
            "what you think", "your input", "input", "your view", "your take", "perspective", "pros and cons",
            "trade offs", "tradeoffs", "would it make sense", "make sense", "is it worth", "worth it", "worth having",
            "should we", "should the company", "would you support", "best way", "best approach", "best practice*",
            "not asking to buy", "not ready to buy", "before we", "havent decided", "shortlist", "feasib*",
            "would that work", "good idea", "a good fit", "what should we consider", "consider", "considering",
            "thinking about", "thinking of", "evaluat*", "comparing", "assessment", "assess", "propose", "proposal",
            "requirements", "due diligence", "roadmap", "architecture", "strategy", "long term", "longer term",
            "honest assessment", "what approach",
        ]),
        (.consultation, 2, [
            "suggest*", "idea", "options", "option", "approach", "design", "review", "standardize",
            "vs", "versus", "or should", "compare", "discuss", "talk through", "sit down", "can we meet", "meet with",
            "schedule a meeting", "set up a meeting", "next year", "next quarter", "which would", "which should",
            "which one", "what would", "would you", "is it ok", "would it help", "implications", "risks", "downsides",
            "looking into", "look into", "involve you", "before i", "setup recommendations", "overkill",
        ]),
        (.consultation, 1.5, ["do you think", "plan", "planning", "guidance"]),
        (.consultation, 1, ["meeting", "meet", "structure"]),
    ]

    static let urgencyRules: [(Urgency, Double, [String])] = [
        (.critical, 0, ["breach the contract", "breach of contract", "breach our contract"]),
        (.critical, 5, [
            "ransom*", "breach*", "compromised", "hacked", "exfiltration", "down for everyone", "whole office",
            "entire office", "whole site", "all sites", "all offices", "all users", "nobody can", "no one can",
            "nobody in", "no one in", "whole warehouse", "whole company", "company wide", "tenant wide", "everyone in",
            "cannot ship", "cant ship", "stopped shipping", "shipping stopped", "site down", "site is down",
            "data exposed", "publicly accessible", "fraudulent", "bomb", "flooding", "overheating", "hijack*",
            "all of finance", "all of them", "not paid", "wont get paid", "impossible travel", "mass email", "cant work",
            "none of us", "major incident",
        ]),
        (.critical, 4, ["customers cant", "cant place orders", "in 1 hour", "within the hour", "next few minutes"]),
        (.critical, 2, [
            "emergency", "outage", "critical", "immediately", "right now", "right away", "call me", "every minute",
            "everyone", "entire", "p1", "today or", "must go out", "must be submitted", "cutoff", "payroll",
        ]),
        (.high, 3, [
            "urgent", "asap", "as soon as possible", "today", "tonight", "tomorrow", "this afternoon", "blocked",
            "cant do anything", "cant get anything done", "cant log in to anything", "nothing works", "locked out",
            "priority", "deadline", "in 45 minutes", "in 30 minutes", "in 30 min", "in an hour", "end of day", "before the weekend",
            "lost a", "stolen", "clicked", "typed my password", "hurting", "unacceptable", "sla breach",
        ]),
        (.high, 2, ["escalat*", "all afternoon", "idle", "demo", "presentation"]),
        (.high, 1.5, ["client", "customers", "waiting", "still", "again", "days"]),
        (.medium, 2, [
            "workaround", "for now", "in the meantime", "meanwhile", "still works", "can still", "annoying", "workable",
            "next week", "this week", "two weeks", "couple of weeks", "few weeks", "three weeks", "in 10 days",
            "end of next week", "end of the month", "end of month", "by end of", "this month", "this quarter",
            "next sprint", "steering committee", "budget review", "before then", "not an emergency",
            "not urgent today", "not critical", "due by", "due on", "business days", "in a week", "by friday",
            "before friday", "by thursday", "before thursday", "by monday", "by wednesday", "by the", "before we start",
            "next month", "this summer", "timing",
        ]),
        (.medium, 0.5, ["earlier today", "twice today", "meetings today"]),
        (.low, 4, [
            "no rush", "not urgent", "no hurry", "not a big deal", "nothing is broken", "no deadline", "just curious",
            "just wondering", "for future reference", "at some point", "not blocking", "not needed until",
            "whenever", "when you get a chance", "when you have a moment", "when youre in", "when someone has time",
            "no action needed", "not asking to buy", "just an idea", "random idea", "long term", "longer term",
            "nothing lost", "not actually urgent", "kind of urgent", "jk", "lol", "can live with it", "live with it",
            "no pressure", "not ready to", "early thoughts", "open to suggestions", "just a thought", "just gathering",
        ]),
        (.low, 2, [
            "curious", "next year", "next quarter", "planning", "idea", "thoughts", "no worries", "sometime",
            "whenever convenient", "when its convenient", "if budget allows", "putting it out there", "out of curiosity",
            "could i get", "can i get", "could i swap", "would it be possible", "is it possible", "is there any way",
            "would it be ok", "if so", "if yes", "either way", "just looking", "wishlist", "in the future", "eventually",
            "someday", "next 1", "our next", "not now", "not asking",
        ]),
        (.low, 1, ["fyi"]),
    ]

    static let expertiseRules: [(String, Double, [String])] = [
        ("network", 1, [
            "wifi", "wi fi", "wireless", "vpn", "network", "internet", "firewall", "switch", "router", "isp", "access point*",
            "bandwidth", "dns", "fiber", "circuit", "connectivity", "sd wan", "meraki", "ethernet", "comcast", "hotspot",
            "sftp", "ip address*", "public ip", "whitelist",
        ]),
        ("security", 1, [
            "phishing", "ransom*", "breach*", "malware", "virus", "compromised", "hacked", "suspicious", "encrypt*",
            "edr", "defender", "security", "exfiltration", "fraud*", "soc 2", "pen test", "threat", "yubikey*",
            "clicked", "impossible travel", "exposed", "litigation hold", "stolen",
        ]),
        ("identity", 1, [
            "password*", "locked out", "account locked", "mfa", "authenticator", "login", "log in", "sign in", "sso",
            "unlock", "entra", "active directory", "frozen", "disable his", "disable her", "deactivat*", "accounts",
            "permission*", "access denied",
        ]),
        ("email", 1, [
            "email", "emails", "outlook", "mailbox", "exchange", "inbox", "shared mailbox", "signature", "out of office",
            "attachment", "automatic reply", "focused inbox", "mx records", "webmail",
        ]),
        ("collaboration", 1, ["teams", "sharepoint", "onedrive", "zoom", "webinar", "miro", "smartsheet"]),
        ("hardware", 1, [
            "laptop*", "monitor*", "keyboard*", "mouse", "dock*", "printer*", "battery", "projector", "scanner*",
            "tablet*", "iphone", "ipad", "headset*", "webcam", "ssd", "hard drive", "ups", "toner", "fuser", "copier",
            "drives", "raid", "charger*", "badge reader", "label printer*", "hardware", "server",
        ]),
        ("telephony", 1, [
            "phone system", "desk phone*", "voicemail", "ringcentral", "extension", "dial tone", "calls", "phones",
            "reception phone", "yealink",
        ]),
        ("licensing", 1, [
            "licen*", "subscription*", "seats", "renewal", "e3", "e5", "microsoft 365", "adobe", "acrobat", "visio",
            "creative cloud",
        ]),
        ("database", 1, ["database", "sql", "db", "reporting server", "schema", "data warehouse"]),
        ("cloud", 1, ["aws", "azure", "cloud", "s3", "ec2", "ecs", "fargate", "reserved instance*", "tenant"]),
        ("business-applications", 1, [
            "netsuite", "salesforce", "adp", "erp", "crm", "power bi", "docusign", "tableau", "quickbooks",
            "solidworks", "autocad", "fieldpulse", "payroll",
        ]),
    ]
}
