import PluginKit

/// Sets the Sandbox up. Anyone can "pay" with it, so by default it is on only while no real
/// provider is configured; `SANDBOX_ENABLED=true|false` decides explicitly. `SANDBOX_SECRET` fixes
/// the signing secret, which is otherwise random per process (open sandbox checkouts then end
/// with a restart).
public enum SandboxPlugin: PaymentPlugin {
    public static let name = "sandbox"

    public static func setUp(_ context: PluginContext) throws -> PluginSetup<any PaymentProvider> {
        let settings = context.settings
        guard try settings.flag("SANDBOX_ENABLED") ?? context.paymentProviders.isEmpty else {
            return .disabled(reason: try settings.flag("SANDBOX_ENABLED") == false
                ? "SANDBOX_ENABLED is false" : "a real payment provider is configured; SANDBOX_ENABLED=true turns it on")
        }
        let secret = settings.string("SANDBOX_SECRET", secret: true)
            ?? (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        return .enabled(SandboxProvider(secret: secret, baseURL: context.baseURL))
    }
}
