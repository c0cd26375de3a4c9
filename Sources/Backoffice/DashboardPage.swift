import Foundation
import Hummingbird
import Platform
import PluginKit

/// The organizer's first page: what needs attention, then each event's seats, money and sales chart.
struct DashboardPage {
    let site: MemberSite
    let catalog: Catalog

    func register(_ web: WebRoutes) {
        web.on(.get, "backoffice") { request, _ in try await site.guarded { try await show(request) } }
    }

    private func show(_ request: Request) async throws -> Response {
        let session = try await site.member(request, may: { $0 == .owner || $0 == .manager })
        guard let organizer = session.member.organizerID else { throw PlatformError.notFound("organizer") }
        let dashboard = try await Dashboard.load(organizer: organizer, catalog: catalog)
        var attention: [String] = []
        if dashboard.ordersInReview > 0 { attention.append("\(dashboard.ordersInReview) order\(dashboard.ordersInReview == 1 ? "" : "s") in review: the amount paid does not match") }
        if dashboard.failedRefunds > 0 { attention.append("\(dashboard.failedRefunds) refund\(dashboard.failedRefunds == 1 ? "" : "s") failed at the provider") }
        if dashboard.openDisputes > 0 { attention.append("\(dashboard.openDisputes) open dispute\(dashboard.openDisputes == 1 ? "" : "s")") }
        for figures in dashboard.events where figures.sellingOut {
            attention.append("\(figures.event.title) is about to sell out: \(figures.sold) of \(figures.capacity) seats sold")
        }
        let events = dashboard.events.map { figures -> [String: Any] in
            let money = { (amounts: [Money]) in amounts.isEmpty ? "—" : amounts.map(\.description).joined(separator: ", ") }
            return [
                "event_id": figures.event.id.rawValue, "event_title": figures.event.title, "event_status": figures.event.status.rawValue,
                "starts_at": LocalTime.text(figures.event.startsAt, timezone: figures.event.timezone),
                "sold": figures.sold, "capacity": figures.capacity,
                "gross": money(figures.gross), "fee": money(figures.fee), "net": money(figures.net),
                "chart": SalesChart.svg(figures.seatsByDay, start: dashboard.chartStart),
            ]
        }
        return try site.page("backoffice_dashboard", [
            "title": "Dashboard", "attention": attention.map { ["item": $0] }, "calm": attention.isEmpty,
            "events": events, "no_events": events.isEmpty, "chart_days": Dashboard.chartDays,
        ], request: request, session: session)
    }
}
