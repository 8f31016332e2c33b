/// Hotline's pure rules: no I/O, no C, no servers.
public enum HotlineDomain {}
