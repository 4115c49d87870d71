"""Transition runtime imported by applications while they migrate (never imports LibCST)."""
