import PlatformServer

/// The `platform` executable: everything it does is in PlatformServer.
@main
enum PlatformMain {
    static func main() async {
        await PlatformCommand.main()
    }
}
