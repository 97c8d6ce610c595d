"""Support modules of lab01: sent as source text to the sandbox (Pack.support), never
imported by the grader itself."""
