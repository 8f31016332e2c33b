// The intake worker's message handler (see Package.swift for the module's purpose).
