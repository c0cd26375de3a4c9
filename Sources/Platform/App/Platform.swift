import Logging
import ServiceLifecycle
import PluginKit

/// The composition root. Every dependency is given to `init`; every service is built once here and
/// shared: one `PaymentApplier` applies the changes of the inbox, expiry and checkout compensation,
/// and its one list of order observers is told of paid orders and refunds wherever they come from.
/// `buildRouter` serves it; `workers` run beside.
package struct Platform: Sendable {
    package let database: any Database
    package let clock: any WallClock
    package let config: PlatformConfig
    package let logger: Logger
    package let providers: PaymentProviders
    /// Ticketing and other modules: their routes, pages, order observers and mail images.
    package let modules: [any PlatformModule]
    /// Sends the outbox; without it (tests of other things) mail stays queued.
    package let mail: MailSetup?
    /// Server-rendered pages; without them (API-only tests) no pages are served.
    package let pages: PageRenderer?

    /// Wakes the inbox worker when a webhook is stored.
    let inboxSignal = WakeSignal()
    /// Wakes the mail worker when a message is replayed.
    let outboxSignal = WakeSignal()
    package let apiKeys: APIKeyCache
    package let payments: PaymentApplier
    package let catalog: Catalog
    package let orders: Orders
    package let checkout: Checkout
    package let refunds: RefundService
    let ingress: WebhookIngress
    package let inbox: InboxWorker
    package let expiry: ExpiryWorker
    package let housekeeping: Housekeeping
    package let wallets: Wallets
    package let holdRelease: HoldRelease
    package let balances: Balances
    package let payouts: PayoutRun
    package let payoutMethods: PayoutMethods
    package let outbox: OutboxDispatcher?
    package let signIn: BuyerSignIn
    package let members: Members
    package let inboxTriage: Triage<InboxQueue>
    package let outboxTriage: Triage<OutboxQueue>
    /// Wakes the webhook sender when a delivery is re-sent.
    let webhookSignal = WakeSignal()
    package let webhookEndpoints: WebhookEndpoints
    package let webhookSender: WebhookSender

    /// `hosts` resolves webhook endpoints' names (tests give a fixed table).
    package init(database: any Database, clock: any WallClock, config: PlatformConfig, logger: Logger, providers: PaymentProviders,
                 modules: [any PlatformModule], mail: MailSetup?, pages: PageRenderer?, hosts: any HostResolver = SystemHostResolver()) {
        self.database = database
        self.clock = clock
        self.config = config
        self.logger = logger
        self.providers = providers
        self.modules = modules
        self.mail = mail
        self.pages = pages
        apiKeys = APIKeyCache(database: database, clock: clock)
        // The ledger first, then the modules' observers, then the kernel's mail: money and tickets are
        // booked before any email about them.
        payments = PaymentApplier(clock: clock, observers: OrderObservers(
            [LedgerPostings(), WalletPostings()] + modules.flatMap(\.orderObservers) + [OrderTrail(), RefundNotice(from: config.mailFrom)]),
            payouts: PayoutSettlement(mailFrom: config.mailFrom))
        catalog = Catalog(database: database, clock: clock)
        orders = Orders(database: database, clock: clock)
        checkout = Checkout(database: database, clock: clock, providers: providers, payments: payments, baseURL: config.baseURL,
                            buyerPages: pages != nil)
        refunds = RefundService(database: database, clock: clock, providers: providers, observers: payments.observers, logger: logger)
        let capture = PaymentCapture(database: database, clock: clock, providers: providers, payments: payments, refunds: refunds)
        ingress = WebhookIngress(database: database, clock: clock, providers: providers, signal: inboxSignal, baseURL: config.baseURL,
                                 capture: capture)
        inbox = InboxWorker(database: database, clock: clock, providers: providers, payments: payments, refunds: refunds, capture: capture,
                            logger: logger)
        expiry = ExpiryWorker(database: database, clock: clock, payments: payments)
        wallets = Wallets(database: database, clock: clock)
        housekeeping = Housekeeping(database: database, clock: clock, webhookRetentionDays: config.webhookRetentionDays)
        holdRelease = HoldRelease(database: database, clock: clock, standard: config.payoutHold)
        balances = Balances(database: database)
        payouts = PayoutRun(database: database, clock: clock, providers: providers, minimum: config.payoutMinimum, mailFrom: config.mailFrom,
                            logger: logger)
        payoutMethods = PayoutMethods(database: database, clock: clock, providers: providers, mailFrom: config.mailFrom)
        outbox = mail.map { OutboxDispatcher(database: database, clock: clock, mailer: $0.mailer, composer: $0.composer, logger: logger) }
        signIn = BuyerSignIn(database: database, clock: clock, baseURL: config.baseURL, mailFrom: config.mailFrom)
        members = Members(database: database, clock: clock, baseURL: config.baseURL, mailFrom: config.mailFrom, hashCost: config.passwordHashCost)
        inboxTriage = Triage(database: database, clock: clock, signal: inboxSignal, queue: InboxQueue())
        outboxTriage = Triage(database: database, clock: clock, signal: outboxSignal, queue: OutboxQueue())
        let policy = WebhookAddressPolicy(resolver: hosts, allowLoopbackHTTP: config.allowHTTPWebhooks)
        webhookEndpoints = WebhookEndpoints(database: database, clock: clock, policy: policy, signal: webhookSignal)
        webhookSender = WebhookSender(database: database, clock: clock, policy: policy, mailFrom: config.mailFrom, logger: logger)
    }

    /// The background services beside the server: payments (inbox and expiry), housekeeping, the
    /// hold release, and the mail worker when there is a mailer.
    package var workers: [any Service] {
        var workers: [any Service] = [
            PaymentWorkers(inbox: inbox, expiry: expiry, signal: inboxSignal, logger: logger),
            PeriodicWorker(name: "housekeeping", job: { [housekeeping] in try await housekeeping.run() }, logger: logger),
            PeriodicWorker(name: "hold release", job: { [holdRelease] in try await holdRelease.run() }, logger: logger),
            PeriodicWorker(name: "credit expiry", job: { [wallets] in try await wallets.expire() }, logger: logger),
            QueueWorker(name: "webhooks", sender: webhookSender, signal: webhookSignal),
        ]
        if let outbox { workers.append(QueueWorker(name: "mail", sender: outbox, signal: outboxSignal)) }
        return workers
    }
}

/// How mail leaves: the mailer (a plugin, or files) and the composer that renders each kind.
package struct MailSetup: Sendable {
    package let mailer: any Mailer
    package let composer: MailComposer

    package init(mailer: any Mailer, composer: MailComposer) {
        self.mailer = mailer
        self.composer = composer
    }
}
