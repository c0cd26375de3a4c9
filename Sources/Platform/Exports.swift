// Modules and tests that import the kernel see what plugins see.
@_exported import PluginKit
